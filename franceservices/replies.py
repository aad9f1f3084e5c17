"""What an answer is made of, shared by the plain logic modules (no Rasa import).

The logic modules return an `Answer`; the Action classes send it with `actions.dispatch.send`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One message: a domain response, its placeholder values and optional buttons."""

    response: str
    params: dict[str, Any] = field(default_factory=dict)
    buttons: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Answer:
    """The messages to send and the slots to set."""

    replies: list[Reply] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)

    def say(self, response: str, buttons: list[dict[str, str]] | None = None, **params) -> Answer:
        self.replies.append(Reply(response, params, buttons or []))
        return self

    @property
    def responses(self) -> list[str]:
        return [reply.response for reply in self.replies]
