"""SQL statement blocking (layers/bastion/sql_policy.py): rules from command templates applied to
the statements a database client sends, whatever comments, case, quoting and nesting hide them."""
import base64

import pytest

from layers.bastion.sql_policy import (Rules, SqlSession, compile_template, first_blocked, judge, parse_rule,
                                       rules_from_acls, rules_from_templates, split)

DANGER = "\n".join([
    "DROP", "TRUNCATE", "GRANT", "ALTER USER",
    "DELETE WITHOUT WHERE", "UPDATE WITHOUT WHERE",
    "rm -rf",                  # a shell rule: not a SQL one
])
RULES = rules_from_templates([{"Name": "danger", "CmdList": DANGER}])


def verdict(sql, rules=RULES, database=None):
    """The first blocked verdict of `sql`, or None when every statement may run."""
    return first_blocked(judge(sql, rules, database))


@pytest.mark.parametrize("sql, kind, rule", [
    ("DROP TABLE t", "DROP TABLE", "DROP"),
    ("drop database demo", "DROP DATABASE", "DROP"),
    ("DROP SCHEMA IF EXISTS demo", "DROP DATABASE", "DROP"),
    ("truncate t", "TRUNCATE TABLE", "TRUNCATE"),
    ("TRUNCATE TABLE demo.t", "TRUNCATE TABLE", "TRUNCATE"),
    ("GRANT ALL ON *.* TO 'x'@'%'", "GRANT", "GRANT"),
    ("alter user 'root'@'localhost' identified by 'x'", "ALTER USER", "ALTER USER"),
    ("DELETE FROM t", "DELETE", "DELETE WITHOUT WHERE"),
    ("delete from t limit 10", "DELETE", "DELETE WITHOUT WHERE"),
    ("DELETE FROM t WHERE 1=1", "DELETE", "DELETE WITHOUT WHERE"),        # names no column
    ("UPDATE t SET a = 1", "UPDATE", "UPDATE WITHOUT WHERE"),
    ("update t1 join t2 on t1.a = t2.a set t1.b = 0", "UPDATE", "UPDATE WITHOUT WHERE"),
    ("WITH c AS (SELECT 1) DELETE FROM t", "DELETE", "DELETE WITHOUT WHERE"),
])
def test_high_risk_statements_are_blocked(sql, kind, rule):
    v = verdict(sql)
    assert v is not None and v.blocked
    assert (v.kind, v.rule, v.template, v.reason) == (kind, rule, "danger", "template")
    assert "danger" in v.message and rule in v.message


@pytest.mark.parametrize("sql", [
    "DELETE FROM t WHERE id = 1",
    "delete from t where id in (select id from u)",
    "UPDATE t SET a = 1 WHERE b = 2",
    "select 'drop table t' as x",
    'select "truncate t", `drop` from t',
    "select drop_count, grant_id from t",
    "insert into t (drop_count) values (1)",
    "select 1 -- drop table t",
    "select 1 # ; drop table t",
    "select 1 /* ; drop table t */",
    "CREATE TABLE t (a int)",
    "SHOW GRANTS",
    "BEGIN", "BEGIN WORK", "IF 1 THEN SELECT 1; ELSE UPDATE t SET a=1 WHERE id=2; END IF",
    "BEGIN NOT ATOMIC DELETE FROM t WHERE id IN (SELECT id FROM u); END",
    "SET STATEMENT max_statement_time=100 FOR SELECT * FROM t FOR UPDATE",
    "/*!40101 SET NAMES utf8mb4 */", "DELETE FROM t WHERE id = 1 /*!999999 OR 1 */",
    "ALTER TABLE t DROP COLUMN a", "ALTER TABLE t ADD PARTITION (PARTITION p9 VALUES LESS THAN (100))",
    "ALTER TABLE t ENGINE=InnoDB", "ALTER TABLE t IMPORT TABLESPACE", "ALTER TABLE t COMMENT 'ENGINE=BLACKHOLE'",
    "CREATE PROCEDURE p(a INT, b VARCHAR(3)) COMMENT 'DROP TABLE t' SELECT 1",
    "CREATE TRIGGER tr AFTER DELETE ON t FOR EACH ROW INSERT INTO log VALUES (1)", "ALTER EVENT e DISABLE",
])
def test_statements_that_only_mention_a_blocked_word_run(sql):
    assert verdict(sql) is None


