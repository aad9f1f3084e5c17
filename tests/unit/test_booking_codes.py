import itertools
import random

import pytest

from franceservices.booking.codes import (
    ALPHABET,
    CODE_LENGTH,
    check_character,
    code_candidates,
    find_code,
    format_code,
    is_valid_code,
    new_code,
    parse_code,
)


def seeded(seed=1):
    rng = random.Random(seed)
    return lambda n: rng.randrange(n)


def test_alphabet_has_no_ambiguous_characters():
    assert not set("0O1IL") & set(ALPHABET)
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert ALPHABET == ALPHABET.upper()


def test_new_codes_are_valid_and_varied():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) > 1990  # 28.6 million possibilities
    for code in codes:
        assert len(code) == CODE_LENGTH and is_valid_code(code)
        assert set(code) <= set(ALPHABET)


def test_injected_random_source_is_deterministic():
    assert new_code(seeded(7)) == new_code(seeded(7))


def test_every_single_character_error_is_detected():
    for code in (new_code(seeded(s)) for s in range(40)):
        for i, wrong in itertools.product(range(CODE_LENGTH), ALPHABET):
            if wrong != code[i]:
                assert not is_valid_code(code[:i] + wrong + code[i + 1 :])


def test_every_swap_of_neighbours_is_detected():
    for code in (new_code(seeded(s)) for s in range(200)):
        for i in range(CODE_LENGTH - 1):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                assert not is_valid_code(swapped)


@pytest.mark.parametrize("variant", ["{a} {b}", "{a}-{b}", "{la} {lb}", "{la}{lb}", " {a}.{b} "])
def test_parse_is_tolerant(variant):
    code = new_code(seeded(3))
    a, b = code[:3], code[3:]
    text = variant.format(a=a, b=b, la=a.lower(), lb=b.lower())
    assert parse_code(text) == code


def test_parse_spaced_letters():
    code = new_code(seeded(4))
    assert parse_code(" ".join(code.lower())) == code


@pytest.mark.parametrize("text", ["", "ABC", "ABCDEFG", "AB0K7P", "ABOK7P", "AB1K7P", "ABIK7P"])
def test_parse_refuses(text):
    assert parse_code(text) is None


def test_wrong_check_character_refused():
    code = new_code(seeded(5))
    other = next(ch for ch in ALPHABET if ch != code[-1])
    assert parse_code(code[:-1] + other) is None


def test_check_character_refuses_foreign_characters():
    with pytest.raises(ValueError):
        check_character("AB0DE")


def test_format_code():
    code = new_code(seeded(6))
    assert format_code(code) == f"{code[:3]} {code[3:]}"
    assert format_code(code.lower()) == f"{code[:3]} {code[3:]}"
    with pytest.raises(ValueError):
        format_code("nope")


def test_find_code_in_a_sentence():
    code = new_code(seeded(8))
    a, b = code[:3].lower(), code[3:].lower()
    assert find_code(f"bonjour mon code c'est {a} {b} merci") == code
    assert find_code(f"code: {code}.") == code
    assert find_code("je voudrais annuler") is None or len(find_code("je voudrais annuler")) == 6
    assert find_code("") is None


def test_candidates_rank_one_word_first():
    code = new_code(seeded(9))
    candidates = code_candidates(f"{code[:3]} {code[3:]} et aussi {code}")
    assert candidates[0] == code
    assert len(candidates) == len(set(candidates))


# -- a code and the phone number given at booking, as people type them (issue 13) ------------

CODE_WITH_PHONE = [
    "{a} {b} 06 12 34 56 78",
    "{a}{b} 0612345678",
    "{la}-{lb}, tel 06.12.34.56.78",
    "code {a} {b} mon numéro 06 12 34 56 78",
    "0612345678 {a}{b}",
    "06 12 34 56 78 {a} {b}",
    "{a} {b} / 06 12 34 56 78",
    "{a}{b}0612345678",
    "0612345678{la}{lb}",
    "+33612345678 {la}{lb}",
    "{la} {lb} au 06 12 34 56 78",
    "{la}.{lb} 06-12-34-56-78",
    "code:{a}{b} tel:0612345678",
    "{a} {b}, 06 12 34 56 78",
    "{a}-{b} 06 12 34 56 78",
    "mon rdv {la}{lb} je suis au 0612345678",
    "{a} {b} +33 6 12 34 56 78",
    "{a}{b},0612345678",
    "n° {a} {b} tél 06 12 34 56 78",
    "{spaced} 06 12 34 56 78",
    "06.12.34.56.78 code {la} {lb}",
    "où en est mon rdv {la}{lb} 0612345678",
    "annuler {a} {b} numéro 06 12 34 56 78",
    "{a}_{b} 06 12 34 56 78",
]


@pytest.mark.parametrize("form", CODE_WITH_PHONE)
def test_a_code_and_a_phone_number_are_parted(form):
    from franceservices.booking.codes import split_code
    from franceservices.text.phones import find_phone

    for seed in range(30):  # codes ending in a digit are the hard ones ("...K79 06 12")
        code = new_code(seeded(100 + seed))
        a, b = code[:3], code[3:]
        text = form.format(a=a, b=b, la=a.lower(), lb=b.lower(), spaced=" ".join(code.lower()))
        found, rest = split_code(text)
        assert found == code, text
        assert find_phone(rest).e164 == "+33612345678", text
        assert split_code(text, code) == (found, rest)  # the code NLU gave is the one cut out


def test_split_code_without_a_code():
    from franceservices.booking.codes import split_code

    assert split_code("06 12 34 56 78") == (None, "06 12 34 56 78")
    assert split_code("", None) == (None, "")
