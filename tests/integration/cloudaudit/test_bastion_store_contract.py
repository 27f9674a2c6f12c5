"""The bastion's session searches on every search backend: the same sessions, logins and commands
written to the OpenSearch store (a private osmem-server) and to the embedded store give the same
answers as each other, and as the same search done over the records in memory, to SearchSession,
DescribeLoginEvent, SearchCommandBySid and SearchSessionCommand."""
import datetime as dt
import random
import uuid

import pytest

from ca_support import OwnOsmem, new_account, now_ms
from functions.bhsaas import describe_login_event, search_command_by_sid, search_session
from layers.bastion import login_events, session_commands, session_log, session_search, sessions
from layers.search.embedded import EmbeddedStore
from layers.search.query import Contains, Search

HOUR = 3_600_000
USERS = [("alice", "Alice Wong"), ("bob", "鲍勃"), ("lilei", "李雷")]
DEVICES = [("ins-web1", "web-server-1", "10.0.0.1"), ("ins-db1", "数据库-1", "10.0.0.2")]
CMDS = ["ls -la", "sudo RM -rf /tmp/x", "cat *.log", "echo 审计", "vim /etc/hosts"]


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).isoformat()


def _session(account: str, i: int, start: int, rng: random.Random) -> dict:
    (user, real), (ins, dev, ip) = rng.choice(USERS), rng.choice(DEVICES)
    return {"Type": "session", "AccountId": account, "Sid": f"s-{i:02d}", "UserName": user, "RealName": real,
            "Account": rng.choice(["root", "admin"]), "FromIp": rng.choice(["203.0.113.7", "203.0.113.8"]),
            "InstanceId": ins, "DeviceName": dev, "PublicIp": "198.51.100.1", "PrivateIp": ip,
            "ApCode": "ap-guangzhou", "Protocol": "SSH", "Kind": rng.choice([1, 1, 2]), "StartTime": start,
            "EndTime": start + rng.randrange(HOUR), "Status": rng.choice([2, 2, 3, 4]), "Size": rng.randrange(10_000),
            "Count": 3, "DangerCount": 1, "RecordKey": "k", "RecordSha256": "0" * 64, "RecordSize": 1}


def _history(account: str, end: int, rng: random.Random):
    starts = [end - rng.randrange(3 * 24 * HOUR) for _ in range(36)]
    starts[5] = starts[6] = starts[7]                              # sessions started in one millisecond
    done = [_session(account, i, t, rng) for i, t in enumerate(starts)]
    pending = [{**_session(account, 40 + i, end - rng.randrange(24 * HOUR), rng), "Status": 1} for i in range(5)]
    for p in pending:
        del p["EndTime"]
    pending.append({**_session(account, 50, end - HOUR, rng), "Status": 2})           # ended, not indexed yet
    pending.append(dict(done[3]))                   # indexed, not settled yet
    commands = []
    for n in range(150):
        s = rng.choice(done + pending)
        lasted = s.get("EndTime", s["StartTime"] + HOUR) - s["StartTime"]      # a command runs within its session
        commands.append({"Type": "command", "EventId": uuid.uuid4().hex, "AccountId": account,
                         "Time": s["StartTime"] + rng.randrange(lasted + 1), "Sid": s["Sid"], "UserName": s["UserName"],
                         "RealName": s["RealName"], "Account": s["Account"], "FromIp": s["FromIp"],
                         "InstanceId": s["InstanceId"], "DeviceName": s["DeviceName"], "PublicIp": s["PublicIp"],
                         "PrivateIp": s["PrivateIp"], "SessionTime": _iso(s["StartTime"]), "Cmd": rng.choice(CMDS),
                         "Action": rng.choice([1, 1, 2, 3]), "TimeOffset": n})
    logins = []
    for n in range(60):
        user, real = rng.choice(USERS)
        logins.append({"Type": "login", "EventId": uuid.uuid4().hex, "AccountId": account,
                       "Time": end - rng.randrange(3 * 24 * HOUR), "UserName": user, "RealName": real,
                       "SourceIp": rng.choice(["203.0.113.7", "198.51.100.20", "10.1.2.3"]),
                       "Entry": rng.choice([1, 1, 4]), "Result": rng.choice([1, 2]), "Reason": "x"})
    return done, pending, commands, logins


@pytest.fixture(scope="module")
def data(stack, tmp_path_factory):
    rng = random.Random(11)
    end = now_ms() - HOUR
    accounts = [new_account() for _ in range(3)]        # every account has the same Sids
    history = {a: _history(a, end, rng) for a in accounts}
    osmem = OwnOsmem()
    stores = {"opensearch": osmem.store, "embedded": EmbeddedStore(str(tmp_path_factory.mktemp("search")))}
    for store in stores.values():
        store.install([sessions.FAMILY, login_events.FAMILY, *session_log.FAMILIES.values()])
        for done, _, commands, logins in history.values():
            assert all(r.ok for r in store.write(sessions.FAMILY, [sessions.record(m) for m in done]))
            assert all(r.ok for r in store.write(login_events.FAMILY, [login_events.record(m) for m in logins]))
            records = [session_log.record(m)[1] for m in commands]
            assert all(r.ok for r in store.write(session_log.FAMILIES[session_log.COMMAND], records))
        for family in (sessions.FAMILY, login_events.FAMILY, *session_log.FAMILIES.values()):
            store.refresh(family)
    yield stores, accounts, history, end
    stores["embedded"].close()
    osmem.stop()


def both(data, fn):
    got = {name: fn(store) for name, store in data[0].items()}
    assert got["opensearch"] == got["embedded"]
    return got["embedded"]


def _page(rows, offset, limit):
    return len(rows), rows[offset:offset + limit]


