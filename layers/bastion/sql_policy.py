"""High-risk SQL statement blocking: whether a statement a database client sent may run.

    rules = rules_from_acls(grant.acls, templates)       # or rules_from_templates([cmdtemplate, ...])
    for v in judge(sql, rules, database="demo"):       # a Verdict per statement (kind set even without rules)
        if v.blocked:
            send_error(ERROR_CODE, SQLSTATE, v.message)  # "blocked by template `db`: rule `DROP TABLE` ..."
    split(sql)                                           # the statements, comments removed

    session = SqlSession(rules, database="demo")         # one per client connection
    session.query(sql) -> [Verdict]                      # COM_QUERY (tracks USE, PREPARE name FROM ...)
    session.used(succeeded)                              # the server's answer to that USE (or COM_INIT_DB)
    session.init_db(name)                                # the session is in that database
    session.prepare(sql) -> Verdict; session.prepared(stmt_id, verdict)   # COM_STMT_PREPARE, its answer
    session.statements_of(payload), session.prepare_of(payload)    # the same from the bytes a client sent
    session.execute(stmt_id) -> Verdict                  # COM_STMT_EXECUTE: the verdict of what was prepared

The rules are the lines of the ACLs' high-risk command templates (CmdList, the same text as for
shell commands) that name a SQL statement, and the `sql:` entries of their WhiteCmds (an
allow-list). The statement text is read as MySQL/MariaDB's own lexer reads it (quotes, backticks,
`#`, `-- `, `/* */` comments; `/*! ... */` and `/*M! ... */` are code, as the server runs them),
split at `;` (and, when it holds a backslash, also as under sql_mode NO_BACKSLASH_ESCAPES,
whichever blocks), and each statement is judged on its keywords; sqlglot (MySQL dialect) parses it when
a rule needs its structure (a WHERE clause, the tables it names). docs/bastion.md, "Database
access: statement blocking", has the rule syntax.
"""
import fnmatch
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import sqlglot
from sqlglot import exp

logging.getLogger("sqlglot").setLevel(logging.ERROR)   # "falling back to parsing as a Command"

ERROR_CODE = 1227          # ER_SPECIFIC_ACCESS_DENIED_ERROR, what a client shows for a blocked statement
SQLSTATE = "42000"
MAX_STATEMENT = 4 * 1024 * 1024   # longer input is not analysed: blocked when rules are in force
MAX_PARSE = 256 * 1024            # statements longer than this are not given to sqlglot (unparsable)
MAX_DEPTH = 4                     # PREPARE ... FROM 'PREPARE ... FROM ...' nesting followed

