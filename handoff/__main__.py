"""Run the agents' API and the reminder sender: `python -m handoff`.

Environment: AGENT_API_PORT (5056), BIND_HOST (127.0.0.1), RASA_URL, RASA_JWT_SECRET (or the
file RASA_JWT_SECRET_FILE, default var/rasa_jwt_secret, written by the launcher),
DATABASE_URL, AGENT_TOKENS_FILE / AGENT_TOKENS, REMINDER_INTERVAL_SECONDS (30).
"""

from __future__ import annotations

import asyncio
import logging
import os

from aiohttp import web

from franceservices.calendar.tours import get_calendar
from handoff.app import create_app
from handoff.auth import load_tokens
from handoff.delivery import RasaDelivery
from handoff.messages import MessageBox
from handoff.rasa_api import RasaClient
from handoff.rasa_run import jwt_secret
from handoff.reminders import ReminderSender
from store import Repository
from store.calendar_overlay import install as install_calendar_overlay


async def serve() -> None:
    env = dict(os.environ)
    rasa = RasaClient(env.get("RASA_URL", "http://127.0.0.1:5005"), jwt_secret(env))
    repo = Repository()
    box = MessageBox()
    deliver = RasaDelivery(rasa, box)
    tokens = load_tokens(env)
    if not tokens:
        logging.warning("no agent token: run `python -m handoff.cli add-agent NAME`")
    app = create_app({"tokens": tokens, "repo": repo, "rasa": rasa, "deliver": deliver, "box": box})
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = int(env.get("AGENT_API_PORT", "5056"))
    site = web.TCPSite(runner, env.get("BIND_HOST", "127.0.0.1"), port)
    await site.start()
    logging.info("agents' API on port %s", port)
    stop = asyncio.Event()
    # Reminders and cancellation notices read the calendar the assistant tells: tours.yml plus
    # the staff's changes in the database (store/calendar_overlay.py).
    install_calendar_overlay()
    sender = ReminderSender(repo, deliver, is_up=rasa.is_up, calendar=get_calendar)
    interval = float(env.get("REMINDER_INTERVAL_SECONDS", "30"))
    try:
        await sender.loop(interval, stop)
    finally:
        await runner.cleanup()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
