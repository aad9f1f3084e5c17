"""Deliver a message to a person in their own channel, through Rasa.

Two steps on Rasa's HTTP API: set a slot on the conversation (the agent's text, or the id of a
stored reminder), then execute the action that says it (`utter_agent_message`,
`action_deliver_reminder`). The message is logged in the tracker like any bot message, so the
conversation read by the next agent shows it.

- SMS (`twilio`), Messenger (`facebook`) and the web widget (`socketio`):
  `?output_channel=<channel>`, so Rasa's own output channel sends it (channels/sms.py,
  channels/messenger.py; for socket.io the widget's session room, webchat/socketio_channel.py).
- REST (and anything else): Rasa answers REST only within the person's request, so the messages
  Rasa collects are stored in `agent_messages` (no route hands them out: docs/handoff.md).
"""

from __future__ import annotations

from typing import Any, Protocol

from handoff.messages import MessageBox
from handoff.rasa_api import RasaClient

PUSH_CHANNELS = frozenset({"twilio", "facebook", "socketio"})
"""Channels Rasa can send to on its own; the others are fetched by the page."""
LISTEN = {"event": "action", "name": "action_listen"}


class Deliverer(Protocol):
    async def __call__(
        self, sender_id: str, channel: str, slots: dict[str, Any], action: str, **kw: Any
    ) -> int: ...


class RasaDelivery:
    """Deliver through Rasa; web messages go to the message box."""

    def __init__(self, rasa: RasaClient, box: MessageBox) -> None:
        self.rasa = rasa
        self.box = box

    async def __call__(
        self,
        sender_id: str,
        channel: str,
        slots: dict[str, Any],
        action: str,
        *,
        source: str = "agent",
        agent: str | None = None,
        agent_display_name: str | None = None,
    ) -> int:
        """Say `action` in the conversation; return how many messages were stored for the web.

        Raises:
            RasaError: Rasa refused or is down (nothing was sent).
        """
        if "agent_message" in slots:
            # SMS and Messenger say a person wrote it (domain.yml utter_agent_message), by name
            # only when a display name is given: `agent` is the staff login, which citizens must
            # never read (it is half of a console login).
            name = " ".join((agent_display_name or "").split())[:40] or None
            slots = {**slots, "agent_name": name}
        events = [{"event": "slot", "name": name, "value": value} for name, value in slots.items()]
        if events:
            await self.rasa.append_events(sender_id, events)
        push = channel if channel in PUSH_CHANNELS else None
        messages = await self.rasa.execute(sender_id, action, output_channel=push)
        # The policies expect every bot turn to end with action_listen (Rasa adds it only
        # after the actions it predicts); without it, the person's next message matches no rule.
        await self.rasa.append_events(sender_id, [LISTEN])
        if push:
            return 0
        texts = [m["text"] for m in messages if m.get("text")]
        for text in texts:
            self.box.put(sender_id, channel or "rest", text, source, agent)
        return len(texts)
