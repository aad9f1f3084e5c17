"""The action server never starts on invalid reference data."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from scripts.stack import free_port

PROJECT = Path(__file__).resolve().parents[2]


def test_action_server_refuses_to_start_on_a_broken_calendar(tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(PROJECT / "reference", reference)
    tours = reference / "tours.yml"
    lines = tours.read_text(encoding="utf-8").splitlines()
    week_line = next(i for i, line in enumerate(lines) if line.strip().startswith("week:"))
    lines[week_line] = lines[week_line].split("week:")[0] + "week: 7"
    tours.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-m", "scripts.action_server", "--port", str(free_port())],
        cwd=PROJECT,
        env={**os.environ, "FS_REFERENCE_DIR": str(reference)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"{tours}:{week_line + 1}:" in result.stderr
    assert "did not start" in result.stderr
