"""
The conversation's data, read from the copy file: questions, their options and
validation, and the words that steer (opt-out, opt-in, asking for a person, skip).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from actors.lead.consent_state import ConsentScript
from actors.lead.invite_links import InviteLinks
from actors.money import Money
from actors.schedule import StudioFile, StudioPolicy

__all__ = ["Kind", "Option", "Policy", "Question", "Script", "Validation", "Words", "normalise"]


class Kind(StrEnum):
    TEXT = "text"
    BUTTONS = "buttons"
    LIST = "list"
    MEDIA = "media"  # an image or document, or a skip word


@dataclass(frozen=True)
class Option:
    id: str
    title: str
    follow_up: bool = False  # picking it asks a free-text follow-up ("Other": where?)


@dataclass(frozen=True)
class Validation:
    min_length: int = 1
    size_cm: tuple[float, float] | None = None  # inclusive bounds
    date: bool = False


@dataclass(frozen=True)
class Question:
    key: str
    kind: Kind
    options: tuple[Option, ...] = ()
    validation: Validation = field(default_factory=Validation)

    def follow_up(self, option_id: str | None) -> Option | None:
        """The option `option_id` when it asks a follow-up question, else None."""
        return next((o for o in self.options if o.id == option_id and o.follow_up), None)

    def option(self, choice: str) -> Option | None:
        """The option picked by id, or by its title typed as text (any case)."""
        wanted = normalise(choice)
        for option in self.options:
            if choice == option.id or wanted == normalise(option.title):
                return option
        return None


def normalise(text: str) -> str:
    """Lower case, punctuation dropped, runs of spaces folded: how words are compared."""
    return " ".join(re.sub(r"[^\w\s&]", " ", text.casefold()).split())


@dataclass(frozen=True)
class Words:
    opt_out: frozenset[str]
    opt_in: frozenset[str]
    human: tuple[str, ...]
    skip: frozenset[str]
    date_hints: frozenset[str]
    confirm: frozenset[str]
    edit: frozenset[str]
    done: frozenset[str] = frozenset()  # the artist ends a conversation with a lead
    sign_in: frozenset[str] = frozenset()  # the artist asks for a studio sign-in link
    design: tuple[str, ...] = ()  # the artist's caption word: a picture sent as a design
    # A unit word or sign written after a number in a size -> centimetres per unit.
    size_units: Mapping[str, float] = field(default_factory=dict, hash=False)
    # The words of "when?" a date parser does not read (`actors.lead.time_wishes`):
    # weekdays, weekends, morning, afternoon, evening, after, next_month -> their words.
    when: Mapping[str, frozenset[str]] = field(default_factory=dict, hash=False)
    waitlist: frozenset[str] = frozenset()  # typed while picking a time: join the waitlist
    waitlist_to: frozenset[str] = frozenset()  # between a range's two dates

    def says_when(self, text: str) -> bool:
        """Whether `text` holds one of the `when` words ("weekends preferably")."""
        said = f" {normalise(text)} "
        return any(f" {w} " in said for words in self.when.values() for w in words)

    def is_waitlist(self, text: str) -> bool:
        said = f" {normalise(text)} "
        return any(f" {w} " in said for w in self.waitlist)

    def is_opt_out(self, text: str) -> bool:
        return normalise(text) in self.opt_out

    def is_opt_in(self, text: str) -> bool:
        return normalise(text) in self.opt_in

    def is_skip(self, text: str) -> bool:
        return normalise(text) in self.skip

    def is_confirm(self, text: str) -> bool:
        return normalise(text) in self.confirm

    def is_edit(self, text: str) -> bool:
        return normalise(text) in self.edit

    def is_done(self, text: str) -> bool:
        return normalise(text) in self.done

    def is_sign_in(self, text: str) -> bool:
        return normalise(text) in self.sign_in

    def design_note(self, caption: str) -> str | None:
        """The note after a caption's first word when that word is a design word (any
        case); None when the caption does not start with one."""
        said = caption.strip()
        folded = said.casefold()
        for word in self.design:
            rest = folded.removeprefix(word)
            if rest != folded and not (rest[:1].isalnum()):
                return said[len(word) :].lstrip(" :,.-\u2013\u2014\n").strip()
        return None

    def asks_for_human(self, text: str) -> bool:
        """The whole message is one of the words, or contains one of the phrases.

        A lone word only counts alone: "human" asks for a person, "a human heart" is an idea.
        """
        said = normalise(text)
        padded = f" {said} "
        return any(
            said == phrase or (" " in phrase and f" {phrase} " in padded) for phrase in self.human
        )


@dataclass(frozen=True)
class Script:
    questions: tuple[Question, ...]
    words: Words
    consent: ConsentScript | None = None  # the copy's `consent:` section, when it has one

    def __post_init__(self) -> None:
        if not self.questions:
            raise ValueError("a script needs at least one question")

    def first(self) -> Question:
        return self.questions[0]

    def get(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def after(self, key: str) -> Question | None:
        """The question that follows `key`, or None after the last one."""
        keys = [q.key for q in self.questions]
        index = keys.index(key) + 1
        return self.questions[index] if index < len(self.questions) else None


@dataclass(frozen=True)
class Policy:
    """What the behaviour is configured with, besides the script."""

    artist_number: str | None = None
    pilot_allowlist: frozenset[str] | None = None  # None: pilot mode off
    deposit_amount: int = 5000  # minor units
    deposit_currency: str = "gbp"
    locale: str = "en_GB"  # how amounts (and dates) are written: the copy's locale
    livemode: bool | None = None  # whether our Stripe key is live; None: no key
    stale_after_s: int = 86400
    abandon_after_s: int = 172800
    deposit_reminder_before_s: int = 3600  # before the Checkout link expires
    templated: frozenset[str] = frozenset()  # message keys with a template (WHATSAPP_TEMPLATES)
    read_receipts: bool = False  # mark a lead's message read (and typing) before replying
    studio: StudioFile | None = None  # STUDIO_FILE: appointments on
    hold_s: int = 24 * 3600  # how long a picked slot is held: the deposit link's life
    # A hold outlives its Checkout link by this much (a payment in the link's last minute).
    hold_grace_s: int = 15 * 60
    # The lead's "add to calendar" address (PUBLIC_BASE_URL set); None: no such link.
    invites: InviteLinks | None = None

    @property
    def deposit(self) -> Money:
        """The usual deposit, when the approval names none."""
        return Money(self.deposit_amount, self.deposit_currency)

    @property
    def rules(self) -> StudioPolicy:
        """The studio's policy (STUDIO_FILE's `policy:`); without a file, today's defaults."""
        return self.studio.rules if self.studio is not None else StudioPolicy()

    def approved_deposit(self, acted_amount: int | None, quote: int | None) -> int | None:
        """An approval's deposit: the artist's own amount wins, else the policy's share of
        the quote; None: the usual deposit."""
        if acted_amount is not None:
            return acted_amount
        return None if quote is None else self.rules.deposit.of_quote(quote)

    def money(self, minor: int) -> Money:
        """An amount of the studio's one currency."""
        return Money(minor, self.deposit_currency)

    def in_pilot(self, identifiers: frozenset[str]) -> bool:
        """Whether the lead is on the pilot list: any of its phone, BSUIDs or key."""
        return self.pilot_allowlist is None or not self.pilot_allowlist.isdisjoint(identifiers)
