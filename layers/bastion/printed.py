"""What bash's `echo` and `printf` print, for a pipe into a shell (`printf 'r\\x6d x' | bash` runs
`rm x`): their escapes and format directives made as bash makes them.

`printed(name, args)` gives the text, or None where it cannot be told here (a directive such as
`%q` or `%(…)T`, a width on something other than a string or a number): the shell then runs what a
program wrote, which is code known only when it runs. `echo` with a backslash and without `-e` or
`-E` gives both readings, one per line: with `shopt -s xpg_echo` it makes the escapes too.
"""
import re
from typing import List, Optional

_ECHO_OPTIONS = re.compile(r"-[neE]+")
_ESCAPE = re.compile(r"\\(?:([abeEfnrtv\\\"'?])|0([0-7]{0,3})|([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|"
                     r"u([0-9A-Fa-f]{1,4})|U([0-9A-Fa-f]{1,8})|(c))", re.S)
_SIMPLE = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
           "v": "\v", "\\": "\\", '"': '"', "'": "'", "?": "?"}
_DIRECTIVE = re.compile(r"%(?:(%)|([-+ #0]*)(\d*)(?:\.(\d*))?([sbcdiu]))|%")


class _Stop(Exception):
    """`\\c`: nothing more is printed."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def _unescape(text: str, octal_needs_zero: bool, quotes: bool, plain_octal: bool = False) -> str:
    """Backslash escapes made: echo -e and %b (`\\0nnn` octal, `\\c` stops; %b, `plain_octal`,
    also `\\nnn`), or a printf format (`\\nnn` octal, also `\\"` and `\\'`)."""
    out, at = [], 0
    for m in _ESCAPE.finditer(text):
        simple, zero, octal, hexa, u4, u8, stop = m.groups()
        out.append(text[at:m.start()])
        at = m.end()
        if simple is not None and (quotes or simple not in "\"'?"):
            out.append(_SIMPLE[simple])
        elif zero is not None:
            out.append(chr(int(zero or "0", 8) & 0xFF) if octal_needs_zero else chr(int("0" + zero[:2], 8)) + zero[2:])
        elif octal is not None and (plain_octal or not octal_needs_zero):
            out.append(chr(int(octal, 8) & 0xFF))
        elif hexa is not None:
            out.append(chr(int(hexa, 16)))
        elif u4 is not None or u8 is not None:
            out.append(chr(min(int(u4 or u8, 16), 0x10FFFF)))
        elif stop is not None and octal_needs_zero:
            raise _Stop("".join(out))
        else:
            out.append(m.group(0))
    out.append(text[at:])
    return "".join(out)


def _echo(args: List[str]) -> str:
    escapes, newline, i = None, True, 0
    while i < len(args) and _ECHO_OPTIONS.fullmatch(args[i]):
        for c in args[i][1:]:
            newline = newline and c != "n"
            escapes = True if c == "e" else False if c == "E" else escapes
        i += 1
    words = " ".join(args[i:])
    end = "\n" if newline else ""
    readings = [words + end] if escapes is False or "\\" not in words else []
    if escapes is not False and "\\" in words:
        try:
            readings.append(_unescape(words, True, False) + end)
        except _Stop as stop:
            readings.append(stop.text)
        if escapes is None:
            readings.insert(0, words + end)         # without xpg_echo
    return "".join(dict.fromkeys(readings)) if newline else "\n".join(dict.fromkeys(readings))


def _printf(args: List[str]) -> Optional[str]:
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        return None
    if args[0].startswith("-v"):
        return ""                                   # into a variable: nothing printed
    fmt, values = args[0], args[1:]
    out: List[str] = []
    try:
        while True:
            used = _format(fmt, values, out)
            values = values[used:]
            if not used or not values:
                break
    except _Stop as stop:
        out.append(stop.text)
    except ValueError:
        return None
    return "".join(out)


def _format(fmt: str, values: List[str], out: List[str]) -> int:
    """One pass of the format over `values`, appended to `out`; how many values it took."""
    used, at = 0, 0
    for m in _DIRECTIVE.finditer(fmt):
        out.append(_unescape(fmt[at:m.start()], False, True))
        at = m.end()
        percent, flags, width, precision, kind = m.groups()
        if percent:
            out.append("%")
            continue
        if kind is None:
            raise ValueError("a directive not told here")
        value = values[used] if used < len(values) else ""
        used += 1
        if kind == "b":
            try:
                value = _unescape(value, True, False, plain_octal=True)    # (`\\162` too, unlike echo -e)
            except _Stop as stop:
                out.append(stop.text)
                raise _Stop("")
        if kind == "c":
            value = value[:1]
        if kind in "diu":
            value = str(int(value or "0", 0))
        spec = f"{{:{'<' if '-' in flags else '>'}{width}{'.' + precision if precision and kind in 'sb' else ''}}}"
        out.append(spec.format(value) if width or (precision and kind in "sb") else value)
    out.append(_unescape(fmt[at:], False, True))
    return used


def printed(name: str, args: List[str]) -> Optional[str]:
    """What `echo ARGS` or `printf ARGS` prints; None where that cannot be told."""
    return _echo(args) if name == "echo" else _printf(args)
