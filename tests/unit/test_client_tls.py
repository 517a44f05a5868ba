"""TLS and certificate failures are configuration errors (MihuTlsError): they name the base
URL, TLS/https and the CA bundle variables, give no advice to wait, and are tried once.
Against real TLS: a local server with a certificate made here by the ``openssl`` CLI, and
https:// to the plain-HTTP simulator."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pulumi_mihu import MihuConfigError, MihuTlsError
from pulumi_mihu.client import CA_BUNDLE_VARIABLES, MihuClient
from pulumi_mihu.errors import MihuTransportError
from pulumi_mihu.testing import MihuSimulator
from support import settings_for

COLLECTION = "/channels/sip-trunk/connections"
ADVICE = (
    "This is a configuration error, not an outage, so it was not retried: check that the "
    "base URL (stack config 'mihu:baseUrl' or environment variable MIHU_BASE_URL, or stack "
    "config 'mihu:subdomain' or environment variable MIHU_SUBDOMAIN) is the API's https:// "
    "address, and, behind a proxy or gateway that re-signs TLS, set REQUESTS_CA_BUNDLE or "
    "CURL_CA_BUNDLE to a PEM file of its CA certificates.")


def make_certificate(directory: Path, name: str, san: str) -> tuple[Path, Path]:
    """A self-signed certificate and its key, valid for ``san`` (an openssl SAN list)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl CLI is needed to make a test certificate")
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName={san}"], check=True, capture_output=True)
    return cert, key


@dataclass
class TlsServer:
    """A TLS server on loopback answering every request with an empty JSON list; counts
    the TCP connections it accepted (each is one try of the client)."""

    cert: Path
    key: Path
    port: int = 0
    accepted: int = 0
    _sock: socket.socket = field(init=False)

    def __enter__(self) -> TlsServer:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        self._context = context
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        try:
            with self._context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
                body = b'{"success": true, "data": []}'
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                            b"Connection: close\r\n\r\n" + body)
        except (OSError, ssl.SSLError):
            conn.close()

    def __exit__(self, *exc: object) -> None:
        self._sock.close()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    directory = tmp_path_factory.mktemp("tls")
    return {"loopback": make_certificate(directory, "loopback", "DNS:localhost,IP:127.0.0.1"),
            "elsewhere": make_certificate(directory, "elsewhere", "DNS:api.elsewhere.test")}


@pytest.fixture(autouse=True)
def no_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in CA_BUNDLE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def tls_server(certificates: dict[str, tuple[Path, Path]], name: str) -> TlsServer:
    return TlsServer(*certificates[name])


def client_at(server: MihuSimulator, base_url: str, sleeps: list[float]) -> MihuClient:
    return MihuClient(settings_for(server, base_url=base_url, max_attempts=5),
                      sleep=sleeps.append)


@pytest.fixture
def sim_for_settings() -> Iterator[MihuSimulator]:
    with MihuSimulator() as server:
        yield server


def test_tls_errors_are_configuration_errors() -> None:
    assert issubclass(MihuTlsError, MihuConfigError)
    assert not issubclass(MihuTlsError, MihuTransportError)


def test_https_to_a_plain_http_server_is_a_configuration_error_tried_once(
        sim: MihuSimulator) -> None:
    """The issue's case: it used to say "no response ... (TLS error)", retried 5 times,
    and the create guard advised waiting for the API to answer."""
    base_url = sim.base_url.replace("http://", "https://")
    sleeps: list[float] = []
    with pytest.raises(MihuTlsError) as info:
        client_at(sim, base_url, sleeps).get(COLLECTION)
    match = re.fullmatch(
        rf"Mihu API GET /api/v1{COLLECTION}: the TLS \(https\) connection to "
        rf"{re.escape(base_url)} \(settings from the code\) failed: the server does not speak "
        r"TLS there \((\w+): a plain-HTTP server at an https:// URL answers so\)\. (.*)",
        str(info.value))
    assert match, str(info.value)
    assert match[2] == ADVICE
    assert "pulumi up` again" not in str(info.value) and "when the Mihu API" not in str(
        info.value)
    assert sim.state.tcp_connections == 1 and sleeps == []
    assert sim.requests == []


