from franceservices.conversation import consecutive_fallbacks


def user(intent):
    return {"event": "user", "parse_data": {"intent": {"name": intent, "confidence": 0.3}}}


def bot():
    return {"event": "bot", "text": "..."}


def test_counts_misunderstandings_in_a_row():
    events = [user("greet"), bot(), user("nlu_fallback"), bot(), user("nlu_fallback")]
    assert consecutive_fallbacks(events) == 2


def test_an_understood_message_resets_the_count():
    events = [user("nlu_fallback"), bot(), user("greet"), bot(), user("nlu_fallback")]
    assert consecutive_fallbacks(events) == 1


def test_a_new_session_resets_the_count():
    events = [user("nlu_fallback"), {"event": "session_started"}, user("nlu_fallback")]
    assert consecutive_fallbacks(events) == 1


def test_no_user_message():
    assert consecutive_fallbacks([]) == 0
    assert consecutive_fallbacks([{"event": "action", "name": "action_listen"}]) == 0
