"""scripts/check_sources.py run as staff run it: a real file, the real command line."""

import datetime as dt
import subprocess
import sys
import textwrap

from franceservices.paths import PROJECT_DIR
from scripts import check_sources

FILE = """\
procedures:
  - id: id_card
    title: "Carte d'identité"
    operator: "Mairie"
    check_with: "votre mairie"
    link: https://www.service-public.fr/particuliers/vosdroits/N358
    keywords: [carte d'identite, cni]
    cases:
      - id: any
        where: "En mairie"
        documents: ["Photo"]
        online: {possible: partly, text: "Pré-demande.", url: https://ants.gouv.fr}
        sources: [https://example.org/f1344]
        checked_on: 2026-05-31
  - id: passport
    title: "Passeport"
    operator: "Mairie"
    check_with: "votre mairie"
    link: https://www.service-public.gouv.fr/particuliers/vosdroits/N360
    keywords: [passeport]
    cases:
      - id: any
        where: "En mairie"
        documents: ["Photo"]
        online: {possible: no, text: "Non."}
        sources: [https://example.org/passeport]
        checked_on: 2026-06-01
"""


def _write(tmp_path, text):
    path = tmp_path / "procedures.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_report_lists_old_cases_and_old_domain_links_and_exits_0(tmp_path, capsys):
    path = _write(tmp_path, FILE)
    assert check_sources.main([str(path), "--today", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    assert "1 case(s) checked more than 6 months before 2026-12-01" in out
    assert "id_card.any: checked_on 2026-05-31" in out
    assert "passport.any" not in out  # exactly 6 months: not listed
    assert "1 link(s) to fix" in out
    assert "id_card link: https://www.service-public.fr/particuliers/vosdroits/N358" in out
    assert "old domain" in out


def test_malformed_file_exits_non_zero_with_file_and_line(tmp_path, capsys):
    path = _write(tmp_path, FILE.replace("checked_on: 2026-06-01", "checked_on: le 1er juin"))
    assert check_sources.main([str(path), "--today", "2026-12-01"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:" in err and "not an ISO date" in err


def test_unofficial_link_is_a_load_error(tmp_path):
    path = _write(
        tmp_path, FILE.replace("https://www.service-public.gouv.fr", "https://cartegrise.com")
    )
    code, lines = check_sources.report(path, dt.date(2026, 12, 1))
    assert code == 1
    assert any("not an official site" in line for line in lines)


def test_module_runs_on_the_shipped_file():
    result = subprocess.run(
        [sys.executable, "-m", "scripts.check_sources", "--today", "2026-12-02"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "0 link(s) to fix" in result.stdout
    assert "driving_licence.damaged: checked_on 2019-08-21" in result.stdout
