"""Database access through the bastion's MySQL proxy, with real clients (the mysql command-line
client, pymysql, mysql-connector for server-side prepared statements) against a real MariaDB
reached over TLS: login with a database access string and with password + TOTP, statements judged
by the ACL's template (blocked ones never reach the database, whatever comments, case, quoting,
multi-statements or prepared statements hide them in), every statement searchable by session with
its outcome, and no other account's users reaching the device. One MariaDB and one gateway."""
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from bastion_helpers import Bastion, new_account
from session_feed import deliver, settle
from ssh_support import Clock

RULES = "DROP TABLE\nTRUNCATE\nDELETE WITHOUT WHERE\nGRANT\nUPDATE WITHOUT WHERE\nDELETE demo.items"


@pytest.fixture(scope="module")
def mariadb():
    from infra import demo_mariadb
    why = demo_mariadb.unavailable()
    if why:
        pytest.skip(why)
    db = demo_mariadb.DemoMariaDB(tls=True, require_tls=True).start()
    yield db
    db.stop()


@pytest.fixture(scope="module")
def clock():
    from layers.bastion import credentials
    c = Clock()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(credentials, "now", c.now)
        yield c


@pytest.fixture(scope="module")
def proxy(stack):
    from infra.ssh_gateway import SshGateway
    gw = SshGateway("127.0.0.1", 0, mysql_port=0).start()
    yield gw
    gw.stop()


@pytest.fixture(scope="module")
def site(stack, mariadb, proxy, clock):
    """An account whose demo user may reach the MariaDB (account `demo`, password hosted) through
    an ACL with the template RULES."""
    from infra import demo_bastion
    account = new_account()
    kept = demo_bastion.ensure(stack.endpoint, account, 2222, "unused-target-1", None,
                               user=f"db{uuid.uuid4().hex[:8]}")
    kept = demo_bastion.ensure_database(stack.endpoint, account, mariadb.info(), kept, cmd_list=RULES)
    return {"account": account, "kept": kept, "bh": Bastion(stack.endpoint, account),
            "login": f"{kept['user']}/{mariadb.user}/127.0.0.1"}


def secret_login(site, clock) -> str:
    """`<bastion password>,<current code>`."""
    return f"{site['kept']['password']},{clock.next_code(site['kept']['totp_secret'])}"


def admin_rows(mariadb, sql: str):
    import pymysql
    conn = pymysql.connect(host=mariadb.host, port=mariadb.port, user=mariadb.admin_user,
                           password=mariadb.admin_password, database="demo")
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def access_string(site) -> tuple:
    from infra.bastion_cli import bastion as cli
    out = CliRunner().invoke(cli, ["access-string", "--account", site["account"]["OwnerUin"], "--user",
                                   site["kept"]["user"], "--device-account", str(site["kept"]["db_account_id"])],
                             catch_exceptions=False).output
    fields = dict(line.split(" ", 1) for line in out.strip().splitlines())
    return fields["username"], fields["password"]


def window() -> dict:
    now = datetime.now(timezone.utc)
    return dict(StartTime=(now - timedelta(hours=1)).isoformat(), EndTime=(now + timedelta(hours=1)).isoformat())


def mysql_cli(port: int, user: str, password: str, sql: str):
    exe = shutil.which("mariadb") or shutil.which("mysql")
    if exe is None:
        pytest.skip("needs the mysql client (mariadb-client, from sh infra/debian_deps.sh mariadb)")
    return subprocess.run([exe, "-h", "127.0.0.1", "-P", str(port), "-u", user, f"-p{password}", "--batch",
                           "--skip-ssl", "demo", "-e", sql], capture_output=True, text=True, timeout=30)


