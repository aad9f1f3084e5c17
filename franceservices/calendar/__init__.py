"""Calendar of the domain (no Rasa import)."""
