"""Issue 13: the slot chosen by what people type, against the slots the form proposed.

Sentences as citizens type them on the web and by SMS (numbered lists answered in words too).
"""

from __future__ import annotations

import pytest

from franceservices.booking import rules as logic
from franceservices.booking.slot_choice import choose_slot

# What the form proposed, in the order shown (Paris times; 7 December 2026 is a Monday).
MON_7_10H = "bus:avesnois@2026-12-07T10:00:00+01:00"
TUE_8_9H = "desk:346@2026-12-08T09:00:00+01:00"
TUE_8_14H = "desk:346@2026-12-08T14:00:00+01:00"
WED_9_9H30 = "bus:avesnois@2026-12-09T09:30:00+01:00"
THU_10_11H = "desk:346@2026-12-10T11:00:00+01:00"
FRI_11_15H30 = "bus:avesnois@2026-12-11T15:30:00+01:00"
PROPOSALS = [MON_7_10H, TUE_8_9H, TUE_8_14H, WED_9_9H30, THU_10_11H, FRI_11_15H30]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The sentences.
        ("le deuxième", TUE_8_9H),
        ("mercredi à 9 h 30", WED_9_9H30),
        ("celui de lundi", MON_7_10H),
        ("le 7 à 10h", MON_7_10H),
        # As people type them (web and SMS).
        ("le 2eme", TUE_8_9H),
        ("le 2e svp", TUE_8_9H),
        ("Mercredi 9h30", WED_9_9H30),
        ("mercredi", WED_9_9H30),
        ("jeudi", THU_10_11H),
        ("jeudi 11h", THU_10_11H),
        ("celui du jeudi 10", THU_10_11H),
        ("le 10 decembre", THU_10_11H),
        ("10/12 a 11h", THU_10_11H),
        ("vendredi 15h30", FRI_11_15H30),
        ("ok pour vendredi", FRI_11_15H30),
        ("mardi aprem", TUE_8_14H),
        ("mardi après-midi", TUE_8_14H),
        ("mardi matin", TUE_8_9H),
        ("mardi a 14h", TUE_8_14H),
        ("le 8 a 9h", TUE_8_9H),
        ("9h30", WED_9_9H30),
        ("à 15 h 30 svp", FRI_11_15H30),
        ("celui de 11 h", THU_10_11H),
        ("14:00", TUE_8_14H),
        ("le dernier", FRI_11_15H30),
        ("le premier", MON_7_10H),
        ("Le 3", TUE_8_14H),
        ("3", TUE_8_14H),
        ("trois", TUE_8_14H),
        ("lundi 7 décembre à 10 h", MON_7_10H),
        ("le lundi", MON_7_10H),
        ("jeu 11h", THU_10_11H),
        ("ven", FRI_11_15H30),
        ("Mercredi 9 à 9h30 merci", WED_9_9H30),
        ("le 7", MON_7_10H),  # more than six proposals: the 7th of the month
        ("le mardi a 2h de l'aprem", TUE_8_14H),
    ],
)
def test_a_typed_answer_picks_the_slot(text, expected):
    assert logic.pick_slot(text, None, PROPOSALS) == expected


@pytest.mark.parametrize(
    ("text", "several"),
    [
        ("mardi", (TUE_8_9H, TUE_8_14H)),
        ("le 8", (TUE_8_9H, TUE_8_14H)),
        ("le matin", (MON_7_10H, TUE_8_9H, WED_9_9H30, THU_10_11H)),
    ],
)
def test_an_answer_that_fits_several_asks_which(text, several):
    choice = choose_slot(text, None, PROPOSALS)
    assert choice.token is None and choice.several and choice.candidates == several
    assert logic.pick_slot(text, None, PROPOSALS) is None


@pytest.mark.parametrize(
    "text",
    [
        "lundi 14h",  # no slot then
        "jeudi 10h",
        "samedi",
        "le 12",
        "non",
        "c'est quoi les papiers pour la carte grise",
        "je sais pas",
        "un rendez-vous",
        "",
    ],
)
def test_an_answer_that_fits_none_is_not_a_choice(text):
    assert choose_slot(text, None, PROPOSALS).token is None
    assert not choose_slot(text, None, PROPOSALS).several


def test_a_button_token_wins_over_the_words():
    assert logic.pick_slot("mardi", THU_10_11H, PROPOSALS) == THU_10_11H
    assert logic.pick_slot("", "desk:999@2026-12-01T09:00:00+01:00", PROPOSALS) is None
