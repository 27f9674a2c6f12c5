"""Command lines of an interactive terminal session, rebuilt from what the shell echoed.

The operator's keystrokes alone do not say what ran: line editing, history recall, tab
completion, Ctrl-R search and paste all change the line inside the target's shell, and only its
echo shows the result. So the target's output plays on a terminal emulator (pyte) the size of
the session's window, and when the operator presses Enter the line is read off that screen:
from where its input began (the cursor at the line's first keystroke, just after the prompt)
to the end of its text, rows it wrapped onto joined back together.

    tracker = LineTracker(width, height)
    tracker.output(bytes_from_target)                     # everything the target sent, in order
    lines = tracker.input(bytes_from_operator, offset_ms)  # before relaying them to the target
    lines += tracker.take()                               # lines only a later echo could complete

What yields a CommandLine:
  * Enter (CR, LF, or Ctrl-O: bash's operate-and-get-next) ends a line. An empty line yields
    nothing, nor does a line cancelled with Ctrl-C.
  * While a full-screen program has the alternate screen (vim, less, top, man) keystrokes are
    not command lines.
  * A bracketed paste (bash 5.1 and later turn it on) goes into the line whole, newlines and
    all, and nothing runs until Enter; then bash runs its lines in turn, each a CommandLine.
  * A line typed at the secondary prompt (PS2, "> ": after a backslash, inside quotes, a
    here-document's body) has continuation=True.
  * A line typed to a program that reads lines (cat, a REPL, a database client) is one too; a
    line typed with echo off (a password prompt, `stty -echo`) shows nothing and yields nothing.

When the screen cannot show the line yet at Enter -- keys in the same chunk before it (typed
ahead, pasted without bracketed paste), a pasted block, a Ctrl-R search prompt in the line's
place -- it is read later: when bash turns bracketed paste off as it accepts the line
(ESC [ ? 2004 l), also where bash drew its prompt only after the Enter (a line typed ahead while
a command ran); with other programs, once the target's echo has ended the line (a line feed).
Such lines come from the next input() or take(), stamped with their Enter's offset.

What the screen cannot tell: a line typed with echo off; anything inside a program on the
alternate screen, a terminal multiplexer (tmux, screen) included; text a shell shows that was
not typed (fish's or zsh's autosuggestions, zsh's right prompt) when Enter comes before the
shell clears it; a line taller than the window edited above its visible top, and a line
readline redraws from column 0 after output that did not end its row, both of which the
operator's own terminal shows garbled too.
"""
import copy
import inspect
import logging
import re
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass
from typing import Deque, List, Optional, Set, Tuple

import pyte
from pyte.screens import Margins, StaticDefaultDict, wcwidth

log = logging.getLogger("guardzone.bastion.terminal")

Cells = Tuple[str, ...]          # one string per column; "" where a wide character's right half is
Position = Tuple[int, int]       # (row counted from the session's first, column)

_ALTERNATE = frozenset((1049, 1047, 47))      # private modes of the alternate screen
_PASTE_MODE = 2004                            # bracketed paste; bash sets it at each prompt
_PASTE_BEGIN, _PASTE_END = b"\x1b[200~", b"\x1b[201~"
_CR, _LF, _CTRL_C, _CTRL_D, _CTRL_O, _CTRL_V = 0x0D, 0x0A, 0x03, 0x04, 0x0F, 0x16
_MAX_WAITING = 256                            # lines entered and not yet readable: beyond, read the oldest
_SPECIAL = re.compile(rb"[\x1b\r\n\x03\x04\x0f\x16]")   # input bytes that are more than a key
_SEARCH_PROMPT = re.compile(r"\((?:failed )?(?:reverse-|bck-|fwd-)?i-search\)")
_SEARCH_LINE = re.compile(_SEARCH_PROMPT.pattern + r"`.*?': ")


@dataclass
class CommandLine:
    """A line the target received: its text as echoed, and the session offset of its Enter."""
    text: str
    offset_ms: int
    continuation: bool = False


def _cells_of(text: str) -> Cells:
    out: List[str] = []
    for char in text:
        width = wcwidth(char)
        if width > 0:
            out += [char] + [""] * (width - 1)
    return tuple(out)


