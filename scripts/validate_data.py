"""`rasa data validate`, failing on every warning except the expected kind.

Rasa warns about responses "not used in any story or rule". That is expected for
three kinds of response, which this script allows, and only those:
  - utter_ask_<slot>: asked by forms, never named in stories;
  - utter_crisis_*: predicted by CrisisPolicy in every dialogue state (a rule per
    state would be the alternative; the policy is the guarantee, see bot/policies);
  - responses that custom actions send by name (found in actions/*.py).
One more warning is allowed: "duplicated intents ... across multiple domain files:
faq". Rasa's ResponsesSyncImporter merges the retrieval intent from the NLU data into
the domain that already lists it (it must be listed, or story reading fails).
Anything else (an unused intent, a missing response, a story conflict, a
duplicate) fails, like `rasa data validate --fail-on-warnings` would.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNUSED = re.compile(r"The utterance '([^']+)' is not used in any story or rule")
RETRIEVAL_INTENT_MERGE = "duplicated intents have been found across multiple domain files: faq"
# SQLAlchemy 1.4's notice about 2.0 (the version Rasa 3.6 pins): nothing here can act on it.
# Training (scripts/train.py) and `make run` (scripts/run_stack.py) start Rasa with this. Rasa
# re-enables Python's DeprecationWarnings itself, so those of pkg_resources and TensorFlow remain.
QUIET_LIBRARY_WARNINGS = {"SQLALCHEMY_SILENCE_UBER_WARNING": "1"}


def responses_sent_by_actions() -> tuple:
    """Response names the actions send, and name prefixes they complete at run time."""
    names, prefixes = set(), set()
    for source in (ROOT / "actions").rglob("*.py"):
        text = source.read_text()
        names.update(re.findall(r"['\"](utter_[a-z0-9_/]+)['\"]", text))
        prefixes.update(re.findall(r"f['\"](utter_[a-z0-9_]*)\{", text))
    return names, tuple(prefixes)


def allowed(utterance: str, sent_by_actions: tuple) -> bool:
    names, prefixes = sent_by_actions
    return (utterance.startswith(("utter_ask_", "utter_crisis_")) or utterance in names
            or bool(prefixes) and utterance.startswith(prefixes))


def main() -> int:
    command = [str(ROOT / ".venv" / "bin" / "rasa"), "data", "validate", "--config", "config.yml",
               "--domain", "domain.yml", "--data", "bot/data"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    output = result.stdout + result.stderr
    sent_by_actions = responses_sent_by_actions()
    problems = []
    for line in output.splitlines():
        if "UserWarning" not in line and "ERROR" not in line:
            continue
        if line.rstrip().endswith(RETRIEVAL_INTENT_MERGE):
            continue
        match = UNUSED.search(line)
        if match and allowed(match.group(1), sent_by_actions):
            continue
        problems.append(line.split("UserWarning: ")[-1].strip())
    if result.returncode != 0:
        problems.append(f"rasa data validate exited with {result.returncode}")
    for problem in problems:
        print(f"validate: {problem}")
    print(f"validate: {'FAILED' if problems else 'clean'} ({len(problems)} problem(s))")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
