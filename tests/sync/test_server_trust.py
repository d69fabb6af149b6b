"""Plain http only on loopback unless the operator allowed it, and a pinned certificate or nothing.

The refusals must come before any connection: a transport that fails the test stands in for the
network wherever nothing may be sent. The pinning tests run `kiosk-server serve` behind TLS on
127.0.0.1 with certificates made by openssl for the test.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from kiosk.bootstrap import open_kiosk
from kiosk.cli import cli
from kiosk.store.records import set_meta
from kiosk.store.sync_state import SERVER_URL, enrollment
from sync.server.cli import cli as server_cli
from tests.sync.fake_server import FakeServer

OFF_MACHINE = "http://10.20.30.40:8080"  # never contacted: every test here refuses it first


def kiosk_cli(*args: str, data_dir: Path | None = None) -> object:
    where = ["--data-dir", str(data_dir)] if data_dir else []
    return CliRunner().invoke(cli, [*args, *where, "--lang", "en"], catch_exceptions=False)


def no_network(trust: object = None) -> httpx.Client:
    def refuse(request: httpx.Request) -> httpx.Response:
        pytest.fail(f"a connection was attempted to {request.url.host}")

    return httpx.Client(transport=httpx.MockTransport(refuse))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kiosk.services.sync.build_http_client", no_network)


@pytest.fixture
def network(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    """Whatever address is asked for, the in-memory server answers: nothing leaves the machine."""
    monkeypatch.setattr("kiosk.services.sync.build_http_client", server.http)
    return server


def test_enrolling_over_plain_http_to_another_machine_is_refused_before_any_connection(
    kiosk, offline
):
    result = kiosk_cli("enroll", "--server", OFF_MACHINE, "--code", "ENROLL-1234")
    assert result.exit_code == 1
    assert "plain http://" in result.output and "10.20.30.40" in result.output
    assert "--allow-plain-http" in result.output
    assert enrollment(kiosk.db) is None


def test_the_refusal_is_said_in_indonesian_by_default(kiosk, offline):
    result = CliRunner().invoke(
        cli, ["enroll", "--server", OFF_MACHINE, "--code", "ENROLL-1234"], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "http:// biasa" in result.output


@pytest.mark.parametrize(
    "address",
    ["http://127.0.0.1:8080", "http://127.9.8.7", "http://localhost:9000", "http://[::1]:8000"],
)
def test_plain_http_on_this_machine_enrolls_without_a_warning(kiosk, network, address):
    result = kiosk_cli("enroll", "--server", address, "--code", "ENROLL-1234")
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    enrolled = enrollment(kiosk.db)
    assert enrolled.server_url == address and not enrolled.allow_plain_http  # none was needed


def test_the_operator_flag_allows_plain_http_and_every_sync_warns_again(kiosk, network):
    result = kiosk_cli(
        "enroll", "--server", OFF_MACHINE, "--code", "ENROLL-1234", "--allow-plain-http"
    )
    assert result.exit_code == 0, result.output
    assert "Warning: sync with 10.20.30.40:8080 uses plain http" in result.output
    assert enrollment(kiosk.db).allow_plain_http
    for _ in range(2):
        synced = kiosk_cli("sync")
        assert synced.exit_code == 0, synced.output
        assert "Warning: sync with 10.20.30.40:8080 uses plain http" in synced.output
    indonesian = CliRunner().invoke(cli, ["sync"], catch_exceptions=False)
    assert "Peringatan" in indonesian.output


def test_a_sync_to_a_stored_plain_http_address_is_refused_before_any_connection(
    kiosk, network, monkeypatch
):
    assert (
        kiosk_cli("enroll", "--server", "https://lengkap.test", "--code", "ENROLL-1234").exit_code
        == 0
    )
    set_meta(kiosk.db, SERVER_URL, OFF_MACHINE)  # e.g. enrolled by a kiosk before this rule
    monkeypatch.setattr("kiosk.services.sync.build_http_client", no_network)
    result = kiosk_cli("sync")
    assert result.exit_code == 1
    assert "plain http://" in result.output and "Warning" not in result.output


def test_a_new_enrolment_does_not_inherit_the_old_ones_permission(kiosk, network):
    kiosk_cli("enroll", "--server", OFF_MACHINE, "--code", "ENROLL-1234", "--allow-plain-http")
    network.codes.add("ENROLL-5678")
    again = kiosk_cli(
        "enroll", "--server", "https://lengkap.test", "--code", "ENROLL-5678", "--force"
    )
    assert again.exit_code == 0, again.output
    assert not enrollment(kiosk.db).allow_plain_http


def test_a_pin_that_is_not_a_sha256_is_a_usage_error_and_nothing_is_stored(kiosk, offline):
    result = kiosk_cli(
        "enroll", "--server", "https://lengkap.test", "--code", "ENROLL-1234", "--pin-sha256", "abc"
    )
    assert result.exit_code == 2
    assert "64 hex digits" in result.output
    assert enrollment(kiosk.db) is None


def test_a_pin_on_a_plain_http_address_is_refused(kiosk, offline):
    result = kiosk_cli(
        "enroll", "--server", "http://127.0.0.1:8080", "--code", "ENROLL-1234",
        "--pin-sha256", "ab" * 32,
    )  # fmt: skip
    assert result.exit_code == 1
    assert enrollment(kiosk.db) is None


# -- a real server behind TLS on 127.0.0.1 ------------------------------------------------------


def make_certificate(folder: Path, name: str) -> tuple[Path, Path, str]:
    """A self-signed certificate for 127.0.0.1; (certificate, key, SHA-256 as openssl prints it)."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    printed = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return cert, key, printed.strip().split("=", 1)[1]  # "AB:CD:..."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving_tls(data_dir: Path, cert: Path, key: Path, port: int) -> Iterator[str]:
    command = [sys.executable, "-m", "sync.server", "serve", "--port", str(port),
               "--tls-cert", str(cert), "--tls-key", str(key), "--data-dir", str(data_dir),
               "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"https://127.0.0.1:{port}"
    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/health", verify=unverified).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            pytest.fail("the TLS server did not start")
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=10)


