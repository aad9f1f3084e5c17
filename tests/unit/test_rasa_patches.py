"""The patches of Rasa's internals run on the pinned Rasa only (rasa_patches/internals.py)."""

from __future__ import annotations

import pytest
import rasa.version

from handoff.rasa_run import screen_command
from rasa_patches import internals

OTHER_RASA = "3.7.0"


def test_the_pin_is_read_from_requirements_and_is_the_installed_rasa(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("rasa-sdk==3.6.2\nrasa==9.9.9  # the one\nrasa-pro==1\n")
    assert internals.pinned_rasa_version(requirements) == "9.9.9"
    requirements.write_text("rasa-sdk==3.6.2\n")
    with pytest.raises(internals.UnsupportedRasaVersion, match="no 'rasa==' pin"):
        internals.pinned_rasa_version(requirements)
    assert internals.pinned_rasa_version() == internals.installed_rasa_version()
    internals.require_pinned_rasa()  # this environment: no error


def replaced_attributes() -> dict[str, object]:
    """What the patches replace, as it is now in this process."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.lock_store import LockStore
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import SQLTrackerStore
    from sanic_jwt.authentication import Authentication

    return {
        "validate": RemoteAction.__dict__["_validate_action_result"],
        "retrieve": SQLTrackerStore.__dict__["retrieve"],
        "init": SQLTrackerStore.__dict__["__init__"],
        "handle": MessageProcessor.__dict__["_handle_message_with_tracker"],
        "decode": Authentication.__dict__["_decode"],
        "tracker store": Agent.__dict__["_create_tracker_store"],
        "lock": LockStore.__dict__["_acquire_lock"],
    }


PATCHES = [
    internals.install_action_response_validator,
    internals.install_stored_event_count,
    internals.install_project_sqlite_engine,
    lambda: internals.install_command_guard(screen_command),
    internals.install_jwt_guard,
    internals.install_strict_tracker_store,
    internals.install_lock_renewal,
]


@pytest.mark.parametrize("install", PATCHES)
def test_every_patch_refuses_another_rasa_and_changes_nothing(install, monkeypatch):
    before = replaced_attributes()
    monkeypatch.setattr(rasa.version, "__version__", OTHER_RASA)
    with pytest.raises(internals.UnsupportedRasaVersion) as refused:
        install()
    message = str(refused.value)
    pinned = internals.pinned_rasa_version()
    assert f"Rasa {OTHER_RASA} is installed" in message
    assert f"written for Rasa {pinned} only" in message and "refusing to start" in message
    assert replaced_attributes() == before


@pytest.mark.parametrize("launcher", ["handoff.rasa_run", "deploy.rasa_prod"])
def test_the_launchers_exit_with_the_message_before_rasa_starts(launcher, monkeypatch):
    import importlib
    import sys

    import rasa.__main__

    def rasa_main():
        raise AssertionError("Rasa was started")

    monkeypatch.setattr(rasa.__main__, "main", rasa_main)
    monkeypatch.setattr(sys, "argv", ["rasa_run", "run", "--port", "0"])
    monkeypatch.setenv("RASA_JWT_SECRET", "not-used")
    before = replaced_attributes()
    monkeypatch.setattr(rasa.version, "__version__", OTHER_RASA)
    with pytest.raises(SystemExit) as exited:
        importlib.import_module(launcher).main()
    assert str(exited.value.code).startswith(f"error: Rasa {OTHER_RASA} is installed")
    assert replaced_attributes() == before
