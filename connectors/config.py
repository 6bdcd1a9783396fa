"""Connector configuration: a dataclass, also readable from the environment or a file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "LIFELINE_"


@dataclass(frozen=True)
class ConnectorConfig:
    """Where the hub is and who this party is."""

    hub_address: str
    """host:port of the hub; several, comma-separated, to fail over between hubs."""

    cert: Path
    """This party's client certificate (PEM), from `lifeline certs issue`."""

    key: Path
    """The private key of that certificate (PEM)."""

    ca: Path
    """The hub's CA certificate (PEM); the hub's server certificate must chain to it."""

    server_name: str | None = None
    """Name to check in the hub's certificate when it differs from the address host."""

    @property
    def addresses(self) -> list[str]:
        return [a.strip() for a in self.hub_address.split(",") if a.strip()]

    @classmethod
    def for_party(cls, certs_dir: Path, party_id: str, hub_address: str) -> ConnectorConfig:
        """The files `lifeline certs` laid out for one party."""
        return cls(
            hub_address=hub_address,
            cert=certs_dir / "parties" / f"{party_id}.pem",
            key=certs_dir / "parties" / f"{party_id}.key",
            ca=certs_dir / "ca.pem",
        )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ConnectorConfig:
        """From LIFELINE_HUB_ADDRESS, LIFELINE_CERT, LIFELINE_KEY, LIFELINE_CA, ..."""
        env = os.environ if environ is None else environ
        values = {
            f.name: env[ENV_PREFIX + f.name.upper()]
            for f in fields(cls)
            if ENV_PREFIX + f.name.upper() in env
        }
        return cls._from_mapping(values, "environment")

    @classmethod
    def from_file(cls, path: Path) -> ConnectorConfig:
        """From a JSON object with the field names as keys; paths are relative to the file."""
        try:
            values = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise ValueError(f"cannot read connector config {path}: {e}") from None
        if not isinstance(values, dict):
            raise ValueError(f"connector config {path} must hold a JSON object")
        for name in ("cert", "key", "ca"):
            if name in values:
                values[name] = str(path.parent / values[name])
        return cls._from_mapping(values, str(path))

    @classmethod
    def _from_mapping(cls, values: dict[str, Any], source: str) -> ConnectorConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"{source}: unknown connector settings {sorted(unknown)}")
        missing = [n for n in ("hub_address", "cert", "key", "ca") if n not in values]
        if missing:
            raise ValueError(f"{source}: missing connector settings {missing}")
        for name in ("cert", "key", "ca"):
            values[name] = Path(values[name])
        return cls(**values)
