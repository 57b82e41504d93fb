"""A scikit-learn LogisticRegression's probabilities for one message's sentence features, without scipy.

Rasa's LogisticRegressionClassifier and the FAQ selector (linear_response_selector.py) read a
message's sparse sentence features (word and character counts) and its dense ones (the sentence
embedding) side by side. Both built a scipy matrix for every message (a csr of each part, hstack,
vstack) and went through scikit-learn's input checks: about 1 ms per message each, on a turn of
about 17 ms (py-spy, docs/CAPACITY.md). The same arithmetic on the sparse row's non-zeros and the
dense row takes a fraction of that; `predict_proba` here equals scikit-learn's (the same
formula: tests/nlu/test_linear_scores.py compares them on messages with both kinds of features, and
the trained model's held-out NLU report was the same to 1e-12, docs/CAPACITY.md).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
import scipy.sparse
from scipy.special import expit
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.utils.extmath import softmax


def sentence_features(message: Message) -> Tuple[Optional[object], Optional[np.ndarray]]:
    """(sparse sentence features, dense sentence features) of the message's text, either may be None.

    The parts side by side in the order `Message.get_sparse_features` and `get_dense_features` put
    them (the order the featurizers ran), with the same entries in the same order. Those two also
    deep-copy the first part and combine the sequence features, which nothing here reads: 6.6% of a
    worker's busy time under bench_scale's load, for each of the two classifiers (py-spy,
    2026-11-30, docs/CAPACITY.md)."""
    sparse_parts, dense_parts = [], []
    for feature in message.features:
        if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE:
            (sparse_parts if feature.is_sparse() else dense_parts).append(feature.features)
    dense = None
    if dense_parts:
        dense = np.asarray(dense_parts[0] if len(dense_parts) == 1 else np.concatenate(dense_parts, axis=-1))
    return _side_by_side(sparse_parts), dense


def _side_by_side(parts: list) -> Optional[scipy.sparse.coo_matrix]:
    """One-row sparse parts as one row, each part's columns after the previous parts' (what scipy's
    hstack gives, without its block assembly)."""
    if len(parts) <= 1:
        return parts[0] if parts else None
    if any(part.shape[0] != 1 for part in parts):
        return scipy.sparse.hstack(parts)
    rows = [part.tocoo() for part in parts]
    offsets = np.cumsum([0] + [row.shape[1] for row in rows[:-1]])
    data = np.concatenate([row.data for row in rows])
    columns = np.concatenate([row.col + offset for row, offset in zip(rows, offsets)])
    return scipy.sparse.coo_matrix((data, (np.zeros_like(columns), columns)),
                                   shape=(1, int(offsets[-1]) + rows[-1].shape[1]))


def stacked_features(message: Message) -> scipy.sparse.csr_matrix:
    """One row: the sparse and the dense sentence features side by side (how both models were trained)."""
    sparse, dense = sentence_features(message)
    parts = [scipy.sparse.csr_matrix(p) for p in (sparse, dense) if p is not None]
    return scipy.sparse.hstack(parts).tocsr()


class LinearScorer:
    """`model` (a fitted LogisticRegression over [sparse | dense] features) with its weights split
    at the sparse features' width and transposed once, so a message costs two small products."""

    def __init__(self, model, sparse_width: int) -> None:
        coef = np.asarray(model.coef_, dtype=np.float64)
        self.model = model
        self.sparse_width = sparse_width
        self.sparse_coef = np.ascontiguousarray(coef[:, :sparse_width].T)
        self.dense_coef = np.ascontiguousarray(coef[:, sparse_width:].T)
        self.intercept = np.asarray(model.intercept_, dtype=np.float64)
        # scikit-learn 1.1's LogisticRegression.predict_proba: one-vs-rest or multinomial
        self.one_vs_rest = model.multi_class in ("ovr", "warn") or (
            model.multi_class == "auto" and (model.classes_.size <= 2 or model.solver == "liblinear"))

    def fits(self, sparse, dense: Optional[np.ndarray]) -> bool:
        """One row of features, as wide as the model's (else scikit-learn's own path decides)."""
        if (sparse is not None and sparse.shape[0] != 1) or (dense is not None and dense.reshape(-1, dense.shape[-1]).shape[0] != 1):
            return False
        sparse_width = sparse.shape[1] if sparse is not None else 0
        dense_width = dense.shape[-1] if dense is not None else 0
        return sparse_width == self.sparse_width and sparse_width + dense_width == self.model.coef_.shape[1]

    def predict_proba(self, sparse, dense: Optional[np.ndarray]) -> np.ndarray:
        """The probabilities of model.classes_ for one message (a 1-D array)."""
        scores = self.intercept.copy()
        if sparse is not None and sparse.nnz:
            row = sparse.tocoo() if not scipy.sparse.isspmatrix_coo(sparse) else sparse
            scores += np.asarray(row.data, dtype=np.float64) @ self.sparse_coef[row.col]
        if dense is not None:
            scores += np.asarray(dense, dtype=np.float64).reshape(-1) @ self.dense_coef
        if self.one_vs_rest:
            probabilities = expit(scores)
            if probabilities.size == 1:
                return np.array([1.0 - probabilities[0], probabilities[0]])
            return probabilities / probabilities.sum()
        decision = scores if scores.size > 1 else np.array([-scores[0], scores[0]])
        return softmax(decision[None, :], copy=False)[0]


def scorer_for(model, cache: dict, sparse, dense) -> Optional[LinearScorer]:
    """The scorer of this fitted `model` for features of this shape (kept in `cache`), or None (not
    fitted, or features of another shape): then the caller takes scikit-learn's own path."""
    if not hasattr(model, "coef_"):
        return None
    width = sparse.shape[1] if sparse is not None else 0
    key = (id(model), width)
    scorer = cache.get(key)
    if scorer is None or scorer.model is not model:
        scorer = cache[key] = LinearScorer(model, width)
    return scorer if scorer.fits(sparse, dense) else None
