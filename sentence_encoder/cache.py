"""Sentence embeddings of training texts, kept on disk between runs.

`rasa train` and scripts/tune_risk.py embed the same ~20,000 risk examples every time: minutes
of CPU for numbers that only change when a text or the model's weights change. The cache is keyed
by text and stamped with the weights' sha256, so other weights never reuse it. It holds training
texts only (never a visitor's message) and lives in var/, which git ignores.

    from sentence_encoder.cache import encode_cached
    vectors = encode_cached(texts)  # float32 [len(texts), 384], unit rows, as encode() gives
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

from sentence_encoder.minilm import EMBEDDING_DIM, MODEL_SHA256, get_encoder

logger = logging.getLogger(__name__)

DEFAULT_CACHE = Path(__file__).resolve().parents[1] / "var" / "sentence_embeddings.npz"


def _load(path: Path) -> Dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["model_sha256"]) != MODEL_SHA256:
                return {}
            return dict(zip(stored["texts"].tolist(), stored["vectors"]))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:  # missing, torn or foreign: embed again
        if path.exists():
            logger.warning("Ignoring the embedding cache %s (%s).", path, type(error).__name__)
        return {}


def _store(path: Path, cache: Dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # written aside and renamed: a reader never sees half a file, two writers never mix theirs
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, model_sha256=np.array(MODEL_SHA256), texts=np.array(list(cache), dtype=str),
                     vectors=np.stack(list(cache.values())).astype(np.float32))
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def encode_cached(texts: Sequence[str], cache_path: Optional[os.PathLike] = DEFAULT_CACHE,
                  threads: Optional[int] = None, batch_size: int = 32) -> np.ndarray:
    """Embeddings of `texts`, reading those embedded before from `cache_path` (None: no cache).
    `threads`: every core by default, for training runs that have the machine to themselves."""
    texts = list(texts)
    path = Path(cache_path) if cache_path is not None else None
    cache = _load(path) if path is not None else {}
    missing = list(dict.fromkeys(t for t in texts if t not in cache))
    if missing:
        started = time.time()
        vectors = get_encoder().encode(missing, batch_size=batch_size, threads=threads or os.cpu_count() or 1)
        cache.update(zip(missing, vectors))
        logger.info("Embedded %d texts in %.0f s (%d from the cache).", len(missing), time.time() - started,
                    len(texts) - len(missing))
        if path is not None:
            _store(path, cache)
    if not texts:
        return np.empty((0, EMBEDDING_DIM), dtype=np.float32)
    return np.stack([cache[t] for t in texts]).astype(np.float32)
