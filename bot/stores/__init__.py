"""Rasa-side stores for the scale-out path (several Rasa servers, one conversation)."""
