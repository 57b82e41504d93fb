"""Rasa event brokers that carry risk events to the intake side (see risk_events.py)."""
