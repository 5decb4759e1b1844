"""Capture normalisation: raw inputs (HA events, MQTT messages, digital events) → ActivityEvent.

HA-free so that the integration's live capture and ``galatea replay`` share one code path.
"""