@pytest.mark.parametrize("sql", [
    "select 1; drop table t",
    "select 1;DROP TABLE t;select 2",
    "SeLeCt 1; dRoP tAbLe `t`",
    "DROP/* hidden */TABLE t",
    "/* c */ drop -- x\n table t",
    "/*!50000 DROP TABLE t */",
    "/*!DROP TABLE t*/",
    "/*M!100100 DROP TABLE t */",
    "select 1 /*!; drop table t */",
    "select 1 --1; drop table t",          # MySQL's `--` needs a space after it to start a comment
    "PREPARE s FROM 'DROP TABLE t'",
    "prepare s from 'delete from t'",
    "PREPARE s FROM _utf8mb4'DROP ' 'TABLE t'",
    "EXECUTE IMMEDIATE 'TRUNCATE t'",
    "ANALYZE FORMAT=JSON DELETE FROM t",     # MariaDB runs the statement it analyses
    "CREATE PROCEDURE p() BEGIN DELETE FROM t; END",
    "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DROP TABLE t",
    "ALTER EVENT e DO DROP TABLE t",             # a new body for an event that exists
    # characteristics between a routine's header and its body (checked on MariaDB 10.11)
    "CREATE PROCEDURE p() SQL SECURITY INVOKER COMMENT 'x' DROP TABLE t",
    "CREATE PROCEDURE p() LANGUAGE SQL NOT DETERMINISTIC MODIFIES SQL DATA DELETE FROM t",
    "CREATE FUNCTION f() RETURNS VARCHAR(10) CHARSET utf8 DETERMINISTIC BEGIN DELETE FROM t; RETURN 'a'; END",
    "CREATE TRIGGER tr AFTER UPDATE ON t FOR EACH ROW FOLLOWS tr0 DELETE FROM u",
    "ALTER DEFINER=root EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END",
    # MariaDB runs compound statements sent as a query, and SET STATEMENT's statement
    "BEGIN NOT ATOMIC DROP TABLE t; END",
    "begin not atomic select 1; end; begin not atomic delete from t; end",
    "IF 1 THEN DROP TABLE t; END IF",
    "IF 0 THEN SELECT 1; ELSE TRUNCATE t; END IF",
    "IF 0 THEN SELECT 1; ELSEIF 1 THEN DROP TABLE t; END IF",
    "CASE WHEN 1 THEN DROP TABLE t; END CASE",
    "CASE 1 WHEN 0 THEN SELECT 1; WHEN 1 THEN DROP TABLE t; END CASE",
    "WHILE 1 DO DROP TABLE t; END WHILE",
    "REPEAT DROP TABLE t; UNTIL 1 END REPEAT",
    "FOR i IN 1..1 DO DROP TABLE t; END FOR",
    "BEGIN NOT ATOMIC l: LOOP DROP TABLE t; LEAVE l; END LOOP; END",
    "BEGIN NOT ATOMIC IF 1 THEN WHILE 1 DO DELETE FROM t; END WHILE; END IF; END",
    "BEGIN NOT ATOMIC DECLARE CONTINUE HANDLER FOR SQLSTATE '42000', 1064 DROP TABLE t; SELECT 1; END",
    "CREATE PROCEDURE p() BEGIN DECLARE EXIT HANDLER FOR SQLEXCEPTION DROP TABLE t; SELECT 1; END",
    "SET STATEMENT max_statement_time=100 FOR DROP TABLE t",
    "SET STATEMENT a=(SELECT 1 FOR UPDATE), b=2 FOR DELETE FROM t",
    "IF 1 THEN " * 500 + "DROP TABLE t",
    "ALTER TABLE t DROP PARTITION p0",                  # removes the partition's rows, as DROP TABLE
    "alter table t truncate partition p0, p1",          # as TRUNCATE
    "ALTER TABLE t DISCARD TABLESPACE",                 # deletes the data file, as DROP TABLE
    "alter table t discard partition p0 tablespace",
    "ALTER TABLE t ENGINE=BLACKHOLE",                   # every row thrown away, as TRUNCATE
    "ALTER TABLE t ADD COLUMN c INT, ENGINE = 'blackhole'",
    "ALTER TABLE t ENGINE `Blackhole`",
    "BEGIN DROP TABLE t; END",                          # sql_mode=ORACLE: an anonymous block
    "BEGIN <<l>> DROP TABLE t; END",
    "IF 0 THEN NULL; ELSIF 1 THEN DROP TABLE t; END IF",
    # a server older than the version skips the comment (MariaDB 10.11 deletes every row)
    "DELETE FROM t /*!999999 WHERE id = 1 */",
    "delete from t /*M!110000 where id = 1 */",
    "UPDATE t SET a = 1 /*!99999 WHERE id = 1 */",
])
def test_statements_hidden_in_comments_multi_statements_and_prepared_text_are_blocked(sql):
    v = verdict(sql)
    assert v is not None and v.blocked, sql


