"""`dora serve`: the custom HTTP API that lets any tool record deployments and incidents.

POST /deployments and POST /incidents take one JSON record each, POST /cdevents one CloudEvent
carrying a CDEvent (schema: docs/custom-api.md), all authenticated with
`Authorization: Bearer $DORA_API_TOKEN`; GET /healthz answers without auth.
Records go to the landing area only (never DuckDB), so the API keeps working during pipeline runs.
"""

from __future__ import annotations

import hmac
import json
import os
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click

from dora.core import cdevents, cloudevents, landing
from dora.core.home import Home

TOKEN_ENV = "DORA_API_TOKEN"
MAX_BODY = 64 * 1024
ROUTES = {"/deployments": landing.DEPLOYMENTS, "/incidents": landing.INCIDENTS, "/cdevents": landing.CDEVENTS}


class _Refused(Exception):
    """Ends a request with an error status and a JSON message (and the field at fault, if any)."""

    def __init__(self, status: HTTPStatus, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def make_server(landing_dir: Path, token: str, host: str = "127.0.0.1", port: int = 8787) -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) that appends posted records under `landing_dir`."""
    if not token:
        raise ValueError(f"an API token is required ({TOKEN_ENV})")
    area = landing.LandingArea(landing_dir)
    expected_authorization = f"Bearer {token}".encode()

    class Handler(BaseHTTPRequestHandler):
        server_version = "dora-custom-api"
        timeout = 30  # seconds a client may stall mid-request before its connection is dropped

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._reply(HTTPStatus.OK, {"status": "ok"})
            else:
                self._reply(HTTPStatus.NOT_FOUND, {"error": f"no such path {self.path}"})

        def do_POST(self) -> None:
            try:
                kind = ROUTES.get(self.path)
                if kind is None:
                    raise _Refused(HTTPStatus.NOT_FOUND, f"no such path {self.path}; use {', '.join(ROUTES)}")
                record = self._cdevent() if kind is landing.CDEVENTS else landing.validate(kind, self._json_body())
                # a CloudEvent sent again (same source and id) is a duplicate: the first one stays
                status = area.append(kind, record, keep_first=kind is landing.CDEVENTS)
            except _Refused as refused:
                body = {"error": refused.message, **({"field": refused.field} if refused.field else {})}
                self._reply(refused.status, body)
            except (landing.RecordInvalid, cloudevents.NotACloudEvent) as invalid:
                self._reply(HTTPStatus.BAD_REQUEST, {"error": str(invalid), "field": invalid.field})
            except cdevents.Unmappable as unmappable:
                self._reply(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(unmappable), "field": unmappable.field})
            else:
                code = HTTPStatus.CREATED if status == "created" else HTTPStatus.OK
                self._reply(code, {"id": record["id"], "status": status})

        def _cdevent(self) -> dict[str, str | None]:
            """The landing record of the CloudEvent this request carries (dora.core.cloudevents, cdevents)."""
            body = self._json_body(cloudevents.CONTENT_TYPES)
            event = cloudevents.from_http(self.headers.items(), self.headers.get_content_type(), body)
            return cdevents.to_record(event)

        def _json_body(self, content_types: tuple[str, ...] = ("application/json",)) -> object:
            """The parsed body, after auth, content type and size checks (in that order)."""
            authorization = self.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(authorization, expected_authorization):
                raise _Refused(HTTPStatus.UNAUTHORIZED, "missing or wrong bearer token")
            if self.headers.get_content_type() not in content_types:
                raise _Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"Content-Type must be {' or '.join(content_types)}")
            length_header = self.headers.get("Content-Length")
            if length_header is None:
                raise _Refused(HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required")
            if not (length_header.isascii() and length_header.isdigit()):
                raise _Refused(HTTPStatus.BAD_REQUEST, "Content-Length must be a number of bytes")
            length = int(length_header)
            if length > MAX_BODY:
                raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY} bytes")
            try:
                return json.loads(self.rfile.read(length))
            except (ValueError, RecursionError) as error:
                raise _Refused(HTTPStatus.BAD_REQUEST, f"body is not valid JSON: {error}", "body") from None

        def _reply(self, status: HTTPStatus, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            if status == HTTPStatus.UNAUTHORIZED:
                self.send_header("WWW-Authenticate", "Bearer")
            if status >= 400:
                self.close_connection = True  # an unread body must not be parsed as the next request
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return ThreadingHTTPServer((host, port), Handler)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8787, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the custom API until interrupted (clients send `Authorization: Bearer $DORA_API_TOKEN`)."""
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise click.ClickException(f"set {TOKEN_ENV} to the bearer token clients must send")
    server = make_server(Home.from_env().ensure().landing, token, host, port)
    click.echo(f"custom API on http://{server.server_address[0]}:{server.server_address[1]} "
               f"(POST {', '.join(ROUTES)}; GET /healthz)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
