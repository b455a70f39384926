"""The Quart app: webhooks in, health. Verifies, parses, routes, answers; no business rules."""

from __future__ import annotations

from web.app import create_app, create_app_from_env
from web.settings import Settings

__all__ = ["Settings", "create_app", "create_app_from_env"]
