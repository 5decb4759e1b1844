"""The Galatea add-on service: the engine loop on the shared database, an HTTP API for the
integration and an ingress web UI. HA-free: it imports only ``galatea_engine`` and aiohttp."""

from __future__ import annotations

__version__ = "0.1.0"
