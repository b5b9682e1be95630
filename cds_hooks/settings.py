"""Service configuration: environment variables (prefix `CMLCDS_`) over built-in defaults.

The defaults are the embedded development set-up `make serve` runs: SQLite beside the checkout, the
bundled knowledge base, 127.0.0.1:8080.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CMLCDS_", extra="ignore")

    database_path: Path = Field(default=Path("var/cml-cds.sqlite3"), description="SQLite file (feedback, audit)")
    max_body_bytes: int = Field(
        default=32 * 1024 * 1024, gt=0, description="request body limit; 413 above (10,000 results ≈ 8 MiB)"
    )
    cors_origins: list[str] = Field(
        default=["https://sandbox.cds-hooks.org"], description="browser origins allowed to call the service"
    )
    fhir_timeout_seconds: float = Field(default=5.0, gt=0, description="per request to the EHR's FHIR server")
    fhir_total_budget_seconds: float = Field(default=10.0, gt=0, description="all FHIR reads of one hook call")
    fhir_max_pages: int = Field(default=50, gt=0, description="`next` links followed per prefetch key")


@cache
def get_settings() -> Settings:
    return Settings()
