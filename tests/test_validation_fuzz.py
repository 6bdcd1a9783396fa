"""Property: whatever a party sends to a mutation RPC or a list read, the hub answers
it or refuses it cleanly (a reason, and the field of a bad argument), never INTERNAL,
and never leaves a case half-written. Hostile values come from tests/fuzz.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fuzz import MUTATIONS, READS, Answer, Harness

EXAMPLES = 100


@pytest.fixture
def harness(certs_dir: Path, db_url: str) -> Iterator[Harness]:
    running = Harness(certs_dir, db_url)
    yield running
    running.close()


def _clean(answer: Answer) -> None:
    assert answer.verdict in ("accepted", "refused"), answer


@pytest.mark.parametrize("methods", [MUTATIONS, READS], ids=["mutations", "list reads"])
def test_no_call_gets_internal_or_leaves_a_half_written_case(
    harness: Harness, methods: tuple[str, ...]
) -> None:
    for method in methods:
        harness.explore(method, EXAMPLES, _clean)
        assert harness.half_written() == [], method
