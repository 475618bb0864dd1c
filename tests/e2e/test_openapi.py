"""The OpenAPI description is valid, served, true to the routes, and fuzzing it finds no 5xx."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

from app import app
from local.stack import LocalStack, free_port
from tests.conftest import LOCAL_KEY, PROJECT

SPEC = json.loads((PROJECT / "chalicelib" / "api" / "openapi.json").read_text())
SCHEMATHESIS_CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 10  # per operation and phase: over a thousand requests in all


def test_the_description_is_valid_openapi_3() -> None:
    validate(SPEC)


def test_it_describes_every_route_and_only_those() -> None:
    routes = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    described = {
        (path, method) for path, operations in SPEC["paths"].items() for method in operations
    }
    assert described == routes


def test_it_is_served_without_a_key(client: Client) -> None:
    response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.body)["openapi"].startswith("3.")


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as running:
        yield running


@pytest.mark.stack
def test_fuzzing_the_api_from_its_description_finds_no_server_error(stack: LocalStack) -> None:
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(SCHEMATHESIS_CONFIG),
        "run",
        f"{stack.api_url}/v1/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--header",
        f"Authorization: Bearer {LOCAL_KEY}",
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--seed",
        "20261123",
        "--request-timeout",
        "10",
        "--no-color",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=540, check=False)
    summary = re.search(r"(\d+) generated", result.stdout)
    assert result.returncode == 0, result.stdout[-4000:]
    assert summary is not None and int(summary.group(1)) >= 100, result.stdout[-2000:]
