"""`make train`: train into models/ only when config, domain, data or components changed.

The model is saved as models/<fingerprint>.tar.gz (see bot/model_fingerprint.py).
When that file exists it is marked newest (Rasa serves the newest model in
models/) and nothing is trained.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bot.model_fingerprint import training_fingerprint  # noqa: E402


def main() -> int:
    models = ROOT / "models"
    models.mkdir(exist_ok=True)
    fingerprint = training_fingerprint()
    model = models / f"{fingerprint}.tar.gz"
    if model.exists():
        os.utime(model)
        print(f"train: {model.relative_to(ROOT)} is up to date (config, domain and data unchanged)")
        return 0
    rasa = Path(sys.executable).parent / "rasa"
    command = [str(rasa), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "bot/data",
               "--out", "models", "--fixed-model-name", fingerprint]
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
