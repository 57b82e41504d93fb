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
from scripts.validate_data import (  # noqa: E402
    QUIET_LIBRARY_WARNINGS, RETRIEVAL_INTENT_MERGE, UNUSED, allowed, responses_sent_by_actions)


NO_RESPONSE_SELECTOR = "your NLU configuration does not include a response selector component"


def main() -> int:
    models = ROOT / "models"
    models.mkdir(exist_ok=True)
    fingerprint = training_fingerprint()
    model = models / f"{fingerprint}.tar.gz"
    if model.exists():
        os.utime(model)
        print(f"train: {model.relative_to(ROOT)} is up to date (config, domain and data unchanged)")
        return 0
    # bot.rasa_cli: Rasa's command line without the libraries' deprecation notices
    command = [sys.executable, "-m", "bot.rasa_cli", "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "bot/data",
               "--out", "models", "--fixed-model-name", fingerprint]
    # Rasa warns about every response no story names; for the ones forms, CrisisPolicy and actions
    # send (scripts/validate_data.py says which) that is expected, and 120 such lines hid real
    # warnings. They are counted in one line; any other warning is shown as Rasa wrote it.
    sent_by_actions, expected, skip_next = responses_sent_by_actions(), 0, False
    faq_selector_notice = False
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, **QUIET_LIBRARY_WARNINGS})
    for line in process.stdout:
        if skip_next and "raise_warning(" in line:
            skip_next = False
            continue
        skip_next = False
        if NO_RESPONSE_SELECTOR in line:  # Rasa checks for its own class; ours writes the same output
            faq_selector_notice, skip_next = True, True
            continue
        match = UNUSED.search(line)
        if match and allowed(match.group(1), sent_by_actions) or line.rstrip().endswith(RETRIEVAL_INTENT_MERGE):
            expected, skip_next = expected + 1, True
            continue
        sys.stdout.write(line)
    code = process.wait()
    if faq_selector_notice:
        print("train: FAQ answers are chosen by LinearResponseSelector, not Rasa's ResponseSelector (expected; "
              "see bot/nlu/linear_response_selector.py)")
    if expected:
        print(f"train: {expected} responses are sent by forms, CrisisPolicy or actions rather than stories "
              "(expected; see scripts/validate_data.py)")
    return code


if __name__ == "__main__":
    sys.exit(main())
