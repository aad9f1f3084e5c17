"""A plain local chat page for `make run`: serves webchat/static/ and relays messages to Rasa.

The page posts to /api/message on this server, which forwards to Rasa's REST channel, so the
browser never needs to reach the Rasa server directly (no CORS to open). The channels issue
replaces this with the real embeddable widget over socket.io.
"""

from __future__ import annotations

import json
import logging
import os
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY = 20_000
logger = logging.getLogger("webchat")


class ChatHandler(SimpleHTTPRequestHandler):
    """Static files, plus POST /api/message relayed to Rasa."""

    rasa_url = "http://127.0.0.1:5005"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, directory=str(STATIC_DIR), **kwargs)

    def do_POST(self) -> None:  # noqa: N802 - name fixed by http.server
        if self.path != "/api/message":
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "message trop long"})
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            sender, message = str(body["sender"])[:64], str(body.get("message", ""))
        except (ValueError, KeyError, TypeError):
            self._json(HTTPStatus.BAD_REQUEST, {"error": "requête invalide"})
            return
        try:
            answer = requests.post(
                f"{self.rasa_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": message},
                timeout=30,
            )
            answer.raise_for_status()
            self._json(HTTPStatus.OK, answer.json())
        except requests.RequestException as error:
            logger.error("Rasa server unreachable: %s", error)
            self._json(
                HTTPStatus.BAD_GATEWAY,
                [
                    {
                        "text": (
                            "L'assistant ne répond pas pour le moment. Réessayez dans "
                            "quelques minutes, ou appelez une France Services du Département."
                        )
                    }
                ],
            )

    def _json(self, status: HTTPStatus, payload: object) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args: object) -> None:
        logger.debug(fmt, *args)


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    ChatHandler.rasa_url = os.environ.get("RASA_URL", ChatHandler.rasa_url)
    host = os.environ.get("BIND_HOST", "127.0.0.1")
    port = int(os.environ.get("WEB_PORT", "8080"))
    server = ThreadingHTTPServer((host, port), ChatHandler)
    logger.info("Chat page on http://%s:%d", host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
