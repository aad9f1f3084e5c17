"""Freshness report of reference/procedures.yml: what staff should re-check.

Run by `make check-sources` and `make test` (`.venv/bin/python -m scripts.check_sources`). Lists:
- the cases whose `checked_on` is older than 6 months (their sources should be read again);
- the links given to citizens that are not on an official site, or still on the old
  www.service-public.fr domain (the site moved to service-public.gouv.fr on 1 October 2025).

The exit code is 0 when the file loads, whatever the report says (ageing is expected, it is a
to-do list, not a failure), and 1 when the file is malformed (each problem printed as
`file:line: reason`). The age logic lives in `franceservices.documents.freshness.is_older_than`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from franceservices.data_errors import DataErrors, DataFileError
from franceservices.dates.clock import paris_today
from franceservices.documents.freshness import link_problems, stale_cases
from franceservices.documents.loader import DEFAULT_PROCEDURES_PATH, parse_catalogue
from franceservices.policy import get_policy


def report(path: Path, today: dt.date) -> tuple[int, list[str]]:
    """The exit code and the lines of the report for the procedures file at `path`."""
    try:
        catalogue = parse_catalogue(path, today=today)
    except DataErrors as exc:
        return 1, [str(e) for e in exc.errors]
    except DataFileError as exc:
        return 1, [str(exc)]
    lines = []
    stale = stale_cases(catalogue, today)
    months = get_policy().links.review_after_months
    lines.append(
        f"{len(stale)} case(s) checked more than {months} months before {today.isoformat()}:"
    )
    for case in stale:
        lines.append(
            f"  {case.procedure_id}.{case.id}: checked_on {case.checked_on.isoformat()} "
            f"(line {case.line}) - sources: {', '.join(case.sources)}"
        )
    problems = link_problems(catalogue)
    lines.append(f"{len(problems)} link(s) to fix:")
    for where, url, problem in problems:
        lines.append(f"  {where}: {url} - {problem}")
    return 0, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PROCEDURES_PATH)
    parser.add_argument(
        "--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)"
    )
    args = parser.parse_args(argv)
    code, lines = report(args.path, args.today or paris_today())
    stream = sys.stderr if code else sys.stdout
    for line in lines:
        print(line, file=stream)
    return code


if __name__ == "__main__":
    sys.exit(main())
