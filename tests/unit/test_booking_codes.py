import itertools
import random

import pytest

from actions.booking_codes import (
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
