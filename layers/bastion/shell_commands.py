"""Every simple command a shell line would run, read with the bash grammar (tree-sitter-bash).

`analyse(text)` walks lists, pipelines, subshells, groups, if/while/for/case bodies, function
bodies, command and process substitutions (in arguments, strings, assignments, redirections and
here-documents), what wrappers run (`layers/bastion/command_wrappers.py`: a string given to
`bash -c` or `eval`, or a here-document fed to a shell, is parsed as commands in turn) and what
programs are told to run in an option or a variable (`layers/bastion/program_commands.py`).

Each command comes back normalised: quotes and escapes removed (`r''m`, `\\rm`, `"rm"` are `rm`),
a path reduced to its last part (`/usr/bin/rm`, `./rm` are `rm`). A command whose name is only
known when it runs (`$X`, `$(...)`, a glob or brace expansion, a history expansion such as `!!`
or `^ls^rm` in the line as typed) comes back with `dynamic` saying why.
"""
import contextlib
import contextvars
import functools
import re
import shlex
import threading
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

import tree_sitter
import tree_sitter_bash

from layers.bastion.command_wrappers import (LATER, assigned, duplicated_input, expanded, inner, later,
                                             names_from_files, reading, shell_table)
from layers.bastion.interactive_input import EDITOR, history_expansion
from layers.bastion.printed import printed
from layers.bastion.shell_rewrites import (BACKQUOTE_ESCAPE, brace_expanded, closes, comments_unmade, compound_opened,
                                          extglobs_as_stars, quote_end, skip_quoted, variants)
from layers.bastion.shell_words import Script, Stdin, Unknown, Word

LANGUAGE = tree_sitter.Language(tree_sitter_bash.language())
_local = threading.local()      # a parser per thread: lines are checked in threads (command_gate.judged)
MAX_DEPTH = 8              # nested scripts (bash -c "eval '...'") followed before giving up
MAX_NODES_DEPTH = 400      # syntax nesting followed before giving up
MAX_COMMANDS = 5000


RUN_LATER = ("PROMPT_COMMAND", "PS0", "PS1", "PS2", "PS4")    # variables whose value bash runs later
EVALUATED = ("test_command", "arithmetic_expansion", "subscript")  # where bash evaluates text (later())
LITERALS = ("raw_string", "string", "ansi_c_string", "translated_string", "word", "concatenation")
PROMPT_EXPANSION = re.compile(r"@P\}$")                           # ${x@P}: x's `$(...)` run
SESSION_INPUT = "the session's input"


class TooComplex(Exception):
    """Past the limits: the line is blocked, with this as the reason."""

    def __init__(self, reason: str = "the line nests too deeply to be checked") -> None:
        super().__init__(reason)


# What reading one line may cost: the bytes parsed, rewritten or guessed over every reading of it
# and of the code nested in it. A line is read several times over (shell_rewrites.variants: up to
# a few dozen readings for one with here-documents, braces, backquotes and extglobs), and code
# given to eval, `bash -c`, traps, aliases and assignments is read again with its own readings, so
# nesting multiplies them: a crafted line of 358 characters made 1.1 MB to parse, 3.8 s of a core
# on the gateway's event loop with every session waiting. Past this budget a line is TooComplex,
# and blocked. Lines met in use take up to ~30 times their length, under a tenth of the budget
# for those the suite knows (tests/unit/test_bastion_parse_work.py).
PARSE_WORK_BASE = 16 * 1024
PARSE_WORK_PER_CHAR = 64
TOO_MUCH_WORK = "the line takes too much work to be checked"
_work: contextvars.ContextVar = contextvars.ContextVar("parse work", default=None)   # [bytes left]


@contextlib.contextmanager
def parse_budget(text: str, allowance: Optional[int] = None):
    """Within: the analyses of `text`, and of all it nests, share one budget, `allowance` bytes or
    the line's own (a block inside another keeps the outer one); yields what is left, [bytes]."""
    left = _work.get()
    if left is not None:
        yield left
        return
    left = [PARSE_WORK_BASE + PARSE_WORK_PER_CHAR * len(text) if allowance is None else allowance]
    token = _work.set(left)
    try:
        yield left
    finally:
        _work.reset(token)


def _charge(size: int) -> None:
    """Count `size` bytes of reading against the budget (parsed, or rewritten or guessed without
    the grammar, which costs as much again)."""
    left = _work.get()
    if left is not None:
        left[0] -= size
        if left[0] < 0:
            raise TooComplex(TOO_MUCH_WORK)


def _parse(data: bytes) -> tree_sitter.Tree:
    _charge(len(data))
    return _parser().parse(data)


def parse_work(text: str) -> int:
    """The bytes analyse(text) charges its budget (for tests and measures): unlimited here."""
    start = 1 << 62
    with parse_budget(text, allowance=start) as left:
        analyse(text)
    return start - left[0]


class Command:
    """One simple command. `name` is the normalised command name; for a dynamic command, the
    name as typed. `args` are the arguments after quote removal. `via` lists the wrappers that
    run it, outermost first. `guessed` marks commands read from a line the grammar rejects."""
    __slots__ = ("name", "args", "dynamic", "dynamic_args", "via", "guessed", "function", "parent", "_letters")

    def __init__(self, name: str, args: Sequence[str] = (), dynamic: str = "", dynamic_args: bool = False,
                 via: Tuple[str, ...] = (), guessed: bool = False) -> None:
        self.name = name
        self.args = tuple(args)
        self.dynamic = dynamic
        self.dynamic_args = dynamic_args
        self.via = via
        self.guessed = guessed
        self.function = False     # a call of a function the same input defines (its body is checked)
        self.parent: Optional["Command"] = None   # the wrapper that runs it with these very words
        self._letters: Optional[FrozenSet[str]] = None

    @property
    def text(self) -> str:
        return " ".join([self.name] + [_show(a) for a in self.args])

    def __repr__(self) -> str:
        return f"Command({self.text!r}{', dynamic: ' + self.dynamic if self.dynamic else ''})"


@dataclass
class Analysis:
    commands: List[Command] = field(default_factory=list)
    status: str = "ok"        # "ok", "incomplete" (waits for more input), "unparsable"
    heredoc_open: bool = False   # incomplete only for a here-document's end, the rest read whole


# ---- words ----
ESCAPE = re.compile(r"\\(.)", re.S)
DQ_ESCAPE = re.compile(r"\\([$`\"\\\n])")
ANSI = re.compile(r"\\(x\{[0-9a-fA-F]*\}?|x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)", re.S)
ANSI_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f",
               "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}
