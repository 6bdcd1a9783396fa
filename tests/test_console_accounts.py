"""Operator accounts as rules: hashing, session lifetimes, throttling (no browser)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from console.accounts import (
    FAILURE_WINDOW,
    IDLE_TIMEOUT,
    MAX_FAILURES,
    MAX_FAILURES_PER_CLIENT,
    SESSION_LIFETIME,
    Accounts,
    BadOperator,
    Throttled,
    WrongCredentials,
)
from tests.conftest import ManualClock

PASSWORD = "a long enough password"


@pytest.fixture
def accounts(tmp_path: Path, clock: ManualClock) -> Accounts:
    # The cheapest argon2 parameters: these tests are about the rules, not the hash.
    store = Accounts(
        f"sqlite:///{tmp_path}/console.db",
        now=clock.now,
        hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    store.add("Li Wei", PASSWORD)
    return store


def test_passwords_are_stored_as_argon2_hashes(tmp_path: Path, accounts: Accounts) -> None:
    raw = (tmp_path / "console.db").read_bytes()
    assert PASSWORD.encode() not in raw and b"$argon2id$" in raw


def test_accounts_refuse_weak_or_odd_input(accounts: Accounts) -> None:
    with pytest.raises(BadOperator, match="10 characters"):
        accounts.add("Wang Fang", "short")
    with pytest.raises(BadOperator, match="already"):
        accounts.add("Li Wei", PASSWORD)
    with pytest.raises(BadOperator, match="time zone"):
        accounts.add("Wang Fang", PASSWORD, time_zone="Mars/Olympus")
    with pytest.raises(BadOperator, match="printable"):
        accounts.add("Wang\nFang", PASSWORD)


def test_a_session_ends_after_an_idle_hour(accounts: Accounts, clock: ManualClock) -> None:
    signed_in = accounts.sign_in("Li Wei", PASSWORD, "10.0.0.1")
    clock.advance(IDLE_TIMEOUT - dt.timedelta(minutes=1))
    assert accounts.session(signed_in.token) is not None  # and that use keeps it alive
    clock.advance(IDLE_TIMEOUT - dt.timedelta(minutes=1))
    assert accounts.session(signed_in.token) is not None
    clock.advance(IDLE_TIMEOUT + dt.timedelta(seconds=1))
    assert accounts.session(signed_in.token) is None


def test_a_session_ends_after_a_shift_however_busy(accounts: Accounts, clock: ManualClock) -> None:
    signed_in = accounts.sign_in("Li Wei", PASSWORD, "10.0.0.1")
    elapsed = dt.timedelta()
    while elapsed + dt.timedelta(minutes=30) <= SESSION_LIFETIME:
        clock.advance(dt.timedelta(minutes=30))
        elapsed += dt.timedelta(minutes=30)
        assert accounts.session(signed_in.token) is not None
    clock.advance(dt.timedelta(minutes=30))
    assert accounts.session(signed_in.token) is None


def test_signing_out_ends_the_session_and_only_it(accounts: Accounts) -> None:
    first = accounts.sign_in("Li Wei", PASSWORD, "10.0.0.1")
    second = accounts.sign_in("Li Wei", PASSWORD, "10.0.0.2")
    accounts.sign_out(first.token)
    assert accounts.session(first.token) is None
    assert accounts.session(second.token) is not None
    assert first.csrf_token != second.csrf_token


def test_the_handover_counts_from_the_last_activity(accounts: Accounts, clock: ManualClock) -> None:
    first = accounts.sign_in("Li Wei", PASSWORD, "10.0.0.1")
    assert first.handover_since is None
    clock.advance(dt.timedelta(minutes=50))
    assert accounts.session(first.token) is not None
    last_seen = clock.now()
    clock.advance(dt.timedelta(hours=20))
    assert accounts.sign_in("Li Wei", PASSWORD, "10.0.0.1").handover_since == last_seen


def test_guessing_is_throttled_per_name(accounts: Accounts, clock: ManualClock) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises(WrongCredentials):
            accounts.sign_in("Li Wei", "guess guess guess", "10.0.0.9")
    with pytest.raises(Throttled) as throttled:
        accounts.sign_in("Li Wei", PASSWORD, "10.0.0.1")  # even the right one, from elsewhere
    assert dt.timedelta(0) < throttled.value.retry_after <= FAILURE_WINDOW
    clock.advance(FAILURE_WINDOW)
    assert accounts.sign_in("Li Wei", PASSWORD, "10.0.0.1").operator.name == "Li Wei"


def test_guessing_is_throttled_per_client(accounts: Accounts) -> None:
    for n in range(MAX_FAILURES_PER_CLIENT):
        with pytest.raises(WrongCredentials):
            accounts.sign_in(f"name-{n}", "guess guess guess", "10.0.0.9")
    with pytest.raises(Throttled):
        accounts.sign_in("Li Wei", PASSWORD, "10.0.0.9")
    assert accounts.sign_in("Li Wei", PASSWORD, "10.0.0.1")  # another address is not held up
