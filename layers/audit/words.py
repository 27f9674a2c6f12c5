"""The words of an event's text as ContentValue matches them (layers/audit/keywords.py): each
event's own, scoped to its account (the daily indices' `Words` field, which the store's search
for a keyword's candidates asks for).

Text is normalized (width-folded, lower-case, every run of non-word characters one space), then
split into tokens: each run of Latin letters and digits, each Chinese (wide) character alone. A
keyword matches an event when its normalized phrase occurs in the event's normalized text with
a Latin word at either end not cut out of a longer one (keywords.phrase_in); then every token of
the phrase is a token of the text and every two neighbouring ones are neighbouring in the text
too. So an event keeps the text's Latin tokens and its pairs of neighbouring Chinese characters
(`terms`; a single Chinese character is in most events anyway, and a pair across a Latin token
mostly joins two values: what ids and numbers would cost twice over), and a keyword can be in
an event only if each of its own (`phrase_terms`) is.
"""
import re
import unicodedata
from typing import Dict, List, Optional, Set, Tuple

_SEPARATORS = re.compile(r"[\W_]+")
MAX_TOKEN = 64        # longer tokens are cut to this many characters, in the text and in a phrase alike


def normalize(text: str) -> str:
    """Width-folded, lower-case, every run of non-word characters as one space."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " " + _SEPARATORS.sub(" ", folded).strip() + " "


def is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalpha()


_cjk: Dict[str, bool] = {}     # is_cjk of the characters met: every event indexed asks


def _is_cjk(ch: str) -> bool:
    found = _cjk.get(ch)
    if found is None:
        found = _cjk[ch] = is_cjk(ch)
    return found


def is_latin_word_char(ch: str) -> bool:
    return ch.isalnum() and not is_cjk(ch)


def _split(normalized: str) -> Tuple[List[str], List[bool]]:
    """The tokens of normalized text, in order, and whether each is a Chinese character."""
    out: List[str] = []
    chinese: List[bool] = []
    for chunk in normalized.split():
        if chunk.isascii():
            out.append(chunk[:MAX_TOKEN])
            chinese.append(False)
            continue
        run = ""
        for ch in chunk:
            if _is_cjk(ch):
                if run:
                    out.append(run[:MAX_TOKEN])
                    chinese.append(False)
                    run = ""
                out.append(ch)
                chinese.append(True)
            else:
                run += ch
        if run:
            out.append(run[:MAX_TOKEN])
            chinese.append(False)
    return out, chinese


def tokens(normalized: str) -> List[str]:
    """The tokens of normalized text, in order."""
    return _split(normalized)[0]


def _terms(normalized: str) -> List[str]:
    """Latin tokens, and pairs of neighbouring Chinese characters, in order."""
    found, chinese = _split(normalized)
    out = [t for t, c in zip(found, chinese) if not c]
    return out + [f"{found[i]} {found[i + 1]}" for i in range(len(found) - 1) if chinese[i] and chinese[i + 1]]


def terms(normalized: str) -> Set[str]:
    """What an event keeps of its text."""
    return set(_terms(normalized))


def phrase_terms(normalized: str) -> Optional[Tuple[str, ...]]:
    """What an event's terms must hold for the phrase to occur in it, each once, Latin words
    first; () when the phrase has no token (it matches nothing), None when it has no term an event
    keeps (a single Chinese character: any event can hold it)."""
    chosen = _terms(normalized)
    if not chosen:
        return None if normalized.strip() else ()
    return tuple(dict.fromkeys(chosen))


_SCOPE, _PAIR = "|", "_"     # neither is in a token: normalize() turns both into spaces


def scoped(account: str, term: str) -> str:
    """A term as the `Words` field holds it: the account's own, one whitespace-free token."""
    return account + _SCOPE + term.replace(" ", _PAIR)


def scoped_text(account: str, normalized: str) -> str:
    """The `Words` field of an account's event: its terms, scoped (as scoped() does), separated by
    spaces."""
    prefix = account + _SCOPE
    return " ".join(prefix + t.replace(" ", _PAIR) for t in sorted(terms(normalized)))


def unscoped(token: str) -> str:
    """The term of a `Words` token, as terms() gives it."""
    return token.split(_SCOPE, 1)[1].replace(_PAIR, " ")
