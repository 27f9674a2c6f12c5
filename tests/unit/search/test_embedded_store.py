"""The embedded search store (tantivy on disk) against a reference written in plain Python."""
import datetime as dt
import json
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from layers.search.embedded import EmbeddedStore, PartitionDamaged
from layers.search.query import AllOf, AnyOf, Contains, Family, Record, Search, Term
from layers.search.store import StoreUnavailable

ROOT = Path(__file__).resolve().parents[3]
FAMILY = Family("cmd", terms=("Keys", "User"), words=("Words",), numbers=("Action",), texts=("Cmd",))
DAY0 = 1_700_006_400_000          # 2023-11-15T00:00:00Z
HOUR = 3_600_000
EVERYTHING = (0, 10 ** 15 - 1)


def record(i, time_ms, account="A", **fields):
    return Record(id=f"r{i:05d}", time_ms=time_ms, account=account, fields=fields,
                  source=json.dumps({"n": i, "f": fields}, ensure_ascii=False))


def search(store, where=(), account="A", span=EVERYTHING, **kw):
    return store.search(Search(FAMILY, account, span[0], span[1], where=tuple(where), **kw))


def ids(result):
    return [h.id for h in result.hits]


# -- the reference ---------------------------------------------------------------------------

def values(r, field):
    v = r.fields.get(field)
    return [] if v is None else list(v) if isinstance(v, (list, tuple)) else [v]


def holds(r, clause):
    if isinstance(clause, AllOf):
        return all(holds(r, c) for c in clause.clauses)
    if isinstance(clause, AnyOf):
        return any(holds(r, c) for c in clause.clauses)
    vs = values(r, clause.field)
    if isinstance(clause, Term):
        if clause.field in FAMILY.words:
            vs = [w for v in vs for w in v.split()]
        return any(str(v) in {str(x) for x in clause.values} for v in vs)
    found = re.compile(re.escape(clause.text), re.IGNORECASE | re.DOTALL)
    return any(v.startswith(clause.prefix) and found.search(v, len(clause.prefix)) for v in vs)


def expected(records, account, where=(), span=EVERYTHING, after=None):
    keep = [r for r in records if r.account == account and span[0] <= r.time_ms <= span[1]
            and all(holds(r, c) for c in where)]
    keep.sort(key=lambda r: (r.time_ms, r.id), reverse=True)
    if after is not None:
        keep = [r for r in keep if (r.time_ms, r.id) < tuple(after)]
    return [r.id for r in keep]


def page_all(store, size, **kw):
    """Every hit, page by page through the cursor."""
    got, after = [], None
    while True:
        hits = search(store, size=size, after=after, **kw).hits
        got.extend(h.id for h in hits)
        if len(hits) < size:
            return got
        after = (hits[-1].time_ms, hits[-1].id)


@pytest.fixture
def store(tmp_path):
    s = EmbeddedStore(str(tmp_path / "search"))
    yield s
    s.close()


# -- clauses ---------------------------------------------------------------------------------

CMDS = ["ls -la /tmp", "LS -LA /var", "cat a.*+?()[]{}|\\^$ b", "echo 中文命令 done", "sudo rm -rf /", "Grep X\ny",
        "echo " + "Long" * 40]


@pytest.fixture
def corpus(store):
    rng = random.Random(7)
    records = []
    for i in range(600):
        records.append(record(
            i, DAY0 + rng.randrange(3 * 24) * HOUR + rng.randrange(3), account=rng.choice("AAAB"),
            Keys=rng.sample(["k1", "k2", "k3", "k4", "user=alice", "user=Bob"], rng.randint(0, 3)),
            User=rng.choice(["alice", "bob", "中文用户"]), Words=rng.choice(["Hello world", "hello there", "x y z"]),
            Action=rng.choice([0, 1, 2, 3000000000]), Cmd=rng.choice(CMDS)))
    assert all(r.ok for r in store.write(FAMILY, records))
    return records


