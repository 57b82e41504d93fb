"""Rasa-side code of the pre-therapy guidance assistant: channels, NLU components, policies, stores.

Rasa imports this package (channels, components, stores) in every process that serves or trains
the assistant; from then on its logs carry no personal data (privacy/logs.py).
"""
from privacy.logs import install as _scrub_logs

_scrub_logs()
