"""Server-rendered web pages: login, the cycle board and a commitment's page."""

from api.pages.routes import router

__all__ = ["router"]