BRACE = re.compile(r"\{[^{}]*(,|\.\.)[^{}]*\}")
GLOB_CHARS = re.compile(r"(?<!\\)[*?\[]")
GUESSED_GLOB = re.compile(r"(?<!\\)(?:[*?]|\[.+\])")          # `[ -f x` is the test command, `[r]m` a glob


def _ansi(body: str) -> str:
    """`$'...'`'s text, as bash makes it: escapes (`\\x{HHH}` too, to eight bits), and the string
    ends at a NUL one makes (`$'rm\\0junk'` is `rm`: bash keeps it as a C string)."""
    def one(m: re.Match) -> str:
        e = m.group(1)
        if e.startswith("x{"):
            return chr(int(e[2:].rstrip("}") or "0", 16) & 0xFF)
        if e[0] in "xuU":
            try:
                return chr(int(e[1:], 16))
            except (ValueError, OverflowError):
                return e
        if e[0] in "01234567":
            return chr(int(e, 8) & 0xFF)
        if e[0] == "c":
            return "\x7f" if e[1] == "?" else chr(ord(e[1].upper()) & 0x1F)
        return ANSI_SIMPLE.get(e, "\\" + e)
    return ANSI.sub(one, body).partition("\0")[0]


def _unescape(text: str) -> str:
    return ESCAPE.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), text) if "\\" in text else text


# Whether variables' values assigned on the input are followed (`X=ls; $X`), and whether the input
# may change IFS, which decides how bash splits an unquoted value (with IFS=x set on an earlier
# line, `X=rmxfoo; $X` runs rm): {"known": bool, "touched": bool}, which command_policy.Policy
# keeps per session (after a line that may change IFS, values are no longer followed).
VALUES: contextvars.ContextVar = contextvars.ContextVar("values", default=None)


def _values_known() -> bool:
    state = VALUES.get()
    return state is None or state["known"] and not state["touched"]


