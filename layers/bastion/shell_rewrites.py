"""What bash makes of a line before it runs it, where the grammar (tree-sitter-bash) reads it
otherwise: brace expansion (`{rm,-rf,x}` is the command `rm -rf x`, `r{m,} x` is `rm r x`, which
the grammar takes for an unfinished `{ ...; }` group or leaves as one word), a compound command
after `coproc [NAME]`, `time` or `!` (`coproc X { rm x; }`, `time { rm x; }`, which the grammar
reads as a command with arguments), and a here-document followed on its line by `;` or `&`
(`cat <<EOF; rm x`, which the grammar never finishes, however many lines follow), two backquoted
command substitutions one after the other (`` `ls``rm x` ``, `` echo `ls` `rm x` ``, read as one,
`lsrm x`), an extglob pattern
(`!(x)`, read as `!` and a subshell), an escaped blank after a quote and `$0` after an arithmetic
expansion (respelled()); and a `#` the
grammar takes for a comment where bash does not (`\\ # x; rm y`), escaped (comments_unmade).

`variants(text)` gives the line so rewritten, when a rewrite applies, each with whether the
rewrite settles what the grammar left in doubt (a here-document not yet ended does not: bash
waits for its end). shell_commands.analyse() judges each variant the grammar reads whole beside
the line as typed, or, where the grammar could not read the line, in place of what it made of it.
"""
import re
from typing import List, Optional, Tuple

MAX_WORDS = 1000            # words a line's brace expansions may make before they are left as typed
BOUNDARY = set(" \t\n;&|()<>`")
SEQUENCE = re.compile(r"(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?")
# `coproc [NAME]`, `time [-p]` or `!` before a compound command: the grammar takes the group's
# first words for arguments (`time { rm x; }` is `time` run with `{ rm x`). Blanks only, not a
# newline, between (`e !` then `{ rm; }`: two lines); a reserved word is no NAME
# (`coproc while while …`), a quoted one is (`coproc \N { rm x; }`)
COMPOUNDS = r"(?:while|until|if|for|case|select|function)\b"
COMPOUND_PREFIX = re.compile(r"(?<![\w$-])(?:coproc(?:[ \t]+(?!" + COMPOUNDS + r")[A-Za-z_'\"\\][A-Za-z0-9_'\"\\]*)?"
                             r"|time(?:[ \t]+-p)?|!)[ \t]+(?=[{(]|\[\[|" + COMPOUNDS + ")")

SPECIAL_PARAMETERS = set("0123456789?$!#@*_-")
EXPANDING = re.compile(r"[A-Za-z0-9_{(\['\"`?$!#@*-]")      # what may follow a `$` that expands something
# `a[ 1 ]=x cmd`: bash reads blanks inside an assignment's subscript into the word; the grammar ends it
SPACED_SUBSCRIPT = re.compile(r"(?:(?<=^)|(?<=[\s;&|(]))([A-Za-z_][A-Za-z0-9_]*)\[([^\]\n'\"]*[ \t][^\]\n'\"]*)\](\+?=)")
MISREAD = re.compile(r"[<>]\((?:\s|#[^\n]*\n)*\)|[\[\]{)}`]\$[\d?$!#@*_-]|\\[^\n]|\{\}|[^\s;&|(<>]#|\$(?![A-Za-z0-9_{(\['\x22`?$!#@*-])|\}[<>]|=[<>&|;)]|[<>][<>&|]*[ \t]*[{}]"
                     r"|[<>]&[ \t]*-|(?:[})]|\b(?:fi|done|esac))[ \t]+\d+<|(?:^|[\s;&|(])\[[^\s\[;&|()<>]")     # where respelled() has work
