"""Custom Rasa channels of the assistant: SMS through Twilio and Facebook Messenger.

Rasa loads them from credentials.yml by module path (``channels.sms.SecureTwilioInput``,
``channels.messenger.SecureMessengerInput``); set-up and testing are in docs/channels.md.
Nothing here opens a connection or a database at import time.
"""