CLAUSES = [
    [Term("Keys", ("k1",))],
    [Term("Keys", ("k1", "k2"))],
    [Term("Keys", ("k1",)), Term("Keys", ("k2",))],
    [Term("User", ("中文用户",))],
    [Term("Words", ("hello",))],
    [Term("Words", ("Hello",))],
    [Term("Words", ("hello world",))],
    [Term("Action", (1, 3000000000))],
    [Term("Action", ("2",))],
    [Term("Keys", ())],
    [Contains("Cmd", "la /")],
    [Contains("Cmd", "LA /", "ls")],
    [Contains("Cmd", "la", "LS")],
    [Contains("Cmd", ".*+?()[]{}|\\^$")],
    [Contains("Cmd", "A.*+")],
    [Contains("Cmd", "中文")],
    [Contains("Cmd", "x\ny")],
    [Contains("Cmd", "")],
    [Contains("Keys", "O", "user=")],
    [Contains("Cmd", "xyz" * 400)],
    [Contains("Cmd", "gLON" * 30)],
    [Contains("Cmd", "gLON" * 30, "echo")],
    [AnyOf((Term("Keys", ("k3",)), Contains("Cmd", "sudo")))],
    [AllOf((Term("Keys", ("k3",)), AnyOf((Term("Action", (0,)), Term("User", ("bob",))))))],
    [AnyOf(())],
    [AllOf(())],
    [Term("Nope", ("x",))],
]


@pytest.mark.parametrize("where", CLAUSES, ids=[repr(c)[:60] for c in CLAUSES])
def test_each_clause_finds_what_the_reference_finds(store, corpus, where):
    got = search(store, where, size=1000, count=True)
    want = expected(corpus, "A", where)
    assert ids(got) == want and got.total == len(want)


def test_contains_is_case_insensitive_but_its_prefix_is_not(store):
    store.write(FAMILY, [record(1, DAY0, Cmd="MkDir Photos"), record(2, DAY0, Cmd="mkdir photos")])
    assert ids(search(store, [Contains("Cmd", "PHOTOS", "MkDir")])) == ["r00001"]
    assert ids(search(store, [Contains("Cmd", "PHOTOS")])) == ["r00002", "r00001"]


def test_a_record_of_another_account_is_never_returned(store):
    store.write(FAMILY, [record(1, DAY0, "A", Keys=["same"]), record(2, DAY0 + 1, "B", Keys=["same"])])
    assert ids(search(store, [Term("Keys", ("same",))], account="A", count=True)) == ["r00001"]
    assert ids(search(store, [Term("Keys", ("same",))], account="B")) == ["r00002"]
    assert ids(search(store, account="C", count=True)) == []


def test_a_hit_carries_the_time_id_and_source_written(store):
    sources = ['{"a": "中文 😀"}', "", "\ud800 lone surrogate", "x" * 100_000]
    store.write(FAMILY, [Record(id=f"s{i}", time_ms=DAY0 + i, account="A", source=t) for i, t in enumerate(sources)])
    hits = search(store).hits
    assert [(h.time_ms, h.id, h.source) for h in hits] == [(DAY0 + i, f"s{i}", t) for i, t in enumerate(sources)][::-1]


def test_a_time_range_is_inclusive_and_cut_at_both_ends(store, corpus):
    span = (DAY0 + 5 * HOUR, DAY0 + 30 * HOUR + 1)
    assert ids(search(store, span=span, size=1000)) == expected(corpus, "A", span=span)
    assert ids(search(store, span=(span[1], span[0]))) == []


# -- paging ----------------------------------------------------------------------------------

@pytest.fixture
def crowded(store):
    """Hundreds of records in one millisecond, at the end of one day and the start of the next."""
    edge = DAY0 + 24 * HOUR
    times = [edge - 1] * 230 + [edge] * 170 + [edge + 5] * 3 + [DAY0 + 7] * 40
    records = [record(i, t, Keys=["even" if i % 2 else "odd"]) for i, t in enumerate(times)]
    random.Random(3).shuffle(records)
    for i in range(0, len(records), 97):
        store.write(FAMILY, records[i:i + 97])
    return records


