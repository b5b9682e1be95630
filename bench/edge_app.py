"""The service with its clinical pipeline replaced by an empty answer: what the HTTP edge alone costs.

Everything of `cml-cds serve` stays — middleware, authentication dependency, body decode into the slim
models, prefetch resolution, the worker-thread hop, audit row, log line, metrics — only mapping, the
algorithm and rendering (`_answer`) return no card. The report splits the service's CPU per call into
this edge and the pipeline, against the floor app (`floor_app.py`), in the same run.
"""

from __future__ import annotations

from cds_hooks.cli import worker_app
from cds_hooks.models import CdsResponse, HookRequest, PatientViewContext
from cds_hooks.services import cml_tki_resistance
from cds_hooks.services.base import CallContext
from cds_hooks.services.pipeline import Resolved

__all__ = ["app"]


def _no_cards(
    request: HookRequest, context: PatientViewContext, resolved: Resolved, call_context: CallContext
) -> CdsResponse:
    return CdsResponse(cards=[])


cml_tki_resistance._answer = _no_cards  # a benchmark fixture: never done in the service
app = worker_app()
