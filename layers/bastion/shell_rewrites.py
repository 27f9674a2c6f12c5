"""What bash makes of a line before it runs it, where the grammar (tree-sitter-bash) reads it
otherwise: brace expansion (`{rm,-rf,x}` is the command `rm -rf x`, `r{m,} x` is `rm r x`, which
the grammar takes for an unfinished `{ ...; }` group or leaves as one word) and a coprocess
given a name or a compound command (`coproc X { rm x; }`, which the grammar reads as a command
`coproc` with arguments).

`variants(text)` gives the line so rewritten, when a rewrite applies. shell_commands.analyse()
judges those beside the line as typed: a rewrite can only add commands to judge.
"""
import re
from typing import List, Optional, Tuple

MAX_WORDS = 1000            # words a line's brace expansions may make before they are left as typed
BOUNDARY = set(" \t\n;&|()<>`")
SEQUENCE = re.compile(r"(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?")
COPROC = re.compile(r"(?<![\w$-])coproc(?:\s+[A-Za-z_][A-Za-z0-9_]*)?\s+(?=[{(]|\[\[|(?:while|until|if|for|case|select)\b)")


class _TooMany(Exception):
    pass


def variants(text: str) -> List[str]:
    out = []
    braced = brace_expanded(text)
    if braced != text:
        out.append(braced)
    for candidate in (text, braced):
        opened = COPROC.sub("", candidate)
        if opened != candidate and opened not in out:
            out.append(opened)
    return out


def brace_expanded(text: str) -> str:
    """The text with each unquoted word's brace expansions made, as bash makes them before any
    other expansion; as typed if they would make more than MAX_WORDS words."""
    if "{" not in text:
        return text
    pieces, made = [], 0
    try:
        for kind, piece in _split(text):
            if kind == "word" and "{" in piece:
                words = _expand(piece)
                made += len(words)
                if made > MAX_WORDS:
                    raise _TooMany()
                piece = " ".join(words)
            pieces.append(piece)
    except _TooMany:
        return text
    return "".join(pieces)


def _split(text: str) -> List[Tuple[str, str]]:
    """Words and what separates them (blanks, operators), quotes and `${...}` kept inside words."""
    out: List[Tuple[str, str]] = []
    i, n, start = 0, len(text), 0
    while i < n:
        c = text[i]
        if c in BOUNDARY:
            if start < i:
                out.append(("word", text[start:i]))
            out.append(("sep", c))
            i += 1
            start = i
            continue
        i = _skip_quoted(text, i)
    if start < n:
        out.append(("word", text[start:]))
    return out


def _skip_quoted(text: str, i: int) -> int:
    """The index after the character at i, or after the quoted part or `${...}` it opens."""
    c, n = text[i], len(text)
    if c == "\\":
        return min(i + 2, n)
    if c == "'":
        end = text.find("'", i + 1)
        return n if end < 0 else end + 1
    if c == "$" and text[i + 1:i + 2] == "'":
        j = i + 2
        while j < n and text[j] != "'":
            j += 2 if text[j] == "\\" else 1
        return min(j + 1, n)
    if c == '"':
        j = i + 1
        while j < n and text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        return min(j + 1, n)
    if c == "$" and text[i + 1:i + 2] == "{":
        depth, j = 0, i + 1
        while j < n:
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    return j + 1
            j = _skip_quoted(text, j) if text[j] in "\\'\"" else j + 1
        return n
    return i + 1


def _expand(word: str) -> List[str]:
    found = _first_brace(word)
    if found is None:
        return [word]
    start, end, alternatives = found
    pre, post = word[:start], word[end + 1:]
    out: List[str] = []
    for alt in alternatives:
        out.extend(pre + w for w in _expand(alt + post))
        if len(out) > MAX_WORDS:
            raise _TooMany()
    return out


def _first_brace(word: str) -> Optional[Tuple[int, int, List[str]]]:
    """The first brace expression bash would expand in the word: its `{` and `}` and what it
    stands for; None if there is none."""
    i = 0
    while i < len(word):
        if word[i] == "{":
            close, parts = _closing(word, i)
            if close is not None:
                if len(parts) > 1:
                    return i, close, parts
                seq = _sequence(word[i + 1:close])
                if seq is not None:
                    return i, close, seq
            i += 1
            continue
        i = _skip_quoted(word, i)
    return None


def _closing(word: str, open_at: int) -> Tuple[Optional[int], List[str]]:
    """The `}` closing the `{` at open_at and the comma-separated parts between (nested braces
    and quotes kept whole)."""
    depth, j, last, parts = 0, open_at, open_at + 1, []
    while j < len(word):
        c = word[j]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                parts.append(word[last:j])
                return j, parts
        elif c == "," and depth == 1:
            parts.append(word[last:j])
            last = j + 1
        if c in "\\'\"" or (c == "$" and word[j + 1:j + 2] in ("'", "{")):
            j = _skip_quoted(word, j)
        else:
            j += 1
    return None, []


def _sequence(body: str) -> Optional[List[str]]:
    m = SEQUENCE.fullmatch(body)
    if m is None:
        return None
    a, b, step = m.group(1), m.group(2), abs(int(m.group(3) or 1)) or 1
    if a.lstrip("-").isdigit() and b.lstrip("-").isdigit():
        lo, hi = int(a), int(b)
        if abs(hi - lo) // step > MAX_WORDS:
            raise _TooMany()
        padded = any(len(v.lstrip("-")) > 1 and v.lstrip("-").startswith("0") for v in (a, b))
        width = max(len(a), len(b)) if padded else 0
        values = range(lo, hi + 1, step) if lo <= hi else range(lo, hi - 1, -step)
        return [str(v).zfill(width) if width else str(v) for v in values]
    if len(a) == 1 and len(b) == 1 and a.isalpha() and b.isalpha():
        lo, hi = ord(a), ord(b)
        values = range(lo, hi + 1, step) if lo <= hi else range(lo, hi - 1, -step)
        return [chr(v) for v in values]
    return None
