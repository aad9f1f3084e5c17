import pytest

from franceservices.message_checks import (
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
    from franceservices.booking.codes import format_code, new_code
    from franceservices.message_checks import bare_booking_code

    code = new_code()
    assert bare_booking_code(format_code(code).lower()) == code
    assert bare_booking_code(f" {code} ") == code
    assert bare_booking_code("bonjour") is None
    assert bare_booking_code(f"mon code est {code}") is None  # a sentence: NLU decides
    assert bare_booking_code("") is None


@pytest.mark.parametrize(
    "form",
    ["{a} {b} 06 12 34 56 78", "{la}-{lb} 06.12.34.56.78", "0612345678 {la}{lb}",
     "{a}{b}0612345678", "+33 6 12 34 56 78 {a} {b}", "{a} {b} / 06 12 34 56 78"],
)  # fmt: skip
def test_a_message_that_is_only_a_code_and_the_phone_of_the_booking(form):
    """Issue 13: answering "Quel est le code ?" with the code and the phone given at booking."""
    from franceservices.booking.codes import new_code
    from franceservices.message_checks import bare_booking_code

    for _ in range(10):
        code = new_code()
        a, b = code[:3], code[3:]
        text = form.format(a=a, b=b, la=a.lower(), lb=b.lower())
        assert bare_booking_code(text) == code, text
    assert bare_booking_code(f"mon code {code} et mon numéro 06 12 34 56 78") is None  # sentence
    assert bare_booking_code(f"{code} 06 12 34") is None  # not a phone number
