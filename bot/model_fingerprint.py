"""A hash of everything `rasa train` reads, so a model is trained only when it changed.

Rasa 3.6 always packages a new model on `rasa train` (its cache only skips
re-fitting components), so `make train` names each model after this hash and
trains only when no model with the current hash exists. The test fixtures use the
same hash to share one trained model between test modules.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[1]
# Training inputs, and the code of the custom components and policies they name.
TRAINING_INPUTS = ["config.yml", "domain.yml", "bot/data", "bot/nlu", "bot/policies", "risk"]


def training_fingerprint(root: Path = ROOT) -> str:
    import rasa

    digest = hashlib.sha256(rasa.__version__.encode())
    paths: List[Path] = []
    for name in TRAINING_INPUTS:
        target = root / name
        if target.is_file():
            paths.append(target)
        elif target.is_dir():
            paths.extend(p for p in target.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
