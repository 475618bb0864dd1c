"""A TLS-terminating proxy on 127.0.0.1 in front of the local API, for clients that insist on
``https://`` (PagerDuty's own). The certificate is made at start by trustme, for 127.0.0.1
only, from a throwaway certificate authority that only the test's clients trust; nothing is
written outside a temporary folder, and everything stops when the ``with`` block ends.

    client ──TLS──▶ 127.0.0.1:<proxy port> ──plain TCP──▶ 127.0.0.1:<API port>
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import tempfile
import threading
from pathlib import Path
from types import TracebackType

import trustme

_CHUNK = 65536


class TlsProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._authority = trustme.CA()
        self._certificate = self._authority.issue_cert("127.0.0.1")
        self._folder = tempfile.TemporaryDirectory(prefix="tocsin-tls-")
        self.ca_file = str(Path(self._folder.name) / "ca.pem")
        self._authority.cert_pem.write_to_path(self.ca_file)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"https://127.0.0.1:{self.port}"
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def client_context(self) -> ssl.SSLContext:
        """What a client trusts: the throwaway authority, and nothing else."""
        return ssl.create_default_context(cafile=self.ca_file)

    def __enter__(self) -> TlsProxy:
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._certificate.configure_cert(server)
        self._server_context = server
        self._spawn(self._accept_loop)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        _close(self._listener)
        with self._lock:
            for open_socket in self._sockets:
                _close(open_socket)
        for thread in self._threads:
            thread.join(timeout=5)
        self._folder.cleanup()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed: stop
            self._spawn(self._serve, raw)

    def _serve(self, raw: socket.socket) -> None:
        try:
            secure = self._server_context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            _close(raw)  # a client that does not trust the authority: its handshake fails
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
        except OSError:
            _close(secure)
            return
        with self._lock:
            self._sockets += [secure, upstream]
        back = self._spawn(_pump, upstream, secure)
        _pump(secure, upstream)
        back.join(timeout=30)

    def _spawn(self, target: object, *arguments: object) -> threading.Thread:
        thread = threading.Thread(target=target, args=arguments, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)
        return thread


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes one way until either side closes; then close both."""
    try:
        while chunk := source.recv(_CHUNK):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(open_socket: socket.socket) -> None:
    """Shut down, then close: closing alone does not wake a thread blocked in its accept or
    recv on Linux, and stopping would wait out each thread's join timeout."""
    with contextlib.suppress(OSError):
        open_socket.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        open_socket.close()
