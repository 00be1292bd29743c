"""Run ASGI apps on loopback in background threads, for the embedded stack and for tests."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from opsconsole.errors import ConfigError

_START_TIMEOUT_SECONDS = 15.0
_GRACEFUL_SHUTDOWN_SECONDS = 2


@dataclass
class TLSFiles:
    """Paths of a PEM certificate chain and its private key."""

    certfile: Path
    keyfile: Path


@dataclass
class RunningServer:
    """An ASGI app served by uvicorn in a daemon thread."""

    name: str
    url: str
    port: int
    _server: uvicorn.Server
    _thread: threading.Thread
    _socket: socket.socket = field(repr=False)

    def stop(self) -> None:
        """Ask the server to finish its requests and wait for the thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        # Signals belong to the main thread; the owner of the stack handles Ctrl-C.
        pass


def require_loopback(host: str, what: str) -> str:
    """Return `host` when it is a loopback address.

    The servers opsconsole starts have no authentication of their own (the ops API can replay
    dead letters), so they listen only on 127.0.0.1 or ::1.

    Raises:
        ConfigError: `host` is a name or a non-loopback address.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ConfigError(
            f"--host {host!r} is not a loopback address. {what} listens only on 127.0.0.1 or "
            "::1; put a reverse proxy with authentication in front of it to expose it."
        )
    return host


def reserve_port(host: str = "127.0.0.1", port: int = 0, *, name: str = "server") -> socket.socket:
    """Bind a listening socket now, so its port is known before the app that will use it exists.

    Raises:
        ConfigError: the port is taken.
    """
    return _bind(host, port, name)


def serve_in_thread(
    app: Any,
    *,
    name: str,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: TLSFiles | None = None,
    sock: socket.socket | None = None,
) -> RunningServer:
    """Start `app` on host:port (0 picks a free port) and return once it accepts requests.

    Pass `sock` from `reserve_port` to serve on a socket bound earlier; host and port are then
    taken from it.

    Raises:
        ConfigError: the port is taken or the server did not start in time.
    """
    if sock is None:
        sock = _bind(host, port, name)
    host, actual_port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ssl_certfile=str(tls.certfile) if tls else None,
        ssl_keyfile=str(tls.keyfile) if tls else None,
        ssl_cert_reqs=ssl.CERT_NONE,
        # An idle keep-alive TLS client would otherwise hold the shutdown until join() gives up.
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = _ThreadServer(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"serve-{name}", daemon=True
    )
    thread.start()
    _wait_started(server, thread, name)
    return RunningServer(
        name, url_for(sock, tls=tls is not None), actual_port, server, thread, sock
    )


def url_for(sock: socket.socket, *, tls: bool = False) -> str:
    """Return the base URL of a server listening on `sock`."""
    host, port = sock.getsockname()[:2]
    url_host = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{url_host}:{port}"


def _bind(host: str, port: int, name: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; with proto 0 it does
    # not, and Nagle plus delayed ACK add about 40 ms to every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"Cannot start {name} on {host}:{port}: {exc.strerror}. "
            f"Pick another port with the matching --*-port option."
        ) from exc
    sock.set_inheritable(True)
    return sock


def _wait_started(server: uvicorn.Server, thread: threading.Thread, name: str) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive():
            raise ConfigError(f"{name} stopped while starting; see the log above for the cause.")
        if time.monotonic() > deadline:
            raise ConfigError(f"{name} did not start within {_START_TIMEOUT_SECONDS:.0f} s.")
        time.sleep(0.01)