def test_every_statement_of_a_multi_statement_gets_a_verdict():
    verdicts = judge("select 1; /*!50000 drop table `demo`.`t` */ ; update t set a=1 where id=2", RULES)
    assert [(v.blocked, v.kind) for v in verdicts] == [(False, "SELECT"), (True, "DROP TABLE"), (False, "UPDATE")]
    assert verdicts[1].statement == "drop table `demo`.`t`"


def test_split_removes_comments_and_unwraps_executable_comments():
    assert split("select 1 /* c */; /*!50000 drop */ table `t` -- x\n;# y\n") == ["select 1", "drop table `t`"]
    assert split("select ';' as x, `a;b`; select 2") == ["select ';' as x, `a;b`", "select 2"]
    with pytest.raises(ValueError):
        split("select 'open")


def test_unclosed_quotes_and_comments_are_blocked_under_rules():
    for sql in ("select 'open", "select 1 /* drop table t", "select `x"):
        v = verdict(sql)
        assert v is not None and v.reason == "unparsable"
    assert judge("select 'open", Rules())[0].blocked is False      # no rules: nothing is judged


def test_object_patterns_qualifiers_and_current_database():
    rules = rules_from_templates([{"Name": "prod", "CmdList": "DROP TABLE prod.*\nDELETE prod.audit*\nDROP DATABASE prod"}])
    assert verdict("drop table prod.users", rules).rule == "DROP TABLE prod.*"
    assert verdict("DROP TABLE `PROD`.`Users`", rules) is not None
    assert verdict("drop table users", rules, database="prod") is not None
    assert verdict("drop table users", rules, database="test") is None
    assert verdict("drop table users", rules) is not None                 # database unknown: may be prod
    assert verdict("drop table test.users", rules) is None
    assert verdict("drop database prod", rules).rule == "DROP DATABASE prod"
    assert verdict("drop database test", rules) is None
    assert verdict("delete from prod.audit_log where id = 1", rules) is not None
    assert verdict("delete from prod.users where id = 1", rules) is None
    # GRANT on every database covers prod
    grant = rules_from_templates([{"Name": "g", "CmdList": "GRANT prod.*"}])
    assert verdict("GRANT SELECT ON *.* TO 'a'@'%'", grant) is not None
    assert verdict("GRANT SELECT ON test.* TO 'a'@'%'", grant) is None


def test_rule_syntax():
    assert parse_rule("rm -rf") is None and parse_rule("# comment") is None
    r = parse_rule("delete without where")
    assert (r.kind, r.without_where, r.pattern) == ("DELETE", True, None)
    r = parse_rule("sql: DROP SCHEMA `Prod`")
    assert (r.kind, r.pattern) == ("DROP DATABASE", "prod")
    assert parse_rule("TRUNCATE").kind == "TRUNCATE TABLE"
    assert parse_rule("DROP TABLE a b") is None
    tpl = compile_template("t", "DROP\n#dynamic: allow\n#unparsable: allow\nls -l")
    assert (len(tpl.rules), tpl.dynamic_block, tpl.unparsable_block) == (1, False, False)


