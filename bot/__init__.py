"""Rasa-side code of the pre-therapy guidance assistant: channels, NLU components, policies."""
