"""Dates of the domain (no Rasa import)."""
