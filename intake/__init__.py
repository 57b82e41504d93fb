"""Intake record store: what the assistant collected for intake staff (never message text)."""
