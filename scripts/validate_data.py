"""Validate every reference data file staff maintain under reference/.

Run by `make validate-data`, `make test` and at action-server start (`validate_all()`): each
problem is printed as `file:line: reason`, the exit code is 1 on any problem, and a one-line
summary is printed when everything is valid.

Files checked, each through the loader the assistant itself uses (so a file that passes here
loads at run time):
- communes_nord.csv (`CommuneRepository.from_csv`), communes_france_hors_nord.csv and
  departements.csv (`OutsideFrance.from_csv`);
- france_services_nord.csv (`DeskRepository.from_csv`);
- tours.yml (`load_tours`, which also checks every commune against communes_nord.csv);
- procedures.yml (`franceservices.documents.loader.load_catalogue()`), operators.yml
  (`franceservices.booking.operators.parse_operators()`) and policy.yml
  (`franceservices.policy.load_policy()`), name_words.yml
  (`franceservices.booking.names.load_name_words`) and reminder_ways.yml
  (`franceservices.booking.reminder_ways.load_reminder_ways`); visio_offer.yml
  (`franceservices.booking.offer_file.load_offer`, against the desks and the tours).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from franceservices.data_errors import DataErrors, DataFileError
from franceservices.paths import PROJECT_DIR, REFERENCE_DIR


def _collect(path: Path, load: Callable[[], Any], errors: list[DataFileError]) -> Any:
    """Run one loader; add its errors (or an unexpected crash, pinned to `path`) to `errors`."""
    try:
        return load()
    except DataErrors as exc:
        errors.extend(exc.errors)
    except DataFileError as exc:
        errors.append(exc)
    except Exception as exc:  # a crashing loader must be reported, not hidden
        errors.append(
            DataFileError(path, None, f"could not be loaded: {type(exc).__name__}: {exc}")
        )
    return None


def validate_all(reference_dir: Path | None = None) -> list[DataFileError]:
    """Validate every reference file; return the problems found (empty when all is valid)."""
    return _validate(reference_dir)[0]


def _validate(reference_dir: Path | None) -> tuple[list[DataFileError], dict[str, Any]]:
    from franceservices.calendar.tours import load_tours
    from franceservices.places import communes as communes_module
    from franceservices.places import desks as desks_module

    ref = Path(reference_dir) if reference_dir is not None else REFERENCE_DIR
    errors: list[DataFileError] = []
    communes_path = ref / communes_module.COMMUNES_FILE
    communes = _collect(
        communes_path,
        lambda: communes_module.CommuneRepository.from_csv(communes_path),
        errors,
    )
    _collect(
        ref / communes_module.DEPARTMENTS_FILE,
        lambda: communes_module.OutsideFrance.from_csv(
            ref / communes_module.OUTSIDE_FILE, ref / communes_module.DEPARTMENTS_FILE
        ),
        errors,
    )
    desks_path = ref / desks_module.DESKS_FILE
    desks = _collect(desks_path, lambda: desks_module.DeskRepository.from_csv(desks_path), errors)
    tours_path = ref / "tours.yml"
    calendar = None
    if communes is None:
        reason = f"not checked: {communes_path.name} must be valid first"
        errors.append(DataFileError(tours_path, None, reason))
    else:
        calendar = _collect(tours_path, lambda: load_tours(tours_path, communes), errors)
    errors.extend(_validate_yaml_files(ref))
    errors.extend(_validate_offer(ref, desks, calendar))
    return errors, {"communes": communes, "desks": desks, "calendar": calendar}


def _validate_yaml_files(ref: Path) -> list[DataFileError]:
    """Validate procedures.yml (documents to bring), operators.yml (visio operators),
    policy.yml (the service's policy numbers), name_words.yml (the booking form's name check) and
    reminder_ways.yml (the words of each way of being told, reminder_form)."""
    from franceservices.booking.names import load_name_words
    from franceservices.booking.operators import parse_operators
    from franceservices.booking.reminder_ways import load_reminder_ways
    from franceservices.documents.loader import load_catalogue
    from franceservices.policy import load_policy

    errors: list[DataFileError] = []
    procedures = ref / "procedures.yml"
    _collect(procedures, lambda: load_catalogue(procedures), errors)
    operators = ref / "operators.yml"
    _collect(operators, lambda: parse_operators(operators), errors)
    policy = ref / "policy.yml"
    _collect(policy, lambda: load_policy(policy), errors)
    name_words = ref / "name_words.yml"
    _collect(name_words, lambda: load_name_words(name_words), errors)
    reminder_ways = ref / "reminder_ways.yml"
    _collect(reminder_ways, lambda: load_reminder_ways(reminder_ways), errors)
    return errors


def _validate_offer(ref: Path, desks: Any, calendar: Any) -> list[DataFileError]:
    """Validate visio_offer.yml against the desks and the tours just loaded (None when invalid)."""
    from franceservices.booking.offer_file import load_offer

    errors: list[DataFileError] = []
    offer_path = ref / "visio_offer.yml"
    tours = set(calendar.tours) if calendar is not None else None
    _collect(offer_path, lambda: load_offer(offer_path, desks=desks, tour_ids=tours), errors)
    return errors


def _relative(error: DataFileError) -> str:
    try:
        shown = error.path.resolve().relative_to(PROJECT_DIR)
    except ValueError:
        shown = error.path
    where = f"{shown}:{error.line}" if error.line is not None else str(shown)
    return f"{where}: {error.reason}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-dir", type=Path, default=None, help="default: reference/")
    args = parser.parse_args(argv)
    errors, loaded = _validate(args.reference_dir)
    for error in errors:
        print(_relative(error), file=sys.stderr)
    if errors:
        files = len({e.path for e in errors})
        print(f"{len(errors)} problem(s) in {files} reference file(s).", file=sys.stderr)
        return 1
    calendar = loaded["calendar"]
    stops = sum(len(t.stops) for t in calendar.tours.values())
    print(
        f"Reference data valid: {len(loaded['communes'].all())} communes, "
        f"{len(loaded['desks'].all())} France Services, {len(calendar.tours)} tours with "
        f"{stops} stops."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