def enrolment_code(server_dir: Path) -> str:
    added = CliRunner().invoke(
        server_cli,
        [
            "device",
            "add",
            "loket-tls",
            "--area",
            "31.74",
            "--data-dir",
            str(server_dir),
            "--lang",
            "en",
        ],
        catch_exceptions=False,
    )
    return re.search(r"Enrolment code for .+?: (.+)", added.output).group(1).strip()


needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="openssl is not installed"
)


@needs_openssl
def test_a_pinned_certificate_enrols_a_wrong_pin_stores_nothing_and_a_changed_one_is_refused(
    tmp_path,
):
    server_dir, device = tmp_path / "server", tmp_path / "kiosk"
    cert, key, printed_pin = make_certificate(tmp_path, "office")
    other_cert, other_key, _ = make_certificate(tmp_path, "impostor")
    port = free_port()
    with serving_tls(server_dir, cert, key, port) as url:
        code = enrolment_code(server_dir)
        # Self-signed and not pinned: no public authority vouches for it.
        unpinned = kiosk_cli("enroll", "--server", url, "--code", code, data_dir=device)
        assert unpinned.exit_code == 1, unpinned.output
        wrong = kiosk_cli(
            "enroll", "--server", url, "--code", code, "--pin-sha256", "00" * 32, data_dir=device
        )
        assert wrong.exit_code == 1, wrong.output
        assert "different certificate from the one pinned" in wrong.output
        assert _enrolled(device) is None
        right = kiosk_cli(
            "enroll", "--server", url, "--code", code, "--pin-sha256", printed_pin, data_dir=device
        )
        assert right.exit_code == 0, right.output
        synced = kiosk_cli("sync", data_dir=device)
        assert synced.exit_code == 0, synced.output
    with serving_tls(server_dir, other_cert, other_key, port):
        refused = kiosk_cli("sync", data_dir=device)
        assert refused.exit_code == 1, refused.output
        assert "different certificate from the one pinned" in refused.output


@needs_openssl
def test_a_pin_given_in_base64_is_the_same_pin(tmp_path):
    server_dir, device = tmp_path / "server", tmp_path / "kiosk"
    cert, key, printed_pin = make_certificate(tmp_path, "office")
    as_base64 = base64.b64encode(bytes.fromhex(printed_pin.replace(":", ""))).decode()
    with serving_tls(server_dir, cert, key, free_port()) as url:
        code = enrolment_code(server_dir)
        result = kiosk_cli(
            "enroll", "--server", url, "--code", code, "--pin-sha256", as_base64, data_dir=device
        )
        assert result.exit_code == 0, result.output


@needs_openssl
def test_an_office_authority_given_at_enrolment_is_trusted_on_every_sync(tmp_path):
    server_dir, device = tmp_path / "server", tmp_path / "kiosk"
    cert, key, _ = make_certificate(tmp_path, "office")
    with serving_tls(server_dir, cert, key, free_port()) as url:
        code = enrolment_code(server_dir)
        result = kiosk_cli(
            "enroll", "--server", url, "--code", code, "--trust-ca", str(cert), data_dir=device
        )
        assert result.exit_code == 0, result.output
        synced = kiosk_cli("sync", data_dir=device)
        assert synced.exit_code == 0, synced.output


def test_a_trust_ca_file_without_a_certificate_is_a_usage_error(kiosk, offline, tmp_path):
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate\n")
    result = kiosk_cli(
        "enroll",
        "--server",
        "https://lengkap.test",
        "--code",
        "ENROLL-1234",
        "--trust-ca",
        str(junk),
    )
    assert result.exit_code == 2
    assert "holds no PEM certificate" in result.output
    assert enrollment(kiosk.db) is None


def _enrolled(data_dir: Path) -> object:
    opened = open_kiosk(data_dir)
    try:
        return enrollment(opened.db)
    finally:
        opened.close()


def test_the_pin_is_the_sha256_of_the_certificate_as_openssl_prints_it():
    from sync.trust import certificate_pin, normalise_pin

    der = b"any certificate bytes"
    expected = hashlib.sha256(der).hexdigest()
    assert certificate_pin(der) == expected
    printed = ":".join(expected[i : i + 2] for i in range(0, 64, 2)).upper()
    assert normalise_pin(printed) == expected
