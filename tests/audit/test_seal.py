"""Sealing: signed checkpoints over every stream head, kept outside the database."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from celltrial.audit.keys import (
    SealKeyError,
    ensure_key,
    key_id,
    load_private_key,
    load_public_key,
    public_pem,
)
from celltrial.audit.merkle import head_leaf, heads_root, tree_hash
from celltrial.audit.models import AuditEntry, StreamHead
from celltrial.audit.seal import SealError, log_path, replay, seal
from celltrial.audit.verify import verify
from celltrial.cli import main
from celltrial.core.actor import Actor
from celltrial.core.canonical import canonical
from celltrial.study.services import edit_site
from tests.audit.tamper import drop_guards, sql

SYSTEM = Actor.system("test")


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# -- the Merkle tree hash (RFC 6962 §2.1) --------------------------------------------------------------

def test_tree_hash_follows_rfc_6962():
    leaves = [_h(b"\x00" + bytes([i])) for i in range(5)]

    def node(a: bytes, b: bytes) -> bytes:
        return _h(b"\x01" + a + b)

    assert tree_hash([]) == _h(b"")
    assert tree_hash(leaves[:1]) == leaves[0]
    assert tree_hash(leaves[:2]) == node(leaves[0], leaves[1])
    assert tree_hash(leaves[:3]) == node(node(leaves[0], leaves[1]), leaves[2])
    # Five leaves split at four, the largest power of two below five.
    left = node(node(leaves[0], leaves[1]), node(leaves[2], leaves[3]))
    assert tree_hash(leaves) == node(left, leaves[4])


def test_heads_root_depends_on_every_head_not_on_their_order():
    heads = [("a:1", 3, "aa"), ("b:2", 1, "bb"), ("c:3", 7, "cc")]
    root = heads_root(heads)
    assert heads_root(reversed(heads)) == root
    assert heads_root([("a:1", 4, "aa"), *heads[1:]]) != root
    assert heads_root([("a:1", 3, "ab"), *heads[1:]]) != root
    assert heads_root(heads[:2]) != root
    assert head_leaf("a:1", 3, "aa") == _h(b"\x00" + canonical(["a:1", 3, "aa"]).encode())


# -- the key ------------------------------------------------------------------------------------------

def test_the_key_is_created_private_outside_the_database(db):
    path, created = ensure_key()
    assert created and path == Path(settings.CELLTRIAL_SEAL_KEY_FILE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_key() == (path, False)
    assert isinstance(load_private_key(), Ed25519PrivateKey)


def test_a_key_others_can_read_is_refused(db):
    path, _created = ensure_key()
    path.chmod(0o644)
    with pytest.raises(SealKeyError, match="chmod 600"):
        load_private_key()


def test_keys_created_at_once_end_as_one_whole_key(tmp_path):
    target = tmp_path / "k" / "seal.key"
    results: list[tuple[Path, bool]] = []
    threads = [threading.Thread(target=lambda: results.append(ensure_key(target))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(created for _p, created in results) == 1
    assert isinstance(load_private_key(target), Ed25519PrivateKey)
    assert [p.name for p in target.parent.iterdir()] == ["seal.key"]


def test_public_key_command_prints_what_verifies(db, capsys, tmp_path):
    assert main(["audit", "public-key"]) == 0
    pem = capsys.readouterr().out
    exported = tmp_path / "seal.pub"
    exported.write_text(pem)
    assert key_id(load_public_key(exported)) == key_id(load_private_key().public_key())
    assert main(["audit", "public-key", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["public_key"] == pem


# -- checkpoints --------------------------------------------------------------------------------------

@pytest.fixture
def edited(site):
    return edit_site(SYSTEM, site, {"principal_investigator": "Dr A"}, expected_version=site.version,
                     reason="r").instance


def _records() -> list[dict]:
    return [json.loads(line) for line in log_path().read_text().splitlines()]


def test_a_checkpoint_covers_every_head_and_is_signed(edited):
    result = seal()
    heads = list(StreamHead.objects.values_list("stream", "seq", "entry_hash"))
    assert result.number == 1 and result.refused == []
    assert result.streams == len(heads) and result.entries == AuditEntry.objects.count()
    assert result.root == heads_root(heads)
    (record,) = _records()
    body = record["checkpoint"]
    assert sorted(map(tuple, body["changed"])) == sorted(heads)
    load_private_key().public_key().verify(base64.b64decode(record["signature"]), canonical(body).encode())


def test_checkpoints_chain_and_carry_only_the_heads_that_moved(edited):
    first = seal()
    second = seal()
    assert second.number == 2 and second.changed == 0 and second.root == first.root
    edit_site(SYSTEM, edited, {"principal_investigator": "Dr B"}, expected_version=edited.version, reason="r")
    third = seal()
    records = _records()
    assert records[2]["checkpoint"]["changed"] == [[edited.audit_stream(), 3, StreamHead.objects.get(
        stream=edited.audit_stream()).entry_hash]]
    assert records[1]["checkpoint"]["prev"] == hashlib.sha256(canonical(records[0]).encode()).hexdigest()
    assert third.entries == AuditEntry.objects.count()
    ledger = replay(log_path(), load_private_key().public_key())
    assert ledger.problems == [] and ledger.count == 3 and ledger.root() == third.root
    assert verify().ok and verify().checkpoints == 3


def test_the_state_cache_is_only_a_shortcut(edited):
    seal()
    cache = log_path().with_name(log_path().name + ".state.json")
    cache.write_text("{not json")
    assert seal().number == 2  # replayed the log instead
    assert verify().ok


def test_a_seal_extends_only_chains_it_has_checked(edited):
    seal()
    edit_site(SYSTEM, edited, {"principal_investigator": "Dr B"}, expected_version=edited.version, reason="r")
    drop_guards()
    sql("UPDATE audit_auditentry SET reason = 'altered' WHERE stream = %s AND seq = 3", [edited.audit_stream()])
    result = seal()
    assert len(result.refused) == 1 and edited.audit_stream() in result.refused[0]
    assert "altered" in result.refused[0]
    ledger = replay(log_path(), load_private_key().public_key())
    assert ledger.state[edited.audit_stream()][0] == 2  # still sealed at its last good entry
    assert main(["audit", "seal"]) == 1


def test_a_damaged_log_is_not_extended(edited):
    seal()
    log_path().write_text(log_path().read_text().replace('"n":1', '"n":7'))
    log_path().with_name(log_path().name + ".state.json").unlink()
    with pytest.raises(SealError, match="damaged"):
        seal()


def test_seal_command(edited, capsys):
    assert main(["audit", "seal"]) == 0
    assert capsys.readouterr().out.startswith("checkpoint #1:")
    assert main(["audit", "seal", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["checkpoint"] == 2


# -- verify against the checkpoints -------------------------------------------------------------------

def test_verify_needs_a_public_key_to_trust_the_log(edited, tmp_path):
    seal()
    Path(settings.CELLTRIAL_SEAL_KEY_FILE).unlink()
    result = verify()
    assert [p.kind for p in result.problems] == ["checkpoint"]
    assert "no public key" in result.problems[0].message
    other = tmp_path / "other.pub"
    other.write_text(public_pem(Ed25519PrivateKey.generate().public_key()))
    assert "not by the trusted key" in verify(public_key=other).problems[0].message


def test_an_unsealed_trail_verifies_with_a_warning(edited):
    result = verify()
    assert result.ok and result.checkpoints == 0
    assert any("not been sealed" in w for w in result.warnings)


def test_verify_command_lists_every_problem_and_json(edited, capsys):
    seal()
    sql("UPDATE study_site SET principal_investigator = 'Dr Raw' WHERE id = %s", [edited.pk])
    drop_guards()
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("BROKEN: ")
    assert f"[record] study.site pk={edited.pk}" in out and "[guard]" in out
    assert main(["audit", "verify", "--json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["ok"] is False and body["problem_counts"]["record"] == 1 and body["problem_counts"]["guard"] > 0
    assert {p["kind"] for p in body["problems"]} == {"record", "guard"}


def test_verify_command_ok(edited, capsys):
    seal()
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