def _text(cells: Cells) -> str:
    return "".join(cells)


class _Screen(pyte.Screen):
    """pyte's screen, plus what reading lines needs: rows numbered from the session's first (a
    position survives scrolling), the cells of rows scrolled off the top, which rows wrapped onto
    the next by themselves, the alternate screen kept apart from the main one, and calls to the
    tracker when bracketed paste mode changes or the screen is about to be cleared."""

    def __init__(self, columns: int, lines: int, history: int, tracker: "LineTracker") -> None:
        self.tracker = tracker
        self.scrolled = 0                                   # rows gone off the top of the main screen
        self.history: Deque[Cells] = deque(maxlen=history)  # their cells, latest last
        self.wrapped: Set[int] = set()                      # rows whose text went on to the next row
        self.saved: Optional[tuple] = None                  # the main screen while the alternate shows
        self.paste_mode = False
        self._drawing = self._ready = False
        super().__init__(columns, lines)
        self._ready = True

    @property
    def alternate(self) -> bool:
        return self.saved is not None

    def cells(self, row: int) -> Optional[Cells]:
        """The main screen's cells on `row`; None once it has gone from the history too."""
        y = row - self.scrolled
        if y >= 0:
            buffer = self.saved[0] if self.saved else self.buffer
            line = buffer.get(y)
            return tuple(line[x].data for x in range(self.columns)) if line else (" ",) * self.columns
        i = len(self.history) + y
        return self.history[i] if i >= 0 else None

    @property
    def bottom(self) -> int:
        return self.scrolled + self.lines - 1

    def _forget_wraps(self, ys) -> None:
        if not self.alternate:
            self.wrapped.difference_update(self.scrolled + y for y in ys)

    def _scroll_up(self) -> None:
        self.history.append(self.cells(self.scrolled))
        self.scrolled += 1
        if len(self.wrapped) > 2 * (self.lines + (self.history.maxlen or 0)):
            oldest = self.scrolled - len(self.history)
            self.wrapped = {row for row in self.wrapped if row >= oldest}

    def reset(self) -> None:
        if self._ready:
            self.tracker._clearing(erased=True)
            self.saved = None
            self._forget_wraps(range(self.lines))
        super().reset()

    def draw(self, data: str) -> None:
        self._drawing = True
        try:
            super().draw(data)
        finally:
            self._drawing = False

    def linefeed(self) -> None:
        self.tracker._feeds += 1
        if self._drawing and not self.alternate:        # draw() wraps at the right margin
            self.wrapped.add(self.scrolled + self.cursor.y)
        super().linefeed()

    def index(self) -> None:
        top, bottom = self.margins or Margins(0, self.lines - 1)
        if self.cursor.y == bottom and not self.alternate:
            if (top, bottom) == (0, self.lines - 1):
                self._scroll_up()
            else:
                self._forget_wraps(range(top, bottom + 1))
        super().index()

    def reverse_index(self) -> None:
        top, bottom = self.margins or Margins(0, self.lines - 1)
        if self.cursor.y == top:
            self._forget_wraps(range(top, bottom + 1))
        super().reverse_index()

    def insert_lines(self, count: Optional[int] = None) -> None:
        self._forget_wraps(range(self.cursor.y, self.lines))
        super().insert_lines(count)

    def delete_lines(self, count: Optional[int] = None) -> None:
        self._forget_wraps(range(self.cursor.y, self.lines))
        super().delete_lines(count)

    def erase_in_line(self, how: int = 0, private: bool = False) -> None:
        if how == 2 or (how == 0 and self.cursor.x < self.columns):    # the last cell is blank now
            self._forget_wraps((self.cursor.y,))
        super().erase_in_line(how, private)

    def erase_in_display(self, how: int = 0, *args, **kwargs) -> None:
        if how in (2, 3) and not self.alternate:
            self.tracker._clearing(erased=True)
            self._forget_wraps(range(self.lines))
        elif how == 0:
            self._forget_wraps(range(self.cursor.y, self.lines))
        super().erase_in_display(how, *args, **kwargs)

    def set_mode(self, *modes: int, **kwargs) -> None:
        if kwargs.get("private"):
            if _ALTERNATE.intersection(modes) and not self.alternate:
                self.tracker._clearing(erased=False)
                self.saved = (self.buffer, copy.copy(self.cursor))
                self.buffer = defaultdict(lambda: StaticDefaultDict(self.default_char))
            if _PASTE_MODE in modes and not self.alternate:
                self.paste_mode = True
                self.tracker._prompt()
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs) -> None:
        if kwargs.get("private"):
            if _PASTE_MODE in modes and not self.alternate:
                self.paste_mode = False
                self.tracker._accepted()
            if _ALTERNATE.intersection(modes) and self.alternate:
                buffer, cursor = self.saved
                self.saved = None
                self.buffer = buffer
                self._fit()
                if 1049 in modes:
                    self.cursor = cursor
                self.ensure_hbounds()
                self.ensure_vbounds()
        super().reset_mode(*modes, **kwargs)

    def _fit(self) -> None:
        for y in [y for y in self.buffer if y >= self.lines]:
            del self.buffer[y]
        for line in self.buffer.values():
            for x in [x for x in line if x >= self.columns]:
                del line[x]

    def resize(self, lines: Optional[int] = None, columns: Optional[int] = None) -> None:
        """Unlike pyte's, rows that no longer fit go off the top above the cursor, as on a
        terminal, and into the history; rows below the cursor are cut off."""
        lines, columns = lines or self.lines, columns or self.columns
        if (lines, columns) == (self.lines, self.columns):
            return
        for _ in range(max(0, self.cursor.y - (lines - 1))):
            if not self.alternate:
                self._scroll_up()
            for y in range(self.lines - 1):
                self.buffer[y] = self.buffer.pop(y + 1, None) or self.buffer.default_factory()
            self.buffer.pop(self.lines - 1, None)
            self.cursor.y -= 1
        self.lines, self.columns = lines, columns
        self._fit()
        self.dirty.update(range(lines))
        self.set_margins()
        self.ensure_hbounds()
        self.ensure_vbounds()