def test_prepare_from_a_variable_follows_the_dynamic_directive():
    assert verdict("PREPARE s FROM @q").reason == "dynamic"
    assert verdict("EXECUTE IMMEDIATE CONCAT('DR', 'OP TABLE t')").reason == "dynamic"
    assert verdict("BINLOG 'vN1cZw8BAAAA'").reason == "dynamic"       # encoded binary-log events
    lenient = rules_from_templates([{"Name": "l", "CmdList": "DROP\n#dynamic: allow"}])
    assert verdict("PREPARE s FROM @q", lenient) is None and verdict("BINLOG 'x'", lenient) is None


def test_unparsable_statements_follow_the_template_directive():
    # sqlglot cannot parse this DELETE; the WHERE rule needs its structure
    sql = "DELETE FROM t WHERE a = 1 ORDER BY b LIMIT 1 RETURNING zz(("
    strict = rules_from_templates([{"Name": "s", "CmdList": "DELETE WITHOUT WHERE"}])
    lenient = rules_from_templates([{"Name": "l", "CmdList": "DELETE WITHOUT WHERE\n#unparsable: allow"}])
    assert verdict(sql, strict).reason == "unparsable"
    assert verdict(sql, lenient) is None
    # a rule naming only the kind needs no parse
    assert verdict("select * into outfile '/tmp/x' from t", strict) is None


def test_allow_list_from_sql_entries_of_white_cmds():
    acls = [{"CmdTemplateIds": [1], "WhiteCmds": ["ls", "sql: SELECT", "sql: SHOW", "sql: SET NAMES", "sql: USE"]}]
    templates = {1: {"Name": "enc", "Encoding": 1, "CmdList": base64.b64encode(b"DROP").decode()}}
    rules = rules_from_acls(acls, templates)
    assert rules.allow_list is not None and len(rules.templates) == 1
    assert verdict("select * from t; show tables; set names utf8mb4; use demo", rules) is None
    v = verdict("insert into t values (1)", rules)
    assert (v.reason, v.kind) == ("allow-list", "INSERT")
    assert verdict("drop table t", rules).reason == "template"
    # shell-only allow-lists do not restrict SQL
    assert rules_from_acls([{"WhiteCmds": ["ls", "cat"]}], {}).allow_list is None


def test_session_follows_use_and_prepared_statements():
    rules = rules_from_templates([{"Name": "prod", "CmdList": "DROP TABLE prod.*\nDELETE WITHOUT WHERE"}])
    s = SqlSession(rules)
    assert [v.blocked for v in s.query("use test; drop table users")] == [False, False]
    s.init_db("prod")
    assert s.query("drop table users")[0].blocked
    s.init_db("test")
    # SQL PREPARE/EXECUTE: EXECUTE of a blocked name is blocked too
    out = s.query("PREPARE p FROM 'DELETE FROM t'; EXECUTE p")
    assert [v.blocked for v in out] == [True, True]
    assert [v.blocked for v in s.query("PREPARE q FROM 'DELETE FROM t WHERE id = ?'; EXECUTE q USING @x")] == [False, False]
    # protocol prepared statements: judged at COM_STMT_PREPARE, the verdict kept for COM_STMT_EXECUTE
    v = s.prepare("delete from t")
    assert v.blocked and v.rule == "DELETE WITHOUT WHERE"
    ok = s.prepare("delete from t where id = ?")
    assert not ok.blocked
    s.prepared(7, ok)
    assert s.execute(7).blocked is False
    s.close(7)


