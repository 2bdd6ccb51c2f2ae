"""FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from app import __version__, api

# Until the page lands (the front-end issue) the root says plainly what is here.
INDEX = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LSTM Lens</title></head>
<body><h1>LSTM Lens {__version__}</h1>
<p>The engine is installed; the interactive page is not built yet. See the README for the
Python API, and <a href="/health">/health</a> for the server's status.</p></body></html>
"""


class Health(BaseModel):
    """Response body of ``GET /health``."""

    status: str
    version: str


def create_app() -> FastAPI:
    """Create the LSTM Lens web application."""
    # No /docs or /redoc: FastAPI's pages load their scripts from a CDN, and the app must
    # work offline.
    application = FastAPI(title="LSTM Lens", version=__version__, docs_url=None, redoc_url=None)

    application.include_router(api.router)

    @application.get("/", response_class=HTMLResponse)
    def index() -> str:
        return INDEX

    @application.get("/health")
    def health() -> Health:
        return Health(status="ok", version=__version__)

    return application


app = create_app()
