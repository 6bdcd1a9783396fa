"""Who gets in: every refusal at the gate is clear, and the hub is unharmed after it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from lifeline.hub.v1 import party_service_pb2

from connectors import ConnectorConfig, HubClient
from connectors.errors import (
    AuthenticationError,
    ConfigError,
    HandshakeError,
    PermissionDeniedError,
    ResourceExhaustedError,
)
from hub import Hub
from hub.api import permissions
from hub.api.auth import MAX_REQUEST_BYTES
from hub.api.server import SERVICE_NAMES
from hub.store.certs import CertificateAuthority
from tests.conftest import ClientFactory, HubFactory
from tests.pki import mint
from wire.identity import PartyIdentity, Role


async def assert_unharmed(hub: Hub, certs: Path) -> None:
    """A well-behaved party is still served after a refusal."""
    async with HubClient(
        ConnectorConfig.for_party(certs, "duty-desk", f"127.0.0.1:{hub.port}")
    ) as c:
        assert (await c.whoami()).party_id == "duty-desk"


def _client(hub: Hub, cert: Path, key: Path, ca: Path) -> HubClient:
    return HubClient(ConnectorConfig(f"127.0.0.1:{hub.port}", cert, key, ca))


async def test_known_party_is_admitted(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    party = await connect(hub, certs_dir, "police-110105").whoami()
    assert party.party_id == "police-110105"
    assert party.jurisdiction_code == "110105"


async def _refused_in_handshake(hub: Hub, ca: Path, cert: Path | None, key: Path | None) -> None:
    """Calls the hub on a raw channel (no connector pre-checks) and expects the TLS refusal."""
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes(),
        private_key=key.read_bytes() if key else None,
        certificate_chain=cert.read_bytes() if cert else None,
    )
    async with grpc.aio.secure_channel(f"127.0.0.1:{hub.port}", credentials) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_no_client_certificate_is_refused_in_the_handshake(
    start_hub: HubFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    await _refused_in_handshake(hub, certs_dir / "ca.pem", None, None)
    await assert_unharmed(hub, certs_dir)


async def test_certificate_from_another_ca_is_refused(
    start_hub: HubFactory, certs_dir: Path, tmp_path: Path
) -> None:
    hub = await start_hub(certs_dir)
    other = CertificateAuthority(tmp_path / "other")
    other.init()
    cert, key = other.issue(PartyIdentity("duty-desk", Role.PLATFORM))
    await _refused_in_handshake(hub, certs_dir / "ca.pem", cert, key)
    # The connector says why before it even dials.
    with pytest.raises(ConfigError, match="was not issued by the CA"):
        _client(hub, cert, key, certs_dir / "ca.pem")
    await assert_unharmed(hub, certs_dir)


async def test_expired_certificate_is_refused(
    start_hub: HubFactory, certs_dir: Path, tmp_path: Path
) -> None:
    hub = await start_hub(certs_dir)
    now = dt.datetime.now(dt.UTC)
    cert, key = mint(
        tmp_path,
        "expired",
        issuer_dir=certs_dir,
        san=[x509.UniformResourceIdentifier("lifeline://party/platform/expired")],
        not_before=now - dt.timedelta(days=30),
        not_after=now - dt.timedelta(days=1),
    )
    await _refused_in_handshake(hub, certs_dir / "ca.pem", cert, key)
    with pytest.raises(ConfigError, match="expired on"):
        _client(hub, cert, key, certs_dir / "ca.pem")
    await assert_unharmed(hub, certs_dir)


async def test_hub_certificate_from_an_unexpected_ca_is_refused_by_the_connector(
    start_hub: HubFactory, certs_dir: Path, tmp_path: Path
) -> None:
    hub = await start_hub(certs_dir)
    # The party trusts a different CA than the one that signed the hub.
    other = CertificateAuthority(tmp_path / "other")
    other.init()
    cert, key = other.issue(PartyIdentity("duty-desk", Role.PLATFORM))
    async with _client(hub, cert, key, other.directory / "ca.pem") as c:
        with pytest.raises(HandshakeError, match="TLS handshake"):
            await c.whoami()
    await assert_unharmed(hub, certs_dir)


async def test_revoked_certificate_is_refused_without_restart(
    start_hub: HubFactory, connect: ClientFactory, fresh_certs_dir: Path
) -> None:
    hub = await start_hub(fresh_certs_dir)
    courier = connect(hub, fresh_certs_dir, "courier-1")
    assert (await courier.whoami()).party_id == "courier-1"
    CertificateAuthority(fresh_certs_dir).revoke("courier-1")
    # Same hub, same open connection: the next call is refused.
    with pytest.raises(AuthenticationError) as refused:
        await courier.whoami()
    assert refused.value.reason == "PARTY_REVOKED"
    assert refused.value.code == grpc.StatusCode.UNAUTHENTICATED
    await assert_unharmed(hub, fresh_certs_dir)


async def test_crl_not_signed_by_the_ca_is_ignored(
    start_hub: HubFactory, connect: ClientFactory, fresh_certs_dir: Path, tmp_path: Path
) -> None:
    hub = await start_hub(fresh_certs_dir)
    forger = CertificateAuthority(tmp_path / "forger")
    forger.init()
    (fresh_certs_dir / "crl.pem").write_bytes((forger.directory / "crl.pem").read_bytes())
    assert (await connect(hub, fresh_certs_dir, "courier-1").whoami()).party_id == "courier-1"


@pytest.mark.parametrize(
    "san",
    [
        None,
        [x509.DNSName("duty-desk.example")],
        [x509.UniformResourceIdentifier("https://example.com/duty-desk")],
    ],
    ids=["no-san", "dns-only", "other-uri"],
)
async def test_certificate_without_party_san_is_refused(
    start_hub: HubFactory, certs_dir: Path, tmp_path: Path, san: list[x509.GeneralName] | None
) -> None:
    hub = await start_hub(certs_dir)
    # The subject spells a party URI: it must not count, only the SAN does.
    cert, key = mint(
        tmp_path,
        "no-party-san",
        issuer_dir=certs_dir,
        san=san,
        common_name="lifeline://party/platform/duty-desk",
    )
    async with _client(hub, cert, key, certs_dir / "ca.pem") as c:
        with pytest.raises(AuthenticationError) as refused:
            await c.whoami()
    assert refused.value.reason == "PARTY_IDENTITY_MISSING"
    await assert_unharmed(hub, certs_dir)


async def test_malformed_party_uri_is_refused(
    start_hub: HubFactory, certs_dir: Path, tmp_path: Path
) -> None:
    hub = await start_hub(certs_dir)
    san: list[x509.GeneralName] = [
        x509.UniformResourceIdentifier("lifeline://party/sheriff/duty-desk")
    ]
    cert, key = mint(tmp_path, "bad-role", issuer_dir=certs_dir, san=san)
    async with _client(hub, cert, key, certs_dir / "ca.pem") as c:
        with pytest.raises(AuthenticationError) as refused:
            await c.whoami()
    assert refused.value.reason == "PARTY_IDENTITY_INVALID"


async def test_courier_calling_a_platform_only_rpc_is_refused(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    courier = connect(hub, certs_dir, "courier-1")
    with pytest.raises(PermissionDeniedError) as refused:
        await courier.parties.ListParties(party_service_pb2.ListPartiesRequest())
    assert refused.value.reason == "ROLE_NOT_PERMITTED"
    assert refused.value.metadata["role"] == "courier"
    await assert_unharmed(hub, certs_dir)


async def test_oversized_request_is_refused(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    platform = connect(hub, certs_dir, "duty-desk")
    request = party_service_pb2.DeactivatePartyRequest(
        party_id="shop-1", reason="x" * (MAX_REQUEST_BYTES + 1)
    )
    with pytest.raises(ResourceExhaustedError) as refused:
        await platform.parties.DeactivateParty(request)
    assert refused.value.reason == "MESSAGE_TOO_LARGE"
    assert refused.value.metadata["limit_bytes"] == str(MAX_REQUEST_BYTES)
    # Nothing was done with the refused request.
    assert (await connect(hub, certs_dir, "shop-1").whoami()).state == 1
    await assert_unharmed(hub, certs_dir)


async def test_health_and_reflection_are_served(start_hub: HubFactory, certs_dir: Path) -> None:
    hub = await start_hub(certs_dir)
    config = ConnectorConfig.for_party(certs_dir, "courier-1", f"127.0.0.1:{hub.port}")
    async with HubClient(config) as client:
        assert await client.serving()
        stub = reflection_pb2_grpc.ServerReflectionStub(client.channel)
        responses = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        async for response in responses:
            listed = {s.name for s in response.list_services_response.service}
            break
    assert set(SERVICE_NAMES) <= listed
    assert "grpc.health.v1.Health" in listed


def test_every_rpc_has_a_permission_entry() -> None:
    from lifeline.hub.v1 import case_service_pb2, handoff_service_pb2, inbox_service_pb2
    from lifeline.hub.v1 import party_service_pb2 as party_module
    from lifeline.hub.v1 import rota_service_pb2 as rota_module

    modules = (case_service_pb2, handoff_service_pb2, inbox_service_pb2, party_module, rota_module)
    methods = {
        f"/{service.full_name}/{method.name}"
        for module in modules
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }
    assert methods == set(permissions.PERMISSIONS)
