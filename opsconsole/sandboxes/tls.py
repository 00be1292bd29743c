"""A local certificate authority and server certificate for sandboxes served over HTTPS.

`simple-salesforce` always builds `https://` URLs, so the CRM sandbox needs TLS even on
loopback. The CA and the certificate are created once with trustme and kept in the state
directory, so clients that trusted the CA file keep working after a restart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme

from opsconsole.serve import TLSFiles

SERVER_NAMES = ("127.0.0.1", "localhost", "::1")

_CA_FILE = "sandbox-ca.pem"
_CA_KEY_FILE = "sandbox-ca.key"
_CERT_FILE = "sandbox-server.pem"
_KEY_FILE = "sandbox-server.key"


@dataclass(frozen=True)
class LocalTLS:
    """The CA bundle clients trust and the certificate files the server presents."""

    ca_file: Path
    server: TLSFiles


def local_tls(state_dir: Path) -> LocalTLS:
    """Return the sandbox CA and server certificate in `state_dir`, creating them if absent."""
    tls_dir = Path(state_dir) / "tls"
    files = LocalTLS(
        ca_file=tls_dir / _CA_FILE,
        server=TLSFiles(certfile=tls_dir / _CERT_FILE, keyfile=tls_dir / _KEY_FILE),
    )
    if not all(path.is_file() for path in _paths(files, tls_dir)):
        _create(files, tls_dir)
    return files


def _paths(files: LocalTLS, tls_dir: Path) -> list[Path]:
    return [files.ca_file, tls_dir / _CA_KEY_FILE, files.server.certfile, files.server.keyfile]


def _create(files: LocalTLS, tls_dir: Path) -> None:
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="opsconsole sandbox")
    cert = ca.issue_cert(*SERVER_NAMES)
    files.ca_file.write_bytes(ca.cert_pem.bytes())
    _write_private(tls_dir / _CA_KEY_FILE, ca.private_key_pem.bytes())
    files.server.certfile.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    _write_private(files.server.keyfile, cert.private_key_pem.bytes())


def _write_private(path: Path, data: bytes) -> None:
    # Create with 0600 from the start, so the key is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)
