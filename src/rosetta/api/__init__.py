"""HTTP layer: a FastAPI app over the services (JSON API, media, server-rendered page)."""

from rosetta.api.app import create_app

__all__ = ["create_app"]
