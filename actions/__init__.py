"""Action server of the France Services du Nord assistant.

rasa-sdk imports every module of this package at start: keep imports light and load data lazily.
The business logic lives in plain modules (no Rasa import) that are unit-tested directly; the
modules defining `Action` classes stay thin.
"""
