"""Places of the domain (no Rasa import)."""
