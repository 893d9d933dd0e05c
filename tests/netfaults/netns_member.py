"""`python netns_member.py NS HANG -m council.localnet.member_process serve ...`: a member process in
network namespace NS (entered with setns(2) before anything else runs), optionally one that
answers only every other call and hangs on the rest (HANG = "half").

Used by test_netns.py; started through council.localnet's MemberProcesses like every member.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import runpy
import sys
import threading
from typing import Any

CLONE_NEWNET = 0x40000000


def enter(ns: str) -> None:
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns}")
    finally:
        os.close(fd)


def half_hang() -> None:
    """Every second call on the member's server blocks forever (its worker thread is lost)."""
    import grpc

    counter, lock, forever = itertools.count(), threading.Lock(), threading.Event()

    class HalfHang(grpc.ServerInterceptor):  # type: ignore[misc]
        def intercept_service(self, continuation: Any, details: Any) -> Any:
            handler = continuation(details)
            if handler is None or handler.unary_unary is None or "Health" in details.method:
                return handler
            inner = handler.unary_unary

            def behaviour(request: Any, context: Any) -> Any:
                with lock:
                    n = next(counter)
                if n % 2:
                    forever.wait()
                return inner(request, context)
            return grpc.unary_unary_rpc_method_handler(behaviour, handler.request_deserializer,
                                                       handler.response_serializer)

    real = grpc.server

    def server(*args: Any, **kwargs: Any) -> Any:
        kwargs["interceptors"] = [*kwargs.get("interceptors", ()), HalfHang()]
        return real(*args, **kwargs)
    grpc.server = server


def main() -> None:
    ns, hang, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    enter(ns)
    if hang == "half":
        half_hang()
    assert rest[0] == "-m"
    sys.argv = [rest[1], *rest[2:]]
    runpy.run_module(rest[1], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