def test_pymysql_with_the_access_string_and_blocking(stack, mariadb, proxy, site, clock):
    import pymysql
    user, password = access_string(site)
    assert user.endswith(f"/{mariadb.user}/127.0.0.1:{mariadb.port}")
    conn = pymysql.connect(host="127.0.0.1", port=proxy.mysql_port, user=user, password=password, database="demo",
                           client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS, autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SELECT id, name FROM items ORDER BY id")
        assert cur.fetchall() == ((1, "one"), (2, "two"), (3, "three"))
        cur.execute("CREATE TABLE IF NOT EXISTS scratch (id INT PRIMARY KEY, v INT)")
        assert cur.execute("INSERT INTO scratch VALUES (1, 1), (2, 2), (3, 3)") == 3
        assert cur.execute("UPDATE scratch SET v = v + 1 WHERE id > 1") == 2
        for sql in ("DROP TABLE items", "drop /* hidden */ TABLE `items`", "/*! DROP TABLE items */",
                    "SELECT 1; DROP TABLE items", "DELETE FROM scratch", "TrUnCaTe scratch",
                    "UPDATE scratch SET v = 0",
                    # MariaDB runs these (compound statements, SET STATEMENT … FOR): checked against it
                    "BEGIN NOT ATOMIC DROP TABLE items; END", "IF 1 THEN DELETE FROM scratch; END IF",
                    "SET STATEMENT max_statement_time=100 FOR TRUNCATE scratch",
                    "DELETE FROM scratch /*!999999 WHERE id = 1 */"):
            with pytest.raises(pymysql.err.OperationalError) as refused:
                cur.execute(sql)
            assert refused.value.args[0] == 1227 and "Guardzone: statement blocked by template" in refused.value.args[1]
        # under NO_BACKSLASH_ESCAPES, which a session may set, `'a\'` is a whole string and DROP a statement
        cur.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")
        with pytest.raises(pymysql.err.OperationalError) as refused:
            cur.execute("SELECT 'a\\'; DROP TABLE items; -- '")
        assert refused.value.args[0] == 1227
        cur.execute("SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')")
        cur.execute("SELECT 1; SELECT name FROM items WHERE id = 2")      # a multi-statement, allowed
        assert cur.fetchall() == ((1,),) and cur.nextset() and cur.fetchall() == (("two",),)
        cur.execute("SELECT COUNT(*) FROM scratch WHERE v > 1")
        assert cur.fetchall() == ((2,),)
    conn.close()
    # GBK (which a client may use) reads \xbf\x5c as one character: the server then sees the string
    # end there and DROP as a statement, where UTF-8 reads a backslash escape
    gbk = pymysql.connect(host="127.0.0.1", port=proxy.mysql_port, user=user, password=password, database="demo",
                          charset="gbk", client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS, autocommit=True)
    with gbk.cursor() as cur:
        cur.execute("SET NAMES gbk")
        with pytest.raises(pymysql.err.OperationalError) as refused:
            cur.execute(b"SELECT '\\'\xbf\x5c'; DROP TABLE items; -- '".decode("gbk"))
        assert refused.value.args[0] == 1227
    gbk.close()
    assert admin_rows(mariadb, "SELECT COUNT(*) FROM items") == ((3,),)
    assert admin_rows(mariadb, "SELECT COUNT(*) FROM scratch") == ((3,),)
    # a wrong access string is refused
    with pytest.raises(pymysql.err.OperationalError) as wrong:
        pymysql.connect(host="127.0.0.1", port=proxy.mysql_port, user=user, password="x" * 16)
    assert wrong.value.args[0] == 1045


def test_a_use_the_server_refuses_leaves_the_session_in_its_database(stack, mariadb, proxy, site):
    """`DELETE demo.items` is a rule. `USE nosuch` fails on the server, which stays in demo: the
    DELETE after it is judged there (and in nosuch, until the server has answered), not let
    through as a DELETE in a database the session never entered."""
    import pymysql
    user, password = access_string(site)
    conn = pymysql.connect(host="127.0.0.1", port=proxy.mysql_port, user=user, password=password, database="demo",
                           autocommit=True)
    with conn.cursor() as cur:
        with pytest.raises(pymysql.err.OperationalError) as missing:
            cur.execute("USE nosuch_db")
        assert missing.value.args[0] in (1044, 1049)        # no such database, or not this user's
        with pytest.raises(pymysql.err.OperationalError) as refused:
            cur.execute("DELETE FROM items WHERE id = 3")
        assert refused.value.args[0] == 1227
        conn.select_db("information_schema")            # COM_INIT_DB the server takes
        cur.execute("DELETE FROM demo.scratch WHERE id = 99")       # another table: allowed
        with pytest.raises(pymysql.err.OperationalError):
            cur.execute("DELETE FROM demo.items WHERE id = 3")
    conn.close()
    assert admin_rows(mariadb, "SELECT COUNT(*) FROM items") == ((3,),)


def test_mysql_cli_with_password_and_code_and_the_records(stack, mariadb, proxy, site, clock):
    done = mysql_cli(proxy.mysql_port, site["login"], secret_login(site, clock),
                     "SELECT name FROM items WHERE id = 3; SHOW TABLES LIKE 'items'")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["name", "three"]
    refused = mysql_cli(proxy.mysql_port, site["login"], secret_login(site, clock),
                        "select 1; -- first\nDROP\n/* a comment */ table items")
    assert refused.returncode == 1 and "ERROR 1227" in refused.stderr and "DROP TABLE" in refused.stderr
    assert admin_rows(mariadb, "SELECT COUNT(*) FROM items") == ((3,),)
    wrong = mysql_cli(proxy.mysql_port, site["login"], "not-the-password,123456", "SELECT 1")
    assert wrong.returncode == 1 and "ERROR 1045" in wrong.stderr
    # records: the sessions (Kind 4, Protocol MySQL) and their statements with their outcome
    settle(stack, site["account"]["OwnerUin"])
    bh = site["bh"]
    found = bh.call("SearchSession", Kind=4, **window())["SessionSet"]
    assert found and {s["Protocol"] for s in found} == {"MySQL"}
    by_sid = {}
    for s in found:
        cmds = bh.call("SearchCommandBySid", Sid=s["Id"], Limit=100)["CommandSet"]
        by_sid[s["Id"]] = [(c["Cmd"], c["Action"]) for c in cmds]
    everything = [c for cmds in by_sid.values() for c in cmds]
    assert ("SELECT name FROM items WHERE id = 3", 1) in everything
    assert ("DROP TABLE items", 2) in everything or any(a == 2 and "DROP" in c.upper() for c, a in everything)
    assert any(c.startswith("UPDATE scratch SET v = v + 1") and a == 1 for c, a in everything)
    blocked = [s for s in found if s["DangerCount"]]
    assert blocked
    # the session's transcript: the statements and their outcomes, no result rows
    from infra.bastion_cli import bastion as cli
    texts = [CliRunner().invoke(cli, ["transcript", s["Id"], "--account", site["account"]["OwnerUin"]],
                                catch_exceptions=False).output for s in found]
    text = "\n".join(texts)
    assert "mysql> SELECT name FROM items WHERE id = 3\n1 rows in set" in text
    assert "Guardzone: statement blocked by template" in text and "three" not in text.replace("id = 3", "")
    # affected rows and errors are kept with each statement (the store's record)
    from layers.bastion import session_log
    from layers.search.default import default_store
    start, end = session_log.window(window()["StartTime"], window()["EndTime"])
    _, hits = session_log.search(default_store(), session_log.COMMAND, site["account"]["OwnerUin"], start, end,
                                 [session_log.contains("Cmd", "INSERT INTO scratch")], 0, 10)
    assert hits
    # another account's user cannot reach the device, and sees none of it
    other = Bastion(stack.endpoint, new_account())
    assert other.call("SearchSession", Kind=4, **window())["TotalCount"] == 0


def test_prepared_statements_are_judged_and_recorded_with_their_parameters(stack, mariadb, proxy, site):
    import mysql.connector
    import pymysql
    user, password = access_string(site)
    conn = mysql.connector.connect(host="127.0.0.1", port=proxy.mysql_port, user=user, password=password,
                                   database="demo", use_pure=True, ssl_disabled=True, autocommit=True)
    cur = conn.cursor(prepared=True)
    cur.execute("SELECT name FROM items WHERE id = %s AND name <> %s", (2, "it's"))
    assert cur.fetchall() == [("two",)]
    cur.execute("CREATE TABLE IF NOT EXISTS prepared_t (id INT PRIMARY KEY, v VARCHAR(20))")
    cur.execute("INSERT INTO prepared_t VALUES (%s, %s)", (7, "seven"))
    assert cur.rowcount == 1
    for sql in ("DROP TABLE items", "DELETE FROM prepared_t", "/* x */ truncate `prepared_t`"):
        with pytest.raises(mysql.connector.errors.Error) as refused:
            cur.execute(sql, ())
        assert refused.value.errno == 1227, sql
    conn.close()
    # SQL-level PREPARE: the statement inside the string is judged
    conn = pymysql.connect(host="127.0.0.1", port=proxy.mysql_port, user=user, password=password, database="demo")
    with conn.cursor() as cur:
        with pytest.raises(pymysql.err.OperationalError) as refused:
            cur.execute("PREPARE s FROM 'DROP TABLE items'")
        assert refused.value.args[0] == 1227
        cur.execute("USE demo")
    conn.close()
    assert admin_rows(mariadb, "SELECT COUNT(*) FROM items") == ((3,),)
    assert admin_rows(mariadb, "SELECT id, v FROM prepared_t") == ((7, "seven"),)
    settle(stack, site["account"]["OwnerUin"])
    records = statements(site["account"]["OwnerUin"], "prepared_t")
    inserted = [s for s in records if s["Cmd"].startswith("INSERT INTO prepared_t")]
    assert inserted and inserted[0]["Cmd"].endswith("-- parameters: (7, 'seven')")
    assert inserted[0]["AffectedRows"] == 1 and inserted[0]["Action"] == 1
    assert any(s["Action"] == 2 and "DELETE FROM prepared_t" in s["Cmd"] and "DELETE WITHOUT WHERE" in s["Error"]
               for s in records)


def statements(owner: str, cmd: str) -> list:
    """The store's records of the account's statements containing `cmd` (with their outcome)."""
    import json

    from layers.bastion import session_log
    from layers.search.default import default_store
    from layers.search.query import Search
    start, end = session_log.window(window()["StartTime"], window()["EndTime"])
    from layers.bastion import times
    found = default_store().search(Search(session_log.FAMILIES[session_log.COMMAND], owner, times.millis(start),
                                          times.millis(end), (session_log.contains("Cmd", cmd),), size=100))
    return [json.loads(h.source) for h in found.hits]


def test_errors_and_affected_rows_are_kept_and_other_accounts_cannot_reach_the_device(stack, mariadb, proxy, site,
                                                                                     clock):
    import pymysql
    from infra import demo_bastion
    user, password = access_string(site)
    conn = pymysql.connect(host="127.0.0.1", port=proxy.mysql_port, user=user, password=password, database="demo",
                           autocommit=True)
    with conn.cursor() as cur:
        with pytest.raises(pymysql.err.ProgrammingError):
            cur.execute("SELECT * FROM no_such_table_here")
        cur.execute("CREATE TABLE IF NOT EXISTS counted (id INT)")
        cur.execute("INSERT INTO counted VALUES (1), (2), (3), (4)")
        conn.select_db("demo")                          # COM_INIT_DB
    conn.close()
    settle(stack, site["account"]["OwnerUin"])
    owner = site["account"]["OwnerUin"]
    (missing,) = statements(owner, "no_such_table_here")
    assert "1146" in missing["Error"] and missing["Action"] == 1
    (inserted,) = statements(owner, "INSERT INTO counted")
    assert inserted["AffectedRows"] == 4 and "Error" not in inserted
    assert statements(owner, "USE `demo`")
    # another account: its user, with its own valid password and code, reaches nothing of this one
    other = new_account()
    theirs = demo_bastion.ensure(stack.endpoint, other, 2223, "unused-target-2", None,
                                 user=f"ot{uuid.uuid4().hex[:8]}")
    code = clock.next_code(theirs["totp_secret"])
    for login in (f"{theirs['user']}/{mariadb.user}/127.0.0.1:{mariadb.port}",
                  f"{theirs['user']}@{owner}/{mariadb.user}/127.0.0.1:{mariadb.port}"):
        with pytest.raises(pymysql.err.OperationalError) as refused:
            pymysql.connect(host="127.0.0.1", port=proxy.mysql_port, user=login,
                            password=f"{theirs['password']},{code}")
        assert refused.value.args[0] in (1044, 1045)
    # nor logs in with this account's access string under its own name
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(host="127.0.0.1", port=proxy.mysql_port,
                        user=f"{theirs['user']}/{mariadb.user}/127.0.0.1:{mariadb.port}", password=password)
    assert Bastion(stack.endpoint, other).call("SearchSession", Kind=4, **window())["TotalCount"] == 0


def test_statements_reach_the_queue_packed_and_all_are_searchable(stack, mariadb, proxy, site, monkeypatch):
    """A session's statements go to the session-log queue a few hundred a message ("batch"
    messages), off the statement path, and every one of them is indexed with its outcome; a
    session that stays open has its statements sent on a timer."""
    import time

    import pymysql

    from layers.bastion import session_log
    from layers.bastion.mysql import proxy as mysql_proxy
    from layers.bastion.ssh import commands
    from layers.search.default import default_store
    monkeypatch.setattr(mysql_proxy.Statements, "EVERY", 60.0)    # sent when the session ends, whatever the load
    calls = []
    real_send = commands.send

    def counted(messages):
        calls.append(list(messages))
        real_send(messages)
    monkeypatch.setattr(commands, "send", counted)
    user, password = access_string(site)
    conn = pymysql.connect(host="127.0.0.1", port=proxy.mysql_port, user=user, password=password, database="demo",
                           autocommit=True)
    n = 300
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS packed_t (id INT PRIMARY KEY, v INT)")
        for i in range(n):
            cur.execute(f"INSERT INTO packed_t VALUES ({i}, {i * 7})")
    conn.close()
    owner = site["account"]["OwnerUin"]
    start, end = session_log.window(window()["StartTime"], window()["EndTime"])
    total, deadline = 0, time.monotonic() + 20
    while total < n and time.monotonic() < deadline:
        deliver(stack)
        total, _ = session_log.search(default_store(), session_log.COMMAND, owner, start, end,
                                      [session_log.contains("Cmd", "INSERT INTO packed_t")], 0, 1)
    assert total == n
    mine = [m for call in calls for m in call
            if any("packed_t" in e.get("Cmd", "") for e in m.get("Events", [m]))]
    events = [e for m in mine for e in m.get("Events", [m])]
    assert len([e for e in events if e["Cmd"].startswith("INSERT INTO packed_t")]) == n
    assert len(mine) <= n // 50 and any(m.get("Type") == "batch" for m in mine)   # ~90 a message
    assert all(e["AffectedRows"] == 1 and e["Action"] == 1 for e in events if e["Cmd"].startswith("INSERT"))
    # each queue call stays within SendMessageBatch's 256 KiB
    import json
    assert all(sum(len(json.dumps(m, ensure_ascii=False).encode()) for m in call) < 256 * 1024 for call in calls)
    # an open session's statements reach the queue within EVERY
    monkeypatch.setattr(mysql_proxy.Statements, "EVERY", 0.05)
    conn = pymysql.connect(host="127.0.0.1", port=proxy.mysql_port, user=user, password=password, database="demo",
                           autocommit=True)
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM packed_t WHERE v > 7")
    total, deadline = 0, time.monotonic() + 20
    while not total and time.monotonic() < deadline:
        deliver(stack)
        total, _ = session_log.search(default_store(), session_log.COMMAND, owner, start, end,
                                      [session_log.contains("Cmd", "FROM packed_t WHERE v > 7")], 0, 1)
    conn.close()
    assert total == 1
