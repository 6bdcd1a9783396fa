"""HOST:PORT, as every command line here takes it: the hub's --listen and --ops-listen,
the console's --listen. Checked when the command starts, so a port out of range is one
clear line rather than a traceback from the socket, or (gRPC) a port silently taken
modulo 65,536."""

from __future__ import annotations

from typing import NamedTuple

import click


class Address(NamedTuple):
    host: str
    """A name, an IPv4 address, or an IPv6 address without its brackets."""
    port: int
    """0 to 65535; 0 asks for any free port."""

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


ANY_HOST = "0.0.0.0"


def parse_address(text: str) -> Address:
    """`host:port`, `[v6]:port`, or `:port` (every IPv4 interface); raises ValueError
    saying what is wrong."""
    host, colon, port = text.strip().rpartition(":")
    if not colon:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:7443, [::1]:7443)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"{text!r}: an IPv6 address goes in brackets, as [{host}]:{port}")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r}: the port must be a number from 0 to 65535")
    if any(c.isspace() for c in host):
        raise ValueError(f"{text!r}: the host has a space in it")
    return Address(host or ANY_HOST, int(port))


class AddressParam(click.ParamType):
    """A click option's type for HOST:PORT."""

    name = "HOST:PORT"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Address:
        if isinstance(value, Address):
            return value
        try:
            return parse_address(str(value))
        except ValueError as e:
            self.fail(str(e), param, ctx)


ADDRESS = AddressParam()
