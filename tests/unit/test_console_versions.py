"""Model versions (console/versions.py) and the model server (console/model_server.py): gates,
publication and rollback, the ETag served over real HTTP and Rasa's own pulling code."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import threading
import uuid
from pathlib import Path

import pytest
import requests
from waitress.server import create_server

from console import models, versions
from console.model_server import create_app, etag_matches
from store.cli import upgrade
from store.db import dispose_engines, get_engine

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture()
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'console.db'}"
    upgrade(url)
    yield url, get_engine(url)
    dispose_engines()


def model_file(directory: Path, name: str, content: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(content)
    return path


def delivered_file(directory: Path, content: bytes, age: dt.timedelta = dt.timedelta(days=1)):
    """The model `make train` left in models/, written `age` before the tests' clock."""
    path = model_file(directory, "20261201-delivered.tar.gz", content)
    moment = (NOW - age).timestamp()
    os.utime(path, (moment, moment))
    return path


def ready_version(conn, path: Path, passed: bool = True) -> int:
    version_id = versions.create_version(conn, "marie", NOW, examples=3)
    versions.update_version(
        conn, version_id, status="ready", path=str(path), sha256=versions.file_sha256(path),
        gates_passed=passed, report={"gates": [{"name": "nlu", "passed": passed}]},
    )  # fmt: skip
    return version_id


def test_settings_round_trip_through_the_environment(tmp_path):
    settings = versions.TrainingSettings(
        versions_dir=tmp_path / "v",
        data=(tmp_path / "a.yml", tmp_path / "b.yml"),
        nlu_tests=(tmp_path / "t.yml",),
    )
    assert versions.TrainingSettings.from_env(settings.to_env()) == settings
    assert versions.TrainingSettings.from_env({}).data == (versions.PROJECT_DIR / "data",)


def test_gates_and_publishable():
    assert versions.gates_passed(
        [{"name": "nlu", "passed": True}, {"name": "core", "passed": True}]
    )
    assert not versions.gates_passed([{"name": "nlu", "passed": True}, {"name": "core"}])
    assert not versions.gates_passed([{"name": "nlu", "passed": False}])
    assert not versions.gates_passed([])


def test_scores_and_changes_from_rasa_reports(tmp_path):
    report = {
        "greet": {"precision": 1, "recall": 1, "f1-score": 1.0, "support": 12},
        "ask_human": {"precision": 1, "recall": 0.5, "f1-score": 0.66666, "support": 4},
        "accuracy": 0.9,
        "macro avg": {"f1-score": 0.8, "support": 16},
    }
    assert versions.intent_scores(report) == {
        "ask_human": {"f1": 0.6667, "support": 4},
        "greet": {"f1": 1.0, "support": 12},
    }

    def write(directory: Path, successes: list, errors: list) -> Path:
        directory.mkdir()
        for name, entries in (("intent_successes.json", successes), ("intent_errors.json", errors)):
            rows = [
                {"text": t, "intent": i, "intent_prediction": {"name": p, "confidence": 0.9}}
                for t, i, p in entries
            ]
            (directory / name).write_text(json.dumps(rows), encoding="utf-8")
        return directory

    service = versions.predictions(
        write(
            tmp_path / "s", [("bonjour", "greet", "greet")], [("un humain", "ask_human", "greet")]
        )
    )
    candidate = versions.predictions(
        write(
            tmp_path / "c", [("un humain", "ask_human", "ask_human")], [("bonjour", "greet", "faq")]
        )
    )
    now_right, now_wrong = versions.changes(service, candidate)
    assert now_right == [
        {"text": "un humain", "intent": "ask_human", "before": "greet", "after": "ask_human"}
    ]
    assert now_wrong == [{"text": "bonjour", "intent": "greet", "before": "greet", "after": "faq"}]


def test_publish_refuses_a_failed_or_unfinished_candidate(db, tmp_path):
    _, engine = db
    path = model_file(tmp_path / "v", "candidate.tar.gz", b"candidate")
    with engine.begin() as conn:
        failed = ready_version(conn, path, passed=False)
        training = versions.create_version(conn, "marie", NOW, examples=1)
        for version_id in (failed, training, 999):
            with pytest.raises(versions.NotPublishable):
                versions.publish(conn, version_id, "marie", NOW)
        assert versions.publications(conn) == []


def test_publish_then_rollback_to_the_delivered_model(db, tmp_path):
    _, engine = db
    delivered = delivered_file(tmp_path / "models", b"delivered")
    first = model_file(tmp_path / "v" / "1", "candidate.tar.gz", b"first")
    second = model_file(tmp_path / "v" / "2", "candidate.tar.gz", b"second")
    with engine.begin() as conn:
        assert versions.served_model(conn, delivered.parent).path == delivered
        with pytest.raises(versions.NotPublishable):
            versions.rollback(conn, "marie", NOW, delivered.parent)
        one, two = ready_version(conn, first), ready_version(conn, second)
        versions.publish(conn, one, "marie", NOW)
        versions.publish(conn, two, "paul", NOW + dt.timedelta(hours=1))
        assert versions.served_model(conn, delivered.parent).version_id == two
        versions.rollback(conn, "paul", NOW + dt.timedelta(hours=2), delivered.parent)
        served = versions.served_model(conn, delivered.parent)
        assert (served.version_id, served.path, served.actor) == (one, first, "paul")
        versions.rollback(conn, "paul", NOW + dt.timedelta(hours=3), delivered.parent)
        assert versions.served_model(conn, delivered.parent).path == second
        history = [(r.action, r.version_id, r.actor) for r in versions.publications(conn)]
    # A rollback goes back to the model served just before the current one: twice in a row
    # undoes the first (version 1, then version 2 again).
    assert history[1:] == [("rollback", one, "paul"), ("publish", two, "paul"),
                           ("publish", one, "marie")]  # fmt: skip