class _Walk:
    def __init__(self, depth: int = 0, variables: Optional[Dict[str, str]] = None) -> None:
        self.depth = depth
        self.out: List[Command] = []
        self.variables: Dict[str, str] = variables if variables is not None and _values_known() else {}
        self.functions: set = set()
        self.trailing: Dict[Tuple[int, int], list] = {}   # a command's words hung on a list's redirection

    # words
    def word(self, node) -> Word:
        t = node.type
        src = node.text.decode("utf-8", "replace")
        if t == "word":
            return Word(_unescape(src), source=src, glob=bool(GLOB_CHARS.search(src)) or bool(BRACE.search(src)))
        if t == "raw_string":
            return Word(src[1:-1], source=src)
        if t == "ansi_c_string":
            return Word(_ansi(src[2:-1]), source=src)
        if t in ("string", "translated_string"):
            parts, dynamic = [], ""
            at = node.children[0].end_byte if node.children else node.start_byte
            for c in node.named_children:
                # what lies between the grammar's pieces is text too (a newline inside the quotes)
                parts.append(node.text[at - node.start_byte:c.start_byte - node.start_byte].decode("utf-8", "replace"))
                at = c.end_byte
                if c.type == "string_content":
                    parts.append(DQ_ESCAPE.sub(lambda m: "" if m.group(1) == "\n" else m.group(1),
                                               c.text.decode("utf-8", "replace")))
                else:
                    w = self.word(c)
                    parts.append(w.text)
                    dynamic = dynamic or w.dynamic
            end = node.children[-1].start_byte if len(node.children) > 1 and node.children[-1].type == '"' \
                else node.end_byte
            parts.append(node.text[at - node.start_byte:end - node.start_byte].decode("utf-8", "replace"))  # (`"a$"`)
            return Word("".join(parts), dynamic, src)
        if t == "concatenation":
            words = [self.word(c) for c in node.named_children]
            dynamic = next((w.dynamic for w in words if w.dynamic), "")
            glob = any(w.glob for w in words) or bool(BRACE.search(src))
            return Word("".join(w.text for w in words), dynamic, src, glob)
        if t in ("simple_expansion", "expansion"):
            name = node.named_children[0] if node.named_child_count == 1 else None
            if name is not None and name.type == "variable_name":
                value = self.variables.get(name.text.decode("utf-8", "replace"))
                if value is not None:
                    w = Word(value, source=src)
                    if node.parent is not None and node.parent.type != "string" and (
                            not value or any(c in value for c in " \t\n")):
                        # unquoted, bash splits it (`X="rm x"; $X` runs rm; an empty one is no word)
                        if node.parent.type == "concatenation":
                            return Word(src, "variable", src)
                        w.split = value.split()
                    return w
            return Word(src, "variable", src)
        if t in ("command_substitution", "process_substitution"):
            w = Word(src, "command substitution", src)
            if t == "process_substitution" and src.startswith("<("):
                inner = node.named_children
                w.feed = self.output_of(inner[0]) if len(inner) == 1 else ("dynamic", f"the output of `{src[:60]}`")
            return w
        if t == "arithmetic_expansion":
            return Word(src, "arithmetic expansion", src)
        if t == "brace_expression":
            return Word(src, source=src, glob=True)
        return Word(src, source=src)

    # statements
    def walk(self, node, stdin: Stdin = None, level: int = 0) -> None:
        if level > MAX_NODES_DEPTH or len(self.out) > MAX_COMMANDS:
            raise TooComplex()
        t = node.type
        if t == "command":
            self.command(node, stdin, level)
            return
        if t == "redirected_statement":
            self.redirected(node, stdin, level)
            return
        if t == "pipeline":
            self.pipeline(node.named_children, stdin, level)
            return
        if t in ("for_statement", "c_style_for_statement") or t == "expansion" and any(
                c.type in ("=", ":=") for c in node.children):
            self.forget(node)           # a loop's variable, `${X:=rm}`: assigned where it runs
        if t == "variable_assignment":
            self.assignment(node)
        elif t == "function_definition":
            name = node.child_by_field_name("name")
            if name is not None:
                self.functions.add(name.text.decode("utf-8", "replace"))
        elif t in ("declaration_command", "unset_command"):
            self.declaration(node)
        elif t == "file_redirect":
            self.duplicated(node)
        elif t == "command_substitution" and node.text.startswith(b"`"):
            self.backquoted(node)
        elif t in EVALUATED or (t == "compound_statement" and node.text.startswith(b"((")):
            self.evaluated(node)
        elif t == "expansion" and PROMPT_EXPANSION.search(node.text.decode("utf-8", "replace")):
            self.out.append(Command(f"({node.text.decode('utf-8', 'replace')[:60]})", (),
                                    "prompt expansion runs the command substitutions a variable holds", True))
        elif t == "expansion" and SUBSTITUTION.search(node.text):
            self.operand(node)
        elif t == "regex" and SUBSTITUTION.search(node.text):
            # a word the grammar takes for a pattern (after `==`/`=~`, also outside `[[ ]]`: `, ==$(rm x)`),
            # whose substitutions bash runs and the grammar does not show
            self.script(": " + node.text.decode("utf-8", "replace"), ("pattern",))
        inherited = stdin if t in ("program", "list", "subshell", "compound_statement") else None
        for c in node.named_children:
            self.walk(c, inherited, level + 1)

    def operand(self, node) -> None:
        """`${X%%$(rm x)}`, `${X//[$(rm x)]/}`, `${X,,$(rm x)}`, `${X=<(rm x)}`: bash expands the operand of a
        parameter expansion (a pattern, a default), and the grammar shows no substitution in some;
        inside double quotes a single quote there is a character (`"${X-'$(rm x)'}"` runs rm).
        Its text is judged as the argument of `:`, in double quotes where the expansion is."""
        inner = node.text.decode("utf-8", "replace")[2:-1]
        quoted, up = False, node.parent
        while up is not None and up.type not in ("command_substitution", "process_substitution", "program"):
            quoted = quoted or up.type == "string"
            up = up.parent
        self.script(f': "{inner}"' if quoted else f": {inner}", ("parameter expansion",))

    def later(self, w: Word, why: str) -> None:
        """Judge now the `$(...)` of text bash evaluates again where it is used (command_wrappers.later)."""
        code = later(w, why)
        if code is not None:
            # text that does not parse (`it`s`) is an error to bash there, and runs nothing
            self.script(code.text, (code.runner,), unparsable_runs=False)

    def declaration(self, node, extra: Sequence = ()) -> None:
        """`declare`, `export`, `local`, `readonly`, `typeset`, `unset` (and the words after a
        redirection of theirs, `extra`): names and assignments bash evaluates (later())."""
        name = node.children[0].text.decode("utf-8", "replace")
        words = [c for c in node.named_children] + list(extra)
        self.out.append(Command(name, [c.text.decode("utf-8", "replace") for c in words]))
        self.untrack()                  # (`declare X=rm`, `unset X`, `local -n`: not followed here)
        for c in words:
            if c.type in LITERALS:
                w = self.word(c)
                if w.glob:
                    self.run_items([names_from_files(name)], (name,))
                self.later(w, name)
                self.run_items(shell_table(w.text), (name,))
            elif c.type == "variable_assignment":      # `declare -n r=BASH_CMDS`: r[ls]=... then sets it
                self.run_items(shell_table(c.text.decode("utf-8", "replace")), (name,))
        for c in extra:
            self.walk(c, None)

    def backquoted(self, node) -> None:
        """Inside backquotes bash takes out the backslash before `$`, a backquote or a backslash
        before it reads the command: `` `echo \\$(rm x)` `` runs `rm x`, where the grammar reads
        a quoted `$`. The text so read is judged too."""
        inner = node.text.decode("utf-8", "replace")[1:-1]
        unescaped = BACKQUOTE_ESCAPE.sub(r"\1", inner)
        if unescaped != inner:
            self.script(unescaped, ("backquotes",))

    def duplicated(self, node) -> None:
        """`>&WORD` (no descriptor before it) to a file: bash expands the word a second time,
        quotes and all (`echo hi >&'$(rm x)'` runs `rm x`)."""
        descriptor = node.child_by_field_name("descriptor")
        # (the grammar takes `-x2` in `-x2>& f` for a descriptor, and `2` in `{}2>& f` after an
        # empty group; bash, for the end of a word and a bare `>&`)
        prev = node.prev_sibling
        glued = prev is not None and prev.end_byte == node.start_byte and (
            prev.text[-1:] not in (b")", b"|", b"&", b";") or _extglob_at_end(prev))
        if (descriptor is None or not descriptor.text.isdigit() or glued) and any(c.type == ">&" for c in node.children):
            for target in node.children_by_field_name("destination")[:1]:
                self.later(self.word(target), ">&")

    def evaluated(self, node) -> None:
        """`[[ ]]`, `(( ))`, `$(( ))`, `${a[...]}`: bash evaluates the text of their quoted
        operands as arithmetic or subscripts (`[[ 'a[$(rm x)]' -eq 1 ]]`)."""
        for c in node.named_children:
            if c.type in LITERALS:
                self.later(self.word(c), "arithmetic")
            elif c.type not in ("command_substitution", "process_substitution"):
                self.evaluated(c)

    def assigned(self, value) -> None:
        """A variable's value may reach arithmetic or an array subscript (`$((x))`, `${!x}`,
        `declare -a "b=($x)"`), where bash expands its `$(...)`: judged when assigned."""
        for c in value.named_children if value.type == "array" else [value]:
            pieces = self._hiding(c)
            if pieces:
                self.later(self.word(c), "a variable's value")
                for piece in pieces:                    # `${y:-'$(rm x)'}`: the default's text
                    self.later(piece, "a variable's value")

    def _hiding(self, node) -> List[Word]:
        """The literal pieces of the node whose text holds a `$(` or a backquote (a real
        substitution is walked anyway: `x=$(date)` is not read twice)."""
        if node.type in ("command_substitution", "process_substitution"):
            return []
        if node.type in ("raw_string", "string_content", "word", "ansi_c_string"):
            w = self.word(node) if node.type != "string_content" else Word(node.text.decode("utf-8", "replace"))
            return [w] if LATER.search(w.text) else []
        return [w for c in node.children for w in self._hiding(c)]

    def untrack(self) -> None:
        """Something ran that may assign any variable (IFS among them): no value is known after it."""
        self.variables.clear()
        state = VALUES.get()
        if state is not None:
            state["touched"] = True

    def forget(self, node) -> None:
        """What `node` may assign is no longer known: the variables it names (all of them, for a
        command that assigns by a name given to it, a function, eval or source)."""
        names = [c.text.decode("utf-8", "replace") for c in node.children if c.type == "variable_name"]
        for name in names:
            self.variables.pop(name, None)
        if not names or "IFS" in names:
            self.untrack()

    def assignment(self, node) -> None:
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None:
            return
        key = name.text.decode("utf-8", "replace")
        if key in RUN_LATER and value is not None:
            self.run_later(key, value)
        elif value is not None:
            self.assigned(value)
            self.run_items(assigned(key, self.word(value), None), (key,))
        w = self.word(value) if value is not None else Word("")
        if key.partition("[")[0] == "IFS":
            self.untrack()
        appended = any(c.type == "+=" for c in node.children)      # `X+=s`: what X held, then s
        if w.dynamic or w.glob or not _runs_here(node) or value is not None and value.type == "array" or (
                appended and key not in self.variables) or not _values_known():
            self.variables.pop(key, None)
        else:
            self.variables[key] = self.variables[key] + w.text if appended else w.text

    def run_later(self, key: str, value) -> None:
        """PROMPT_COMMAND's code runs before each prompt; a prompt string's `$(...)` and backquotes
        run each time it is shown."""
        for w in [self.word(c) for c in value.named_children] if value.type == "array" else [self.word(value)]:
            if key != "PROMPT_COMMAND":
                self.run_items(expanded(w, key), (key,))
            elif w.dynamic:
                self.out.append(Command(f"({key})", (), f"{key} holds code known only when it runs", True, (key,)))
            else:
                self.script(w.text, (key,))

    def pipeline(self, parts: Sequence, stdin: Stdin, level: int, first_input: Stdin = None) -> None:
        feeding: Stdin = first_input
        for i, part in enumerate(parts):
            self.walk(part, stdin if i == 0 and first_input is None else feeding, level + 1)
            feeding = self.output_of(part)

    def redirected(self, node, stdin: Stdin, level: int) -> None:
        body = node.child_by_field_name("body")
        source = stdin
        for r in node.named_children:
            if r is body:
                continue
            if r.type == "heredoc_redirect":
                text = "".join(c.text.decode("utf-8", "replace") for c in r.named_children
                               if c.type == "heredoc_body")
                source = ("text", text)
            elif r.type == "herestring_redirect" and r.named_child_count:
                source = self._herestring(r.named_children[-1])
            elif r.type == "file_redirect" and any(c.type == "<" for c in r.children):
                source = reading(self.word(r.named_children[-1]), source) if r.named_child_count else None
            elif r.type == "file_redirect":
                source = self._input_copied(r, source)
        inner = body
        while inner is not None and inner.type == "negated_command" and inner.named_child_count == 1:
            inner = inner.named_children[0]      # `! env >f rm x`: the words after `>f` are env's
        if inner is not None and inner.type == "command":
            self.command(inner, source, level + 1, self._after_redirects(node, body))
        elif body is None:
            # `&> f >| g rm x`: no command before the redirections; the words after them are one
            words = self.assignments_first([self.word(w) for w in self._after_redirects(node, None)])
            if words:
                self.emit(words, source, ())
        elif inner is not None and inner.type in ("variable_assignment", "variable_assignments"):
            # `! X=1 >f rm x`: the grammar takes `X=1` for what `!` negates, `rm x` for destinations
            self.walk(inner, source, level + 1)
            words = self.assignments_first([self.word(w) for w in self._after_redirects(node, body)])
            if words:
                self.emit(words, source, ())
        elif inner is not None and inner.type in ("declaration_command", "unset_command"):
            self.declaration(inner, self._after_redirects(node, body))
            for c in inner.named_children:
                self.walk(c, None, level + 1)
        elif body is not None:
            if body.type in ("list", "pipeline"):
                # `ls && 0< x rm`: the redirection, and the words after it, are the last command's
                last = _last_command(body)
                if last is not None:
                    self.trailing[(last.start_byte, last.end_byte)] = self._after_redirects(node, body)
                elif _last_stage(body).type in ("variable_assignment", "variable_assignments"):
                    # `ls | X=1 >x rm`: the grammar takes `X=1` for the last stage, `rm` for a destination
                    words = self.assignments_first([self.word(w) for w in self._after_redirects(node, body)])
                    if words:
                        stages = _last_stage(body, pipeline=True).named_children
                        piped = len(stages) > 1 and source is stdin
                        self.emit(words, self.output_of(stages[-2]) if piped else source, ())
            self.walk(body, source, level + 1)
        for r in node.named_children:
            if r is body:
                continue
            if r.type == "file_redirect":
                self.duplicated(r)
            for c in r.named_children:
                if c.type in ("pipeline", "list", "command", "redirected_statement") and body is not None:
                    # `cat <<EOF | bash`: the grammar hangs the rest of the pipeline on the here-document
                    feed = self.output_of(body, source)
                    if c.type == "pipeline":
                        self.pipeline(c.named_children, None, level + 1, first_input=feed)
                    else:
                        self.walk(c, feed, level + 1)
                else:
                    self.walk(c, None, level + 1)

    @staticmethod
    def _after_redirects(node, body) -> list:
        """Words after a redirection are the command's arguments (`sudo >/dev/null rm x` runs
        `rm x`); the grammar hangs them on the redirection instead, as more destinations (and
        the next redirection's descriptor with them: the `0` of `>f x 0<g`, left out)."""
        extra = []
        starts = {r.start_byte for r in node.named_children if r.type.endswith("redirect")}
        for r in node.named_children:
            if r.type == "file_redirect" and r is not body:
                extra += r.children_by_field_name("destination")[1:]
            elif r.type == "heredoc_redirect":
                extra += r.children_by_field_name("argument")
        return [w for w in extra if not (w.text.isdigit() and w.end_byte in starts)]

    def _input_copied(self, node, stdin: Stdin) -> Stdin:
        """The input after a redirection `node` that may be `<&N` (`bash <&3`, `exec 0<&3`: the
        shell reads its commands from descriptor N)."""
        if not node.named_child_count or not any(c.type == "<&" for c in node.children):
            return stdin
        descriptor = node.child_by_field_name("descriptor")
        if descriptor is None:          # the grammar may hang `0` of `0<&3` on the word before
            descriptor = node.prev_sibling
            while descriptor is not None and descriptor.child_count:
                descriptor = descriptor.children[-1]
            if descriptor is not None and (descriptor.end_byte != node.start_byte or not descriptor.text.isdigit()):
                descriptor = None
        if descriptor is not None and descriptor.text != b"0":
            return stdin                # `3<&0`: another descriptor
        return duplicated_input(self.word(node.child_by_field_name("destination") or node.named_children[-1]), stdin)

    def _herestring(self, node) -> Stdin:
        w = self.word(node)
        return ("dynamic", w.source) if w.dynamic else ("text", w.text)

    def output_of(self, node, stdin: Stdin = None) -> Stdin:
        """What a pipeline stage writes, when it is literal text: `echo 'rm x'`, `cat <<EOF`."""
        if node.type == "redirected_statement":
            body = node.child_by_field_name("body")
            for r in node.named_children:
                if r.type == "heredoc_redirect":
                    stdin = ("text", "".join(c.text.decode("utf-8", "replace") for c in r.named_children
                                             if c.type == "heredoc_body"))
                elif r.type == "herestring_redirect" and r.named_child_count:
                    stdin = self._herestring(r.named_children[-1])
            return self.output_of(body, stdin) if body is not None else ("dynamic", "a pipe")
        if node.type == "command":
            words = self._words(node)
            if words and not words[0].dynamic:
                name = _base(words[0].text)
                args = words[1:]
                if name in ("echo", "printf") and not any(a.dynamic for a in args):
                    text = printed(name, [a.text for a in args])
                    if text is not None:
                        return ("text", text)
                if name == "cat" and not args and stdin is not None:
                    return stdin
        text = node.text.decode("utf-8", "replace")
        return ("dynamic", f"the output of `{text[:60]}`")

    def _words(self, node) -> List[Word]:
        return [part for w in self._typed_words(node)
                for part in ([Word(t) for t in w.split] if w.split is not None else [w])]

    def _typed_words(self, node) -> List[Word]:
        name = node.child_by_field_name("name")
        if name is None:
            return []
        target = name.named_children[0] if name.named_child_count else name
        args = node.children_by_field_name("argument")
        redirects = {c.start_byte for c in node.children if c.type.endswith("redirect")}
        outer = node.parent
        while outer is not None and outer.type in ("list", "pipeline", "negated_command"):
            outer = outer.parent            # `ls && 0< x rm`: the grammar hangs the redirection on the list
        if outer is not None and outer.type == "redirected_statement":
            redirects.update(c.start_byte for c in outer.children if c.type.endswith("redirect"))
        # `0<<< x rm`: the grammar takes the first redirection's descriptor for the command's name
        words = [] if target.end_byte in redirects and target.text.isdigit() else [self.word(target)]
        for i, a in enumerate(args):
            if a.type == "$" and i + 1 < len(args) and args[i + 1].start_byte == a.end_byte:
                continue       # `$"rm"`: the grammar splits an argument's translated string in two
            if a.end_byte in redirects and a.text.isdigit():
                continue       # `exec 0<<<'rm x'`: the grammar takes a redirection's descriptor for an argument
            w = self.word(a)
            if i and args[i - 1].type == "$" and args[i - 1].end_byte == a.start_byte:
                w = Word(w.text, w.dynamic, "$" + w.source, w.glob)
            words.append(w)
        return words

    def assignments_first(self, words: List[Word]) -> List[Word]:
        """The words without the assignments that lead them, each judged as one: after a leading
        redirection the grammar misread (`0<<< x y= rm`, `>f x=1 rm`) they are still assignments."""
        while words and not words[0].dynamic and ASSIGNED_WORD.match(words[0].text):
            key, _, value = words.pop(0).text.partition("=")
            self.run_items(assigned(key, Word(value), None), (key,))
            self.later(Word(value), "a variable's value")
        return words

    def command(self, node, stdin: Stdin, level: int, extra: Sequence = ()) -> None:
        for c in node.named_children:
            if c.type == "herestring_redirect" and c.named_child_count:
                stdin = self._herestring(c.named_children[-1])
            elif c.type == "file_redirect" and any(t.type == "<" for t in c.children) and c.named_child_count:
                stdin = reading(self.word(c.child_by_field_name("destination") or c.named_children[-1]), stdin)
            elif c.type == "file_redirect":
                stdin = self._input_copied(c, stdin)
        extra = list(extra) + self.trailing.pop((node.start_byte, node.end_byte), [])
        words = self._words(node) + [self.word(w) for w in extra]
        name = node.child_by_field_name("name")
        if name is not None and name.text.isdigit():
            words = self.assignments_first(words)
        if words:
            self.emit(words, stdin, ())
        for c in node.named_children:
            if c.type == "variable_assignment":
                self.assignment_scan(c, level, stdin)
            else:
                self.walk(c, None, level + 1)

    def assignment_scan(self, node, level: int, stdin: Stdin = None) -> None:
        # NAME=value before a command is for that command only: scan it without keeping it
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if value is not None:
            self.assigned(value)
            if name is not None:
                key = name.text.decode("utf-8", "replace")
                self.run_items(assigned(key, self.word(value), stdin), (key,))
        for c in node.named_children:
            self.walk(c, None, level + 1)

    def emit(self, words: List[Word], stdin: Stdin, via: Tuple[str, ...], parent: Optional[Command] = None) -> None:
        if len(self.out) > MAX_COMMANDS or len(via) > 32:
            raise TooComplex()
        head, rest = words[0], words[1:]
        dynamic_args = any(w.dynamic or w.glob for w in rest)
        args = [w.text for w in rest]
        if head.dynamic or head.glob:
            reason = head.dynamic or "pathname expansion"
            self.out.append(Command(head.source, args, reason, dynamic_args, via))
            self.untrack()              # (it may be a builtin or a function that assigns)
            return
        name = _base(head.text)
        for a in rest:                  # `read BASH_CMDS[ls]`, `printf -v BASH_ALIASES[s]`
            self.run_items(shell_table(a.text), via + (name,))
        cmd = Command(name, args, "", dynamic_args, via)
        cmd.parent = parent
        self.out.append(cmd)
        cmd.function = name in self.functions
        if name in ASSIGNING or cmd.function:
            self.untrack()              # `read X`, `printf -v X rm`, `eval X=rm`, a function's body
        self.run_items(inner(name, rest, stdin), via + (name,), None if name in ("xargs", "find") else stdin, cmd)

    def run_items(self, items, via: Tuple[str, ...], stdin: Stdin = None, parent: Optional[Command] = None) -> None:
        """What a wrapper runs (command_wrappers.inner): commands, code to parse, code unknown."""
        for item in items:
            if isinstance(item, list):
                if item:
                    self.emit(item, stdin, via, parent)
            elif isinstance(item, Script):      # its code reads the wrapper's input (`echo rm x | bash -c sh`)
                self.script(item.text, via[:-1] + (item.runner,), unparsable_runs=not item.cut, stdin=stdin)
            elif isinstance(item, Unknown):
                self.out.append(Command(f"({item.reason})", (), "runs code not known before it runs", True, via))

    def script(self, text: str, via: Tuple[str, ...], unparsable_runs: bool = True, stdin: Stdin = None) -> None:
        if self.depth + 1 > MAX_DEPTH:
            raise TooComplex()
        sub = analyse(text, self.depth + 1, dict(self.variables), stdin)
        for c in sub.commands:
            c.via = via + c.via
            self.out.append(c)
        if sub.status == "unparsable" and unparsable_runs:
            self.out.append(Command(f"(code run by {via[-1]})", (), "the code could not be parsed", True, via))


