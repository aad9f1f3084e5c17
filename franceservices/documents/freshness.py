"""How old the catalogue's facts are, and whether its links go where citizens may be sent.

The one place the age of a case is computed (`is_older_than`): the freshness report of
`scripts/check_sources.py` (6 months, for staff), the answer's "plus d'un an" warning (12 months,
for citizens) and, later, the console. `today` is always given by the caller, never read from the
clock here. The ages (6 and 12 months) and the official and moved domains are staff's policy:
`links:` in `reference/policy.yml` (`franceservices.policy`).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from franceservices.documents.model import Case, Catalogue
from franceservices.policy import get_policy


def months_before(today: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months before `today` (31 March - 1 month = 28/29 Feb)."""
    index = today.year * 12 + (today.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(today.day, last_day))


def is_older_than(day: dt.date, today: dt.date, months: int) -> bool:
    """Whether facts checked on `day` are more than `months` calendar months old on `today`."""
    return day < months_before(today, months)


def is_outdated(case: Case, today: dt.date) -> bool:
    """Whether the case's facts are older than the policy's `outdated_after_months` on `today`.

    Such an answer tells the citizen so, with the link to check.
    """
    return is_older_than(case.checked_on, today, get_policy().links.outdated_after_months)


def _on(url: str, domains: tuple[str, ...]) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == d or host.endswith("." + d) for d in domains)


def is_official(url: str) -> bool:
    """Whether a link is on a site citizens may be sent to (the policy's `official_domains`).

    Commercial "carte grise" sites charge for free procedures: citizens are sent to none.
    """
    return _on(url, get_policy().links.official_domains)


def is_old_domain(url: str) -> bool:
    """Whether a link still points to a domain that moved (www.service-public.fr).

    Still accepted by the loader (the old addresses redirect), reported by check_sources.
    """
    return _on(url, get_policy().links.old_domains)


def stale_cases(catalogue: Catalogue, today: dt.date, months: int | None = None) -> list[Case]:
    """The cases whose facts were checked more than `months` months before `today`, oldest first.

    `months` defaults to the policy's `review_after_months`: staff should read their sources again.
    """
    if months is None:
        months = get_policy().links.review_after_months
    cases = [c for c in catalogue.cases() if is_older_than(c.checked_on, today, months)]
    return sorted(cases, key=lambda c: (c.checked_on, c.procedure_id, c.id))


def citizen_links(catalogue: Catalogue) -> list[tuple[str, str]]:
    """Every address a citizen is sent to, as (where in the file, URL), without repeats."""
    seen: set[tuple[str, str]] = set()
    links: list[tuple[str, str]] = []

    def add(where: str, url: str | None) -> None:
        if url and (where, url) not in seen:
            seen.add((where, url))
            links.append((where, url))

    for procedure in catalogue:
        add(f"{procedure.id} link", procedure.link)
        for case in procedure.cases:
            if case.link != procedure.link:
                add(f"{procedure.id}.{case.id} link", case.link)
            add(f"{procedure.id}.{case.id} online.url", case.online.url)
    return links


def link_problems(catalogue: Catalogue) -> list[tuple[str, str, str]]:
    """Citizen links not on an official domain, or still on a moved one: (where, URL, problem)."""
    problems = []
    for where, url in citizen_links(catalogue):
        if not is_official(url):
            problems.append((where, url, "not an official site"))
        elif is_old_domain(url):
            problems.append((where, url, "old domain: use https://www.service-public.gouv.fr/"))
    return problems
