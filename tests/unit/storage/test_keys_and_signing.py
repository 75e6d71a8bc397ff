"""Object keys, content types and signed-URL HMACs: what passes and what is refused, without a daemon."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auralinkd.errors import InvalidArgument
from auralinkd.storage import keys
from auralinkd.storage.signing import SignedRequest, UrlSigner


@pytest.mark.parametrize("key", ["a", "reports/2026/q1.pdf", "ünïcode/ключ.txt", "a..b/c", "k" * 1024, "dir/"])
def test_ordinary_keys_pass_unchanged(key: str) -> None:
    assert keys.validate_key(key) == key


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "required"),
        ("a/../b", "'..'"),
        ("..", "'..'"),
        ("./a", "'.'"),
        ("a\x00b", "NUL"),
        ("k" * 1025, "1024 bytes"),
        ("é" * 513, "1024 bytes"),  # 1026 bytes of UTF-8
        ("/etc/passwd", "start with '/'"),
        ("line\nbreak", "control"),
    ],
)
def test_bad_keys_are_invalid_argument_naming_the_rule(key: str, why: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        keys.validate_key(key)
    assert why in caught.value.message and caught.value.violations[0].field == "key"


def test_content_types_and_checksums() -> None:
    assert keys.content_type("") == "application/octet-stream"
    assert keys.content_type(" text/plain; charset=utf-8 ") == "text/plain; charset=utf-8"
    for bad in ("text", "/plain", "a b/c"):
        with pytest.raises(InvalidArgument):
            keys.content_type(bad)
    assert keys.sha256_hex("AB" * 32) == "ab" * 32
    with pytest.raises(InvalidArgument):
        keys.sha256_hex("xyz")


REQUEST = SignedRequest("GET", uuid.uuid4(), uuid.uuid4(), "a/b.txt", 2_000_000_000)


def test_a_signature_verifies_only_the_request_it_was_made_for() -> None:
    signer = UrlSigner(b"s" * 48)
    url = signer.url("http://h:1", REQUEST)
    signature = url.rsplit("signature=", 1)[1]
    assert signer.verify(REQUEST, signature, now=1_999_999_999)
    assert not signer.verify(REQUEST, signature, now=2_000_000_001)  # expired
    for changed in (
        SignedRequest("PUT", REQUEST.org_id, REQUEST.user_id, REQUEST.key, REQUEST.expires),
        SignedRequest("GET", uuid.uuid4(), REQUEST.user_id, REQUEST.key, REQUEST.expires),
        SignedRequest("GET", REQUEST.org_id, REQUEST.user_id, "a/c.txt", REQUEST.expires),
        SignedRequest("GET", REQUEST.org_id, REQUEST.user_id, REQUEST.key, REQUEST.expires + 1),
        SignedRequest("GET", REQUEST.org_id, REQUEST.user_id, REQUEST.key, REQUEST.expires, "text/plain"),
    ):
        assert not signer.verify(changed, signature, now=0)
    assert not UrlSigner(b"t" * 48).verify(REQUEST, signature, now=0)  # another deployment's secret


@given(st.text(min_size=1, max_size=60))
def test_the_url_path_carries_any_key(key: str) -> None:
    from urllib.parse import unquote, urlsplit

    url = UrlSigner(b"s" * 48).url("http://h:1", SignedRequest("GET", uuid.uuid4(), uuid.uuid4(), key, 1))
    assert unquote(urlsplit(url).path).removeprefix("/storage/v1/objects/") == key
