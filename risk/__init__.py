"""Rasa-free risk detection core.

`assess(text)` loads the spaCy pipeline and the data files on first use (a second
or two), so importing this package stays cheap for modules that only need names.
"""
from typing import Optional

from risk.constants import CATEGORIES, LEVELS, POPULATIONS, RISK_INTENT


def assess(text: Optional[str]):
    from risk.detector import assess as _assess

    return _assess(text)


__all__ = ["CATEGORIES", "LEVELS", "POPULATIONS", "RISK_INTENT", "assess"]
