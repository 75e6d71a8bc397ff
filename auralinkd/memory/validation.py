"""Checking what callers send the memory service: one InvalidArgument per bad field, nothing stored or read."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from auralinkd.errors import InvalidArgument
from auralinkd.memory.importance import estimate_importance
from auralinkd.memory.models import MAX_CONTENT_BYTES, MODALITIES, RELATION_KINDS, MemoryInput, RecallFilters
from auralinkd.memory.ranking import Weights

MAX_TAGS = 50
MAX_TAG_LENGTH = 100
MAX_SOURCE_LENGTH = 200
_CLOCK_SKEW = timedelta(minutes=5)


def memory_input(item: MemoryInput) -> MemoryInput:
    """The item cleaned (tags deduplicated, importance rounded or estimated), or InvalidArgument."""
    if not isinstance(item, MemoryInput):
        raise InvalidArgument.for_field("memory", f"expected a MemoryInput, got {type(item).__name__}")
    content = item.content.strip() if isinstance(item.content, str) else ""
    if not content:
        raise InvalidArgument.for_field("content", "must not be empty or whitespace")
    size = len(item.content.encode())
    if size > MAX_CONTENT_BYTES:
        raise InvalidArgument.for_field("content", f"must be at most {MAX_CONTENT_BYTES} bytes, got {size}")
    if not isinstance(item.metadata, dict):
        raise InvalidArgument.for_field("metadata", "must be a JSON object")
    tags: list[str] = []
    for tag in item.tags:
        tag = tag.strip() if isinstance(tag, str) else ""
        if not tag or len(tag) > MAX_TAG_LENGTH:
            raise InvalidArgument.for_field("tags", f"each tag must have 1 to {MAX_TAG_LENGTH} characters")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidArgument.for_field("tags", f"at most {MAX_TAGS} tags, got {len(tags)}")
    importance = item.importance
    if importance is not None and (math.isnan(importance) or not 0.0 <= importance <= 1.0):
        raise InvalidArgument.for_field("importance", f"must be between 0 and 1, got {importance}")
    if item.modality not in MODALITIES:
        raise InvalidArgument.for_field("modality", f"must be one of {', '.join(MODALITIES)}")
    if len(item.source) > MAX_SOURCE_LENGTH:
        raise InvalidArgument.for_field("source", f"must be at most {MAX_SOURCE_LENGTH} characters")
    if item.created_at is not None and item.created_at > datetime.now(UTC) + _CLOCK_SKEW:
        raise InvalidArgument.for_field("create_time", "must not be in the future")
    return replace(
        item,
        tags=tuple(tags),
        importance=round(importance, 2) if importance is not None else estimate_importance(content),
    )


def recall_arguments(
    query: str, limit: int, weights: Weights | None, filters: RecallFilters | None
) -> tuple[str, Weights, RecallFilters]:
    """The stripped query, and the weights and filters with defaults, or InvalidArgument."""
    text = query.strip() if isinstance(query, str) else ""
    if not text:
        raise InvalidArgument.for_field("query", "must not be empty or whitespace")
    if len(query.encode()) > MAX_CONTENT_BYTES:
        raise InvalidArgument.for_field("query", f"must be at most {MAX_CONTENT_BYTES} bytes")
    if not 1 <= limit <= 100:
        raise InvalidArgument.for_field("limit", f"must be between 1 and 100, got {limit}")
    weights = (weights or Weights()).validate()
    filters = filters or RecallFilters()
    if math.isnan(filters.min_score) or not 0.0 <= filters.min_score <= 1.0:
        raise InvalidArgument.for_field("min_score", f"must be between 0 and 1, got {filters.min_score}")
    if filters.metadata is not None and not isinstance(filters.metadata, dict):
        raise InvalidArgument.for_field("metadata", "must be a JSON object")
    return text, weights, filters


def link_arguments(source_id: UUID, target_id: UUID, kind: str, weight: float, metadata: object) -> None:
    relation_kind(kind)
    if math.isnan(weight) or not 0.0 < weight <= 1.0:
        raise InvalidArgument.for_field("weight", f"must be in (0, 1], got {weight}")
    if source_id == target_id:
        raise InvalidArgument.for_field("target_id", "a memory cannot be linked to itself")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidArgument.for_field("metadata", "must be a JSON object")


def relation_kind(kind: str) -> None:
    if kind not in RELATION_KINDS:
        raise InvalidArgument.for_field("kind", f"must be one of {', '.join(RELATION_KINDS)}")


def threshold(value: float, name: str, *, low_open: bool = False) -> float:
    if math.isnan(value) or value > 1.0 or value < 0.0 or (low_open and value == 0.0):
        raise InvalidArgument.for_field(name, f"must be in (0, 1], got {value}")
    return value