# `{ …; } 0<&3`, `( … ) 3<f`: the grammar cannot read a descriptor before `<` after a compound command
COMPOUND_END = re.compile(r"(?:[})]|(?<![\w$])(?:fi|done|esac))[ \t]+$")
INPUT_DESCRIPTOR = re.compile(r"\d+(?=<)")
# `<&-`, `>&-` (close a descriptor): after a descriptor (`0<&- rm x`) the grammar takes the words
# that follow for an error and the destination; `<&'-'` means the same to bash. After `<&` or `>&`
# bash's lexer makes a `-` a word of its own, blanks before it or not: `>& -rm x` is `>&-`, then `rm x`
CLOSING = re.compile(r"[<>]&[ \t]*-")
# `<()`, `>( )`: a process substitution that runs nothing (blanks, comments) expands to nothing
EMPTY_PROCESS = re.compile(r"[<>]\((?:[ \t\n]|#[^\n]*\n)*\)")
# `X=>a`, `X=|cmd`: an empty value to bash; the grammar reads the operator into the value
EMPTY_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]\s]*\])?\+?=(?=[<>](?!\()|[&|;)])")
# a lone `{` or `}` right after a redirection operator: the file's name, a word
REDIRECTED_BRACE = re.compile(r"[{}](?=[\s;&|<>()]|$)")
REDIRECTION_BEFORE = re.compile(r"[<>][<>&|]*[ \t]*$")
# `{fd}>x`: a redirection to bash that puts the descriptor it opens in `fd`; a word to the grammar
VARIABLE_DESCRIPTOR = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}(?=[<>](?!\())")
WORD_BREAKS = " \t\n;&|(<>"      # after one of these a `#` begins a comment; after anything else it is a character
BACKQUOTE_ESCAPE = re.compile(r"\\([$`\\])")      # inside backquotes `\$`, `\`` and `\\` lose their backslash
# a pattern with nothing inside that expands (quoted or escaped text too: `@("" e)` is one word to bash)
EXTGLOB = re.compile(r"[?*+@!]\((?:[^()$`'\"\\]|\\.|'[^']*'|\"[^\"$`\\]*\")*\)", re.S)


def compound_opened(text: str) -> str:
    """The prefixes before compound commands taken away, again until none is left: a prefix
    before a prefix (`time coproc { rm x; }`, `! coproc N { …; }`) comes before one only once the
    one after it is gone."""
    while True:
        opened = COMPOUND_PREFIX.sub("", text)
        if opened == text:
            return text
        text = opened


class _TooMany(Exception):
    pass


def variants(text: str) -> List[Tuple[str, bool]]:
    out: List[Tuple[str, bool]] = []
    seen = {text}
    starts = [heredocs_as_strings(text, True)]
    if starts[0][0] != text:
        # here-documents as strings (both ways), then as typed: made strings, they may leave what
        # the grammar cannot read (`Y= <<< ""`: it waits for a command), and the rewrites would go with it
        starts += [heredocs_as_strings(text, False), (text, True)]
    for strung, ended in starts:
        braced = brace_expanded(strung)
        # the later rewrites also without the brace expansions: bash makes none in some places
        # (`case {a,b} in`), where the expanded text is no syntax, and the rewrites would go with it
        for base in ((braced, strung) if braced != strung else (strung,)):
            opened = compound_opened(base)
            apart = backquotes_as_parens(opened)
            starred = extglobs_as_stars(apart)
            spelled = respelled(starred)
            # respelled without the backquotes made `$(...)` too: that rewrite may leave what the
            # grammar cannot read (a here-document inside `${X+`…`}`)
            kept = respelled(extglobs_as_stars(opened)) if apart != opened else spelled
            for variant in (strung, base, opened, apart, starred, spelled, kept):
                if variant not in seen:
                    seen.add(variant)
                    out.append((variant, ended))
    return out


def backquotes_as_parens(text: str) -> str:
    """The text with each backquoted command substitution written `$(...)`, as bash reads it: it
    ends at the first backquote no backslash escapes, and inside it `\\$`, `\\`` and `\\\\` lose
    their backslash (a `\\`` then opens a nested one). The grammar may pair a closing backquote
    with the next opening one and read two as one (`` echo `ls` `rm x` `` as the command `lsrm x`,
    `` `a``b` ``, also inside double quotes), or take an empty one (``` `` ```) for an opening. An
    empty one is `$(:)`; one whose code leaves a quote open (bash pairs backquotes regardless,
    `` X=`$'X=`\\>&rm x `` runs rm) is `$(:)` with its code on a line of its own at the end."""
    if "`" not in text:
        return text
    out, rest, i, n, double = [], [], 0, len(text), False
    while i < n:
        c = text[i]
        if c == "\\":
            out.append(text[i:i + 2])
            i += 2
            continue
        if c == "`":
            if out and out[-1] == "$":
                out[-1] = "\\$"        # `$` before a backquote is a character (`$$(...)` would be the PID)
            end = _backquote_end(text, i)
            if end is None:             # never closed: left as it is
                out.append(text[i:])
                break
            code = backquotes_as_parens(BACKQUOTE_ESCAPE.sub(r"\1", text[i + 1:end - 1]))
            if not code.strip():
                out.append("$(:)")      # (the grammar misreads an empty `$()` as it does ``` `` ```)
            elif closes(code):
                # (a `#` inside may begin a comment, which in `$(...)` would run on over the `)`)
                out.append("$(" + code + ("\n)" if "#" in code else ")"))
            else:                       # a quote left open inside (`` `$'x` ``): its code on a line of its own
                out.append("$(:)")
                rest.append(code)
            i = end
            continue
        if not double and (c == "'" or text.startswith("$'", i)):
            j = skip_quoted(text, i)
            out.append(text[i:j])
            i = j
            continue
        if c == "#" and not double and comment_at(text, i):
            j = _comment_end(text, i)
            out.append(text[i:j])
            i = j
            continue
        if c == '"':
            double = not double
        out.append(c)
        i += 1
    return "".join(out) + "".join("\n" + code for code in rest)


def _comment_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def comment_at(text: str, i: int) -> bool:
    """Whether the `#` at i begins a comment: at the start of a word (a quote in the comment,
    `# don't`, quotes nothing); after an escaped break it is inside one (`Y=\\|# rm`)."""
    if i == 0:
        return True
    if text[i - 1] not in WORD_BREAKS:
        return False
    j = i - 2
    while j >= 0 and text[j] == "\\":
        j -= 1
    return (i - 2 - j) % 2 == 0


def closes(code: str) -> bool:
    """Whether every quote `code` opens is closed in it."""
    i = 0
    while i < len(code):
        if code[i] in "'\"" or code.startswith("$'", i):
            if quote_end(code, i) is None:
                return False
        i = skip_quoted(code, i)
    return True


def comments_unmade(text: str, starts: List[int]) -> str:
    """The text with a backslash before each `#` at `starts` (where the grammar begins a comment)
    that bash reads as part of a word, since no word starts there (`\\ # x; rm y` runs `rm y`)."""
    words, at = set(), 0
    for kind, piece in _split(text):
        if kind in ("word", "comment"):     # (a comment begins where a word would)
            words.add(at)
        at += len(piece)
    for i in sorted(starts, reverse=True):
        if text[i:i + 1] == "#" and i not in words:
            text = text[:i] + "\\" + text[i:]
    return text


def heredocs_as_strings(text: str, as_input: bool = True) -> Tuple[str, bool]:
    """The text with each here-document given as a here-string in its place (`cat <<EOF; rm x`
    + body + `EOF` is `cat <<< "body"; rm x`), its body lines taken out; and whether every body
    had its end (one without runs to the end of the text, as in `bash -c`). The grammar reads no
    here-string after another redirection (`cat >f <<< x`), so with `as_input` False the input is
    `</dev/null` instead and each expanding body becomes a line `: "body"` at the end (what runs
    in it is judged; a shell reading it is seen in the other form)."""
    if "<<" not in text:
        return text, True
    lines, out, i, ended, spoken = text.split("\n"), [], 0, True, []
    while i < len(lines):
        line = lines[i]
        pending = _heredoc_starts(line)
        i += 1
        pieces, last = [], 0
        for start, end, delimiter, quoted, strip in pending:
            body = []
            while i < len(lines):
                candidate = lines[i].lstrip("\t") if strip else lines[i]
                i += 1
                if candidate == delimiter:
                    break
                body.append(candidate)
            else:
                ended = False
            string = _quoted("\n".join(body), quoted)
            pieces += [line[last:start], "<<< " + string if as_input else "</dev/null"]
            if not as_input and not quoted:
                spoken.append(": " + string)
            last = end
        out.append("".join(pieces) + line[last:])
    return "\n".join(out + spoken), ended


HEREDOC = re.compile(r"<<(-?)[ \t]*")
DELIMITER = re.compile(r"""(?:[^\s;&|()<>'"\\]|\\.|'[^']*'|"[^"]*")+""")


def _heredoc_starts(line: str) -> List[Tuple[int, int, str, bool, bool]]:
    """The line's here-document operators: (start, end, delimiter, quoted, tabs stripped)."""
    found, i = [], 0
    while i < len(line):
        c = line[i]
        if c == "#" and (i == 0 or line[i - 1] in " \t;&|()"):
            break                                   # a comment to the end of the line
        if line.startswith("<<", i) and not line.startswith("<<<", i):
            op = HEREDOC.match(line, i)
            word = DELIMITER.match(line, op.end())
            if word and not word.group(0).isdigit():
                raw = word.group(0)
                delimiter = re.sub(r"""\\(.)|['"]""", lambda m: m.group(1) or "", raw)
                found.append((i, word.end(), delimiter, raw != delimiter, op.group(1) == "-"))
                i = word.end()
                continue
            i = op.end()
            continue
        if line.startswith("<<<", i):
            i += 3
            continue
        i = skip_quoted(line, i)
    return found


def _quoted(body: str, literal: bool) -> str:
    """A here-document's body as a string of the same value: single-quoted when its delimiter
    was quoted (no expansion), else double-quoted (expansions and `$(...)` run, as in the body)."""
    if literal:
        return "'" + body.replace("'", "'\\''") + "'"
    return '"' + BODY_QUOTE.sub(_body_quote, body) + '"'


BODY_QUOTE = re.compile(r'\\(.?)|"', re.S)


def _body_quote(m: "re.Match") -> str:
    """A body's backslash escapes `$`, a backquote, a backslash and a newline, as in a string;
    before anything else it is literal, so before a double quote, or at the very end, it is
    itself escaped in the string."""
    if m.group(0) == '"':
        return '\\"'
    after = m.group(1)
    if after == '"':
        return '\\\\\\"'
    return m.group(0) if after else "\\\\"


def brace_expanded(text: str) -> str:
    """The text with each unquoted word's brace expansions made, as bash makes them before any
    other expansion; as typed if they would make more than MAX_WORDS words."""
    if "{" not in text:
        return text
    pieces, made = [], 0
    try:
        for kind, piece in _split(text):
            # a here-string's word and a here-document's delimiter are not brace-expanded
            if kind == "word" and "{" in piece and not "".join(pieces[-8:]).rstrip(" \t").endswith(("<<", "<<-")):
                words = _expand(piece)
                made += len(words)
                if made > MAX_WORDS:
                    raise _TooMany()
                piece = " ".join(words)
            pieces.append(piece)
    except _TooMany:
        return text
    return "".join(pieces)


def extglobs_as_stars(text: str) -> str:
    """The text with each unquoted extglob pattern (`@(a|b)`, `!(x)`, `+(r)m`) as `*`: to bash
    with extglob on (Debian's interactive shells) a pathname expansion, whose file names may make a
    command's name (`!(x) y` runs `rm y` beside a file `rm`); to the grammar a `!` and a subshell,
    or no syntax at all."""
    if not EXTGLOB.search(text):
        return text
    out, i, n = [], 0, len(text)
    while i < n:
        m = EXTGLOB.match(text, i)
        if m is not None:
            out.append("*")
            i = m.end()
            continue
        j = _comment_end(text, i) if text[i] == "#" and comment_at(text, i) else skip_quoted(text, i)
        out.append(text[i:j])
        i = j
    return "".join(out)


# `Y=()x`, `Y=(a b)x`, `Y=($((2)))x`: text right after the `)` makes the whole a string to bash
# (Y is `(a b)x`); the grammar reads an array and then a command named `x`
ARRAY_START = re.compile(r"(?:(?<=^)|(?<=[\s;&|(]))[A-Za-z_][A-Za-z0-9_]*\+?=(?=\()")


def _glued_arrays(text: str) -> str:
    """The text with each array glued to more text as that text (`Y=($((2)))x rm` as `Y=x rm`),
    the array's own text on a line of its own at the end (its substitutions are code)."""
    glued: List[str] = []
    out, at = [], 0
    for m in ARRAY_START.finditer(text):
        if m.start() < at:
            continue
        end = _matched(text, m.end(), "(", ")")
        if end < len(text) and text[end - 1] == ")" and text[end] not in " \t\n;&|<>()":
            out.append(text[at:m.end()])
            glued.append(text[m.end() + 1:end - 1])
            at = end
    if not glued:
        return text
    return "".join(out) + text[at:] + "".join(f"\n: {part}" for part in glued)


def respelled(text: str) -> str:
    """The text with spellings the grammar misreads written as it reads them, meaning the same
    to bash (for the commands a line runs): an escaped character outside quotes and backquotes
    as a quoted one (`X='a'\\ 'b' rm` assigns `a b` and runs `rm`, `<>x\\;y $'\\x72m'` runs rm;
    the grammar ends the word at the backslash, or reads on past the end of the line after
    `\\`` or `2>&\\ `), `{}` quoted (a word to bash, which has no empty
    group: `{}#$(rm x)` runs `rm x`; to the grammar a group and a comment), a `#` inside a word
    quoted (`X=#]] rm x`, `<<<``# rm x` run rm; the grammar ends the word there), `$0`, `$?`,
    `$$`... braced (`X=a$((1))$0 rm`: the grammar takes `$0` for the command), a `$` that expands
    nothing quoted (`>$ rm x` runs rm; the grammar reads `$ rm` as one word), a `{fd}` before a
    redirection dropped (`exec {fd}>x rm x` runs rm; the grammar reads `{fd}` as a word), an empty
    value before an operator quoted (`X=>a;r${Y}m`: the grammar reads `>a;r` into it), an assignment's
    subscript holding blanks (`a[ 1 ]=x rm`) as `[0]`, its text on a line of its own, and `<&-`
    as `<&'-'` (`0<&- rm x` runs rm; the grammar reads `rm` as an error after it), a descriptor
    before `<` after a compound command dropped (`{ rm;} 0<&3`), and an array glued to more text
    (`Y=()~ rm`: one string to bash) as the text after it, the array's on a line of its own, and a
    process substitution that runs nothing as the nothing it expands to (`r<()m x` runs rm)."""
    if SPACED_SUBSCRIPT.search(text):
        # the subscript as `0`, its text judged on a line of its own (its `$(...)` run as it is read)
        subscripts: List[str] = []
        text = SPACED_SUBSCRIPT.sub(lambda m: subscripts.append(m.group(2)) or f"{m.group(1)}[0]{m.group(3)}", text)
        text += "".join(f"\n: {sub}" for sub in subscripts)
    if "=(" in text:
        text = _glued_arrays(text)
    if not MISREAD.search(text):
        return text
    out, i, n, double, backquoted = [], 0, len(text), False, False
    while i < n:
        c = text[i]
        if (c == "'" or text.startswith("$'", i)) and not double and not backquoted:
            j = skip_quoted(text, i)
            out.append(text[i:j])
            i = j
            continue
        if c == "\\":
            after = text[i + 1:i + 2]
            if after and after != "\n" and not double and not backquoted:
                if out and out[-1] == "$":
                    out[-1] = "'$'"     # (a quote right after it would make `$'…'` or `$"…"`)
                out.append('"\'"' if after == "'" else f"'{after}'")     # `\X` is X, quoted
            else:
                out.append(text[i:i + 2])
            i += 2
            continue
        if c == "`":
            backquoted = not backquoted     # (inside, `\`` opens a nested substitution)
        if text.startswith("${", i) and not backquoted:
            j = skip_quoted(text, i)
            out.append(text[i:j])
            i = j
            continue
        if c == "#" and not double and not backquoted and comment_at(text, i):
            j = _comment_end(text, i)
            out.append(text[i:j])
            i = j
            continue
        if c == "#" and i and text[i - 1] not in WORD_BREAKS and not double:
            out.append("'#'")           # `X=#]] rm x`, `<<<``# rm x`: the grammar ends the word there
            i += 1
            continue
        if not double and (i == 0 or text[i - 1] in " \t\n;&|()"):
            m = EMPTY_ASSIGNMENT.match(text, i)
            if m is not None:
                out.append(m.group() + "''")    # `X=>a;r${Y}m` runs rm; the grammar read `>a;r` as the value
                i = m.end()
                continue
        if c in "{}" and not double and REDIRECTED_BRACE.match(text, i) and REDIRECTION_BEFORE.search(text, max(0, i - 64), i):
            out.append(f"'{c}'")        # `> } [r]m`: a file named `}`; the grammar read `} [` as one word
            i += 1
            continue
        if c == "{" and (i == 0 or text[i - 1] in " \t\n;&|()"):
            m = VARIABLE_DESCRIPTOR.match(text, i)
            if m is not None:
                # `exec {fd}>x rm x` runs rm; the grammar reads `{fd}` as exec's command. Dropped
                # inside double quotes too, where `"$(...)"` holds code (in a string it is only data)
                i = m.end()
                continue
        if c.isdigit() and not double and text[i - 1:i] in (" ", "\t") and INPUT_DESCRIPTOR.match(text, i) \
                and COMPOUND_END.search("".join(out[-8:])):
            i = INPUT_DESCRIPTOR.match(text, i).end()   # `{ rm;} 0<&3` as `{ rm;} <&3`
            continue
        if c in "<>" and not double and not backquoted and text[i - 1:i] not in ("<", ">", "&") \
                and (empty := EMPTY_PROCESS.match(text, i)):
            # `r<()m x` runs rm: a process substitution running nothing expands to nothing; the
            # grammar reads a redirection. Glued to a word, it is an empty string
            end = empty.end()
            glued = i and text[i - 1] not in BOUNDARY or text[end:end + 1] not in BOUNDARY | {""}
            out.append("''" if glued else " ")
            i = end
            continue
        if c in "<>" and not double and (closing := CLOSING.match(text, i)):
            out.append(c + "&'-' ")     # `0<&- rm x` runs rm; the grammar reads `rm` as an error
            i = closing.end()
            continue
        if c == "[" and not double and (i == 0 or text[i - 1] in " \t\n;&|(") and text[i + 1:i + 2] not in ("", "[") \
                and text[i + 1] not in " \t\n;&|()<>":
            # `[^` is a word to bash (a test wants a blank after `[`), a test to the grammar, which may
            # read it on over lines (`[^` then `>2 ${X-rm} ]`); as a pattern it is a name known only when it runs
            out.append("?")
            i += 1
            continue
        if text.startswith("{}", i) and not double:
            out.append("'{}'")          # a word to bash (it has no empty group); an empty group to the grammar
            i += 2
            continue
        if c == '"':
            double = not double
        elif c == "$" and text[i + 1:i + 2] and text[i + 1] in SPECIAL_PARAMETERS:
            out.append("${" + text[i + 1] + "}")
            i += 2
            continue
        elif c == "$" and not double and not EXPANDING.match(text, i + 1):
            # a `$` that expands nothing: the grammar reads on into the next word (`>$ rm x`), or
            # takes what follows for a word of its own (`Y=[a$= rm`: the command `=`)
            out.append("'$'")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _split(text: str) -> List[Tuple[str, str]]:
    """Words, comments and what separates them (blanks, operators), quotes, `${...}` and extglob
    patterns (`{rm,x}!(x)` is one word) kept inside words."""
    out: List[Tuple[str, str]] = []
    i, n, start, arithmetic = 0, len(text), 0, 0
    while i < n:
        c = text[i]
        if c == "(" and i > start and text[i - 1] in "?*+@!":
            m = EXTGLOB.match(text, i - 1)
            if m is not None:
                i = m.end()
                continue
        if text.startswith("((", i) and i == start and text[i - 1:i] not in ("<", ">"):
            end = _matched(text, i, "(", ")")
            if text.endswith("))", 0, end):
                arithmetic = end    # an arithmetic command: no comment in it (`((1 #)) || {rm,x}` runs rm)
        if c in BOUNDARY:
            if start < i:
                out.append(("word", text[start:i]))
            out.append(("sep", c))
            i += 1
            start = i
            continue
        if c == "#" and i == start and i >= arithmetic and comment_at(text, i):
            i = _comment_end(text, i)           # a comment: what it holds (`# don't`) is not read
            out.append(("comment", text[start:i]))
            start = i
            continue
        i = skip_quoted(text, i)
    if start < n:
        out.append(("word", text[start:]))
    return out


def skip_quoted(text: str, i: int) -> int:
    """The index after the character at i, or after the quoted part or `${...}` it opens (the
    end of the text for one left open)."""
    c, n = text[i], len(text)
    if c == "\\":
        return min(i + 2, n)
    if c in "'\"" or text.startswith("$'", i):
        end = quote_end(text, i)
        return n if end is None else end
    if c == "$" and text[i + 1:i + 2] == "{":
        return _matched(text, i + 1, "{", "}")
    return i + 1


def _matched(text: str, i: int, opener: str, closer: str) -> int:
    """The index after the `closer` matching the `opener` at i; quotes, backquotes, `$(...)` and
    `${...}` inside skipped, since a brace or parenthesis in them closes nothing (`${X+`{`}`). The
    end of the text for one left open."""
    depth, j, n = 0, i, len(text)
    while j < n:
        c = text[j]
        if c in (opener, closer):
            depth += 1 if c == opener else -1
            if depth == 0:
                return j + 1
            j += 1
        elif c == "`":
            end = _backquote_end(text, j)
            j = n if end is None else end
        elif text.startswith("$(", j):
            j = _matched(text, j + 1, "(", ")")
        elif c in "\\'\"" or text.startswith("${", j):
            j = skip_quoted(text, j)
        else:
            j += 1
    return n


def _backquote_end(text: str, i: int) -> Optional[int]:
    """The index after the backquote closing the one at i (the first unescaped one), or None."""
    j = i + 1
    while j < len(text) and text[j] != "`":
        j += 2 if text[j] == "\\" else 1
    return j + 1 if j < len(text) else None


def quote_end(text: str, i: int) -> Optional[int]:
    """The index after the quote that closes the one opening at i (`'`, `"` or `$'`; a backslash
    escapes in the last two), or None if none does."""
    quote, j = ("'", i + 2) if text[i] == "$" else (text[i], i + 1)
    escapes = text[i] != "'"
    while j < len(text) and text[j] != quote:
        j += 2 if escapes and text[j] == "\\" else 1
    return j + 1 if j < len(text) else None


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
        i = skip_quoted(word, i)
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
            j = skip_quoted(word, j)
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
