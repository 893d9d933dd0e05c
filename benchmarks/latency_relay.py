"""A TCP relay that adds a fixed delay each way, for ceremonies with injected latency.

This kernel has no netem (tests/netfaults/relay.py says the same), so the delay is added here, in a
process of its own so that it takes no time from the driver's interpreter:

    python -m benchmarks.latency_relay DELAY_SECONDS LISTEN_PORT:TARGET_PORT ...

Every port is on 127.0.0.1. Each chunk read on one side is written to the other `DELAY_SECONDS`
after it was read, in order (bandwidth is not limited). The relay prints `ready` once it listens on
every port, and exits when its parent does or on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import sys

HOST = "127.0.0.1"


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy reader to writer, each chunk `delay` seconds after it was read."""
    loop = asyncio.get_running_loop()
    held: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send_later() -> None:
        while True:
            due, data = await held.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send_later())
    try:
        while True:
            data = await reader.read(1 << 16)
            held.put_nowait((loop.time() + delay, data))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()
    finally:
        writer.close()


def _handler(target: int, delay: float):  # type: ignore[no-untyped-def]
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection(HOST, target)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_pipe(client_r, up_w, delay), _pipe(up_r, client_w, delay),
                             return_exceptions=True)
    return handle


async def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        await asyncio.sleep(0.5)


async def serve(delay: float, pairs: list[tuple[int, int]]) -> None:
    """Listen on every LISTEN_PORT until the parent process exits."""
    parent = os.getppid()
    servers = [await asyncio.start_server(_handler(target, delay), HOST, listen) for listen, target in pairs]
    print("ready", flush=True)
    try:
        await _watch_parent(parent)
    finally:
        for server in servers:
            server.close()


def parse(argv: list[str]) -> tuple[float, list[tuple[int, int]]]:
    """DELAY LISTEN:TARGET ...; SystemExit with the argument at fault otherwise."""
    if argv[:1] in (["--help"], ["-h"]):
        print("usage: python -m benchmarks.latency_relay DELAY_SECONDS LISTEN_PORT:TARGET_PORT ...\n\n"
              + (__doc__ or "").strip().split("\n")[0])
        raise SystemExit(0)
    if len(argv) < 2:
        raise SystemExit("usage: python -m benchmarks.latency_relay DELAY_SECONDS LISTEN_PORT:TARGET_PORT ...")
    try:
        delay = float(argv[0])
        pairs = [(int(a), int(b)) for a, b in (p.split(":") for p in argv[1:])]
    except ValueError as exc:
        raise SystemExit(f"latency_relay: bad argument ({exc}); expected DELAY then LISTEN:TARGET ports") from exc
    return delay, pairs


if __name__ == "__main__":
    asyncio.run(serve(*parse(sys.argv[1:])))
