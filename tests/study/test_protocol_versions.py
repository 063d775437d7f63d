"""Protocol as data: loading a changed protocol makes version N+1; records keep the version in force.

DESIGN.md "How data flows" 1: an amendment is a new version; every record knows the version in
force when it was made.
"""

from __future__ import annotations

import json
import shutil

import pytest

from celltrial.audit.models import AuditEntry
from celltrial.cli import main
from celltrial.core.actor import Actor
from celltrial.study.models import ProtocolVersion, Site
from celltrial.study.protocol import ProtocolError, default_protocol_path
from celltrial.study.services import edit_site, load_protocol_file

SYSTEM = Actor.system("test")


@pytest.fixture
def amended(tmp_path):
    """A copy of the default protocol with a changed version label and a new site."""
    src = default_protocol_path().parent
    dst = tmp_path / "protocol"
    shutil.copytree(src, dst)
    text = (dst / "protocol.yaml").read_text()
    assert "  - code: BJAD\n" in text
    text = text.replace(
        "  - code: BJAD\n",
        "  - code: SHMC\n    name: {en: Shanghai Mental Health Center, zh: 上海市精神卫生中心}\n"
        "    country: CN\n    time_zone: Asia/Shanghai\n"
        "    principal_investigator: {en: To be named, zh: 待定}\n  - code: BJAD\n",
        1,
    )
    (dst / "protocol.yaml").write_text(text)
    return dst / "protocol.yaml"


def test_unchanged_protocol_is_not_a_new_version(protocol):
    result = load_protocol_file(SYSTEM, default_protocol_path())
    assert not result.created and result.version.number == 1
    assert ProtocolVersion.objects.count() == 1


def test_changed_protocol_is_version_n_plus_1_and_records_keep_theirs(protocol, site, amended):
    assert site.protocol_version == 1
    result = load_protocol_file(SYSTEM, amended, reason="Amendment 1, ethics approval 2026-01")
    assert result.created and result.version.number == 2
    assert result.sites_created == ["SHMC"]
    new_site = Site.objects.get(code="SHMC")
    assert new_site.protocol_version == 2
    site.refresh_from_db()
    assert site.protocol_version == 1
    entry = AuditEntry.objects.filter(object_type="study.protocolversion").order_by("-id").first()
    assert entry.reason == "Amendment 1, ethics approval 2026-01"
    assert entry.protocol_version == 1  # version 2 was loaded while version 1 was in force
    # Later edits of an old record are stamped in the audit trail with the version now in force.
    edit_site(SYSTEM, site, {"principal_investigator": "Prof. B"}, expected_version=site.version, reason="r")
    assert AuditEntry.objects.filter(object_id=str(site.pk), action="update").latest("id").protocol_version == 2


def test_bad_protocol_is_refused_and_nothing_is_stored(db, tmp_path):
    broken = tmp_path / "p.yaml"
    broken.write_text("format: 1\nprotocol:\n  id: X\n")
    with pytest.raises(ProtocolError):
        load_protocol_file(SYSTEM, broken)
    assert not ProtocolVersion.objects.exists()


def test_cli_names_file_line_and_field(db, capsys):
    from tests.study.protocol.protocol_testlib import FIXTURES

    path = FIXTURES / "broken" / "negative_window.yaml"
    assert main(["load-protocol", str(path)]) == 1
    err = capsys.readouterr().err
    assert "protocol refused" in err
    # file:line: field: message, as the issue asks
    line = next(ln for ln in err.splitlines() if "window" in ln)
    file_part, line_no, field, *_ = line.split(":")
    assert file_part.endswith("negative_window.yaml") and line_no.isdigit()
    assert field.strip().startswith("visits[") and "window" in field


