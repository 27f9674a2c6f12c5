"""The line a shell's line editor makes of the keys typed, where the keys alone tell it.

The gate reads a line off the terminal (terminal.LineTracker) and judges it; the screen is
drawn by the target's line editor, which the operator configures (`stty cols`, a prompt that
moves the cursor, `horizontal-scroll-mode`) and can so make show other than the line it holds.
Where every key since the last Enter is one whose effect is known -- text, and readline's
default emacs keys that move the cursor, delete, kill, yank, transpose or change case -- the
line follows from the keys alone, and is judged beside what the screen shows. A key whose
effect depends on the target (history recall, Tab completion, a search, undo, a numeric
argument, a key the editor may bind otherwise) leaves the line unknown: the screen alone tells
it then; so does a character beyond ASCII typed, or edited after a paste, which readline reads,
counts and classes as the target's locale says. Keys typed ahead while a command runs go to the kernel's line mode instead, where only
text, Backspace and Ctrl-U are known (feed(editor=False)).

    line = TypedLine()
    line.feed(keys, editor=True)  # keys in order; editor: readline reads them at its prompt
    line.text()                   # the line, or None where the keys do not tell it
"""
import codecs
import re
from typing import Callable, Dict, Optional

_PASTE_BEGIN, _PASTE_END = "\x1b[200~", "\x1b[201~"
# an escape sequence: CSI (ESC [ params final), SS3 (ESC O x), ESC ESC [ x (Debian's word moves),
# or ESC and one key (Meta)
_SEQUENCE = re.compile(r"\x1b(?:\[[0-9;]*[\x40-\x7e]|O.|\x1b\[[0-9;]*[\x40-\x7e]|[^\[O\x1b])", re.S)
_PARTIAL = re.compile(r"\x1b(?:\[[0-9;]*|O|\x1b(?:\[[0-9;]*)?)?\Z")
_MAYBE = "maybe"


def _word(c: str) -> bool:
    return c.isalnum()          # readline's words: letters and digits


