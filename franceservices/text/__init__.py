"""Text of the domain (no Rasa import)."""
