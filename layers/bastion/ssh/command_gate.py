"""High-risk command blocking in a terminal session (the ACLs' command templates and allow-list,
decided by layers/bastion/command_policy.py).

The session holds each Enter that would run a line until the line is known: the keys before it go
to the target first, their echo is waited for (ECHO_WAIT at most; a line typed with echo off shows
nothing), and the line is read off the terminal (terminal.LineTracker.pending: what editing,
history recall, completion and paste made of it). The line the keys typed since the last Enter
make is checked too where they tell it (typed_line: text and the line editor's own editing keys),
since the screen is the target's drawing, which the operator may make show another line, and
a line typed ahead while a command runs is not drawn yet. A line that waits for more (an open quote, a trailing backslash or pipe, `if` without `fi`)
is held and checked again with the next one. Either one blocked and the Enter never reaches the target: the operator is told which rule,
the target gets Ctrl-C (the line is abandoned; a program in the foreground is interrupted), and
the rest of that input chunk (of a paste) is dropped.

Readline keys that run a line with no Enter for the session to hold (UNHELD_KEYS: an editor's
saved text, a keyboard macro, key bindings read again, an uncommented line) are refused the same
way, the line recorded with the key's name after it; so is Ctrl-D on the empty line of a line
that waits for more (CTRL_D: it ends a here-document and runs its command).

After any Ctrl-C the session sends (the operator's or a refusal's), the keys that follow wait until
the shell has taken it (server.Session.settle): bash, given keys while it is still abandoning the
line, takes them onto that line. An Enter that comes with the Ctrl-C then runs the abandoned line
(less its first character: `xrm -rf /d` Ctrl-C Enter runs `rm -rf /d`), unjudged and unrecorded;
a line typed next is read, and refused, with the abandoned one. At a prompt marked by bracketed
paste the keys wait for the next prompt, drawn below the line; elsewhere (a program running, a
shell that does not mark its prompts) for output after the Ctrl-C and then SETTLE_QUIET of none;
SETTLE_WAIT at most.
"""
import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from layers.bastion import command_policy
from layers.bastion.ssh.access import Grant

ECHO_WAIT = 0.3                 # s: the longest an Enter waits for the echo of the keys before it
SETTLE_WAIT = 2.0               # s: the longest keys wait after a Ctrl-C for the shell to take it
SETTLE_QUIET = 0.05             # s: no output for this long after a Ctrl-C's: taken, where no prompt marks it
QUIET = 0.01                    # s: no output for this long after the echo: the line is drawn
_PASTE_BEGIN, _PASTE_END = b"\x1b[200~", b"\x1b[201~"
# bash's default emacs key map: (prefix, key) -> (name, why it is refused)
UNHELD_KEYS = {
    (0x18, 0x05): ("Ctrl-X Ctrl-E", "it runs what an editor saves, unchecked"),
    (0x18, ord("e")): ("Ctrl-X e", "a keyboard macro may hold an Enter"),
    (0x18, 0x12): ("Ctrl-X Ctrl-R", "it reads key bindings again, which may run a line"),
    (0x1B, ord("#")): ("Alt-#", "with an argument it runs the line uncommented"),
}
# Ctrl-D on the empty line of a line that waits for more: it ends an open here-document and bash
# runs the command, with no Enter for the gate to hold (elsewhere it is a syntax error)
CTRL_D = command_policy.Decision(False, "key", rule="Ctrl-D: it would end a here-document and run its command "
                                                    "unchecked; type the here-document's delimiter")
# where an Enter, a Ctrl-D or the second key of UNHELD_KEYS may be (at the start: the prefix came before)
HELD = re.compile(rb"[\r\n\x0f\x04]|(?:(?<=[\x18\x1b])|^)[\x05e\x12#]")
# Lines are judged off the event loop (an exec command, a shell's input without a terminal, and
# each line a terminal's Enter would run): a line the grammar calls unfinished costs a `bash -n`
# (a process start, ~1 ms; up to bash_syntax.TIMEOUT) and a long paste up to its work budget
# (shell_commands.parse_budget), which every other session would otherwise wait for. A terminal
# session's own keys wait meanwhile (its upstream awaits the judgement), so they keep their order;
# its output goes on being played and recorded, as while the gate waits for an echo.
_judges = ThreadPoolExecutor(max_workers=2, thread_name_prefix="command-check")


def policy_for(grant: Grant) -> Optional[command_policy.Policy]:
    """The session's command policy, or None when its ACLs block nothing."""
    policy = command_policy.Policy.from_grant(grant)
    return policy if policy.enforcing else None


async def judged(fn, *args):
    """fn(*args), which judges lines (Policy.check, ScriptInput.feed), in a thread of the gate's
    own so the gateway's other sessions go on meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_judges, fn, *args)
