"""libcrypto's P-256 multiplications (`council.crypto.libcrypto`) against pycryptodome's and the
bucket method of `msm`, which they replace where libcrypto 3 is installed."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from council.crypto import libcrypto
from council.crypto.group import P256, Point, Q, Scalar
from council.crypto.msm import _in_libcrypto, msm, native_is_cheaper

G = P256.generator
BASE = [G, G + G, P256.base_mul(Scalar(12345)), -G, -(G + G), P256.base_mul(Scalar(Q - 2))]
LINUX_LIBCRYPTO = any(Path(d, "libcrypto.so.3").exists()
                      for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"))
needs_libcrypto = pytest.mark.skipif(not libcrypto.AVAILABLE, reason="libcrypto 3 not on this machine")
scalars = st.integers(0, Q - 1) | st.sampled_from([0, 1, 2, Q - 1, Q - 2, Q // 2])


def pycryptodome_mul(p: Point, k: int) -> Point:
    """The same product in pycryptodome alone (what `*` did before libcrypto)."""
    return Point(p._p * k)


def test_libcrypto_is_found_where_the_machine_has_it() -> None:
    """Where libcrypto 3 is installed (CI, the demo machines) it is used, not silently skipped."""
    if not LINUX_LIBCRYPTO:
        pytest.skip("no libcrypto.so.3 in the usual Linux places: pycryptodome does the work")
    assert libcrypto.AVAILABLE


@needs_libcrypto
@settings(max_examples=60, deadline=None)
@given(scalars, st.integers(0, len(BASE) - 1))
def test_secret_multiplication_matches_pycryptodome(k: int, which: int) -> None:
    p = BASE[which]
    assert p * Scalar(k) == pycryptodome_mul(p, k)
    assert p.mul_public(Scalar(k)) == pycryptodome_mul(p, k)
    assert P256.base_mul(Scalar(k)) == pycryptodome_mul(G, k)


@needs_libcrypto
def test_products_are_checked_points_and_zero_gives_the_identity() -> None:
    r = BASE[2] * Scalar(2**200 + 1)
    assert Point.from_bytes(r.to_bytes()) == r and Point.from_uncompressed(r.to_uncompressed()) == r
    assert libcrypto.multiply_secret(BASE[2].to_uncompressed(), bytes(32)) is None
    assert (BASE[2] * Scalar(0)).is_identity() and P256.base_mul(Scalar(0)).is_identity()
    assert (Point.identity() * Scalar(5)).is_identity()


@needs_libcrypto
def test_bad_input_is_refused() -> None:
    off_curve = b"\x04" + (1).to_bytes(32, "big") + (1).to_bytes(32, "big")
    with pytest.raises(ValueError, match="refused a point"):
        libcrypto.multiply_secret(off_curve, (5).to_bytes(32, "big"))
    with pytest.raises(ValueError, match="refused a point"):
        libcrypto.multiply_public([G.to_uncompressed(), off_curve], [1, 2])
    with pytest.raises(ValueError, match="32 bytes"):
        libcrypto.multiply_secret(G.to_uncompressed(), b"\x05")
    with pytest.raises(ValueError, match="as many scalars as points"):
        libcrypto.multiply_public([G.to_uncompressed()], [])


@needs_libcrypto
@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(-(2**70), 2**70) | st.integers(0, Q + 5) | st.sampled_from([Q - 1, Q // 2, Q]),
                          st.integers(0, len(BASE) - 1)), min_size=0, max_size=50))
def test_multi_scalar_multiplication_matches_the_bucket_method(terms: list[tuple[int, int]]) -> None:
    """Any scalars (zero, q, negative, above q) on equal, opposite and other points, sums that
    cancel to the identity included."""
    ks, points = [k % Q for k, _ in terms], [BASE[i] for _, i in terms]
    assert _in_libcrypto(list(zip(ks, points, strict=True))) == msm(ks, points, native=False)


@needs_libcrypto
def test_sums_that_cancel_give_the_identity_and_identity_points_are_left_out() -> None:
    p = P256.base_mul(Scalar(77))
    assert _in_libcrypto([(5, p), (5, -p)]).is_identity()
    assert _in_libcrypto([]).is_identity()
    assert _in_libcrypto([(3, Point.identity()), (9, p)]) == pycryptodome_mul(p, 9)


def test_dispatch_sends_long_scalars_to_libcrypto_and_keeps_short_ones() -> None:
    """A batch proof check (86 long and 86 128-bit scalars) goes to libcrypto; 64 Lagrange
    numerators of 16 bits stay with the bucket method, which is faster for them."""
    assert native_is_cheaper([256] * 86 + [128] * 86) is libcrypto.AVAILABLE
    assert not native_is_cheaper([16] * 64)
    assert not native_is_cheaper([])


@needs_libcrypto
def test_threads_multiply_at_once_and_each_gets_its_own_result() -> None:
    """Each call has its own BN_CTX and the group is only read: concurrent calls do not mix."""
    rnd = random.Random(7)
    jobs = []
    for _ in range(8):
        ks = [rnd.randrange(Q) for _ in range(40)]
        points = [rnd.choice(BASE) for _ in ks]
        jobs.append((ks, points, msm(ks, points, native=False)))
    results: list[bool] = []

    def work(ks: list[int], points: list[Point], expected: Point) -> None:
        for _ in range(5):
            results.append(_in_libcrypto(list(zip(ks, points, strict=True))) == expected)
            results.append(points[0] * Scalar(ks[0]) == pycryptodome_mul(points[0], ks[0]))

    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [True] * 80


@needs_libcrypto
def test_no_memory_is_kept_between_calls() -> None:
    """Every EC_POINT, BIGNUM and BN_CTX is freed: 4,000 sums of 16 terms and 20,000 products (a
    leak of one point or scalar per term would hold well over 8 MiB) leave the peak resident size
    where it was."""
    script = textwrap.dedent("""
        import resource
        from council.crypto import libcrypto
        from council.crypto.group import P256, Scalar
        pts = [P256.base_mul(Scalar(i + 2)).to_uncompressed() for i in range(16)]
        ks = [2**255 + 7 * i for i in range(16)]
        k = (2**250 + 3).to_bytes(32, "big")
        def run(times):
            for _ in range(times):
                libcrypto.multiply_public(pts, ks)
                for p in pts[:5]:
                    libcrypto.multiply_secret(p, k)
        run(300)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        run(4000)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """)
    grown_kib = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                   check=True, timeout=120).stdout)
    assert grown_kib < 8 * 1024


def test_without_libcrypto_pycryptodome_alone_gives_the_same_protocols() -> None:
    """The fallback is not dead code: the group, batch verification, combine, vectors and the DKG
    property tests pass again with libcrypto switched off (a machine without libcrypto 3)."""
    files = ["test_group.py", "test_batch_verification.py", "test_combine_commitments.py", "test_vectors.py",
             "test_ceremony_properties.py", "test_rawec.py"]
    env = {**os.environ, "KEYCOUNCIL_TEST_WITHOUT_LIBCRYPTO": "1"}
    probe = subprocess.run([sys.executable, "-c", "import conftest; from council.crypto import libcrypto, group; "
                            "print(libcrypto.AVAILABLE)"], cwd=Path(__file__).parents[1], env=env,
                           capture_output=True, text=True, timeout=60, check=True)
    assert probe.stdout.strip() == "False"
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-x",
                        *(str(Path(__file__).parent / f) for f in files)],
                       cwd=Path(__file__).parents[2], env=env, capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, r.stdout[-3000:]
    assert " passed" in r.stdout and "failed" not in r.stdout


def test_describe_names_the_code_that_multiplies(monkeypatch: pytest.MonkeyPatch) -> None:
    """A member's start-up event says which code does its P-256 arithmetic (docs/operators.md §10)."""
    if libcrypto.AVAILABLE:
        assert libcrypto.describe().startswith("libcrypto (OpenSSL 3")
    monkeypatch.setattr(libcrypto, "AVAILABLE", False)
    assert libcrypto.describe() == "pycryptodome"
