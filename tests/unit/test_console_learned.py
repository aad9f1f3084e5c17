"""The learned data set (console/learned.py): labelled teach messages sorted into training
examples and refusals (personal data, two intents, near a held-out example, conflicts)."""

from __future__ import annotations

from types import SimpleNamespace

from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from console.learned import (
    build,
    held_out_paths,
    plain_text,
    read_nlu_examples,
    token_distance,
    training_paths,
)


def item(item_id: int, text: str, intent: str | None = None, out_of_scope: bool = False):
    return SimpleNamespace(id=item_id, text=text, intent=intent, out_of_scope=out_of_scope)


HELD_OUT = [("quand passe le bus à Trélon", "ask_bus_visit"), ("au revoir madame", "goodbye")]
TRAINING = [("bonjour", "greet"), ("je veux un conseiller", "ask_human")]


def reasons(result) -> dict[int, str]:
    return {refusal.item_id: refusal.reason for refusal in result.refused}


def test_token_distance_counts_words():
    assert token_distance("a b c".split(), "a b c".split()) == 0
    assert token_distance("a b c".split(), "a x c".split()) == 1
    assert token_distance("a b c".split(), "a b".split()) == 1
    assert token_distance("a b c".split(), "b c a".split()) == 2
    assert token_distance([], "a b".split()) == 2


def test_a_clean_label_becomes_an_example_and_duplicates_merge():
    result = build(
        [
            item(1, "ma CAF a coupé mes APL", "ask_documents"),
            item(2, "Ma caf a coupe mes APL !", "ask_documents"),
            item(3, "la météo demain", out_of_scope=True),
            item(4, "pas encore classé"),
        ],
        HELD_OUT,
        TRAINING,
    )
    assert [(e.text, e.intent, e.item_ids) for e in result.examples] == [
        ("la météo demain", "out_of_scope", (3,)),
        ("ma CAF a coupé mes APL", "ask_documents", (1, 2)),
    ]
    assert result.refused == []


def test_personal_data_is_never_an_example():
    result = build([item(1, "rappelez moi au 06 12 34 56 78", "ask_human")], HELD_OUT, TRAINING)
    assert result.examples == []
    assert reasons(result) == {1: "personal_data"}
    assert "06 12" not in result.refused[0].text


def test_same_text_under_two_intents_is_refused_both_ways():
    result = build(
        [item(1, "carte grise", "ask_documents"), item(2, "Carte grisé", "ask_booking")],
        HELD_OUT,
        TRAINING,
    )
    assert result.examples == []
    assert reasons(result) == {1: "two_intents", 2: "two_intents"}
    assert {r.other for r in result.refused} == {"ask_booking", "ask_documents"}


def test_one_word_from_a_held_out_example_is_refused():
    result = build(
        [
            item(1, "Quand passe le bus a TRELON ?", "ask_bus_visit"),  # same once normalised
            item(2, "quand passe le bus à Fourmies", "ask_bus_visit"),  # one word replaced
            item(3, "au revoir", "goodbye"),  # one word removed
            item(4, "quand est ce que passe le bus à Fourmies", "ask_bus_visit"),  # three words
        ],
        HELD_OUT,
        TRAINING,
    )
    assert reasons(result) == {1: "near_test", 2: "near_test", 3: "near_test"}
    assert result.refused[0].other == "quand passe le bus à Trélon"
    assert [e.item_ids for e in result.examples] == [(4,)]


def test_text_already_trained_or_trained_under_another_intent():
    result = build(
        [item(1, "Bonjour !", "greet"), item(2, "je veux un conseiller", "ask_documents")],
        HELD_OUT,
        TRAINING,
    )
    assert result.examples == []
    assert reasons(result) == {2: "training_conflict", 1: "already_trained"}
    assert result.refused[0].other == "ask_human"


def test_the_file_is_read_back_by_rasa():
    result = build(
        [
            item(1, "ma CAF a coupé mes APL", "ask_documents"),
            item(2, "c'est quoi: un « cerfa » ? #aide", "ask_documents"),
            item(3, "la météo", out_of_scope=True),
        ],
        HELD_OUT,
        TRAINING,
    )
    data = RasaYAMLReader().reads(result.to_yaml())
    assert sorted((m.get("text"), m.get("intent")) for m in data.intent_examples) == [
        ("c'est quoi: un « cerfa » ? #aide", "ask_documents"),
        ("la météo", "out_of_scope"),
        ("ma CAF a coupé mes APL", "ask_documents"),
    ]


def test_project_files_are_read_without_annotations():
    assert plain_text("le bus à [Trélon](commune) ?") == "le bus à Trélon ?"
    assert plain_text('le bus à [Trélon]{"entity": "commune"}') == "le bus à Trélon"
    held_out = read_nlu_examples(held_out_paths())
    training = read_nlu_examples(training_paths())
    assert len(held_out) > 100 and len(training) > 500
    assert not any("](" in text for text, _ in held_out + training)
