"""The record pipeline of sealing (docs/dump-format.md, "Chunks"; decisions.md #113, #120, #134).

The calling thread encrypts each record into one of a few slot buffers. Hashing the records and
writing them are two tasks, each done in record order and one record at a time, and either
thread takes either: the worker prefers the next write, the calling thread (when it would
otherwise wait for a slot) the next hash. So a slow sink keeps the worker writing while the
caller encrypts and hashes, and a fast sink leaves the worker the hashing. Without a worker
(`slots == 1`) each record is hashed and written as it is pushed. The first failure stops every
later hash and write and is raised by the calling thread; closing joins the worker, so no buffer
is touched once the caller is back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import BinaryIO, Final, Protocol

from dumps.format import TAG_LEN

SEAL_SLOTS: Final = 4
"""Record buffers of a threaded seal (4 MiB at the default chunk size): slack for either thread
to fall a few records behind the other without making it wait."""


class _Hash(Protocol):
    def update(self, data: memoryview, /) -> object: ...


class _Lane:
    """One in-order task over the records, hashing or writing: what it does to a record, how many
    records it has done, and whether a thread is on one now (one at a time, in record order)."""

    __slots__ = ("run", "done", "busy")

    def __init__(self, run: Callable[[memoryview], object]) -> None:
        self.run, self.done, self.busy = run, 0, False


class SealPipeline:
    """Hashes and writes the records of one seal, in order, on two threads (or inline)."""

    def __init__(self, sink: BinaryIO, chunk_hash: _Hash, chunk_size: int, slots: int) -> None:
        self._sink, self._hash, self._slots = sink, chunk_hash, slots
        self._outs = [memoryview(bytearray(chunk_size + TAG_LEN)) for _ in range(slots)]
        self._records: list[memoryview] = list(self._outs)
        self._cv = threading.Condition()
        self._pushed = 0
        self._hashing, self._writing = _Lane(chunk_hash.update), _Lane(sink.write)
        self._closed = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="dump-hash", daemon=True) if slots > 1 else None
        if self._thread is not None:
            self._thread.start()

    def slot(self, length: int) -> memoryview:
        """The buffer for the next record (`length` bytes), once its previous record is hashed and
        written; the calling thread hashes or writes pending records meanwhile."""
        i = self._pushed
        if self._thread is not None and i >= self._slots:
            with self._cv:
                self._help_until(lambda: min(self._hashing.done, self._writing.done) > i - self._slots)
        return self._outs[i % self._slots][:length]

    def push(self, record: memoryview) -> None:
        """Queue the record just encrypted into `slot()`'s buffer for its hash and its write."""
        if self._thread is None:
            self._hash.update(record)
            self._sink.write(record)
            self._pushed += 1
            return
        with self._cv:
            self._records[self._pushed % self._slots] = record
            self._pushed += 1
            self._cv.notify_all()

    def drain(self) -> None:
        """Wait until every pushed record is hashed and written (helping meanwhile)."""
        if self._thread is not None:
            with self._cv:
                self._help_until(lambda: self._hashing.done == self._writing.done == self._pushed)

    def close(self) -> None:
        """Stop the worker after its current task and wait for it."""
        if self._thread is not None:
            with self._cv:
                self._closed = True
                self._cv.notify_all()
            self._thread.join()

    def __enter__(self) -> SealPipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _help_until(self, done: Callable[[], bool]) -> None:
        """With the lock held: hash the next record whenever no one is hashing, else write the next
        whenever no one is writing, until `done()`; raise the first failure of either thread."""
        while True:
            if self._error is not None:
                raise self._error
            if done():
                return
            if not self._take_one((self._hashing, self._writing)):
                self._cv.wait()

    def _take_one(self, lanes: tuple[_Lane, ...]) -> bool:
        """With the lock held: run the next record of the first lane with one free; False if none."""
        for lane in lanes:
            if not lane.busy and lane.done < self._pushed:
                self._run_next(lane)
                return True
        return False

    def _run_next(self, lane: _Lane) -> None:
        """With the lock held: run `lane` on its next record with the lock released meanwhile."""
        record = self._records[lane.done % self._slots]
        lane.busy = True
        self._cv.release()
        failure: BaseException | None = None
        try:
            lane.run(record)
        except BaseException as exc:  # recorded for both threads: no later record is hashed or written
            failure = exc
        finally:
            self._cv.acquire()
        lane.busy = False
        if failure is None:
            lane.done += 1
        else:
            self._error = self._error or failure
        self._cv.notify_all()
        if failure is not None and not isinstance(failure, Exception):
            raise failure

    def _work(self) -> None:
        """The worker: write the next record when no one is writing, else hash the next one."""
        with self._cv:
            while not self._closed and self._error is None:
                if not self._take_one((self._writing, self._hashing)):
                    self._cv.wait()
            self._cv.notify_all()
