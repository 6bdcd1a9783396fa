"""`lifeline certs`: the layout other tools rely on, key modes, refusals."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from hub.cli import main
from wire.identity import PartyIdentity, Role


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    code, out = run(
        "certs",
        "init",
        "--dir",
        str(tmp_path / "ca"),
        "--host",
        "hub.example",
        "--host",
        "10.1.2.3",
    )
    assert code == 0, out
    return tmp_path / "ca"


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_init_writes_the_layout(ca_dir: Path) -> None:
    for name in ("ca.pem", "ca.key", "hub.pem", "hub.key", "crl.pem"):
        assert (ca_dir / name).is_file()
    for key in ("ca.key", "hub.key"):
        assert stat.S_IMODE((ca_dir / key).stat().st_mode) == 0o600
    san = (
        _cert(ca_dir / "hub.pem")
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert set(san.get_values_for_type(x509.DNSName)) == {"localhost", "hub.example"}
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "10.1.2.3"}
    crl = x509.load_pem_x509_crl((ca_dir / "crl.pem").read_bytes())
    assert len(crl) == 0
    assert crl.is_signature_valid(_cert(ca_dir / "ca.pem").public_key())  # type: ignore[arg-type]


def test_init_does_not_overwrite_without_force(ca_dir: Path) -> None:
    before = (ca_dir / "ca.key").read_bytes()
    code, out = run("certs", "init", "--dir", str(ca_dir))
    assert code == 1 and "--force" in out and "Traceback" not in out
    assert (ca_dir / "ca.key").read_bytes() == before
    code, _ = run("certs", "init", "--dir", str(ca_dir), "--force")
    assert code == 0
    assert (ca_dir / "ca.key").read_bytes() != before


def test_issue_writes_a_client_certificate_with_the_party_uri(ca_dir: Path) -> None:
    code, out = run(
        "certs",
        "issue",
        "--dir",
        str(ca_dir),
        "--party-id",
        "police-110105",
        "--role",
        "police",
        "--jurisdiction",
        "110105",
    )
    assert code == 0, out
    cert = _cert(ca_dir / "parties" / "police-110105.pem")
    assert stat.S_IMODE((ca_dir / "parties" / "police-110105.key").stat().st_mode) == 0o600
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert PartyIdentity.from_certificate(cert) == PartyIdentity(
        "police-110105", Role.POLICE, "110105"
    )
    cert.verify_directly_issued_by(_cert(ca_dir / "ca.pem"))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--party-id", "police-x", "--role", "police"], "needs a jurisdiction"),
        (["--party-id", "committee-x", "--role", "committee"], "needs a jurisdiction"),
        (["--party-id", "police-x", "--role", "police", "--jurisdiction", "11010"], "6-digit"),
        (["--party-id", "police-x", "--role", "police", "--jurisdiction", "abcdef"], "6-digit"),
        (["--party-id", "Bad Id", "--role", "merchant"], "party id"),
        (["--party-id", "x", "--role", "sheriff"], "sheriff"),
    ],
)
def test_issue_refuses_bad_input(ca_dir: Path, args: list[str], message: str) -> None:
    code, out = run("certs", "issue", "--dir", str(ca_dir), *args)
    assert code != 0
    assert message in out
    assert "Traceback" not in out
    assert not list((ca_dir / "parties").glob("*")) if (ca_dir / "parties").exists() else True


def test_issue_does_not_overwrite_without_force(ca_dir: Path) -> None:
    args = ("certs", "issue", "--dir", str(ca_dir), "--party-id", "shop-1", "--role", "merchant")
    assert run(*args)[0] == 0
    before = (ca_dir / "parties" / "shop-1.key").read_bytes()
    code, out = run(*args)
    assert code == 1 and "--force" in out
    assert (ca_dir / "parties" / "shop-1.key").read_bytes() == before
    assert run(*args, "--force")[0] == 0


def test_revoke_lists_every_certificate_of_the_party(ca_dir: Path) -> None:
    args = ("certs", "issue", "--dir", str(ca_dir), "--party-id", "shop-1", "--role", "merchant")
    run(*args)
    first = _cert(ca_dir / "parties" / "shop-1.pem").serial_number
    run(*args, "--force")
    second = _cert(ca_dir / "parties" / "shop-1.pem").serial_number
    run("certs", "issue", "--dir", str(ca_dir), "--party-id", "shop-2", "--role", "merchant")
    code, out = run("certs", "revoke", "--dir", str(ca_dir), "--party-id", "shop-1")
    assert code == 0, out
    crl = x509.load_pem_x509_crl((ca_dir / "crl.pem").read_bytes())
    assert {r.serial_number for r in crl} == {first, second}
    assert crl.is_signature_valid(_cert(ca_dir / "ca.pem").public_key())  # type: ignore[arg-type]
    code, out = run("certs", "revoke", "--dir", str(ca_dir), "--party-id", "nobody")
    assert code == 1 and "no certificate was issued" in out


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["certs"],
        ["certs", "init"],
        ["certs", "issue"],
        ["certs", "revoke"],
        ["serve"],
        ["demo"],
        ["audit", "verify"],
        ["evidence", "export"],
        ["evidence", "verify"],
        ["rota", "add"],
        ["rota", "check"],
        ["desk"],
        ["desk", "police"],
        ["desk", "courier", "outcome"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    code, out = run(*command, "--help")
    assert code == 0
    assert "Usage:" in out


def test_a_ca_rollover_goes_in_order_and_says_what_comes_next(ca_dir: Path) -> None:
    hub_before = _cert(ca_dir / "hub.pem")
    code, out = run("certs", "rollover", "--dir", str(ca_dir))
    assert code == 0 and "certs renew-hub" in out, out
    assert len(x509.load_pem_x509_certificates((ca_dir / "ca.pem").read_bytes())) == 2
    assert stat.S_IMODE((ca_dir / "ca-previous.key").stat().st_mode) == 0o600
    code, out = run("certs", "rollover", "--dir", str(ca_dir))
    assert code == 1 and "a rollover is under way" in out, out
    code, out = run("certs", "retire", "--dir", str(ca_dir))
    assert code == 1 and "run `lifeline certs renew-hub`" in out, out

    code, out = run("certs", "renew-hub", "--dir", str(ca_dir))
    assert code == 0, out
    renewed = _cert(ca_dir / "hub.pem")
    new_ca = x509.load_pem_x509_certificates((ca_dir / "ca.pem").read_bytes())[0]
    renewed.verify_directly_issued_by(new_ca)
    names = x509.SubjectAlternativeName
    assert (
        renewed.extensions.get_extension_for_class(names).value
        == hub_before.extensions.get_extension_for_class(names).value
    )
    code, out = run("certs", "retire", "--dir", str(ca_dir))
    assert code == 0, out
    assert x509.load_pem_x509_certificates((ca_dir / "ca.pem").read_bytes()) == [new_ca]
    assert not (ca_dir / "ca-previous.key").exists()
    code, out = run("certs", "retire", "--dir", str(ca_dir))
    assert code == 1 and "no rollover to finish" in out, out
