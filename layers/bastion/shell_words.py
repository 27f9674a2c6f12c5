"""The words of a shell command as the policy reads them, and what a command runs in turn (the
types command_wrappers and program_commands answer with), with the reading of options.

  - Word: one word after quote removal, with what makes it unknown before it runs;
  - a list of Words: a command to run (itself maybe a wrapper);
  - Script: text run as shell code, to be parsed as commands;
  - Unknown: code that only exists when it runs.
"""
from dataclasses import dataclass
from typing import FrozenSet, List, Optional, Sequence, Tuple, Union


class Word:
    """One shell word after quote removal. `dynamic` names what makes it unknown before it runs
    ("variable", "command substitution", ...); `source` is its text as typed."""
    __slots__ = ("text", "dynamic", "source", "glob", "feed", "split")

    def __init__(self, text: str, dynamic: str = "", source: Optional[str] = None, glob: bool = False) -> None:
        self.text = text
        self.dynamic = dynamic
        self.source = text if source is None else source
        self.glob = glob
        self.feed: "Stdin" = None       # a process substitution `<(...)`: what reading it gives
        self.split: Optional[List[str]] = None    # an unquoted known value: the words it splits into

    def __repr__(self) -> str:
        return f"Word({self.text!r}{', ' + self.dynamic if self.dynamic else ''})"


@dataclass(frozen=True)
class Script:
    text: str
    runner: str
    cut: bool = False       # code cut short (a compound command's first words): that it does not parse is no news


@dataclass(frozen=True)
class Unknown:
    reason: str


# What a command reads on its standard input: ("text", str) literal shell code, ("dynamic", why)
# or None (the terminal, a file).
Stdin = Optional[Tuple[str, str]]
Inner = Union[List[Word], Script, Unknown]


@dataclass(frozen=True)
class Spec:
    short_arg: str = ""                          # short options that take a value
    long_arg: FrozenSet[str] = frozenset()       # long options that take a value (without "=")
    no_command: str = ""                         # short options after which nothing is run
    long_no_command: FrozenSet[str] = frozenset()
    positionals: int = 0                         # operands before the command (DURATION, NEWROOT)
    assignments: bool = False                    # NAME=VALUE words may precede the command


def names(*given: str) -> FrozenSet[str]:
    return frozenset(given)


def options(words: Sequence[Word], spec: Spec, plus: bool = False) -> Tuple[dict, int]:
    """The options at the start of `words` (letter or long name -> value or True) and the index
    of the first word after them."""
    found, i = {}, 0
    while i < len(words):
        w = words[i].text
        if w == "--":
            return found, i + 1
        if w.startswith("--") and len(w) > 2:
            name, eq, value = w[2:].partition("=")
            if name in spec.long_arg and not eq:
                i += 1
                value = words[i].text if i < len(words) else ""
            found[name] = value if (eq or name in spec.long_arg) else True
            i += 1
            continue
        if len(w) > 1 and (w[0] == "-" or (plus and w[0] == "+")) and not words[i].dynamic:
            letters = w[1:]
            if letters.isdigit():
                found["#"] = letters
                i += 1
                continue
            for j, c in enumerate(letters):
                if c in spec.short_arg:
                    value = letters[j + 1:]
                    if not value:
                        i += 1
                        value = words[i].text if i < len(words) else ""
                    found[c] = value
                    break
                found[c] = True
            i += 1
            continue
        break
    return found, i


def code_in(word: Word, runner: str) -> Inner:
    """The code a word holds, run by `runner`: Unknown where the word is only known when it runs."""
    if word.dynamic:
        return Unknown(f"`{runner}` runs code held in {word.source}")
    return Script(word.text, runner)


def held(args: Sequence[Word], found: dict, key: str) -> Word:
    """The word an option's value came from (dynamic if it was), else the value itself."""
    return next((w for w in args if w.text == found[key]), Word(found[key]))
