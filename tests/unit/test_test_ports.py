"""The test stacks listen on free ports only, never on those of `make run`.

A port a stack listens on but a test stack does not set falls back to its fixed default
(scripts/env.py, scripts/stack.py) and the tests fail whenever the assistant runs on the same
machine. The names are read from those two files, so a server added there is caught here.
"""

from __future__ import annotations

import re

from scripts.env import PROJECT_DIR, assistant_env
from tests.browser.with_stack import stack_overrides as browser_overrides
from tests.e2e.conftest import stack_overrides as e2e_overrides
from tests.ports import STACK_PORTS, free_ports

PORT_NAME = re.compile(r"""["']([A-Z][A-Z_]*_PORT)["']""")


def ports_named_in(*paths: str) -> set[str]:
    return {
        name
        for path in paths
        for name in PORT_NAME.findall((PROJECT_DIR / path).read_text(encoding="utf-8"))
    }


def test_every_port_of_a_stack_is_listed():
    assert ports_named_in("scripts/stack.py", "scripts/env.py") <= set(STACK_PORTS)


def test_free_ports_are_distinct():
    for _ in range(20):
        ports = free_ports(tuple(f"P{i}_PORT" for i in range(12)))
        assert len(set(ports.values())) == 12


def fixed_defaults() -> set[str]:
    """The ports `make run` uses: the defaults of scripts/env.py and scripts/stack.py."""
    env = assistant_env()
    names = ports_named_in("scripts/stack.py", "scripts/env.py")
    text = (PROJECT_DIR / "scripts/stack.py").read_text(encoding="utf-8")
    stack_defaults = set(re.findall(r"""_PORT["'],\s*["'](\d+)["']""", text))
    return {env[n] for n in names if n in env} | stack_defaults


def test_the_e2e_and_browser_stacks_set_every_port(tmp_path):
    used_by_make_run = fixed_defaults()
    assert {"5005", "5055", "5056", "5066", "8080", "8090"} <= used_by_make_run
    for overrides in (e2e_overrides(tmp_path), browser_overrides(tmp_path)):
        assert set(STACK_PORTS) <= set(overrides)
        ports = [overrides[name] for name in STACK_PORTS]
        assert len(set(ports)) == len(ports)
        assert not set(ports) & used_by_make_run
        for name, value in overrides.items():  # no URL to a server of `make run` either
            assert not any(f":{port}" in value for port in used_by_make_run), (name, value)
