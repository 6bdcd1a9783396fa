"""The grading rule and the handoff policy file."""

from __future__ import annotations

from pathlib import Path

import pytest
from lifeline.hub.v1 import case_pb2, handoff_pb2

from hub.domain import grading
from hub.domain.matching import normalise_address, normalise_phone, subject_keys
from hub.domain.policy import HandoffPolicy

R = case_pb2.RiskIndicators


@pytest.mark.parametrize(
    "indicators, level",
    [
        (R(), case_pb2.RISK_LEVEL_LOW),
        (R(insomnia=True), case_pb2.RISK_LEVEL_LOW),
        (R(insomnia=True, recent_setback=True), case_pb2.RISK_LEVEL_MODERATE),
        (R(stated_intent=True), case_pb2.RISK_LEVEL_MODERATE),
        (R(method_prepared=True), case_pb2.RISK_LEVEL_MODERATE),
        (R(stated_intent=True, method_prepared=True), case_pb2.RISK_LEVEL_HIGH),
        (
            R(stated_intent=True, method_prepared=True, backup_plan=True),
            case_pb2.RISK_LEVEL_IMMINENT,
        ),
        (
            R(stated_intent=True, method_prepared=True, earlier_attempt=True),
            case_pb2.RISK_LEVEL_IMMINENT,
        ),
        (
            R(stated_intent=True, method_prepared=True, stated_time=True),
            case_pb2.RISK_LEVEL_IMMINENT,
        ),
        (
            R(stated_intent=True, backup_plan=True, earlier_attempt=True),
            case_pb2.RISK_LEVEL_MODERATE,
        ),
    ],
)
def test_grading_rule(indicators: case_pb2.RiskIndicators, level: int) -> None:
    assert grading.grade(indicators) == level


def test_indicator_mask_round_trips() -> None:
    indicators = R(stated_intent=True, insomnia=True, stated_time=True)
    assert grading.from_mask(grading.to_mask(indicators)) == indicators


def test_identifiers_are_normalised_before_hashing() -> None:
    assert normalise_phone("+86 138-0013-8000") == normalise_phone("13800138000") == "13800138000"
    assert normalise_phone("0086 13800138000") == "13800138000"
    assert normalise_address("110105", "Building 3, 8th Floor") == normalise_address(
        "110105", "building3 8TH floor"
    )
    assert normalise_address("110105", "x") != normalise_address("110106", "x")
    a = subject_keys(b"k" * 32, case_pb2.SubjectReference(phone="+86 13800138000"))
    b = subject_keys(b"k" * 32, case_pb2.SubjectReference(phone="138 0013 8000"))
    c = subject_keys(b"other-key" * 4, case_pb2.SubjectReference(phone="13800138000"))
    assert a == b and a != c
    assert "13800138000" not in a[0]


def test_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        '[handoffs]\nauto_levels = ["IMMINENT"]\nauto_kinds = ["DISPATCH"]\n'
        '[handoffs.instructions]\nDISPATCH = "Go now."\n'
    )
    policy = HandoffPolicy.from_toml(path)
    assert policy.auto_levels == {case_pb2.RISK_LEVEL_IMMINENT}
    assert policy.auto_kinds == {handoff_pb2.HANDOFF_KIND_DISPATCH}
    assert policy.instructions[handoff_pb2.HANDOFF_KIND_DISPATCH] == "Go now."
    assert (
        policy.instructions[handoff_pb2.HANDOFF_KIND_HOLD_ORDER]
        == HandoffPolicy().instructions[handoff_pb2.HANDOFF_KIND_HOLD_ORDER]
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ('[handoffs]\nauto_kinds = ["TELEPORT"]\n', "unknown handoff kinds"),
        ('[handoffs]\nauto_levels = ["DIRE"]\n', "unknown risk levels"),
        ("[handoffs]\ncolour = 1\n", r"unknown \[handoffs\] settings"),
        ("[handoffs\n", "Expected"),
    ],
)
def test_bad_policy_file_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        HandoffPolicy.from_toml(path)