def refused_once(sim: MihuSimulator, certificates: dict[str, tuple[Path, Path]], name: str,
                 call: Callable[[MihuClient], object]) -> tuple[str, str]:
    """``call`` against a TLS server presenting certificate ``name``: it must fail with a
    MihuTlsError after one connection and no retry pause; the base URL and the message."""
    sleeps: list[float] = []
    with tls_server(certificates, name) as server:
        base_url = f"https://127.0.0.1:{server.port}"
        with pytest.raises(MihuTlsError) as info:
            call(client_at(sim, base_url, sleeps))
        assert server.accepted == 1 and sleeps == []
    return base_url, str(info.value)


def test_an_untrusted_certificate_is_a_configuration_error_tried_once(
        sim_for_settings: MihuSimulator, certificates: dict[str, tuple[Path, Path]]) -> None:
    base_url, message = refused_once(sim_for_settings, certificates, "loopback",
                                     lambda client: client.post(COLLECTION, {"name": "x"}))
    assert message == (
        f"Mihu API POST /api/v1{COLLECTION}: the TLS (https) connection to {base_url} "
        "(settings from the code) failed: the server's certificate was refused (self-signed "
        f"certificate). {ADVICE}")


def test_the_ca_bundle_variables_make_the_certificate_trusted(
        sim_for_settings: MihuSimulator, certificates: dict[str, tuple[Path, Path]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the error advises works: REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) naming the
    certificate makes the same server answer."""
    cert, _key = certificates["loopback"]
    for variable in CA_BUNDLE_VARIABLES:
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        monkeypatch.setenv(variable, str(cert))
        with tls_server(certificates, "loopback") as server:
            client = client_at(sim_for_settings, f"https://127.0.0.1:{server.port}", [])
            assert client.get(COLLECTION) == {"success": True, "data": []}, variable


def test_a_certificate_for_another_host_is_a_configuration_error_tried_once(
        sim_for_settings: MihuSimulator, certificates: dict[str, tuple[Path, Path]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Trusted (it is in the CA bundle) but issued for api.elsewhere.test."""
    cert, _key = certificates["elsewhere"]
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    base_url, message = refused_once(sim_for_settings, certificates, "elsewhere",
                                     lambda client: client.get(COLLECTION))
    assert message == (
        f"Mihu API GET /api/v1{COLLECTION}: the TLS (https) connection to {base_url} "
        "(settings from the code) failed: the server's certificate was refused (IP address "
        f"mismatch, certificate is not valid for '127.0.0.1'). {ADVICE}")


def test_a_ca_bundle_that_is_not_pem_is_a_configuration_error(
        sim_for_settings: MihuSimulator, certificates: dict[str, tuple[Path, Path]],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("not a certificate\n")
    monkeypatch.setenv("CURL_CA_BUNDLE", str(bundle))
    with tls_server(certificates, "loopback") as server, pytest.raises(MihuTlsError) as info:
        client_at(sim_for_settings, f"https://127.0.0.1:{server.port}", []).get(COLLECTION)
    assert re.search(r" failed: the CA bundle could not be read \(\w+\)\. This is a "
                     "configuration error", str(info.value)), str(info.value)


def test_a_tls_connection_cut_short_stays_a_transport_error() -> None:
    """An EOF in the middle of TLS is a dropped connection like any other (retried per the
    usual rules), not a configuration error."""
    import requests

    from pulumi_mihu.client import _tls_problem

    eof = requests.exceptions.SSLError(ssl.SSLEOFError(8, "EOF occurred in violation of "
                                                          "protocol"))
    assert _tls_problem(eof) is None
    assert _tls_problem(requests.exceptions.ConnectionError("reset")) is None
    def do_handshake() -> None:  # where the ssl module raises a handshake's errors
        raise ssl.SSLError(1, "[SSL] sslv3 alert")

    try:
        do_handshake()
    except ssl.SSLError as error:
        handshake = requests.exceptions.SSLError(error)
    assert _tls_problem(handshake) == "TLS handshake failed (SSLError)"
    # The same error raised reading an answer (the request may have been sent): no.
    assert _tls_problem(requests.exceptions.SSLError(ssl.SSLError(1, "[SSL] alert"))) is None
