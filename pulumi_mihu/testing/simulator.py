"""A local Mihu API: a real HTTP/1.1 server on loopback that enforces the documented
contract, for tests, demos and benchmarks.

Documented behaviour it reproduces: Bearer auth with the published 401 bodies; the POST
body rules of ``/api/v1/channels/sip-trunk/connections`` (required fields, max lengths,
gateway is a bare host); the error envelope ``{success, message, error: {code, details,
field}}``; the "Connection created" response. Undocumented routes (GET one, GET list,
DELETE) are served only when ``read_routes`` is on; off, they answer like a missing route
(404 by default, as the reference says the API does; 405 optionally).

The list paginates by default, as every list route the reference documents does: the
``data.items`` + ``data.pagination`` shape of ``/phone-numbers`` (``list_shape="items"``),
15 a page whatever ``per_page`` asks (``page_size``, ``max_page_size``), newest first, so
that a connection created or deleted during a walk shifts the pages. ``"laravel"`` serves
Laravel's paginator (``data.data``, ``next_page_url``, ...), ``"one-page"`` a bare
``data: [...]`` of everything. ``list_hook(page)`` runs before each list page is served
(tests change the account there, in the middle of a walk).

For tests it also keeps what a real service hides: every connection with the credentials
it received, a log of requests and of response bodies, a count of TCP connections, and
injectable faults (status codes with Retry-After, latency, dropped connections before and
after processing, non-JSON and slow bodies).

Run it alone: ``python -m pulumi_mihu.testing.simulator --port 8080 --token dev-token``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import re
import socket
import threading
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

__all__ = [
    "DEFAULT_TOKEN",
    "Fault",
    "LoggedRequest",
    "MihuSimulator",
    "SimulatorState",
    "validate_connection",
]

DEFAULT_TOKEN = "sim-token-0123456789"
API = "/api/v1"
CONNECTIONS = API + "/channels/sip-trunk/connections"
AGENTS = API + "/agents/"
ASSIGN_SUFFIX = "/channels/call/sip-trunk"
#: Agents every simulator knows, so that a demo or a standalone run can assign trunks.
DEMO_AGENTS = ("a9f1c2d4-5b6e-4f70-8a91-b2c3d4e5f601", "a9f1c2d4-5b6e-4f70-8a91-b2c3d4e5f602")
#: Counters for a simulator running in another process (benchmarks): not part of the API.
STATS = "/_simulator/stats"
#: The list shapes of the reference's documented list routes (see the module docstring).
LIST_SHAPES = ("items", "laravel", "one-page")

_CONNECTION_FIELDS = {
    "name": (True, 255),
    "phone_number": (True, 32),
    "gateway": (True, 255),
    "username": (True, 255),
    "password": (True, 255),
    "secondary_gateway": (False, 255),
}


@dataclass
class Fault:
    """One injected misbehaviour, applied to the next matching requests.

    ``action``: ``status`` (answer ``status`` with the envelope and ``retry_after``, without
    processing), ``commit_then_status`` (process, then answer ``status``: a gateway whose
    upstream committed), ``drop_before`` (close the connection without processing),
    ``drop_after`` (process, then close without answering), ``non_json`` (answer ``status``
    with an HTML body), ``slow_body`` (process, then trickle the answer out over ``delay``
    seconds), ``delay`` (only the delay, then process and answer as usual). ``delay``
    applies before any action and before processing: longer than the client's timeout, it
    makes a server that commits after the client gave up. ``body`` replaces the answer's
    body for ``status`` and ``non_json`` (to imitate an API that echoes the request, say).
    ``exact`` matches ``path_prefix`` as the whole path.
    """

    action: str = "status"
    status: int = 503
    method: str | None = None
    path_prefix: str = API
    times: int = 1
    retry_after: str | None = None
    delay: float = 0.0
    body: str | None = None
    exact: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return path == self.path_prefix if self.exact else path.startswith(self.path_prefix)


@dataclass
class LoggedRequest:
    method: str
    path: str
    authorization: bool
    body: Any
    #: None: never answered (the connection was dropped).
    status: int | None = None
    response_body: str = ""
    #: Answered (or dropped) by an injected fault rather than by the API's own logic.
    injected: bool = False


@dataclass
class SimulatorState:
    token: str = DEFAULT_TOKEN
    read_routes: bool = True
    missing_route_status: int = 404
    latency: float = 0.0
    list_shape: str = "items"
    #: Items a list page holds when ``per_page`` is not given, and the most it grants.
    page_size: int = 15
    max_page_size: int = 15
    newest_first: bool = True
    #: Called with the page number before a list page is served (outside the lock).
    list_hook: Callable[[int], None] | None = None
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    agents: set[str] = field(default_factory=lambda: set(DEMO_AGENTS))
    #: agent uuid -> connection uuid of its call channel
    assignments: dict[str, str] = field(default_factory=dict)
    requests: list[LoggedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    tcp_connections: int = 0
    #: Requests received and not yet answered (or dropped).
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(message: str, code: str, details: str | None = None,
           field_name: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "details": details or message}
    if field_name:
        error["field"] = field_name
    return {"success": False, "message": message, "error": error}


def _validate_host(value: str) -> str | None:
    if "://" in value or "/" in value:
        return "must be a hostname or IP, not a URL"
    if re.search(r"\s", value):
        return "must not contain spaces"
    if re.fullmatch(r"\+?[\d\s()-]+", value):
        return "must be a SIP server host, not a phone number"
    return None


def validate_connection(body: Any) -> tuple[str, str] | None:
    """The API's own check of a create body: (field, problem) of the first bad field."""
    if not isinstance(body, dict):
        return "body", "must be a JSON object"
    for name, (required, max_length) in _CONNECTION_FIELDS.items():
        value = body.get(name)
        if value is None or (value == "" and not required):
            if required:
                return name, f"The {name} field is required."
            continue
        if not isinstance(value, str):
            return name, f"The {name} field must be a string."
        if required and not value.strip():
            return name, f"The {name} field is required."
        if len(value) > max_length:
            return name, f"The {name} field must not be greater than {max_length} characters."
        if name in ("gateway", "secondary_gateway"):
            problem = _validate_host(value)
            if problem:
                return name, f"The {name} field {problem}."
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, delayed ACKs add ~40 ms
    # to every keep-alive response and the simulator becomes its own benchmark's bottleneck.
    disable_nagle_algorithm = True
    server: MihuSimulator

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the log of record is ``state.requests``."""

    def setup(self) -> None:
        super().setup()
        with self.server.state.lock:
            self.server.state.tcp_connections += 1

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    # -- plumbing -----------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        state = self.server.state
        with state.lock:
            state.in_flight += 1
        try:
            self._serve(method)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _serve(self, method: str) -> None:
        """Log the request, then answer it as its fault (if any) says: never processed,
        processed but answered otherwise, or processed and answered."""
        path, _, query = self.path.partition("?")
        self.query = parse_qs(query)
        entry, body, bad_json, fault = self._receive(method, path)
        if fault and fault.action == "drop_before":
            entry.injected = True  # received, never processed, never answered
            self._drop()
        elif fault and fault.action in ("status", "non_json"):
            entry.injected = True  # answered with an error, never processed
            self._send_fault(entry, fault)
        else:
            status, payload = self._route(method, path, body, bad_json)
            self._answer(entry, fault, status, payload)

    def _receive(self, method: str,
                 path: str) -> tuple[LoggedRequest, Any, bool, Fault | None]:
        """Read the body, take the fault that applies, wait the latency and the fault's
        delay, and log the request."""
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fault = state.take_fault(method, path)
        delay = state.latency + (fault.delay if fault else 0.0)
        if delay:
            time.sleep(delay)
        try:
            body, bad_json = (json.loads(raw) if raw else None), False
        except ValueError:
            body, bad_json = None, True
        entry = LoggedRequest(method, path, "Authorization" in self.headers, body)
        with state.lock:
            state.requests.append(entry)
        return entry, body, bad_json, fault

    def _send_fault(self, entry: LoggedRequest, fault: Fault) -> None:
        """An error answer instead of processing: a JSON error, or a proxy's HTML page."""
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        if fault.action == "non_json" or fault.body is not None:
            raw_body = fault.body if fault.body is not None else (
                "<html><body>Bad Gateway</body></html>")
            content_type = "text/html" if fault.action == "non_json" else "application/json"
            self._send_raw(entry, fault.status, raw_body.encode(), content_type, headers)
        elif fault.status == 429:
            self._send(entry, 429, _error("Rate limit exceeded", "RATE_LIMIT_EXCEEDED"),
                       headers)
        else:
            self._send(entry, fault.status, _error("Service temporarily unavailable",
                                                   "SERVICE_UNAVAILABLE"), headers)

    def _answer(self, entry: LoggedRequest, fault: Fault | None, status: int,
                payload: Any) -> None:
        """The answer to a processed request, as the fault (if any) spoils it."""
        action = fault.action if fault else None
        if fault and action == "commit_then_status":
            entry.injected = True
            self._send(entry, fault.status, _error("Bad gateway", "BAD_GATEWAY"))
        elif fault and action == "drop_after":
            entry.status = status
            self._drop()
        elif fault and action == "slow_body":
            self._send(entry, status, payload, {}, trickle=max(fault.delay, 0.05))
        else:
            self._send(entry, status, payload)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, entry: LoggedRequest, status: int, payload: Any,
              headers: dict[str, str] | None = None, trickle: float = 0.0) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self._send_raw(entry, status, data, "application/json", headers or {}, trickle)

    def _send_raw(self, entry: LoggedRequest, status: int, data: bytes, content_type: str,
                  headers: dict[str, str], trickle: float = 0.0) -> None:
        entry.status = status
        entry.response_body = data.decode(errors="replace")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        try:
            self.end_headers()
            if trickle and data:
                step = max(1, len(data) // 5)
                for start in range(0, len(data), step):
                    self.wfile.write(data[start:start + step])
                    self.wfile.flush()
                    time.sleep(trickle / 5)
            else:
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout shorter than a slow commit): what a real server
            # sees too. The request was processed all the same.
            self.close_connection = True

    # -- the API ------------------------------------------------------------------------

    def _route(self, method: str, path: str, body: Any, bad_json: bool) -> tuple[int, Any]:
        """Auth and JSON first, as the API checks them on any path under /api/v1; then the
        first route of ROUTES that matches (an undocumented one only with read_routes);
        else the missing-route answer."""
        state = self.server.state
        auth = self.headers.get("Authorization")
        if path == STATS and method == "GET":
            with state.lock:
                return 200, {"tcp_connections": state.tcp_connections,
                             "requests": len(state.requests),
                             "connections": len(state.connections)}
        if not path.startswith(API + "/"):
            return 404, _error("Not found", "NOT_FOUND", "No such route")
        if not auth:
            return 401, _error("Authentication required", "MISSING_AUTH_TOKEN",
                               "No authorization header provided")
        if auth != f"Bearer {state.token}":
            return 401, _error("Invalid authentication token", "INVALID_AUTH_TOKEN",
                               "The provided token is invalid or has been revoked")
        if bad_json:
            return 400, _error("Malformed request", "INVALID_JSON", "The body is not valid JSON")
        for route in ROUTES:
            params = route.match(method, path)
            if params is not None and (route.documented or state.read_routes):
                answer: tuple[int, Any] = getattr(self, route.handler)(params, body)
                return answer
        if state.missing_route_status == 405:
            return 405, _error("Method not allowed", "METHOD_NOT_ALLOWED")
        return 404, _error("Not found", "NOT_FOUND", "The requested resource was not found")

    def _list(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        """``GET .../connections``: one page (assumed route; see _list_page)."""
        return 200, self._list_page()

    def _read(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        """``GET .../connections/{uuid}``, as the API family reads an item (assumed)."""
        with self.server.state.lock:
            record = self.server.state.connections.get(params["uuid"])
        if record is None:
            return 404, _error("SIP trunk connection not found", "NOT_FOUND")
        return 200, {"success": True, "data": _public(record)}

    def _delete(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        """``DELETE .../connections/{uuid}`` (assumed); a second delete is a 404."""
        with self.server.state.lock:
            record = self.server.state.connections.pop(params["uuid"], None)
        if record is None:
            return 404, _error("SIP trunk connection not found", "NOT_FOUND")
        return 200, {"success": True, "message": "Connection deleted"}

    def _list_page(self) -> dict[str, Any]:
        """One page of the list of connections, in the state's shape (module docstring)."""
        state = self.server.state
        page = max(1, _query_int(self.query, "page", 1))
        if state.list_hook is not None:
            state.list_hook(page)
        with state.lock:
            records = list(state.connections.values())
        if state.newest_first:
            records.reverse()
        if state.list_shape == "one-page":
            return {"success": True, "data": [_public(c) for c in records]}
        per_page = min(max(1, _query_int(self.query, "per_page", state.page_size)),
                       state.max_page_size)
        total = len(records)
        last = max(1, -(-total // per_page))
        shown = [_public(c) for c in records[(page - 1) * per_page:page * per_page]]
        first = (page - 1) * per_page + 1 if shown else None
        to = (page - 1) * per_page + len(shown) if shown else None
        if state.list_shape == "laravel":
            url = f"{self.server.base_url}{CONNECTIONS}?page="
            return {"success": True, "data": {
                "current_page": page, "data": shown, "first_page_url": f"{url}1",
                "from": first, "last_page": last, "last_page_url": f"{url}{last}",
                "next_page_url": f"{url}{page + 1}" if page < last else None,
                "path": f"{self.server.base_url}{CONNECTIONS}", "per_page": per_page,
                "prev_page_url": f"{url}{page - 1}" if page > 1 else None, "to": to,
                "total": total}}
        return {"success": True, "data": {"items": shown, "pagination": {
            "current_page": page, "per_page": per_page, "total": total, "last_page": last,
            "from": first, "to": to, "has_more": page < last}}}

    def _create(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        """The documented create: the API's own validation, then the stored record."""
        problem = validate_connection(body)
        if problem:
            field_name, message = problem
            return 422, _error("Validation failed", "VALIDATION_ERROR", message, field_name)
        state = self.server.state
        record = _record(body)
        with state.lock:
            state.connections[record["uuid"]] = record
        return 201, {"success": True, "message": "Connection created", "data": _public(record)}

    def _assign(self, params: dict[str, str], body: Any) -> tuple[int, Any]:
        """``POST /agents/{uuid}/channels/call/sip-trunk``: an upsert of the agent's call
        channel, refusing a phone number another agent uses unless ``force``."""
        state, agent = self.server.state, params["agent_uuid"]
        if not isinstance(body, dict):
            return 422, _error("Validation failed", "VALIDATION_ERROR", "must be an object",
                               "body")
        connection = body.get("connection_uuid")
        force = body.get("force", False)
        if not isinstance(connection, str) or not _is_uuid(connection):
            return 422, _error("Validation failed", "VALIDATION_ERROR",
                               "The connection uuid field must be a valid UUID.",
                               "connection_uuid")
        if not isinstance(force, bool):
            return 422, _error("Validation failed", "VALIDATION_ERROR",
                               "The force field must be true or false.", "force")
        with state.lock:
            if agent not in state.agents:
                return 404, _error("Agent not found", "AGENT_NOT_FOUND")
            record = state.connections.get(connection)
            if record is None:
                return 422, _error("Validation failed", "VALIDATION_ERROR",
                                   "The selected connection uuid is invalid.", "connection_uuid")
            phone = record["phone_number"]
            taken = [other for other, conn in state.assignments.items() if other != agent
                     and conn in state.connections
                     and state.connections[conn]["phone_number"] == phone]
            if taken and not force:
                return 409, _error("The phone number is already used by another agent",
                                   "PHONE_NUMBER_IN_USE",
                                   f"Phone number {phone} is assigned to agent {taken[0]}",
                                   "connection_uuid")
            state.assignments[agent] = connection
        return 200, {"success": True, "message": "SIP trunk connection assigned",
                     "data": {"agent_uuid": agent, "connection_uuid": connection,
                              "phone_number": phone}}


@dataclass(frozen=True)
class Route:
    """One route of the API: a method, a path pattern (``{name}`` stands for one path
    segment, which may be empty) and the name of the handler's method, called with the
    segments by name and the JSON body. By name, so that a test patching the method on
    ``_Handler`` changes what the route does. ``documented``: the reference documents it;
    the others are the assumed routes, served only when ``read_routes`` is on."""

    method: str
    pattern: str
    handler: str
    documented: bool = True

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path's segments by name, or None when the route is not this one."""
        if method != self.method:
            return None
        found = _compiled(self.pattern).fullmatch(path)
        return found.groupdict() if found else None


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """A route's pattern as a regular expression, built once: literal text, and one
    path segment (no slash, possibly empty) per ``{name}``."""
    parts = re.split(r"\{(\w+)\}", pattern)
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]*)"
                              for i, part in enumerate(parts)))


#: Every route the simulator serves, checked in order. A resource's provider calls some of
#: them; its registry entry (pulumi_mihu/_registry.py) lists which, and
#: tests/unit/test_registry.py checks that each is served.
ROUTES: tuple[Route, ...] = (
    Route("POST", CONNECTIONS, "_create"),
    Route("GET", CONNECTIONS, "_list", documented=False),
    Route("GET", CONNECTIONS + "/{uuid}", "_read", documented=False),
    Route("DELETE", CONNECTIONS + "/{uuid}", "_delete", documented=False),
    Route("POST", AGENTS + "{agent_uuid}" + ASSIGN_SUFFIX, "_assign"),
)


def _is_uuid(value: str) -> bool:
    try:
        uuidlib.UUID(value)
    except ValueError:
        return False
    return True


def _record(body: dict[str, Any]) -> dict[str, Any]:
    """A new connection as the service stores it, credentials included."""
    now = _now()
    return {
        "uuid": str(uuidlib.uuid4()),
        "name": body["name"],
        "phone_number": body["phone_number"],
        "gateway": body["gateway"],
        "secondary_gateway": body.get("secondary_gateway") or None,
        "username": body["username"],
        "password": body["password"],
        "status": "active",
        "created_at": now,
        "updated_at": now,
    }


def _query_int(query: dict[str, list[str]], key: str, default: int) -> int:
    values = query.get(key)
    try:
        return int(values[0]) if values else default
    except ValueError:
        return default


def _public(record: dict[str, Any]) -> dict[str, Any]:
    """A connection as the API returns it: never the credentials."""
    return {k: v for k, v in record.items() if k not in ("username", "password")}


class MihuSimulator(ThreadingHTTPServer):
    """The server. Use as a context manager to run it on a background thread::

        with MihuSimulator() as sim:
            sim.base_url  # http://127.0.0.1:PORT
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 token: str = DEFAULT_TOKEN, read_routes: bool = True,
                 missing_route_status: int = 404, latency: float = 0.0,
                 list_shape: str = "items", page_size: int = 15,
                 max_page_size: int | None = None) -> None:
        if list_shape not in LIST_SHAPES:
            raise ValueError(f"list_shape must be one of {LIST_SHAPES}, got {list_shape!r}")
        self.state = SimulatorState(token=token, read_routes=read_routes,
                                    missing_route_status=missing_route_status,
                                    latency=latency, list_shape=list_shape,
                                    page_size=page_size,
                                    max_page_size=max_page_size or page_size)
        super().__init__((host, port), _Handler)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{port}"

    @property
    def connections(self) -> dict[str, dict[str, Any]]:
        return self.state.connections

    @property
    def requests(self) -> list[LoggedRequest]:
        return self.state.requests

    def requests_to(self, method: str | None = None) -> list[LoggedRequest]:
        return [r for r in self.state.requests if method is None or r.method == method]

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every request received has been answered or dropped: a server that
        commits after the client gave up is still working when the client reports."""
        deadline = time.monotonic() + timeout
        while self.state.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)

    def writes(self) -> list[LoggedRequest]:
        return [r for r in self.state.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]

    def add_connections(self, count: int, prefix: str = "other") -> list[str]:
        """Put ``count`` connections in the account directly (made "in the console": no
        request is logged), each with its own name and number; their uuids."""
        made = []
        with self.state.lock:
            for n in range(count):
                record = _record({"name": f"{prefix}-{n}", "phone_number": f"+1999{n:07d}",
                                  "gateway": "sip.example.net", "username": f"u-{n}",
                                  "password": f"p-{n}"})
                self.state.connections[record["uuid"]] = record
                made.append(record["uuid"])
        return made

    def add_agent(self, agent_uuid: str | None = None) -> str:
        agent = agent_uuid or str(uuidlib.uuid4())
        with self.state.lock:
            self.state.agents.add(agent)
        return agent

    def inject(self, *faults: Fault) -> None:
        with self.state.lock:
            self.state.faults.extend(faults)

    def start(self) -> MihuSimulator:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mihu-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> MihuSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the Bearer token it accepts")
    parser.add_argument("--no-read-routes", action="store_true",
                        help="serve only the documented POST, like a service without "
                             "GET/DELETE routes")
    parser.add_argument("--missing-route-status", type=int, choices=(404, 405), default=404)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--list-shape", choices=LIST_SHAPES, default="items",
                        help="how the list of connections paginates (default: items)")
    parser.add_argument("--page-size", type=int, default=15,
                        help="list items a page when per_page is not given (default 15)")
    parser.add_argument("--max-page-size", type=int, default=None,
                        help="the largest per_page granted (default: the page size)")
    parser.add_argument("--connections", type=int, default=0, metavar="N",
                        help="start with N connections in the account (as made in the "
                             "console)")
    parser.add_argument("--agent", action="append", default=[], metavar="UUID",
                        help="an agent uuid the simulator knows, besides its demo agents "
                             "(repeatable)")
    options = parser.parse_args(argv)
    sim = MihuSimulator(options.host, options.port, token=options.token,
                        read_routes=not options.no_read_routes,
                        missing_route_status=options.missing_route_status,
                        latency=options.latency_ms / 1000, list_shape=options.list_shape,
                        page_size=options.page_size, max_page_size=options.max_page_size)
    for agent in options.agent:
        sim.add_agent(agent)
    sim.add_connections(options.connections)
    # A local test double: its token is not a secret, and the user needs it to configure
    # the stack (mihu:apiToken), as they need the agents' uuids for assignments.
    print(f"Mihu API simulator on {sim.base_url} (read routes "
          f"{'on' if sim.state.read_routes else 'off'})\n"
          f"  token it accepts: {sim.state.token}\n"
          f"  agents: {', '.join(sorted(sim.state.agents))}\n"
          f"  pulumi config set mihu:baseUrl {sim.base_url}\n"
          f"  pulumi config set --secret mihu:apiToken {sim.state.token}", flush=True)
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.server_close()


if __name__ == "__main__":
    main()
