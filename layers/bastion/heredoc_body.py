"""The body of a here-document as it comes in, line by line (a shell's input without a terminal,
a terminal's lines at the continuation prompt). Only a line that may be its delimiter can end it:
the lines before need not be judged again with everything held before them, which for a long
body would cost the square of its length."""
import re

_QUOTING = re.compile(r"""['"\\]""")
# a delimiter that is nothing once its quotes go (`<<''`): then an empty line ends the body
_EMPTY = re.compile(r"""<<-?[ \t]*(?:\$?''|\$?"")+(?=[\s;&|<>()]|$)""")


class HeredocBody:
    def __init__(self, held: str) -> None:
        """`held`: the text so far, which a here-document left open."""
        openers = [line for line in held.replace("\\\n", "").split("\n") if "<<" in line]
        self._openers = _QUOTING.sub("", "\n".join(openers))
        # `<<$'\x45'` ends at a line `E`, which the opener's text does not show
        self._translated = any("$'" in line or '$"' in line for line in openers)
        self._empty = any(_EMPTY.search(line) for line in openers)
        self._lines = 0

    def may_end(self, *readings: str) -> bool:
        """Whether the next line (as each reading has it) may be the delimiter: bash compares it,
        less leading tabs for `<<-`, with the word after a `<<`, quotes removed. Also true now and
        then (the 1st, 2nd, 4th, 8th… line), as the grammar may read a construct otherwise than bash."""
        self._lines += 1
        if self._lines & (self._lines - 1) == 0 or self._translated:
            return True
        for line in readings:
            line = line.lstrip("\t")
            if not line:
                if self._empty:
                    return True
                continue
            unquoted = _QUOTING.sub("", line)
            if not unquoted or unquoted in self._openers:
                return True
        return False
