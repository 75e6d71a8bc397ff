"""BYOK key vault: AES-256-GCM envelope encryption (a data key per row, wrapped by a key-encryption key).

The KEK comes from settings (`AURALINK_PROVIDER_KEK`, base64 of 32 bytes) or, in development, from a
0600 file in `<data_dir>/keks/` generated on first use. The vault is a keyring: every KEK it knows stays
usable for unwrapping, so a row is never unreadable while its `kek_id` is known; rotation re-wraps rows
under the active KEK (the table's rows are re-wrapped in one transaction by the service).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from auralinkd.errors import FailedPrecondition

KEY_BYTES = 32
NONCE_BYTES = 12
_ACTIVE_FILE = "active"


@dataclass(frozen=True)
class Sealed:
    """What a provider_api_keys row stores: nothing here reveals the key without the KEK."""

    encrypted_key: bytes
    wrapped_data_key: bytes  # nonce || AES-GCM(KEK, data key)
    nonce: bytes
    kek_id: str
    fingerprint: str


def kek_id_of(kek: bytes) -> str:
    """A stable, non-secret name for a KEK (a hash prefix; reveals nothing usable)."""
    return "kek-" + hashlib.sha256(b"auralink-kek-id\x00" + kek).hexdigest()[:16]


def fingerprint(api_key: str) -> str:
    """The last 4 characters plus a hash prefix: enough to recognise a key, never to use it."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:8]
    tail = api_key[-4:] if len(api_key) >= 8 else ""
    return f"…{tail} (sha256:{digest})" if tail else f"(sha256:{digest})"


def decode_kek(text: str, origin: str) -> bytes:
    raw = text.strip()
    try:
        value = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != KEY_BYTES:
        try:
            value = base64.b64decode(raw + "=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            value = b""
    if len(value) != KEY_BYTES:
        raise FailedPrecondition(f"{origin}: the key-encryption key must be base64 of {KEY_BYTES} bytes")
    return value


def new_kek_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


class KeyVault:
    """Seals and opens provider keys; knows one active KEK and any number of older ones."""

    def __init__(self, keks: dict[str, bytes], active_id: str, kek_dir: Path | None = None) -> None:
        if active_id not in keks:
            raise ValueError("the active KEK must be in the keyring")
        self._keks = dict(keks)
        self._active_id = active_id
        self._dir = kek_dir  # set when the KEKs live in files (development): rotation may create one

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_config(cls, kek: str | None, previous: tuple[str, ...], data_dir: Path, production: bool) -> KeyVault:
        keks: dict[str, bytes] = {}
        for index, text in enumerate(previous):
            value = decode_kek(text, f"AURALINK_PROVIDER_KEK_PREVIOUS[{index}]")
            keks[kek_id_of(value)] = value
        directory = data_dir / "keks"
        if directory.is_dir():  # development KEKs stay readable even when settings later provide one
            for path in sorted(directory.glob("kek-*.key")):
                value = decode_kek(path.read_text(), str(path))
                keks[kek_id_of(value)] = value
        if kek is not None:
            value = decode_kek(kek, "AURALINK_PROVIDER_KEK")
            keks[kek_id_of(value)] = value
            return cls(keks, kek_id_of(value), None)
        if production:
            raise FailedPrecondition("AURALINK_PROVIDER_KEK is required when env=production")
        active_file = directory / _ACTIVE_FILE
        if active_file.is_file() and active_file.read_text().strip() in keks:
            return cls(keks, active_file.read_text().strip(), directory)
        value = secrets.token_bytes(KEY_BYTES)
        active = _write_kek_file(directory, value)
        keks[active] = value
        _write_active(directory, active)
        return cls(keks, active, directory)

    # -- properties -----------------------------------------------------------------------------

    @property
    def active_kek_id(self) -> str:
        return self._active_id

    @property
    def can_generate(self) -> bool:
        """True when KEKs are files this vault manages (development); else the operator supplies them."""
        return self._dir is not None

    def knows(self, kek_id: str) -> bool:
        return kek_id in self._keks

    def derived_keys(self, purpose: str) -> list[bytes]:
        """A key for `purpose` from each KEK, the active KEK's first (HMAC-SHA256(kek, label)); the
        database never sees a KEK, so it cannot compute these (the audit chain's MAC keys)."""
        import hmac

        label = b"auralink-derived-key\x00" + purpose.encode()
        order = [self._active_id, *sorted(k for k in self._keks if k != self._active_id)]
        return [hmac.new(self._keks[kek_id], label, "sha256").digest() for kek_id in order]

    # -- sealing --------------------------------------------------------------------------------

    def seal(self, api_key: str, aad: bytes) -> Sealed:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(NONCE_BYTES)
        encrypted = AESGCM(data_key).encrypt(nonce, api_key.encode(), aad)
        return Sealed(encrypted, self._wrap(data_key, self._active_id), nonce, self._active_id, fingerprint(api_key))

    def open(self, encrypted_key: bytes, wrapped_data_key: bytes, nonce: bytes, kek_id: str, aad: bytes) -> str:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        data_key = self._unwrap(wrapped_data_key, kek_id)
        try:
            return AESGCM(data_key).decrypt(nonce, encrypted_key, aad).decode()
        except InvalidTag:
            raise FailedPrecondition("a stored provider key failed its integrity check; set it again") from None

    def rewrap(self, wrapped_data_key: bytes, kek_id: str, to_kek_id: str) -> bytes:
        return self._wrap(self._unwrap(wrapped_data_key, kek_id), to_kek_id)

    def _wrap(self, data_key: bytes, kek_id: str) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(self._keks[kek_id]).encrypt(nonce, data_key, kek_id.encode())

    def _unwrap(self, wrapped: bytes, kek_id: str) -> bytes:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        kek = self._keks.get(kek_id)
        if kek is None:
            raise FailedPrecondition(
                f"a stored provider key is wrapped by {kek_id}, which this daemon does not have; "
                "add it to AURALINK_PROVIDER_KEK_PREVIOUS"
            )
        try:
            return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], kek_id.encode())
        except InvalidTag:
            raise FailedPrecondition(f"{kek_id} does not unwrap a stored provider key; is it the right KEK?") from None

    # -- rotation -------------------------------------------------------------------------------

    def prepare_rotation(self) -> str:
        """The KEK id rows should be re-wrapped to: a new file-backed KEK in development (kept but not
        yet active, so a crash before the transaction commits changes nothing), else the configured one."""
        if self._dir is None:
            return self._active_id
        value = secrets.token_bytes(KEY_BYTES)
        new_id = _write_kek_file(self._dir, value)
        self._keks[new_id] = value
        return new_id

    def activate(self, kek_id: str) -> None:
        """After the re-wrap committed: new keys use `kek_id`; older KEKs stay for reading."""
        self._active_id = kek_id
        if self._dir is not None:
            _write_active(self._dir, kek_id)


def _write_kek_file(directory: Path, value: bytes) -> str:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    kek_id = kek_id_of(value)
    path = directory / f"{kek_id}.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.urlsafe_b64encode(value).decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return kek_id


def _write_active(directory: Path, kek_id: str) -> None:
    temporary = directory / f".{_ACTIVE_FILE}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(kek_id + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(directory / _ACTIVE_FILE)
