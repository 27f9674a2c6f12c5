"""The per-action rate limit holds across processes: they share one count in DynamoDB."""
import multiprocessing
import os
import threading
import time

from helpers import response_of, tc3_request
from layers.gateway.pipeline import Gateway
from layers.gateway.ratelimit import RateLimiter

FIXED_SECOND = 1_900_000_000.0


def _recording(at: float):
    """A limiter on a clock the test moves, the seconds of its leases recorded in order."""
    clock = [FIXED_SECOND + at]
    limiter = RateLimiter(clock=lambda: clock[0])
    leases, real_lease = [], limiter._lease
    limiter._lease = lambda key, second, limit: leases.append(second) or real_lease(key, second, limit)
    return clock, limiter, f"acct-{time.time_ns()}", leases


def _until(done, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)


def _spend(env: dict, account: str, attempts: int, limit: int, out) -> None:
    os.environ.update(env)
    limiter = RateLimiter(clock=lambda: FIXED_SECOND)
    out.put(sum(limiter.allow(account, "typedemo", "DescribeLimited", limit) for _ in range(attempts)))


def test_limit_is_shared_by_processes(stack):
    env = {k: v for k, v in os.environ.items() if k.startswith(("GZ_", "AWS_"))}
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    account = f"acct-{time.time_ns()}"
    procs = [ctx.Process(target=_spend, args=(env, account, 30, 20, out)) for _ in range(3)]
    for p in procs:
        p.start()
    granted = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert sum(granted) == 20, granted


def test_leases_never_exceed_the_limit_in_one_process(stack):
    limiter = RateLimiter(clock=lambda: FIXED_SECOND + 5)
    account = f"acct-{time.time_ns()}"
    assert sum(limiter.allow(account, "s", "A", 7) for _ in range(50)) == 7
    assert sum(limiter.allow(account, "s", "B", 7) for _ in range(3)) == 3   # per action


def test_gateway_answers_request_limit_exceeded(account):
    gw = Gateway(limiter=RateLimiter(clock=lambda: FIXED_SECOND + 10))
    codes = [response_of(gw.handle(tc3_request(account, "DescribeLimited", {}, service="typedemo",
                                                version="2020-02-02"))).get("Error", {}).get("Code")
             for _ in range(8)]
    assert codes[:5] == [None] * 5 and codes[5:] == ["RequestLimitExceeded"] * 3


def test_account_override_raises_the_default(stack):
    from layers import identity
    acct = identity.create_account("fast", rate_limit=50)
    creds = {**acct, **identity.create_key(acct["OwnerUin"])}
    gw = Gateway(limiter=RateLimiter(clock=lambda: FIXED_SECOND + 20))
    results = [response_of(gw.handle(tc3_request(creds, "DescribeRegions", {}))) for _ in range(30)]
    assert all("Regions" in r for r in results)


def test_a_busy_key_leases_the_next_second_ahead_and_the_limit_still_holds(stack):
    clock, limiter, account, leases = _recording(30.9)      # late in its second
    assert limiter.allow(account, "s", "A", 100) and limiter.allow(account, "s", "A", 100)
    _until(lambda: len(leases) >= 2)
    assert leases == [int(FIXED_SECOND) + 30, int(FIXED_SECOND) + 31]   # its own second, then the next, ahead
    time.sleep(0.2)                                                    # the lease ahead has landed
    clock[0] = FIXED_SECOND + 31.1
    assert limiter.allow(account, "s", "A", 100)
    assert leases.count(int(FIXED_SECOND) + 31) == 1                  # served from the block leased ahead
    # the second's total stays the limit however its tokens were leased
    assert sum(limiter.allow(account, "s", "A", 100) for _ in range(200)) == 99
    clock[0] = FIXED_SECOND + 30.95                                    # and the earlier second's too
    assert sum(limiter.allow(account, "s", "A", 100) for _ in range(200)) <= 98


def test_a_key_used_once_early_in_its_second_leases_ahead_and_a_refused_lease_is_not_retried(stack):
    clock, limiter, account, leases = _recording(40.05)     # early in its second
    assert limiter.allow(account, "s", "A", 20)
    _until(lambda: len(leases) >= 2)
    assert leases == [int(FIXED_SECOND) + 40, int(FIXED_SECOND) + 41]
    # the next second is used up elsewhere before this key's lease ahead for it
    other = RateLimiter(clock=lambda: FIXED_SECOND + 42.5)
    assert sum(other.allow(account, "s", "A", 20) for _ in range(30)) == 20
    clock[0] = FIXED_SECOND + 41.05
    time.sleep(0.2)
    assert limiter.allow(account, "s", "A", 20)            # served from the block leased ahead
    _until(lambda: len(leases) >= 3)
    time.sleep(0.2)
    assert leases[2:] == [int(FIXED_SECOND) + 42]         # leased ahead for 42: refused
    for _ in range(5):
        limiter.allow(account, "s", "A", 20)
    time.sleep(0.2)
    assert leases.count(int(FIXED_SECOND) + 42) == 1      # not tried again within the second
    clock[0] = FIXED_SECOND + 42.1
    assert not limiter.allow(account, "s", "A", 20)        # 42 is spent: its first call asks and is refused
    assert leases.count(int(FIXED_SECOND) + 42) > 1


def test_leases_ahead_are_made_one_at_a_time_and_a_late_one_is_dropped(stack):
    clock = [FIXED_SECOND + 50.05]
    limiter = RateLimiter(clock=lambda: clock[0])
    accounts = [f"acct-{time.time_ns()}-{i}" for i in range(5)]
    real_lease, state, lock = limiter._lease, {"now": 0, "most": 0, "ahead": []}, threading.Lock()

    def lease(key, second, limit):
        if second == int(FIXED_SECOND) + 50:
            return real_lease(key, second, limit)
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
            state["ahead"].append(key[0])
        return real_lease(key, second, limit)

    limiter._lease = lease
    for account in accounts:
        assert limiter.allow(account, "s", "A", 100) and limiter.allow(account, "s", "A", 100)
    _until(lambda: len(state["ahead"]) >= 5)
    assert sorted(state["ahead"]) == sorted(accounts) and state["most"] == 1
    # a lease ahead whose second has begun before its turn is not made
    late = f"acct-{time.time_ns()}-late"
    limiter._lease = lambda key, second, limit: time.sleep(0.3) or real_lease(key, second, limit)
    assert limiter.allow(accounts[0], "s", "B", 100) and limiter.allow(accounts[0], "s", "B", 100)
    assert limiter.allow(late, "s", "A", 100) and limiter.allow(late, "s", "A", 100)
    clock[0] = FIXED_SECOND + 51.01            # while the first lease ahead is being made
    time.sleep(0.8)
    with limiter._lock:
        assert late not in {k[0] for k in limiter._ahead}


def test_close_stops_the_background_thread_and_a_later_call_starts_it_again(stack):
    limiter = RateLimiter(clock=lambda: FIXED_SECOND + 60.5)
    account = f"acct-{time.time_ns()}"
    assert limiter.allow(account, "s", "A", 100)
    worker = limiter._worker
    assert worker is not None and worker.is_alive()
    limiter.close()
    assert not worker.is_alive() and limiter._worker is None
    assert limiter.allow(account, "s", "B", 100)
    assert limiter._worker is not None and limiter._worker.is_alive()
    limiter.close()
