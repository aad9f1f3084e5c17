import pytest

from franceservices.booking.contact import find_email, normalize_email, normalize_name, same_email
from franceservices.text.phones import (
    PHONE_EMPTY,
    PHONE_FOREIGN,
    PHONE_INVALID_PREFIX,
    PHONE_NOT_A_NUMBER,
    PHONE_SPECIAL,
    PHONE_TOO_LONG,
    PHONE_TOO_SHORT,
    check_phone,
    find_phone,
    format_phone_fr,
    normalize_phone,
)


@pytest.mark.parametrize(
    "text, e164",
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("  06 12 34 56 78  ", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("+33 06 12 34 56 78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("06/12/34/56/78", "+33612345678"),
        ("06\u00a012\u00a034\u00a056\u00a078", "+33612345678"),
        ("07 81 23 45 67", "+33781234567"),
        ("01 23 45 67 89", "+33123456789"),
        ("02 98 76 54 32", "+33298765432"),
        ("03 59 73 41 80", "+33359734180"),
        ("04 91 00 00 00", "+33491000000"),
        ("05 56 00 00 00", "+33556000000"),
        ("09 51 23 45 67", "+33951234567"),
        ("(03) 27 53 69 88", "+33327536988"),
    ],
)
def test_valid_phones(text, e164):
    check = check_phone(text)
    assert check.ok and check.e164 == e164 and check.reason == "ok"
    assert normalize_phone(text) == e164


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", PHONE_EMPTY),
        ("   ", PHONE_EMPTY),
        ("06 12 34 56 7", PHONE_TOO_SHORT),
        ("0612345", PHONE_TOO_SHORT),
        ("06 12 34 56 78 9", PHONE_TOO_LONG),
        ("061234567890", PHONE_TOO_LONG),
        ("+33 6 12 34 56 7", PHONE_TOO_SHORT),
        ("+33 6 12 34 56 78 9", PHONE_TOO_LONG),
        ("00 00 00 00 00", PHONE_INVALID_PREFIX),
        ("0012345678", PHONE_INVALID_PREFIX),
        ("6 12 34 56 78", PHONE_TOO_SHORT),
        ("612345678", PHONE_TOO_SHORT),
        ("1612345678", PHONE_INVALID_PREFIX),
        ("08 00 12 34 56", PHONE_SPECIAL),
        ("0899123456", PHONE_SPECIAL),
        ("+32 470 12 34 56", PHONE_FOREIGN),
        ("0044 20 7946 0958", PHONE_FOREIGN),
        ("+44 20 7946 0958", PHONE_FOREIGN),
        ("06 12 AB 56 78", PHONE_NOT_A_NUMBER),
        ("zéro six douze", PHONE_NOT_A_NUMBER),
        ("06 12 34 56 78 ou 07", PHONE_NOT_A_NUMBER),
        ("+33 0 0 00 00 00 00", PHONE_INVALID_PREFIX),
        ("\u0660\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", PHONE_NOT_A_NUMBER),
    ],
)
def test_invalid_phones(text, reason):
    check = check_phone(text)
    assert not check.ok and check.e164 is None
    assert check.reason == reason
    assert normalize_phone(text) is None


def test_mobile_flag():
    assert check_phone("06 12 34 56 78").is_mobile
    assert check_phone("07 81 23 45 67").is_mobile
    assert not check_phone("03 59 73 41 80").is_mobile
    assert not check_phone("").is_mobile


@pytest.mark.parametrize(
    "text, e164",
    [
        ("mon numéro c'est le 06 12 34 56 78 merci", "+33612345678"),
        ("appelez-moi au +33 6 12 34 56 78.", "+33612345678"),
        ("tel: 0612345678", "+33612345678"),
        ("le 03.59.73.41.80 le matin", "+33359734180"),
    ],
)
def test_find_phone_in_sentence(text, e164):
    assert find_phone(text).e164 == e164


