"""High-risk command blocking: whether a command line an operator entered may run.

    policy = Policy.from_grant(grant, snapshot)      # or Policy.from_acls(acls, templates)
    decision = policy.check(line)
    if not decision.allowed:
        tell(decision.message)                       # "blocked by template `danger`: rule `rm -rf` ..."

The policy is the high-risk command templates (CmdList) of the ACLs that grant the session,
and, when any of those ACLs has a non-empty `WhiteCmds`, the allow-list they make together.
Every simple command of the line is judged (`layers/bastion/shell_commands.py`); the first
blocked one decides. The rules are in docs/bastion.md, "High-risk command blocking".
"""
import dataclasses
import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from layers.bastion import fields, key_settings
from layers.bastion.bash_syntax import waits_for
from layers.bastion.shell_commands import (VALUES, Command, TooComplex, analyse, guessed_commands, joined, parse_budget,
                                           run_before_waiting)

DIRECTIVE = re.compile(r"#\s*dynamic\s*:\s*(block|allow)\s*", re.I)
CLUSTER = re.compile(r"-[A-Za-z]+")
# Commands whose options are words after one dash (find -delete): their arguments are not letters.
SINGLE_DASH_LONG = frozenset({"find", "java", "openssl", "ffmpeg", "iptables-save", "xterm"})
MAX_LINE = 256 * 1024
MAX_UNFINISHED = 16 * 1024     # an unfinished input bash is asked about (bash_syntax; ~8 ms at this size)
NOTHING = ":"                  # runs nothing but its arguments' expansions (judged as commands of their own)

Matcher = Callable[[str], object]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""        # "template", "allow-list", "dynamic", "unparsable", "error" when blocked
    template: str = ""      # the template whose rule blocked the line
    rule: str = ""          # the CmdList line, "#dynamic: block", "not in the allow-list", ...
    command: str = ""       # the blocked command, normalised ("rm -rf /")
    incomplete: bool = False  # the line waits for more input (open quote, `if` without `fi`)
    heredoc: bool = False     # ... for a here-document's body: only its delimiter line can end it
    keys: FrozenSet[str] = frozenset()  # what keys do that the line may change (key_settings.TTY, EDITOR)

    @property
    def message(self) -> str:
        if self.allowed:
            return ""
        if self.reason == "template":
            return f"blocked by template `{self.template}`: rule `{self.rule}` (`{self.command}`)"
        if self.reason == "dynamic":
            where = f"template `{self.template}`" if self.template else "the allow-list"
            return f"blocked by {where}: the command `{self.command}` is only known when it runs ({self.rule})"
        if self.reason == "allow-list":
            return f"blocked: `{self.command}` is not in the allow-list"
        return f"blocked: {self.rule}"


ALLOWED = Decision(True)
ALLOWED_INCOMPLETE = Decision(True, incomplete=True)
ALLOWED_HEREDOC = Decision(True, incomplete=True, heredoc=True)
# bash reads a carriage return in a script or a command as an ordinary character (`echo hi \<CR>`
# is no line continuation, `rm x <CR>` runs rm), where the grammar takes `\<CR><LF>` for one: it is
# judged as a printable stand-in (the terminal's lines never hold one). A NUL byte bash drops from
# its input (`r<NUL>m x` runs rm).
CARRIAGE_RETURN = "\u240d"


def as_bash_reads(text: str) -> str:
    return text.replace("\r", CARRIAGE_RETURN).replace("\0", "")


# An exec command or a script that ends inside an open construct: bash reports a syntax error and
# runs nothing, except an unfinished here-document, which it runs as it stands.
UNFINISHED_AT_END = Decision(False, "unparsable", rule="the input ends inside an unfinished command "
                                                     "(bash runs an unfinished here-document as it stands)")


