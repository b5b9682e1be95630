"""One module per CDS service; `REGISTRY` maps service id → service."""

from __future__ import annotations

from .base import CdsService
from .cml_tki_resistance import CML_TKI_RESISTANCE
from .order_select import CML_TKI_ORDER_SELECT
from .order_sign import CML_TKI_ORDER_SIGN

__all__ = ["REGISTRY", "CdsService"]

REGISTRY: dict[str, CdsService] = {
    service.descriptor.id: service for service in (CML_TKI_RESISTANCE, CML_TKI_ORDER_SELECT, CML_TKI_ORDER_SIGN)
}
