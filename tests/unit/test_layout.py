"""The project's layout rules, read from the source with `ast` (STYLE.md, issue 12).

Arrows point one way: the domain core `franceservices/` imports no framework and no adapter;
the adapters import the core and the store, never `actions/` (the Rasa action server, which
nothing else uses). Every import counts: at the top of a module, inside a function (a lazy
import), relative, or a constant name given to `importlib.import_module`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
CORE = "franceservices"
CORE_MAY_NOT_IMPORT = frozenset(
    {
        # frameworks and drivers
        "rasa", "rasa_sdk", "sanic", "flask", "aiohttp", "sqlalchemy",
        # the project's adapters
        "store", "actions", "channels", "handoff", "console", "webchat", "nlu_components",
        "deploy", "rasa_patches",
    }
)  # fmt: skip
NEVER_IMPORT_ACTIONS = (
    "store", "handoff", "console", "channels", "webchat", "nlu_components", "deploy", "scripts",
    "bench", "rasa_patches",
)  # fmt: skip
MAX_CORE_MODULE_LINES = 500


def modules(package: str) -> list[Path]:
    return sorted((PROJECT_DIR / package).rglob("*.py"))


def dotted(path: Path) -> list[str]:
    """The module's dotted name as parts (a package's `__init__` is the package)."""
    parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the file at `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = dotted(path)
    package = name if path.name == "__init__.py" else name[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from . import actions`-like: the name may be a module
                if node.level and not node.module:
                    yield node.lineno, f"{target}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (
                    isinstance(node.func, ast.Name)
                    and node.func.id in ("import_module", "__import__")
                )
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def wrong_arrows(packages: tuple[str, ...], forbidden: frozenset[str]) -> list[str]:
    found = []
    for package in packages:
        for path in modules(package):
            for line, target in imported(path):
                top = target.split(".")[0]
                if top in forbidden:
                    where = path.relative_to(PROJECT_DIR)
                    found.append(f"{where}:{line}: {package} → {target}")
    return found


def test_the_core_imports_no_framework_and_no_adapter():
    arrows = wrong_arrows((CORE,), CORE_MAY_NOT_IMPORT)
    assert not arrows, (
        "franceservices/ is the Rasa-free core: it imports none of "
        f"{', '.join(sorted(CORE_MAY_NOT_IMPORT))}. Wrong-way imports:\n" + "\n".join(arrows)
    )


def test_no_adapter_imports_the_action_server():
    arrows = wrong_arrows(NEVER_IMPORT_ACTIONS, frozenset({"actions"}))
    assert not arrows, (
        "actions/ is Rasa's action server only: move what these modules need to "
        "franceservices/ (or store/). Wrong-way imports:\n" + "\n".join(arrows)
    )


def test_the_import_reader_sees_every_kind_of_import(tmp_path, monkeypatch):
    """The rules above hold only if the reader misses no import (a test of the test)."""
    package = tmp_path / "store" / "sub"
    package.mkdir(parents=True)
    (tmp_path / "store" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("from .. import actions\n")
    (package / "mod.py").write_text(
        "import os\n"
        "from actions.booking import x\n"
        "def later():\n"
        "    import actions.handoff\n"
        "    from ..engine import y\n"
        "    importlib.import_module('actions.services')\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PROJECT_DIR", tmp_path)
    assert list(imported(package / "mod.py")) == [
        (1, "os"),
        (2, "actions.booking"),
        (4, "actions.handoff"),
        (5, "store.engine"),
        (6, "actions.services"),
    ]
    assert list(imported(package / "__init__.py")) == [(1, "store"), (1, "store.actions")]
    arrows = wrong_arrows(("store",), frozenset({"actions", "store"}))
    assert "store/sub/mod.py:2: store → actions.booking" in arrows


def oversized_core_modules() -> list[str]:
    sizes = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in modules(CORE)}
    return [
        f"{path.relative_to(PROJECT_DIR)}: {lines} lines"
        for path, lines in sizes.items()
        if lines > MAX_CORE_MODULE_LINES
    ]


def test_every_core_module_holds_at_most_500_lines():
    over = oversized_core_modules()
    assert not over, (
        f"a module of franceservices/ holds one concern, in at most {MAX_CORE_MODULE_LINES} "
        "lines; split these:\n" + "\n".join(over)
    )


def test_the_size_check_names_the_module_over_the_limit(tmp_path, monkeypatch):
    core = tmp_path / CORE / "calendar"
    core.mkdir(parents=True)
    (core / "small.py").write_text("x = 1\n" * MAX_CORE_MODULE_LINES)
    (core / "big.py").write_text("x = 1\n" * (MAX_CORE_MODULE_LINES + 1))
    monkeypatch.setattr(sys.modules[__name__], "PROJECT_DIR", tmp_path)
    assert oversized_core_modules() == ["franceservices/calendar/big.py: 501 lines"]
