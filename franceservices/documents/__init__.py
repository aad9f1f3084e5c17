"""Documents of the domain (no Rasa import)."""
