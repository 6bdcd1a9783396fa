"""The SAN URI scheme: one spelling, parsed strictly."""

from __future__ import annotations

import pytest

from wire.identity import IdentityError, PartyIdentity, Role, jurisdiction_ancestors


@pytest.mark.parametrize(
    "identity",
    [
        PartyIdentity("duty-desk", Role.PLATFORM),
        PartyIdentity("police-110105", Role.POLICE, "110105"),
        PartyIdentity("committee.a_1", Role.COMMITTEE, "310115"),
    ],
)
def test_uri_round_trip(identity: PartyIdentity) -> None:
    assert PartyIdentity.from_uri(identity.to_uri()) == identity


def test_uri_spelling() -> None:
    assert (
        PartyIdentity("police-110105", Role.POLICE, "110105").to_uri()
        == "lifeline://party/police/police-110105?jurisdiction=110105"
    )


@pytest.mark.parametrize(
    "uri",
    [
        "https://party/police/p1",
        "lifeline://other/police/p1",
        "lifeline://party/sheriff/p1",
        "lifeline://party/police/p1",  # police without a jurisdiction
        "lifeline://party/merchant/p1/extra",
        "lifeline://party/merchant/P1",
        "lifeline://party/merchant/p1?jurisdiction=12",
        "lifeline://party/merchant/p1?region=110105",
        "lifeline://party/merchant/p1#frag",
    ],
)
def test_malformed_uris_are_refused(uri: str) -> None:
    with pytest.raises(IdentityError):
        PartyIdentity.from_uri(uri)


def test_jurisdiction_ancestors_run_from_district_to_province() -> None:
    assert jurisdiction_ancestors("110105") == ["110105", "110100", "110000"]
    assert jurisdiction_ancestors("110100") == ["110100", "110000"]
    assert jurisdiction_ancestors("110000") == ["110000"]
