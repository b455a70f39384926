"""
The copy's saved replies: every locale has some, each filled with the lead's name and
the studio's; one asking for a placeholder the page cannot fill stops start-up with a
line naming it, and a copy file without any still loads (the page offers none).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.copy import Composer, CopyError, load_copy
from tests.unit.test_composer import LOCALES, en_gb, write

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_saved_replies_filled_with_the_leads_name(locale: str) -> None:
    copy = load_copy(COPY_DIR, locale, studio_name="Rose Ink")
    saved = Composer(copy).saved_replies("Petal")
    assert saved
    assert all(title and text for title, text in saved)
    assert any("Petal" in text for _, text in saved)
    assert not any("{" in text for _, text in saved)


def test_a_saved_reply_with_a_placeholder_the_page_cannot_fill_is_refused(
    tmp_path: Path,
) -> None:
    copy = en_gb()
    copy["saved_replies"] = [{"title": "Price", "text": "It costs {price}, {name}."}]
    with pytest.raises(CopyError, match=r"saved_replies\.0"):
        load_copy(write(tmp_path, copy), "xx_XX")


def test_a_copy_file_without_saved_replies_offers_none(tmp_path: Path) -> None:
    copy = en_gb()
    del copy["saved_replies"]
    assert Composer(load_copy(write(tmp_path, copy), "xx_XX")).saved_replies("Petal") == ()
