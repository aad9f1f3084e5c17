"""Where the project's files are, from this file's location (never the current directory)."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
REFERENCE_DIR = PROJECT_DIR / "reference"
