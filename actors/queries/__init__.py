"""Reads for the web: the studio page, the admin API, the calendar feed, metrics, readiness."""

from __future__ import annotations

__all__: list[str] = []
