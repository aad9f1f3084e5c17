import pytest

from actions.message_checks import (
    EMPTY_MESSAGE,
    MAX_MESSAGE_CHARS,
    MESSAGE_TOO_LONG,
    NO_WORDS,
    classify_message,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", EMPTY_MESSAGE),
        (None, EMPTY_MESSAGE),
        ("   \n\t ", EMPTY_MESSAGE),
        ("🙂🙂🚌", NO_WORDS),
        ("?!...", NO_WORDS),
        ("👍", NO_WORDS),
        ("a" * (MAX_MESSAGE_CHARS + 1), MESSAGE_TOO_LONG),
        ("bonjour " * 625, MESSAGE_TOO_LONG),
        ("bonjour", None),
        ("59360", None),
        ("🙂 bonjour", None),
        ("مرحبا", None),
        ("a" * MAX_MESSAGE_CHARS, None),
    ],
)
def test_classify_message(text, expected):
    assert classify_message(text) == expected


def test_a_message_that_is_only_a_booking_code():
    from actions.booking_codes import format_code, new_code
    from actions.message_checks import bare_booking_code

    code = new_code()
    assert bare_booking_code(format_code(code).lower()) == code
    assert bare_booking_code(f" {code} ") == code
    assert bare_booking_code("bonjour") is None
    assert bare_booking_code(f"mon code est {code}") is None  # a sentence: NLU decides
    assert bare_booking_code("") is None
