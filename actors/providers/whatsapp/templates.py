"""
Template messages: what we may still send a lead outside WhatsApp's 24-hour window.

Outside the window Meta accepts only a pre-approved template. Which copy message has a
template is configuration (WHATSAPP_TEMPLATES: message key -> template name and
language), because templates are approved per WhatsApp Business Account; the words of
its body parameters are copy (the `templates:` section of the copy file: message key ->
parameter texts, with the same placeholders as the message itself). A message without
a template is not sent outside the window at all.

`Templates.from_config` is the start-up check: a configured key without its copy
parameters, or whose parameters use a placeholder the message does not supply, stops
the service (`CopyError` naming the key) instead of failing at 2 a.m. in the relay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actors.copy import Composer, CopyError
from actors.lead import Message

__all__ = ["Template", "Templates"]

_FIELDS = frozenset({"name", "language"})


@dataclass(frozen=True)
class Template:
    """An approved template, as Meta names it."""

    name: str
    language: str  # Meta's language code, e.g. "en_GB"


class Templates:
    """The configured templates, by copy message key, rendered through the composer."""

    def __init__(self, composer: Composer, templates: Mapping[str, Template]) -> None:
        composer.check_templates(sorted(templates))
        self._composer = composer
        self._templates = dict(templates)

    @classmethod
    def from_config(
        cls,
        composer: Composer,
        config: Mapping[str, Mapping[str, str]],
        *,
        default_language: str,
    ) -> Templates:
        """
        Read WHATSAPP_TEMPLATES (`{"reminder": {"name": ..., "language": ...}}`).

        Raises:
            CopyError: an entry lacks a name or has unknown fields, or the copy lacks
                its parameters or uses an unsupplied placeholder.
        """
        templates: dict[str, Template] = {}
        for key, entry in config.items():
            where = f"WHATSAPP_TEMPLATES[{key!r}]"
            unknown = set(entry) - _FIELDS
            if unknown:
                raise CopyError(f"{where} has unknown fields {sorted(unknown)}")
            name = entry.get("name", "").strip()
            if not name:
                raise CopyError(f"{where} needs a template 'name'")
            templates[key] = Template(name, entry.get("language") or default_language)
        return cls(composer, templates)

    def keys(self) -> frozenset[str]:
        return frozenset(self._templates)

    def message(self, effect: Message) -> dict[str, Any] | None:
        """
        The Graph API body (without `to`) of the template standing for this effect.

        None when its message has no template. An intro or outro said with the
        message is not part of it: the template stands for the whole message.
        """
        template = self._templates.get(effect.key)
        if template is None:
            return None
        texts, buttons = self._composer.template_parts(effect)
        body: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
        components: list[dict[str, Any]] = []
        if texts:
            components.append(
                {"type": "body", "parameters": [{"type": "text", "text": t} for t in texts]}
            )
        for index, payload in enumerate(buttons):
            components.append(_quick_reply(index, payload))
        if components:
            body["components"] = components
        return {"type": "template", "template": body}


def _quick_reply(index: int, payload: str) -> dict[str, Any]:
    """A quick-reply button of the template (created with the message's buttons, in
    order), carrying the id the message's own button would."""
    return {
        "type": "button",
        "sub_type": "quick_reply",
        "index": str(index),
        "parameters": [{"type": "payload", "payload": payload}],
    }
