"""What an interactive shell makes of the text it reads, beyond what a script's reader makes: bash
with `-i`, or any bash reading a terminal (the one `script` starts), reads its input through
readline, whose keys edit the line (Backspace, Ctrl-T, Ctrl-U, a tab's completion; a carriage
return ends it), and expands history in it (`!!`, `!$`, a leading `^old^new`).

    history_expansion(text)  # the first expansion bash would make ('' if none)
    edited(text)             # why an interactive shell would read the text otherwise, or ''
"""
import re

from layers.bastion.shell_rewrites import comment_at

EDITOR = "through its line editor"      # in the reason of a shell that reads its input so

_EVENT = re.compile(r"![^\s;&|<>()'\"]{0,30}")


def history_expansion(text: str) -> str:
    """The first history expansion an interactive bash would make in the text ('' if none): a
    line's leading `^old^new`, or a `!` outside single quotes, not escaped, not followed by a
    blank, `=`, `(` or (in double quotes) `"`, and not `$!`, `${!name}` or `[!...]`: `!!`, `!-2`,
    `!rm`, `!?x?`, `!$`. A quote opened on one line goes on into the next (`echo 'a` then `b' !!`
    expands the `!!`), and a comment (`# don't`) quotes nothing. What it expands to is the shell's
    history, unknown here."""
    single = double = False         # quotes go on across lines, as bash's expansion keeps them
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if (i == 0 or text[i - 1] == "\n") and c == "^":      # (inside quotes too, to be safe)
            return text[i:].split(None, 1)[0]
        if single:
            single = c != "'"
        elif c == "\\":
            i += 1
        elif c == "'" and not double:
            single = True
        elif c == '"':
            double = not double
        elif c == "#" and not double and comment_at(text, i):
            i = text.find("\n", i)         # a comment (its `don't` quotes nothing): to its line's end
            if i < 0:
                break
            continue
        elif c == "!":
            after, before = text[i + 1:i + 2], text[max(0, i - 2):i]
            if after and after not in " \t\r\n=(" and not (double and after == '"') \
                    and not before.endswith(("$", "[")) and before != "${":
                return _EVENT.match(text, i).group(0)
        i += 1
    return ""


# control characters readline takes for keys (all but the newline ending a line)
EDITING_KEYS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def edited(text: str) -> str:
    """Why an interactive shell would not run the text as written ('' where it would): a key of
    the line editor (`printf 'mr\\x14 x'` is `rm x` once Ctrl-T swaps the letters) or a history
    expansion (`echo rm`, then `!!:1 x`)."""
    key = EDITING_KEYS.search(text)
    if key is not None:
        return f"the line editor's key {key.group()!r}"
    event = history_expansion(text)
    return f"the history expansion `{event}`" if event else ""
