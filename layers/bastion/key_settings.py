"""Commands that may change what a terminal's keys do, read off a line's analysis (shell_commands).

After such a line the keys an operator types no longer tell the line the shell holds
(ssh/typed_line): `stty erase q` makes a typed-ahead `#qrm x` the line `rm x`, `stty iuclc` makes
`RM X` `rm x`, `bind` gives a key another function, `set -o vi` (or `shopt -os vi`, `SHELLOPTS=vi
bash`) another editor. The analysis has taken quoting, paths, wrappers and the values of
variables set on the line off them (`st''ty er''ase q`, `x=stty; $x erase q`, `sudo /bin/stty
sane`, `bash -c 'stty intr undef'`); a command whose name is only known when it runs may be any
of them.
"""
import re
from typing import FrozenSet, Iterable

from layers.bastion.shell_commands import Command

TTY = "tty"             # the terminal's own keys (the kernel's line mode, and readline's copy of them)
EDITOR = "editor"       # readline's key bindings and editing mode
NONE: FrozenSet[str] = frozenset()
TTY_ONLY, EDITOR_ONLY, BOTH = frozenset({TTY}), frozenset({EDITOR}), frozenset({TTY, EDITOR})

# stty words that change no key: queries, the echo, the window's size (and the numbers they take)
_STTY_KEEPS = frozenset({"-a", "--all", "-g", "--save", "size", "speed", "cols", "columns", "rows",
                         "echo", "-echo", "echoe", "-echoe", "echok", "-echok", "echonl", "-echonl",
                         "echoctl", "-echoctl", "ctlecho", "-ctlecho", "echoke", "-echoke", "crtkill", "-crtkill"})
_STTY_DEVICE = frozenset({"-F", "--file"})
_TPUT_RESETS = frozenset({"reset", "init"})
_BIND_QUERIES = frozenset({"-l", "-p", "-P", "-v", "-V", "-s", "-S", "-X"})
_EDITING_MODES = frozenset({"vi", "emacs"})
# readline's startup file, and the shell options a new bash takes from its environment (`SHELLOPTS=vi bash`)
_EDITOR_VARIABLES = re.compile(r"INPUTRC|SHELLOPTS")


def keys_set(commands: Iterable[Command], line: str) -> FrozenSet[str]:
    """Which of TTY and EDITOR the commands of `line` may set."""
    # (an assignment before a command, `INPUTRC=f bash`, is not among the commands' words)
    found = EDITOR_ONLY if _EDITOR_VARIABLES.search(line) else NONE
    for cmd in commands:
        found |= _sets(cmd)
        if found == BOTH:
            break
    return found


def _sets(cmd: Command) -> FrozenSet[str]:
    if cmd.dynamic:
        return BOTH
    name, args = cmd.name, cmd.args
    # a name made to run the command (`hash -p /bin/stty s`) is used later with words not known here
    unknown_args = cmd.dynamic_args or "hash -p" in cmd.via
    if any(_EDITOR_VARIABLES.search(a) for a in args):
        return EDITOR_ONLY
    if name == "stty":
        return TTY_ONLY if unknown_args or not _stty_keeps(args) else NONE
    if name in ("reset", "tset"):
        return TTY_ONLY
    if name == "tput":
        return TTY_ONLY if unknown_args or _TPUT_RESETS & set(args) else NONE
    if name == "bind":
        return EDITOR_ONLY if unknown_args or not set(args) <= _BIND_QUERIES else NONE
    if name in ("set", "shopt"):        # (`shopt -os vi` as `set -o vi`)
        return EDITOR_ONLY if unknown_args or _EDITING_MODES & set(args) else NONE
    return NONE


def _stty_keeps(args) -> bool:
    after_device = False
    for arg in args:
        if after_device or arg.isdigit() or arg in _STTY_KEEPS or arg.startswith("--file="):
            after_device = False
            continue
        if arg in _STTY_DEVICE:
            after_device = True
            continue
        return False
    return True