def _show(arg: str) -> str:
    return shlex.quote(arg) if not arg or any(c in arg for c in " \t\n'\"\\") else arg


def _base(name: str) -> str:
    if "/" in name:
        tail = name.rstrip("/").rsplit("/", 1)[-1]
        return tail or name
    return name


# ---- incomplete and rejected lines ----
PREFIXES = ('"', "'", "`", "\\", "<<", "$(", "<(", ">(", "$((", "${")   # open until closed
OPERATORS = ("(", "((", "|", "&&", "||")                                   # want what follows
RESERVED = ("if", "then", "else", "elif", "do", "for", "while", "until", "case", "select", "in", "{",
            "function", "[[")                                              # only as words of their own
WORD_END = (b"", b" ", b"\t", b"\n", b";", b"&", b"|", b"(", b")", b"<", b">")


def _opens(leaf, data: bytes) -> bool:
    """Whether the leaf a rejected stretch starts with opens something bash waits to see closed.
    A reserved word counts only standing alone: `[[x`, `{function` and `ifx` are plain words, and
    bash runs a line they start (`[[x; rm x`)."""
    text = leaf.text.decode("utf-8", "replace")
    if text.startswith(PREFIXES) or text in OPERATORS or leaf.type in OPERATORS:
        return True
    return text in RESERVED and _alone(leaf, data)


