"""The BYOK vault: AES-GCM envelope encryption, fingerprints, KEK files, and rotation without unreadable keys."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from auralinkd.errors import FailedPrecondition
from auralinkd.providers.vault import KeyVault, fingerprint, kek_id_of, new_kek_text

SECRET = "sk-live-0123456789abcdefWXYZ"


def dev_vault(tmp_path: Path) -> KeyVault:
    return KeyVault.from_config(None, (), tmp_path, production=False)


def test_sealed_key_opens_and_never_contains_the_plaintext(tmp_path: Path) -> None:
    vault = dev_vault(tmp_path)
    sealed = vault.seal(SECRET, b"org|user|openai|default")
    assert SECRET.encode() not in sealed.encrypted_key + sealed.wrapped_data_key
    assert (
        vault.open(
            sealed.encrypted_key, sealed.wrapped_data_key, sealed.nonce, sealed.kek_id, b"org|user|openai|default"
        )
        == SECRET
    )


def test_a_sealed_key_moved_to_another_row_does_not_open(tmp_path: Path) -> None:
    vault = dev_vault(tmp_path)
    sealed = vault.seal(SECRET, b"org-a|user|openai|default")
    with pytest.raises(FailedPrecondition):
        vault.open(sealed.encrypted_key, sealed.wrapped_data_key, sealed.nonce, sealed.kek_id, b"org-b||openai|default")


def test_fingerprint_shows_last_four_and_a_hash_prefix_only() -> None:
    shown = fingerprint(SECRET)
    assert shown.startswith("…WXYZ (sha256:")
    assert SECRET[:-4] not in shown
    assert fingerprint(SECRET) == shown and fingerprint(SECRET + "x") != shown


def test_development_kek_is_a_0600_file_reused_by_the_next_start(tmp_path: Path) -> None:
    first = dev_vault(tmp_path)
    files = list((tmp_path / "keks").glob("kek-*.key"))
    assert len(files) == 1
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    sealed = first.seal(SECRET, b"aad")
    second = dev_vault(tmp_path)
    assert second.active_kek_id == first.active_kek_id
    assert second.open(sealed.encrypted_key, sealed.wrapped_data_key, sealed.nonce, sealed.kek_id, b"aad") == SECRET


def test_rotation_rewraps_and_every_key_stays_readable_after_a_restart(tmp_path: Path) -> None:
    vault = dev_vault(tmp_path)
    old = [vault.seal(f"{SECRET}-{i}", f"row{i}".encode()) for i in range(3)]
    target = vault.prepare_rotation()
    assert target != vault.active_kek_id
    rewrapped = [(s, vault.rewrap(s.wrapped_data_key, s.kek_id, target)) for s in old]
    vault.activate(target)
    restarted = dev_vault(tmp_path)
    assert restarted.active_kek_id == target
    for i, (s, wrapped) in enumerate(rewrapped):
        assert restarted.open(s.encrypted_key, wrapped, s.nonce, target, f"row{i}".encode()) == f"{SECRET}-{i}"
        # rows not yet re-wrapped (a crash mid-way) stay readable too: old KEK files are kept
        assert restarted.open(s.encrypted_key, s.wrapped_data_key, s.nonce, s.kek_id, f"row{i}".encode())


def test_configured_kek_wins_and_previous_keks_still_open_old_rows(tmp_path: Path) -> None:
    old_text, new_text = new_kek_text(), new_kek_text()
    old_vault = KeyVault.from_config(old_text, (), tmp_path / "x", production=True)
    sealed = old_vault.seal(SECRET, b"aad")
    new_vault = KeyVault.from_config(new_text, (old_text,), tmp_path / "x", production=True)
    assert new_vault.active_kek_id == kek_id_of(base64.urlsafe_b64decode(new_text))
    assert not new_vault.can_generate
    assert new_vault.open(sealed.encrypted_key, sealed.wrapped_data_key, sealed.nonce, sealed.kek_id, b"aad") == SECRET
    without_previous = KeyVault.from_config(new_text, (), tmp_path / "x", production=True)
    with pytest.raises(FailedPrecondition, match="AURALINK_PROVIDER_KEK_PREVIOUS"):
        without_previous.open(sealed.encrypted_key, sealed.wrapped_data_key, sealed.nonce, sealed.kek_id, b"aad")


def test_production_without_a_kek_refuses(tmp_path: Path) -> None:
    with pytest.raises(FailedPrecondition, match="AURALINK_PROVIDER_KEK"):
        KeyVault.from_config(None, (), tmp_path, production=True)


def test_a_malformed_kek_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(FailedPrecondition, match="AURALINK_PROVIDER_KEK"):
        KeyVault.from_config("too-short", (), tmp_path, production=False)
