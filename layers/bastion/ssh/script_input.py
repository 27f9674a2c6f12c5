"""A shell's input when the session has no terminal (`ssh -T host`, `ssh host bash < deploy.sh`):
a script, whose lines are commands as they stand (no line editing, no echo to read them off; a
shell that edits them nonetheless, `bash -i`, has a line holding one of its editor's keys or a
history expansion refused).
Each complete line is judged by the session's command policy before it goes to the target; the
first refused line ends the script there, so the shell never runs the rest. The lines of a
construct left open (`if` without `fi`, a here-document) are held and judged again with each line
until it is complete, then go together: bash runs none of it before then anyway. An input that
ends with one still open is refused, since bash runs an unfinished here-document as it stands.
While a here-document's body comes, only a line that may be its delimiter is judged (the held
text is not read again for each line of a long body; it is judged whole when it may end)."""
from typing import List, Optional, Tuple

from layers.bastion import command_policy
from layers.bastion.heredoc_body import HeredocBody
from layers.bastion.interactive_input import edited

LINE_LIMIT = 256 * 1024         # a line longer than this is judged as it stands


class ScriptInput:
    def __init__(self, policy: Optional[command_policy.Policy], editor: bool = False) -> None:
        self.policy = policy
        self.editor = editor        # the shell reads through its line editor (`bash -i`): keys change lines
        self.ended = False
        self._buffer = bytearray()
        self._held = ""             # the lines of a construct still open, as text
        self._pending: List[Tuple[str, bytes]] = []    # and as they came, not sent yet
        self._body: Optional[HeredocBody] = None    # the construct waits for a here-document's delimiter

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
            decoded = raw.decode("utf-8", "replace").rstrip("\n")
            text = decoded.rstrip("\r")
            why = edited(decoded) if self.editor and self.policy is not None and self.policy.enforcing else ""
            if why:
                return lines, self._refuse(decoded, command_policy.Decision(
                    False, "dynamic", rule=f"the shell reads its input through its line editor, and {why} changes the line"))
            if self.policy is not None and (text.strip() or self._held):
                read = command_policy.as_bash_reads(decoded)
                whole = f"{self._held}\n{read}" if self._held else read
                last = end and not self._buffer         # all there is: one still open is refused
                if self._body is not None and not last and not self._body.may_end(read):
                    self._held = whole
                    self._pending.append((text, raw))
                    continue
                decision = (self.policy.check_whole if last else self.policy.check)(whole)
                if not decision.allowed:
                    return lines, self._refuse(whole, decision)
                if decision.incomplete:
                    self._held = whole
                    self._pending.append((text, raw))
                    if not decision.heredoc:
                        self._body = None
                    elif self._body is None:
                        self._body = HeredocBody(whole)
                    continue
                lines += self._pending
                self._held, self._pending, self._body = "", [], None
            lines.append((text, raw))
        if end and self._held:
            return lines, self._refuse(self._held, command_policy.UNFINISHED_AT_END)
        return lines, None

    def _refuse(self, text: str, decision: command_policy.Decision) -> tuple:
        self.ended = True
        self._buffer.clear()
        self._held, self._pending, self._body = "", [], None
        return text, decision
