"""The "Versions du modèle" page (console/teach.py): admins only, the learned data set with its
refusals, preparing a version (a real background job), publishing and rolling back (audited)."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import select

from console import create_app, models, versions
from console.security import create_account
from store.db import dispose_engines, get_engine
from tests.unit.test_console import FAST_N, NOW, PASSWORD, FakeRelay, login, make_db, post


@pytest.fixture()
def env(tmp_path):
    url = make_db(tmp_path)
    engine = get_engine(url)
    with engine.begin() as conn:
        create_account(conn, "admin", PASSWORD, "admin", FAST_N)
        create_account(conn, "agent", PASSWORD, "agent", FAST_N)
    delivered = tmp_path / "models" / "20261201-delivered.tar.gz"
    delivered.parent.mkdir()
    delivered.write_bytes(b"delivered")
    # Trained before the tests' clock: a publication at NOW is then newer than it.
    os.utime(delivered, (NOW.timestamp() - 86400,) * 2)
    # A pipeline Rasa refuses (an unknown component): the real job fails in seconds, not after
    # a whole training. (Rasa falls back to ./data and ./config.yml for paths that do not exist.)
    config = tmp_path / "config.yml"
    config.write_text("recipe: default.v1\nlanguage: fr\npipeline:\n  - name: NoSuchComponent\n")
    settings = versions.TrainingSettings(
        versions_dir=tmp_path / "versions", delivered_dir=delivered.parent, config=config
    )
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "test",
            "TESTING": True,
            "RELAY": FakeRelay(),
            "CLOCK": lambda: NOW,
            "SCRYPT_N": FAST_N,
            "MODEL_TRAINING": settings,
        }
    )
    yield app, engine, settings
    dispose_engines()


def labelled(engine, *items: tuple[str, str]) -> None:
    with engine.begin() as conn:
        for index, (text, intent) in enumerate(items):
            conn.execute(
                models.teach_items.insert().values(
                    event_id=index + 1,
                    sender_id="conv",
                    at=NOW.timestamp(),
                    text=text,
                    reason="fallback",
                    intent=intent,
                    out_of_scope=False,
                    agent="agent",
                    labelled_at=NOW,
                )  # fmt: skip
            )


def admin_client(app):
    client = app.test_client()
    login(client, "admin")
    return client


def audit_actions(engine) -> list[str]:
    with engine.connect() as conn:
        return [row.action for row in conn.execute(select(models.audit_log)).all()]


@pytest.mark.parametrize(
    "path", ["/teach/versions", "/teach/versions/prepare", "/teach/versions/rollback"]
)
def test_agents_cannot_manage_versions(env, path):
    app, _, _ = env
    client = app.test_client()
    login(client)
    response = client.get(path) if path == "/teach/versions" else post(client, path)
    assert response.status_code in (403, 405)
    assert post(client, "/teach/versions/1/publish").status_code == 403


def test_page_shows_examples_and_refusals(env):
    app, engine, _ = env
    labelled(
        engine,
        ("ma CAF a coupé mes APL", "ask_documents"),
        ("rappelez moi au 06 12 34 56 78", "ask_human"),
    )
    page = admin_client(app).get("/teach/versions").get_data(as_text=True)
    assert "Nouveaux exemples (1)" in page and "ma CAF a coupé mes APL" in page
    assert "contient des données personnelles" in page and "06 12 34" not in page
    assert "modèle livré (20261201-delivered.tar.gz)" in page
    assert "Préparer une nouvelle version" in page
    assert "Revenir à la version précédente" not in page


def test_prepare_starts_a_real_job_that_records_its_failure(env):
    app, engine, settings = env
    labelled(engine, ("ma CAF a coupé mes APL", "ask_documents"))
    client = admin_client(app)
    response = post(client, "/teach/versions/prepare")
    assert response.status_code == 302 and "done=prepared" in response.headers["Location"]
    learned = (settings.version_dir(1) / "nlu_learned.yml").read_text(encoding="utf-8")
    assert "ma CAF a coupé mes APL" in learned
    # A second click while it runs starts nothing.
    assert "done=busy" in post(client, "/teach/versions/prepare").headers["Location"]
    page = client.get("/teach/versions").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "Préparation en cours" in page
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            row = versions.get_version(conn, 1)
        if row.status == "failed":
            break
        time.sleep(1)
    # `rasa train` refuses the pipeline: the job says so and stops.
    assert (row.status, row.step) == ("failed", "L'entraînement a échoué")
    assert "rasa" in (settings.version_dir(1) / "job.log").read_text(encoding="utf-8")
    assert audit_actions(engine) == ["login", "model_prepare"]


# What a job writes for a candidate that passed (console/trainer.py `Job._run`).
REPORT = {
    "gates": [{"name": "nlu", "passed": True, "detail": ""}],
    "scores": {"intents": {"greet": {"f1": 1.0, "support": 3}}, "macro_f1": 1.0},
    "service_scores": {"intents": {"greet": {"f1": 0.5, "support": 3}}, "macro_f1": 0.5},
    "now_right": [{"text": "slt", "intent": "greet", "before": "goodbye", "after": "greet"}],
    "now_wrong": [{"text": "ciao", "intent": "goodbye", "before": "goodbye", "after": "greet"}],
}


def ready_version(engine, tmp_path, passed: bool = True, report: dict = REPORT) -> int:
    model = tmp_path / "versions" / "candidate.tar.gz"
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"candidate")
    with engine.begin() as conn:
        version_id = versions.create_version(conn, "admin", NOW, 1)
        versions.update_version(
            conn, version_id, status="ready", path=str(model), sha256=versions.file_sha256(model),
            gates_passed=passed, report=report,
        )  # fmt: skip
    return version_id


def test_publish_only_a_passed_version_then_roll_back(env, tmp_path):
    app, engine, settings = env
    good = ready_version(engine, tmp_path)
    failed = {"gates": [{"name": "stories", "passed": False, "detail": "Failed"}]}
    bad = ready_version(engine, tmp_path, passed=False, report=failed)
    client = admin_client(app)
    page = client.get("/teach/versions").get_data(as_text=True)
    assert "Dernière version prête : n° 2" in page and "Publication impossible" in page
    assert "done=not_publishable" in post(client, f"/teach/versions/{bad}/publish").location
    assert "done=published" in post(client, f"/teach/versions/{good}/publish").location
    with engine.connect() as conn:
        served = versions.served_model(conn, settings.delivered_dir)
    assert (served.version_id, served.actor) == (good, "admin")
    page = client.get("/teach/versions").get_data(as_text=True)
    assert "version n° 1, publiée par admin" in page and "Revenir à la version précédente" in page
    assert "done=rolled_back" in post(client, "/teach/versions/rollback").location
    with engine.connect() as conn:
        assert versions.served_model(conn, settings.delivered_dir).version_id is None
    assert audit_actions(engine) == ["login", "model_publish", "model_rollback"]


def test_the_candidate_beside_the_model_in_service(env, tmp_path):
    app, engine, _ = env
    ready_version(engine, tmp_path)
    page = admin_client(app).get("/teach/versions").get_data(as_text=True)
    assert "<td>0.500</td>" in page and "<td>1.000</td>" in page
    assert "désormais compris (1)" in page and "slt → <code>greet</code>" in page
    assert "désormais mal compris (1)" in page and "ciao → <code>greet</code>" in page
    assert ">Publier<" in page
