"""Production profile: PostgreSQL, Redis, two Rasa servers, the action server behind nginx."""
