"""The training-time embedding cache: a text is embedded once, other weights or a broken file
never feed stale numbers back."""
import numpy as np
import pytest

from sentence_encoder import cache as embedding_cache
from sentence_encoder.minilm import EMBEDDING_DIM


class CountingEncoder:
    """Stands in for the MiniLM encoder: a deterministic vector per text, and a record of calls."""

    def __init__(self):
        self.seen = []

    def encode(self, texts, batch_size=16, threads=1):
        self.seen.extend(texts)
        rows = np.stack([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=EMBEDDING_DIM) for t in texts])
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def encoder(monkeypatch):
    fake = CountingEncoder()
    monkeypatch.setattr(embedding_cache, "get_encoder", lambda: fake)
    return fake


def test_texts_embedded_once_are_read_back_unchanged(tmp_path, encoder):
    path = tmp_path / "embeddings.npz"
    first = embedding_cache.encode_cached(["a", "b", "a"], path)
    assert encoder.seen == ["a", "b"]
    second = embedding_cache.encode_cached(["b", "c", "a"], path)
    assert encoder.seen == ["a", "b", "c"]  # only the new text was embedded
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])
    assert second.shape == (3, EMBEDDING_DIM) and second.dtype == np.float32


def test_a_cache_of_other_weights_is_not_used(tmp_path, encoder, monkeypatch):
    path = tmp_path / "embeddings.npz"
    embedding_cache.encode_cached(["a"], path)
    monkeypatch.setattr(embedding_cache, "MODEL_SHA256", "0" * 64)
    embedding_cache.encode_cached(["a"], path)
    assert encoder.seen == ["a", "a"]


def test_a_torn_cache_file_is_ignored_and_replaced(tmp_path, encoder):
    path = tmp_path / "embeddings.npz"
    path.write_bytes(b"PK\x03\x04 not a whole file")
    vectors = embedding_cache.encode_cached(["a"], path)
    assert encoder.seen == ["a"] and vectors.shape == (1, EMBEDDING_DIM)
    embedding_cache.encode_cached(["a"], path)
    assert encoder.seen == ["a"]  # the replaced file is read
    assert [p.name for p in tmp_path.iterdir()] == ["embeddings.npz"]  # no temporary file left


def test_no_cache_path_embeds_every_time_and_writes_nothing(tmp_path, encoder, monkeypatch):
    monkeypatch.chdir(tmp_path)
    embedding_cache.encode_cached(["a"], None)
    embedding_cache.encode_cached(["a"], None)
    assert encoder.seen == ["a", "a"] and list(tmp_path.iterdir()) == []
    assert embedding_cache.encode_cached([], None).shape == (0, EMBEDDING_DIM)