@pytest.mark.parametrize("size", [1, 7, 50, 229])
def test_the_cursor_pages_through_one_millisecond_and_across_days(store, crowded, size):
    assert page_all(store, size) == expected(crowded, "A")
    assert page_all(store, size, where=[Term("Keys", ("odd",))]) == expected(crowded, "A", [Term("Keys", ("odd",))])


def test_ids_are_ordered_by_their_bytes_within_a_millisecond(store):
    names = ["a", "ab", "b", "Z", "é", "中", "a b", "a\u0000", "~", "ä"]
    store.write(FAMILY, [Record(id=n, time_ms=DAY0, account="A") for n in names])
    assert ids(search(store, size=100)) == sorted(names, reverse=True)
    assert page_all(store, 3) == sorted(names, reverse=True)


def test_the_cursor_resumes_strictly_after_a_record_even_one_that_is_not_there(store, crowded):
    want = expected(crowded, "A")
    for after in [(DAY0 + 24 * HOUR, "r00250"), (DAY0 + 24 * HOUR - 1, "r00100x"), (DAY0 + 24 * HOUR, ""),
                  (DAY0 + 10 ** 9, "z"), (DAY0 + 7, "r00400"), (DAY0, "r")]:
        got = ids(search(store, after=after, size=300))
        assert got == expected(crowded, "A", after=after)[:300], after
        assert set(got) <= set(want)


def test_offset_and_count(store, crowded):
    want = expected(crowded, "A")
    for offset in [0, 3, 229, 230, 400, 402, 440, 1000]:
        got = search(store, size=25, offset=offset, count=True)
        assert ids(got) == want[offset:offset + 25] and got.total == len(want), offset
    after = (DAY0 + 24 * HOUR, "r00250")
    got = search(store, size=10, after=after, count=True)
    assert ids(got) == expected(crowded, "A", after=after)[:10]
    assert got.total == len(want)  # the count is of the whole range, whatever the cursor
    with pytest.raises(ValueError):
        search(store, offset=5, after=after)


# -- writing ---------------------------------------------------------------------------------

def test_a_record_is_stored_once_however_often_it_is_written(store):
    first = [record(1, DAY0, Keys=["a"]), record(1, DAY0, Keys=["a"]), record(2, DAY0 + 24 * HOUR)]
    assert [r.ok for r in store.write(FAMILY, first)] == [True, True, True]
    assert [r.ok for r in store.write(FAMILY, first + [record(3, DAY0)])] == [True] * 4
    assert ids(search(store, count=True)) == ["r00002", "r00003", "r00001"]
    assert [store.count(FAMILY, d) for d in store.days(FAMILY)] == [2, 1]


def test_a_record_that_cannot_be_stored_is_reported_and_the_others_are_stored(store):
    bad = [Record(id="", time_ms=DAY0, account="A"), Record(id="x", time_ms=-1, account="A"),
           Record(id="y" * 513, time_ms=DAY0, account="A"), record(4, DAY0, Action="two"),
           record(5, DAY0, Keys=["k" * 32767]), record(6, DAY0, Words="a " + "w" * 32767)]
    results = store.write(FAMILY, bad + [record(1, DAY0, Action=["7", 8.0], Keys=["k" * 32766])])
    assert [(r.ok, r.transient) for r in results] == [(False, False)] * 6 + [(True, False)]
    assert all(r.error for r in results[:6])
    assert ids(search(store)) == ["r00001"]
    assert ids(search(store, [Term("Action", (7, 8))])) == ["r00001"]


def test_a_text_too_long_to_search_is_stored_but_not_found(store):
    store.write(FAMILY, [record(1, DAY0, Cmd="x" * 8191), record(2, DAY0, Cmd="x" * 8192)])
    assert ids(search(store)) == ["r00002", "r00001"]
    assert ids(search(store, [Contains("Cmd", "xx")])) == ["r00001"]


