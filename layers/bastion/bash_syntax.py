"""bash's own word on whether a line waits for more input.

The grammar (tree-sitter-bash) calls a line unfinished when it cannot close what it opened, and
the gate then lets the Enter through and holds the line for the next one. Where bash reads the
line otherwise (``echo `;' x` ``, `[ -f x`, a `[r]m` glob it takes for a test), bash runs it at
once, unjudged, and every later line would be judged joined to it. So a line the grammar calls
unfinished is put to `bash -n` (parse only, nothing runs) before it is believed. The gateway's
image has bash; where there is none, the grammar's word stands.
"""
import os
import shutil
import subprocess
from typing import Optional

BASH = shutil.which("bash")
TIMEOUT = 2.0
ENV = {"PATH": os.defpath, "LC_ALL": "C"}
WAITING = ("unexpected end of file", "unexpected EOF")
HEREDOC_OPEN = "delimited by end-of-file"


def waits_for(text: str) -> Optional[str]:
    """What bash, given `text` typed at its prompt, would ask for more (PS2) for: "here-document"
    (the end of one), "more" (anything else left open); "" if it would run it, or refuse it, at
    once; None where bash cannot be asked."""
    if BASH is None:
        return None
    if (len(text) - len(text.rstrip("\\"))) % 2:
        return "more"                          # Enter after a lone backslash continues the line
    try:
        done = subprocess.run([BASH, "--norc", "--noprofile", "-n", "-O", "extglob"],
                              input=text.encode("utf-8", "surrogateescape"), capture_output=True,
                              env=ENV, timeout=TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None
    said = done.stderr.decode("utf-8", "replace")
    if done.returncode == 0:
        return "here-document" if HEREDOC_OPEN in said else ""
    return "more" if any(w in said for w in WAITING) else ""
