"""SM2 curve engine: every multiplication path against plain double-and-add, and the
secret paths' control flow being the same for every scalar."""

import secrets
import sys

import pytest

from layers.crypto import sm2_curve as c

n = int(c.N)
EDGE = [1, 2, 3, 4, 31, 32, 33, 63, 64, 65, n - 1, n - 2, n - 3, n - 32, n - 64,
        2**255, 2**256 - 2**224 - 1, (n - 1) // 2, (n + 1) // 2]


def rand_scalar():
    return secrets.randbelow(n - 1) + 1


@pytest.fixture(scope="module")
def point():
    return c.mul_generic(rand_scalar(), c.G)


def test_generator_is_on_curve_and_has_order_n():
    assert c.is_on_curve(c.GX, c.GY)
    assert c.mul_generic(n - 1, c.G) == c.negate(c.G)
    assert c.add(c.mul_generic(n - 1, c.G), c.G) is None


@pytest.mark.parametrize("k", EDGE + [rand_scalar() for _ in range(12)])
def test_mul_base_secret(k):
    assert c.mul_base_secret(k) == c.mul_generic(k, c.G)


@pytest.mark.parametrize("k", EDGE + [rand_scalar() for _ in range(6)])
def test_mul_point_secret(k, point):
    assert c.mul_point_secret(k, *point) == c.mul_generic(k, point)


def test_combine_public_cold_then_cached(point):
    c.clear_key_cache()
    pairs = [(rand_scalar(), rand_scalar()) for _ in range(4)] + [(1, 1), (n - 1, n - 1), (2, 3)]
    for s, t in pairs:
        expected = c.add(c.mul_generic(s, c.G), c.mul_generic(t, point))
        for _ in range(3):  # first use cold, second builds the table, third uses it
            assert c.combine_public(s, t, *point) == expected
    assert isinstance(c._key_cache[(int(point[0]), int(point[1]))], c._PublicTable)


def test_combine_public_exceptional_cases_fall_back():
    d = rand_scalar()
    q = c.mul_generic(d, c.G)
    for _ in range(2):  # cold and cached paths
        # s*G == t*Q: the last addition is a doubling.
        assert c.combine_public(d, 1, *q) == c.mul_generic(2 * d, c.G)
        # s*G == -t*Q: the sum is the point at infinity.
        assert c.combine_public(n - d, 1, *q) is None
        c.precompute_public_key(*q)


def test_key_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(c, "KEY_TABLE_CACHE_SIZE", 3)
    c.clear_key_cache()
    points = [c.mul_generic(i + 2, c.G) for i in range(5)]
    for pt in points:
        c.precompute_public_key(*pt)
    assert len(c._key_cache) == 3
    assert (int(points[-1][0]), int(points[-1][1])) in c._key_cache
    assert (int(points[0][0]), int(points[0][1])) not in c._key_cache


def test_lift_x_and_on_curve():
    x, y = c.G
    assert c.lift_x(x, bool(y & 1)) == (x, y)
    assert c.lift_x(x, not (y & 1)) == (x, c.P - y)
    assert not c.is_on_curve(x, y + 1)
    assert not c.is_on_curve(x + c.P, y)
    assert not c.is_on_curve(-1, y)


def _line_trace(fn, *args):
    """Sequence of (file, line) events while fn runs, across every Python frame it enters."""
    events = []

    def tracer(frame, event, arg):
        if event == "line":
            events.append((frame.f_code.co_filename, frame.f_lineno))
        return tracer

    sys.settrace(tracer)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return events


@pytest.mark.parametrize("fn", ["base", "point"])
def test_secret_paths_execute_the_same_lines_for_every_scalar(fn, point):
    # Python-level control flow only: the same lines in the same order, so no
    # branch or loop count depends on the scalar. (Big-integer operations
    # themselves are not constant-time; see layers/crypto/README.md.)
    if fn == "base":
        run = c.mul_base_secret
        args = ()
    else:
        run = c.mul_point_secret
        args = tuple(point)
    c.mul_base_secret(5)  # build tables outside the trace
    traces = {tuple(_line_trace(run, k, *args)) for k in (1, 7, n - 2, 2**200 + 12345, rand_scalar())}
    assert len(traces) == 1


def test_point_path_fallback_is_correct_and_visible_to_the_trace(point):
    # k = n - 6: k + n = 2n - 6 is congruent to twice its lowest signed digit,
    # so the last mixed addition meets its own operand and the complete-formula
    # fallback runs. The trace comparison above would notice such a branch.
    k = n - 6
    assert c.mul_point_secret(k, *point) == c.mul_generic(k, point)
    assert _line_trace(c.mul_point_secret, k, *point) != _line_trace(c.mul_point_secret, 7, *point)


def test_one_off_keys_do_not_evict_cached_tables(monkeypatch):
    monkeypatch.setattr(c, "KEY_TABLE_CACHE_SIZE", 2)
    c.clear_key_cache()
    hot = c.mul_generic(12345, c.G)
    for _ in range(2):
        c.combine_public(3, 5, *hot)
    assert (int(hot[0]), int(hot[1])) in c._key_cache
    for i in range(5):  # five keys seen once each: counted, no tables built
        c.combine_public(3, 5, *c.mul_generic(1000 + i, c.G))
    assert list(c._key_cache) == [(int(hot[0]), int(hot[1]))]
    assert len(c._seen) == 5
