"""A TCP proxy in front of a real dependency that a test can switch to down or hung.

    proxy = FaultProxy("127.0.0.1", 6379).start()    # Redis, PostgreSQL, RabbitMQ, the action server
    ... point the server under test at proxy.port ...
    proxy.down()    # connections refused, open ones cut (a stopped service)
    proxy.hang()    # connections accepted, nothing ever answered (a hung service)
    proxy.up()      # back to normal

Real services stay untouched (other tests and sessions share them); only the path to them fails.
"""
from __future__ import annotations

import socket
import threading
from typing import List, Optional

from tests.support.servers import free_port


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, port: Optional[int] = None):
        self.upstream = (upstream_host, upstream_port)
        self.port = port or free_port()
        self.mode = "up"
        self._listener: Optional[socket.socket] = None
        self._connections: List[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    # -- control ------------------------------------------------------------------------------
    def start(self) -> "FaultProxy":
        self._listen()
        return self

    def up(self) -> None:
        self._set("up")

    def hang(self) -> None:
        self._set("hung")

    def down(self) -> None:
        self._set("down")

    def stop(self) -> None:
        self._stopped.set()
        self._close_listener()
        self._cut_connections()

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _set(self, mode: str) -> None:
        with self._lock:
            previous, self.mode = self.mode, mode
        self._cut_connections()  # whatever was open belonged to the previous mode
        if mode == "down":
            self._close_listener()
        elif previous == "down":
            self._listen()

    # -- plumbing -----------------------------------------------------------------------------
    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()

    def _cut_connections(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.append(conn)

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return  # listener closed
            self._track(client)
            if self.mode == "hung":
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self._track(upstream)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _swallow(conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, target):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
