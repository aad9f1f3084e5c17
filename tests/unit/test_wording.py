"""franceservices/wording.py: domain.yml's responses filled by the core, per channel."""

import subprocess
import sys
import textwrap

import pytest

from franceservices import wording
from franceservices.paths import PROJECT_DIR

DOMAIN = """\
version: "3.1"
responses:
  utter_item:
    - text: "• {text}"
    - channel: twilio
      text: "- {text}"
  utter_web_only:
    - text: "Prix : {details}"
  utter_conditioned:
    - channel: twilio
      condition:
        - type: slot
          name: agent_name
          value: null
      text: "conditioned"
    - text: "plain {who}"
  utter_sms_only:
    - channel: twilio
      text: "sms only"
"""


@pytest.fixture
def domain(tmp_path):
    path = tmp_path / "domain.yml"
    path.write_text(DOMAIN, encoding="utf-8")
    yield path
    wording.reload()


def test_each_channel_gets_its_variant(domain):
    assert wording.text("utter_item", "web", path=domain, text="Photo") == "• Photo"
    assert wording.text("utter_item", "sms", path=domain, text="Photo") == "- Photo"
    # no facebook variant: Messenger gets the variant without a channel
    assert wording.text("utter_item", "messenger", path=domain, text="Photo") == "• Photo"


def test_a_channel_without_its_variant_gets_the_default(domain):
    assert wording.text("utter_web_only", "sms", path=domain, details="25 €") == "Prix : 25 €"


def test_variants_with_a_condition_are_left_to_rasa(domain):
    assert wording.text("utter_conditioned", "sms", path=domain, who="x") == "plain x"


def test_missing_response_is_named(domain):
    with pytest.raises(wording.WordingError, match="no response 'utter_nowhere'"):
        wording.text("utter_nowhere", "web", path=domain)


def test_missing_placeholder_is_named(domain):
    with pytest.raises(wording.WordingError, match=r"'utter_item' needs \{text\}"):
        wording.text("utter_item", "web", path=domain)


def test_no_default_variant_is_an_error(domain):
    assert wording.text("utter_sms_only", "sms", path=domain) == "sms only"
    with pytest.raises(wording.WordingError, match="'utter_sms_only' has no text variant"):
        wording.text("utter_sms_only", "web", path=domain)


def test_unknown_channel_is_refused(domain):
    with pytest.raises(wording.WordingError, match="unknown channel 'fax'"):
        wording.text("utter_item", "fax", path=domain, text="x")


def test_file_is_read_once_then_reload_reads_it_again(domain):
    assert wording.text("utter_web_only", "web", path=domain, details="1") == "Prix : 1"
    domain.write_text(DOMAIN.replace("Prix :", "Coût :"), encoding="utf-8")
    assert wording.text("utter_web_only", "web", path=domain, details="1") == "Prix : 1"
    wording.reload()
    assert wording.text("utter_web_only", "web", path=domain, details="1") == "Coût : 1"


def test_unreadable_or_empty_domain_is_a_clear_error(tmp_path):
    with pytest.raises(wording.WordingError, match="cannot read the domain file"):
        wording.text("utter_item", "web", path=tmp_path / "missing.yml")
    empty = tmp_path / "empty.yml"
    empty.write_text("version: '3.1'\n", encoding="utf-8")
    with pytest.raises(wording.WordingError, match="no 'responses' section"):
        wording.text("utter_item", "web", path=empty)


def test_the_project_domain_gives_the_documents_parts():
    assert wording.text("utter_documents_item", "sms", text="Photo") == "- Photo"
    assert wording.text("utter_documents_choices_reply", "web", first="1, 2", last="3") == (
        "Répondez 1, 2 ou 3."
    )


def test_importing_the_module_reads_no_file():
    code = textwrap.dedent(
        """
        import builtins, io, pathlib
        opened = []
        real_open = io.open
        def spy(file, *args, **kwargs):
            opened.append(str(file))
            return real_open(file, *args, **kwargs)
        builtins.open = io.open = spy
        pathlib.Path.read_text = lambda self, *a, **k: opened.append(str(self)) or ""
        import franceservices.wording
        assert not [p for p in opened if p.endswith("domain.yml")], opened
        """
    )
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, check=True)
