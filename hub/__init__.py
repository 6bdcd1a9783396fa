"""Lifeline Hub: the server side. Public surface: HubConfig, Hub, serve, HubError."""

from hub.api.server import Hub, HubConfig, serve
from hub.domain.errors import HubError

__all__ = ["Hub", "HubConfig", "HubError", "serve"]