class TypedLine:
    """The keys of the line being typed (see the module's docstring)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._carry = ""            # an escape sequence cut by the chunk's end
        self._paste = False
        self._quoted = False        # after Ctrl-V: the next key is text
        self._killed: Optional[str] = ""    # the kill ring's newest entry (None: killed from an unknown line)
        # whether keys do what they usually do: the terminal's (Backspace erases, Ctrl-U kills,
        # Ctrl-C interrupts; `stty erase q`, which readline binds too, `stty intr undef` change
        # them) and readline's (`bind`, vi mode). Once a line may have set others, keys tell
        # nothing (but for Enter, and Ctrl-C where the terminal's are known) and the screen
        # alone tells the line
        self.tty_keys_known = self.editor_keys_known = True
        self.clear()

    def clear(self) -> None:
        """A new line begins (the kill ring stays, as the editor's does)."""
        self._text: Optional[str] = ""
        self._point = 0
        self._killing = False       # the last key killed (True, _MAYBE): the next kill adds to its entry

    def text(self) -> Optional[str]:
        return None if self._carry else self._text

    def feed(self, data: bytes, editor: bool = True) -> None:
        """The keys, in order. `editor`: they go to a line editor reading the line (readline at a
        prompt it drew since the last Enter, which takes a bracketed paste); else to a terminal
        in its own line mode (typed ahead while a command runs), whose kernel takes Backspace and
        Ctrl-U itself and keeps the rest for whoever reads it: text is known then, little else."""
        keys = self._carry + self._decoder.decode(data)
        self._carry = ""
        i, n = 0, len(keys)
        while i < n:
            c = keys[i]
            if not (self.tty_keys_known and self.editor_keys_known):
                if c in "\r\n" or c == "\x03" and self.tty_keys_known:
                    self.clear()
                else:
                    self._text = None
                i += 1
            elif not editor and not self._quoted and not self._paste:
                self._cooked(c)
                i += 1
            elif self._quoted:      # (the editor turns the terminal's signal keys off for it too)
                self._quoted = False
                if c.isascii():
                    self._insert(c)
                else:
                    self._text = None       # (one byte of it, as readline reads keys)
                i += 1
            elif c == "\x03":       # Ctrl-C: the terminal interrupts the line, pasted or not
                self._paste = False
                self.clear()
                i += 1
            elif c == "\x1b" and (n - i < len(_PASTE_BEGIN) and (_PASTE_BEGIN.startswith(keys[i:])
                                                                  or _PASTE_END.startswith(keys[i:]))
                                  or not self._paste and _PARTIAL.match(keys, i)):
                self._carry = keys[i:]      # the rest of a sequence comes with the next chunk
                return
            elif keys.startswith((_PASTE_BEGIN, _PASTE_END), i):
                self._paste = keys.startswith(_PASTE_BEGIN, i)
                i += len(_PASTE_BEGIN)
            elif self._paste:
                self._insert("\n" if c in "\r\n" else c)
                i += 1
            elif c in "\r\n\x0f":          # Enter, Ctrl-O: a new line begins
                self.clear()
                i += 1
            elif c == "\x1b":
                m = _SEQUENCE.match(keys, i)
                self._key(m.group() if m else c)
                i = m.end() if m else i + 1
            else:
                self._key(c)
                i += 1

    def _cooked(self, c: str) -> None:
        if c in "\r\n\x0f\x03":
            self.clear()
        elif self._text is None:
            return
        elif c == "\x7f":             # the terminal's erase, at the end: the line has no cursor yet
            self._text = self._text[:-1]
            self._point = len(self._text)
        elif c == "\x15":             # its kill: the whole line
            self._text, self._point = "", 0
        elif " " <= c < "\x7f":
            self._text += c
            self._point = len(self._text)
        else:                          # Ctrl-W (the kernel's own word), an escape, Ctrl-V, beyond ASCII...
            self._text = None

    # -- keys ----------------------------------------------------------------------------------

    def _key(self, key: str) -> None:
        action = _ACTIONS.get(key)
        if self._text is None:
            if action in _KILLS:
                self._killed = None     # what it killed is not known
            return
        if action is None:
            if len(key) == 1 and " " <= key < "\x7f":
                self._insert(key, typed=True)
            else:
                # a key whose effect the target decides, or no default one; or a character beyond
                # ASCII, which readline reads as the target's locale says (in the C locale, `é`
                # is two bytes, each a key of its own, and a Ctrl-G after them drops them)
                self._text = None
            return
        if action not in _ANY_LOCALE and not self._text.isascii():
            # such characters pasted: readline edits them as the locale says too (in the C locale
            # `é` is two characters and no letter: `#é`, Alt-Backspace, `rm x` is `rm x` there)
            if action in _KILLS:
                self._killed = None
            self._text = None
            return
        killing = self._killing
        self._killing = action is TypedLine._abort and killing      # (Ctrl-G keeps a run of kills going)
        action(self, killing)

    def _insert(self, s: str, typed: bool = False) -> None:
        if self._text is None:
            return
        # Text typed right after a kill, with the next key already waiting, leaves readline's
        # "the last key killed" standing (it reads typed-ahead text in one go and pushes the next
        # key back): a kill after it may join the earlier one's entry or not, as the keys came
        self._killing = _MAYBE if typed and self._killing else False
        self._text = self._text[:self._point] + s + self._text[self._point:]
        self._point += len(s)

    def _kill(self, start: int, end: int, killing: bool, backward: bool) -> None:
        cut = self._text[start:end]
        if not cut:
            return                  # nothing to kill: the editor rings its bell, no kill at all
        self._killing = True
        if not killing:
            self._killed = cut
        elif killing is _MAYBE:
            self._killed = None
        elif self._killed is not None:     # consecutive kills make one entry, a backward one before it
            self._killed = cut + self._killed if backward else self._killed + cut
        self._text = self._text[:start] + self._text[end:]
        self._point = start

    def _word_end(self) -> int:
        t, p = self._text, self._point
        while p < len(t) and not _word(t[p]):
            p += 1
        while p < len(t) and _word(t[p]):
            p += 1
        return p

    def _word_start(self) -> int:
        t, p = self._text, self._point
        while p > 0 and not _word(t[p - 1]):
            p -= 1
        while p > 0 and _word(t[p - 1]):
            p -= 1
        return p

    def _home(self, _):
        self._point = 0

    def _end(self, _):
        self._point = len(self._text)

    def _left(self, _):
        self._point = max(0, self._point - 1)

    def _right(self, _):
        self._point = min(len(self._text), self._point + 1)

    def _word_left(self, _):
        self._point = self._word_start()

    def _word_right(self, _):
        self._point = self._word_end()

    def _rubout(self, _):
        if self._point:
            self._text = self._text[:self._point - 1] + self._text[self._point:]
            self._point -= 1

    def _delete(self, _):
        self._text = self._text[:self._point] + self._text[self._point + 1:]

    def _kill_line(self, killing):
        self._kill(self._point, len(self._text), killing, backward=False)

    def _discard_line(self, killing):
        self._kill(0, self._point, killing, backward=True)

    def _kill_word(self, killing):
        self._kill(self._point, self._word_end(), killing, backward=False)

    def _backward_kill_word(self, killing):
        self._kill(self._word_start(), self._point, killing, backward=True)

    def _unix_word_rubout(self, killing):
        t, p = self._text, self._point
        while p > 0 and t[p - 1] in " \t":
            p -= 1
        while p > 0 and t[p - 1] not in " \t":
            p -= 1
        self._kill(p, self._point, killing, backward=True)

    def _yank(self, _):
        if self._killed is None:
            self._text = None
        else:
            self._insert(self._killed)

    def _transpose(self, _):
        t, p = self._text, self._point
        if p == 0 or len(t) < 2:
            return                                  # (the editor rings its bell)
        if p == len(t):
            p -= 1
        self._text = t[:p - 1] + t[p] + t[p - 1] + t[p + 1:]
        self._point = p + 1

    @staticmethod
    def _case(change: Callable[[str, bool], str]):
        """upcase-word, downcase-word, capitalize-word: from the cursor to the next word's end."""
        def act(self, _):
            start, end = self._point, self._word_end()
            out, inword = [], False
            for c in self._text[start:end]:
                out.append(change(c, inword) if _word(c) else c)
                inword = _word(c)
            self._text = self._text[:start] + "".join(out) + self._text[end:]
            self._point = end
        return act

    def _neutral(self, _):
        pass

    def _abort(self, _):
        pass


_ACTIONS: Dict[str, Callable] = {}
for _keys, _action in (
        (("\x01", "\x1b[H", "\x1bOH", "\x1b[1~", "\x1b[7~"), TypedLine._home),
        (("\x05", "\x1b[F", "\x1bOF", "\x1b[4~", "\x1b[8~"), TypedLine._end),
        (("\x02", "\x1b[D", "\x1bOD"), TypedLine._left),
        (("\x06", "\x1b[C", "\x1bOC"), TypedLine._right),
        (("\x1bb", "\x1b[1;5D", "\x1b[5D", "\x1b\x1b[D"), TypedLine._word_left),
        (("\x1bf", "\x1b[1;5C", "\x1b[5C", "\x1b\x1b[C"), TypedLine._word_right),
        (("\x7f", "\x08"), TypedLine._rubout),
        (("\x04", "\x1b[3~"), TypedLine._delete),
        (("\x0b",), TypedLine._kill_line),
        (("\x15",), TypedLine._discard_line),
        (("\x1bd",), TypedLine._kill_word),
        (("\x1b\x7f", "\x1b\x08"), TypedLine._backward_kill_word),
        (("\x17",), TypedLine._unix_word_rubout),
        (("\x19",), TypedLine._yank),
        (("\x14",), TypedLine._transpose),
        (("\x1bu",), TypedLine._case(lambda c, inword: c.upper())),
        (("\x1bl",), TypedLine._case(lambda c, inword: c.lower())),
        (("\x1bc",), TypedLine._case(lambda c, inword: c.lower() if inword else c.upper())),
        (("\x0c",), TypedLine._neutral),      # Ctrl-L redraws
        (("\x07",), TypedLine._abort),        # Ctrl-G aborts nothing here
):
    for _key in _keys:
        _ACTIONS[_key] = _action
_KILLS = {TypedLine._kill_line, TypedLine._discard_line, TypedLine._kill_word, TypedLine._backward_kill_word,
          TypedLine._unix_word_rubout}
_ACTIONS["\x16"] = lambda self, _: setattr(self, "_quoted", True)      # Ctrl-V: the next key is text
# keys whose effect on a line holding characters beyond ASCII does not depend on the locale
_ANY_LOCALE = {TypedLine._yank, TypedLine._neutral, _ACTIONS["\x16"]}
