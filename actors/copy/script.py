"""The question script the lead's behaviour follows: the copy file's questions and words."""

from __future__ import annotations

from collections.abc import Callable

from actors.copy.file import CopyFile
from actors.lead.consent_state import CONSENT_NO, CONSENT_YES, ConsentQuestion, ConsentScript
from actors.lead.script import Option, Question, Script, Validation, Words, normalise
from actors.lead.validation import CM_PER_UNIT

__all__ = ["script_from"]


def script_from(copy: CopyFile) -> Script:
    """The questions in order, with their options and validation; the words, folded."""
    words = copy.words

    def folded(items: list[str]) -> frozenset[str]:
        return frozenset(normalise(item) for item in items)

    return Script(
        consent=_consent(copy, folded),
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
            for q in copy.questions
        ),
        words=Words(
            opt_out=folded(words.opt_out),
            opt_in=folded(words.opt_in),
            human=tuple(sorted(folded(words.human))),
            skip=folded(words.skip),
            date_hints=folded(words.date_hints),
            confirm=folded(words.confirm),
            edit=folded(words.edit),
            done=folded(words.done),
            sign_in=folded(words.sign_in),
            when={key: folded(said) for key, said in words.when.items()},
            waitlist=folded(words.waitlist),
            waitlist_to=folded(words.waitlist_to),
            design=tuple(sorted((w.casefold() for w in words.design), key=len, reverse=True)),
            size_units={
                word.casefold(): CM_PER_UNIT[unit]
                for unit, said in words.size_units.items()
                for word in said
            },
        ),
    )


def _consent(copy: CopyFile, folded: Callable[[list[str]], frozenset[str]]) -> ConsentScript | None:
    """The copy's `consent:` with the studio's names filled in; typed Yes / No are the
    buttons' titles (and the copy's confirm words for Yes)."""
    consent = copy.consent
    if consent is None:
        return None
    text = consent.text
    for name, value in copy.names().items():
        text = text.replace("{" + name + "}", value)
    buttons = copy.messages_by_key()["consent_health"].buttons
    return ConsentScript(
        version=consent.version,
        text=text,
        questions=tuple(
            ConsentQuestion(q.key, q.text, q.follow_up) for q in consent.health_questions
        ),
        yes=folded([buttons.get(CONSENT_YES, "yes"), *copy.words.confirm]),
        no=folded([buttons.get(CONSENT_NO, "no")]),
    )
