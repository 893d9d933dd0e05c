"""A small TCP relay for the network-fault tests: this kernel has no netem, so delay is added here.

`Relay(listen, target, delay)` accepts on `listen` (HOST, PORT) and forwards each connection to
`target`; bytes from the target are held `delay` seconds before they are passed on (every answer
arrives late, order kept). `blackhole = True` accepts and forwards nothing (a peer that hangs).
"""

from __future__ import annotations

import queue
import socket
import threading
import time


class Relay:
    def __init__(self, listen: tuple[str, int], target: tuple[str, int], delay: float = 0.0) -> None:
        self.target, self.delay, self.blackhole = target, delay, False
        self.sock = socket.create_server(listen, reuse_port=False)
        self.sock.settimeout(0.2)
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self._open.append(client)
            if self.blackhole:
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._open.append(upstream)
            threading.Thread(target=self._pipe, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, self.delay), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, delay: float) -> None:
        held: queue.Queue[tuple[float, bytes]] = queue.Queue()

        def later() -> None:
            while True:
                due, data = held.get()
                if not data:
                    break
                time.sleep(max(0.0, due - time.monotonic()))
                try:
                    dst.sendall(data)
                except OSError:
                    break
            _close(dst)
        sender = threading.Thread(target=later, daemon=True)
        sender.start()
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            held.put((time.monotonic() + delay, data))
            if not data:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
        for s in self._open:
            _close(s)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
