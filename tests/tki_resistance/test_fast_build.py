"""The fast factories build exactly what the frozen dataclasses' constructors build, and stay immutable."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from tki_resistance.fast_build import draft_class, transcript_result
from tki_resistance.findings import ResponseCategory
from tki_resistance.knowledge_base import default_knowledge
from tki_resistance.milestones import MilestoneAssessment, _assessment
from tki_resistance.model import Comparator, TranscriptResult, Variant


def _fields() -> dict[str, object]:
    return {
        "source": "Observation/1",
        "taken": date(2024, 3, 1),
        "percent_is": 0.05,
        "comparator": Comparator.LESS_THAN,
        "detected": False,
        "control_gene": "ABL1",
        "control_copies": 32000,
        "preliminary": True,
    }


def test_transcript_result_equals_the_dataclass_built_one() -> None:
    fields = _fields()
    fast = transcript_result(**fields)  # type: ignore[arg-type]
    slow = TranscriptResult(**fields)  # type: ignore[arg-type]
    assert type(fast) is TranscriptResult
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert {f.name: getattr(fast, f.name) for f in dataclasses.fields(fast)} == fields
    assert dataclasses.replace(fast, percent_is=1.0) == dataclasses.replace(slow, percent_is=1.0)


def test_transcript_result_is_frozen() -> None:
    fast = transcript_result(**_fields())  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.percent_is = 2.0  # type: ignore[misc]


def test_every_field_of_the_dataclass_is_a_factory_parameter() -> None:
    """A field added to TranscriptResult must be added to the factory too (else its slot stays empty)."""
    assert set(transcript_result.__code__.co_varnames[: transcript_result.__code__.co_argcount]) == {
        f.name for f in dataclasses.fields(TranscriptResult)
    }


def test_draft_class_refuses_a_class_without_slots() -> None:
    @dataclasses.dataclass(frozen=True)
    class Plain:
        x: int

    with pytest.raises(TypeError):
        draft_class(Plain)
    assert draft_class(Variant).__slots__ == Variant.__slots__  # type: ignore[attr-defined]


def _assessment_fields() -> dict[str, object]:
    rows = default_knowledge().milestones
    result = TranscriptResult(**_fields())  # type: ignore[arg-type]
    return {
        "milestone": 6,
        "category": ResponseCategory.WARNING,
        "row": rows[0],
        "result": result,
        "months_on_drug": 6.2,
        "confirmed_by": result,
        "loss_of_mmr": True,
        "confirm_row": rows[1],
    }


def test_milestone_assessment_equals_the_dataclass_built_one_and_is_frozen() -> None:
    """milestones._assessment is the second factory fast_build.py's module docstring vouches for."""
    fields = _assessment_fields()
    fast = _assessment(**fields)  # type: ignore[arg-type]
    slow = MilestoneAssessment(**fields)  # type: ignore[arg-type]
    assert type(fast) is MilestoneAssessment
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert {f.name: getattr(fast, f.name) for f in dataclasses.fields(fast)} == fields
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.milestone = 12  # type: ignore[misc]


def test_every_field_of_milestone_assessment_is_a_factory_parameter() -> None:
    code = _assessment.__code__
    assert set(code.co_varnames[: code.co_argcount]) == {f.name for f in dataclasses.fields(MilestoneAssessment)}
