"""The fast factories build exactly what the frozen dataclasses' constructors build, and stay immutable."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

import pytest

from tki_resistance.findings import ResponseCategory
from tki_resistance.knowledge.loader import default_knowledge
from tki_resistance.model import Comparator, TranscriptResult, Variant
from tki_resistance.state.fast_build import draft_class, transcript_result
from tki_resistance.state.milestones import MilestoneAssessment, _assessment


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


#: (factory, the dataclass it builds, its fields, a field to change): every fast factory of the package
#: (fast_build.transcript_result and milestones._assessment, which fast_build.py's docstring vouches for).
FACTORIES = [
    pytest.param(transcript_result, TranscriptResult, _fields, "percent_is", id="TranscriptResult"),
    pytest.param(_assessment, MilestoneAssessment, _assessment_fields, "milestone", id="MilestoneAssessment"),
]


@pytest.mark.parametrize(("factory", "cls", "fields_of", "field"), FACTORIES)
def test_the_factory_builds_what_the_dataclass_builds_and_it_is_frozen(
    factory: Callable[..., object], cls: type, fields_of: Callable[[], dict[str, object]], field: str
) -> None:
    fields = fields_of()
    fast = factory(**fields)
    slow = cls(**fields)
    assert type(fast) is cls
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert {f.name: getattr(fast, f.name) for f in dataclasses.fields(fast)} == fields  # type: ignore[arg-type]
    assert dataclasses.replace(fast, **{field: 1}) == dataclasses.replace(slow, **{field: 1})  # type: ignore[type-var]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(fast, field, 2)


@pytest.mark.parametrize(("factory", "cls", "fields_of", "field"), FACTORIES)
def test_every_field_of_the_dataclass_is_a_factory_parameter(
    factory: Callable[..., object], cls: type, fields_of: object, field: str
) -> None:
    """A field added to the dataclass must be added to its factory too (else its slot stays empty)."""
    code = factory.__code__
    assert set(code.co_varnames[: code.co_argcount]) == {f.name for f in dataclasses.fields(cls)}
