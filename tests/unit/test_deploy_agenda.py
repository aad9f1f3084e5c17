"""The production profile serves the "ajouter à mon agenda" links (issue 15): deploy/prod.py
starts the chat page server (webchat/server.py) on loopback, nginx proxies GET /agenda/ to it,
and the links the assistant gives start with the public nginx address (WEB_PUBLIC_URL)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import requests

from deploy.prod import ProdConfig, ProdStack, render_nginx
from franceservices.calendar.ics import visit_path
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import paris_now
from scripts.env import PROJECT_DIR

TRELON = "59601"
MODEL = next(iter(sorted((PROJECT_DIR / "models").glob("*.tar.gz"))), PROJECT_DIR / "models")


def location(conf: str, prefix: str) -> str:
    """The body of `location <prefix> { ... }` (one level of nested braces)."""
    match = re.search(r"location " + re.escape(prefix) + r" \{((?:[^{}]|\{[^{}]*\})*)\}", conf)
    assert match, f"no location {prefix} in nginx.conf"
    return match.group(1)


def test_nginx_proxies_only_get_of_agenda_to_the_chat_page_server(tmp_path: Path):
    cfg = ProdConfig.free_ports(tmp_path)
    agenda = location(render_nginx(cfg), "/agenda/")
    assert f"proxy_pass http://127.0.0.1:{cfg.web_port};" in agenda
    assert re.search(r"limit_except GET \{\s*deny all;\s*\}", agenda)  # HEAD comes with GET
    assert "limit_req zone=per_ip" in agenda
    # The rest of the chat page server (its demo page) stays off the public entry.
    assert "return 404;" in location(render_nginx(cfg), "/")


def test_the_profile_runs_the_chat_page_server_and_links_to_nginx(tmp_path, monkeypatch):
    monkeypatch.delenv("WEB_PUBLIC_URL", raising=False)
    cfg = ProdConfig.free_ports(tmp_path)
    stack = ProdStack.create_prod(cfg, model=MODEL)
    assert stack.env["WEB_PORT"] == str(cfg.web_port)
    assert stack.env["BIND_HOST"] == "127.0.0.1"
    assert stack.env["WEB_PUBLIC_URL"] == cfg.public_url
    # An operator's public address (TLS in front of nginx) is kept.
    monkeypatch.setenv("WEB_PUBLIC_URL", "https://assistant.example.fr")
    stack = ProdStack.create_prod(cfg, model=MODEL)
    assert stack.env["WEB_PUBLIC_URL"] == "https://assistant.example.fr"
    assert ProdConfig.from_env({"PROD_WEB_PORT": "5999"}).web_port == 5999


@pytest.mark.skipif(os.geteuid() != 0, reason="nginx's workers run as www-data: needs root")
@pytest.mark.skipif(not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists(),
                    reason="nginx is not installed")  # fmt: skip
def test_an_agenda_link_is_served_through_nginx(monkeypatch):
    monkeypatch.delenv("WEB_PUBLIC_URL", raising=False)
    # Inside the project, as tests/prod does: www-data must reach nginx's directories.
    root = PROJECT_DIR / "var" / f"prod-unit-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    cfg = ProdConfig.free_ports(root)
    stack = ProdStack.create_prod(cfg, model=MODEL)
    # The store on SQLite (the profile's PostgreSQL is not started here), migrated as in prod.
    stack.env["DATABASE_URL"] = f"sqlite:///{root / 'store.db'}"
    try:
        stack.migrate()
        stack.start_web()
        stack.start_nginx()
        (visit,) = get_calendar().next_visits(TRELON, paris_now(), 1, include_cancelled=False)
        link = stack.env["WEB_PUBLIC_URL"] + visit_path(visit.tour_id, visit.insee, visit.date)
        answer = requests.get(link, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"].startswith("text/calendar")
        assert "BEGIN:VEVENT" in answer.text
        assert requests.post(link, timeout=10).status_code == 403
        # Only /agenda/: the demo page of the same server is not public.
        assert requests.get(cfg.public_url + "/", timeout=10).status_code == 404
        assert requests.get(cfg.public_url + "/widget.js", timeout=10).status_code == 404
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)
