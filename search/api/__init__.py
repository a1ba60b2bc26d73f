"""HTTP edge: the FastAPI app factory and its routes."""

from search.api.app import create_app

__all__ = ["create_app"]