def _alone(leaf, data: bytes) -> bool:
    return data[leaf.end_byte:leaf.end_byte + 1] in WORD_END


def _first_leaf(node):
    while node.child_count:
        node = node.children[0]
    return node


def _status(root, text: bytes) -> str:
    """"incomplete" when the line waits for more (an open quote, `if` without `fi`, a trailing `|`
    or `\\`), else "unparsable"."""
    end = len(text.rstrip())
    stack = [root]
    while stack:
        n = stack.pop()
        if n.is_missing:
            opener = _first_leaf(n.parent) if n.parent is not None else n
            if opener.type not in RESERVED or _alone(opener, text):
                return "incomplete"          # not a `]]` missing after a `[[x` bash reads as a word
        if n.type == "ERROR" and n.end_byte >= end and _opens(_first_leaf(n), text):
            return "incomplete"
        if n.has_error:
            stack.extend(n.children)
    return "unparsable"


ASSIGNED_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
REDIRECTION_APART = re.compile(r"((?:(?<![^\s])\d+)?(?:<<<|<<-?|<>|>>|>&|<&|&>>?|>\||<|>))")
SUBSCRIPT_OPEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\[[^\]]*")
REDIRECTION = re.compile(r"\d*(?:<<<|<<-?|<>|>>|>&|<&|&>>?|>\||<|>)(.*)", re.S)
LEADING = frozenset({"!", "time", "if", "then", "else", "elif", "do", "while", "until"})   # words before a command
SUBSTITUTION = re.compile(rb"\$\(|`|[<>]\(")      # a command or process substitution's opening
GUESSED_EXPANSION = re.compile(r"\$[({\[\w?$!#@*-]|`[^`]*`")     # (a lone backquote is an error to bash)
SPLIT = re.compile(r"\|\||&&|[;\n()`{}]|(?<!>)\||(?<![<>])&(?!>)|\$\(|[<>]\(")     # `>&`, `&>`, `>|` stay redirections


