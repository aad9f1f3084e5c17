"""Booking of the domain (no Rasa import)."""
