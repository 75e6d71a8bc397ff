"""Input rules of the directory, checked before any SQL runs, each failure naming its field and rule."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from uuid import UUID

from auralinkd.directory.models import BASE_ROLES, PRIVACY_LEVELS
from auralinkd.errors import FieldViolation, InvalidArgument

MAX_NAME = 200
MAX_EMAIL = 320
MAX_REFERENCE = 320  # an id, slug, username or email naming a resource
MAX_FEDERATED_DOMAINS = 32
MAX_DOMAIN = 253

_SLUG_CHARS = re.compile(r"^[a-z0-9-]+$")
_HANDLE_CHARS = re.compile(r"^[a-z0-9_.-]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def invalid(field: str, description: str) -> InvalidArgument:
    return InvalidArgument.for_field(field, description)


def as_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def reference(field: str, value: str) -> str:
    """An id, slug, email or username naming something: present and of sane length."""
    value = value.strip()
    if not value:
        raise invalid(field, "is required")
    if len(value) > MAX_REFERENCE:
        raise invalid(field, f"must be at most {MAX_REFERENCE} characters, got {len(value)}")
    return value


def name(field: str, value: str, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        raise invalid(field, "is required")
    if len(value) > MAX_NAME:
        raise invalid(field, f"must be at most {MAX_NAME} characters, got {len(value)}")
    return value


def slug(value: str) -> str:
    if not 2 <= len(value) <= 63:
        raise invalid("slug", f"must be 2-63 characters, got {len(value)}")
    if not _SLUG_CHARS.match(value):
        raise invalid("slug", "may contain only lowercase letters, digits and '-'")
    if value.startswith("-"):
        raise invalid("slug", "must start with a letter or a digit")
    return value


def email(value: str) -> str:
    """Simple and strict: one '@', a non-empty local part, a dotted domain, no spaces, <= 320 characters."""
    if len(value) > MAX_EMAIL:
        raise invalid("email", f"must be at most {MAX_EMAIL} characters, got {len(value)}")
    if not value:
        raise invalid("email", "is required")
    if any(c.isspace() for c in value) or value.count("@") != 1:
        raise invalid("email", f"must look like name@example.com (one '@', no spaces), got {value!r}")
    local, domain = value.split("@")
    labels = domain.split(".")
    if not local or len(local) > 64 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise invalid("email", f"must look like name@example.com (a dotted domain), got {value!r}")
    return value


def handle(field: str, value: str) -> str:
    """The rule shared by usernames and AuraIDs: lowercase [a-z0-9_.-], 3-32 characters."""
    if not 3 <= len(value) <= 32:
        raise invalid(field, f"must be 3-32 characters, got {len(value)}")
    if not _HANDLE_CHARS.match(value):
        raise invalid(field, "may contain only lowercase letters, digits, '_', '.' and '-'")
    return value


def aura_id(value: str) -> str:
    """The canonical "@username.aura". Accepted as "@name.aura", "name.aura", "@name" or "name": a leading
    "@" and a trailing ".aura" are optional (so a username ending in ".aura" must be given in full)."""
    username = value.strip()
    username = username.removeprefix("@")
    username = username.removesuffix(".aura")
    handle("aura_id", username)
    if username.startswith(".") or username.endswith("."):
        raise invalid("aura_id", "must not start or end with a dot")
    return f"@{username}.aura"


def base_role(value: str, *, default: str | None = None) -> str:
    if not value and default is not None:
        return default
    if value not in BASE_ROLES:
        raise invalid("base_role", f"must be one of {', '.join(BASE_ROLES)}, got {value or 'unspecified'!r}")
    return value


def privacy_level(value: str) -> str:
    if not value:
        return "private"
    if value not in PRIVACY_LEVELS:
        raise invalid("privacy_level", f"must be one of {', '.join(PRIVACY_LEVELS)}, got {value!r}")
    return value


def federated_domains(values: Iterable[str]) -> tuple[str, ...]:
    domains = [v.strip().lower() for v in values]
    if len(domains) > MAX_FEDERATED_DOMAINS:
        raise invalid("federated_domains", f"must hold at most {MAX_FEDERATED_DOMAINS} domains, got {len(domains)}")
    for domain in domains:
        if len(domain) > MAX_DOMAIN or not _DOMAIN.match(domain):
            raise invalid("federated_domains", f"{domain[:64]!r} is not a domain name like example.com")
    return tuple(dict.fromkeys(domains))


def update_mask(paths: Sequence[str], allowed: Sequence[str]) -> list[str]:
    """The mask's paths, each one known; unknown paths are named."""
    unknown = [p for p in paths if p not in allowed]
    if unknown:
        violations = [
            FieldViolation("update_mask", f"unknown field {p!r}; updatable: {', '.join(allowed)}") for p in unknown
        ]
        raise InvalidArgument("; ".join(v.description for v in violations), violations)
    return list(dict.fromkeys(paths))