def _private_ignored(handler):
    def handle(self, *params, private=False):
        if not private:
            handler(self, *params)
    return handle


# pyte passes private=True to any CSI handler for "CSI ? ... x"; those it cannot take ignore it
for _name in set(pyte.Stream.csi.values()):
    _handler = getattr(_Screen, _name)
    if not any(p.name == "private" or p.kind is p.VAR_KEYWORD for p in inspect.signature(_handler).parameters.values()):
        setattr(_Screen, _name, _private_ignored(_handler))


class _Stream(pyte.ByteStream):
    """pyte's byte stream, going on past a sequence the screen could not take."""

    def _send_to_parser(self, data: str) -> Optional[bool]:
        try:
            return super()._send_to_parser(data)
        except Exception:       # pyte has reset its parser: that sequence is lost, not the session
            log.warning("terminal output sequence dropped", exc_info=True)
            return self._taking_plain_text


@dataclass
class _Line:
    """A line being typed, or waiting to be read off the screen."""
    start: Optional[Position]      # where its input began; None: right after the latest prompt
    prompt: Cells                  # the prompt's cells left of start
    prompts: int                   # prompts seen (bracketed paste turned on) when it began
    multiline: bool = False        # a newline went into it (pasted, or typed after Ctrl-V)
    offset_ms: int = 0
    outputs: int = 0               # output() calls before its Enter
    feeds: int = 0                 # line feeds on the screen before its Enter
    awaits_accept: bool = False    # bash had bracketed paste on, or drew a prompt after the Enter:
                                   # it turns bracketed paste off on accepting the line


