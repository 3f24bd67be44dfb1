"""HTTP layer: a FastAPI app over the services (JSON API, media, the web workspace)."""

from rosetta.api.app import create_app

__all__ = ["create_app"]
