"""The web server of the widget: routes, content types, security headers."""

from __future__ import annotations

from wsgiref.util import setup_testing_defaults

import pytest

from webchat.server import FILES, WebConfig, create_app, socket_origins


def get(path: str, method: str = "GET", config: WebConfig | None = None):
    app = create_app(config or WebConfig(rasa_public_url="http://127.0.0.1:5005"))
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method}
    setup_testing_defaults(environ)
    captured = {}

    def start_response(status, headers):
        captured["status"] = status
        captured["headers"] = dict(headers)

    body = b"".join(app(environ, start_response))
    return int(captured["status"].split()[0]), captured["headers"], body


def test_demo_page_embeds_the_widget_with_one_script_tag():
    status, headers, body = get("/")
    page = body.decode()
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.count("<script") == 1
    assert '<script src="/widget.js" data-server="http://127.0.0.1:5005"' in page
    assert '<html lang="fr">' in page


def test_rasa_public_url_from_the_environment_is_escaped():
    config = WebConfig.from_env({"RASA_PUBLIC_URL": 'https://chat.lenord.fr/"><x'})
    page = get("/", config=config)[2].decode()
    assert 'data-server="https://chat.lenord.fr/&quot;&gt;&lt;x"' in page


def test_rasa_public_url_defaults_to_the_local_rasa_port():
    assert WebConfig.from_env({"RASA_PORT": "5999"}).rasa_public_url == "http://127.0.0.1:5999"


def test_csp_allows_only_our_scripts_and_the_socket_server():
    headers = get("/")[1]
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "connect-src 'self' http://127.0.0.1:5005 ws://127.0.0.1:5005;" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert socket_origins("https://chat.lenord.fr") == "https://chat.lenord.fr wss://chat.lenord.fr"


@pytest.mark.parametrize("path", sorted(FILES))
def test_every_widget_file_is_served(path):
    status, headers, body = get(path)
    assert status == 200 and body
    if path.endswith(".js"):
        assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    if path.endswith(".css"):
        assert headers["Content-Type"].startswith("text/css")


def test_the_socket_io_client_is_vendored_not_from_a_cdn():
    body = get("/vendor/socket.io.min.js")[2]
    assert body.startswith(b"/*!\n * Socket.IO v4.")
    widget = get("/widget.js")[2].decode()
    assert "vendor/socket.io.min.js" in widget
    assert "cdn" not in widget.lower()


@pytest.mark.parametrize("path", ["/../server.py", "/server.py", "/vendor/", "/static/widget.js"])
def test_nothing_else_is_served(path):
    assert get(path)[0] == 404


def test_only_get_and_head():
    assert get("/widget.js", method="POST")[0] == 405
    status, _, body = get("/widget.js", method="HEAD")
    assert status == 200 and body == b""


def test_privacy_notice_says_what_how_long_and_erasure():
    text = get("/confidentialite.html")[2].decode()
    for wanted in ("6 mois", "effacer", "sécurité sociale", "France Services", 'lang="fr"'):
        assert wanted in text
