"""Reading the `exceptions` of `reference/tours.yml`: cancelled visits and added visits.

Each exception is checked against the regular calendar: a cancellation must hit a real visit, an
added visit must fall within its bus's service hours, not on a public holiday and not on top of
another visit of the same bus. `ExceptionsReader` is the base of the file's loader
(`franceservices/calendar/tours.py`), which fills `tours` and `broken_tours` before calling
`load_exceptions`. No Rasa import.
"""

from __future__ import annotations

from typing import Any

from franceservices.calendar.engine import TourCalendar
from franceservices.calendar.model import AddedVisit, Cancellation, Tour, week_of_month
from franceservices.calendar.tours_fields import (
    TourFieldReader,
    fmt_periods,
    is_map,
    is_seq,
    item_line,
    key_line,
    periods_overlap,
)
from franceservices.dates.holidays import holiday_name
from franceservices.text.french import WEEKDAYS_FR

_CANCEL_KEYS = {"tour", "commune", "code_insee", "date", "reason"}
_ADDED_KEYS = {"tour", "commune", "code_insee", "date", "hours", "place", "reason", "market_day"}


class ExceptionsReader(TourFieldReader):
    """The `exceptions` section; `tours` and `broken_tours` are set by the loader first."""

    tours: dict[str, Tour]
    broken_tours: set[str]

    def load_exceptions(
        self, node: Any, line: int | None, calendar: TourCalendar
    ) -> tuple[list[Cancellation], list[AddedVisit]]:
        cancellations: list[Cancellation] = []
        additions: list[AddedVisit] = []
        if not is_map(node):
            self.error(line, "'exceptions' doit contenir des listes 'cancelled' et/ou 'added'")
            return cancellations, additions
        self.unknown_keys(node, {"cancelled", "added"}, "exceptions")
        for key in ("cancelled", "added"):
            entries = node.get(key)
            if entries is None:
                continue
            if not is_seq(entries):
                self.error(key_line(node, key), f"exceptions.{key} doit être une liste")
                continue
            for i, entry in enumerate(entries):
                eline = item_line(entries, i, key_line(node, key))
                if not is_map(entry):
                    self.error(eline, f"exceptions.{key} : chaque entrée doit être un dictionnaire")
                    continue
                if key == "cancelled":
                    result = self.cancellation(entry, eline, calendar, cancellations)
                    if result is not None:
                        cancellations.append(result)
                else:
                    added = self.addition(entry, eline, calendar, additions, cancellations)
                    if added is not None:
                        additions.append(added)
        # An added visit on a day its whole tour is cancelled contradicts itself.
        whole = {(c.tour_id, c.date): c for c in cancellations if c.insee is None}
        for a in additions:
            if (a.tour_id, a.date) in whole:
                self.error(
                    a.line,
                    f"passage ajouté de {a.tour_id} à {a.commune} le {a.date} : toute la tournée "
                    "est "
                    f"annulée ce jour-là (ligne {whole[(a.tour_id, a.date)].line})",
                )
        return cancellations, additions

    def exception_tour(self, entry: Any, what: str) -> Tour | None:
        tour_id = self.text(entry, "tour")
        if tour_id is None:
            return None
        tour = self.tours.get(tour_id)
        if tour is None and tour_id not in self.broken_tours:
            self.error(
                key_line(entry, "tour"),
                f"{what} : tournée {tour_id!r} inconnue (tournées : "
                f"{', '.join(self.tours) or 'aucune'})",
            )
        return tour

    def cancellation(
        self, entry: Any, line: int | None, calendar: TourCalendar, done: list[Cancellation]
    ) -> Cancellation | None:
        what = "passage annulé"
        self.unknown_keys(entry, _CANCEL_KEYS, what)
        tour = self.exception_tour(entry, what)
        day = self.date(entry, "date", what)
        reason = self.text(entry, "reason")
        whole_tour = entry.get("commune") is None and entry.get("code_insee") is None
        commune = None if whole_tour else self.commune(entry, what)
        if tour is None or day is None or reason is None or (commune is None and not whole_tour):
            return None
        dline = key_line(entry, "date")
        if commune is not None:
            stop = next((s for s in tour.stops if s.insee == commune.insee), None)
            if stop is None:
                self.error(
                    key_line(entry, "code_insee" if "code_insee" in entry else "commune"),
                    f"{what} : {commune.name} n'est pas un arrêt de la tournée {tour.id}",
                )
                return None
            if (week_of_month(day), day.weekday()) != (stop.week, stop.weekday):
                example = stop.date_in(day.year, day.month)
                self.error(
                    dline,
                    f"{what} : {commune.name} ({tour.id}) n'a pas de passage régulier le {day} "
                    f"(un {WEEKDAYS_FR[day.weekday()]}) ; ses passages sont le {stop.weekday_name} "
                    f"de la semaine {stop.week} de chaque mois, par exemple le {example}",
                )
                return None
        elif not [v for v in calendar.visits_on(day) if v.tour_id == tour.id]:
            self.error(
                dline,
                f"{what} : la tournée {tour.id} n'a pas de passage régulier le {day} "
                f"(un {WEEKDAYS_FR[day.weekday()]})",
            )
            return None
        insee = commune.insee if commune is not None else None
        if any(c.tour_id == tour.id and c.date == day and c.insee == insee for c in done):
            self.error(line, f"{what} : la même annulation est écrite deux fois")
            return None
        return Cancellation(tour.id, insee, day, reason, line)

    def addition(
        self,
        entry: Any,
        line: int | None,
        calendar: TourCalendar,
        done: list[AddedVisit],
        cancellations: list[Cancellation],
    ) -> AddedVisit | None:
        what = "passage ajouté"
        self.unknown_keys(entry, _ADDED_KEYS, what)
        tour = self.exception_tour(entry, what)
        day = self.date(entry, "date", what)
        reason = self.text(entry, "reason")
        commune = self.commune(entry, what)
        hours = None
        if entry.get("hours") is not None:
            hours = self.periods(entry["hours"], key_line(entry, "hours"), f"{what} : horaires")
            if hours is None:
                return None
        if tour is None or day is None or reason is None or commune is None:
            return None
        stop = next((s for s in tour.stops if s.insee == commune.insee), None)
        place = self.text(entry, "place", required=False)
        if place is None:
            if stop is None:
                self.error(
                    key_line(entry, "place", line),
                    f"{what} : champ 'place' manquant ({commune.name} n'est pas un arrêt de "
                    f"{tour.id})",
                )
                return None
            place = stop.place
        dline = key_line(entry, "date")
        holiday = holiday_name(day)
        if holiday is not None:
            self.error(
                dline, f"{what} : le {day} est un jour férié ({holiday}) ; les bus ne circulent pas"
            )
            return None
        profile = tour.profile
        if not profile.days.get(day.weekday()):
            self.error(
                dline,
                f"{what} : le {day} est un {WEEKDAYS_FR[day.weekday()]}, en dehors des horaires de "
                f"{tour.id} (pas de service ce jour-là)",
            )
            return None
        market_days = {d for s in calendar.stops_in(commune.insee) for d in s.market_weekdays}
        market_days |= self.market_days(entry, "market_day", day.weekday(), what)
        market_day = day.weekday() in market_days
        if hours is None:
            periods = profile.periods(day.weekday(), market_day)
        else:
            periods = hours
            window = profile.service_window
            if window is not None and market_day and profile.market_day_morning_until:
                window = (window[0], max(window[1], profile.market_day_morning_until))
            if window is not None and (periods[0][0] < window[0] or periods[-1][1] > window[1]):
                self.error(
                    key_line(entry, "hours"),
                    f"{what} : les horaires {fmt_periods(periods)} sont en dehors des heures de "
                    f"service de {tour.id} ({fmt_periods([window])})",
                )
                return None
        for visit in calendar.visits_on(day):
            if visit.tour_id != tour.id or visit.is_cancelled:
                continue
            if any(
                c.tour_id == tour.id and c.date == day and c.insee in (None, visit.insee)
                for c in cancellations
            ):
                continue  # replaced: that regular visit is cancelled by an exception
            if periods_overlap(visit.periods, periods):
                self.error(
                    dline,
                    f"{what} : {tour.id} est déjà à {visit.commune} le {day} "
                    f"({fmt_periods(visit.periods)}) ; annulez d'abord ce passage ou changez "
                    "les horaires",
                )
                return None
        for other in done:
            same_day = other.tour_id == tour.id and other.date == day
            if same_day and periods_overlap(other.periods, periods):
                self.error(
                    dline,
                    f"{what} : chevauche le passage ajouté de {tour.id} à {other.commune} "
                    f"(ligne {other.line})",
                )
                return None
        return AddedVisit(
            tour_id=tour.id,
            insee=commune.insee,
            commune=commune.name,
            date=day,
            periods=periods,
            place=place,
            reason=reason,
            market_day=market_day,
            line=line,
        )
