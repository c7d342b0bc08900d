"""Starting the marking server: the socket, the token, what is printed, and uvicorn.

The socket is bound here, before uvicorn starts, so that a port in use is one clear error and a
port of 0 (any free one, which the tests use) is known before the address is printed.
"""

from __future__ import annotations

import importlib.util
import secrets
import socket
import sys
import threading
from pathlib import Path
from typing import Self, TextIO

from ..errors import InputError
from .security import is_loopback

INSTALL = "pip install 'grader[serve]'"


def missing_stack() -> str | None:
    """Why `grader serve` cannot run here (Starlette or uvicorn not installed), or None."""
    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return f"grader serve needs {' and '.join(missing)}, which are not installed: {INSTALL}"


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise InputError(f"--host {host!r} is not an address this machine can listen on ({exc.strerror})") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another port with --port") from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


class Server:
    """The app on a bound socket, run in the foreground (`run`) or in a thread (`start`/`stop`)."""

    def __init__(self, out: Path, host: str = "127.0.0.1", port: int = 8765, exercise: str | None = None,
                 token: str | None = None) -> None:
        import uvicorn

        from .app import build
        from .book import Book
        from .outputs import Outputs

        self.book = Book(out, exercise)
        self.host = host
        self.token = token or secrets.token_urlsafe(24)
        self.sock = _bind(host, port)
        self.port = int(self.sock.getsockname()[1])
        self.loopback = is_loopback(host)
        self.outputs = Outputs(self.book)
        app = build(self.book, self.token, port=self.port, loopback_only=self.loopback, outputs=self.outputs)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=3, server_header=False)
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/?token={self.token}"

    def announce(self, stream: TextIO) -> None:
        results = self.book.results()
        print(f"Marking {self.book.exercise} ({len(results)} students) from {self.book.out}. Open:\n\n"
              f"    {self.url}\n", file=stream)
        print("The address holds the access token: whoever has it can read and change every mark. "
              "Ctrl+C stops the server.", file=stream)
        if not self.loopback:
            print(f"warning: listening on {self.host}, not on this machine's loopback address: anyone who can reach "
                  f"port {self.port} of this machine can try to connect, and the pages, the marks and the token "
                  "travel unencrypted (plain HTTP). Prefer the default 127.0.0.1 and an SSH tunnel "
                  f"(ssh -L {self.port}:127.0.0.1:{self.port} this-machine).", file=sys.stderr)

    def run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.close()

    def start(self) -> Self:
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the marking server did not start")
            self._thread.join(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.close()

    def close(self) -> None:
        self.outputs.close()
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(out: Path, host: str = "127.0.0.1", port: int = 8765, exercise: str | None = None) -> None:
    server = Server(out, host, port, exercise)
    server.announce(sys.stdout)
    sys.stdout.flush()
    server.run()
