"""The console's "Démarches à revoir" page: the same list as `make check-sources`, same day."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from console import create_app
from console.security import create_account
from franceservices.documents.loader import DEFAULT_PROCEDURES_PATH
from scripts.check_sources import report
from store.db import dispose_engines, get_engine
from tests.unit.test_console import FAST_N, PASSWORD, FakeRelay, login, make_db

UTC = dt.timezone.utc
# 23:30 UTC on 1 December is 00:30 on 2 December in Paris: the shipped file has cases read on
# 2 December 2026, which the loader refuses on any earlier day (a date in the future).
NOW = dt.datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
TODAY = dt.date(2026, 12, 2)
CASE_ROW = re.compile(r'<tr id="case-([a-z0-9_]+\.[a-z0-9_]+)">')
REPORT_CASE = re.compile(r"^  ([a-z0-9_]+\.[a-z0-9_]+): checked_on (\d{4}-\d{2}-\d{2}) ")


def make_app(tmp_path: Path, procedures: Path | None = None):
    url = make_db(tmp_path)
    with get_engine(url).begin() as conn:
        create_account(conn, "admin", PASSWORD, "admin", FAST_N)
        create_account(conn, "agent", PASSWORD, "agent", FAST_N)
    config = {
        "DATABASE_URL": url,
        "SECRET_KEY": "test",
        "TESTING": True,
        "RELAY": FakeRelay(),
        "CLOCK": lambda: NOW,
        "SCRYPT_N": FAST_N,
    }
    if procedures is not None:
        config["PROCEDURES_PATH"] = str(procedures)
    return create_app(config)


@pytest.fixture()
def app(tmp_path):
    yield make_app(tmp_path)
    dispose_engines()


def page(client) -> str:
    response = client.get("/freshness")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def reported_cases(path: Path) -> list[str]:
    code, lines = report(path, TODAY)
    assert code == 0, lines
    return [m.group(1) for m in map(REPORT_CASE.match, lines) if m]


def test_logged_out_is_sent_to_login(app):
    response = app.test_client().get("/freshness")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_staff_see_an_old_case_with_its_sources_and_date_and_not_a_fresh_one(app, who):
    client = app.test_client()
    login(client, who)
    html = page(client)
    # Read on 21 August 2019 (reference/procedures.yml): far older than 6 months.
    assert 'id="case-driving_licence.damaged"' in html
    assert '<time datetime="2019-08-21">21/08/2019</time>' in html
    assert 'href="https://guide-administratif.fr/transports-mobilite/dossier/F34118"' in html
    assert "Vérifiées il y a plus de 6 mois" in html
    assert "Informations lues avant le 02/06/2026" in html  # 2 December - 6 months, Paris day
    # Read on 1 December 2026: fresh.
    assert 'id="case-passport.adult_first"' not in html
    assert 'href="/freshness"' in html  # the menu link


def test_the_list_is_check_sources_list_for_the_same_day_oldest_first(app):
    client = app.test_client()
    login(client)
    html = page(client)
    shown = CASE_ROW.findall(html)
    expected = reported_cases(DEFAULT_PROCEDURES_PATH)
    assert len(expected) > 10
    assert shown == expected
    dates = re.findall(r'<time datetime="(\d{4}-\d{2}-\d{2})">', html)
    assert dates == sorted(dates) and len(dates) == len(shown)
    assert f"({len(expected)})" in html
    assert "Liens à corriger (0)" in html  # check_sources: "0 link(s) to fix"


def test_links_on_a_moved_domain_are_listed_as_check_sources_lists_them(tmp_path):
    text = DEFAULT_PROCEDURES_PATH.read_text(encoding="utf-8")
    old = "https://www.service-public.gouv.fr/particuliers/vosdroits/F1342"
    assert old in text
    moved = tmp_path / "procedures.yml"
    moved.write_text(
        text.replace(old, "https://www.service-public.fr/particuliers/vosdroits/F1342")
    )
    code, lines = report(moved, TODAY)
    assert code == 0, lines
    to_fix = [line.strip() for line in lines if "service-public.fr/particuliers" in line]
    assert to_fix
    app = make_app(tmp_path, moved)
    try:
        client = app.test_client()
        login(client)
        html = page(client)
    finally:
        dispose_engines()
    assert f"Liens à corriger ({len(to_fix)})" in html
    assert html.count('<tr class="link-problem">') == len(to_fix)
    for line in to_fix:
        where = line.split(":", 1)[0]
        assert f"<code>{where}</code>" in html
    assert "Ancien domaine : utiliser https://www.service-public.gouv.fr/" in html
    assert CASE_ROW.findall(html) == reported_cases(moved)


def test_a_malformed_file_shows_its_errors_as_check_sources_prints_them(tmp_path):
    broken = tmp_path / "procedures.yml"
    broken.write_text("procedures: []\n", encoding="utf-8")
    code, lines = report(broken, TODAY)
    assert code == 1 and lines
    app = make_app(tmp_path, broken)
    try:
        client = app.test_client()
        login(client)
        html = page(client)
    finally:
        dispose_engines()
    assert "Le fichier ne se charge pas" in html
    for line in lines:
        assert line.replace("'", "&#39;") in html
    assert "Vérifiées il y a plus de" not in html
