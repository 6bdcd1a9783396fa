"""The mutual-TLS channel to the hub, with the party's files checked first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from connectors.config import ConnectorConfig
from connectors.errors import ConfigError
from wire.signed import CAs, Signer, check_issued_by, load_cas


def _read(path: object, what: str) -> bytes:
    try:
        with open(str(path), "rb") as f:
            return f.read()
    except OSError as e:
        raise ConfigError(f"cannot read the {what} {path}: {e.strerror}") from None


@dataclass(frozen=True)
class PartyFiles:
    """A party's files, read once and checked to fit together."""

    credentials: grpc.ChannelCredentials
    signer: Signer
    ca: CAs


def load_credentials(config: ConnectorConfig) -> grpc.ChannelCredentials:
    return load_party(config).credentials


def load_party(config: ConnectorConfig) -> PartyFiles:
    """The party's TLS credentials, signing key and CA, refusing files that cannot work together.

    A key that does not match its certificate would only fail deep in the TLS
    handshake with an opaque message; checking here gives one clear line.
    """
    cert_pem = _read(config.cert, "certificate")
    key_pem = _read(config.key, "private key")
    ca_pem = _read(config.ca, "CA certificate")
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        raise ConfigError(f"{config.cert} is not a PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise ConfigError(f"{config.key} is not an unencrypted PEM private key") from None
    try:
        cas = load_cas(ca_pem)  # two during the hub's CA rollover
    except ValueError:
        raise ConfigError(f"{config.ca} is not a PEM certificate") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(
        serialization.Encoding.DER, public
    ) != cert.public_key().public_bytes(serialization.Encoding.DER, public):
        raise ConfigError(
            f"the private key {config.key} does not match the certificate {config.cert}"
        )
    # The hub refuses these in the TLS handshake, where the client only sees the
    # connection close; saying so here is the difference between a clear line and
    # an hour of guessing.
    try:
        check_issued_by(cert, cas)
    except (ValueError, TypeError, InvalidSignature):
        raise ConfigError(
            f"the certificate {config.cert} was not issued by the CA {config.ca}"
        ) from None
    now = dt.datetime.now(dt.UTC)
    valid_from, valid_to = cert.not_valid_before_utc, cert.not_valid_after_utc
    if valid_to <= now:
        raise ConfigError(f"the certificate {config.cert} expired on {valid_to:%Y-%m-%d %H:%M} UTC")
    if valid_from > now:
        raise ConfigError(
            f"the certificate {config.cert} is not valid before {valid_from:%Y-%m-%d %H:%M} UTC"
        )
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigError(f"{config.key} is not an EC key; case messages are signed with ES256")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca_pem, private_key=key_pem, certificate_chain=cert_pem
    )
    return PartyFiles(credentials, Signer(key, cert), cas)


def secure_channel(
    config: ConnectorConfig,
    credentials: grpc.ChannelCredentials | None = None,
    address: str | None = None,
    interceptors: Sequence[grpc.aio.UnaryUnaryClientInterceptor] = (),
) -> grpc.aio.Channel:
    options: list[tuple[str, str | int]] = [
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_permit_without_calls", 1),
    ]
    if config.server_name:
        options.append(("grpc.ssl_target_name_override", config.server_name))
    return grpc.aio.secure_channel(
        address or config.addresses[0],
        credentials or load_credentials(config),
        options=options,
        # grpc-stubs leaves ClientInterceptor a placeholder that nothing matches.
        interceptors=interceptors,  # type: ignore[arg-type]
    )
