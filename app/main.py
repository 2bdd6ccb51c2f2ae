"""FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

from app import __version__


class Health(BaseModel):
    """Response body of ``GET /health``."""

    status: str
    version: str


def create_app() -> FastAPI:
    """Create the LSTM Lens web application."""
    application = FastAPI(title="LSTM Lens", version=__version__)

    @application.get("/health")
    def health() -> Health:
        return Health(status="ok", version=__version__)

    return application


app = create_app()
