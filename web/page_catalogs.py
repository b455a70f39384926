"""Where the studio page's message catalogs are: one `.po` per locale (docs/translating.md).

Kept apart from `web.page_language` so that the settings can check a locale's catalog
without the page's request-time machinery."""

from __future__ import annotations

from pathlib import Path

__all__ = ["TRANSLATIONS_DIR", "available_catalogs", "catalog_path"]

TRANSLATIONS_DIR = Path(__file__).parent / "translations"


def catalog_path(locale: str) -> Path:
    """Where `locale`'s catalog is (it may not exist)."""
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"


def available_catalogs() -> list[str]:
    """The locales that have a catalog, sorted."""
    return sorted(path.parents[1].name for path in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.po"))
