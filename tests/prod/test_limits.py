"""What nginx lets through, and what listens where."""

from __future__ import annotations

import requests

from franceservices.calendar.ics import visit_path
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import paris_now
from tests.prod.conftest import Person


def listening_addresses(port: int) -> set[str]:
    """Local addresses in LISTEN state on `port` (IPv4 and IPv6), from /proc/net/tcp*."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_rest_answers_through_nginx(prod):
    answer = Person(prod).text("quand passe le bus à Trélon ?")
    assert "Trélon" in answer


def test_only_loopback_listens(prod):
    cfg = prod.cfg
    ports = [cfg.http_port, cfg.console_http_port, *cfg.rasa_ports, cfg.action_port,
             cfg.guard_port, cfg.agent_api_port, cfg.console_port, cfg.web_port, cfg.pg_port,
             cfg.redis_port]  # fmt: skip
    for port in ports:
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on {port}"
        assert addresses == {"0100007F"}, f"port {port} listens on {addresses}"


def test_rasa_http_api_not_exposed(prod):
    base = prod.cfg.public_url
    for path in ("/", "/status", "/version", "/model", "/conversations/x/tracker",
                 "/conversations/x/messages", "/webhooks/../status"):  # fmt: skip
        assert requests.get(base + path, timeout=5).status_code == 404, path
    assert requests.put(f"{base}/model", json={}, timeout=5).status_code == 404


def test_rasa_http_api_needs_a_token_even_on_loopback(prod):
    rasa = f"http://127.0.0.1:{prod.cfg.rasa_ports[0]}"
    assert requests.get(f"{rasa}/conversations/x/tracker", timeout=5).status_code == 401


def test_request_body_limit(prod):
    big = {"sender": "prod-big", "message": "a" * 20_000}
    answer = requests.post(f"{prod.cfg.public_url}/webhooks/rest/webhook", json=big, timeout=10)
    assert answer.status_code == 413


def test_rate_limit_per_ip(prod):
    # rate 2/s with a burst of 10 per address: 30 requests at once from one address are cut.
    flood = Person(prod, source="127.0.4.1")
    health = f"{prod.cfg.public_url}/webhooks/rest/"
    statuses = [flood.session.get(health, timeout=5).status_code for _ in range(30)]
    assert statuses.count(429) >= 10, statuses
    assert statuses[0] == 200
    # Another address is not affected.
    other = Person(prod, source="127.0.4.2")
    assert other.session.get(health, timeout=5).status_code == 200


def test_the_staff_console_is_served_by_nginx_and_shows_nothing_logged_out(prod):
    console = prod.cfg.console_url
    assert requests.get(f"{console}/login", timeout=10).status_code == 200
    home = requests.get(f"{console}/", timeout=10, allow_redirects=False)
    assert home.status_code == 302 and "/login" in home.headers["Location"]
    # The console is not on the public entry, and the agents' API is on loopback only.
    assert requests.get(f"{prod.cfg.public_url}/login", timeout=5).status_code == 404
    agents = f"http://127.0.0.1:{prod.cfg.agent_api_port}"
    assert requests.get(f"{agents}/health", timeout=5).status_code == 200
    assert requests.get(f"{agents}/queue", timeout=5).status_code == 401


def test_an_agenda_link_is_served_through_nginx(prod):
    """ "Ajouter à mon agenda": the link the assistant gives (WEB_PUBLIC_URL, nginx's entry)
    answers the visit's .ics from the chat page server; GET only, its other pages not public."""
    (visit,) = get_calendar().next_visits("59601", paris_now(), 1, include_cancelled=False)
    link = prod.env["WEB_PUBLIC_URL"] + visit_path(visit.tour_id, visit.insee, visit.date)
    assert link.startswith(prod.cfg.public_url)
    answer = requests.get(link, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/calendar")
    assert requests.post(link, timeout=10).status_code == 403
    assert requests.get(f"{prod.cfg.public_url}/widget.js", timeout=5).status_code == 404
