"""Free loopback ports for the stacks the tests start (tests/e2e, tests/browser).

Every server of a test stack gets a port from here, never a default of scripts/env.py or
scripts/stack.py (5005, 5055, 5056, 5066, 8080, 8090): those are what `make run` listens on, and
a test stack on them fails whenever the assistant is running on the same machine.
"""

from __future__ import annotations

import contextlib
import socket

# Every port a scripts.stack.Stack listens on (tests/unit/test_test_ports.py reads stack.py and
# env.py to keep this list complete).
STACK_PORTS = (
    "RASA_PORT",
    "ACTION_PORT",
    "GUARD_PORT",
    "WEB_PORT",
    "AGENT_API_PORT",
    "CONSOLE_PORT",
    "MODEL_SERVER_PORT",
)


def free_ports(names: tuple[str, ...] = STACK_PORTS) -> dict[str, str]:
    """One distinct free loopback port per name, as strings for an environment.

    The kernel picks each one (bind to port 0); every socket stays open until all are picked, so
    two names never get the same port.
    """
    with contextlib.ExitStack() as held:
        ports = {}
        for name in names:
            sock = held.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports[name] = str(sock.getsockname()[1])
        return ports


def stack_urls(ports: dict[str, str]) -> dict[str, str]:
    """The URLs the servers find each other by, on `ports`.

    Set explicitly: otherwise a `.env` written for `make run` (AGENT_API_URL, RASA_PUBLIC_URL ...)
    would point the test stack at the servers of `make run`.
    """
    return {
        "RASA_URL": f"http://127.0.0.1:{ports['RASA_PORT']}",
        "RASA_PUBLIC_URL": f"http://127.0.0.1:{ports['RASA_PORT']}",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['GUARD_PORT']}/webhook",
        "AGENT_API_URL": f"http://127.0.0.1:{ports['AGENT_API_PORT']}",
        "MODEL_SERVER_URL": f"http://127.0.0.1:{ports['MODEL_SERVER_PORT']}/models/current",
        # The chat page server, where the assistant's "ajouter à mon agenda" links point.
        "WEB_PUBLIC_URL": f"http://127.0.0.1:{ports['WEB_PORT']}",
    }