# ---- the lexer: MySQL's own reading of comments, quotes and executable comments ----
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<exec>/\*M?!\d{0,6})
  | (?P<close>\*/)
  | (?P<comment>/\*.*?\*/)
  | (?P<open>/\*)
  | (?P<line>\#[^\n]*|--(?=[\x00-\x20]|\Z)[^\n]*)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<ident>`(?:[^`]|``)*`)
  | (?P<var>@@?(?:'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`|[\w$.]*))
  | (?P<word>[\w$]+)
  | (?P<unclosed>['"`])
  | (?P<punct>.)
""", re.X | re.S)
# with sql_mode NO_BACKSLASH_ESCAPES (or ANSI_QUOTES for "…"), a backslash in a string is a character
_PLAIN_STRINGS = r"""(?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")""" + "\n"
_TOKEN_NO_BACKSLASH = re.compile(re.sub(r"\(\?P<string>.*\n", lambda _: _PLAIN_STRINGS, _TOKEN.pattern), re.X | re.S)


def _fast(pattern: str) -> "re.Pattern":
    """The same tokens with the whitespace before each folded into its match (group `sp`): half
    the matches on ordinary SQL. `punct` no longer matches whitespace, so whitespace at the end
    matches nothing."""
    body = pattern.replace("(?P<ws>\\s+)\n  | ", "", 1).replace("(?P<punct>.)", "(?P<punct>\\S)", 1)
    assert body != pattern
    return re.compile("(?P<sp>\\s+)?(?:" + body + ")", re.X | re.S)


_FAST, _FAST_NO_BACKSLASH = _fast(_TOKEN.pattern), _fast(_TOKEN_NO_BACKSLASH.pattern)


class Token(NamedTuple):      # a tuple: made for every token of every statement, cheaply
    type: str      # word, ident (backticked), string, var, punct
    text: str      # as written
    value: str     # word upper-cased; ident and string unquoted; punct itself

    def is_word(self, *words: str) -> bool:
        return self.type == "word" and (not words or self.value in words)


class Unterminated(ValueError):
    """A quote or comment the input does not close."""


def _unquote(text: str, backslash: bool = True) -> str:
    q = text[0]
    body = text[1:-1].replace(q + q, q)
    if q != "`" and backslash:
        body = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "0": "\0", "r": "\r"}.get(m.group(1), m.group(1)), body)
    return body


def lex(sql: str, backslash: bool = True, versioned: bool = True) -> List[List[Tuple[Token, bool]]]:
    """The statements of `sql` as tokens, each with whether whitespace or a comment preceded it;
    backslash=False reads strings as the server does under sql_mode NO_BACKSLASH_ESCAPES;
    versioned=False reads an executable comment with a version (`/*!110000 … */`) as a comment,
    as a server older than that version does (MariaDB also skips MySQL's 50700–99999)."""
    token = _FAST if backslash else _FAST_NO_BACKSLASH
    statements: List[List[Tuple[Token, bool]]] = [[]]
    pos, n, in_exec, space = 0, len(sql), False, False
    while pos < n:
        m = token.match(sql, pos)
        if m is None:           # whitespace at the end
            break
        kind = m.lastgroup
        text = m.group(kind)
        pos = m.end()
        if m.start(kind) != m.start():
            space = True
        if kind in ("comment", "line"):
            space = True
            continue
        if kind == "exec":
            if not versioned and text[-1].isdigit():
                end = sql.find("*/", pos)
                if end < 0:
                    raise Unterminated("a comment is not closed")
                pos, space = end + 2, True
                continue
            in_exec, space = True, True
            continue
        if kind == "close":
            if in_exec:
                in_exec, space = False, True
                continue
            kind, text, pos = "punct", "*", pos - 1
        if kind in ("open", "unclosed"):
            raise Unterminated("a comment or quote is not closed")
        if kind == "punct" and text == ";":
            statements.append([])
            space = False
            continue
        if kind == "word":
            tok = Token("word", text, text.upper())
        elif kind in ("ident", "string"):
            tok = Token(kind, text, _unquote(text, backslash))
        else:
            tok = Token(kind, text, text)
        statements[-1].append((tok, space))
        space = False
    return [s for s in statements if s]


VERSIONED = re.compile(r"/\*M?!\d")


def _text(tokens: Sequence[Tuple[Token, bool]]) -> str:
    return "".join((" " if space and i else "") + tok.text for i, (tok, space) in enumerate(tokens))


def split(sql: str) -> List[str]:
    """The statements of `sql` (a COM_QUERY text), comments removed and executable comments
    unwrapped. Raises ValueError for an unclosed quote or comment."""
    return [st.text for st in _statements(sql)]


# ---- statement kinds ----
OBJECT_VERBS = frozenset({"CREATE", "DROP", "ALTER", "TRUNCATE", "RENAME"})
OBJECT_TYPES = {t: t for t in ("TABLE", "DATABASE", "USER", "ROLE", "VIEW", "INDEX", "PROCEDURE", "FUNCTION",
                               "TRIGGER", "EVENT", "SERVER", "TABLESPACE", "SEQUENCE", "PACKAGE", "PREPARE")}
OBJECT_TYPES.update(SCHEMA="DATABASE", TABLES="TABLE", DATABASES="DATABASE", SCHEMAS="DATABASE")
MODIFIERS = frozenset({"OR", "REPLACE", "TEMPORARY", "ONLINE", "OFFLINE", "IGNORE", "UNIQUE", "FULLTEXT",
                       "SPATIAL", "AGGREGATE", "NONBLOCKING", "EDITIONABLE"})
SECOND_WORDS = {
    "SET": {"PASSWORD", "ROLE", "DEFAULT", "GLOBAL", "PERSIST", "PERSIST_ONLY", "SESSION", "LOCAL", "NAMES",
            "TRANSACTION", "STATEMENT", "CHARACTER"},
    "LOAD": {"DATA", "XML", "INDEX"},
    "EXECUTE": {"IMMEDIATE"},
}
# first words of statements; a template line starting with one of these is a SQL rule
VERBS = frozenset("""
ALTER ANALYZE BACKUP BEGIN BINLOG CACHE CALL CHANGE CHECK CHECKSUM COMMIT CREATE DEALLOCATE DELETE DESC DESCRIBE
DO DROP EXECUTE EXPLAIN FLUSH GET GRANT HANDLER HELP IMPORT INSERT INSTALL KILL LOAD LOCK OPTIMIZE PREPARE PURGE
RELEASE RENAME REPAIR REPLACE RESET RESIGNAL REVOKE ROLLBACK SAVEPOINT SELECT SET SHOW SHUTDOWN SIGNAL START STOP
TABLE TRUNCATE UNINSTALL UNLOCK UPDATE USE VALUES WITH XA RESTART CLONE
""".split())
DML = frozenset({"DELETE", "UPDATE", "INSERT", "REPLACE", "SELECT", "TABLE", "VALUES", "WITH", "LOAD DATA", "LOAD XML"})
ROUTINES = frozenset({"CREATE PROCEDURE", "CREATE FUNCTION", "CREATE TRIGGER", "CREATE EVENT", "CREATE PACKAGE",
                      "ALTER EVENT"})         # (ALTER EVENT … DO gives the event a new body)
# MariaDB runs compound statements sent as a query (`BEGIN NOT ATOMIC DROP TABLE t; END`, `IF 1 THEN
# DROP TABLE t; END IF`, WHILE, REPEAT, FOR, CASE, LOOP): split at `;`, a piece may begin with
# their words (or a label `l:`, `ELSE`, `WHEN x THEN`, a handler's `DECLARE … HANDLER FOR c`)
COMPOUND = frozenset({"BEGIN", "IF", "ELSEIF", "ELSE", "CASE", "WHEN", "WHILE", "REPEAT", "LOOP", "FOR", "DECLARE"})
BODY_STARTS = frozenset({"BEGIN", "ATOMIC", "DO", "THEN", "ELSE", "LOOP", "REPEAT", "ROW", "RETURN", ")", ":",
                         ">"})     # (sql_mode=ORACLE's labels: `BEGIN <<l>> DROP TABLE t; END`)


def known_kinds() -> frozenset:
    kinds = set(VERBS)
    kinds.update(f"{v} {t}" for v in OBJECT_VERBS for t in set(OBJECT_TYPES.values()))
    kinds.update(f"{v} {w}" for v, words in SECOND_WORDS.items() for w in words)
    return frozenset(kinds)


KINDS = known_kinds()


def _skip_definer(toks: List[Token], i: int) -> int:
    i += 1
    if i < len(toks) and toks[i].text == "=":
        i += 1
    i += 1                                            # the user: a name, a string, CURRENT_USER
    if i < len(toks) and toks[i].type == "var":       # 'a'@'%': the host reads as a variable
        i += 1
    if i + 1 < len(toks) and toks[i].text == "(" and toks[i + 1].text == ")":
        i += 2
    return i


def _kind(toks: List[Token]) -> Tuple[str, int]:
    """The statement's kind ("DROP TABLE", "DELETE", ...) and the index of the token after it."""
    i = 0
    while i < len(toks) and toks[i].text == "(":
        i += 1
    if i >= len(toks) or toks[i].type != "word":
        return "", i
    verb = toks[i].value
    i += 1
    if verb == "WITH":        # WITH ... the statement is the first top-level DML verb after the CTEs
        depth = 0
        for j in range(i, len(toks)):
            t = toks[j]
            depth += (t.text == "(") - (t.text == ")")
            if depth == 0 and t.is_word("SELECT", "DELETE", "UPDATE", "INSERT", "REPLACE", "TABLE", "VALUES"):
                return t.value, j + 1
        return "WITH", i
    if verb in OBJECT_VERBS:
        while i < len(toks) and toks[i].type == "word":
            w = toks[i].value
            if w in MODIFIERS:
                i += 1
            elif w == "DEFINER":
                i = _skip_definer(toks, i)
            elif w == "ALGORITHM" or w == "LOCK":
                i += 3 if i + 1 < len(toks) and toks[i + 1].text == "=" else 2
            elif w == "SQL" and i + 1 < len(toks) and toks[i + 1].is_word("SECURITY"):
                i += 3
            else:
                break
        if i < len(toks) and toks[i].type == "word" and toks[i].value in OBJECT_TYPES:
            kind = f"{verb} {OBJECT_TYPES[toks[i].value]}"
            i += 1
            if i < len(toks) and kind.endswith("PACKAGE") and toks[i].is_word("BODY"):
                i += 1
            return kind, i
        return ("TRUNCATE TABLE" if verb == "TRUNCATE" else verb), i
    second = SECOND_WORDS.get(verb)
    if second and i < len(toks):
        t = toks[i]
        if t.type == "word" and t.value in second:
            return f"{verb} {t.value}", i + 1
        if verb == "SET" and t.type == "var" and re.match(r"@@(global|persist)", t.text, re.I):
            return "SET GLOBAL", i
    return verb, i


# ---- objects a statement names ----
@dataclass(frozen=True)
class Obj:
    db: Optional[str]     # None: not named and not known; "*": every database
    name: Optional[str]   # None: the database itself; "*": every object
    user: bool = False    # a user or role ("name@host")


def _name_at(toks: List[Token], i: int, database: Optional[str]) -> Tuple[Optional[Obj], int]:
    if i >= len(toks) or toks[i].type not in ("word", "ident", "string"):
        if i < len(toks) and toks[i].text == "*":
            parts = ["*"]
            i += 1
        else:
            return None, i
    else:
        parts = [toks[i].value if toks[i].type != "word" else toks[i].text]
        i += 1
    if i < len(toks) and toks[i].type == "var" and toks[i].text[:2] != "@@":   # user@host
        host = toks[i].text[1:]
        host = _unquote(host) if host[:1] in "'\"`" else host
        return Obj(None, f"{parts[0]}@{host}".lower(), user=True), i + 1
    while i + 1 < len(toks) and toks[i].text == "." and toks[i + 1].type in ("word", "ident") or (
            i + 1 < len(toks) and toks[i].text == "." and toks[i + 1].text == "*"):
        parts.append(toks[i + 1].value if toks[i + 1].type == "ident" else toks[i + 1].text)
        i += 2
    parts = [p.lower() for p in parts]
    if len(parts) >= 2:
        return Obj(parts[-2], parts[-1]), i
    return Obj(database.lower() if database else None, parts[0]), i


def _names(toks: List[Token], i: int, database: Optional[str], separators=(",",)) -> List[Obj]:
    out = []
    if i < len(toks) and toks[i].is_word("IF"):
        i += 1
        if i < len(toks) and toks[i].is_word("NOT"):
            i += 1
        if i < len(toks) and toks[i].is_word("EXISTS"):
            i += 1
    while True:
        obj, i = _name_at(toks, i, database)
        if obj is None:
            break
        out.append(obj)
        if i < len(toks) and (toks[i].text in separators or toks[i].is_word(*separators)):
            i += 1
            continue
        break
    return out


def _objects(st: "Statement", database: Optional[str]) -> Optional[List[Obj]]:
    """What the statement acts on; None when it cannot be told (unparsable)."""
    kind, toks, i = st.kind, st.tokens, st.after_kind
    if kind in DML:
        tree = st.tree
        if tree is None:
            return None
        out = []
        for t in tree.find_all(exp.Table):
            if t.name:
                db = t.db or database
                out.append(Obj(db.lower() if db else None, t.name.lower()))
        return out
    if kind.endswith(" DATABASE") or kind == "USE":
        return [Obj(o.name, None) for o in _names(toks, i, None)]
    if kind in ("GRANT", "REVOKE"):
        out, depth = [], 0
        for j in range(i, len(toks)):
            depth += (toks[j].text == "(") - (toks[j].text == ")")
            if depth == 0 and toks[j].is_word("ON"):
                k = j + 1
                if k < len(toks) and toks[k].is_word("TABLE", "FUNCTION", "PROCEDURE", "PACKAGE"):
                    k += 1
                out.extend(_names(toks, k, database))
            elif depth == 0 and toks[j].is_word("TO", "FROM"):
                out.extend(Obj(None, o.name, user=True) for o in _names(toks, j + 1, None))
        return out
    if kind.endswith((" USER", " ROLE")):
        return [Obj(None, o.name, user=True) for o in _names(toks, i, None, (",", "TO"))]
    out = _names(toks, i, database, (",", "TO"))
    for j in range(i, len(toks)):           # DROP INDEX i ON t, CREATE TRIGGER ... ON t
        if toks[j].is_word("ON"):
            out.extend(_names(toks, j + 1, database))
            break
    return out


# ---- rules ----
@dataclass(frozen=True)
class Rule:
    """One SQL rule: a statement kind (or its first word), optionally WITHOUT WHERE, optionally an
    object glob."""
    line: str
    kind: str                 # "DROP", "DROP TABLE", "DELETE", ...
    without_where: bool = False
    pattern: Optional[str] = None

    def kind_matches(self, kind: str) -> bool:
        return kind == self.kind or kind.startswith(self.kind + " ")


def parse_rule(line: str) -> Optional[Rule]:
    """A CmdList / WhiteCmds line as a SQL rule; None when it does not name a SQL statement."""
    text = line.strip()
    if text[:4].lower() == "sql:":
        text = text[4:].strip()
    words = text.split()
    if not words or words[0].upper() not in VERBS:
        return None
    upper = [w.upper() for w in words]
    if len(upper) > 1 and f"{upper[0]} {upper[1]}" in KINDS:
        kind, rest = f"{upper[0]} {OBJECT_TYPES.get(upper[1], upper[1])}", words[2:]
    elif len(upper) > 1 and upper[0] in OBJECT_VERBS and upper[1] in OBJECT_TYPES:
        kind, rest = f"{upper[0]} {OBJECT_TYPES[upper[1]]}", words[2:]
    else:
        kind, rest = upper[0], words[1:]
    if kind == "TRUNCATE":
        kind = "TRUNCATE TABLE"
    without = False
    if len(rest) >= 2 and rest[0].upper() == "WITHOUT" and rest[1].upper() == "WHERE":
        without, rest = True, rest[2:]
    elif rest and rest[0].upper() in ("WITHOUT_WHERE", "WITHOUT-WHERE"):
        without, rest = True, rest[1:]
    if len(rest) > 1:
        return None
    pattern = rest[0].replace("`", "").strip("'\"").lower() if rest else None
    return Rule(line.strip(), kind, without, pattern)


def _glob(value: str, pattern: str) -> bool:
    return value == "*" or fnmatch.fnmatchcase(value, pattern)


def object_matches(obj: Obj, pattern: str) -> bool:
    if obj.user:
        return "." not in pattern and obj.name is not None and fnmatch.fnmatchcase(obj.name, pattern if "@" in pattern else pattern + "@*")
    if "." in pattern:
        pdb, pname = pattern.rsplit(".", 1)
        if obj.db is not None and not _glob(obj.db, pdb):
            return False
        return obj.name is None or _glob(obj.name, pname)
    if obj.name is None:
        return obj.db is not None and _glob(obj.db, pattern)
    return _glob(obj.name, pattern)


DIRECTIVE = re.compile(r"#\s*(dynamic|unparsable)\s*:\s*(block|allow)\s*", re.I)


@dataclass(frozen=True)
class Template:
    name: str
    rules: Tuple[Rule, ...]
    dynamic_block: bool = True
    unparsable_block: bool = True


@lru_cache(maxsize=2048)
def compile_template(name: str, cmd_list: str) -> Template:
    rules, directives = [], {"dynamic": True, "unparsable": True}
    for raw in cmd_list.replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = DIRECTIVE.fullmatch(line)
            if m:
                directives[m.group(1).lower()] = m.group(2).lower() == "block"
            continue
        rule = parse_rule(line)
        if rule is not None:
            rules.append(rule)
    return Template(name, tuple(rules), directives["dynamic"], directives["unparsable"])


@dataclass
class Rules:
    """The SQL rules in force for a session: templates, and an allow-list (None: no allow-list)."""
    templates: Tuple[Template, ...] = ()
    allow_list: Optional[Tuple[Rule, ...]] = None
    _cache: Dict[Tuple[str, Optional[str]], "Verdict"] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.templates = tuple(t for t in self.templates if t.rules)

    @property
    def enforcing(self) -> bool:
        return bool(self.templates) or self.allow_list is not None


def _template_text(template: dict) -> str:
    from layers.bastion.command_policy import template_text
    try:
        return template_text(template)
    except Exception:  # noqa: BLE001 - a stored template that does not decode blocks nothing new
        return ""


def rules_from_templates(templates: Iterable[dict], white_cmds: Optional[Iterable[str]] = None) -> Rules:
    """Rules from cmdtemplate records ({"Name", "CmdList", "Encoding"}), and an allow-list from the
    `sql:` entries of WhiteCmds when any."""
    chosen = [compile_template(str(t.get("Name", t.get("Id", ""))), _template_text(t)) for t in templates]
    allow = None
    entries = [w.strip()[4:].strip() for w in white_cmds or () if isinstance(w, str) and w.strip()[:4].lower() == "sql:"]
    if entries:
        allow = tuple(r for r in (parse_rule(e) for e in dict.fromkeys(entries)) if r is not None)
    return Rules(tuple(chosen), allow)


def rules_from_acls(acls: Iterable[dict], templates: Dict[int, dict]) -> Rules:
    """The rules of a session the given ACLs grant (as command_policy.Policy.from_acls);
    `templates` maps template ids to cmdtemplate records."""
    chosen, seen, white = [], set(), []
    for acl in acls:
        for tid in acl.get("CmdTemplateIds") or ():
            if tid in templates and tid not in seen:
                seen.add(tid)
                chosen.append(templates[tid])
        white.extend(acl.get("WhiteCmds") or ())
    return rules_from_templates(chosen, white)


def rules_from_grant(grant, snapshot=None) -> Rules:
    templates = snapshot.templates if snapshot is not None else getattr(grant, "templates", None) or {}
    return rules_from_acls(grant.acls, templates)


# ---- statements and verdicts ----
def _shape(tokens: Sequence[Tuple[Token, bool]]) -> str:
    """The statement as sqlglot is given it: numbers (words of digits only: never identifiers
    unquoted) read 0 and '…' strings '' (always literals), so that statements differing only in
    their values share one parse (applications send the same statements with other values)."""
    return "".join((" " if space and i else "") + (
        "0" if tok.type == "word" and tok.text.isdigit() else
        "''" if tok.type == "string" and tok.text[0] == "'" else tok.text) for i, (tok, space) in enumerate(tokens))


@lru_cache(maxsize=4096)
def _parse(shape: str) -> Optional[exp.Expression]:
    """sqlglot's tree of a statement's shape (shared: only read); None when it cannot parse it."""
    try:
        tree = sqlglot.parse_one(shape, read="mysql")
        return None if isinstance(tree, exp.Command) else tree
    except Exception:  # noqa: BLE001 - sqlglot's errors are several classes
        return None


class Statement:
    __slots__ = ("text", "tokens", "kind", "after_kind", "_tree", "_parsed", "_pairs")

    def __init__(self, tokens: List[Tuple[Token, bool]]) -> None:
        self.text = _text(tokens)
        self._pairs = tokens
        self.tokens = [t for t, _ in tokens]
        self.kind, self.after_kind = _kind(self.tokens)
        self._parsed = False
        self._tree = None

    @property
    def tree(self) -> Optional[exp.Expression]:
        """The sqlglot tree (of the statement's shape); None when sqlglot cannot parse it."""
        if not self._parsed:
            self._parsed = True
            if len(self.text) <= MAX_PARSE:
                shape = _shape(self._pairs)
                self._tree = _parse(shape) if len(shape) <= 8192 else _parse.__wrapped__(shape)
        return self._tree

    def has_where(self) -> Optional[bool]:
        """Whether a DELETE/UPDATE filters rows: a WHERE naming a column. None: cannot be told."""
        depth, where = 0, False
        for t in self.tokens[self.after_kind:]:
            depth += (t.text == "(") - (t.text == ")")
            if depth == 0 and t.is_word("WHERE"):
                where = True
        if not where:
            return False
        tree = self.tree
        if not isinstance(tree, (exp.Delete, exp.Update)):
            return None
        cond = tree.args.get("where")
        return cond is not None and cond.find(exp.Column) is not None


@lru_cache(maxsize=4096)
def _statements(sql: str, backslash: bool = True, versioned: bool = True) -> Tuple[Statement, ...]:
    return tuple(Statement(toks) for toks in lex(sql, backslash, versioned))


@dataclass(frozen=True)
class Verdict:
    blocked: bool
    rule: str = ""          # the rule line that blocked it, or why ("not in the allow-list", ...)
    statement: str = ""     # the statement, normalised (comments removed)
    kind: str = ""          # "DROP TABLE", "DELETE", "PREPARE", ...
    template: str = ""      # the template of the rule
    reason: str = ""        # when blocked: template, allow-list, dynamic, unparsable, error

    @property
    def message(self) -> str:
        if not self.blocked:
            return ""
        if self.reason == "template":
            return f"blocked by template `{self.template}`: rule `{self.rule}` ({self.kind})"
        if self.reason == "allow-list":
            return f"blocked: {self.kind or 'the statement'} is not in the allow-list"
        return f"blocked: {self.rule}"


def _prepared_text(st: Statement) -> Tuple[str, Optional[str]]:
    """For PREPARE name FROM ... / EXECUTE IMMEDIATE ...: ("text", sql) for a literal, ("dynamic", None)."""
    toks = st.tokens[st.after_kind:]
    if st.kind == "PREPARE":
        if len(toks) >= 3 and toks[1].is_word("FROM"):
            toks = toks[2:]
        else:
            return "dynamic", None
    parts, i = [], 0
    while i < len(toks) and toks[i].type == "string" or (i < len(toks) and toks[i].type == "word"
                                                         and toks[i].value.startswith("_") and i + 1 < len(toks)
                                                         and toks[i + 1].type == "string"):
        if toks[i].type == "word":          # a character-set introducer: _utf8mb4'...'
            i += 1
            continue
        parts.append(toks[i].value)         # adjacent literals are concatenated
        i += 1
    if parts and i == len(toks):
        return "text", "".join(parts)
    return "dynamic", None


def _judge(st: Statement, rules: Rules, database: Optional[str], depth: int, inner: bool = False) -> Verdict:
    """`inner`: a statement found inside another's body, whose own inner statements that scan
    found too (not looked for again: nested blocks would be read over and over)."""
    kind = st.kind
    if kind in ("PREPARE", "EXECUTE IMMEDIATE"):
        how, inner = _prepared_text(st)
        if how == "text":
            if depth >= MAX_DEPTH:
                return Verdict(True, "prepared statements nest too deeply", st.text, kind, reason="unparsable")
            try:
                verdicts = [_judge(s, rules, database, depth + 1) for s in _statements(inner)]
            except ValueError:
                verdicts = [_unparsable(rules, st, kind, "the prepared text does not close a quote or comment")]
            for v in verdicts:
                if v.blocked:
                    return Verdict(True, v.rule, st.text, v.kind, v.template, v.reason)
            if not verdicts:
                return Verdict(False, statement=st.text, kind=kind)
            if rules.allow_list is not None and not _listed(rules, st, kind, database):
                return Verdict(True, "not in the allow-list", st.text, kind, reason="allow-list")
            return Verdict(False, statement=st.text, kind=kind)
        return _dynamic(rules, st, kind)
    if kind == "BINLOG":
        # `BINLOG 'base64'` applies binary-log events, whose statements and row changes are encoded
        return _dynamic(rules, st, kind)
    if kind == "ANALYZE" and st.after_kind < len(st.tokens) and not st.tokens[st.after_kind].is_word(
            "TABLE", "NO_WRITE_TO_BINLOG", "LOCAL"):
        # MariaDB's ANALYZE [FORMAT=JSON] <statement> runs the statement
        toks = st.tokens[st.after_kind:]
        if toks and toks[0].is_word("FORMAT"):
            toks = toks[3:]
        if toks:
            inner = Statement([(t, True) for t in toks])
            v = _judge(inner, rules, database, depth + 1)
            if v.blocked:
                return Verdict(True, v.rule, st.text, v.kind, v.template, v.reason)
    kinds = (kind, f"DROP {kind[7:]}") if _replaces(st) else (kind,) + _alters(st)
    for tpl in rules.templates:
        for rule in tpl.rules:
            if not any(rule.kind_matches(k) for k in kinds):
                continue
            hit = _matches(rule, st, database)
            if hit is None:
                if tpl.unparsable_block:
                    return Verdict(True, f"the statement could not be parsed to check rule `{rule.line}` "
                                         f"of template `{tpl.name}`", st.text, kind, tpl.name, "unparsable")
                continue
            if hit:
                return Verdict(True, rule.line, st.text, kind, tpl.name, "template")
    if kind == "SET STATEMENT" or not inner and (kind in ROUTINES or kind in COMPOUND or kind not in KINDS):
        # statements inside: a routine's body (run later), a compound statement's, the one SET
        # STATEMENT … FOR runs; judged now
        starts = _inner_statements(st)
        for j, end in zip(starts, starts[1:] + [len(st.tokens)]):
            if depth >= MAX_DEPTH:
                return Verdict(True, "statements nest too deeply to be checked", st.text, kind, reason="unparsable")
            # each up to the next one found (`IF a THEN IF b THEN DROP …`: `IF b THEN`, `DROP …`)
            v = _judge(Statement([(x, True) for x in st.tokens[j:end]]), rules, database, depth + 1,
                       inner=kind != "SET STATEMENT")
            if v.blocked:
                return Verdict(True, v.rule, st.text, v.kind, v.template, v.reason)
    if rules.allow_list is not None:
        listed = _listed(rules, st, kind, database)
        if listed is None:
            return Verdict(True, "the statement could not be parsed and an allow-list is in force",
                           st.text, kind, reason="unparsable")
        if not listed:
            return Verdict(True, "not in the allow-list", st.text, kind, reason="allow-list")
    return Verdict(False, statement=st.text, kind=kind)


def _inner_statements(st: Statement) -> List[int]:
    """Where the statements held in `st` begin: a verb after a body's first word (`BEGIN`, `THEN`,
    `DO`, `NOT ATOMIC`, a label's `:`…) or after a handler's conditions; for SET STATEMENT, the
    statement after its top-level FOR."""
    toks = st.tokens
    if st.kind == "SET STATEMENT":
        depth = 0
        for j in range(st.after_kind, len(toks) - 1):
            depth += (toks[j].text == "(") - (toks[j].text == ")")
            if depth == 0 and toks[j].is_word("FOR"):
                return [j + 1]
        return []
    found, handler = [], False
    body = _routine_body(st) if st.kind in ROUTINES else None
    if body is not None:
        found.append(body)
    for j in range(max(st.after_kind - 1, 1), len(toks)):
        t = toks[j]
        if t.is_word("FOR") and toks[j - 1].is_word("HANDLER"):
            handler = True
        elif t.type == "word" and (t.value in VERBS or t.value in COMPOUND) and (
                toks[j - 1].value in BODY_STARTS or handler):
            found.append(j)
            handler = False
    return found


# a routine's characteristics, between its header and its body (`SQL SECURITY INVOKER`, `COMMENT
# 'x'`, `MODIFIES SQL DATA`…; a trigger's `FOLLOWS t`); the words marked take one more token
CHARACTERISTICS = {"COMMENT": 1, "LANGUAGE": 0, "SQL": 0, "NOT": 0, "DETERMINISTIC": 0, "CONTAINS": 0, "NO": 0,
                   "READS": 0, "MODIFIES": 0, "DATA": 0, "SECURITY": 0, "DEFINER": 0, "INVOKER": 0,
                   "FOLLOWS": 1, "PRECEDES": 1}


def _routine_body(st: Statement) -> Optional[int]:
    """Where a routine's body begins when characteristics come before it (`CREATE PROCEDURE p()
    SQL SECURITY INVOKER DROP TABLE t`): after the parameters (a function's RETURNS type), or a
    trigger's FOR EACH ROW, the first word that is no characteristic."""
    toks, n = st.tokens, len(st.tokens)
    j = st.after_kind
    if st.kind == "CREATE TRIGGER":
        while j + 2 < n and not (toks[j].is_word("FOR") and toks[j + 1].is_word("EACH") and toks[j + 2].is_word("ROW")):
            j += 1
        j += 3
    elif st.kind in ("CREATE PROCEDURE", "CREATE FUNCTION"):
        while j < n and toks[j].text != "(":
            j += 1
        depth = 0
        for j in range(j, n):
            depth += (toks[j].text == "(") - (toks[j].text == ")")
            if depth == 0:
                break
        j += 1
        if j < n and toks[j].is_word("RETURNS"):      # the type: up to a characteristic or a statement
            j += 1
            while j < n and not (toks[j].type == "word" and (toks[j].value in CHARACTERISTICS or
                                                             toks[j].value in VERBS or toks[j].value in COMPOUND)):
                j += 1
    else:
        return None
    while j < n and toks[j].type == "word" and toks[j].value in CHARACTERISTICS:
        j += 1 + CHARACTERISTICS[toks[j].value]
    return j if j < n and toks[j].type == "word" and (toks[j].value in VERBS or toks[j].value in COMPOUND) else None


def _replaces(st: Statement) -> bool:
    """MariaDB's `CREATE OR REPLACE TABLE|DATABASE|VIEW …` drops what it replaces: DROP rules
    judge it too."""
    if not st.kind.startswith("CREATE "):
        return False
    words = [t.value for t in st.tokens[:st.after_kind] if t.type == "word"]
    return any(a == "OR" and b == "REPLACE" for a, b in zip(words, words[1:]))


def _alters(st: Statement) -> Tuple[str, ...]:
    """The other kinds whose rules judge an ALTER TABLE: `RENAME [TO|AS] u` renames the table, as
    RENAME TABLE does (not RENAME COLUMN, INDEX or KEY); `DROP PARTITION` and `TRUNCATE PARTITION`
    remove rows as DROP TABLE and TRUNCATE do; `DISCARD [PARTITION …] TABLESPACE` deletes the
    table's data file (DROP TABLE and TRUNCATE rules), and `ENGINE=BLACKHOLE` throws every row
    away as the table is copied into an engine that keeps none (TRUNCATE rules)."""
    if st.kind != "ALTER TABLE":
        return ()
    toks, kinds = st.tokens, []
    for j in range(st.after_kind, len(toks) - 1):
        t, after = toks[j], toks[j + 1]
        if t.is_word("RENAME") and not after.is_word("COLUMN", "INDEX", "KEY"):
            kinds.append("RENAME TABLE")
        elif t.is_word("DROP", "TRUNCATE") and after.is_word("PARTITION"):
            kinds.append("DROP TABLE" if t.value == "DROP" else "TRUNCATE TABLE")
        elif t.is_word("DISCARD"):
            kinds += ["DROP TABLE", "TRUNCATE TABLE"]
        elif t.is_word("ENGINE") and _engine(toks[j + 1:]) == "BLACKHOLE":
            kinds.append("TRUNCATE TABLE")
    return tuple(dict.fromkeys(kinds))


def _engine(toks: List[Token]) -> Optional[str]:
    """The engine named after ENGINE (`= BLACKHOLE`, `'blackhole'`, `` `Blackhole` ``), upper-cased."""
    if toks and toks[0].type == "punct" and toks[0].value == "=":
        toks = toks[1:]
    return toks[0].value.upper() if toks and toks[0].type in ("word", "ident", "string") else None


def _listed(rules: Rules, st: Statement, kind: str, database: Optional[str]) -> Optional[bool]:
    unknown = False
    for entry in rules.allow_list:
        if entry.kind_matches(kind):
            hit = _matches(entry, st, database) if entry.pattern else True
            if hit:
                return True
            unknown = unknown or hit is None
    return None if unknown else False


def _matches(rule: Rule, st: Statement, database: Optional[str]) -> Optional[bool]:
    """Whether the rule matches the statement (its kind already does); None: cannot be told."""
    if rule.without_where:
        if st.kind not in ("DELETE", "UPDATE"):
            return False
        has = st.has_where()
        if has is None:
            return None
        if has:
            return False
    if rule.pattern is None:
        return True
    objects = _objects(st, database)
    if objects is None:
        return None
    return any(object_matches(o, rule.pattern) for o in objects)


def _dynamic(rules: Rules, st: Statement, kind: str) -> Verdict:
    if rules.allow_list is not None:
        return Verdict(True, "the statement text is only known when it runs, and an allow-list is in force",
                       st.text, kind, reason="dynamic")
    for tpl in rules.templates:
        if tpl.dynamic_block:
            return Verdict(True, "the statement text is only known when it runs (#dynamic: block)",
                           st.text, kind, tpl.name, "dynamic")
    return Verdict(False, statement=st.text, kind=kind)


def _unparsable(rules: Rules, st: Optional[Statement], kind: str, why: str) -> Verdict:
    text = st.text if st is not None else ""
    if rules.allow_list is not None or any(t.unparsable_block for t in rules.templates):
        return Verdict(True, why, text, kind, reason="unparsable")
    return Verdict(False, statement=text, kind=kind)


def _use(st: Statement) -> Optional[str]:
    names = _names(st.tokens, st.after_kind, None)
    return names[0].name if names else None


def _judge_all(statements: Sequence[Statement], rules: Rules, database: Optional[str]) -> List[Verdict]:
    verdicts, db = [], database
    for st in statements:
        verdicts.append(_judge(st, rules, db, 0))
        if st.kind == "USE":          # the statements after it act on that database
            db = _use(st) or db
    return verdicts


def judge(sql: str, rules: Rules, database: Optional[str] = None) -> List[Verdict]:
    """A verdict for each statement of `sql` (a COM_QUERY text, or a prepared statement's text);
    `database` is the session's current database, for rules naming `db.table`. Never raises."""
    if not rules.enforcing:
        try:
            return [Verdict(False, statement=st.text, kind=st.kind) for st in _statements(sql)] or [Verdict(False)]
        except Exception:  # noqa: BLE001 - nothing is judged: the server answers what it cannot read
            return [Verdict(False, statement=sql)]
    key = (sql, database)
    cached = rules._cache.get(key)
    if cached is not None:
        return list(cached)
    try:
        if len(sql) > MAX_STATEMENT:
            verdicts = [_unparsable(rules, None, "", f"the statement is longer than {MAX_STATEMENT} bytes")]
        else:
            verdicts = _judge_all(_statements(sql), rules, database)
            # Other readings the server may make, and what they block is blocked too: the session
            # may have set NO_BACKSLASH_ESCAPES (`'a\'; drop table t; -- '` is then three
            # statements); a server older than an executable comment's version skips it (`DELETE
            # FROM t /*!999999 WHERE id=1 */` deletes every row)
            readings = [(b, v) for b in (True, False) for v in (True, False) if (b, v) != (True, True)
                        and ("\\" in sql or b) and (VERSIONED.search(sql) or v)]
            for backslash, versioned in readings:
                if any(v.blocked for v in verdicts):
                    break
                try:
                    other = _judge_all(_statements(sql, backslash, versioned), rules, database)
                except Unterminated:
                    other = []
                verdicts += [v for v in other if v.blocked][:1]
    except Unterminated:
        verdicts = [_unparsable(rules, None, "", "a quote or comment is not closed")]
    except Exception:  # noqa: BLE001 - a statement that breaks the analysis does not run
        verdicts = [Verdict(True, "the statement could not be checked", sql, "", reason="error")]
    if not verdicts:
        verdicts = [Verdict(False, statement="", kind="")]
    if len(sql) <= 65536:
        if len(rules._cache) >= 1024:
            rules._cache.clear()
        rules._cache[key] = tuple(verdicts)
    return verdicts


def first_blocked(verdicts: Iterable[Verdict]) -> Optional[Verdict]:
    return next((v for v in verdicts if v.blocked), None)


# A COM_QUERY text read the same, values aside, as others of its shape (see statements()): one
# statement of words, numbers and operators between single spaces; no quote, comment, variable,
# `;` or backslash; its numbers (digit runs that are not part of a word or a dotted name) read 0.
_SIMPLE = re.compile(r"[\w,.=()<>*+\-]+(?: [\w,.=()<>*+\-]+)*\Z", re.A)
_SIMPLE_NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])", re.A)
SHAPED_KINDS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE"})


def simple_shape(sql: str) -> Optional[str]:
    """The shape of a simple statement (numbers read 0), None for any other text."""
    if len(sql) > 2048 or "--" in sql or not _SIMPLE.match(sql):
        return None
    return _SIMPLE_NUMBER.sub("0", sql)


# Character sets in which a backslash or a backquote can be the second byte of a character (GBK,
# Big5, Shift-JIS): a client may use one (SET NAMES gbk), and the server then reads `\xbf\x5c` as one
# character where UTF-8 sees a byte it cannot read and a backslash (`SELECT '\\'\xbf\x5c'; DROP
# TABLE t; -- '` drops t under GBK).
MULTIBYTE_TRAIL = re.compile(rb"[\x81-\xfe][\x5c\x60]")
MULTIBYTE_CHARSETS = ("gbk", "big5", "cp932")


def readings(payload: bytes) -> List[str]:
    """The texts a statement's bytes may be to the server: UTF-8, and where a backslash or a
    backquote follows a byte over 0x80, what GBK, Big5 and Shift-JIS make of them."""
    texts = [payload.decode("utf-8", "replace")]
    if MULTIBYTE_TRAIL.search(payload):
        for charset in MULTIBYTE_CHARSETS:
            text = payload.decode(charset, "replace")
            if text not in texts:
                texts.append(text)
    return texts


class SqlSession:
    """The statement judge of one client connection: follows the current database (USE, COM_INIT_DB)
    and the prepared statements (SQL PREPARE names, protocol statement ids)."""

    def __init__(self, rules: Rules, database: Optional[str] = None) -> None:
        self.rules = rules
        # the databases the session may be in: one, or after a USE the server has not answered
        # yet (it fails for a database that does not exist) the one before and the one named
        self.databases: List[Optional[str]] = [database]
        self._before: Optional[List[Optional[str]]] = None
        self._named: Dict[str, Verdict] = {}
        self._ids: Dict[int, Verdict] = {}

    @property
    def database(self) -> Optional[str]:
        return self.databases[-1]

    def init_db(self, name: str) -> None:
        """COM_INIT_DB, once the server has said OK."""
        self.databases, self._before = [name], None

    def used(self, succeeded: bool) -> None:
        """The server's answer to the last USE of the last query: taken, the session is in that
        database; refused (or not run), still in the one before."""
        if self._before is not None:
            self.databases = [self.databases[-1]] if succeeded else self._before
            self._before = None

    def _judged(self, sql: str) -> List[Verdict]:
        """judge() in each database the session may be in: a statement a rule blocks in one is blocked."""
        lists = [judge(sql, self.rules, db) for db in self.databases]
        return next((verdicts for verdicts in lists if first_blocked(verdicts) is not None), lists[0])

    def query(self, sql: str) -> List[Verdict]:
        """COM_QUERY: a verdict per statement (refuse the whole text when any is blocked)."""
        verdicts = self._judged(sql)
        try:
            statements = _statements(sql) if len(sql) <= MAX_STATEMENT else ()
        except ValueError:
            statements = ()
        out = []
        for st, v in zip(statements, verdicts):
            if st.kind == "USE" and not v.blocked and _use(st):
                # judged in both until the server answers (used())
                if self._before is None:
                    self._before = list(self.databases)
                self.databases = list(dict.fromkeys(self._before + [_use(st)]))
            elif st.kind == "PREPARE" and st.after_kind < len(st.tokens):
                # a blocked PREPARE is remembered too: its EXECUTE is blocked, not run on an older one
                self._named[st.tokens[st.after_kind].value.lower()] = v
            elif st.kind in ("DEALLOCATE", "DROP PREPARE") and st.tokens:
                self._named.pop(st.tokens[-1].value.lower(), None)
            elif not v.blocked and st.kind == "EXECUTE" and st.after_kind < len(st.tokens):
                prepared = self._named.get(st.tokens[st.after_kind].value.lower())
                if prepared is not None and prepared.blocked:
                    v = Verdict(True, prepared.rule, st.text, prepared.kind, prepared.template, prepared.reason)
            out.append(v)
        # past one a statement: what another reading of the text blocks (judge())
        return out + verdicts[len(out):] if out else verdicts

    def statements(self, sql: str) -> Tuple[List[Verdict], List[str]]:
        """COM_QUERY: query()'s verdicts and the statements (split(); the text itself when it
        cannot be split). A simple statement (simple_shape) of a shape already let through is let
        through without reading it again: applications send the same statements with other values,
        and a DML statement's verdict never depends on its numbers (its tree is parsed from the
        shape anyway)."""
        shape = simple_shape(sql)
        key = (shape, tuple(self.databases), "shape")
        if shape is not None:
            hit = self.rules._cache.get(key)
            if hit is not None:
                return list(hit), [sql]
        verdicts = self.query(sql)
        try:
            parts = split(sql) or [sql]
        except ValueError:
            parts = [sql]
        if shape is not None and parts == [sql] and len(verdicts) == 1 and not verdicts[0].blocked \
                and verdicts[0].kind in SHAPED_KINDS:
            if len(self.rules._cache) >= 1024:
                self.rules._cache.clear()
            self.rules._cache[key] = (verdicts[0],)
        return verdicts, parts

    def statements_of(self, payload: bytes) -> Tuple[List[Verdict], List[str]]:
        """statements() of a COM_QUERY's bytes (read as UTF-8), and the first blocked verdict of
        their other readings (readings()) after its own."""
        texts = readings(payload)
        verdicts, parts = self.statements(texts[0])
        return verdicts + self._other_readings(texts, verdicts), parts

    def prepare_of(self, payload: bytes) -> Verdict:
        """prepare() of a COM_STMT_PREPARE's bytes, in all their readings."""
        texts = readings(payload)
        verdict = self.prepare(texts[0])
        return (self._other_readings(texts, [verdict]) or [verdict])[0]

    def _other_readings(self, texts: List[str], verdicts: List[Verdict]) -> List[Verdict]:
        if first_blocked(verdicts) is None:
            for text in texts[1:]:
                blocked = first_blocked(self._judged(text))
                if blocked is not None:
                    return [blocked]
        return []

    def prepare(self, sql: str) -> Verdict:
        """COM_STMT_PREPARE: the verdict of the statement to prepare (the first blocked one)."""
        verdicts = self._judged(sql)
        return first_blocked(verdicts) or verdicts[0]

    def prepared(self, stmt_id: int, verdict: Verdict) -> None:
        """Remember the verdict of a statement the server prepared under `stmt_id`."""
        self._ids[stmt_id] = verdict

    def execute(self, stmt_id: int) -> Verdict:
        """COM_STMT_EXECUTE: the verdict remembered at prepare time (an unknown id is not judged
        here: the server answers it with its own error)."""
        return self._ids.get(stmt_id) or Verdict(False, kind="EXECUTE")

    def close(self, stmt_id: int) -> None:
        """COM_STMT_CLOSE."""
        self._ids.pop(stmt_id, None)
