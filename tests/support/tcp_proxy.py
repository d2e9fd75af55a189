"""A TCP proxy that can play an outage of what is behind it (PostgreSQL, Redis).

    proxy = TcpProxy("127.0.0.1", 5432).start()    # DATABASE_URL=…@127.0.0.1:{proxy.port}/…
    proxy.cut()       # every connection through it is dropped, new ones are refused
    proxy.restore()   # it listens again, on the same port
    proxy.freeze()    # connections stay open (and new ones are taken) but nothing passes
    proxy.thaw()      # what was held passes on

A cut looks to the processes behind the proxy like the server going away: their open
connections end without a goodbye and connecting again is refused. A freeze looks like a server
that hangs (stopped with SIGSTOP, a network that drops packets): connecting works, answers never
come, and only the clients' own timeouts end the wait. The server itself (shared
with others) is never touched; it sees its clients hang up and ends their transactions.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, *, port: int = 0):
        self.target = (target_host, target_port)
        self.port = port
        self.connections_cut = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._flowing = threading.Event()
        self._flowing.set()

    # -- control ------------------------------------------------------------------------------

    def start(self) -> TcpProxy:
        self._listen()
        return self

    @property
    def is_cut(self) -> bool:
        return self._listener is None

    def cut(self) -> int:
        """Stop listening and drop every open connection; returns how many were dropped."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            _close(listener)
        for sock in sockets:
            _close(sock)
        dropped = len(sockets) // 2
        self.connections_cut += dropped
        return dropped

    def restore(self) -> None:
        """Listen again on the same port."""
        if self._listener is None:
            self._listen()

    def freeze(self) -> None:
        """Hold everything sent either way from now on (connections stay open)."""
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self.cut()
        self.thaw()  # the pumps waiting with held data find their sockets closed and end

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- inside -------------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(0.1)  # so that the accept loop notices a cut
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by cut()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            for sock in (client, upstream):
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _close(client)
                    _close(upstream)
                    return
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self._flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        # One side hung up (or the proxy was cut): the conversation is over for both.
        with self._lock:
            self._sockets.discard(source)
            self._sockets.discard(sink)
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    # shutdown() first: it wakes a thread blocked in recv()/accept() on the socket, close()
    # alone does not.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def free_port() -> int:
    """A TCP port nobody listens on now (for a server started next)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
