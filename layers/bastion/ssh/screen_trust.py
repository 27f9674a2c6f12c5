"""Whether a terminal's screen can tell the line its shell holds, where the keys do not (typed_line).

The screen is the shell's drawing, read by terminal.LineTracker. A line the keys do not tell (history
recall, Tab, a search) is read off it alone, and refused when the drawing cannot be the line:
nothing drawn (the echo off, a line typed ahead of its prompt), a line readline keeps on one row
(horizontal scrolling: the rest is not on the screen), or output no key asked for since the prompt
(a background job printing over the line: `(sleep 1; printf '\\r\\e[2K$ echo fine') &`, then `#rm
x` recalled and its `#` deleted, showed `echo fine`).
"""
from typing import Optional, Tuple

from layers.bastion.command_policy import Decision
from layers.bastion.terminal import LineTracker

UNREAD = Decision(False, "unread", rule="the line was edited where the terminal does not show it, so it cannot be read")
OVERWRITTEN = Decision(False, "unread", rule="output no key asked for came while the line was edited, so the screen "
                                             "may show another line than the shell holds")
UNREADABLE_LINE = "[unreadable line]"      # what a line that shows nothing is recorded as
ECHO_GRACE = 0.3    # s: output this soon after a key, a prompt or an echo is taken for (the rest of) an echo


class ScreenTrust:
    def __init__(self, tracker: LineTracker) -> None:
        self.tracker = tracker
        self.key_sent_at = self.echoed_at = 0.0     # (loop time) when the latest key went, echo came
        self.overwritten: Optional[int] = None      # the prompt (tracker.prompts) at which other output came

    def key_sent(self, now: float) -> None:
        self.key_sent_at = now

    def output(self, now: float, prompts_before: int) -> None:
        """Output the tracker has just played: the echo of a key (or a new prompt, or more of
        either, ECHO_GRACE after it), or else, while a line is typed or edited at a prompt,
        something writing over it."""
        if self.tracker.prompts != prompts_before or now - max(self.key_sent_at, self.echoed_at) < ECHO_GRACE:
            self.echoed_at = now
        elif self.tracker.typing or self.tracker.editing:
            self.overwritten = self.tracker.prompts

    def line_entered(self) -> None:
        """A line was judged: the next one starts trusted (for a shell that marks no prompts)."""
        self.overwritten = None

    def refusal(self, screen: str, typed: Optional[str]) -> Optional[Tuple[str, Decision]]:
        """(text to record, decision) refusing the line the screen shows (`screen`: tracker.pending()),
        given the line the keys tell (`typed`, None where they do not); None where the screen may be read."""
        if typed is not None:
            return None
        if not screen.strip() or self.tracker.clipped():
            return UNREADABLE_LINE, UNREAD
        if self.overwritten == self.tracker.prompts:
            return screen, OVERWRITTEN
        return None
