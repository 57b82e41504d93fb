"""Embeddable web chat widget for the assistant, its demo page and a small static server."""
