"""
The one composer: copy YAML in, WhatsApp message bodies out.

Effects name a copy key and its parameters; the relay asks the composer to render them
at delivery. `Composer.load` refuses, before the service starts and naming the key, a
copy file that lacks a key the code uses, asks for a placeholder the code does not
supply, or breaks WhatsApp's limits for interactive messages.

Placeholders: `{answers}` is filled with the lead's latest answers, one line each;
`{reason}` names another copy key whose text is inserted; `{status}` is a status shown
by its name under `statuses:`; `{studio}` and `{artist}` (any message may use them) are
STUDIO_NAME and ARTIST_NAME, or the copy's `labels.studio` / `labels.artist` when unset;
the rest are plain strings.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from actors.lead.behaviour import EDIT_PREFIX
from actors.lead.model import MEDIA_ANSWER, SKIPPED_ANSWER, SendMedia, SendMessage
from actors.lead.script import Kind, Option, Question, Script, Validation, Words, normalise
from actors.lead.status import Status
from actors.lead.validation import CM_PER_UNIT, size_shown

__all__ = ["REQUIRED_MESSAGES", "Composer", "CopyError", "WhatsAppLimits"]


class WhatsAppLimits:
    """Cloud API limits for interactive messages."""

    BUTTONS = 3
    BUTTON_TITLE = 20
    LIST_ROWS = 10
    ROW_TITLE = 24
    LIST_BUTTON = 20
    INTERACTIVE_BODY = 1024
    TEXT_BODY = 4096
    NAME_ALLOWANCE = 64  # room kept for a lead's name inside a greeting


# Every message key the code sends -> (placeholders it always supplies, button ids).
REQUIRED_MESSAGES: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "greeting": (frozenset({"name"}), frozenset()),
    "greeting_anonymous": (frozenset(), frozenset()),
    "unsupported": (frozenset(), frozenset()),
    "summary": (frozenset({"answers"}), frozenset({"confirm", "edit"})),
    "summary_reask": (frozenset({"answers"}), frozenset({"confirm", "edit"})),
    "edit_pick": (frozenset(), frozenset()),
    "sent_to_artist": (frozenset(), frozenset()),
    "holding": (frozenset(), frozenset()),
    "declined": (frozenset(), frozenset()),
    "opted_out": (frozenset(), frozenset()),
    "opted_in": (frozenset(), frozenset()),
    "pilot": (frozenset(), frozenset()),
    "resumed": (frozenset(), frozenset()),
    "artist_packet": (
        frozenset({"name", "number", "answers"}),
        frozenset({"approve", "decline", "take_over"}),
    ),
    "artist_handover": (
        frozenset({"name", "number", "reason", "answers"}),
        frozenset({"hand_back", "approve", "decline"}),
    ),
    "artist_reference": (frozenset({"name", "number"}), frozenset()),
    "artist_already_handled": (frozenset({"name", "number", "status"}), frozenset()),
    "deposit_link": (frozenset({"url", "amount"}), frozenset()),
    "deposit_link_again": (frozenset({"url", "amount"}), frozenset()),
    "deposit_expired": (frozenset(), frozenset()),
    "booked": (frozenset({"amount"}), frozenset()),
    "deposit_policy": (frozenset({"amount"}), frozenset()),  # said after the link and booked
    "artist_booked": (frozenset({"name", "number"}), frozenset()),
    "artist_deposit_expired": (frozenset({"name", "number"}), frozenset()),
    "artist_payment_notice": (frozenset({"name", "number", "reason"}), frozenset()),
    "payment_failed": (frozenset(), frozenset()),
    "payment_refunded": (frozenset(), frozenset()),
    "payment_disputed": (frozenset(), frozenset()),
    "payment_rejected": (frozenset(), frozenset()),
    "payment_twice": (frozenset(), frozenset()),
    "payment_not_bookable": (frozenset(), frozenset()),
    "deposit_product": (frozenset(), frozenset()),
    "reminder": (frozenset(), frozenset()),
    "deposit_reminder": (frozenset({"url"}), frozenset()),
    "reason_asked": (frozenset(), frozenset()),
    "reason_stuck": (frozenset(), frozenset()),
    "reason_artist": (frozenset(), frozenset()),
}
_INTROS = ("greeting", "greeting_anonymous", "unsupported", "opted_in", "resumed")
_NAMES = frozenset({"studio", "artist"})  # supplied to every message (see the docstring)


class CopyError(Exception):
    """The copy file is missing a key, asks for an unsupplied placeholder, or is malformed."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _OptionCopy(_Model):
    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1)
    ask: str | None = None  # picking it asks this follow-up ("Other": where?)
    reask: str | None = None