def test_cli_loads_and_reports_versions(db, amended, capsys):
    assert main(["load-protocol", str(default_protocol_path()), "--json"]) == 0
    assert '"number": 1' in capsys.readouterr().out
    assert main(["load-protocol", str(default_protocol_path())]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert main(["load-protocol", str(amended)]) == 0
    assert "version 2" in capsys.readouterr().out


def test_init_twice_after_an_amendment_keeps_the_amendment_in_force(db, amended, capsys):
    """`make run` runs `celltrial init --demo` every time: it must never put the shipped protocol back
    in force over an amendment (issue "Re-foundation", finding 9)."""
    assert main(["init"]) == 0
    assert main(["load-protocol", str(amended), "--reason", "Amendment 1"]) == 0
    amended_hash = ProtocolVersion.objects.get(number=2).content_hash
    for _ in range(2):
        assert main(["init", "--demo"]) == 0
    assert ProtocolVersion.objects.count() == 2
    in_force = ProtocolVersion.objects.order_by("-number").first()
    assert (in_force.number, in_force.content_hash) == (2, amended_hash)
    assert "version 2 in force (kept" in capsys.readouterr().out


def test_loading_a_protocol_never_reverts_a_site_edited_in_the_platform(protocol, site, amended, capsys):
    """Site details live on the site record; the protocol says which sites take part."""
    edit_site(SYSTEM, site, {"principal_investigator": "Prof. Changed In The App"}, expected_version=site.version,
              reason="new PI per delegation log")
    assert main(["load-protocol", str(amended)]) == 0
    site.refresh_from_db()
    assert site.principal_investigator == "Prof. Changed In The App"
    assert "site BJAD keeps its own principal_investigator" in capsys.readouterr().err


def test_load_protocol_as_a_named_user_only(users, amended, make_user, capsys):
    """`--user` wrote free text into the trail as the actor; now the loader is a real user with the
    permission, or the platform itself."""
    from tests.conftest import TRIAL_WIDE

    assert main(["load-protocol", str(amended), "--as-user", "nobody"]) == 2
    assert "no active user" in capsys.readouterr().err
    assert main(["load-protocol", str(amended), "--as-user", "coordinator"]) == 2
    make_user("dm-sponsor", "data_manager", at=TRIAL_WIDE)
    assert main(["load-protocol", str(amended), "--as-user", "dm-sponsor"]) == 0
    entry = AuditEntry.objects.filter(object_type="study.protocolversion", action="create").latest("id")
    assert (entry.username, entry.role) == ("dm-sponsor", "data_manager")
    with pytest.raises(SystemExit):
        main(["load-protocol", str(amended), "--user", "Dr Free Text"])


def test_cli_shows_what_loads_with_a_fallback(db, amended, capsys):
    """A REDCap `sql` field loads as text with a warning naming the field (docs/redcap.md), and the person
    loading the protocol is told, with file:line."""
    vitals = amended.parent / "forms" / "vitals.csv"
    text = vitals.read_text()
    vitals.write_text(text.rstrip("\n") + '\n"vs_site_list","vitals","","sql","Site",'
                      '"select value from redcap_data","","","","","","","","","","","",""\n')
    assert main(["load-protocol", str(amended)]) == 0
    err = capsys.readouterr().err
    warning = next(line for line in err.splitlines() if line.startswith("warning:"))
    assert "vitals.csv:" in warning and "vs_site_list" in warning
    assert main(["load-protocol", str(amended), "--json"]) == 0
    loaded = json.loads(capsys.readouterr().out)
    assert [w["field"] for w in loaded["warnings"]] == ["vitals.vs_site_list"]


def test_an_edit_check_naming_no_field_is_refused_at_its_line(db, amended, capsys):
    """An edit check whose logic reads a field no form has is refused when the protocol loads, with file and
    line, not first noticed when a form is saved."""
    text = amended.read_text()
    assert "[bl][weight_kg] <> ''" in text
    lines = text.replace("[bl][weight_kg] <> ''", "[bl][weight_kgs] <> ''", 1).splitlines()
    amended.write_text("\n".join(lines) + "\n")
    bad_line = next(i for i, line in enumerate(lines, start=1) if "weight_kgs" in line)
    assert main(["load-protocol", str(amended)]) == 1
    err = capsys.readouterr().err
    assert f"protocol.yaml:{bad_line}:" in err and "[weight_kgs]" in err
