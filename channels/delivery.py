"""Outbound HTTP calls to the messaging platforms, without blocking and with retries.

Both platforms are called with aiohttp (Rasa already depends on it) so a slow platform never stalls
the Rasa server's event loop. Transient failures are retried with exponential backoff: a timeout,
a connection error, HTTP 429 (honouring a short Retry-After) and HTTP 5xx. Any other 4xx is the
caller's fault (bad number, unsubscribed recipient, expired token) and retrying would not help.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

# Longest Retry-After we are willing to wait inside a webhook request.
MAX_RETRY_AFTER_SECONDS = 10.0

# A platform's error may name the recipient ("The 'To' number +336... is not valid"): the logs
# never hold a phone number (nor a Messenger id), so long runs of digits are masked.
_NUMBER = re.compile(r"\+?\d[\d .-]{7,}\d")


def _loggable(body: Any) -> str:
    return _NUMBER.sub("<number>", str(body))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a transient failure."""

    attempts: int = 4
    base_delay: float = 0.5
    timeout: float = 10.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): 0.5, 1, 2, ..."""
        return self.base_delay * (2 ** (attempt - 1))


@dataclass
class DeliveryResult:
    """The outcome of a delivery: `ok`, the last HTTP status (None: no answer) and body."""

    ok: bool
    status: int | None
    body: Any = None
    attempts: int = 0
    error: str = field(default="")


def _is_transient(status: int) -> bool:
    return status == 429 or status >= 500


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return min(float(value), MAX_RETRY_AFTER_SECONDS) if value else None
    except ValueError:
        return None


async def post_with_retry(
    url: str,
    *,
    policy: RetryPolicy,
    data: dict[str, Any] | None = None,
    json: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    auth: aiohttp.BasicAuth | None = None,
    session: aiohttp.ClientSession | None = None,
    what: str = "message",
) -> DeliveryResult:
    """POST `data` (form) or `json` to `url`, retrying transient failures.

    Never raises for HTTP or network errors: the result says what happened, and the caller
    decides what to record. `what` names the call in logs (never the URL: it may hold a token).
    """
    own_session = session is None
    session = session or aiohttp.ClientSession()
    result = DeliveryResult(ok=False, status=None)
    try:
        for attempt in range(1, policy.attempts + 1):
            result.attempts = attempt
            wait = policy.delay(attempt)
            try:
                async with session.post(
                    url,
                    data=data,
                    json=json,
                    params=params,
                    auth=auth,
                    timeout=aiohttp.ClientTimeout(total=policy.timeout),
                ) as response:
                    result.status = response.status
                    try:
                        result.body = await response.json(content_type=None)
                    except ValueError:
                        result.body = await response.text()
                    if response.status < 400:
                        result.ok = True
                        return result
                    result.error = f"HTTP {response.status}"
                    if not _is_transient(response.status):
                        logger.error(
                            "%s refused (HTTP %s, not retried): %s",
                            what,
                            response.status,
                            _loggable(result.body),
                        )
                        return result
                    wait = _retry_after(response) or wait
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                result.status = None
                result.error = f"{type(error).__name__}: {error}"
            if attempt < policy.attempts:
                logger.warning(
                    "%s failed (%s), attempt %d/%d, retrying in %.2f s",
                    what,
                    result.error,
                    attempt,
                    policy.attempts,
                    wait,
                )
                await asyncio.sleep(wait)
        logger.error("%s failed after %d attempts: %s", what, policy.attempts, result.error)
        return result
    finally:
        if own_session:
            await session.close()
