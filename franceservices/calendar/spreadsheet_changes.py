"""An imported tour plan as the staff's calendar changes (`changes.py`), when it can be one.

The console stores changes, not files: a plan's differences become `SetStopDay` (with swap, so
two stops trading days is one valid step after another), `SetStopPlace`, `SetStopHours` and
`ConfirmStopDay`, each undoable alone. A bus whose differences those cannot express (a stop
added or removed, a market day, a day made "pilote" again, a day moved but not confirmed: a
moved day is a day staff set) gets one `ReplaceStops` with the file's stops instead. The changes
are then applied to the base and the result compared with the plan's own calendar, stop by
stop: anything still different, or a refusal by the validator, is listed in French and nothing
is applied, so the console never stores half a plan or a plan it did not check. No Rasa, web
framework or database import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from franceservices.calendar.changes import Change as CalendarChange
from franceservices.calendar.changes import (
    ChangeError,
    ChangeRefused,
    ConfirmStopDay,
    ReplaceStops,
    SetStopDay,
    SetStopHours,
    SetStopPlace,
    apply_changes,
)
from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.model import Stop
from franceservices.calendar.spreadsheet import ImportPlan
from franceservices.calendar.tours_fields import fmt_time
from franceservices.text.french import WEEKDAYS_FR


@dataclass(frozen=True)
class PlanChanges:
    """The changes that make the plan (`changes`), or why it cannot be stored (`unsupported`)."""

    changes: tuple[CalendarChange, ...]
    unsupported: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.unsupported


def plan_changes(plan: ImportPlan, base: Any, communes: Any = None) -> PlanChanges:
    """The calendar changes that turn `base` into the checked plan (`plan.ok` required).

    A bus whose differences the stop-by-stop changes express (days, places, hours, a day
    confirmed) gets those, each undoable alone; any other bus the file changes (a stop added or
    removed, a market day, a day source) gets one `ReplaceStops` with the file's stops.
    """
    if not plan.ok or plan.calendar is None or plan.stops_by_tour is None:
        raise ValueError("the plan has errors: nothing to store")
    before = apply_changes(base, [], communes).calendar
    tours = list(plan.stops_by_tour)
    by_tour = {tour: _stop_changes(before, plan.calendar, tour) for tour in tours}
    try:
        fine = apply_changes(base, [c for t in tours for c in by_tour[t]], communes).calendar
    except (ChangeRefused, ChangeError):
        fine = None
    for tour in tours:
        if fine is None or _differences(fine, plan.calendar, [tour]):
            if by_tour[tour] or _differences(before, plan.calendar, [tour]):
                by_tour[tour] = [ReplaceStops.of(tour, plan.stops_by_tour[tour])]
    changes = [c for t in tours for c in by_tour[t]]
    try:
        result = apply_changes(base, changes, communes).calendar
    except (ChangeRefused, ChangeError) as exc:
        return PlanChanges((), (f"le calendrier refuse ces changements : {exc}",))
    unsupported = _differences(result, plan.calendar, tours)
    if unsupported:
        return PlanChanges((), tuple(unsupported))
    return PlanChanges(tuple(changes), ())


def _stop_changes(before: TourCalendar, after: TourCalendar, tour: str) -> list[CalendarChange]:
    """The stop-by-stop changes from `before` to `after` for the stops both have."""
    changes: list[CalendarChange] = []
    old = {s.insee: s for s in before.tour_communes(tour)}
    for stop in after.tour_communes(tour):
        previous = old.get(stop.insee)
        if previous is None:
            continue  # a stop added: only ReplaceStops says it
        moved = (previous.week, previous.weekday) != (stop.week, stop.weekday)
        if moved:
            changes.append(SetStopDay(tour, stop.insee, stop.week, stop.weekday, swap=True))
        if previous.place != stop.place:
            changes.append(SetStopPlace(tour, stop.insee, stop.place))
        if previous.hours != stop.hours:
            changes.append(SetStopHours(tour, stop.insee, _hours(stop)))
        if stop.day_confirmed and not previous.day_confirmed and not moved:  # a move confirms
            changes.append(ConfirmStopDay(tour, stop.insee))
    return changes


def _hours(stop: Stop) -> tuple[tuple[str, str], ...] | None:
    if stop.hours is None:
        return None
    return tuple((fmt_time(s), fmt_time(e)) for s, e in stop.hours)


def _differences(got: TourCalendar, wanted: TourCalendar, tours: list[str]) -> list[str]:
    problems: list[str] = []
    for tour in tours:
        have = {s.insee: s for s in got.tour_communes(tour)}
        want = {s.insee: s for s in wanted.tour_communes(tour)}
        for insee in want.keys() - have.keys():
            problems.append(f"{tour} : ajout de l'arrêt {want[insee].commune}")
        for insee in have.keys() - want.keys():
            problems.append(f"{tour} : retrait de l'arrêt {have[insee].commune}")
        for insee in want.keys() & have.keys():
            a, b = have[insee], want[insee]
            if a.market_weekdays != b.market_weekdays:
                days = ", ".join(WEEKDAYS_FR[d] for d in sorted(b.market_weekdays)) or "aucun"
                problems.append(f"{tour} : jour de marché de {b.commune} ({days})")
            if a.day_confirmed != b.day_confirmed or (
                b.day_confirmed and a.day_source != b.day_source
            ):
                problems.append(f"{tour} : source du jour de {b.commune} ({b.day_source})")
    return sorted(problems)