def test_the_familys_id_field_names_the_record_id_and_install_and_refresh_need_nothing(store):
    events = Family("events", terms=("Keys",), id_field="EventId", time_field="EventTime", source_field="Event")
    store.install([events])
    store.write(events, [Record(id=f"e{i}", time_ms=DAY0 + i, account="A", source="{}") for i in range(3)])
    store.refresh(events)
    found = store.search(Search(events, "A", *EVERYTHING, where=(Term("EventId", ("e1", "e2")),)))
    assert ids(found) == ["e2", "e1"]


def test_concurrent_writers_share_commits_and_lose_nothing(store):
    batches = [[record(t * 1000 + i, DAY0 + i, Keys=["k"]) for i in range(j * 10, j * 10 + 10)]
               for t in range(6) for j in range(10)]
    errors = []

    def run(mine):
        try:
            for batch in mine:
                assert all(r.ok for r in store.write(FAMILY, batch + batch[:2]))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=run, args=(batches[t::6],)) for t in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    assert search(store, count=True).total == 600 == store.count(FAMILY, dt.date(2023, 11, 15))


def test_a_family_that_gained_a_field_leaves_older_days_as_they_are(tmp_path):
    old = Family("cmd", terms=("Keys",))
    s = EmbeddedStore(str(tmp_path))
    s.write(old, [record(1, DAY0, Keys=["a"], User="bob")])
    s.write(FAMILY, [record(2, DAY0 + 24 * HOUR, Keys=["a"], User="bob"), record(3, DAY0 + 1, User="bob")])
    found = s.search(Search(FAMILY, "A", *EVERYTHING, where=(Term("User", ("bob",)),)))
    assert ids(found) == ["r00002"]  # the old day has no User field, as an older mapping would not
    assert ids(s.search(Search(FAMILY, "A", *EVERYTHING, where=(Term("Keys", ("a",)),)))) == ["r00002", "r00001"]
    s.close()


# -- days ------------------------------------------------------------------------------------

def test_days_and_drop_day(store):
    store.write(FAMILY, [record(i, DAY0 + i * 24 * HOUR) for i in range(3)])
    days = store.days(FAMILY)
    assert days == [dt.date(2023, 11, 15), dt.date(2023, 11, 16), dt.date(2023, 11, 17)]
    assert store.drop_day(FAMILY, days[1]) and not store.drop_day(FAMILY, days[1])
    assert store.days(FAMILY) == [days[0], days[2]] and store.count(FAMILY, days[1]) == 0
    assert ids(search(store)) == ["r00002", "r00000"]
    store.write(FAMILY, [record(1, DAY0 + 24 * HOUR)])
    assert ids(search(store)) == ["r00002", "r00001", "r00000"]
    assert store.days(Family("other")) == []


def test_a_reopened_directory_answers_the_same(tmp_path, crowded, store):
    before = [ids(search(store, size=60, offset=o, count=True)) for o in (0, 200, 400)]
    other = EmbeddedStore(store.directory)  # read-only beside the writer, then alone
    assert [ids(search(other, size=60, offset=o)) for o in (0, 200, 400)] == before
    store.write(FAMILY, [record(9999, DAY0 + 7)])
    deadline = time.monotonic() + 5
    while "r09999" not in ids(search(other, size=1000)):  # another writer's commit shows within ~1 s
        assert time.monotonic() < deadline
        time.sleep(0.05)
    store.close()
    other.write(FAMILY, crowded[:10] + [record(9998, DAY0 + 7)])
    assert [ids(search(other, size=60, offset=o)) for o in (0, 200)] == before[:2]
    assert ids(search(other, span=(DAY0 + 7, DAY0 + 7), size=100))[:2] == ["r09999", "r09998"]
    other.close()


