"""Protocol as data: loading a changed protocol makes version N+1; records keep the version in force.

DESIGN.md "How data flows" 1: an amendment is a new version; every record knows the version in
force when it was made.
"""

from __future__ import annotations

import shutil

import pytest

from celltrial.audit import services as audit
from celltrial.audit.models import AuditEntry
from celltrial.audit.services import Actor
from celltrial.cli import main
from celltrial.study.models import ProtocolVersion, Site
from celltrial.study.protocol import ProtocolError, default_protocol_path
from celltrial.study.services import load_protocol_file

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
    audit.update(SYSTEM, site, {"principal_investigator": "Prof. B"}, expected_version=site.version, reason="r")
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
