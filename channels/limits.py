"""Application limits of the channels: per conversation, per address, per SMS number; web senders.

nginx limits requests per address in the production profile; these limits hold in every
profile, also count per conversation and per phone number, and let the channel answer a person
politely (web) or not at all (SMS: answering a flood costs money; that is SMS pumping).

They count in the memory of each Rasa process: with N servers behind the load balancer one
conversation may send up to N times the limit. They are there against floods and scripts, not as
quotas. Settings (environment, "COUNT/SECONDS", "0" switches one off):

| variable | default | counts |
|---|---|---|
| `WEB_RATE_PER_CONVERSATION` | 20/60 | messages of one web conversation (REST or socket.io) |
| `WEB_RATE_PER_ADDRESS` | 120/60 | web messages from one address (see WEB_TRUSTED_PROXIES) |
| `SMS_RATE_PER_NUMBER` | 10/60 | SMS received from one phone number |
| `SMS_DAILY_PER_NUMBER` | 60/86400 | SMS received from one phone number in a day |
| `WEB_TRUSTED_PROXIES` | (none) | peers whose X-Forwarded-For is believed (nginx) |

No proxy is trusted by default: any local process reaches Rasa from 127.0.0.1 and could
otherwise name a new address in each request and escape the per-address limit. The production
profile sets `WEB_TRUSTED_PROXIES=127.0.0.1` for its nginx (deploy/prod.py).

A web sender id (the REST channel's `sender`) must be a string of at most 128 letters, digits
and `-_.:`, and must not look like a phone number or a Messenger id (digits only, or "+" and
digits): those name SMS and Messenger conversations, which a web client must never read or write.
Web sender ids are secrets: the widget's are 128 random bits.
"""

from __future__ import annotations

import os
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from franceservices.message_checks import MAX_MESSAGE_CHARS, MESSAGE_TOO_LONG

MAX_SENDER_CHARS = 128
SENDER_PATTERN = re.compile(rf"[A-Za-z0-9_.:\-]{{1,{MAX_SENDER_CHARS}}}")
OTHER_CHANNEL_ID = re.compile(r"\+?[0-9]+")

DEFAULTS = {
    "WEB_RATE_PER_CONVERSATION": "20/60",
    "WEB_RATE_PER_ADDRESS": "120/60",
    "SMS_RATE_PER_NUMBER": "10/60",
    "SMS_DAILY_PER_NUMBER": "60/86400",
}
DEFAULT_TRUSTED_PROXIES = ""

TOO_LONG_COMMAND = f"/{MESSAGE_TOO_LONG}"
"""What an over-long message becomes before it reaches Rasa: a command, so no NLU runs on it."""


def screen_length(text: str) -> str:
    """The text to hand to Rasa for a person's message `text`.

    A message over MAX_MESSAGE_CHARS becomes the guard's `message_too_long` intent (answered
    politely by a rule) at the channel, before any NLU: 15 KB of text cost seconds of NLU on the
    event loop that every other conversation shares.
    """
    if len(text.strip()) > MAX_MESSAGE_CHARS:
        return TOO_LONG_COMMAND
    return text


class SlidingWindow:
    """At most `count` events per key in any `seconds`-long window (kept in memory).

    Keys are forgotten once their window is empty; at most `max_keys` are kept (the least
    recently seen go first), so a flood of new keys cannot grow the memory without bound.
    """

    def __init__(
        self,
        count: int,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if count < 1 or seconds <= 0:
            raise ValueError("a limit needs a count >= 1 and a window > 0 s")
        self.count = count
        self.seconds = seconds
        self.clock = clock
        self.max_keys = max_keys
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Count one event for `key`; False (and not counted) when over the limit."""
        now = self.clock()
        times = self._seen.get(key)
        if times is None:
            times = self._seen[key] = deque()
        else:
            self._seen.move_to_end(key)
        while times and times[0] <= now - self.seconds:
            times.popleft()
        if len(times) >= self.count:
            return False
        times.append(now)
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)
        return True


@dataclass(frozen=True)
class Limits:
    """The limits of one process; a None limit is switched off."""

    per_conversation: SlidingWindow | None
    per_address: SlidingWindow | None
    per_number: SlidingWindow | None
    per_number_daily: SlidingWindow | None
    trusted_proxies: frozenset[str]

    def web_allows(self, sender: str, address: str) -> bool:
        """Count a web message; False when its conversation or its address is over a limit."""
        if self.per_address is not None and not self.per_address.allow(address):
            return False
        return self.per_conversation is None or self.per_conversation.allow(sender)

    def sms_allows(self, phone: str) -> bool:
        """Count an SMS received from `phone`; False when the number is over a limit."""
        if self.per_number is not None and not self.per_number.allow(phone):
            return False
        return self.per_number_daily is None or self.per_number_daily.allow(phone)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The person's address: the peer, or the one a trusted proxy (nginx) appended."""
        peer = peer or "unknown"
        if forwarded_for and peer in self.trusted_proxies:
            last = forwarded_for.split(",")[-1].strip()
            if last:
                return last
        return peer


def parse_limit(name: str, value: str) -> SlidingWindow | None:
    """ "20/60" -> 20 per 60 s; "0" or "off" -> None; anything else: ValueError naming `name`."""
    text = value.strip().lower()
    if text in ("0", "off", "none"):
        return None
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+(?:\.\d+)?)", text)
    if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
        raise ValueError(f"{name}={value!r}: expected COUNT/SECONDS such as 20/60, or 0 for none")
    return SlidingWindow(int(match.group(1)), float(match.group(2)))


def limits_from_env(env: Mapping[str, str] | None = None) -> Limits:
    """The limits configured in the environment (defaults in DEFAULTS)."""
    env = os.environ if env is None else env

    def limit(name: str) -> SlidingWindow | None:
        return parse_limit(name, env.get(name) or DEFAULTS[name])

    proxies = env.get("WEB_TRUSTED_PROXIES") or DEFAULT_TRUSTED_PROXIES
    return Limits(
        per_conversation=limit("WEB_RATE_PER_CONVERSATION"),
        per_address=limit("WEB_RATE_PER_ADDRESS"),
        per_number=limit("SMS_RATE_PER_NUMBER"),
        per_number_daily=limit("SMS_DAILY_PER_NUMBER"),
        trusted_proxies=frozenset(p.strip() for p in proxies.split(",") if p.strip()),
    )


def web_sender_problem(sender: object) -> str | None:
    """Why `sender` cannot name a web conversation (None when it can)."""
    if not isinstance(sender, str):
        return "sender must be a string"
    if not SENDER_PATTERN.fullmatch(sender):
        return f"sender must be 1 to {MAX_SENDER_CHARS} letters, digits or -_.:"
    if OTHER_CHANNEL_ID.fullmatch(sender):
        return "sender looks like a phone number or a Messenger id"
    return None
