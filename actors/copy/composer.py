"""
The composer: message effects in, WhatsApp message bodies out, in the copy's words.

Each kind of message (`actors.lead.messages`) is rendered by its type: the interactive
kinds (a question, the lists) by their own shape, the rest as their copy message
(`key`) filled as `actors.copy.filling`, the one table by type, says. The relay asks the composer
to render them at delivery, and for the template parameters of a message sent outside
WhatsApp's 24-hour window (`actors.providers.whatsapp.templates`).

Placeholders: `{answers}` is filled with the lead's latest answers, one line each;
`{reason}` names another copy key whose text is inserted; `{status}` is a status shown
by its name under `statuses:`; `{studio}` and `{artist}` (any message may use them) are
the names the copy was loaded with (`actors.copy.load_copy`); the rest are plain strings.

Every field fits Meta's limits (`actors.copy.limits`, the one table the fake Graph API
refuses by too): what would not is clipped here, so Meta never refuses a message for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from actors.copy.file import (
    NAMES,
    REQUIRED_MESSAGES,
    CopyError,
    CopyFile,
    MessageCopy,
    placeholders,
)
from actors.copy.filling import filling_of
from actors.copy.formatting import format_slot, format_when
from actors.copy.limits import WhatsAppLimits, clip
from actors.copy.policy_words import POLICY_OUTROS, PolicyWords
from actors.lead.aftercare import aftercare_key
from actors.lead.button_ids import (
    NONE_FIT,
    button_id,
    edit_row_id,
    later_row_id,
    slot_row_id,
)
from actors.lead.messages import (
    AskQuestion,
    AskWhatToEdit,
    AskWhichLead,
    MediaKind,
    Message,
    OfferDesign,
    OfferSlots,
    ReaskQuestion,
    SendMedia,
    SendMessage,
    SendSignInLink,
)
from actors.lead.model import MEDIA_ANSWER, SKIPPED_ANSWER
from actors.lead.script import Kind
from actors.lead.status import Status
from actors.lead.validation import size_shown
from actors.money import Money
from actors.schedule import StudioPolicy

__all__ = ["Composer"]


class Composer:
    """Renders the messages of one checked copy file (`actors.copy.load_copy`)."""

    def __init__(
        self,
        copy: CopyFile,
        *,
        timezone: tzinfo = UTC,
        sign_in_url: Callable[[str], str] | None = None,
        rules: StudioPolicy | None = None,
        deposit: Money | None = None,
    ) -> None:
        """`rules`: STUDIO_FILE's policy (None: no STUDIO_FILE, today's defaults and no
        appointments); `deposit`: the usual one, named when a message carries none."""
        self._copy = copy
        self._policy = PolicyWords(
            copy.policy,
            rules or StudioPolicy(),
            deposit or Money(5000, "GBP"),
            copy.locale,
            appointments=rules is not None,
        )
        # A sign-in link's id -> its URL, made only as it is sent (None: links are off).
        self._sign_in_url = sign_in_url
        self._timezone = timezone  # the studio's: {when} and the slots are written in it
        self._names = copy.names()
        self._questions = copy.questions_by_key()
        self._messages = copy.messages_by_key()

    def render(self, message: Message) -> dict[str, Any]:
        """The Graph API message body (without `to`) for one message, by its kind."""
        message = self._at_send(message)
        match message:
            case SendMedia():
                return self._media(message)
            case AskQuestion() | ReaskQuestion():
                return self._question(message)
            case AskWhatToEdit():
                rows = [(edit_row_id(q.key), q.label) for q in self._copy.questions]
                return self._list(self._text(message.key, {}, ()), rows)
            case AskWhichLead():
                return self._list(self._body(message), message.choices)
            case OfferSlots() if message.slots:
                rows = [(slot_row_id(start), self._slot(start)) for start in message.slots]
                if message.later:
                    rows.append((later_row_id(message.later), self._text("slots_later", {}, ())))
                rows.append((NONE_FIT, self._text("slots_none_fit", {}, ())))
                return self._list(self._body(message), rows)
        if isinstance(message, SendMessage):  # aftercare in its placement's words
            message = replace(
                message, key=aftercare_key(message.key, message.params, self._messages)
            )
        body = self._body(message)
        buttons = self._message(message.key).buttons
        if buttons:
            ref = filling_of(message).ref
            shown = _buttons(body, [(button_id(stem, ref), t) for stem, t in buttons.items()])
            if isinstance(message, OfferDesign):  # the design itself, above its words
                header = {"type": "image", "image": {"id": message.media_id}}
                shown["interactive"] = {"header": header, **shown["interactive"]}
            return shown
        return _text(body)

    def _at_send(self, message: Message) -> Message:
        """A sign-in link as the words that carry its URL, made now and never kept."""
        if not isinstance(message, SendSignInLink):
            return message
        if self._sign_in_url is None:
            raise CopyError("sign-in links are off (PUBLIC_BASE_URL unset)")
        url = self._sign_in_url(message.link)
        plain = SendMessage(message.to, message.key, {"url": url})
        return replace(plain, mark_read=message.mark_read, as_template=message.as_template)

    def _body(self, message: Message) -> str:
        """A copy message's words, with what is said before and after it."""
        filling = filling_of(message)
        return (
            self._said_first(filling.intro, filling.params)
            + self._text(message.key, filling.params, filling.answers)
            + (f"\n\n{self._outro(filling.outro, filling.params)}" if filling.outro else "")
            + (f"\n\n{self._text(filling.closing, filling.params, ())}" if filling.closing else "")
        )

    def _outro(self, key: str, params: Mapping[str, str]) -> str:
        """What is said last: the policy's sentences, or a copy message."""
        if key in POLICY_OUTROS:
            return self._policy.outro(key, self._values(params, (), "\n"))
        return self._text(key, params, ())

    def _said_first(self, intro: str | None, params: Mapping[str, str]) -> str:
        return self._text(intro, params, ()) + "\n\n" if intro else ""

    def _question(self, message: AskQuestion | ReaskQuestion) -> dict[str, Any]:
        """A question with its options as buttons or a list, or an option's follow-up
        (free text), asked the first time or again."""
        asked = isinstance(message, AskQuestion)
        filling = filling_of(message)
        intro = self._said_first(filling.intro, filling.params)
        question = self._questions.get(message.question)
        if question is None:
            raise CopyError(f"copy key {message.key!r} is missing")
        if message.follow_up:
            option = next((o for o in question.options if o.id == message.follow_up), None)
            if option is None or option.ask is None or option.reask is None:
                raise CopyError(f"copy key {message.key!r} is missing")
            return _text(intro + (option.ask if asked else option.reask))
        body = intro + (question.text if asked else question.reask)
        if question.kind is Kind.BUTTONS:
            return _buttons(body, [(o.id, o.title) for o in question.options])
        if question.kind is Kind.LIST:
            return self._list(body, [(o.id, o.title) for o in question.options])
        return _text(body)

    def _media(self, effect: SendMedia) -> dict[str, Any]:
        """A media item under its own type's key: Meta refuses an image body for a voice
        note, and a caption on audio or a sticker (the behaviour sends those words first).

        A caption over Meta's 1,024 characters (a lead's long caption behind the "Name
        (+44..., link): " of a forward) is clipped, ending in "…": one outbox row stays
        one message (a retry cannot send half a pair twice), the picture arrives with who
        sent it, and the whole caption is kept in the lead's transcript (the studio page)."""
        item = {"id": effect.media_id}
        caption = self._text(effect.caption_key, effect.params, ())
        if caption and effect.kind.takes_caption:  # the artist's picture may come wordless
            item["caption"] = clip(caption, WhatsAppLimits.CAPTION)
        if effect.kind is MediaKind.DOCUMENT and effect.filename:
            item["filename"] = effect.filename
        return {"type": effect.kind.value, effect.kind.value: item}

    def _message(self, key: str) -> MessageCopy:
        message = self._messages.get(key)
        if message is None:
            raise CopyError(f"copy key {key!r} is missing")
        return message

    def _text(self, key: str, params: Mapping[str, str], answers: Sequence[tuple[str, ...]]) -> str:
        values = self._values(params, answers, "\n")
        try:
            return _without_empty_link(self._message(key).text, values).format_map(values)
        except KeyError as error:
            raise CopyError(f"copy key {key!r} needs {error}") from error

    def _values(
        self, params: Mapping[str, str], answers: Sequence[tuple[str, ...]], separator: str
    ) -> dict[str, str]:
        """The placeholders' values: `reason` and `status` in words, the answer lines joined."""
        values = {**self._names, **params}
        if "reason" in values:
            values["reason"] = self._message(values["reason"]).text
        if "status" in values:
            values["status"] = self._copy.statuses.get(Status(values["status"]), values["status"])
        if "when" in values:
            values["when"] = self._when(values["when"])
        values["answers"] = separator.join(self._answer_line(q, v) for q, v in answers)
        return values

    def plain(self, key: str, params: Mapping[str, str] | None = None) -> str:
        """A message's text alone, for providers' own pages (Stripe) and files (calendars);
        a policy outro's key gives the policy's sentences."""
        return self._outro(key, params or {})

    def saved_replies(self, name: str) -> tuple[tuple[str, str], ...]:
        """The copy's saved replies for one lead: (title, text), `{name}` and the studio's
        names filled in (the copy file was checked for any other placeholder)."""
        values = {**self._names, "name": name}
        return tuple((s.title, s.text.format_map(values)) for s in self._copy.saved_replies)

    def status_name(self, status: str) -> str:
        """A status as the artist reads it (`statuses:`), or its code when unnamed."""
        try:
            return self._copy.statuses.get(Status(status), status)
        except ValueError:
            return status

    def _when(self, seconds: str) -> str:
        """A time carried as epoch seconds, as the locale writes it in the studio's zone."""
        moment = datetime.fromtimestamp(int(seconds), UTC)
        return format_when(moment, self._timezone, self._copy.locale)

    def _slot(self, start: int) -> str:
        """A slot's list row title, cut to WhatsApp's 24 characters whatever the locale."""
        moment = datetime.fromtimestamp(start, UTC)
        title = format_slot(moment, self._timezone, self._copy.locale)
        return clip(title, WhatsAppLimits.ROW_TITLE)

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

    def _list(self, body: str, rows: Sequence[tuple[str, ...]]) -> dict[str, Any]:
        """A list message; a row is (id, title) or (id, title, description)."""
        return {
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": clip(body, WhatsAppLimits.INTERACTIVE_BODY)},
                "action": {
                    "button": clip(self._copy.labels.list_button, WhatsAppLimits.LIST_BUTTON),
                    "sections": [
                        {"rows": [_row(*row) for row in rows[: WhatsAppLimits.LIST_ROWS]]}
                    ],
                },
            },
        }

    # -- templates (WhatsApp's 24-hour window; see actors.providers.whatsapp.templates) ---

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
                unsupplied = placeholders(text) - supplied
                if unsupplied:
                    raise CopyError(
                        f"copy key 'templates.{key}' uses unsupplied {sorted(unsupplied)}"
                    )

    def template_parts(self, message: Message) -> tuple[list[str], list[str]]:
        """The body parameters of `message`'s template, and the payloads of its quick
        replies (see `template_parameters`, `template_buttons`)."""
        message = self._at_send(message)
        filling = filling_of(message)
        return (
            self.template_parameters(message.key, filling.params, filling.answers),
            self.template_buttons(message.key, filling.ref),
        )

    def template_parameters(
        self, key: str, params: Mapping[str, str], answers: Sequence[tuple[str, ...]]
    ) -> list[str]:
        """The body parameters of `key`'s template, rendered like the message itself."""
        texts = self._copy.templates.get(key)
        if texts is None:
            raise CopyError(f"copy key 'templates.{key}' is missing")
        values = self._values(params, answers, "; ")
        try:
            # Meta refuses parameters with newlines, tabs or runs of spaces (132018),
            # and one longer than a template's body may be (131009): clipped, like a
            # caption, so the template still goes.
            return [
                clip(
                    " ".join(_without_empty_link(text, values).format_map(values).split()),
                    WhatsAppLimits.TEMPLATE_PARAMETER,
                )
                for text in texts
            ]
        except KeyError as error:
            raise CopyError(f"copy key 'templates.{key}' needs {error}") from error

    def template_buttons(self, key: str, ref: str | None) -> list[str]:
        """The ids message `key`'s buttons carry: its template's quick replies send them
        back as the tap's payload, so a tap on the template is read like one on the message."""
        message = self._messages.get(key)
        return [button_id(stem, ref) for stem in message.buttons] if message else []

    def _template_supplied(self, key: str) -> frozenset[str]:
        """The placeholders the code supplies with message `key`."""
        required = REQUIRED_MESSAGES.get(key)
        if required is not None:
            return required[0] | NAMES
        if key.startswith(("questions.", "reask.")) and key.partition(".")[2] in self._questions:
            return frozenset()
        message = self._messages.get(key)
        if message is None:
            raise CopyError(f"copy key {key!r} has a template but no message")
        return frozenset(placeholders(message.text))


