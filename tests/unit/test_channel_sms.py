"""SMS channel (channels/sms.py): signature, numbered choices, length rule, STOP/START, sending.

Each scenario runs the real connector in a Sanic server and a real local HTTP server for Twilio's
API (see channel_harness.py); the plain text rules of channels/sms_format.py are tested directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from channels import texts
from channels.delivery import RetryPolicy
from channels.sms import (
    SecureTwilioInput,
    SmsOutput,
    TwilioConfig,
    is_opted_out,
)
from channels.sms_format import (
    keyword,
    normalise_for_sms,
    parse_choice,
    segment_count,
    split_for_sms,
)
from channels.store import ChannelStore
from franceservices.text.gsm7 import is_gsm7
from franceservices.text.phones import to_e164
from tests.unit.channel_harness import Agent, Bot, Platform, Reply, request, say, serve

TOKEN = "twilio-auth-token"
SID = "AC0123456789"
OUR_NUMBER = "+33700000000"
PHONE = "+33612345678"
OTHER_PHONE = "+33698765432"
WEBHOOK = "/webhooks/twilio/webhook"
PUBLIC_URL = "https://assistant.lenord.fr/webhooks/twilio/webhook"

GREETING_WITH_BUTTONS = {
    "text": "Que voulez-vous faire ?",
    "buttons": [
        {"title": "Quand passe le bus ?", "payload": "/ask_bus_visit"},
        {"title": "Quels papiers apporter ?", "payload": "/ask_documents"},
        {"title": "Parler à une personne", "payload": "/ask_human"},
    ],
}

# Long French answer with letters outside GSM-7 (ê, ô, ç): the whole SMS is UCS-2.
LONG_UCS2 = (
    "Pour refaire une carte d'identité, même périmée, prenez rendez-vous dans une mairie. "
    "Apportez une photo d'identité récente et un justificatif de domicile. "
    "Si la carte a été volée, apportez aussi la déclaration faite à la gendarmerie. "
    "La fenêtre de dépôt est ouverte du lundi au vendredi. "
    "Le délai est d'environ trois semaines, parfois plus en été. "
    "Vous recevrez un SMS quand la carte sera prête à être retirée. "
    "Le retrait se fait en personne, à la même mairie, sur présentation du reçu."
)


def twilio_form(body: str, sid: str = "SM0001", phone: str = PHONE) -> dict[str, str]:
    """Every field Twilio posts for an incoming SMS, the empty ones too (it signs them all)."""
    return {
        "ToCountry": "FR",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "FR",
        "To": OUR_NUMBER,
        "MessagingServiceSid": "",
        "ToZip": "",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": SID,
        "From": phone,
        "ApiVersion": "2010-04-01",
    }


@dataclass
class World:
    platform: Platform
    agent: Agent
    store: ChannelStore
    channel: SecureTwilioInput
    base_url: str
    db_url: str

    @property
    def sent(self) -> list[dict[str, str]]:
        """The SMS sent through Twilio's API (form fields To, From, Body)."""
        return [r.form for r in self.platform.requests]

    async def post(
        self,
        params: dict[str, str],
        *,
        signed_url: str | None = None,
        token: str = TOKEN,
        signature: str | None = "auto",
        headers: dict[str, str] | None = None,
        body: dict[str, str] | None = None,
    ) -> Reply:
        """POST `body` (default: `params`) signed over `params` for `signed_url`."""
        url = self.base_url + WEBHOOK
        all_headers = dict(headers or {})
        if signature == "auto":
            signature = RequestValidator(token).compute_signature(signed_url or url, params)
        if signature is not None:
            all_headers["X-Twilio-Signature"] = signature
        return await request("POST", url, data=body or params, headers=all_headers)

    async def sms(self, text: str, sid: str | None = None, phone: str = PHONE) -> Reply:
        """A citizen's SMS, correctly signed."""
        self._count = getattr(self, "_count", 0) + 1
        return await self.post(twilio_form(text, sid or f"SM{self._count:04d}", phone))


def make_config(api_base: str, public_url: str | None = None) -> TwilioConfig:
    return TwilioConfig(
        account_sid=SID,
        auth_token=TOKEN,
        twilio_number=OUR_NUMBER,
        public_url=public_url,
        api_base=api_base,
        retry=RetryPolicy(attempts=3, base_delay=0.01, timeout=5),
    )