@pytest.mark.parametrize("params", [
    {}, {"Kind": 2}, {"Status": 1}, {"Status": 2}, {"Status": 4}, {"UserName": "bob"}, {"RealName": "WONG"},
    {"RealName": "鲍"}, {"DeviceName": "数据库"}, {"Account": "admin", "FromIp": "203.0.113.8"},
    {"PrivateIp": "10.0.0.2", "Offset": 3, "Limit": 5}, {"PublicIp": "198.51.100.1", "Offset": 30, "Limit": 7},
    {"Offset": 2, "Limit": 3}, {"Offset": 0, "Limit": 200}, {"Offset": 39, "Limit": 5},
])
def test_search_session(data, params):
    stores, accounts, history, end = data
    account = accounts[0]
    done, pending, _, _ = history[account]
    params = {"Kind": 1, **params}
    p = search_session.Input(StartTime=_iso(end - 4 * 24 * HOUR), EndTime=_iso(end), **params)
    where = search_session.clauses(p)
    got = both(data, lambda store: [
        (total, [(s["Id"], s["Status"], s["StartTime"]) for s in page]) for total, page in [session_search.search(
            store, account, end - 4 * 24 * HOUR, end, where, p.Offset, p.Limit, pending)]][0])
    indexed = {s["Sid"] for s in done}
    rows = [s for s in done + [s for s in pending if s["Status"] == 1 or s["Sid"] not in indexed]
            if all(session_search.holds(c, s) for c in where)]
    rows.sort(key=lambda s: (s["StartTime"], s["Sid"]), reverse=True)
    total, page = _page(rows, p.Offset, p.Limit)
    assert got == (total, [(s["Sid"], s["Status"], sessions.result(s, end)["StartTime"]) for s in page])
    if not params.get("Offset"):
        assert total, params


@pytest.mark.parametrize("params", [
    {}, {"UserName": "LI"}, {"UserName": "li", "Result": 2}, {"RealName": "鲍"}, {"SourceIp": "0.113"},
    {"Entry": 4}, {"Result": 1, "Offset": 5, "Limit": 4}, {"UserName": "ali", "Entry": 1, "SourceIp": "203"},
])
def test_describe_login_event(data, params):
    stores, accounts, history, end = data
    account = accounts[1]
    logins = history[account][3]
    p = describe_login_event.Input(**params)
    where = describe_login_event.clauses(p)
    start = end - 2 * 24 * HOUR
    got = both(data, lambda store: login_events.search(store, account, start, end, where, p.Offset, p.Limit))
    rows = sorted((m for m in logins if start <= m["Time"] <= end and all(session_search.holds(c, m) for c in where)),
                  key=lambda m: (m["Time"], m["EventId"]), reverse=True)
    total, page = _page(rows, p.Offset, p.Limit)
    assert got == (total, [login_events.result(m) for m in page]) and total


@pytest.mark.parametrize("sid,params", [
    ("s-03", {}), ("s-06", {"Cmd": "rm"}), ("s-41", {}), ("s-07", {"AuditAction": [2, 3]}),
    ("s-50", {"Cmd": "审计", "Offset": 1, "Limit": 2}), ("s-99", {}),
])
def test_search_command_by_sid(data, sid, params):
    stores, accounts, history, end = data
    account = accounts[2]
    done, pending, commands, _ = history[account]
    session = next((s for s in pending + done if s["Sid"] == sid), None)
    p = search_command_by_sid.Input(Sid=sid, **params)
    where = search_command_by_sid.clauses(p)
    got = both(data, lambda store: session_commands.by_sid(store, account, sid, where, p.Offset, p.Limit, session))
    rows = sorted((m for m in commands if m["Sid"] == sid and all(session_search.holds(c, m) for c in where)),
                  key=lambda m: (m["Time"], m["EventId"]), reverse=True)
    total, page = _page(rows, p.Offset, p.Limit)
    assert (got[0], [c["Cmd"] for c in got[1]]) == (total, [m["Cmd"] for m in page])


@pytest.mark.parametrize("cmd,offset,limit", [("ls", 0, 20), ("审计", 0, 200), ("RM -RF", 2, 3), ("e", 10, 10)])
def test_search_session_command(data, cmd, offset, limit):
    stores, accounts, history, end = data
    account = accounts[0]
    commands = history[account][2]
    start = end - 2 * 24 * HOUR
    got = both(data, lambda store: session_commands.sessions_with(store, account, [Contains("Cmd", cmd)], start, end,
                                                                  offset, limit))
    matched: dict = {}
    for m in commands:
        if start <= m["Time"] <= end and cmd.lower() in m["Cmd"].lower():
            matched.setdefault(m["Sid"], []).append(m)
    started = {sid: min(int(dt.datetime.fromisoformat(m["SessionTime"]).timestamp() * 1000) for m in ms)
               for sid, ms in matched.items()}
    order = sorted(matched, key=lambda sid: (started[sid], sid), reverse=True)
    assert got[0] == len(order) and got[0]
    assert [(s["Id"], s["Count"]) for s in got[1]] == [(sid, len(matched[sid])) for sid in order[offset:offset + limit]]
    for s in got[1]:
        assert [c["Time"] for c in s["Commands"]] == sorted((c["Time"] for c in s["Commands"]), reverse=True)


def test_another_accounts_sessions_are_never_returned(data):
    stores, accounts, history, end = data
    for store in stores.values():
        for account in accounts:
            for family in (sessions.FAMILY, login_events.FAMILY):
                hits = store.search(Search(family, account, 0, end, size=1000)).hits
                assert len(hits) == len(history[account][0 if family is sessions.FAMILY else 3])
            mine = {m["Sid"]: m["UserName"] for m in history[account][0]}
            assert all(sessions.indexed(store, account, sid)["UserName"] == user for sid, user in mine.items())
