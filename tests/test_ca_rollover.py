"""A CA rollover without downtime (issue 15; the steps: docs/operations.md): while the
old and the new CA are both trusted, parties that have not moved yet and parties that
have keep working; the hub's certificate moves to the new CA; retiring the old CA then
shuts out certificates it issued. Each step is a replica restarted on the new files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lifeline.hub.v1 import handoff_pb2

from connectors import ConnectorConfig, HubClient
from connectors.errors import ConfigError, HubUnavailableError
from hub.store import certs
from tests.conftest import HubFactory
from tests.flows import handoffs, has_handoff, imminent, read_inbox
from wire.identity import PartyIdentity, Role

DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH


def _client(hub_port: int, directory: Path, party_id: str, ca_pem: Path) -> HubClient:
    return HubClient(
        ConnectorConfig(
            f"127.0.0.1:{hub_port}",
            directory / "parties" / f"{party_id}.pem",
            directory / "parties" / f"{party_id}.key",
            ca_pem,
        )
    )


async def test_a_ca_rollover_keeps_parties_working_and_ends_trusting_the_new_ca_only(
    start_hub: HubFactory, fresh_certs_dir: Path, tmp_path: Path
) -> None:
    ca = certs.CertificateAuthority(fresh_certs_dir)
    ca_pem = fresh_certs_dir / certs.CA_CERT
    old_ca_pem = Path(shutil.copy(ca_pem, tmp_path / "old-ca.pem"))

    ca.rollover()
    new_ca, old_ca = certs.load_cas_file(ca_pem)
    assert certs.load_cas_file(old_ca_pem) == (old_ca,)
    with pytest.raises(certs.CertsError, match="renew-hub"):
        ca.retire()  # the hub's certificate is still the old CA's
    hub = await start_hub(fresh_certs_dir)  # a replica restarted with both CAs

    # A police desk that has moved: a certificate from the new CA, the new ca.pem.
    ca.issue(PartyIdentity("police-110105", Role.POLICE, "110105"), force=True)
    police = _client(hub.port, fresh_certs_dir, "police-110105", ca_pem)
    try:
        await police.whoami()
        # A shop that has not: the old CA's certificate, the old ca.pem only.
        shop = _client(hub.port, fresh_certs_dir, "shop-1", old_ca_pem)
        try:
            case_id = (await shop.report_signal(**imminent("buyer-rollover"))).case.case_id
        finally:
            await shop.close()
        # The desk's signed receipt is checked against the new CA.
        inbox = await read_inbox(police, has_handoff(DISPATCH))
        dispatch = next(h for h in handoffs(inbox) if h.case_id == case_id)
        taken = await police.acknowledge_handoff(dispatch.handoff_id)
        assert taken.handoff.state == handoff_pb2.Handoff.STATE_ACKNOWLEDGED
    finally:
        await police.close()
    # Revoking goes on: the CRL is the new CA's now, and the hub takes it.
    ca.revoke("courier-1")
    courier = _client(hub.port, fresh_certs_dir, "courier-1", ca_pem)
    try:
        with pytest.raises(Exception, match="revoked"):
            await courier.whoami()
    finally:
        await courier.close()

    # The hub's certificate moves to the new CA; the old shop, given the new ca.pem,
    # trusts it.
    ca.renew_hub()
    await hub.stop()
    hub = await start_hub(fresh_certs_dir)
    shop = _client(hub.port, fresh_certs_dir, "shop-1", ca_pem)
    try:
        assert (await shop.whoami()).party_id == "shop-1"
    finally:
        await shop.close()

    # Retired: the old CA's certificates are refused in the handshake, the new CA's work.
    both = Path(shutil.copy(ca_pem, tmp_path / "both-cas.pem"))
    assert ca.retire() == old_ca
    assert certs.load_cas_file(ca_pem) == (new_ca,)
    await hub.stop()
    hub = await start_hub(fresh_certs_dir)
    with pytest.raises(ConfigError, match="was not issued by the CA"):
        _client(hub.port, fresh_certs_dir, "shop-1", ca_pem)  # the connector says why
    shop = _client(hub.port, fresh_certs_dir, "shop-1", both)  # and the hub refuses it
    try:
        with pytest.raises(HubUnavailableError):
            await shop.whoami()
    finally:
        await shop.close()
    police = _client(hub.port, fresh_certs_dir, "police-110105", ca_pem)
    try:
        assert (await police.whoami()).party_id == "police-110105"
    finally:
        await police.close()
