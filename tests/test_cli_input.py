"""What the commands make of bad values: one clear line naming the option, exit 2, and
nothing started (a port out of range once gave a traceback from the operator's port,
and gRPC silently took it modulo 65,536)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from wire.addresses import Address, parse_address


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1:7443", Address("127.0.0.1", 7443)),
        ("0.0.0.0:0", Address("0.0.0.0", 0)),
        ("hub.example:65535", Address("hub.example", 65535)),
        ("[::1]:7443", Address("::1", 7443)),
    ],
)
def test_addresses_are_host_and_port(text: str, address: Address) -> None:
    assert parse_address(text) == address
    assert str(address) == text


def test_an_address_without_a_host_is_every_ipv4_interface() -> None:
    assert parse_address(":9464") == Address("0.0.0.0", 9464)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("127.0.0.1:70000", "from 0 to 65535"),
        ("127.0.0.1:-1", "from 0 to 65535"),
        ("127.0.0.1:http", "from 0 to 65535"),
        ("127.0.0.1", "is not HOST:PORT"),
        ("notaport", "is not HOST:PORT"),
        ("127.0.0.1 :7443", "has a space"),
        ("::1:7443", "in brackets"),
    ],
)
def test_a_bad_address_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_address(text)


def _refused(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--listen", "127.0.0.1:70000", "from 0 to 65535"),
        ("--listen", "notaport", "is not HOST:PORT"),
        ("--ops-listen", "127.0.0.1:99999", "from 0 to 65535"),
        ("--ops-listen", "127.0.0.1", "is not HOST:PORT"),
        ("--grace", "-1", "-1"),
        ("--max-calls-in-flight", "0", "0"),
    ],
)
def test_serve_refuses_a_bad_value_before_starting(
    certs_dir: Path, tmp_path: Path, option: str, value: str, says: str
) -> None:
    out = _refused(
        "serve", "--certs", str(certs_dir), "--db", f"sqlite:///{tmp_path}/hub.db", option, value
    )
    assert f"Invalid value for '{option}'" in out
    assert says in out
    assert not (tmp_path / "hub.db").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("console", "--listen", "127.0.0.1:70000"),
        ("webhooks", "log", "--limit", "-3"),
        (
            "certs",
            "issue",
            "--dir",
            "certs",
            "--party-id",
            "x",
            "--role",
            "merchant",
            "--days",
            "-5",
        ),
    ],
    ids=["console-listen", "webhooks-limit", "certs-days"],
)
def test_other_commands_refuse_values_out_of_range(args: tuple[str, ...]) -> None:
    assert "Invalid value" in _refused(*args)