def _unquoted(word: str) -> str:
    """A word of a rejected line with its quotes taken out: `$'\\x72m'` and `$"rm"` are `rm`."""
    word = re.sub(r"\$'((?:[^'\\]|\\.)*)'", lambda m: _ansi(m.group(1)).replace("'", ""), word)
    return re.sub(r"[\"'\\]", "", re.sub(r"\$(?=\")", "", word))


def _unredirected(words: List[Word]) -> List[Word]:
    """The words without the redirections among them and their targets."""
    out, skip = [], False
    for w in words:
        m = REDIRECTION.fullmatch(w.text) if not w.dynamic else None
        if skip:
            skip = False
        elif m is not None:
            skip = not m.group(1)
        else:
            out.append(w)
    return out


def _pieces(text: str) -> List[str]:
    """The text split at shell operators, both as they stand and outside single quotes (where
    bash sees none: `<>'a[`x`]' r*` runs `r*`, which the first split cuts off from its line)."""
    pieces = SPLIT.split(text)
    if "'" not in text:
        return pieces
    masked, i = list(text), 0
    while i < len(text):
        j = skip_quoted(text, i)
        if text[i] == "'" or text.startswith("$'", i):
            masked[i:j] = "_" * (j - i)
        i = j
    cuts = [0]
    for m in SPLIT.finditer("".join(masked)):
        cuts += [m.start(), m.end()]
    cuts.append(len(text))
    return pieces + [text[a:b] for a, b in zip(cuts[::2], cuts[1::2])]


def _extglob_at_end(node) -> bool:
    """Whether `node` ends in a subshell the grammar made of an extglob pattern (`!(x)`, `@(a|b)`:
    a `?*+@!` right before its parenthesis), which to bash is part of a word."""
    while node.child_count and node.type != "subshell":
        node = node.children[-1]
    if node.type != "subshell" or node.start_byte == 0:
        return False
    root = node
    while root.parent is not None:
        root = root.parent
    return root.text[node.start_byte - 1:node.start_byte] in (b"?", b"*", b"+", b"@", b"!")


