"""One conversation's slow database call does not hold up another conversation's action.

The action server runs every conversation on one event loop. Each case below runs an action of
`actions/booking.py` or `actions/handoff.py` whose store call is held (on a real SQLite
repository, the method wrapped to wait on a `threading.Event`), and meanwhile another
conversation's action on the same loop. The other one must be answered while the first is still
held; with the store called on the loop, it would wait until the held call gave up.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import (
    ActionCancelBooking,
    ActionCheckBooking,
    ActionDeliverReminder,
    ActionRemindBus,
    ActionSubmitVisio,
    ValidateVisioForm,
    proposals_for,
)
from actions.handoff import ActionHandoff, ActionSubmitCallback
from franceservices.booking import rules as logic
from franceservices.calendar.answers import day_response
from franceservices.calendar.tours import get_calendar
from franceservices.dates.clock import paris_now
from tests.unit.test_booking import DOMAIN, booked_slots, form_turn, tracker

HOLD_SECONDS = 2.0
"""How long a held call waits for the other conversation before giving up (the test fails)."""

CONVERSATION = contextvars.ContextVar("conversation", default="")
"""Which conversation a store call is made for (`asyncio.to_thread` carries it to the thread)."""


def hold(monkeypatch, repo, method: str, log: list[str]) -> tuple[threading.Event, ...]:
    """Make the slow conversation's calls of `repo.method` wait for `release`.

    Returns (entered, release): `entered` is set when the held call starts."""
    real = getattr(repo, method)
    entered, release = threading.Event(), threading.Event()

    def held(*args, **kwargs):
        if CONVERSATION.get() == "slow":
            log.append(f"{method} held")
            entered.set()
            log.append("released" if release.wait(HOLD_SECONDS) else "gave up waiting")
        return real(*args, **kwargs)

    monkeypatch.setattr(repo, method, held)
    return entered, release


def slow_case(name: str):
    """(action, tracker, store method held, the slow conversation's expected responses)."""
    if name == "handoff":
        return (
            ActionHandoff(),
            tracker("un conseiller", "ask_human"),
            "open_handoff",
            ["utter_handoff_queued"],
        )
    if name == "callback":
        slots = {"callback_contact": "+33612345678"}
        return (
            ActionSubmitCallback(),
            tracker("06 12 34 56 78", "inform", slots=slots),
            "add_handoff",
            ["utter_callback_stored"],
        )
    if name == "check":
        return (
            ActionCheckBooking(),
            tracker("mon rendez-vous", "check_booking"),
            "bookings_of",
            ["utter_booking_ask_code"],
        )
    if name == "cancel":
        return (
            ActionCancelBooking(),
            tracker("annuler", "cancel_booking"),
            "bookings_of",
            ["utter_booking_ask_code_cancel"],
        )
    if name == "remind":
        now = paris_now()
        (visit,) = get_calendar().next_visits("59601", now, 1, include_cancelled=False)
        if logic.day_before(visit.opens_at, now) is None:
            pytest.skip("Trélon's next visit is too soon for a reminder: nothing is stored")
        trk = tracker(
            "prévenez-moi",
            "remind_bus",
            [{"entity": "commune", "value": "Trélon"}],
            sender="+33612345678",
            channel="twilio",
        )
        said = day_response("utter_remind_bus_set", visit.day_confirmed)
        return ActionRemindBus(), trk, "add_reminder", [said]
    if name == "book":
        token = proposals_for("59601", "caf", paris_now())[0]
        trk = tracker("", "affirm", slots=booked_slots(token))
        return ActionSubmitVisio(), trk, "book", ["utter_visio_booked"]
    if name == "form":
        trk = form_turn("Trélon", "inform", "commune_insee", {"visio_operator": "caf"})
        return ValidateVisioForm(), trk, "taken_slots", []
    if name == "deliver":
        trk = tracker("", "x", slots={"reminder_id": 1.0})
        return ActionDeliverReminder(), trk, "get_reminder", []
    raise ValueError(name)


CASES = ["handoff", "callback", "check", "cancel", "remind", "book", "form", "deliver"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.usefixtures("caf_on_the_avesnois_bus")  # the shipped offer has no organisation
def test_a_held_store_call_does_not_hold_up_another_conversation(case, repo, monkeypatch):
    monkeypatch.setenv("HANDOFF_HOURS", "always")
    action, slow_tracker, method, expected = slow_case(case)
    log: list[str] = []
    entered, release = hold(monkeypatch, repo, method, log)
    slow_dispatcher, other_dispatcher = CollectingDispatcher(), CollectingDispatcher()

    async def slow_conversation():
        CONVERSATION.set("slow")
        return await action.run(slow_dispatcher, slow_tracker, DOMAIN)

    async def both():
        slow = asyncio.create_task(slow_conversation())
        # Until the slow conversation is inside its store call (at once if that call blocks
        # the loop: then this line runs only after it gave up).
        await asyncio.to_thread(entered.wait, HOLD_SECONDS)
        other = tracker("où en est mon rendez-vous", "check_booking", sender="other")
        await ActionCheckBooking().run(other_dispatcher, other, DOMAIN)
        log.append("other conversation answered")
        release.set()
        return await slow

    asyncio.run(asyncio.wait_for(both(), timeout=4 * HOLD_SECONDS))
    assert log == [f"{method} held", "other conversation answered", "released"]
    assert [m["response"] for m in other_dispatcher.messages] == ["utter_booking_ask_code"]
    assert [m["response"] for m in slow_dispatcher.messages] == expected
