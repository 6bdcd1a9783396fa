"""The hub's certificate authority, on files in one directory.

Layout (other tools rely on it)::

    DIR/ca.pem, DIR/ca.key          the CA (ca.pem: the CA certificates trusted, the one
                                    ca.key signs with first; two during a rollover)
    DIR/ca-previous.key             the key of the CA a rollover replaced
    DIR/hub.pem, DIR/hub.key        the hub's server certificate
    DIR/crl.pem                     revoked party certificates, signed by the CA
    DIR/parties/ID.pem, ID.key      a party's client certificate and key
    DIR/issued.jsonl                every party certificate issued (serial, party, expiry)

Keys are ECDSA P-256 (they also sign case messages), written with mode 0600.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wire.identity import PartyIdentity, validate_new_party_id
from wire.signed import CAs, check_issued_by, load_cas

CA_CERT = "ca.pem"
CA_KEY = "ca.key"
PREVIOUS_CA_KEY = "ca-previous.key"
HUB_CERT = "hub.pem"
HUB_KEY = "hub.key"
CRL = "crl.pem"
PARTIES = "parties"
ISSUED = "issued.jsonl"

CA_DAYS = 3650
LEAF_DAYS = 365
CRL_DAYS = 30


class CertsError(Exception):
    """A certificate operation cannot be done as asked (the message says why)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write(path: Path, data: bytes, *, private: bool, force: bool) -> None:
    if path.exists() and not force:
        raise CertsError(f"{path} exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Create the file with its final mode, so a key is never readable by others.
    mode = 0o600 if private else 0o644
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_certificate(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        raise CertsError(f"{path} does not exist") from None
    except ValueError as e:
        raise CertsError(f"{path} is not a PEM certificate: {e}") from None


def load_cas_file(path: Path) -> CAs:
    """The CA certificates a `ca.pem` lists (the signing CA first)."""
    try:
        return load_cas(path.read_bytes())
    except FileNotFoundError:
        raise CertsError(f"{path} does not exist") from None
    except ValueError as e:
        raise CertsError(f"{path} is not a PEM certificate bundle: {e}") from None


def load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise CertsError(f"{path} does not exist") from None
    except (ValueError, TypeError) as e:
        raise CertsError(f"{path} is not an unencrypted PEM private key: {e}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertsError(f"{path} is not an EC private key")
    return key


def _new_ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return ca_key, ca_cert


@dataclass(frozen=True)
class CertificateAuthority:
    """The CA files under one directory."""

    directory: Path

    def path(self, name: str) -> Path:
        return self.directory / name

    def party_cert_path(self, party_id: str) -> Path:
        return self.directory / PARTIES / f"{party_id}.pem"

    def party_key_path(self, party_id: str) -> Path:
        return self.directory / PARTIES / f"{party_id}.key"

    # -- init -------------------------------------------------------------

    def init(self, hosts: list[str] | None = None, *, force: bool = False) -> None:
        """Creates the CA, the hub's server certificate and an empty CRL."""
        if not force:
            for filename in (CA_CERT, CA_KEY, HUB_CERT, HUB_KEY, CRL):
                if self.path(filename).exists():
                    raise CertsError(f"{self.path(filename)} exists; pass --force to overwrite it")
        ca_key, ca_cert = _new_ca("Lifeline Hub dev CA")
        _write(self.path(CA_KEY), _key_pem(ca_key), private=True, force=force)
        _write(self.path(CA_CERT), _cert_pem(ca_cert), private=False, force=force)
        # The URI names the hub as the signer of the case messages it writes.
        names: list[x509.GeneralName] = [x509.UniformResourceIdentifier("lifeline://hub")]
        for host in ["localhost", "127.0.0.1", *(hosts or [])]:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        self._write_hub(list(dict.fromkeys(names)), force=force)
        self._write_crl({}, force=True)
        if force and self.path(ISSUED).exists():
            self.path(ISSUED).unlink()

    def _write_hub(self, names: list[x509.GeneralName], *, force: bool) -> None:
        hub_key = ec.generate_private_key(ec.SECP256R1())
        hub_cert = self._leaf(
            "lifeline-hub", hub_key, names, ExtendedKeyUsageOID.SERVER_AUTH, LEAF_DAYS
        )
        _write(self.path(HUB_KEY), _key_pem(hub_key), private=True, force=force)
        _write(self.path(HUB_CERT), _cert_pem(hub_cert), private=False, force=force)

    # -- renewal and rollover -----------------------------------------------

    def renew_hub(self) -> x509.Certificate:
        """A new key and server certificate for the hub, from the signing CA, with the
        names the current one has. Each replica serves it from its next start."""
        current = load_certificate(self.path(HUB_CERT))
        names = current.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self._write_hub(list(names), force=True)
        return load_certificate(self.path(HUB_CERT))

    def rollover(self) -> x509.Certificate:
        """Starts a CA rollover: a new CA signs from now on (party certificates, the CRL),
        and ca.pem lists it before the one it replaces, so both are trusted while parties
        move over. The hub's certificate stays the old CA's until `renew_hub` (parties
        that have not the new ca.pem yet must still trust it). Returns the new CA."""
        cas = load_cas_file(self.path(CA_CERT))
        if len(cas) > 1:
            raise CertsError(
                f"{self.path(CA_CERT)} already trusts {len(cas)} CAs: a rollover is under"
                " way; finish it with `lifeline certs retire` first"
            )
        revoked = {r.serial_number: r.revocation_date_utc for r in self.load_crl()}
        key, cert = _new_ca(f"Lifeline Hub CA {_now():%Y-%m-%d %H:%M:%S}")
        _write(self.path(PREVIOUS_CA_KEY), self.path(CA_KEY).read_bytes(), private=True, force=True)
        _write(self.path(CA_KEY), _key_pem(key), private=True, force=True)
        bundle = b"".join(_cert_pem(c) for c in (cert, *cas))
        _write(self.path(CA_CERT), bundle, private=False, force=True)
        self._write_crl(revoked, force=True)  # signed by the new CA, same entries
        return cert

    def retire(self) -> x509.Certificate:
        """Ends a rollover: ca.pem trusts the newest CA only. Refused while the hub's own
        certificate is still the old CA's (parties would no longer trust the hub).
        Returns the CA retired."""
        cas = load_cas_file(self.path(CA_CERT))
        if len(cas) < 2:
            raise CertsError(f"{self.path(CA_CERT)} trusts one CA: no rollover to finish")
        hub = load_certificate(self.path(HUB_CERT))
        try:
            check_issued_by(hub, cas[:1])
        except (ValueError, TypeError, InvalidSignature):
            raise CertsError(
                f"{self.path(HUB_CERT)} is still the old CA's: run `lifeline certs renew-hub`"
                " and restart each replica first"
            ) from None
        _write(self.path(CA_CERT), _cert_pem(cas[0]), private=False, force=True)
        self.path(PREVIOUS_CA_KEY).unlink(missing_ok=True)
        return cas[-1]

    # -- issue ------------------------------------------------------------

    def issue(
        self, identity: PartyIdentity, *, days: int = LEAF_DAYS, force: bool = False
    ) -> tuple[Path, Path]:
        """Issues a client certificate for a party; returns (cert path, key path)."""
        validate_new_party_id(identity.party_id)
        cert_path = self.party_cert_path(identity.party_id)
        key_path = self.party_key_path(identity.party_id)
        if not force:
            for p in (cert_path, key_path):
                if p.exists():
                    raise CertsError(f"{p} exists; pass --force to overwrite it")
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._leaf(
            identity.party_id,
            key,
            [x509.UniformResourceIdentifier(identity.to_uri())],
            ExtendedKeyUsageOID.CLIENT_AUTH,
            days,
        )
        _write(key_path, _key_pem(key), private=True, force=force)
        _write(cert_path, _cert_pem(cert), private=False, force=force)
        record = {
            "serial": format(cert.serial_number, "x"),
            "party_id": identity.party_id,
            "not_after": cert.not_valid_after_utc.isoformat(),
        }
        with self.path(ISSUED).open("a") as f:
            f.write(json.dumps(record) + "\n")
        return cert_path, key_path

    # -- revoke -----------------------------------------------------------

    def revoke(self, party_id: str) -> list[int]:
        """Adds every certificate issued to the party to the CRL; returns their serials."""
        serials = {int(r["serial"], 16) for r in self._issued() if r["party_id"] == party_id}
        current = self.party_cert_path(party_id)
        if current.exists():
            serials.add(load_certificate(current).serial_number)
        if not serials:
            raise CertsError(
                f"no certificate was issued to party {party_id!r} from {self.directory}"
            )
        revoked = {r.serial_number: r.revocation_date_utc for r in self.load_crl()}
        new = sorted(serials - revoked.keys())
        now = _now()
        self._write_crl({**revoked, **dict.fromkeys(new, now)}, force=True)
        return new

    def load_crl(self) -> x509.CertificateRevocationList:
        try:
            return x509.load_pem_x509_crl(self.path(CRL).read_bytes())
        except FileNotFoundError:
            raise CertsError(
                f"{self.path(CRL)} does not exist; run `lifeline certs init`"
            ) from None

    # -- helpers ----------------------------------------------------------

    def _issued(self) -> list[dict[str, str]]:
        if not self.path(ISSUED).exists():
            return []
        return [json.loads(line) for line in self.path(ISSUED).read_text().splitlines() if line]

    def _ca(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """The signing CA: the first of ca.pem, whose key is ca.key."""
        return load_cas_file(self.path(CA_CERT))[0], load_private_key(self.path(CA_KEY))

    def _leaf(
        self,
        common_name: str,
        key: ec.EllipticCurvePrivateKey,
        names: list[x509.GeneralName],
        usage: x509.ObjectIdentifier,
        days: int,
    ) -> x509.Certificate:
        ca_cert, ca_key = self._ca()
        now = _now()
        return (
            x509.CertificateBuilder()
            # The subject is for people reading the certificate; identity is in the SAN.
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=True,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )

    def _write_crl(self, revoked: dict[int, dt.datetime], *, force: bool) -> None:
        ca_cert, ca_key = self._ca()
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now)
            .next_update(now + dt.timedelta(days=CRL_DAYS))
        )
        for serial, when in sorted(revoked.items()):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        crl = builder.sign(ca_key, hashes.SHA256())
        _write(
            self.path(CRL), crl.public_bytes(serialization.Encoding.PEM), private=False, force=force
        )