def guessed_commands(text: str, depth: int = 0) -> List[Command]:
    """Commands read from a line the grammar rejects, without the grammar: pieces between shell
    operators, words split on blanks (and again on blanks outside quotes), quotes dropped, brace
    expansions made first, as bash makes them (`[ a; {rm,x}` runs `rm x`), extglob patterns as `*`. Only their names are trusted;
    the code a wrapper runs (`bash -c $'\\x72m'`) is read as code, as deep as `depth` allows."""
    _charge(len(text))
    walker = _Walk(depth)
    pieces = _pieces(extglobs_as_stars(brace_expanded(text)))
    if not closes(text):
        # bash may get past a syntax error (one inside `Y=(…)` is reported and the next lines run),
        # where a quote left open would hide the rest: read again with the quotes as blanks
        pieces += _pieces(extglobs_as_stars(brace_expanded(re.sub(r"['\"]", " ", text))))
    for piece, split in _splits(pieces):
        # a word holding an expansion anywhere (`rm${S}`, `r`echo m``) is known only when it runs
        words = [Word(_unquoted(w), "expansion" if _holds_expansion(w) else "",
                      glob=bool(GUESSED_GLOB.search(w))) for w in split]
        words = _unredirected([w for w in words if w.text])     # `<> f rm x`, `xargs <>f *m`
        while words and (re.match(r"[A-Za-z_][A-Za-z0-9_]*=", words[0].text) or words[0].text in LEADING
                         or (words[0].text == "-p" and piece.lstrip().startswith("time"))):
            words.pop(0)
        if words and SUBSCRIPT_OPEN.fullmatch(words[0].text):
            # `a[ 1 ]=x r* y`: bash reads the blanks of an assignment's subscript into the word
            end = next((k for k, w in enumerate(words) if re.search(r"\]\+?=", w.text)), None)
            words = words[end + 1:] if end is not None else words
        if words:
            walker.emit(words, None, ())
    if _holds_expansion(text):
        # `$(echo rm) x`, `$X x`: the name the split loses; and where the grammar cannot tell the
        # words apart, any expansion may be one (`f=$((( ))n) $(echo rm)` runs rm)
        walker.out.append(Command("(a command name expanded when the line runs)", (), "expansion", True))
    for c in walker.out:
        c.guessed = True
    return walker.out


def _splits(pieces: List[str]):
    """(piece, its words) for each piece, split at blanks and, where that differs, at blanks
    outside quotes: a quoted argument whose words a wrapper runs as code stays one
    (`trap 'bash -c rm x' EXIT`)."""
    for piece in pieces:
        piece = REDIRECTION_APART.sub(r" \1 ", piece)       # `x=<<< y rm`: a redirection ends a word
        plain, quoted = piece.split(), _quoted_words(piece)
        yield piece, plain
        if quoted != plain:
            yield piece, quoted


def _quoted_words(piece: str) -> List[str]:
    words, start, i, n = [], None, 0, len(piece)
    while i < n:
        if piece[i] in " \t\n":
            if start is not None:
                words.append(piece[start:i])
                start = None
            i += 1
            continue
        if start is None:
            start = i
        i = skip_quoted(piece, i)
    if start is not None:
        words.append(piece[start:])
    return words


def _holds_expansion(text: str) -> bool:
    """Whether the text holds an expansion outside single quotes (`<>'a[`x`]' ls` holds none; a
    quote left open quotes nothing)."""
    i, n, double = 0, len(text), False
    while i < n:
        c = text[i]
        if c == "\\" or not double and (c == "'" or text.startswith("$'", i)) and quote_end(text, i) is not None:
            i = skip_quoted(text, i)
            continue
        if GUESSED_EXPANSION.match(text, i):
            return True
        double ^= c == '"'
        i += 1
    return False


def joined(text: str) -> str:
    """The text with its line continuations taken out, as bash's reader does before anything else:
    a backslash-newline outside single quotes and comments (and not itself escaped) is removed, so
    `r\\<newline>m` is `rm`, while `# a \\` ends at its newline."""
    if "\\\n" not in text:
        return text
    out: List[str] = []
    i, n, single, double = 0, len(text), False, False
    while i < n:
        c = text[i]
        if single:
            single = c != "'"
        elif c == "\\":
            if text[i + 1:i + 2] != "\n":
                out.append(text[i:i + 2])
            i += 2
            continue
        elif double:
            double = c != '"'
        elif c == "'":
            single = True
        elif c == '"':
            double = True
        elif c == "#" and (not out or out[-1][-1] in " \t\n;&|()<>"):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(text[i:end])
            i = end
            continue
        out.append(c)
        i += 1
    return "".join(out)


def analyse(text: str, depth: int = 0, variables: Optional[Dict[str, str]] = None, stdin: Stdin = None) -> Analysis:
    """The commands of a line (or a pasted block of lines); `stdin` is what their standard input
    brings (None: the terminal). Raises TooComplex past the limits (parse_budget among them: the
    analyses of code nested in the text draw on the budget of the first)."""
    with parse_budget(text):
        return _analysed(text, depth, variables, stdin)


def _analysed(text: str, depth: int, variables: Optional[Dict[str, str]], stdin: Stdin) -> Analysis:
    _charge(len(text))      # (the rewrites' readings of it)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    event = history_expansion(text) if depth == 0 else ""
    text = joined(text)
    result, tree = _parsed(text, depth, variables, stdin)
    base = _comments_unmade(text, tree) if "#" in text else text
    # (a comment the grammar read where bash reads none makes its reading of the line a guess too:
    # `[#]#:?$(rm x)` is one word to bash, `[` and a comment to the grammar)
    broken = result.status != "ok" or base != text
    read: List[Command] = []            # what the rewrites' readings found
    for variant, settles in ([(base, True)] if base != text else []) + variants(base):
        # (line continuations again: a quote in a here-document's body, which a rewrite took out,
        # hid one from joined(), and bash removes it: `<<E`, `'`, `E`, then `sh -c \` and `"rm "`)
        other, _ = _parsed(joined(variant), depth, variables, stdin, guess=False)
        if broken and other.status == "ok":
            # the grammar's trouble was what the rewrite settles: what it made of the line (body
            # lines read as commands, guessed words) goes, and it waits only for a here-document;
            # what other rewrites found stays (a quote in a here-document's body may mislead this one)
            result, broken = Analysis(other.commands, "ok" if settles else "incomplete", not settles), False
            continue
        if other.status == "incomplete" and result.status != "incomplete" and variant == compound_opened(base) != base:
            # the grammar waits for more of the compound command a prefix came before, where it read
            # the line as complete (`! for ((i+||+)); do rm x; done`, an invalid expression): bash runs it
            other.commands.extend(guessed_commands(variant, depth))
        read.extend(other.commands)
    seen = {(c.name, c.args, c.via) for c in result.commands}
    for c in read:
        if (c.name, c.args, c.via) not in seen:
            seen.add((c.name, c.args, c.via))
            result.commands.append(c)
    if event:                   # bash rewrites the line from its history before it runs
        result.commands.insert(0, Command(event, (), "history expansion", True))
    if depth and result.status == "incomplete":
        # code given to `bash -c` or `eval` has no more lines coming: bash runs it as it is (a
        # here-document ends with it), so it is read as a rejected line
        result.status = "unparsable"
        result.commands.extend(guessed_commands(text, depth))
    return result


