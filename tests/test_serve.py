from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI

from opsconsole.errors import ConfigError
from opsconsole.serve import reserve_port, serve_in_thread


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app


def test_serve_in_thread_answers_and_stops() -> None:
    server = serve_in_thread(_app(), name="ping")
    with server:
        assert httpx.get(f"{server.url}/ping").json() == {"status": "ok"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/ping", timeout=1)


def test_serve_in_thread_reports_taken_port() -> None:
    with (
        serve_in_thread(_app(), name="first") as first,
        pytest.raises(ConfigError, match="Cannot start second"),
    ):
        serve_in_thread(_app(), name="second", port=first.port)


def test_reserved_port_is_served() -> None:
    sock = reserve_port()
    port = sock.getsockname()[1]
    with serve_in_thread(_app(), name="reserved", sock=sock) as server:
        assert server.port == port
        assert httpx.get(f"http://127.0.0.1:{port}/ping").json() == {"status": "ok"}


def test_reserved_socket_is_tcp_for_nodelay() -> None:
    # asyncio turns on TCP_NODELAY for accepted connections only on IPPROTO_TCP sockets.
    sock = reserve_port(name="nodelay")
    with sock:
        assert sock.proto == socket.IPPROTO_TCP


def test_stop_does_not_wait_for_idle_keep_alive_client() -> None:
    server = serve_in_thread(_app(), name="keep-alive")
    client = httpx.Client()
    assert client.get(f"{server.url}/ping").status_code == 200
    server.stop()
    client.close()

    assert not server._thread.is_alive()
