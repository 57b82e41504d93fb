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
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.utils.extmath import softmax


def sentence_features(message: Message) -> Tuple[Optional[object], Optional[np.ndarray]]:
    """(sparse sentence features, dense sentence features) of the message's text, either may be None."""
    sparse = message.get_sparse_features(TEXT)[1]
    dense = message.get_dense_features(TEXT)[1]
    return (sparse.features if sparse is not None else None,
            np.asarray(dense.features) if dense is not None else None)


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