def test_find_phone_reports_why():
    assert find_phone("bonjour").reason == PHONE_EMPTY
    assert find_phone("mon numéro 06 12 34 56").reason == PHONE_TOO_SHORT
    assert find_phone("le 08 00 12 34 56").reason == PHONE_SPECIAL


def test_format_phone_fr():
    assert format_phone_fr("+33612345678") == "06 12 34 56 78"
    assert format_phone_fr(normalize_phone("+33 (0)3 59 73 41 80")) == "03 59 73 41 80"
    with pytest.raises(ValueError):
        format_phone_fr("+3261234567")


@pytest.mark.parametrize(
    "text, normalized",
    [
        ("jean.dupont@orange.fr", "jean.dupont@orange.fr"),
        ("Jean.Dupont@Orange.FR", "Jean.Dupont@orange.fr"),
        ("  marie@gmail.com  ", "marie@gmail.com"),
        ("marie+caf@gmail.com", "marie+caf@gmail.com"),
        ("m_o-r'ris@free.fr", "m_o-r'ris@free.fr"),
        ("a@b.co", "a@b.co"),
        ("contact@mairie-trelon.fr", "contact@mairie-trelon.fr"),
        ("x@sub.domaine.gouv.fr", "x@sub.domaine.gouv.fr"),
        ("<paul@laposte.net>", "paul@laposte.net"),
        ("mailto:paul@laposte.net", "paul@laposte.net"),
        ("paul@laposte.net.", "paul@laposte.net"),
        ("user@xn--mnchen-3ya.de", "user@xn--mnchen-3ya.de"),
        ("123@456.fr", "123@456.fr"),
    ],
)
def test_valid_emails(text, normalized):
    assert normalize_email(text) == normalized


@pytest.mark.parametrize(
    "text",
    [
        "",
        "jean.dupont",
        "jean.dupont@",
        "@orange.fr",
        "jean@@orange.fr",
        "jean@orange",
        "jean@orange.",
        "jean@.orange.fr",
        "jean@orange..fr",
        "jean..dupont@orange.fr",
        ".jean@orange.fr",
        "jean.@orange.fr",
        "jean dupont@orange.fr",
        "jean@orange fr",
        "jean@-orange.fr",
        "jean@orange-.fr",
        "jean@orange.f",
        "jean@orange.123",
        "jéan@orange.fr",
        "jean@orangé.fr",
        "a@b@c.fr",
        "x" * 65 + "@orange.fr",
        "x@" + "a" * 250 + ".fr",
        '"jean"@orange.fr',
        "jean@[192.168.0.1]",
    ],
)
def test_invalid_emails(text):
    assert normalize_email(text) is None


def test_find_and_compare_emails():
    assert find_email("c'est jean.dupont@orange.fr merci") == "jean.dupont@orange.fr"
    assert find_email("mon mail: Paul@LaPoste.net.") == "Paul@laposte.net"
    assert find_email("pas d'adresse") is None
    assert same_email("Paul@LaPoste.net", "paul@laposte.net")
    assert not same_email("paul@laposte.net", "pierre@laposte.net")
    assert not same_email(None, "paul@laposte.net")


@pytest.mark.parametrize(
    "text, name",
    [
        ("Marie Dupont", "Marie Dupont"),
        ("  Jean-Pierre   Martin ", "Jean-Pierre Martin"),
        ("Françoise d'Hondt", "Françoise d'Hondt"),
        ("Françoise d\u2019Hondt", "Françoise d'Hondt"),
        ("Zoë Müller", "Zoë Müller"),
        ("de Villiers", "de Villiers"),
        ("Ó Briain", "Ó Briain"),
        ("Li", "Li"),
        ("X", "X"),
        ("Jean\u2013Luc", "Jean-Luc"),
        ("A" * 80, "A" * 80),
    ],
)
def test_valid_names(text, name):
    assert normalize_name(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "A" * 81,
        "Jean2",
        "jean@dupont",
        "-Jean",
        "Jean'",
        "Jean--Pierre",
        "J. Dupont",
        "🙂",
    ],
)
def test_invalid_names(text):
    assert normalize_name(text) is None
