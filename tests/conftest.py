from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings, TrustedIssuer
from tests.builders import TODAY
from tests.cds_hooks.jwt_signer import (
    BASE,
    EPIC_ISS,
    EPIC_JWKS,
    FHIR_SERVER,
    SANDBOX_ISS,
    SANDBOX_JKU,
    Client,
    FakeFetcher,
    jwks,
    new_epic_client,
    new_sandbox_client,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_path=tmp_path / "cml-cds.sqlite3")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings, today=lambda: TODAY)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def sandbox_client() -> Client:
    return new_sandbox_client()


@pytest.fixture(scope="session")
def epic_client() -> Client:
    return new_epic_client()


@pytest.fixture
def jwks_fetcher(sandbox_client: Client, epic_client: Client) -> FakeFetcher:
    return FakeFetcher({SANDBOX_JKU: jwks(sandbox_client), EPIC_JWKS: jwks(epic_client)})


@pytest.fixture
def auth_settings(tmp_path: Path) -> Settings:
    """Authentication on, two trusted clients: the CDS Hooks Sandbox (jku) and an Epic instance (jwks_url)."""
    return Settings(
        database_path=tmp_path / "cml-cds.sqlite3",
        auth_enabled=True,
        public_base_url=BASE,
        trusted_issuers=[
            TrustedIssuer(iss=SANDBOX_ISS, allowed_jku=[SANDBOX_JKU], fhir_servers=["https://fhir.example.org/r4"]),
            TrustedIssuer(iss=EPIC_ISS, jwks_url=EPIC_JWKS, fhir_servers=[FHIR_SERVER]),
        ],
    )


@pytest.fixture
def auth_app(auth_settings: Settings, jwks_fetcher: FakeFetcher) -> FastAPI:
    return create_app(auth_settings, today=lambda: TODAY, jwks_fetcher=jwks_fetcher)


@pytest.fixture
def auth_client(auth_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(auth_app, base_url="https://cds.example.org") as test_client:
        yield test_client
