"""FHIR R4 in → the internal model (`tki_resistance.model`). Never imports `cds_hooks`."""

from .snapshot import build_snapshot

__all__ = ["build_snapshot"]
