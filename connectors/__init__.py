"""Party SDK: connect to a Lifeline Hub over mutual TLS.

Public surface: ConnectorConfig, HubClient, and the exceptions in connectors.errors.
"""

from connectors.client import HubClient
from connectors.config import ConnectorConfig
from wire.errors import LifelineError

__all__ = ["ConnectorConfig", "HubClient", "LifelineError"]