class _SizeCopy(_Model):
    min: float
    max: float


class _ValidationCopy(_Model):
    min_length: int = 1
    size_cm: _SizeCopy | None = None
    date: bool = False


class _QuestionCopy(_Model):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    kind: Kind
    text: str
    reask: str
    options: list[_OptionCopy] = []
    validation: _ValidationCopy = _ValidationCopy()


class _MessageCopy(_Model):
    text: str
    buttons: dict[str, str] = {}


class _WordsCopy(_Model):
    opt_out: list[str]
    opt_in: list[str]
    human: list[str]
    skip: list[str]
    date_hints: list[str]
    confirm: list[str]
    edit: list[str]
    size_units: dict[str, list[str]]  # unit (a key of CM_PER_UNIT) -> words for it


class _LabelsCopy(_Model):
    list_button: str
    answer_line: str
    media_value: str
    skipped_value: str
    studio: str  # {studio} when STUDIO_NAME is unset
    artist: str  # {artist} when ARTIST_NAME is unset
    decimal_mark: str = "."


class _CopyFile(_Model):
    locale: str
    words: _WordsCopy
    labels: _LabelsCopy
    questions: list[_QuestionCopy] = Field(min_length=1)
    messages: dict[str, str | _MessageCopy]
    statuses: dict[Status, str]
    # Body parameters of WhatsApp templates, by message key (see actors.templates).
    templates: dict[str, list[str]] = {}


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise CopyError(f"unbalanced braces in {text[:40]!r}") from error


