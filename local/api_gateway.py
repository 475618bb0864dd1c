"""The local stand-in for API Gateway: Chalice's own local gateway, with Tocsin's gateway
responses.

Deployed, a path no route matches never reaches the function: API Gateway answers it (403
``Missing Authentication Token``, or an AWS signature complaint when an ``Authorization``
header is present) unless the API configures a gateway response, which Tocsin does
(``infra/tocsin_infra/gateway.py``: 404 in Tocsin's error shape). ``chalice local`` and
``chalice.test.Client`` imitate the unconfigured API Gateway; this module imitates Tocsin's.

    python -m local.api_gateway --port 8000     (what the local stack runs instead of
                                                 ``chalice local``, stage ``local``)
    TocsinClient(app, stage_name=..., project_dir=...)   (``chalice.test.Client``, the same)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    EventType,
    HeaderType,
    LocalChalice,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
)
from chalice.test import Client, TestHTTPClient

from chalicelib.api.errors import NO_ROUTE, NO_ROUTE_STATUS

PROJECT = Path(__file__).resolve().parent.parent


class NoRoute(LocalGatewayException):
    """No route matches the path: the gateway response deployed Tocsin answers with."""

    CODE = NO_ROUTE_STATUS

    def __init__(self) -> None:
        super().__init__({"Content-Type": "application/json"}, json.dumps(NO_ROUTE).encode("utf-8"))


class TocsinGateway(LocalGateway):
    def _generate_lambda_event(
        self, method: str, path: str, headers: HeaderType, body: bytes | None
    ) -> EventType:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError:  # Chalice's route matcher: no route for this path
            raise NoRoute() from None


class TocsinHTTPClient(TestHTTPClient):
    def __init__(self, app: Chalice, config: Config) -> None:
        super().__init__(app, config)
        self._local_gateway = TocsinGateway(app, config)


class TocsinClient(Client):
    """``chalice.test.Client`` whose HTTP requests pass Tocsin's gateway responses."""

    @property
    def http(self) -> TestHTTPClient:
        if self._http_client is None:
            self._http_client = TocsinHTTPClient(self._app, self._chalice_config)
        return self._http_client


class TocsinRequestHandler(ChaliceRequestHandler):
    def __init__(
        self, request: Any, client_address: Any, server: Any, app_object: Chalice, config: Config
    ) -> None:
        self.local_gateway = TocsinGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)


def server(host: str, port: int, stage: str = "local") -> LocalDevServer:
    """What ``chalice local --stage STAGE`` serves, behind Tocsin's gateway responses."""
    from chalice.cli.factory import CLIFactory

    factory = CLIFactory(str(PROJECT), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app  # imports app.py with the stage's environment variables set
    # As chalice local does: current_request per thread, for its threaded server.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=TocsinRequestHandler)


def main() -> None:
    parser = argparse.ArgumentParser(description="Tocsin's HTTP API on this machine.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    arguments = parser.parse_args()
    sys.path.insert(0, str(PROJECT))
    server(arguments.host, arguments.port, arguments.stage).serve_forever()


if __name__ == "__main__":
    main()
