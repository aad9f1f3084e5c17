"""The project's changes to Rasa's internals, guarded by the pinned Rasa version (internals.py)."""
