"""
The sentences a lead reads about the studio's policy, made from the copy's `policy:`
texts and the policy's values (`actors.schedule.StudioPolicy`): the same values the
behaviour acts on, so a changed STUDIO_FILE changes the words with nothing else edited.

Durations are Babel's (`format_unit`, long: "72 hours", "72 horas"), money is the
locale's (`Money.format`), a count of moves the locale's plural ("once", "2 times").
"""

from __future__ import annotations

from collections.abc import Mapping

from babel import Locale
from babel.units import format_unit

from actors.copy.file import PolicyCopy
from actors.money import Money
from actors.schedule import StudioPolicy

__all__ = ["POLICY_OUTROS", "PolicyWords"]

# The outros (`actors.copy.filling`) whose words are the policy's.
POLICY_OUTROS = frozenset(
    {"deposit_policy", "policy_reminder", "cancel_refund", "cancel_forfeit", "no_show_policy"}
    | {"session_balance"}
)


class PolicyWords:
    """The policy's sentences in one locale, for the messages they belong to."""

    def __init__(
        self,
        texts: PolicyCopy,
        rules: StudioPolicy,
        usual: Money,
        locale: str,
        *,
        appointments: bool,
    ) -> None:
        self._texts = texts
        self._rules = rules
        self._usual = usual
        self._locale = locale
        self._appointments = appointments  # STUDIO_FILE: moves, no-shows and reminders apply

    def outro(self, key: str, params: Mapping[str, str]) -> str:
        """The sentences said after a message (`POLICY_OUTROS`), filled from `params`."""
        values = self._values(params)
        match key:
            case "deposit_policy":
                parts = self._about_deposit()
            case "policy_reminder":
                parts = [self._refund_rule(), self._reschedule_rule()]
            case "cancel_refund":
                parts = [self._texts.cancel_refunded]
            case "cancel_forfeit":
                kept = self._texts.cancel_kept
                parts = [
                    kept
                    if self._rules.refundable_until_hours is not None
                    else self._texts.cancel_kept_always
                ]
            case "session_balance":
                parts = [
                    self._texts.balance if params.get("balance") else self._texts.balance_no_quote
                ]
            case _:  # "no_show_policy"
                keeps = self._rules.no_show.keeps_deposit
                texts = self._texts
                parts = [texts.no_show_now_kept if keeps else texts.no_show_now_refunded]
        return " ".join(part.format_map(values) for part in parts)

    def _about_deposit(self) -> list[str]:
        texts, rules = self._texts, self._rules
        parts = [texts.deposit, self._refund_rule(), texts.artist_cancels]
        if self._appointments:
            parts.append(self._reschedule_rule())
            parts.append(
                texts.no_show_kept if rules.no_show.keeps_deposit else texts.no_show_refunded
            )
            if rules.no_show.late_minutes is not None:
                parts.append(texts.late)
        if rules.drawing_fee is not None:
            parts.append(texts.drawing_fee)
        return parts

    def _refund_rule(self) -> str:
        refundable = self._rules.refundable_until_hours is not None
        return self._texts.refundable if refundable else self._texts.never_refundable

    def _reschedule_rule(self) -> str:
        rule = self._rules.reschedule
        return self._texts.reschedule if rule.max > 0 else self._texts.no_reschedule

    def _values(self, params: Mapping[str, str]) -> dict[str, str]:
        rules = self._rules
        return {
            **params,
            "amount": params.get("amount") or self._usual.format(self._locale),
            "refund_notice": self._hours(rules.refundable_until_hours or 0),
            "reschedules": self._times(rules.reschedule.max),
            "reschedule_notice": self._hours(rules.reschedule.notice_hours),
            "late": self._minutes(rules.no_show.late_minutes or 0),
            "drawing_fee": self._money(rules.drawing_fee or 0),
        }

    def _hours(self, hours: int) -> str:
        return str(format_unit(hours, "duration-hour", length="long", locale=self._locale))

    def _minutes(self, minutes: int) -> str:
        return str(format_unit(minutes, "duration-minute", length="long", locale=self._locale))

    def _money(self, minor: int) -> str:
        return Money(minor, self._usual.currency).format(self._locale) if minor else ""

    def _times(self, count: int) -> str:
        """ "once", "2 times" ("una vez", "2 veces"): the locale's plural category."""
        form = Locale.parse(self._locale).plural_form(count)
        text = self._texts.times.get(form) or self._texts.times["other"]
        return text.format(count=count)