def test_rollback_reaches_the_delivered_model(db, tmp_path):
    _, engine = db
    delivered = delivered_file(tmp_path / "models", b"delivered")
    first = model_file(tmp_path / "v" / "1", "candidate.tar.gz", b"first")
    with engine.begin() as conn:
        versions.publish(conn, ready_version(conn, first), "marie", NOW)
        versions.rollback(conn, "marie", NOW, delivered.parent)
        served = versions.served_model(conn, delivered.parent)
        assert (served.path, served.version_id) == (delivered, None)
        rows = conn.execute(models.model_publications.select()).all()
    assert [row.action for row in rows] == ["publish", "rollback"]


def test_a_model_trained_after_the_last_publication_is_served(db, tmp_path):
    _, engine = db
    first = model_file(tmp_path / "v" / "1", "candidate.tar.gz", b"first")
    with engine.begin() as conn:
        versions.publish(conn, ready_version(conn, first), "marie", NOW)
        delivered = delivered_file(tmp_path / "models", b"new", age=-dt.timedelta(hours=1))
        served = versions.served_model(conn, delivered.parent)
        assert (served.path, served.version_id) == (delivered, None)
        # Going back from it reaches the last publication; a file given alone is the delivery.
        assert versions.previous_model(conn, delivered.parent).path == first
        assert versions.served_model(conn, delivered).path == delivered


def test_a_dead_job_is_marked_failed(db):
    _, engine = db
    with engine.begin() as conn:
        version_id = versions.create_version(conn, "marie", NOW, examples=1)
        versions.update_version(conn, version_id, status="training", pid=2**22 + 12345)
        assert versions.running_version(conn, NOW) is None
        assert versions.get_version(conn, version_id).status == "failed"


def test_etag_matching():
    assert etag_matches('"abc"', "abc") and etag_matches("abc", "abc")
    assert etag_matches('W/"x", "abc"', "abc") and etag_matches("*", "abc")
    assert not etag_matches("", "abc") and not etag_matches('"abd"', "abc")


@pytest.fixture()
def served(db, tmp_path):
    url, engine = db
    delivered = delivered_file(tmp_path / "models", b"delivered" * 1000)
    server = create_server(create_app(url, delivered.parent), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", engine, delivered, tmp_path
    server.close()


def test_model_server_serves_the_model_with_its_etag(served):
    base, engine, delivered, tmp_path = served
    assert requests.get(f"{base}/health", timeout=5).status_code == 200
    assert requests.get(f"{base}/other", timeout=5).status_code == 404
    first = requests.get(f"{base}/models/current", timeout=5)
    assert first.status_code == 200 and first.content == delivered.read_bytes()
    assert first.headers["ETag"] == f'"{versions.file_sha256(delivered)}"'
    assert first.headers["filename"] == delivered.name
    again = requests.get(
        f"{base}/models/current", headers={"If-None-Match": first.headers["ETag"]}, timeout=5
    )
    assert again.status_code == 304 and again.content == b""
    candidate = model_file(tmp_path / "v" / "1", "candidate.tar.gz", b"candidate")
    with engine.begin() as conn:
        versions.publish(conn, ready_version(conn, candidate), "marie", NOW)
    changed = requests.get(
        f"{base}/models/current", headers={"If-None-Match": first.headers["ETag"]}, timeout=5
    )
    assert changed.status_code == 200 and changed.content == b"candidate"
    assert changed.headers["ETag"] == f'"{versions.file_sha256(candidate)}"'


def test_rasa_pulls_from_it_with_its_own_code(served):
    """rasa.core.agent's pulling function: a new model once, then nothing until a publication."""
    from rasa.core.agent import _pull_model_and_fingerprint
    from rasa.utils.endpoints import EndpointConfig

    base, engine, delivered, tmp_path = served
    endpoint = EndpointConfig(url=f"{base}/models/current", wait_time_between_pulls=10)

    def pull(fingerprint: str, target: Path) -> str | None:
        target.mkdir(parents=True, exist_ok=True)
        return asyncio.run(_pull_model_and_fingerprint(endpoint, fingerprint, str(target)))

    # A fresh agent's fingerprint is a random hex (Agent._set_fingerprint), never the ETag.
    etag = pull(uuid.uuid4().hex, tmp_path / "pull1")
    assert (tmp_path / "pull1" / delivered.name).read_bytes() == delivered.read_bytes()
    assert pull(etag, tmp_path / "pull2") is None
    candidate = model_file(tmp_path / "v" / "1", "candidate.tar.gz", b"candidate")
    with engine.begin() as conn:
        versions.publish(conn, ready_version(conn, candidate), "marie", NOW)
    assert pull(etag, tmp_path / "pull3") not in (None, etag)
    assert (tmp_path / "pull3" / "candidate.tar.gz").read_bytes() == b"candidate"