def _buttons(body: str, buttons: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": clip(body, WhatsAppLimits.INTERACTIVE_BODY)},
            "action": {
                "buttons": [
                    {
                        "type": "reply",
                        "reply": {
                            "id": reply_id,
                            "title": clip(title, WhatsAppLimits.BUTTON_TITLE),
                        },
                    }
                    for reply_id, title in buttons[: WhatsAppLimits.BUTTONS]
                ]
            },
        },
    }


def _row(row_id: str, title: str, description: str = "") -> dict[str, str]:
    row = {"id": row_id, "title": clip(title, WhatsAppLimits.ROW_TITLE)}
    if description:
        row["description"] = clip(description, WhatsAppLimits.ROW_DESCRIPTION)
    return row


def _without_empty_link(text: str, values: Mapping[str, str]) -> str:
    """A lead with no phone has no wa.me link: "{name} ({number}, {link})" reads
    "{name} ({number})", where `number` is then their @username or BSUID."""
    if values.get("link") == "":
        return text.replace(", {link}", "").replace(" {link}", "")
    return text


def _text(body: str) -> dict[str, Any]:
    """A text message; words over Meta's 4,096 characters (an artist's long reply, a
    lead's long message forwarded) are clipped, ending in "…", for the reasons a caption
    is (`Composer._media`): the whole text stays in the transcript."""
    return {
        "type": "text",
        "text": {"body": clip(body, WhatsAppLimits.TEXT_BODY), "preview_url": False},
    }
