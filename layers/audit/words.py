"""The words of an event's text as ContentValue matches them (layers/audit/keywords.py): each
event's own, scoped to its account (the daily indices' `Words` field, which the store's search
for a keyword's candidates asks for), and per account and day in the value-days digest
(layers/audit/value_days.py).

Text is normalized (width-folded, lower-case, every run of non-word characters one space), then
split into tokens: each run of Latin letters and digits, each Chinese (wide) character alone. A
keyword matches an event when its normalized phrase occurs in the event's normalized text with
a Latin word at either end not cut out of a longer one (keywords.phrase_in); then every token of
the phrase is a token of the text and every two neighbouring ones are neighbouring in the text
too. So an event and the digest keep the text's Latin tokens and its pairs of neighbouring
Chinese characters (`terms`; a single Chinese character is on most days anyway, and a pair
across a Latin token mostly joins two values: what ids and numbers would cost twice over), and
a keyword can be in an event, or on a day, only if each of its own (`phrase_terms`) is.
"""
import re
import unicodedata
from typing import List, Optional, Set, Tuple

_SEPARATORS = re.compile(r"[\W_]+")
MAX_TOKEN = 64        # longer tokens are cut to this many characters, in the text and in a phrase alike


def normalize(text: str) -> str:
    """Width-folded, lower-case, every run of non-word characters as one space."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " " + _SEPARATORS.sub(" ", folded).strip() + " "


def is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalpha()


def is_latin_word_char(ch: str) -> bool:
    return ch.isalnum() and not is_cjk(ch)


def tokens(normalized: str) -> List[str]:
    """The tokens of normalized text, in order."""
    out: List[str] = []
    for chunk in normalized.split():
        if chunk.isascii():
            out.append(chunk[:MAX_TOKEN])
            continue
        run = ""
        for ch in chunk:
            if is_cjk(ch):
                if run:
                    out.append(run[:MAX_TOKEN])
                    run = ""
                out.append(ch)
            else:
                run += ch
        if run:
            out.append(run[:MAX_TOKEN])
    return out


def _terms(found: List[str]) -> List[str]:
    """Latin tokens, and pairs of neighbouring Chinese characters, in order."""
    chinese = [len(t) == 1 and is_cjk(t) for t in found]
    out = [t for t, c in zip(found, chinese) if not c]
    return out + [f"{found[i]} {found[i + 1]}" for i in range(len(found) - 1) if chinese[i] and chinese[i + 1]]


def terms(normalized: str) -> Set[str]:
    """What the digest keeps of a text."""
    return set(_terms(tokens(normalized)))


def _telling(term: str) -> int:
    """How rare a term looks: a Latin word by its length, more with a digit in it (ids, numbered
    names); a pair of Chinese characters as a word of four letters."""
    if " " in term:
        return 4
    return min(len(term), 12) + 3 * any(c.isdigit() for c in term)


def phrase_terms(normalized: str) -> Optional[Tuple[str, ...]]:
    """What a day's digest must hold for the phrase to occur on it, the most telling first (the
    later of equals: a name's end tells it apart); () when it has no token (it matches nothing),
    None when it has no term the digest keeps (a single Chinese character: any day can hold it)."""
    found = tokens(normalized)
    chosen = _terms(found)
    if not chosen:
        return None if found else ()
    ranked = sorted(enumerate(chosen), key=lambda p: (_telling(p[1]), p[0]), reverse=True)
    return tuple(dict.fromkeys(t for _, t in ranked))


_SCOPE, _PAIR = "|", "_"     # neither is in a token: normalize() turns both into spaces


def scoped(account: str, term: str) -> str:
    """A term as the `Words` field holds it: the account's own, one whitespace-free token."""
    return account + _SCOPE + term.replace(" ", _PAIR)


def scoped_text(account: str, normalized: str) -> str:
    """The `Words` field of an account's event: its terms, scoped, separated by spaces."""
    return " ".join(scoped(account, t) for t in sorted(terms(normalized)))


def unscoped(token: str) -> str:
    """The term of a `Words` token, as terms() gives it."""
    return token.split(_SCOPE, 1)[1].replace(_PAIR, " ")
