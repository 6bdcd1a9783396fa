"""ConnectorConfig from code, the environment and a file; and files that do not fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors import ConnectorConfig
from connectors.channel import load_credentials
from connectors.errors import ConfigError


def test_from_env(certs_dir: Path) -> None:
    env = {
        "LIFELINE_HUB_ADDRESS": "127.0.0.1:7443",
        "LIFELINE_CERT": str(certs_dir / "parties" / "shop-1.pem"),
        "LIFELINE_KEY": str(certs_dir / "parties" / "shop-1.key"),
        "LIFELINE_CA": str(certs_dir / "ca.pem"),
    }
    assert ConnectorConfig.from_env(env) == ConnectorConfig.for_party(
        certs_dir, "shop-1", "127.0.0.1:7443"
    )


def test_from_env_names_what_is_missing() -> None:
    with pytest.raises(ValueError, match="LIFELINE|missing.*cert"):
        ConnectorConfig.from_env({"LIFELINE_HUB_ADDRESS": "x:1"})


def test_from_file_resolves_paths_next_to_it(certs_dir: Path) -> None:
    path = certs_dir / "shop-1.json"
    path.write_text(
        json.dumps(
            {
                "hub_address": "hub:7443",
                "cert": "parties/shop-1.pem",
                "key": "parties/shop-1.key",
                "ca": "ca.pem",
            }
        )
    )
    assert ConnectorConfig.from_file(path) == ConnectorConfig.for_party(
        certs_dir, "shop-1", "hub:7443"
    )
    path.write_text(json.dumps({"hub_address": "hub:7443", "colour": "red"}))
    with pytest.raises(ValueError, match="unknown connector settings"):
        ConnectorConfig.from_file(path)


def test_key_that_does_not_match_the_certificate(certs_dir: Path) -> None:
    config = ConnectorConfig(
        "127.0.0.1:1",
        certs_dir / "parties" / "shop-1.pem",
        certs_dir / "parties" / "shop-2.key",
        certs_dir / "ca.pem",
    )
    with pytest.raises(ConfigError, match="does not match the certificate"):
        load_credentials(config)


def test_missing_file_is_named(certs_dir: Path, tmp_path: Path) -> None:
    config = ConnectorConfig(
        "127.0.0.1:1", tmp_path / "nope.pem", tmp_path / "nope.key", certs_dir / "ca.pem"
    )
    with pytest.raises(ConfigError, match="nope.pem"):
        load_credentials(config)
