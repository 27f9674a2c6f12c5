"""A shell's input when the session has no terminal (`ssh -T host`, `ssh host bash < deploy.sh`):
a script, whose lines are commands as they stand (no line editing, no echo to read them off).
Each complete line is judged by the session's command policy (a construct left open, `if`
without `fi`, is judged again with the lines that complete it) before it goes to the target; the
first refused line ends the script there, so the shell never runs the rest."""
from typing import List, Optional, Tuple

from layers.bastion import command_policy

LINE_LIMIT = 256 * 1024         # a line longer than this is judged as it stands


class ScriptInput:
    def __init__(self, policy: Optional[command_policy.Policy]) -> None:
        self.policy = policy
        self.ended = False
        self._buffer = bytearray()
        self._held = ""             # the lines of a construct still open

    def feed(self, data: bytes, end: bool = False) -> Tuple[List[Tuple[str, bytes]], Optional[tuple]]:
        """The complete lines of the input so far, as (text, bytes) to send in order, and the
        refused one as (text, decision) if a line was refused (then nothing more is taken).
        `end`: the input has ended, a last line without its newline is complete too."""
        lines: List[Tuple[str, bytes]] = []
        if self.ended:
            return lines, None
        self._buffer += data
        while self._buffer:
            at = self._buffer.find(b"\n") + 1
            if not at:
                if not end and len(self._buffer) < LINE_LIMIT:
                    break                       # the rest of the line is still to come
                at = len(self._buffer)
            raw = bytes(self._buffer[:at])
            del self._buffer[:at]
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            if self.policy is not None and text.strip():
                whole = f"{self._held}\n{text}" if self._held else text
                decision = self.policy.check(whole)
                if not decision.allowed:
                    self.ended = True
                    self._buffer.clear()
                    return lines, (whole, decision)
                self._held = whole if decision.incomplete else ""
            lines.append((text, raw))
        return lines, None
