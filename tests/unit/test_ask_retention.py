"""The two consent notices say how long the data is kept, from reference/policy.yml.

Rasa utters a form's question itself unless an `action_ask_<form>_<slot>` exists: these two
actions fill `{retention}` so that the figure is typed once, in the policy file.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import ActionAskVisioConsent
from actions.handoff import ActionAskCallbackContact


@pytest.mark.parametrize(
    ("action", "response"),
    [
        (ActionAskVisioConsent(), "utter_ask_visio_form_visio_consent"),
        (ActionAskCallbackContact(), "utter_ask_callback_form_callback_contact"),
    ],
)
def test_the_notice_is_filled_with_the_policy_retention(action, response):
    form, slot = response.removeprefix("utter_ask_").split("_form_")
    assert action.name() == f"action_ask_{form}_form_{slot}"  # the name Rasa looks for
    dispatcher = CollectingDispatcher()
    trk = Tracker("web-1", {}, {"text": "", "intent": {}, "entities": []}, [], False, None, {}, "")
    assert asyncio.run(action.run(dispatcher, trk, {})) == []
    (message,) = dispatcher.messages
    assert message["response"] == response
    assert message["retention"] == "1 mois"  # reference/policy.yml: 31 days
