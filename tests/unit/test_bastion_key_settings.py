"""Lines that may change what the terminal's keys do (layers/bastion/key_settings), read off the
policy's analysis of the line: quoting, paths, wrappers and variables do not hide them."""
import pytest

from layers.bastion import command_policy
from layers.bastion.key_settings import EDITOR, TTY

# (a command known only when it runs is allowed here, as a template's `#dynamic: allow` does)
POLICY = command_policy.Policy([command_policy.compile_template("danger", "#dynamic: allow\nrm")])


def keys(line):
    decision = POLICY.check(line)
    assert decision.allowed, decision
    return decision.keys


@pytest.mark.parametrize("line, expected", [
    ("stty erase q", {TTY}), ("stty intr undef", {TTY}), ("stty sane", {TTY}), ('stty "$saved"', {TTY}),
    ("stty iuclc", {TTY}), ("stty -icanon", {TTY}), ("stty 500:5:bf:8a3b:3:1c:7f:15:4:0:1:0:11:13:1a:0", {TTY}),
    ("ls; reset", {TTY}), ("tset", {TTY}), ("tput reset", {TTY}), ("stty -F /dev/pts/1 erase q", {TTY}),
    ("bind '\"\\C-t\": delete-char'", {EDITOR}), ("set -o vi", {EDITOR}), ("set +o emacs", {EDITOR}),
    ("INPUTRC=f bash", {EDITOR}), ("declare -x INPUTRC=/tmp/f", {EDITOR}), ("shopt -os vi", {EDITOR}),
    ("env SHELLOPTS=vi bash -i", {EDITOR}), ("SHELLOPTS=vi exec bash", {EDITOR}),
    # what the analysis takes off: quotes and escapes, paths, wrappers, variables, aliases, functions
    ("st''ty er''ase q", {TTY}), ("s\\tty e\\rase q", {TTY}), ("/bin/stty erase q", {TTY}),
    ("sudo -u root stty erase q", {TTY}), ("bash -c 'stty intr undef'", {TTY}), ("x=stty; $x erase q", {TTY}),
    ("eval 'st''ty erase q'", {TTY}), ("echo erase q | xargs stty", {TTY}), ("alias s=stty", {TTY}),
    ("hash -p /bin/stty s", {TTY}), ("f() { stty sane; }", {TTY}), ("b''ind -x '\"q\": rm'", {TTY, EDITOR}),
    # a command known only when it runs may be any of them
    ("$cmd erase q", {TTY, EDITOR}), ('"$(which stty)" erase q', {TTY, EDITOR}),
])
def test_a_line_that_may_set_what_keys_do(line, expected):
    assert keys(line) >= expected


@pytest.mark.parametrize("line", [
    "stty -echo", "stty echo", "stty cols 200", "stty rows 50 columns 132", "stty size", "stty -a", "stty -g",
    "stty -F /dev/pts/1 -echo", "echo stty erase q", "grep bind f", "echo binder", "git reset --hard", "bind -p",
    "bind -l", "set -e", "set -o pipefail", "shopt -s globstar", "tput cols", "ls -la",
])
def test_a_line_that_changes_no_key(line):
    assert keys(line) == frozenset()


def test_a_line_held_for_more_is_read_whole():
    assert keys("stty \\\nerase q") == {TTY}
