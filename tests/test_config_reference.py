"""
README.md's "Configuration" documents every setting: each Settings field has a row
(its environment variable in backticks in the first column), and no row names a
variable the service does not read. README.md and docs/ point at nothing outside the
repository.
"""

from __future__ import annotations

import re
from pathlib import Path

from web.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
_NAME = re.compile(r"`([A-Z][A-Z0-9_]+)`")


def configuration_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Configuration\n")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def documented() -> set[str]:
    """The variables named in the first column of the section's tables."""
    names: set[str] = set()
    for line in configuration_section().splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(_NAME.findall(first_cell))
    return names


def test_every_setting_is_documented() -> None:
    settings = {name.upper() for name in Settings.model_fields}
    missing = settings - documented()
    assert not missing, f"add these to README.md, Configuration: {sorted(missing)}"


def test_every_documented_setting_exists() -> None:
    settings = {name.upper() for name in Settings.model_fields}
    unknown = documented() - settings
    assert not unknown, f"README.md documents settings the service does not read: {unknown}"


def test_the_docs_stand_on_their_own() -> None:
    outside = re.compile(r"\bshared/|PRODUCT\.md|STYLE\.md|/work/")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]:
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), start=1):
            assert not outside.search(line), f"{path.name}:{n} points outside: {line}"
        for target in re.findall(r"\]\(([^)#]+)", text):
            if "://" not in target:
                resolved = (path.parent / target).resolve()
                assert resolved.is_relative_to(ROOT), f"{path.name}: {target} is outside"
                assert resolved.exists(), f"{path.name}: no {target}"