def _unglued(data: bytes, tree):
    """The text, and its tree, with a `;` where the grammar runs a simple command on over a newline
    into the next line (`! >f` then `{ rm;}` on the next line: to the grammar the command `{` with
    the argument `rm`; `=` then `"rm"`: the command `=`); bash ends the command at the newline."""
    for _ in range(8):
        cuts = _glued(tree.root_node)
        if not cuts:
            break
        for at in sorted(set(cuts), reverse=True):
            data = data[:at] + b";" + data[at:]
        tree = _parse(data)
    return data, tree


def _glued(node) -> List[int]:
    if node.start_point[0] == node.end_point[0]:
        return []                   # on one line
    if node.type == "command":
        # a simple command never goes on past a newline (line continuations are joined already)
        for before, after in zip(node.children, node.children[1:]):
            if after.start_point[0] > before.end_point[0] and before.type != "heredoc_redirect":
                return [before.end_byte]
    return [at for c in node.children for at in _glued(c)]


def _comments_unmade(text: str, tree) -> str:
    """The text with each `#` the grammar reads as a comment's start where bash does not made a
    character (comments_unmade), again on the text so made, where the grammar may find the next
    one (`[#]#:?$(rm x)`: both are inside one word)."""
    for _ in range(8):
        unmade = comments_unmade(text, _comment_starts(tree.root_node, text))
        if unmade == text:
            break
        text = unmade
        tree = _parse(text.encode("utf-8", "surrogatepass"))
    return text


def _comment_starts(node, text: str) -> List[int]:
    """Where the grammar's comments start, as indexes into `text` (the tree counts bytes)."""
    data = text.encode("utf-8", "surrogatepass")
    return [len(data[:b].decode("utf-8", "surrogatepass")) for b in _comment_bytes(node)]


def _parser() -> tree_sitter.Parser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = tree_sitter.Parser(LANGUAGE)
    return parser


# builtins that may assign shell variables named in their arguments or by the code they run
ASSIGNING = frozenset({"read", "printf", "mapfile", "readarray", "getopts", "let", "unset", "eval", "source", ".",
                       "wait", "coproc", "builtin", "command", "fc", "declare", "typeset", "local", "export",
                       "readonly", "set", "shift", "cd", "pushd", "popd"})


def _runs_here(node) -> bool:
    """Whether `node` always runs, in the shell that runs the line, before what follows it: not in
    a pipeline, a subshell, a background job, a substitution (each a shell of its own), a branch
    or loop body, a function body or after `&&`/`||` (it may not run). Only there does a variable's
    value assigned by it hold for the commands after it (`X=ls | $X x`, `false && X=ls; $X x`
    run what X held before)."""
    child, parent = node, node.parent
    while parent is not None:
        sibling = child.next_sibling
        if sibling is not None and sibling.type == "&":
            return False
        if parent.type == "program":
            return True
        if parent.type == "list":
            if child != parent.named_children[0]:
                return False
        elif not (parent.type == "redirected_statement" or
                  parent.type == "compound_statement" and parent.text.startswith(b"{")):
            return False
        child, parent = parent, parent.parent
    return True


def _last_stage(node, pipeline: bool = False):
    """What a list or pipeline ends with (`pipeline`: the pipeline it ends with, or the node)."""
    while node.type in ("list", "negated_command") + (() if pipeline else ("pipeline",)) and node.named_child_count:
        node = node.named_children[-1]
    return node


def _last_command(node):
    """The simple command a list or pipeline ends with, if it ends with one."""
    while node is not None and node.type in ("list", "pipeline", "negated_command") and node.named_child_count:
        node = node.named_children[-1]
    return node if node is not None and node.type == "command" else None


def _comment_bytes(node) -> List[int]:
    if node.type == "comment":
        return [node.start_byte]
    return [i for c in node.children for i in _comment_bytes(c)]


def _parsed(text: str, depth: int, variables: Optional[Dict[str, str]], stdin: Stdin, guess: bool = True):
    """The analysis of the text as the grammar reads it (with `guess`, a rejected line's guessed
    commands too), and the syntax tree."""
    data = text.encode("utf-8", "surrogatepass")
    tree = _parse(data)
    data, read = _unglued(data, tree)       # (the tree returned is the text's own, for its offsets)
    walker = _Walk(depth, dict(variables) if variables is not None else None)
    walker.walk(read.root_node, stdin)
    result = Analysis(walker.out)
    if read.root_node.has_error:
        result.status = _status(read.root_node, data)
        if result.status == "unparsable" and guess:
            result.commands.extend(guessed_commands(text, depth))
    return result, tree


MAX_PREFIXES = 256         # prefixes of a waiting multi-line input read for what bash runs first
HEREDOC_OPENER = re.compile(r"<<(?!<)")


def run_before_waiting(text: str, heredoc_open: bool = False) -> List[Command]:
    """The commands of a multi-line input that waits for more (a paste ending inside a quote or
    a backquote) which bash runs before it waits: those of its longest complete prefix of whole
    lines. The grammar may pair a backquote across lines and so read none of them (`` `rm x` ``,
    a newline, then `` ` ``), where bash runs the first line at once. With a here-document open,
    the prefixes end before the last line that may open one (what follows is its body); past
    MAX_PREFIXES lines, the longest and the shortest prefixes are read."""
    lines = text.split("\n")
    last = len(lines) - 1
    if heredoc_open:
        last = next((i for i in range(last, -1, -1) if HEREDOC_OPENER.search(lines[i])), last)
    ends = list(range(last, 0, -1))
    if len(ends) > MAX_PREFIXES:
        ends = ends[:MAX_PREFIXES // 2] + ends[-MAX_PREFIXES // 2:]
    for end in ends:
        prefix = "\n".join(lines[:end])
        if prefix.strip():
            done = analyse(prefix)
            if done.status == "ok":
                return done.commands
    return []


def reads_session_input(command: str) -> bool:
    """Whether `command`, its standard input the session's (no terminal), is a shell running that
    input (`bash`, `sh -s`, `sudo bash`, `cd /tmp && bash`): the input is then a script."""
    return any(SESSION_INPUT in c.name for c in _reading_session_input(command))


def edits_session_input(command: str) -> bool:
    """Whether such a shell reads the input through its line editor (`bash -i`): its keys change
    the lines, and history is expanded in them (interactive_input)."""
    return any(SESSION_INPUT in c.name and EDITOR in c.name for c in _reading_session_input(command))


@functools.lru_cache(maxsize=256)
def _reading_session_input(command: str) -> Tuple[Command, ...]:
    """(both questions above are asked of an exec session's command: it is analysed once)"""
    try:
        commands = analyse(command, stdin=("dynamic", SESSION_INPUT)).commands
    except TooComplex:
        return ()
    return tuple(c for c in commands if c.dynamic)
