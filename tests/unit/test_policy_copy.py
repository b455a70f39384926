"""
The copy's `policy:` texts state no rule's value in fixed words (the values are
placeholders, filled from STUDIO_FILE), and a copy file with no text for a rule does not
start.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from actors.copy import load_copy
from actors.copy.file import CopyError

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
LOCALES = ["en_GB", "es_ES"]
# A value written out: a number, or a count in words ("72 hours" must be "{refund_notice}").
_FIXED = re.compile(r"\d|\b(two|three|four|five|twice|dos|tres|cuatro|cinco)\b", re.IGNORECASE)


def _policy_texts(locale: str) -> dict[str, str]:
    data: dict[str, Any] = yaml.safe_load((COPY_DIR / f"{locale}.yml").read_text())
    return {k: v for k, v in data["policy"].items() if isinstance(v, str)}


@pytest.mark.parametrize("locale", LOCALES)
def test_no_policy_text_states_a_rules_value_in_fixed_words(locale: str) -> None:
    fixed = {key: text for key, text in _policy_texts(locale).items() if _FIXED.search(text)}
    assert fixed == {}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("rule", ["refundable", "no_show_kept", "reschedule", "balance"])
def test_a_copy_file_with_no_text_for_a_rule_is_refused_naming_it(
    tmp_path: Path, locale: str, rule: str
) -> None:
    shutil.copytree(COPY_DIR, tmp_path, dirs_exist_ok=True)
    path = tmp_path / f"{locale}.yml"
    data = yaml.safe_load(path.read_text())
    del data["policy"][rule]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CopyError) as refused:
        load_copy(tmp_path, locale)
    assert f"policy.{rule}" in str(refused.value)
