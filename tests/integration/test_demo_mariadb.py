"""The demo MariaDB target (infra/demo_mariadb.py): a private mariadbd with the demo database and
user, reached with pymysql, over TLS when asked for; stop() leaves nothing behind."""
import os
import shutil
import ssl
import subprocess

import pytest

from infra import demo_mariadb

import pymysql  # noqa: E402 (a project dependency: its absence is a broken install, not a skip)

WHY = demo_mariadb.unavailable()
pytestmark = pytest.mark.skipif(WHY is not None, reason=WHY or "")


@pytest.fixture(scope="module")
def target():
    db = demo_mariadb.DemoMariaDB(tls=True).start()
    yield db
    db.stop()


def connect(db, **kw):
    return pymysql.connect(host=db.host, port=db.port, user=kw.pop("user", db.user),
                           password=kw.pop("password", db.password), database=db.database, connect_timeout=5, **kw)


def test_demo_user_reads_and_writes_the_demo_database(target):
    with connect(target) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, name FROM items ORDER BY id")
        assert cur.fetchall() == ((1, "one"), (2, "two"), (3, "three"))
        cur.execute("CREATE TABLE scratch (a INT)")
        cur.execute("INSERT INTO scratch VALUES (1), (2)")
        assert cur.rowcount == 2
        cur.execute("DROP TABLE scratch")
        cur.execute("SELECT CURRENT_USER()")
        assert cur.fetchone()[0] == f"{target.user}@%"


def test_the_password_is_checked_and_the_user_is_confined_to_demo(target):
    with pytest.raises(pymysql.err.OperationalError) as err:
        connect(target, password=target.password + "x")
    assert err.value.args[0] == 1045                     # access denied
    with connect(target) as conn, conn.cursor() as cur:
        with pytest.raises(pymysql.err.OperationalError) as err:
            cur.execute("CREATE DATABASE other")
        assert err.value.args[0] == 1044
    with pymysql.connect(host=target.host, port=target.port, user=target.admin_user,
                         password=target.admin_password) as conn, conn.cursor() as cur:
        # no account without a password is reachable over TCP
        cur.execute("SELECT user, host FROM mysql.user WHERE authentication_string = '' AND host != 'localhost'")
        assert cur.fetchall() == ()
        cur.execute("SELECT COUNT(*) FROM mysql.user WHERE user = %s", (target.user,))
        assert cur.fetchone()[0] == 1


def test_tls_to_the_target_with_its_certificate_authority(target):
    ctx = ssl.create_default_context(cafile=target.ca_file)
    with connect(target, ssl=ctx) as conn, conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
        assert cur.fetchone()[1].startswith("TLSv1")
    with connect(target, ssl_disabled=True) as conn, conn.cursor() as cur:   # offered, not required
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        assert cur.fetchone()[1] == ""


def test_the_mysql_command_line_client_over_tls(target):
    if shutil.which("mysql") is None:
        pytest.skip("needs the mysql command-line client (mariadb-client)")
    out = subprocess.run(["mysql", "-h", target.host, "-P", str(target.port), "-u", target.user,
                          f"-p{target.password}", "--ssl", f"--ssl-ca={target.ca_file}", "--ssl-verify-server-cert",
                          "-N", "-B", target.database, "-e", "SELECT name FROM items WHERE id = 2; SHOW STATUS LIKE 'Ssl_version'"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "two" and lines[1].startswith("Ssl_version\tTLSv1")


def test_stop_kills_the_server_and_removes_the_datadir():
    db = demo_mariadb.DemoMariaDB(require_tls=True).start()
    proc, folder = db.proc, db.dir
    try:
        with pytest.raises(pymysql.err.OperationalError):
            connect(db, ssl_disabled=True)                   # REQUIRE SSL: plain is refused
        with connect(db, ssl={"ca": db.ca_file}) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
    finally:
        db.stop()
    assert proc.poll() is not None and not os.path.exists(folder)
    with pytest.raises(pymysql.err.OperationalError):
        connect(db)