def test_a_use_is_only_taken_once_the_server_has():
    rules = rules_from_templates([{"Name": "prod", "CmdList": "DROP TABLE prod.*"}])
    s = SqlSession(rules, "prod")
    s.query("USE nosuch")               # the server may refuse it: judged in both until it answers
    assert s.query("DROP TABLE t")[0].blocked
    s.used(False)
    assert s.databases == ["prod"] and s.query("DROP TABLE t")[0].blocked
    s.query("USE test")
    s.used(True)
    assert s.databases == ["test"] and not s.query("DROP TABLE t")[0].blocked
    s.query("USE prod; USE test")       # the last one counts
    s.used(True)
    assert s.databases == ["test"]


def test_no_rules_judges_nothing_and_cache_is_used():
    assert judge("drop table t", Rules()) == judge("drop table t", rules_from_templates([]))
    assert not judge("drop table t", Rules())[0].blocked
    rules = rules_from_templates([{"Name": "d", "CmdList": "DROP"}])
    first = judge("drop table t", rules)
    assert judge("drop table t", rules) == first and ("drop table t", None) in rules._cache


def test_documented_examples():
    rules = rules_from_templates([{"Name": "d", "CmdList": "ALTER USER root*\nDROP prod.*\nSET PASSWORD\nSET GLOBAL\n"
                                                         "KILL\nLOAD DATA\nsql: SHUTDOWN"}])
    assert verdict("alter user 'root'@'localhost' identified by 'x'", rules) is not None
    assert verdict("alter user 'app'@'%' identified by 'x'", rules) is None
    assert verdict("DROP DATABASE prod", rules) is not None and verdict("DROP DATABASE test", rules) is None
    assert verdict("drop view prod.v", rules) is not None
    assert verdict("SET PASSWORD FOR 'a'@'%' = PASSWORD('x')", rules).kind == "SET PASSWORD"
    assert verdict("set @@global.max_connections = 1", rules).kind == "SET GLOBAL"
    assert verdict("SET NAMES utf8mb4; set autocommit=0", rules) is None
    assert verdict("kill 12", rules) is not None and verdict("shutdown", rules) is not None
    assert verdict("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t", rules).kind == "LOAD DATA"


def test_strings_read_without_backslash_escapes_too():
    # under sql_mode NO_BACKSLASH_ESCAPES the server reads three statements here
    assert verdict("select 'a\\'; drop table t; -- '").kind == "DROP TABLE"
    assert verdict('select "a\\"; drop table t; -- "').kind == "DROP TABLE"
    assert verdict("select 'it\\'s; drop table t'") is None


def test_without_rules_each_statement_still_gets_its_kind():
    assert [(v.blocked, v.kind) for v in judge("select 1; drop table t", Rules())] == [(False, "SELECT"), (False, "DROP TABLE")]


@pytest.mark.parametrize("first", [
    "SELECT id, name FROM t WHERE id = 5", "UPDATE t SET v = v + 1 WHERE id = 7", "DELETE FROM t WHERE 1 = 1",
    "DELETE FROM t WHERE id = 3", "UPDATE t SET a = 1", "UPDATE t SET a = 1 WHERE 1", "DELETE FROM t LIMIT 5",
    "INSERT INTO t VALUES (1, 2)", "SELECT * FROM secret2 WHERE 1", "SELECT * FROM t2 WHERE x.5 = 1 LIMIT 10",
    "select count(*) from t where id=5", "UPDATE t SET a = a - 1 WHERE id > -5", "DROP TABLE t9", "KILL 5",
])
def test_statements_of_one_shape_get_the_verdict_each_would_get_alone(first):
    """SqlSession.statements() lets a simple statement whose shape it has let through before
    through unread: the verdicts and statements are the same as a fresh session's."""
    rules = rules_from_templates([{"Name": "danger", "CmdList": DANGER + "\nSELECT secret*"}])
    session = SqlSession(rules, "demo")
    seen = session.statements(first)
    import re
    for values in ((0, 0, 0), (42, 7, 1), (999999, 3, 0)):
        it = iter(values * 4)
        other = re.sub(r"(?<![\w.])\d+(?![\w.])", lambda m: str(next(it)), first)
        alone = SqlSession(rules_from_templates([{"Name": "danger", "CmdList": DANGER + "\nSELECT secret*"}]), "demo")
        got, parts = session.statements(other)
        want = alone.query(other)
        assert [(v.blocked, v.kind, v.rule) for v in got] == [(v.blocked, v.kind, v.rule) for v in want], other
        assert parts == split(other)
    assert [(v.blocked, v.kind) for v in seen[0]] == [(v.blocked, v.kind) for v in SqlSession(rules).query(first)]


