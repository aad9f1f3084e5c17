"""scripts/setup_venv.sh stops when pip fails, instead of marking the virtualenv ready.

The failing case that matters is an existing virtualenv where Rasa already imports (the check
after pip passes) and a changed requirement cannot be installed: the script used to ignore pip's
exit status (`| grep ... || true`) and write its "installed" stamp anyway. The throw-away
virtualenv here sees the project's packages through a .pth file, and the requirement file asks
for a version that does not exist, without the index (`--no-index`): pip fails at once, offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scripts.env import PROJECT_DIR


def make_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    site = next(path.glob("lib/python3*/site-packages"))
    own_site = next(p for p in sys.path if p.endswith("site-packages"))
    (site / "project-packages.pth").write_text(own_site + "\n", encoding="utf-8")
    return path


def run_setup(tmp_path: Path, requirement: str) -> subprocess.CompletedProcess:
    venv = make_venv(tmp_path / "venv")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--no-index\n{requirement}\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "VENV": str(venv),
        "REQUIREMENTS": str(requirements),
        "DEV_REQUIREMENTS": str(empty),
        "CONSTRAINTS": str(empty),
    }
    return subprocess.run(
        ["bash", str(PROJECT_DIR / "scripts" / "setup_venv.sh")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_failed_pip_install_fails_the_setup(tmp_path):
    result = run_setup(tmp_path, "rasa==0.0.0.0.1")
    assert result.returncode != 0, result.stdout + result.stderr
    assert "pip install failed" in result.stderr
    assert not (tmp_path / "venv" / ".installed").exists()


def test_a_satisfied_requirement_passes(tmp_path):
    """The same set-up with a requirement already met: the script succeeds (the test can pass)."""
    result = run_setup(tmp_path, "pytest")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "venv" / ".installed").exists()
