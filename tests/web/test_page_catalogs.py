"""
The studio page's message catalogs (web/translations/): the `.pot` holds every word the
templates and the page's Python mark, every locale's catalog holds every one of them,
and Spanish has a translation for each, with the same placeholders. A template changed
without re-extracting, or a word left untranslated, fails here naming the words.
A LOCALE without a catalog stops start-up with one line; an English studio with no
STUDIO_NAME says "Studio" and `lang="en-GB"`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.web.conftest import Running
from tests.web.test_startup import ROOT, serve
from web.page_language import available_catalogs, catalog_path

pytestmark = pytest.mark.anyio

POT = ROOT / "web" / "translations" / "messages.pot"
SPANISH = "es_ES"
FIX = (
    "run: pybabel extract -F babel.cfg --no-location --sort-output "
    "-o web/translations/messages.pot . && pybabel update -i web/translations/messages.pot "
    "-d web/translations --no-location (docs/translating.md)"
)


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _marked_now() -> set[str]:
    """The words the templates and the page's Python mark today, as `pybabel extract`
    reads them with babel.cfg."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found = extract_from_dir(ROOT, method_map, options_map)
    return {message if isinstance(message, str) else message[0] for _, _, message, *_ in found}


def _listed(words: set[str]) -> str:
    return "\n  ".join(sorted(words))


def test_the_pot_holds_every_word_the_page_marks() -> None:
    marked, extracted = _marked_now(), _ids(_read(POT))
    missing, gone = marked - extracted, extracted - marked
    assert not missing, f"words marked but not in messages.pot ({FIX}):\n  {_listed(missing)}"
    assert not gone, f"words in messages.pot no page marks any more ({FIX}):\n  {_listed(gone)}"


@pytest.mark.parametrize("locale", available_catalogs())
def test_every_catalog_holds_every_word(locale: str) -> None:
    missing = _ids(_read(POT)) - _ids(_read(catalog_path(locale), locale))
    assert not missing, f"{locale}: words not in its catalog ({FIX}):\n  {_listed(missing)}"


def test_every_word_has_a_spanish_translation_with_the_same_placeholders() -> None:
    catalog = _read(catalog_path(SPANISH), SPANISH)
    wanted = _ids(_read(POT))
    untranslated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else (m.string,)))
    }
    missing = (wanted - _ids(catalog)) | (wanted & untranslated)
    assert not missing, f"{SPANISH}: words with no translation:\n  {_listed(missing)}"
    wrong = [f"{m.id!r}: {error}" for m, errors in catalog.check() for error in errors]
    assert not wrong, "\n".join(wrong)


def test_the_shipped_locales_each_have_a_catalog() -> None:
    copies = sorted(path.stem for path in (ROOT / "copy").glob("*.yml"))
    assert available_catalogs() == copies


def test_a_locale_with_a_copy_file_but_no_catalog_stops_start_up(tmp_path: Path) -> None:
    shutil.copy(ROOT / "copy" / "en_GB.yml", tmp_path / "fr_FR.yml")
    line = serve({"LOCALE": "fr_FR", "COPY_DIR": str(tmp_path)})
    assert line.startswith("LOCALE: no page catalog web/translations/fr_FR/LC_MESSAGES/")
    assert "available: en_GB, es_ES" in line


async def test_an_english_studio_without_a_name_says_studio_in_british_english(
    running: Running,
) -> None:
    page = await running.client.get("/studio/login")
    html = await page.get_data(as_text=True)
    assert '<html lang="en-GB">' in html
    assert "<title>Studio: sign in</title>" in html
    assert '<a class="brand" href="/studio/">Studio</a>' in html
    assert '<link rel="manifest" href="/studio/manifest.webmanifest">' in html
    manifest = await running.client.get("/studio/manifest.webmanifest")
    assert manifest.status_code == 200  # no session needed
    assert manifest.headers["Content-Type"] == "application/manifest+json"
    assert (await manifest.get_json())["name"] == "Studio"
    assert (await manifest.get_json())["lang"] == "en-GB"
