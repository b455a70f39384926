"""STUDIO_FILE's `policy:`: read into the values the behaviour and the copy share; a wrong
value, or `policy:` beside the older keys it replaces, stops start-up with one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from actors.schedule import StudioPolicy
from tests.studio_example import example_data
from web.startup import StartupError, read_settings
from web.studio_file import StudioFileError, load_studio

ROOT = Path(__file__).resolve().parents[2]
_OLDER = ("cancel_notice_hours", "reschedule_notice_hours", "max_reschedules")


def _file(tmp_path: Path, policy: Any, *, keep_older: bool = False) -> Path:
    data = example_data()
    if not keep_older:
        for key in _OLDER:
            data.pop(key)
    if policy is not None:
        data["policy"] = policy
    path = tmp_path / "studio.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_older_keys_stand_for_the_policy(tmp_path: Path) -> None:
    rules = load_studio(_file(tmp_path, None, keep_older=True)).rules
    assert rules.refundable_until_hours == 72
    assert (rules.reschedule.max, rules.reschedule.notice_hours) == (1, 72)


def test_every_key_is_read_in_the_currencys_minor_units(tmp_path: Path) -> None:
    policy = {
        "deposit": {"amount": "50.00", "percent_of_quote": 20, "minimum": "30"},
        "refundable_until_hours": 48,
        "reschedule": {"max": 2, "notice_hours": 24},
        "no_show": {"keeps_deposit": False, "late_minutes": 30},
        "sessions": {"deposit_each_session": False},
        "drawing_fee": "25.00",
    }
    rules = load_studio(_file(tmp_path, policy), "gbp").rules
    assert rules.deposit.amount == 5000
    assert rules.deposit.minimum == 3000
    assert rules.deposit.of_quote(40000) == 8000
    assert rules.deposit.of_quote(10000) == 3000  # at least the minimum
    assert rules.drawing_fee == 2500
    assert not rules.no_show.keeps_deposit
    assert not rules.deposit_each_session
    yen = load_studio(_file(tmp_path, {"deposit": {"amount": "5000"}}), "jpy").rules
    assert yen.deposit.amount == 5000


def test_an_empty_policy_is_todays_behaviour(tmp_path: Path) -> None:
    assert load_studio(_file(tmp_path, {})).rules == StudioPolicy()


@pytest.mark.parametrize(
    ("policy", "keep_older", "line"),
    [
        (
            {"deposit": {"percent_of_quote": 0}},
            False,
            "policy.deposit.percent_of_quote: must be between 1 and 100 (got 0)",
        ),
        ({"refundable_until_hours": 72}, True, "cancel_notice_hours: a file with policy: gives it"
         " as policy.refundable_until_hours"),
        ({"drawing_fee": "25.005"}, False, "policy.drawing_fee: GBP takes at most 2 decimals."),
        ({"sessions": {"deposit_each_session": "sometimes"}}, False,
         "policy.sessions.deposit_each_session: input should be a valid boolean, unable to"
         " interpret input"),
        ({"deposit": {"amout": "5"}}, False,
         "policy.deposit.amout: extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_a_wrong_policy_is_one_line_naming_its_key(
    tmp_path: Path, policy: dict[str, Any], keep_older: bool, line: str
) -> None:
    with pytest.raises(StudioFileError) as refused:
        load_studio(_file(tmp_path, policy, keep_older=keep_older))
    assert str(refused.value) == line


def test_start_up_refuses_a_wrong_policy_in_one_line(tmp_path: Path) -> None:
    path = _file(tmp_path, {"deposit": {"percent_of_quote": 0}})
    with pytest.raises(StartupError) as refused:
        read_settings(database_url="postgresql://nobody@127.0.0.1:1/none", studio_file=path)
    assert str(refused.value) == (
        "STUDIO_FILE: policy.deposit.percent_of_quote: must be between 1 and 100 (got 0)"
    )


def test_the_policys_deposit_is_the_usual_one(tmp_path: Path) -> None:
    path = _file(tmp_path, {"deposit": {"amount": "80"}})
    settings = read_settings(database_url="postgresql://nobody@127.0.0.1:1/none", studio_file=path)
    assert (settings.deposit.minor, settings.deposit.currency) == (8000, "GBP")