# -- failures --------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import os, resource, signal, sys
    from layers.search.embedded import EmbeddedStore
    from layers.search.query import Family, Record
    from layers.search.store import StoreUnavailable
    directory, size, file_limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if file_limit:  # a disk that fills up: writing past the limit fails with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))
    store = EmbeddedStore(directory)
    for n in range(100000):
        batch = [Record(id=f"{n}-{i}", time_ms=%d + n * 1000 + i, account="A", fields={"Keys": ["k"]},
                        source=os.urandom(n * 100 if file_limit else 10).hex()) for i in range(size)]
        try:
            results = store.write(Family("cmd", terms=("Keys",)), batch)
        except StoreUnavailable:
            print("unavailable", flush=True)
            break
        assert all(r.ok for r in results)
        print(" ".join(r.id for r in batch), flush=True)
""" % DAY0)


def run_writer(directory, size, file_limit=0):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", WRITER, str(directory), str(size), str(file_limit)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def acknowledged_are_found(directory, acknowledged):
    store = EmbeddedStore(str(directory))
    try:
        assert set(acknowledged) <= set(ids(search(store, size=len(acknowledged) + 1000)))
        assert store.write(FAMILY, [record(1, DAY0)])[0].ok  # the writer's lock went with it
    finally:
        store.close()


def test_sigkill_while_writing_loses_nothing_acknowledged(tmp_path):
    proc = run_writer(tmp_path, 25)
    acknowledged = []
    while len(acknowledged) < 2500:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        acknowledged.extend(line.split())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    acknowledged_are_found(tmp_path, acknowledged)


def test_a_full_disk_fails_the_write_and_keeps_what_was_acknowledged(tmp_path):
    proc = run_writer(tmp_path, 20, file_limit=300_000)
    out, err = proc.communicate(timeout=60)
    lines = out.split("\n")
    assert "unavailable" in lines, out[-300:] + err[-2000:]
    acknowledged = [i for line in lines[:lines.index("unavailable")] for i in line.split()]
    assert len(acknowledged) >= 100
    acknowledged_are_found(tmp_path, acknowledged)


def test_a_second_process_cannot_write_a_day_being_written(tmp_path, store):
    store.write(FAMILY, [record(1, DAY0)])
    script = ("import sys; from layers.search.embedded import EmbeddedStore; from layers.search.query import *\n"
              "s = EmbeddedStore(sys.argv[1])\n"
              "print(len(s.search(Search(Family('cmd'), 'A', 0, 10**15 - 1)).hits))\n"
              "try: s.write(Family('cmd'), [Record(id='x', time_ms=%d, account='A')])\n"
              "except Exception as e: print(type(e).__name__)\n" % DAY0)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script, store.directory], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60).stdout.split()
    assert out == ["1", "StoreUnavailable"]


@pytest.mark.parametrize("damage", ["flip", "truncate", "remove", "meta"])
def test_a_damaged_day_is_refused_naming_the_day(tmp_path, damage):
    writer = EmbeddedStore(str(tmp_path))
    writer.write(FAMILY, [record(i, DAY0 + i, Keys=["k"], Cmd="x" * 300) for i in range(200)])
    writer.write(FAMILY, [record(1000, DAY0 + 24 * HOUR)])
    writer.close()
    path = tmp_path / "cmd" / "2023.11.15"
    victim = path / "meta.json" if damage == "meta" else max(path.glob("*.store"), key=lambda p: p.stat().st_size)
    data = victim.read_bytes()
    if damage == "flip":
        victim.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif damage == "truncate":
        victim.write_bytes(data[:len(data) // 2])
    elif damage == "remove":
        victim.unlink()
    else:
        victim.write_text("{")
    store = EmbeddedStore(str(tmp_path))
    with pytest.raises(PartitionDamaged, match=r"cmd-2023\.11\.15") as e:
        search(store)
    assert e.value.day == dt.date(2023, 11, 15) and isinstance(e.value, StoreUnavailable)
    with pytest.raises(PartitionDamaged):
        store.check(FAMILY, dt.date(2023, 11, 15))
    assert ids(search(store, span=(DAY0 + 24 * HOUR, EVERYTHING[1]))) == ["r01000"]
    assert store.check(FAMILY, dt.date(2023, 11, 16)) == 1
    assert store.drop_day(FAMILY, dt.date(2023, 11, 15)) and ids(search(store)) == ["r01000"]
    store.close()