@asynccontextmanager
async def world(
    tmp_path: Path, bot: Bot | None = None, public_url: str | None = None
) -> AsyncIterator[World]:
    db_url = f"sqlite:///{tmp_path / 'channels.db'}"
    store = ChannelStore(db_url)
    agent = Agent(bot=bot)
    async with Platform().running() as platform:
        channel = SecureTwilioInput(make_config(platform.base_url, public_url), store)
        async with serve(channel, agent) as base_url:
            yield World(platform, agent, store, channel, base_url, db_url)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# --- Signature -----------------------------------------------------------------------------------


def test_signed_request_reaches_the_dialogue(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            reply = await w.sms("quand passe le bus à Trélon ?")
            assert reply.status == 204
            [message] = w.agent.messages
            assert message.text == "quand passe le bus à Trélon ?"
            assert message.sender_id == PHONE
            assert message.input_channel == "twilio"
            assert message.output_channel.name() == "twilio"

    run(scenario())


def test_forged_signature_is_refused(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            params = twilio_form("bonjour", "SM1")
            reply = await w.post(params, token="not-the-auth-token")
            assert reply.status == 403
            assert w.agent.messages == []
            assert w.sent == []

    run(scenario())


def test_missing_signature_is_refused(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            reply = await w.post(twilio_form("bonjour"), signature=None)
            assert reply.status == 403
            assert w.agent.messages == []

    run(scenario())


def test_replayed_signature_with_modified_body_is_refused(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            original = twilio_form("bonjour", "SM1")
            tampered = {**original, "From": "+33699999999", "Body": "STOP"}
            reply = await w.post(original, body=tampered)
            assert reply.status == 403
            assert w.agent.messages == []
            assert not w.store.is_opted_out("+33699999999")

    run(scenario())


def test_exact_replay_is_handled_once(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            assert (await w.sms("bonjour", sid="SMsame")).status == 204
            assert (await w.sms("bonjour", sid="SMsame")).status == 204
            assert w.agent.texts == ["bonjour"]

    run(scenario())


def test_behind_a_proxy_the_forwarded_public_url_is_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("WEB_TRUSTED_PROXIES", "127.0.0.1")  # the test client is the proxy

    async def scenario():
        async with world(tmp_path) as w:
            params = twilio_form("bonjour", "SM1")
            forwarded = {
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "assistant.lenord.fr",
            }
            ok = await w.post(params, signed_url=PUBLIC_URL, headers=forwarded)
            assert ok.status == 204
            # The same signature, without the proxy's headers: the URL differs, refused.
            params2 = twilio_form("bonjour", "SM2")
            refused = await w.post(params2, signed_url=PUBLIC_URL)
            assert refused.status == 403
            # Signed for another host than the one the proxy forwards.
            other = await w.post(
                twilio_form("bonjour", "SM3"),
                signed_url="https://evil.example/webhooks/twilio/webhook",
                headers=forwarded,
            )
            assert other.status == 403
            assert w.agent.texts == ["bonjour"]

    run(scenario())


def test_forwarded_host_from_an_untrusted_peer_is_not_believed(tmp_path, monkeypatch):
    # No trusted proxy: whoever connects names no host. An attacker who knows no auth token
    # cannot sign for our host; signing for a host of his own and naming it must not work.
    monkeypatch.delenv("WEB_TRUSTED_PROXIES", raising=False)

    async def scenario():
        async with world(tmp_path) as w:
            forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
            reply = await w.post(
                twilio_form("STOP", "SM1"),
                signed_url="https://evil.example/webhooks/twilio/webhook",
                headers=forged,
            )
            assert reply.status == 403
            assert w.agent.messages == []
            assert not w.store.is_opted_out(PHONE)

    run(scenario())


def test_configured_public_url_wins(tmp_path):
    async def scenario():
        async with world(tmp_path, public_url=PUBLIC_URL) as w:
            params = twilio_form("bonjour", "SM1")
            assert (await w.post(params, signed_url=PUBLIC_URL)).status == 204
            # Signed for the internal URL the request really hit: not what Twilio signs.
            internal = twilio_form("bonjour", "SM2")
            assert (await w.post(internal)).status == 403
            assert w.agent.texts == ["bonjour"]

    run(scenario())


# --- Sending -------------------------------------------------------------------------------------


def test_answer_is_posted_to_twilio_with_basic_auth(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            await w.sms("bonjour")
            [call] = w.platform.requests
            assert call.method == "POST"
            assert call.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
            assert call.headers["Authorization"].startswith("Basic ")
            assert call.form == {"To": PHONE, "From": OUR_NUMBER, "Body": "Bonjour !"}

    run(scenario())


def test_responses_of_one_turn_go_in_one_sms(tmp_path):
    async def scenario():
        bot = say({"text": "Le bus passe à Trélon le 3 mars."}, {"text": "Autre chose ?"})
        async with world(tmp_path, bot=bot) as w:
            await w.sms("bus trélon")
            assert [s["Body"] for s in w.sent] == [
                "Le bus passe à Trélon le 3 mars.\nAutre chose ?"
            ]

    run(scenario())


def test_transient_errors_are_retried(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            w.platform.fail_with = [(500, {"message": "oops"}), (429, {"message": "slow down"})]
            await w.sms("bonjour")
            assert len(w.platform.requests) == 3
            assert w.platform.fail_with == []

    run(scenario())


def test_client_errors_are_not_retried(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            w.platform.fail_with = [(400, {"code": 21211, "message": "invalid To"})]
            reply = await w.sms("bonjour")
            assert reply.status == 204
            assert len(w.platform.requests) == 1

    run(scenario())


def test_twilio_unsubscribed_error_records_the_opt_out(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            w.platform.fail_with = [(400, {"code": 21610, "message": "unsubscribed"})]
            await w.sms("bonjour")
            assert w.store.is_opted_out(PHONE)

    run(scenario())


def test_a_slow_twilio_does_not_block_the_server(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            w.platform.delay = 0.5
            done: list[str] = []

            async def sms():
                await w.sms("bonjour")
                done.append("sms")

            async def health():
                await asyncio.sleep(0.1)
                reply = await request("GET", w.base_url + "/webhooks/twilio/")
                assert reply.status == 200
                done.append("health")

            await asyncio.gather(sms(), health())
            assert done == ["health", "sms"]

    run(scenario())


def test_answer_is_sent_even_if_twilio_hangs_up_first(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            # Twilio's API is slow and fails once: the retry happens after the hang-up.
            w.platform.delay = 0.3
            w.platform.fail_with = [(500, {"message": "oops"})]
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(w.sms("bonjour"), timeout=0.1)
            await asyncio.sleep(0.8)
            assert [s["Body"] for s in w.sent] == ["Bonjour !", "Bonjour !"]

    run(scenario())


def test_proactive_message_through_get_output_channel(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            output = w.channel.get_output_channel()
            assert isinstance(output, SmsOutput) and output.name() == "twilio"
            await output.send_response(PHONE, {"text": "Rappel : le bus passe demain."})
            assert [s["Body"] for s in w.sent] == ["Rappel : le bus passe demain."]

    run(scenario())


# --- Numbered choices ----------------------------------------------------------------------------


@pytest.mark.parametrize("reply", ["2", " 2 ", "2.", "le 2", "Le 2", "n°2", "2)"])
def test_numbered_choice_maps_back_to_the_button_payload(tmp_path, reply):
    async def scenario():
        async with world(tmp_path, bot=say(GREETING_WITH_BUTTONS)) as w:
            await w.sms("bonjour")
            assert w.sent[0]["Body"] == (
                "Que voulez-vous faire ?\nRépondez 1 pour Quand passe le bus, "
                "2 pour Quels papiers apporter, 3 pour Parler à une personne."
            )
            await w.sms(reply)
            assert w.agent.texts[1] == "/ask_documents"
            assert w.agent.messages[1].metadata["sms_choice"] == 2

    run(scenario())


def test_choices_of_several_responses_are_numbered_in_order(tmp_path):
    async def scenario():
        bot = say(
            {"text": "Premier.", "buttons": [{"title": "Oui", "payload": "/affirm"}]},
            {"text": "Second.", "buttons": [{"title": "Non", "payload": "/deny"}]},
        )
        async with world(tmp_path, bot=bot) as w:
            await w.sms("bonjour")
            assert (
                w.sent[0]["Body"] == "Premier.\nRépondez 1 pour Oui.\nSecond.\nRépondez 2 pour Non."
            )
            w.agent.bot = None
            await w.sms("2")
            assert w.agent.texts[-1] == "/deny"

    run(scenario())


def test_number_without_matching_choice_goes_to_the_dialogue_as_is(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say(GREETING_WITH_BUTTONS)) as w:
            await w.sms("bonjour")
            w.agent.bot = say({"text": "D'accord."})
            await w.sms("7")
            assert w.agent.texts[-1] == "7"
            # The last answer had no buttons: "1" is now just "1".
            await w.sms("1")
            assert w.agent.texts[-1] == "1"

    run(scenario())


# --- Length rule ---------------------------------------------------------------------------------


def test_long_ucs2_answer_is_cut_on_a_sentence_and_suite_sends_the_rest(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": LONG_UCS2})) as w:
            await w.sms("carte d'identité perdue")
            first = w.sent[0]["Body"]
            assert not is_gsm7(first)
            assert segment_count(first) <= 3
            assert len(first) <= 3 * 67
            assert first.endswith(f"\u2026\n{texts.SMS_MORE_POINTER}")
            assert first.split(" \u2026")[0].endswith(".")  # cut after a whole sentence

            bodies = [first]
            while bodies[-1].endswith(texts.SMS_MORE_POINTER) and len(bodies) < 10:
                await w.sms("suite")
                bodies.append(w.sent[-1]["Body"])
            assert len(bodies) >= 3
            assert all(segment_count(b) <= 3 for b in bodies)
            # SUITE was never passed to the dialogue while text was waiting.
            assert w.agent.texts == ["carte d'identité perdue"]
            rebuilt = " ".join(b.split(" \u2026\n")[0].split(" ...\n")[0] for b in bodies)
            assert rebuilt == LONG_UCS2

    run(scenario())


def test_gsm7_answer_uses_153_character_segments():
    text = " ".join(["Le bus France Services passe a Trelon le mardi matin."] * 12)
    first, rest = split_for_sms(text)
    assert is_gsm7(first)
    assert segment_count(first) == 3
    assert 153 * 2 < len(first) <= 153 * 3
    assert first.endswith(f"...\n{texts.SMS_MORE_POINTER}")
    assert rest


def test_short_answer_is_sent_whole():
    assert split_for_sms("Bonjour !") == ("Bonjour !", "")


def test_segment_limits():
    assert segment_count("a" * 160) == 1
    assert segment_count("a" * 161) == 2
    assert segment_count("a" * 306) == 2
    assert segment_count("a" * 307) == 3
    assert segment_count("ê" * 70) == 1
    assert segment_count("ê" * 71) == 2
    assert segment_count("ê" * 134) == 2
    assert segment_count("€" * 80) == 1  # extension table: 2 septets each
    assert segment_count("€" * 81) == 2


def test_typography_does_not_force_ucs2():
    text = normalise_for_sms("L\u2019horaire\u00a0: \u00ab\u00a09h\u201312h\u00a0\u00bb\u2026")
    assert text == 'L\'horaire : " 9h-12h "...'
    assert is_gsm7(text)
    assert is_gsm7("Écrivez à la mairie, été, où")
    assert not is_gsm7("fenêtre")
    assert normalise_for_sms("fenêtre, reçu", fold_accents=True) == "fenetre, recu"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), (" 2 ", 2), ("2.", 2), ("le 2", 2), ("Numéro 3", 3), ("12", 12)],
)
def test_parse_choice(text, expected):
    assert parse_choice(text) == expected


@pytest.mark.parametrize("text", ["59360", "2 bus", "le bus", "", "deux"])
def test_parse_choice_refuses_other_text(text):
    assert parse_choice(text) is None


def test_to_e164():
    assert to_e164("06 12 34 56 78") == PHONE
    assert to_e164("0033612345678") == PHONE
    assert to_e164(PHONE) == PHONE


# --- STOP / START --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["STOP", "stop", " Stop. ", "ARRET", "Arrêt", "STOPALL", "unsubscribe"]
)
def test_stop_confirms_once_and_silences_the_number(tmp_path, word):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            await w.sms(word)
            assert [s["Body"] for s in w.sent] == [texts.SMS_OPTED_OUT]
            assert w.agent.messages == []
            assert is_opted_out(PHONE, database_url=w.db_url)
            assert is_opted_out("06 12 34 56 78", database_url=w.db_url)

            await w.sms("STOP")  # confirmed once only
            await w.sms("bonjour")  # not answered, not even passed to the dialogue
            await w.channel.get_output_channel().send_response(PHONE, {"text": "Rappel"})
            assert len(w.sent) == 1
            assert w.agent.messages == []

    run(scenario())


def test_start_resumes_the_messages(tmp_path):
    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour !"})) as w:
            await w.sms("STOP")
            await w.sms("Démarrer")
            assert [s["Body"] for s in w.sent] == [texts.SMS_OPTED_OUT, texts.SMS_OPTED_IN]
            assert not is_opted_out(PHONE, database_url=w.db_url)
            await w.sms("bonjour")
            assert w.sent[-1]["Body"] == "Bonjour !"
            assert w.agent.texts == ["bonjour"]

    run(scenario())


def test_stop_inside_a_sentence_is_not_an_opt_out(tmp_path):
    async def scenario():
        async with world(tmp_path) as w:
            await w.sms("je veux stop le rendez-vous")
            assert w.agent.texts == ["je veux stop le rendez-vous"]
            assert not w.store.is_opted_out(PHONE)

    run(scenario())


def test_keyword():
    assert keyword(" Arrêt. ") == "ARRET"
    assert keyword("la  suite") == "LA SUITE"


def test_opt_out_survives_a_new_store_on_the_same_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    ChannelStore(url).set_opted_out(PHONE, True)
    assert ChannelStore(url).is_opted_out(PHONE)
    ChannelStore(url).set_opted_out(PHONE, False)
    assert not ChannelStore(url).is_opted_out(PHONE)


def test_config_from_environment(monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("TWILIO_NUMBER", OUR_NUMBER)
    monkeypatch.setenv("TWILIO_API_BASE", "http://127.0.0.1:9/")
    config = TwilioConfig.from_credentials(None)
    assert config.messages_url == f"http://127.0.0.1:9/2010-04-01/Accounts/{SID}/Messages.json"
    assert config.public_url is None
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        TwilioConfig.from_credentials({})


# --- Limits (channels/limits.py) -----------------------------------------------------------------


def test_a_flood_from_one_number_is_not_answered(tmp_path, monkeypatch):
    monkeypatch.setenv("SMS_RATE_PER_NUMBER", "3/60")

    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour."})) as w:
            replies = [await w.sms("bonjour") for _ in range(5)]
            assert all(r.status == 204 for r in replies)  # Twilio is told nothing more
            assert len(w.agent.messages) == 3  # the last two never reached the dialogue
            assert len(w.sent) == 3  # and cost no SMS
            await w.sms("bonjour", phone="+33698765432")
            assert len(w.sent) == 4  # another number is answered

    run(scenario())


def test_a_flood_and_an_opt_out_log_no_phone_number(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SMS_RATE_PER_NUMBER", "2/60")
    caplog.set_level(logging.DEBUG)

    async def scenario():
        async with world(tmp_path, bot=say({"text": "Bonjour."})) as w:
            # Twilio refuses the first answer, naming the number in its error (as it does).
            w.platform.fail_with = [
                (400, {"code": 21211, "message": f"The 'To' number {PHONE} is not valid."})
            ]
            for _ in range(4):
                await w.sms("bonjour")
            await w.sms("STOP", phone=OTHER_PHONE)
            await w.sms("bonjour", phone=OTHER_PHONE)
            await w.channel.get_output_channel().send_response(OTHER_PHONE, {"text": "Rappel"})
            assert len(w.agent.messages) == 2  # the flood was cut: its lines were logged

    run(scenario())
    logged = caplog.text
    assert "over the per-number limit" in logged and "opted-out" in logged
    for number in (PHONE, OTHER_PHONE):
        assert number[3:] not in logged  # neither +33612345678 nor 0612345678


# --- Over-long messages (channels/limits.screen_length) ------------------------------------------


@pytest.mark.parametrize("size", [1_500, 15_000])
def test_an_over_long_sms_reaches_rasa_as_message_too_long(tmp_path, size):
    async def scenario():
        async with world(tmp_path) as w:
            text = ("Bonjour, je voudrais savoir quand passe le bus. " * 400)[:size]
            assert (await w.sms(text)).status == 204
            assert w.agent.texts == ["/message_too_long"]

    run(scenario())


# --- An agent's message (handoff) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "prefix"),
    [("Julie", "Julie, conseiller France Services : "), (None, "Un conseiller France Services : ")],
)
def test_an_agents_message_says_a_person_wrote_it(tmp_path, agent, prefix):
    from handoff.delivery import RasaDelivery
    from tests.unit.channel_harness import RasaApi

    async def scenario():
        async with world(tmp_path) as w:
            rasa = RasaApi(w.channel)
            deliver = RasaDelivery(rasa, box=None)
            text = "Bonjour, votre dossier est complet."
            await deliver(
                PHONE,
                "twilio",
                {"agent_message": text},
                "utter_agent_message",
                agent="jdupont",
                agent_display_name=agent,
            )
            assert [s["Body"] for s in w.sent] == [prefix + text]
            # The bot's own answers carry no such words.
            await rasa.execute(PHONE, "utter_handoff_resumed", output_channel="twilio")
            assert "conseiller France Services :" not in w.sent[-1]["Body"]

    run(scenario())
