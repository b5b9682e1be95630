"""The ordering hooks' stages: what a drafted order meets in the patient's record and clinical state."""

from .findings import ordering_data_findings, ordering_findings
from .orders import DraftOrder

__all__ = ["DraftOrder", "ordering_data_findings", "ordering_findings"]
