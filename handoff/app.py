"""The agents' HTTP API (aiohttp): the queue, conversations, messages, hand-back, bookings.

Every route but `/health` needs `Authorization: Bearer <token>` (one token per agent,
`python -m handoff.cli add-agent NAME`); a token in the URL is never read.
Reference: docs/handoff.md.

    GET  /queue                                  waiting and taken requests (handoffs, call-backs)
    POST /handoffs/{id}/take                     take a waiting request (one agent wins)
    POST /handoffs/{id}/close                    close it (a call-back done, a person gone)
    GET  /conversations/{sender}                 the conversation (Rasa's tracker, simplified)
    POST /conversations/{sender}/messages        {"text": ...} to the person, in their channel
    POST /conversations/{sender}/hand_back       the bot answers again (ConversationResumed)
    GET  /bookings?days=14                       bookings of the coming days
    GET  /bookings/{code}
    POST /bookings/{code}/confirm|move|refuse|cancel   {"note": ..., "slot": token for move}

There is no route reading a conversation's pending web messages (`agent_messages`): one without
a token, keyed by the sender id alone, let anyone who knew or guessed a sender read an agent's
reply and mark it delivered, and nothing used it (the widget gets its messages pushed through
socket.io).

Permissions: an agent writes to, and hands back, only a conversation whose request it has taken
(a waiting one is taken by its first message); a "service" token (the staff console) acts for
the agent named in the body's "agent".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import select

from franceservices.booking.rules import slot_from_token
from franceservices.booking.visio_slots import find_slot
from franceservices.dates.clock import to_paris
from handoff import booking_changes
from handoff.auth import ROLE_SERVICE, Caller, authenticate
from handoff.rasa_api import RasaError
from store import BookingNotFound, InvalidTransition, NotFound, SlotTaken
from store.db import transaction
from store.models import (
    BOOKING_CANCELLED,
    BOOKING_CONFIRMED,
    BOOKING_MOVED,
    BOOKING_REFUSED,
    HANDOFF_TAKEN,
    HANDOFF_WAITING,
    UTC,
    HandoffRequest,
)

logger = logging.getLogger(__name__)

CONFIG = web.AppKey("config", dict)

MAX_TEXT = 2000
STATUS_ACTIONS = {
    "confirm": BOOKING_CONFIRMED,
    "move": BOOKING_MOVED,
    "refuse": BOOKING_REFUSED,
    "cancel": BOOKING_CANCELLED,
}


def _iso(moment: dt.datetime | None) -> str | None:
    return to_paris(moment).isoformat() if moment else None


def request_json(item: HandoffRequest) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "status": item.status,
        "sender_id": item.sender_id,
        "channel": item.channel,
        "summary": item.summary,
        "name": item.name,
        "contact_phone": item.contact_phone,
        "contact_email": item.contact_email,
        "agent": item.agent,
        "created_at": _iso(item.created_at),
        "taken_at": _iso(item.taken_at),
    }


def booking_json(booking: Any) -> dict[str, Any]:
    return {
        "code": booking.code,
        "status": booking.status,
        "operator": booking.operator,
        "reason": booking.reason,
        "commune_insee": booking.commune_insee,
        "place_key": booking.place_key,
        "place_label": booking.place_label,
        "slot_start": _iso(booking.slot_start),
        "slot_end": _iso(booking.slot_end),
        "name": booking.name,
        "contact_phone": booking.contact_phone,
        "contact_email": booking.contact_email,
        "channel": booking.channel,
        "sender_id": booking.sender_id,
        "agent": booking.agent,
        "note": booking.note,
    }


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def auth_middleware(request: web.Request, handler):
    if request.path == "/health":
        return await handler(request)
    caller = authenticate(request.headers.get("Authorization"), request.app[CONFIG]["tokens"])
    if caller is None:
        return web.json_response(
            {"error": "missing or invalid token"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="agents"'},
        )
    request["caller"] = caller
    return await handler(request)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(
            text='{"error": "body is not JSON"}', content_type="application/json"
        ) from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text='{"error": "body is not a JSON object"}', content_type="application/json"
        )
    return body


def _agent_name(request: web.Request, body: dict[str, Any]) -> str:
    """The agent acting: the token's holder, or the body's "agent" for a service token."""
    caller: Caller = request["caller"]
    if caller.role == ROLE_SERVICE:
        name = str(body.get("agent") or "").strip()[:80]
        if not name:
            raise web.HTTPBadRequest(
                text='{"error": "agent is required"}', content_type="application/json"
            )
        return name
    return caller.name


def _open_request(repo: Any, sender_id: str) -> HandoffRequest | None:
    """The live (not call-back) request of a conversation, waiting or taken, newest first."""
    with transaction(repo.engine) as session:
        return session.execute(
            select(HandoffRequest)
            .where(
                HandoffRequest.sender_id == sender_id,
                HandoffRequest.kind == "handoff",
                HandoffRequest.status.in_((HANDOFF_WAITING, HANDOFF_TAKEN)),
            )
            .order_by(HandoffRequest.created_at.desc())
            .limit(1)
        ).scalar_one_or_none()


async def _claim(request: web.Request, sender_id: str, agent: str) -> HandoffRequest:
    """The conversation's open request, taken by `agent` (taking it when waiting).

    Raises 404 when there is none, 403 when another agent has it.
    """
    repo = request.app[CONFIG]["repo"]
    item = await asyncio.to_thread(_open_request, repo, sender_id)
    if item is None:
        raise web.HTTPNotFound(
            text='{"error": "no open handoff for this conversation"}',
            content_type="application/json",
        )
    if item.status == HANDOFF_WAITING:
        try:
            return await asyncio.to_thread(repo.take_handoff, item.id, agent)
        except NotFound:
            item = await asyncio.to_thread(repo.get_handoff, item.id)
    service = request["caller"].role == ROLE_SERVICE
    if item.status != HANDOFF_TAKEN or (item.agent != agent and not service):
        raise web.HTTPForbidden(
            text='{"error": "another agent has this conversation"}', content_type="application/json"
        )
    return item


# -- routes -----------------------------------------------------------------------------------


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def queue(request: web.Request) -> web.Response:
    repo = request.app[CONFIG]["repo"]

    def open_requests() -> list[HandoffRequest]:
        with transaction(repo.engine) as session:
            return list(
                session.execute(
                    select(HandoffRequest)
                    .where(HandoffRequest.status.in_((HANDOFF_WAITING, HANDOFF_TAKEN)))
                    .order_by(HandoffRequest.created_at)
                ).scalars()
            )

    items = await asyncio.to_thread(open_requests)
    return web.json_response({"requests": [request_json(item) for item in items]})


async def take(request: web.Request) -> web.Response:
    body = await _body(request)
    agent = _agent_name(request, body)
    try:
        item = await asyncio.to_thread(
            request.app[CONFIG]["repo"].take_handoff, int(request.match_info["id"]), agent
        )
    except NotFound:
        return _error(409, "this request is no longer waiting")
    return web.json_response(request_json(item))


async def close(request: web.Request) -> web.Response:
    body = await _body(request)
    agent = _agent_name(request, body)
    repo = request.app[CONFIG]["repo"]
    item = await asyncio.to_thread(repo.get_handoff, int(request.match_info["id"]))
    if item is None:
        return _error(404, "no such request")
    if (
        item.status == HANDOFF_TAKEN
        and item.agent != agent
        and request["caller"].role != ROLE_SERVICE
    ):
        return _error(403, "another agent has this request")
    try:
        item = await asyncio.to_thread(repo.close_handoff, item.id, agent, body.get("done", True))
    except NotFound:
        return _error(409, "this request is already closed")
    return web.json_response(request_json(item))


async def conversation(request: web.Request) -> web.Response:
    sender_id = request.match_info["sender"]
    if request["caller"].role != ROLE_SERVICE:
        item = await asyncio.to_thread(_open_request, request.app[CONFIG]["repo"], sender_id)
        if item is None:
            return _error(404, "no open handoff for this conversation")
    try:
        tracker = await request.app[CONFIG]["rasa"].tracker(sender_id)
    except RasaError as error:
        return _error(502, f"Rasa: {error}")
    events = [
        {"type": e["event"], "text": e.get("text"), "timestamp": e.get("timestamp")}
        for e in tracker.get("events", [])
        if e.get("event") in ("user", "bot") and e.get("text")
    ]
    return web.json_response(
        {"sender_id": sender_id, "paused": tracker.get("paused", False), "events": events}
    )


async def send_message(request: web.Request) -> web.Response:
    sender_id = request.match_info["sender"]
    body = await _body(request)
    agent = _agent_name(request, body)
    text = str(body.get("text") or "").strip()
    if not text or len(text) > MAX_TEXT:
        return _error(400, f"text is required, at most {MAX_TEXT} characters")
    item = await _claim(request, sender_id, agent)
    try:
        stored = await request.app[CONFIG]["deliver"](
            sender_id, item.channel, {"agent_message": text}, "utter_agent_message", agent=agent
        )
    except RasaError as error:
        return _error(502, f"not delivered: {error}")
    return web.json_response({"delivered": True, "stored_for_web": stored, "request": item.id})


async def hand_back(request: web.Request) -> web.Response:
    sender_id = request.match_info["sender"]
    body = await _body(request)
    agent = _agent_name(request, body)
    item = await _claim(request, sender_id, agent)
    rasa = request.app[CONFIG]["rasa"]
    try:
        await rasa.append_events(sender_id, [{"event": "resume"}])
        await request.app[CONFIG]["deliver"](
            sender_id, item.channel, {}, "utter_handoff_resumed", agent=agent
        )
    except RasaError as error:
        return _error(502, f"Rasa: {error}")
    closed = await asyncio.to_thread(
        request.app[CONFIG]["repo"].close_handoff, item.id, agent, True
    )
    return web.json_response(request_json(closed))


async def bookings(request: web.Request) -> web.Response:
    try:
        days = min(max(int(request.query.get("days", "14")), 1), 180)
    except ValueError:
        return _error(400, "days must be a number")
    now = request.app[CONFIG]["clock"]()
    items = await asyncio.to_thread(
        request.app[CONFIG]["repo"].bookings_between,
        now - dt.timedelta(days=1),
        now + dt.timedelta(days=days),
    )
    return web.json_response({"bookings": [booking_json(b) for b in items]})


async def booking(request: web.Request) -> web.Response:
    item = await asyncio.to_thread(request.app[CONFIG]["repo"].by_code, request.match_info["code"])
    if item is None:
        return _error(404, "no such booking")
    return web.json_response(booking_json(item))


async def change_booking(request: web.Request) -> web.Response:
    operation = request.match_info["operation"]
    if operation not in STATUS_ACTIONS:
        return _error(404, "unknown operation")
    status = STATUS_ACTIONS[operation]
    body = await _body(request)
    agent = _agent_name(request, body)
    repo = request.app[CONFIG]["repo"]
    now = request.app[CONFIG]["clock"]()
    new_slot = None
    if status == BOOKING_MOVED:
        key = slot_from_token(str(body.get("slot") or ""))
        if key is None:
            return _error(400, "slot (a slot token) is required to move a booking")
        new_slot = find_slot(key, now, min_lead=dt.timedelta(0))
        if new_slot is None:
            return _error(409, "that slot is not an opening of that place")
    note = body.get("note")
    try:
        updated = await asyncio.to_thread(
            booking_changes.change_booking,
            repo,
            request.match_info["code"],
            status,
            agent,
            now,
            new_slot=new_slot,
            note=str(note)[:1000] if note else None,
        )
    except BookingNotFound:
        return _error(404, "no such booking")
    except InvalidTransition as error:
        return _error(409, str(error))
    except SlotTaken:
        return _error(409, "that slot is taken")
    return web.json_response(booking_json(updated))


def create_app(config: dict[str, Any]) -> web.Application:
    """The API. `config`: tokens (hash -> Caller), repo, rasa, deliver, clock (box: unused)."""
    app = web.Application(middlewares=[auth_middleware], client_max_size=64 * 1024)
    app[CONFIG] = {
        "tokens": config["tokens"],
        "repo": config["repo"],
        "rasa": config["rasa"],
        "deliver": config["deliver"],
        "clock": config.get("clock") or (lambda: dt.datetime.now(tz=UTC)),
    }
    app.router.add_get("/health", health)
    app.router.add_get("/queue", queue)
    app.router.add_post("/handoffs/{id:\\d+}/take", take)
    app.router.add_post("/handoffs/{id:\\d+}/close", close)
    app.router.add_get("/conversations/{sender}", conversation)
    app.router.add_post("/conversations/{sender}/messages", send_message)
    app.router.add_post("/conversations/{sender}/hand_back", hand_back)
    app.router.add_get("/bookings", bookings)
    app.router.add_get("/bookings/{code}", booking)
    app.router.add_post("/bookings/{code}/{operation}", change_booking)
    return app
