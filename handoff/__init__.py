"""The agents' side of the handoff: an HTTP API for agents, delivery through Rasa, reminders.

Runs as its own process (`python -m handoff`, started by scripts/stack.py on `AGENT_API_PORT`,
default 5056):

- `handoff/app.py`: the agents' API (`create_app(config)`), token per agent in the
  `Authorization: Bearer` header (`handoff/auth.py`, tokens made by `python -m handoff.cli`);
- `handoff/rasa_api.py`: Rasa's HTTP API with a JWT (Rasa runs with `--enable-api` and
  `--jwt-secret`, see `handoff/rasa_run.py`);
- `handoff/delivery.py`: an agent's message or a reminder into the person's own channel (SMS and
  Messenger through Rasa's output channels; web conversations through `agent_messages`);
- `handoff/reminders.py`: the loop sending the reminders stored in the database.

Design and API reference: docs/handoff.md.
"""