@pytest.mark.parametrize("sql, rules, database, blocked", [
    ("CREATE OR REPLACE TABLE t (a int)", "DROP", None, True),
    ("create or replace database d", "DROP DATABASE", None, True),
    ("CREATE OR REPLACE VIEW v AS SELECT 1", "DROP VIEW", None, True),
    ("CREATE OR REPLACE TABLE prod.t (a int)", "DROP TABLE prod.*", None, True),
    ("CREATE OR REPLACE TABLE t (a int)", "DROP TABLE prod.*", "prod", True),
    ("CREATE OR REPLACE TABLE dev.t (a int)", "DROP TABLE prod.*", None, False),
    ("CREATE OR REPLACE TABLE t (a int)", "DROP DATABASE", None, False),
    ("CREATE TABLE t (a int)", "DROP", None, False),
    ("CREATE TABLE IF NOT EXISTS t (a int)", "DROP", None, False),
])
def test_create_or_replace_drops_what_it_replaces(sql, rules, database, blocked):
    # MariaDB: CREATE OR REPLACE TABLE t is DROP TABLE IF EXISTS t, then CREATE TABLE t
    v = verdict(sql, rules_from_templates([{"Name": "t", "CmdList": rules}]), database)
    assert (v is not None and v.blocked) == blocked, sql


@pytest.mark.parametrize("sql, database, blocked", [
    ("ALTER TABLE t RENAME TO x", "prod", True), ("ALTER TABLE prod.t RENAME x", None, True),
    ("alter table prod.t add c int, rename as x", None, True), ("RENAME TABLE prod.t TO x", None, True),
    ("ALTER TABLE prod.t RENAME COLUMN a TO b", None, False), ("ALTER TABLE prod.t RENAME INDEX a TO b", None, False),
    ("ALTER TABLE other.t RENAME TO x", None, False), ("ALTER TABLE prod.t ADD c INT", None, False),
])
def test_alter_table_rename_is_a_rename(sql, database, blocked):
    v = verdict(sql, rules_from_templates([{"Name": "t", "CmdList": "RENAME TABLE prod.*"}]), database)
    assert (v is not None and v.blocked) == blocked, sql


def test_a_session_refuses_what_another_reading_of_the_text_blocks():
    """judge() adds the blocked verdict of another reading (NO_BACKSLASH_ESCAPES, a server that
    skips a versioned comment) after the statements' own: a session keeps it."""
    for sql in ("SELECT 'a\\'; DROP TABLE t; -- '", "DELETE FROM t /*!999999 WHERE id = 1 */"):
        verdicts, _ = SqlSession(RULES, "demo").statements(sql)
        assert first_blocked(verdicts) is not None, sql


def test_bytes_are_also_read_as_the_multibyte_character_sets_a_client_may_use():
    """Under GBK or Big5, \\xbf\\x5c is one character: the string ends at the quote after it and
    DROP is a statement (MariaDB dropped the table); read as UTF-8, the backslash escapes it."""
    raw = b"SELECT '\\'\xbf\x5c'; DROP TABLE t; -- '"
    assert first_blocked(judge(raw.decode("utf-8", "replace"), RULES)) is None
    assert first_blocked(SqlSession(RULES, "demo").statements_of(raw)[0]).kind == "DROP TABLE"
    assert SqlSession(RULES, "demo").prepare_of(raw).blocked
    for harmless in ("SELECT 'é\\\\', `名前` FROM t".encode(), b"SELECT 1"):
        assert first_blocked(SqlSession(RULES, "demo").statements_of(harmless)[0]) is None