class LineTracker:
    """The command lines of one terminal session (see the module's docstring)."""

    def __init__(self, width: int = 80, height: int = 24, *, ps2: str = "> ", history: int = 200) -> None:
        self._screen = _Screen(width, height, history, self)
        self._stream = _Stream(self._screen)
        self._ps2 = _cells_of(ps2)
        self._line: Optional[_Line] = None
        self._waiting: Deque[_Line] = deque()
        self._done: List[CommandLine] = []
        self._outputs = 0
        self._feeds = 0                       # line feeds on the screen so far
        self._entered_at = -1                 # self._outputs at the latest Enter or Ctrl-C
        self._echo_due = False                # a key went to the target and no output came since
        self._prompts = 0
        self._prompts_then = 0                # self._prompts at the latest Enter or Ctrl-C
        self._prompts_at: "OrderedDict[int, Position]" = OrderedDict()    # each recent prompt's place, by number
        self._last_prompt: Cells = ()
        self._last_end = -1                   # the row the latest line read ended on
        self._in_paste = self._quoted = self._after_cr = False
        self._carry = b""

    # -- the session's streams ---------------------------------------------------------------

    def output(self, data: bytes) -> None:
        """Bytes from the target, in order."""
        if data:
            self._outputs += 1
            self._echo_due = False
            self._stream.feed(data)

    def input(self, data: bytes, offset_ms: int) -> List[CommandLine]:
        """Bytes from the operator, before they are relayed; returns the lines this chunk
        completed and those that earlier output completed."""
        self._read_waiting()
        data, self._carry = self._carry + data, b""
        i = 0
        while i < len(data):
            m = _SPECIAL.search(data, i)
            j = m.start() if m else len(data)
            if j > i:                       # a run of plain keys: each would do what the first does
                self._plain()
                i = j
                continue
            if data[i] == 0x1B:
                marker = data[i:i + 6]
                if marker in (_PASTE_BEGIN, _PASTE_END):
                    # a paste only where the shell turned bracketed paste on: to a shell that did
                    # not, the markers are keys, and an Enter between them runs a line
                    self._in_paste = marker == _PASTE_BEGIN and self._screen.paste_mode
                    self._key()
                    i += 6
                    continue
                if i + len(marker) == len(data) and (_PASTE_BEGIN.startswith(marker) or _PASTE_END.startswith(marker)):
                    self._carry = marker          # the rest of a paste marker may come next
                    self._key()
                    break
            byte = data[i]
            i += 1
            if self.full_screen:
                self._line, self._quoted, self._after_cr = None, False, False
            elif self._in_paste:
                self._key()
                self._line.multiline |= byte in (_CR, _LF)
            elif self._quoted:
                self._quoted = self._after_cr = False
                self._key()
                self._line.multiline |= byte == _LF       # Ctrl-V Ctrl-J puts a newline in the line
            elif byte == _LF and self._after_cr:
                self._after_cr = False                    # CR LF from one Enter key
            elif byte in (_CR, _LF, _CTRL_O):
                self._after_cr = byte == _CR
                self._enter(offset_ms)
                if byte == _CTRL_O:                       # the next history line comes up, typed or not
                    self._line = _Line(None, (), self._prompts)
            elif byte == _CTRL_C:
                self._after_cr = False
                self._line, self._entered_at, self._prompts_then = None, self._outputs, self._prompts
            elif byte == _CTRL_D and self._line is None:
                self._after_cr = False                    # end of input: it begins no line
            else:
                self._after_cr = False
                self._key()
                self._quoted = byte == _CTRL_V
        return self.take()

    def _plain(self) -> None:
        if self.full_screen:
            self._line, self._quoted, self._after_cr = None, False, False
        else:
            self._after_cr = self._quoted = False
            self._key()

    def resize(self, width: int, height: int) -> None:
        self._screen.resize(height, width)

    def keys_are_commands(self) -> bool:
        """Whether keys typed now go to the line editor as commands: not inside a paste, after
        Ctrl-V, or on the alternate screen."""
        return not (self.full_screen or self._in_paste or self._quoted)

    def enters(self, byte: int) -> bool:
        """Whether this input byte, coming next, would end a line (and run it): Enter or Ctrl-O
        at a line, not inside a paste, after Ctrl-V, as the LF of CR LF, or on the alternate screen."""
        return (byte in (_CR, _LF, _CTRL_O) and self.keys_are_commands() and not self._carry
                and not (byte == _LF and self._after_cr))

    @property
    def awaiting_echo(self) -> bool:
        """A line was entered and is still to be read off output to come (or a key's echo is)."""
        return bool(self._waiting) or self._echo_due

    @property
    def echo_due(self) -> bool:
        """A key went to the target and no output has come since."""
        return self._echo_due

    @property
    def at_prompt(self) -> bool:
        """Whether the shell is reading a line at its prompt (bash, zsh, fish turn bracketed paste
        on for it; a paste's markers mean a paste only then)."""
        return self._screen.paste_mode and not self.full_screen

    @property
    def row(self) -> int:
        """The cursor's row, counted from the session's first (rows scrolled off included)."""
        return self._cursor_row()

    def prompted_below(self, row: int) -> bool:
        """Whether the latest prompt was drawn below `row` (a value of .row)."""
        at = self._prompt_at
        return at is not None and at[0] > row

    @property
    def _prompt_at(self) -> Optional[Position]:
        """The latest prompt's place."""
        return next(reversed(self._prompts_at.values()), None)

    @property
    def full_screen(self) -> bool:
        return self._screen.alternate

    def pending(self) -> str:
        """The text of the line being typed now, as the screen shows it (in a Ctrl-R search, the
        line found, which Enter would run)."""
        line = self._line
        if line is None or self.full_screen:
            return ""
        if self._searching():
            head = self._head(self._cursor_row(), strict=True)
            shown = "".join(self._texts((head, 0), self._tail(head), False))
            found = _SEARCH_LINE.match(shown)
            return shown[found.end():].strip() if found else ""
        cursor = self._cursor_row()
        start, _ = self._start(line, cursor)
        if start is None:
            return ""
        end = self._tail(max(cursor, start[0]))
        return "\n".join(self._texts(start, end, line.multiline)).strip("\n")

    @property
    def editing(self) -> bool:
        """Whether keys typed now go to a line editor reading a line: at a prompt (bracketed paste
        on) drawn since the latest Enter or Ctrl-C. Until then the shell may still be running
        what came before, the terminal in the kernel's own line mode."""
        return self.at_prompt and self._prompts > self._prompts_then

    @property
    def prompts(self) -> int:
        """How many prompts the shell has drawn (bracketed paste turned on)."""
        return self._prompts

    @property
    def typing(self) -> bool:
        """Keys of a line came since the last Enter or Ctrl-C."""
        return self._line is not None

    def clipped(self) -> bool:
        """Whether the line being typed may go on past what the screen shows of it: readline's
        horizontal-scroll-mode keeps a line on one row and draws `>` in its last columns where
        more follows (and `<` over the prompt where more goes before: that line's start is not
        found at all, so pending() has nothing)."""
        line = self._line
        if line is None or self.full_screen or self._searching():
            return False
        cursor = self._cursor_row()
        start, _ = self._start(line, cursor)
        if start is None:
            return False
        for row in range(start[0], self._tail(max(cursor, start[0])) + 1):
            cells = self._screen.cells(row) or ()
            drawn = [x for x, cell in enumerate(cells) if cell.strip()]
            if row not in self._screen.wrapped and drawn and drawn[-1] >= len(cells) - 2 and cells[drawn[-1]] == ">":
                return True
        return False

    def take(self) -> List[CommandLine]:
        """The lines completed since the last input() or take()."""
        self._read_waiting()
        lines, self._done = self._done, []
        return lines

    def close(self) -> List[CommandLine]:
        """At the session's end: every line entered, read as well as the screen allows."""
        while self._waiting:
            line = self._waiting.popleft()
            self._done += self._read(line, None, final=True) or []
        return self.take()

    # -- keys --------------------------------------------------------------------------------

    def _key(self) -> None:
        if self.full_screen:
            return
        self._echo_due = True
        if self._line is None:
            self._line = self._begin()

    def _begin(self) -> _Line:
        if self._waiting or self._outputs == self._entered_at:
            return _Line(None, (), self._prompts)     # the previous Enter's echo has not come yet
        s = self._screen
        row, col = self._cursor_row(), min(s.cursor.x, s.columns)
        self._last_end = min(self._last_end, row - 1)
        left = 0
        if self._prompt_at and self._prompt_at[0] == row and self._prompt_at[1] <= col:
            left = self._prompt_at[1]
        return _Line((row, col), (s.cells(row) or ())[left:col], self._prompts)

    def _enter(self, offset_ms: int) -> None:
        line, self._line = self._line, None
        echo_due, self._echo_due = self._echo_due, False
        self._entered_at, self._prompts_then = self._outputs, self._prompts
        if line is None:
            return                                     # Enter alone: an empty line
        line.offset_ms, line.outputs, line.feeds = offset_ms, self._outputs, self._feeds
        line.awaits_accept = self._screen.paste_mode
        if not (self._waiting or echo_due or line.multiline or self._searching()):
            lines = self._read(line, self._cursor_row(), final=False)
            if lines is not None:
                self._done += lines
                return
        self._waiting.append(line)
        if len(self._waiting) > _MAX_WAITING:
            self._done += self._read(self._waiting.popleft(), None, final=True) or []

    def _searching(self) -> bool:
        """Readline's incremental search prompt holds the line's place until Enter redraws it."""
        cells = self._screen.cells(self._head(self._cursor_row(), strict=True)) or ()
        return bool(_SEARCH_PROMPT.match(_text(cells)))

    # -- calls from the screen, at their place in the output ---------------------------------

    def _prompt(self) -> None:
        for line in self._waiting:          # entered ahead of this prompt: bash reads it here
            line.awaits_accept = True
        self._prompts += 1
        self._prompts_at[self._prompts] = (self._cursor_row(), self._screen.cursor.x)
        if len(self._prompts_at) > 2 * _MAX_WAITING:
            self._prompts_at.popitem(last=False)

    def _accepted(self) -> None:
        if self._waiting and self._waiting[0].awaits_accept and self._waiting[0].outputs < self._outputs:
            s = self._screen
            end = self._cursor_row() - (1 if s.cursor.x == 0 else 0)    # it came after CR LF
            self._done += self._read(self._waiting.popleft(), end, final=True) or []

    def _clearing(self, erased: bool) -> None:
        self._read_waiting()
        if erased:
            self._last_end = self._screen.scrolled - 1

    # -- reading the screen ------------------------------------------------------------------

    def _read_waiting(self) -> None:
        while self._waiting:
            line = self._waiting[0]
            if line.feeds == self._feeds or (line.awaits_accept and self._screen.paste_mode):
                return      # its echo has not ended with the Enter's new line, or bash has yet to accept it
            self._waiting.popleft()
            self._done += self._read(line, None, final=True) or []

    def _read(self, line: _Line, last: Optional[int], final: bool) -> Optional[List[CommandLine]]:
        """The command lines of `line`, whose text reaches row `last` (None: as far as its first
        row's wrapping goes). None if its start is not to be found; unless final: then the text
        from where its start was thought to be."""
        start, prompt = self._start(line, last)
        if start is None:
            if not final:
                return None
            start, prompt = line.start, line.prompt
            if start is None:
                if last is None:
                    return []
                start = (self._head(last, strict=True), 0)
        end = self._tail(max(start[0] if last is None else last, start[0]))
        self._last_end = end
        if prompt and prompt != self._ps2:
            self._last_prompt = prompt
        continued = bool(self._ps2) and _text(prompt).rstrip() == _text(self._ps2).rstrip()
        return [CommandLine(text, line.offset_ms, continued and i == 0)
                for i, text in enumerate(self._texts(start, end, line.multiline)) if text]

    def _start(self, line: _Line, last: Optional[int]) -> Tuple[Optional[Position], Cells]:
        """Where the input of `line` begins, and the prompt left of it."""
        s = self._screen
        low = max(self._last_end + 1, s.scrolled - len(s.history))
        if line.start is not None and line.prompts == self._prompts:
            row, col = line.start
            if (last is None or row <= last) and self._continues_to(row, last, line.multiline) \
                    and self._prompt_before(row, col, line.prompt):
                drawn = self._last_prompt
                if not line.prompt and drawn and line.start == self._prompt_at \
                        and (s.cells(row) or ())[col:col + len(drawn)] == drawn:
                    # typed where the prompt was announced (bracketed paste on) before its text
                    # came: the shell drew the prompt, then the keys' echo
                    return (row, col + len(drawn)), drawn
                return line.start, line.prompt
        prompts = [p for p in dict.fromkeys((line.prompt, self._last_prompt, self._ps2)) if p]
        if self._prompt_at and (line.start is None or line.prompts < self._prompts):
            # typed before its prompt came, or while the previous line awaited its echo: its prompt
            # is the first one after it began (a later one may be on screen by the time it is read)
            row, col = self._prompts_at.get(line.prompts + 1, self._prompt_at)
            cells = s.cells(row) or ()
            if low <= row and (last is None or row <= last):
                for prompt in prompts:
                    if cells[col:col + len(prompt)] == prompt:
                        return (row, col + len(prompt)), prompt
                end = _prompt_end(cells, col, {_text(p).rstrip()[-1:] for p in prompts} | set("$#>%"))
                if end is not None:                     # the prompt changed: another directory, program
                    return (row, end), cells[col:end]
        for row in self._heads(line, last, low):
            cells = s.cells(row) or ()
            for prompt in prompts:
                if cells[:len(prompt)] == prompt:
                    return (row, len(prompt)), prompt
        return None, ()

    def _heads(self, line: _Line, last: Optional[int], low: int):
        """Rows where a redrawn line may begin: the first row of the one holding `last`, the
        rows of that stretch, and for a line with newlines the same for the rows above it;
        with no `last`, the first rows of stretches from `low` to the cursor."""
        if last is None:
            row, cursor = low, self._cursor_row()
            while row <= cursor:
                yield row
                row = self._tail(row) + 1
            return
        row = last
        while row >= low:
            head = self._head(row, strict=True)
            yield head
            for r in range(row, self._head(row, strict=False) - 1, -1):
                if r != head and r >= low:
                    yield r
            if not line.multiline:
                return
            row = head - 1

    def _prompt_before(self, row: int, col: int, prompt: Cells) -> bool:
        cells = self._screen.cells(row)
        return cells is not None and col >= len(prompt) and cells[col - len(prompt):col] == prompt

    def _continues(self, row: int) -> bool:
        """Row `row` goes on in the next: it wrapped there, or it is full to the right margin."""
        if row in self._screen.wrapped:
            return True
        cells = self._screen.cells(row)
        return bool(cells) and cells[-1] != " "

    def _continues_to(self, row: int, last: Optional[int], multiline: bool) -> bool:
        return last is None or multiline or all(self._continues(r) for r in range(row, last))

    def _head(self, row: int, strict: bool) -> int:
        s = self._screen
        low = max(self._last_end + 1, s.scrolled - len(s.history))
        while row - 1 >= low and ((row - 1) in self._screen.wrapped if strict else self._continues(row - 1)):
            row -= 1
        return row

    def _tail(self, row: int) -> int:
        while row < self._screen.bottom and self._continues(row):
            row += 1
        return row

    def _texts(self, start: Position, end: int, multiline: bool) -> List[str]:
        """The text from `start` to the end of row `end`, one string per line: rows that wrapped
        are joined, and so are all rows of a line with no newline in it."""
        row, col = start
        parts = []
        for r in range(row, end + 1):
            cells = (self._screen.cells(r) or ())[col if r == row else 0:]
            if r < end and (not multiline or r in self._screen.wrapped):
                if cells[-1:] == (" ",) and (self._screen.cells(r + 1) or ())[1:2] == ("",):
                    cells = cells[:-1]      # the blank a wide character left as it went to the next row
                parts.append(_text(cells))
            else:
                parts.append(_text(cells).rstrip() + "\n")
        return [text.rstrip() for text in "".join(parts).split("\n")[:-1]]

    def _cursor_row(self) -> int:
        return self._screen.scrolled + self._screen.cursor.y


def _prompt_end(cells: Cells, col: int, marks: Set[str]) -> Optional[int]:
    """The column after the first of `marks` followed by a blank from `col` on: where a prompt
    like "user@host:~$ " ends."""
    for at in range(col, len(cells) - 1):
        if cells[at] in marks and cells[at + 1] == " ":
            return at + 2
    return None
