"""The project's domain, free of Rasa, web frameworks and the database."""