# ---- patterns ----
def pattern_words(line: str) -> List[Tuple[str, str, bool]]:
    """A pattern line split like shell words: (text, glob, quoted). Quoted characters are literal
    in the glob; an unclosed quote runs to the end of the line."""
    out, text, glob, quoted, started = [], [], [], False, False
    i, n, quote = 0, len(line), ""
    while i < n:
        c = line[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"' and i + 1 < n and line[i + 1] in '"\\$`':
                i += 1
                text.append(line[i])
                glob.append(_literal(line[i]))
            else:
                text.append(c)
                glob.append(_literal(c))
        elif c in "'\"":
            quote, quoted, started = c, True, True
        elif c == "\\" and i + 1 < n:
            i += 1
            text.append(line[i])
            glob.append(_literal(line[i]))
            started = True
        elif c.isspace():
            if started:
                out.append(("".join(text), "".join(glob), quoted))
            text, glob, quoted, started = [], [], False, False
        else:
            text.append(c)
            glob.append(c)
            started = True
        i += 1
    if started:
        out.append(("".join(text), "".join(glob), quoted))
    return out


def _literal(c: str) -> str:
    return f"[{c}]" if c in "*?[" else c


def _glob(pattern: str) -> Matcher:
    return re.compile(fnmatch.translate(pattern)).match


def _basename(glob: str) -> str:
    return glob.rstrip("/").rsplit("/", 1)[-1] if "/" in glob.rstrip("/") else glob


def _name(glob: str) -> Matcher:
    return _glob(_basename(glob))


def letters(cmd: Command) -> FrozenSet[str]:
    """The short option letters a command was given (`-rf x -v` -> r, f, v), lower case."""
    if cmd._letters is None:
        found = set()
        if cmd.name not in SINGLE_DASH_LONG:
            for a in cmd.args:
                if a == "--":
                    break
                if len(a) > 1 and a[0] == "-" and a[1] != "-":
                    found.update(c.lower() for c in a[1:] if c.isalnum())
        cmd._letters = frozenset(found)
    return cmd._letters


def _first(entry: tuple) -> int:
    return entry[0]


class Rule:
    """One CmdList line: the command name (a glob) and words each argument-list must contain."""
    __slots__ = ("line", "name", "literal_name", "clusters", "words")

    def __init__(self, line: str, words: List[Tuple[str, str, bool]]) -> None:
        self.line = line
        self.name = _name(words[0][1])
        base = _basename(words[0][1])
        self.literal_name = None if any(c in base for c in "*?[") else base
        self.clusters: List[Tuple[FrozenSet[str], Matcher]] = []
        self.words: List[Tuple[Matcher, ...]] = []
        for text, glob, quoted in words[1:]:
            if not quoted and CLUSTER.fullmatch(text):
                self.clusters.append((frozenset(text[1:].lower()), _glob(glob)))
            elif text.startswith("--") and "=" not in text:
                self.words.append((_glob(glob), _glob(glob + "=*")))
            else:
                self.words.append((_glob(glob),))

    def matches(self, cmd: Command, any_name: bool = False) -> bool:
        if not any_name and not self.name(cmd.name):
            return False
        if cmd.guessed or (any_name and cmd.dynamic_args):
            return True
        if self.clusters:
            have = letters(cmd)
            for needed, literal in self.clusters:
                if not (needed <= have or any(literal(a) for a in cmd.args)):
                    return False
        for alternatives in self.words:
            if not any(m(a) for a in cmd.args for m in alternatives):
                return False
        return True


@dataclass(frozen=True)
class Template:
    name: str
    rules: Tuple[Rule, ...]
    dynamic_block: bool
    dynamic_rule: str


@lru_cache(maxsize=2048)
def compile_template(name: str, cmd_list: str) -> Template:
    rules, dynamic, directive = [], True, "#dynamic: block, the default"
    for raw in cmd_list.replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = DIRECTIVE.fullmatch(line)
            if m:
                dynamic = m.group(1).lower() == "block"
                directive = f"#dynamic: {m.group(1).lower()}"
            continue
        words = pattern_words(line)
        if words:
            rules.append(Rule(line, words))
    return Template(name, tuple(rules), dynamic, directive)


class AllowEntry:
    """One WhiteCmds entry: the command name (a glob), then globs the first arguments must match
    in order; further arguments are free."""
    __slots__ = ("line", "name", "args")

    def __init__(self, line: str) -> None:
        words = pattern_words(line)
        self.line = line
        self.name = _name(words[0][1])
        self.args = [_glob(g) for _, g, _ in words[1:]]

    def allows(self, cmd: Command) -> bool:
        return (bool(self.name(cmd.name)) and len(cmd.args) >= len(self.args)
                and all(m(a) for m, a in zip(self.args, cmd.args)))


@lru_cache(maxsize=256)
def compile_allow_list(entries: Tuple[str, ...]) -> Tuple[AllowEntry, ...]:
    return tuple(AllowEntry(e) for e in entries if pattern_words(e))


def template_text(template: dict) -> str:
    """A template's CmdList as text; one given as the API takes it (Encoding 1) is decoded."""
    text = template.get("CmdList") or ""
    if template.get("Encoding") == 1:
        text = fields.cmd_list(text, 1)
    return text


class Policy:
    def __init__(self, templates: Sequence[Template] = (), allow_list: Optional[Sequence[AllowEntry]] = None) -> None:
        self.templates = tuple(templates)
        self.allow_list = tuple(allow_list) if allow_list is not None else None
        self._blockers = tuple(t for t in self.templates if t.dynamic_block)
        self._cache: Dict[str, Decision] = {}
        self.values_untrusted = False   # a line of the session may have changed IFS (shell_commands.VALUES)
        # rules by the command name they name; rules naming a glob are tried for every command
        self._by_name: Dict[str, List[Tuple[int, Template, Rule]]] = {}
        self._globbed: List[Tuple[int, Template, Rule]] = []
        order = 0
        for tpl in self.templates:
            for rule in tpl.rules:
                entry = (order, tpl, rule)
                order += 1
                if rule.literal_name is None:
                    self._globbed.append(entry)
                else:
                    self._by_name.setdefault(rule.literal_name, []).append(entry)

    @classmethod
    def from_acls(cls, acls: Iterable[dict], templates: Dict[int, dict]) -> "Policy":
        """The policy of a session the given ACLs grant; `templates` maps ids to cmdtemplate records."""
        chosen, seen, allowed, listing = [], set(), [], False
        for acl in acls:
            for tid in acl.get("CmdTemplateIds") or ():
                tpl = templates.get(tid)
                if tpl is not None and tid not in seen:
                    seen.add(tid)
                    chosen.append(compile_template(str(tpl.get("Name", tid)), template_text(tpl)))
            white = [w.strip() for w in acl.get("WhiteCmds") or () if isinstance(w, str) and w.strip()]
            if white:
                listing = True
                allowed.extend(w for w in white if not w.startswith("#"))
        return cls(chosen, compile_allow_list(tuple(dict.fromkeys(allowed))) if listing else None)

    @classmethod
    def from_grant(cls, grant, snapshot=None) -> "Policy":
        """The policy of a session `layers.bastion.ssh.access.authorize` granted: its ACLs, and the
        templates the grant carries (or, given a Snapshot, the account's)."""
        templates = snapshot.templates if snapshot is not None else getattr(grant, "templates", None) or {}
        return cls.from_acls(grant.acls, templates)

    @property
    def enforcing(self) -> bool:
        """False when the policy blocks nothing (no template, no allow-list): check() allows all."""
        return bool(self.templates) or self.allow_list is not None

    @property
    def rules(self) -> tuple:
        """Everything the policy enforces: the templates' rules, then the allow-list entries."""
        return tuple(r for t in self.templates for r in t.rules) + (self.allow_list or ())

    def check_whole(self, text: str) -> Decision:
        """check() for text that is all there is (an exec command), as bash reads it (a carriage
        return is a character, a NUL nothing) and as far as its first NUL: one still open is refused."""
        decision = self.check(as_bash_reads(text))
        if decision.allowed and "\0" in text:       # sshd passes the command as a C string: up to a NUL
            decision = self.check(as_bash_reads(text.partition("\0")[0]))
        return UNFINISHED_AT_END if decision.allowed and decision.incomplete else decision

    def check(self, line: str) -> Decision:
        """Whether `line` (one line, or a pasted block of lines) may run. Never raises: a line that
        cannot be analysed is blocked."""
        if not self.enforcing:
            return ALLOWED
        cached = self._cache.get(line)
        if cached is not None:
            return cached
        values = {"known": not self.values_untrusted, "touched": False}
        try:
            token = VALUES.set(values)
            try:
                with parse_budget(line if isinstance(line, str) else ""):     # (one for all its readings)
                    decision = self._check(line)
            finally:
                VALUES.reset(token)
        except TooComplex as exc:
            decision = Decision(False, "unparsable", rule=str(exc))
        except Exception:  # noqa: BLE001 - a line that breaks the analysis does not run
            decision = Decision(False, "error", rule="the line could not be checked")
        if values["touched"] and decision.allowed and not self.values_untrusted:
            # it may change IFS for the lines after it: their variables' values are not followed
            self.values_untrusted = True
            self._cache.clear()
        if len(self._cache) >= 1024:
            self._cache.clear()
        self._cache[line] = decision
        return decision

    def _check(self, line: str) -> Decision:
        if not isinstance(line, str):
            return Decision(False, "error", rule="the line is not text")
        if len(line) > MAX_LINE:
            return Decision(False, "unparsable", rule=f"the input is longer than {MAX_LINE} characters")
        result = analyse(line)
        if result.status == "incomplete" and not result.heredoc_open:
            if len(line) > MAX_UNFINISHED:
                return Decision(False, "unparsable", rule=f"an unfinished input longer than {MAX_UNFINISHED} "
                                                          "characters cannot be checked")
            waits = waits_for(line.replace("\r\n", "\n").replace("\r", "\n"))
            if waits == "":
                # bash runs at once what the grammar took for unfinished: judged as a rejected line
                result.status = "unparsable"
                result.commands.extend(guessed_commands(joined(line)))
            elif waits == "here-document":
                # one the grammar did not read (`cat <<!(x); $(echo rm) x`): the rest of its line
                # is misread too, so it is also judged as a rejected line would be
                result.heredoc_open = True
                result.commands.extend(guessed_commands(joined(line)))
        if result.status == "incomplete" and "\n" in line.strip():
            result.commands.extend(run_before_waiting(line.replace("\r\n", "\n").replace("\r", "\n"),
                                                      result.heredoc_open))
        for cmd in result.commands:
            decision = self.judge(cmd)
            if decision is not None:
                return decision
        if result.status == "unparsable" and self.allow_list is not None:
            return Decision(False, "unparsable", rule="the line could not be parsed and an allow-list is in force")
        decision = ALLOWED
        if result.status == "incomplete":
            decision = ALLOWED_HEREDOC if result.heredoc_open else ALLOWED_INCOMPLETE
        keys = key_settings.keys_set(result.commands, line)
        return dataclasses.replace(decision, keys=keys) if keys else decision

    def judge(self, cmd: Command) -> Optional[Decision]:
        """The decision that blocks one command, or None."""
        if cmd.dynamic:
            if self.allow_list is not None:
                return Decision(False, "dynamic", rule="an allow-list is in force", command=cmd.text)
            for tpl in self._blockers:
                if any(rule.matches(cmd, any_name=True) for rule in tpl.rules):
                    return Decision(False, "dynamic", tpl.name, tpl.dynamic_rule, cmd.text)
            return None
        candidates = self._by_name.get(cmd.name, [])
        if self._globbed:
            candidates = sorted(candidates + [e for e in self._globbed if e[2].name(cmd.name)], key=_first)
        for _, tpl, rule in candidates:
            if rule.matches(cmd):
                return Decision(False, "template", tpl.name, rule.line, cmd.text)
        if self.allow_list is not None and not cmd.guessed and not cmd.function and cmd.name != NOTHING \
                and not self.listed(cmd):
            return Decision(False, "allow-list", rule="not in the allow-list", command=cmd.text)
        return None

    def listed(self, cmd: Command) -> bool:
        """In the allow-list itself, or run by a wrapper an entry spells out with its arguments
        (`sudo systemctl status` lets sudo run `systemctl status nginx`)."""
        if any(entry.allows(cmd) for entry in self.allow_list):
            return True
        parent = cmd.parent
        return parent is not None and any(entry.args and entry.allows(parent) for entry in self.allow_list)
