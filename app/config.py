"""Runtime settings, read from environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

# Not plain HOST: zsh and some CI systems set HOST to the machine's hostname.
HOST_ENV = "LSTM_LENS_HOST"
PORT_ENV = "PORT"


def parse_port(value: str | int) -> int:
    """Convert ``value`` to a TCP port number, raising ValueError if invalid."""
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"invalid port {value!r}: not an integer") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"invalid port {port}: must be in 0..65535")
    return port


@dataclass(frozen=True)
class Settings:
    """Server settings."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (defaults to ``os.environ``).

        ``LSTM_LENS_HOST`` sets the host and ``PORT`` the port; empty or unset
        variables fall back to the defaults.
        """
        env = os.environ if environ is None else environ
        host = env.get(HOST_ENV) or DEFAULT_HOST
        port_raw = env.get(PORT_ENV)
        port = parse_port(port_raw) if port_raw else DEFAULT_PORT
        return cls(host=host, port=port)
