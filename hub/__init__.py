"""Lifeline Hub: the server side. Public surface: HubConfig, Hub, serve, HubError."""

from hub.errors import HubError
from hub.server import Hub, HubConfig, serve

__all__ = ["Hub", "HubConfig", "HubError", "serve"]
