"""Rasa-free risk core: what a message says about risk, and what the crisis layer does about it.

- `judge.RiskJudge`: the verdict on one message (tier, situation, level, populations, language),
  combining `detector` (explicit patterns compiled by `patterns`) and `classifier` (trained on
  `data/training`), with `language` and `segment`;
- `dialogue.decide`: crisis reply, screening question, follow-up or nothing, from the verdicts of
  a conversation's messages;
- `resources`: the crisis facts and replies of `data/crisis_resources.yml`;
- `evaluation`: what counts as the right answer, for tuning and for the frozen-set evaluation.

Importing the package is cheap: spaCy and the models load when a detector or judge is built.
See docs/RISK.md.
"""
