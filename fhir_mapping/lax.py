"""The pydantic reading of a slim resource, for the few resources msgspec's strict types refuse.

Why: the service always read resources with pydantic's lax rules ("2.5" is a number, 2.0 an integer) and
reported a refused resource with pydantic's first error. msgspec decodes in strict mode (fast, and
everything it accepts pydantic accepts with the same value); when it refuses, a pydantic model generated
from the same Struct decides, so what is accepted and the reason an exclusion gives stay as they were.
The models are generated, not written twice, so the two readings cannot drift apart.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import msgspec
from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, create_model

from .resources import FhirModel, Integer, Number

__all__ = ["lax_model", "read_resource"]

StructT = TypeVar("StructT", bound=FhirModel)
_CONFIG = ConfigDict(extra="ignore", frozen=True)


#: The constrained numbers, as pydantic states them (and words their errors).
_NUMBERS: dict[Any, Any] = {
    Number: Annotated[float, Strict(), AllowInfNan(False)],
    Integer: Annotated[int, Strict()],
}


def _mirror_type(annotation: Any) -> Any:
    if annotation in _NUMBERS:
        return _NUMBERS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, FhirModel):
        return lax_model(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list or origin is tuple:  # a tuple[X, ...] field is a JSON array: "a valid list", as before
        return list[_mirror_type(args[0])]  # type: ignore[misc]
    if origin is Union or origin is types.UnionType:
        return Union[tuple(_mirror_type(arg) for arg in args)]  # noqa: UP007 - built from a runtime tuple
    return annotation


@cache
def lax_model(struct: type[FhirModel]) -> type[BaseModel]:
    """A pydantic model with the Struct's fields, in its order, with its defaults (resources first get
    their `resourceType`, as the hand-written models had)."""
    fields: dict[str, Any] = {}
    tag = struct.__struct_config__.tag
    if isinstance(tag, str):
        fields["resourceType"] = (Literal[tag], tag)
    for field in msgspec.structs.fields(struct):
        if field.default == ():
            default: Any = Field(default_factory=list)  # the empty tuple of a Struct, a list here
        elif field.default is not msgspec.NODEFAULT:
            default = field.default
        elif field.default_factory is not msgspec.NODEFAULT:
            default = Field(default_factory=field.default_factory)
        else:
            default = ...
        fields[field.name] = (_mirror_type(field.type), default)
    model: type[BaseModel] = create_model(struct.__name__, __config__=_CONFIG, **fields)
    return model


def read_resource(raw: dict[str, Any], struct: type[StructT]) -> StructT:
    """`raw` as `struct`: strictly by msgspec, else by pydantic's lax rules; raises pydantic's
    ValidationError (the error the service reports) when neither accepts it."""
    try:
        return msgspec.convert(raw, struct)
    except msgspec.ValidationError:
        pass
    model = lax_model(struct).model_validate(raw)
    return msgspec.convert(model.model_dump(), struct, strict=False)
