"""The release log after a crash left its last line torn (rule release.once): the next record is
appended on a line of its own, so a `released` record survives a restart, and a tail that is not
UTF-8 or not JSON is skipped, never an error (council.node.release.records.ReleaseLog)."""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from council.node.release.records import ReleaseLog

X = "ab" * 16
"""the request whose release must be remembered"""
EARLIER = "cd" * 16
"""a request released in the log before the crash"""


def _log_file(folder: Path, content: bytes) -> Path:
    path = folder / "log" / "releases.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _release(folder: Path, request_id: str = X) -> None:
    log = ReleaseLog(folder)
    assert log.claim_release(request_id)
    log.append(decision="released", reason="", request_id=request_id, key_id="k", epoch=0)
    log.close()


def _assert_released_once(folder: Path, request_id: str = X) -> None:
    """A restarted member (a new ReleaseLog) knows the release and refuses a second one."""
    log = ReleaseLog(folder)
    assert log.released(request_id)
    assert not log.claim_release(request_id)


def _sample_log() -> bytes:
    """A valid log of four records, as the member writes it (a release among refusals)."""
    with tempfile.TemporaryDirectory() as tmp:
        log = ReleaseLog(Path(tmp))
        log.append(decision="refused", reason="client certificate is not an operator's", request_id=None)
        log.append(decision="pending", reason="waiting period: 10 s left", request_id=EARLIER, epoch=0)
        log.append(decision="released", reason="", request_id=EARLIER, key_id="k", epoch=0)
        log.append(decision="refused", reason="already released", request_id=EARLIER, epoch=0)
        log.close()
        return log.path.read_bytes()


SAMPLE = _sample_log()


def test_release_after_a_torn_tail_survives_a_restart(tmp_path: Path) -> None:
    _log_file(tmp_path, b'{"decision": "refused", "reas')
    _release(tmp_path)
    _assert_released_once(tmp_path)
    lines = (tmp_path / "log" / "releases.jsonl").read_bytes().split(b"\n")
    assert lines[0] == b'{"decision": "refused", "reas'  # the fragment is left as it was, a line of its own
    assert json.loads(lines[1])["request_id"] == X


def test_a_garbage_tail_that_is_not_utf8_is_skipped(tmp_path: Path) -> None:
    first = json.dumps({"decision": "released", "request_id": EARLIER}).encode() + b"\n"
    _log_file(tmp_path, first + b"\xff\xfe{\"decis\xc3")
    log = ReleaseLog(tmp_path)
    assert log.entries() == [{"decision": "released", "request_id": EARLIER}]
    assert log.released(EARLIER) and not log.released(X)
    _release(tmp_path)
    _assert_released_once(tmp_path)
    _assert_released_once(tmp_path, EARLIER)


def test_lines_that_are_not_records_are_skipped_anywhere(tmp_path: Path) -> None:
    """Garbage in the middle, JSON that is not an object, blank lines: skipped, the rest is read."""
    rec = json.dumps({"decision": "released", "request_id": EARLIER}).encode()
    _log_file(tmp_path, b"\xff\xff\n5\n\n[1, 2]\n" + b"[" * 200 + b"\n" + rec + b"\n")
    assert ReleaseLog(tmp_path).entries() == [{"decision": "released", "request_id": EARLIER}]
    _assert_released_once(tmp_path, EARLIER)


def test_a_whole_last_line_gets_no_blank_line(tmp_path: Path) -> None:
    path = _log_file(tmp_path, SAMPLE)
    _release(tmp_path)
    data = path.read_bytes()
    assert data.startswith(SAMPLE) and b"\n\n" not in data
    assert data.count(b"\n") == SAMPLE.count(b"\n") + 1
    assert json.loads(data[len(SAMPLE):])["request_id"] == X


def test_a_new_log_starts_without_a_blank_line(tmp_path: Path) -> None:
    _release(tmp_path)
    data = (tmp_path / "log" / "releases.jsonl").read_bytes()
    assert data.count(b"\n") == 1 and data.endswith(b"\n") and json.loads(data)["request_id"] == X


def test_concurrent_first_appends_after_a_torn_tail_end_it_once(tmp_path: Path) -> None:
    """The torn line is ended once, before any record, whichever thread opens the file."""
    path = _log_file(tmp_path, b'{"decision": "pend')
    log = ReleaseLog(tmp_path)
    ids = [f"{i:032x}" for i in range(8)]
    threads = [threading.Thread(target=log.append, kwargs={"decision": "released", "request_id": i}) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    assert path.read_bytes().count(b"\n") == 1 + len(ids)
    for i in ids:
        _assert_released_once(tmp_path, i)


def _check_cut(folder: Path, cut: int, garbage: bytes) -> None:
    """SAMPLE cut after `cut` bytes (and `garbage` written after the cut), then a release of X."""
    prefix = SAMPLE[:cut] + garbage
    _log_file(folder, prefix)
    whole = [json.loads(line) for line in SAMPLE[:cut].split(b"\n")[:-1]]  # the lines that end before the cut
    _release(folder)
    _assert_released_once(folder)
    got = ReleaseLog(folder).entries()
    assert got[:len(whole)] == whole
    assert got[-1]["request_id"] == X and got[-1]["decision"] == "released"
    assert len(got) - len(whole) in (1, 2)  # at most the torn line itself, when it is still a whole record
    assert ReleaseLog(folder).released(EARLIER) == any(e.get("decision") == "released" for e in whole + got[-2:-1])


def test_every_cut_of_a_log_keeps_a_later_release() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for cut in range(len(SAMPLE) + 1):
            folder = Path(tmp) / str(cut)
            _check_cut(folder, cut, b"")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, len(SAMPLE)), garbage=st.binary(max_size=40).filter(lambda b: b"\n" not in b))
def test_any_cut_with_a_garbage_tail_keeps_a_later_release(cut: int, garbage: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _check_cut(Path(tmp), cut, garbage)


@pytest.mark.parametrize("tail", [b"", b"\n", b"{", b"\xff"])
def test_reading_never_raises(tmp_path: Path, tail: bytes) -> None:
    _log_file(tmp_path, SAMPLE + tail)
    log = ReleaseLog(tmp_path)
    assert len(log.entries()) == 4
    assert log.released(EARLIER) and not log.released(X)