class Composer:
    def __init__(
        self, copy: _CopyFile, *, studio_name: str | None = None, artist_name: str | None = None
    ) -> None:
        self._copy = copy
        self._names = {
            "studio": studio_name or copy.labels.studio,
            "artist": artist_name or copy.labels.artist,
        }
        self._questions = {q.key: q for q in copy.questions}
        self._messages = {
            key: value if isinstance(value, _MessageCopy) else _MessageCopy(text=value)
            for key, value in copy.messages.items()
        }

    @classmethod
    def load(
        cls,
        copy_dir: Path,
        locale: str,
        *,
        studio_name: str | None = None,
        artist_name: str | None = None,
    ) -> Composer:
        path = copy_dir / f"{locale}.yml"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            parsed = _CopyFile.model_validate(raw)
        except (OSError, yaml.YAMLError, ValidationError) as error:
            raise CopyError(f"{path}: {error}") from error
        composer = cls(parsed, studio_name=studio_name, artist_name=artist_name)
        try:
            composer._check()
        except CopyError as error:
            raise CopyError(f"{path}: {error}") from error
        return composer

    # -- start-up checks -------------------------------------------------------------

    def _check(self) -> None:
        for key, (supplied, button_ids) in REQUIRED_MESSAGES.items():
            message = self._messages.get(key)
            if message is None:
                raise CopyError(f"copy key {key!r} is missing")
            unsupplied = _placeholders(message.text) - supplied - _NAMES
            if unsupplied:
                raise CopyError(f"copy key {key!r} uses unsupplied {sorted(unsupplied)}")
            if set(message.buttons) != set(button_ids):
                raise CopyError(f"copy key {key!r} must have buttons {sorted(button_ids)}")
            if message.buttons:
                self._check_buttons(key, list(message.buttons.values()))
                self._check_body(key, self._named(message.text), WhatsAppLimits.INTERACTIVE_BODY)
            else:
                self._check_body(key, self._named(message.text), WhatsAppLimits.TEXT_BODY)
        missing_statuses = set(Status) - set(self._copy.statuses)
        if missing_statuses:
            raise CopyError(f"copy key 'statuses' lacks {sorted(missing_statuses)}")
        labels = self._copy.labels
        if _placeholders(labels.answer_line) - {"label", "value"}:
            raise CopyError("copy key 'labels.answer_line' takes only {label} and {value}")
        if not 0 < len(labels.list_button) <= WhatsAppLimits.LIST_BUTTON:
            raise CopyError("copy key 'labels.list_button' is over 20 characters")
        unknown = set(self._copy.words.size_units) - set(CM_PER_UNIT)
        if unknown:
            raise CopyError(f"copy key 'words.size_units' has unknown units {sorted(unknown)}")
        self._check_questions()

    def _check_questions(self) -> None:
        questions = self._copy.questions
        if len(self._questions) != len(questions):
            raise CopyError("two questions share a key")
        if len(questions) > WhatsAppLimits.LIST_ROWS:
            raise CopyError("more than 10 questions: the edit list cannot offer them all")
        longest_intro = max(len(self._named(self._messages[k].text)) for k in _INTROS)
        for q in questions:
            where = f"questions.{q.key}"
            follow_ups = [(o.ask, o.reask) for o in q.options if o.ask or o.reask]
            if any(ask is None or reask is None for ask, reask in follow_ups):
                raise CopyError(f"copy key {where!r}: an option with `ask` needs `reask` too")
            for text in (q.text, q.reask, *(t for pair in follow_ups for t in pair if t)):
                if _placeholders(text):
                    raise CopyError(f"copy key {where!r} takes no placeholders")
                self._check_body(
                    where,
                    text,
                    WhatsAppLimits.INTERACTIVE_BODY - longest_intro - WhatsAppLimits.NAME_ALLOWANCE,
                )
            if len(q.label) > WhatsAppLimits.ROW_TITLE:
                raise CopyError(f"copy key {where!r}: label over 24 characters")
            titles = [o.title for o in q.options]
            if len({o.id for o in q.options}) != len(q.options):
                raise CopyError(f"copy key {where!r}: two options share an id")
            if q.kind is Kind.BUTTONS:
                if not q.options:
                    raise CopyError(f"copy key {where!r}: buttons need options")
                self._check_buttons(where, titles)
            elif q.kind is Kind.LIST:
                if not 0 < len(titles) <= WhatsAppLimits.LIST_ROWS:
                    raise CopyError(f"copy key {where!r}: a list takes 1 to 10 rows")
                if any(len(t) > WhatsAppLimits.ROW_TITLE for t in titles):
                    raise CopyError(f"copy key {where!r}: a row title is over 24 characters")
            elif q.options:
                raise CopyError(f"copy key {where!r}: only buttons and lists take options")

    def _named(self, text: str) -> str:
        """`text` with {studio} and {artist} filled in: the length it is sent at."""
        for name, value in self._names.items():
            text = text.replace("{" + name + "}", value)
        return text

    @staticmethod
    def _check_buttons(key: str, titles: Sequence[str]) -> None:
        if len(titles) > WhatsAppLimits.BUTTONS:
            raise CopyError(f"copy key {key!r}: more than 3 buttons")
        for title in titles:
            if not 0 < len(title) <= WhatsAppLimits.BUTTON_TITLE:
                raise CopyError(f"copy key {key!r}: button {title!r} is over 20 characters")

    @staticmethod
    def _check_body(key: str, text: str, limit: int) -> None:
        if len(text) > limit:
            raise CopyError(f"copy key {key!r}: text is {len(text)} characters, over {limit}")

    # -- what the behaviour needs ------------------------------------------------------

    def script(self) -> Script:
        words = self._copy.words

        def folded(items: list[str]) -> frozenset[str]:
            return frozenset(normalise(item) for item in items)

        return Script(
            questions=tuple(
                Question(
                    key=q.key,
                    kind=q.kind,
                    options=tuple(
                        Option(o.id, o.title, follow_up=o.ask is not None) for o in q.options
                    ),
                    validation=Validation(
                        min_length=q.validation.min_length,
                        size_cm=(
                            (q.validation.size_cm.min, q.validation.size_cm.max)
                            if q.validation.size_cm
                            else None
                        ),
                        date=q.validation.date,
                    ),
                )
                for q in self._copy.questions
            ),
            words=Words(
                opt_out=folded(words.opt_out),
                opt_in=folded(words.opt_in),
                human=tuple(sorted(folded(words.human))),
                skip=folded(words.skip),
                date_hints=folded(words.date_hints),
                confirm=folded(words.confirm),
                edit=folded(words.edit),
                size_units={
                    word.casefold(): CM_PER_UNIT[unit]
                    for unit, said in words.size_units.items()
                    for word in said
                },
            ),
        )

    # -- rendering ---------------------------------------------------------------------

    def render(self, effect: SendMessage | SendMedia) -> dict[str, Any]:
        """The Graph API message body (without `to`) for one message effect."""
        if isinstance(effect, SendMedia):
            caption = self._text(effect.caption_key, effect.params, ())
            return {"type": "image", "image": {"id": effect.media_id, "caption": caption}}
        key = effect.key
        params = effect.params
        answers = effect.answers
        intro, outro, ref = effect.intro, effect.outro, effect.ref
        prefix = self._text(intro, params, ()) + "\n\n" if intro else ""
        suffix = "\n\n" + self._text(outro, params, ()) if outro else ""

        if key.startswith(("questions.", "reask.")):
            kind, _, question_key = key.partition(".")
            question_key, _, option_id = question_key.partition(".")
            question = self._questions.get(question_key)
            if question is None:
                raise CopyError(f"copy key {key!r} is missing")
            if option_id:  # an option's follow-up: free text
                option = next((o for o in question.options if o.id == option_id), None)
                if option is None or option.ask is None or option.reask is None:
                    raise CopyError(f"copy key {key!r} is missing")
                return _text(prefix + (option.ask if kind == "questions" else option.reask))
            body = prefix + (question.text if kind == "questions" else question.reask)
            if question.kind is Kind.BUTTONS:
                return _buttons(body, [(o.id, o.title) for o in question.options])
            if question.kind is Kind.LIST:
                return self._list(body, [(o.id, o.title) for o in question.options])
            return _text(body)
        if key == "edit_pick":
            rows = [(EDIT_PREFIX + q.key, q.label) for q in self._copy.questions]
            return self._list(prefix + self._text(key, params, ()), rows)
        message = self._message(key)
        body = prefix + self._text(key, params, answers) + suffix
        if message.buttons:
            buttons = [
                (f"{stem}:{ref}" if ref else stem, title) for stem, title in message.buttons.items()
            ]
            return _buttons(body, buttons)
        return _text(body)

    def _message(self, key: str) -> _MessageCopy:
        message = self._messages.get(key)
        if message is None:
            raise CopyError(f"copy key {key!r} is missing")
        return message

    def _text(self, key: str, params: Mapping[str, str], answers: Sequence[tuple[str, ...]]) -> str:
        values = {**self._names, **params}
        if "reason" in values:
            values["reason"] = self._message(values["reason"]).text
        if "status" in values:
            values["status"] = self._copy.statuses.get(Status(values["status"]), values["status"])
        values["answers"] = "\n".join(self._answer_line(q, v) for q, v in answers)
        try:
            return self._message(key).text.format_map(values)
        except KeyError as error:
            raise CopyError(f"copy key {key!r} needs {error}") from error

    def plain(self, key: str) -> str:
        """A message's text with no placeholders, for providers' own pages (Stripe)."""
        return self._text(key, {}, ())

    def question_labels(self) -> dict[str, str]:
        """Question key -> its label, in the order the questions are asked."""
        return {q.key: q.label for q in self._copy.questions}

    def answer_value(self, question_key: str, value: str) -> str:
        """An answer as a person reads it: option titles, media and skip labels."""
        labels = self._copy.labels
        question = self._questions.get(question_key)
        if question is None:
            return value
        if value == MEDIA_ANSWER and question.kind is Kind.MEDIA:
            return labels.media_value
        if value == SKIPPED_ANSWER and question.kind is Kind.MEDIA:
            return labels.skipped_value
        if question.validation.size_cm is not None:
            return size_shown(value, labels.decimal_mark)
        return next((o.title for o in question.options if o.id == value), value)

    def _answer_line(self, question_key: str, value: str) -> str:
        question = self._questions.get(question_key)
        label = question.label if question is not None else question_key
        shown = self.answer_value(question_key, value)
        return self._copy.labels.answer_line.format(label=label, value=shown)

    def _list(self, body: str, rows: Sequence[tuple[str, str]]) -> dict[str, Any]:
        return {
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": _clip(body, WhatsAppLimits.INTERACTIVE_BODY)},
                "action": {
                    "button": self._copy.labels.list_button,
                    "sections": [
                        {"rows": [{"id": row_id, "title": title} for row_id, title in rows]}
                    ],
                },
            },
        }

    # -- templates (WhatsApp's 24-hour window; see actors.templates) ---------------------

    def check_templates(self, keys: Sequence[str]) -> None:
        """
        Refuse, naming the key, a template whose copy parameters are missing or use a
        placeholder its message does not supply.
        """
        for key in keys:
            texts = self._copy.templates.get(key)
            if texts is None:
                raise CopyError(f"copy key 'templates.{key}' is missing")
            supplied = self._template_supplied(key)
            for text in texts:
                unsupplied = _placeholders(text) - supplied
                if unsupplied:
                    raise CopyError(
                        f"copy key 'templates.{key}' uses unsupplied {sorted(unsupplied)}"
                    )

    def template_parameters(
        self, key: str, params: Mapping[str, str], answers: Sequence[tuple[str, ...]]
    ) -> list[str]:
        """The body parameters of `key`'s template, rendered like the message itself."""
        texts = self._copy.templates.get(key)
        if texts is None:
            raise CopyError(f"copy key 'templates.{key}' is missing")
        values = {**self._names, **params}
        if "reason" in values:
            values["reason"] = self._message(values["reason"]).text
        if "status" in values:
            values["status"] = self._copy.statuses.get(Status(values["status"]), values["status"])
        values["answers"] = "; ".join(self._answer_line(q, v) for q, v in answers)
        try:
            # Meta refuses parameters with newlines, tabs or runs of spaces (132018).
            return [" ".join(text.format_map(values).split()) for text in texts]
        except KeyError as error:
            raise CopyError(f"copy key 'templates.{key}' needs {error}") from error

    def _template_supplied(self, key: str) -> frozenset[str]:
        """The placeholders the code supplies with message `key`."""
        required = REQUIRED_MESSAGES.get(key)
        if required is not None:
            return required[0] | _NAMES
        if key.startswith(("questions.", "reask.")) and key.partition(".")[2] in self._questions:
            return frozenset()
        message = self._messages.get(key)
        if message is None:
            raise CopyError(f"copy key {key!r} has a template but no message")
        return frozenset(_placeholders(message.text))


def _buttons(body: str, buttons: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": _clip(body, WhatsAppLimits.INTERACTIVE_BODY)},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": button_id, "title": title}}
                    for button_id, title in buttons
                ]
            },
        },
    }


def _text(body: str) -> dict[str, Any]:
    return {
        "type": "text",
        "text": {"body": _clip(body, WhatsAppLimits.TEXT_BODY), "preview_url": False},
    }


def _clip(body: str, limit: int) -> str:
    return body if len(body) <= limit else body[: limit - 1] + "…"
