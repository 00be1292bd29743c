from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

from cryptography import x509

from opsconsole.sandboxes.tls import local_tls


def _names(certfile: Path) -> set[str]:
    cert = x509.load_pem_x509_certificates(certfile.read_bytes())[0]
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = set(sans.get_values_for_type(x509.DNSName))
    ips = {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    return dns | ips


def test_local_tls_covers_loopback_names(tmp_path: Path) -> None:
    files = local_tls(tmp_path)

    assert _names(files.server.certfile) == {
        "127.0.0.1",
        "localhost",
        str(ipaddress.ip_address("::1")),
    }


def test_local_tls_keys_are_private(tmp_path: Path) -> None:
    files = local_tls(tmp_path)

    keys = [files.server.keyfile, *files.ca_file.parent.glob("*.key")]
    assert len(keys) == 3
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_local_tls_reuses_existing_files(tmp_path: Path) -> None:
    first = local_tls(tmp_path)
    ca_pem = first.ca_file.read_bytes()
    cert_pem = first.server.certfile.read_bytes()

    second = local_tls(tmp_path)

    assert second == first
    assert second.ca_file.read_bytes() == ca_pem
    assert second.server.certfile.read_bytes() == cert_pem


def test_local_tls_recreates_when_a_file_is_missing(tmp_path: Path) -> None:
    first = local_tls(tmp_path)
    ca_pem = first.ca_file.read_bytes()
    first.server.keyfile.unlink()

    second = local_tls(tmp_path)

    assert second.server.keyfile.is_file()
    assert second.ca_file.read_bytes() != ca_pem
