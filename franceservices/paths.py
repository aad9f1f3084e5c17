"""Where the project's files are, from this file's location (never the current directory).

`FS_REFERENCE_DIR` points the assistant at another copy of the reference data (for example a
calendar staff want to try before publishing it); by default it is the project's reference/.
"""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
REFERENCE_DIR = Path(os.environ.get("FS_REFERENCE_DIR") or PROJECT_DIR / "reference").resolve()
