"""Importing the channels' texts and the production guards reads no file (issue 12).

rasa-sdk and Rasa import these modules at start, and so does every test that touches a channel:
domain.yml is read on the first call of the function that needs it, not when a module is
imported. Checked in a fresh interpreter, with every `open` of domain.yml counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]

COUNTING = """
import builtins, importlib, json, pathlib, sys
reads = []
real_open, real_path_open = builtins.open, pathlib.Path.open

def note(file):
    if str(file).endswith("domain.yml"):
        reads.append(f"{stage}: {file}")

def counting_open(file, *args, **kwargs):
    note(file)
    return real_open(file, *args, **kwargs)

def counting_path_open(self, *args, **kwargs):
    note(self)
    return real_path_open(self, *args, **kwargs)

builtins.open, pathlib.Path.open = counting_open, counting_path_open
stage = "import"
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(reads), flush=True)
stage = "first call"
from channels.texts import web_rate_limited
from deploy.action_guard import default_apology
web_rate_limited(); web_rate_limited(); default_apology(); default_apology()
print(json.dumps(reads))
"""


MODULES = (
    "channels.texts",
    "channels.limits",
    "channels.rest",
    "webchat.socketio_channel",
    "deploy.action_guard",
    "deploy.channels",
)


def test_importing_the_texts_and_the_guards_reads_no_domain_file():
    result = subprocess.run(
        [sys.executable, "-c", COUNTING, *MODULES],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-2000:]
    assert json.loads(lines[0]) == []  # the reads made by importing the modules
    assert result.returncode == 0, result.stderr[-2000:]
    # Read on the first call, once for both texts (franceservices/wording.py keeps the parsed
    # domain): the counting above does see the read.
    assert [r.split(":")[0] for r in json.loads(lines[-1])] == ["first call"]
