"""ContentValue: the keyword search over the whole event.

What matches: the keyword appears in the event's text (document.content: names, Chinese names,
error messages, request parameter values) as a phrase — case- and width-insensitive, any run
of spaces or punctuation standing for any other, a Latin word or number matched whole, Chinese
matched anywhere (the index holds it as character pairs) — or the keyword equals one of the
event's identifiers (document.ids: EventId, RequestId, SecretId, user, source address,
resource ids).

How: the store's own analyzer splits the keyword into the tokens the text field holds. The text
field also holds every two neighbouring tokens as one term (`Content.pairs`, a shingle), so the
store is asked for the events holding the one term — a pair when the keyword has two tokens or
more — that looks rarest (one with a number or a long word before common Chinese character
pairs), and each candidate is then checked here against the whole phrase. A conjunction of
frequent tokens is what a search store answers slowest; one rare term plus a check of the few
candidates is fast, and the check makes the phrase exact. Should the check keep turning
candidates down, the scan narrows the store's query to every pair (`strict`) and goes on from
where it was.
"""
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from layers.audit.document import CONTENT, IDENTIFIER_FIELDS, KEYS, content, ids, scoped_key
from layers.audit.store import Hit
from layers.audit.words import is_latin_word_char, normalize

_IDENTIFIER = re.compile(r"^[\x21-\x7e]{3,128}$")
_CJK_TYPES = ("<DOUBLE>", "<SINGLE>", "<IDEOGRAPHIC>", "<HIRAGANA>", "<KATAKANA>", "<HANGUL>")


def phrase_in(phrase: str, text: str) -> bool:
    """`phrase` and `text` both normalized: does the phrase occur, a Latin word or number at
    either end of it not cut out of a longer one?"""
    needle = phrase.strip()
    if not needle:
        return False
    start = text.find(needle)
    while start >= 0:
        end = start + len(needle)
        left_ok = not (is_latin_word_char(needle[0]) and is_latin_word_char(text[start - 1]))
        right_ok = not (is_latin_word_char(needle[-1]) and end < len(text) and is_latin_word_char(text[end]))
        if left_ok and right_ok:
            return True
        start = text.find(needle, start + 1)
    return False


PAIRS = CONTENT + ".pairs"


def _weight(token: str, kind: str) -> Tuple[int, int, int]:
    """How telling a token looks: a Latin word or number before a Chinese character pair; then
    one with a digit; then the longer."""
    return (kind not in _CJK_TYPES, any(c.isdigit() for c in token), len(token))


def terms(tokens: Sequence[Tuple[str, str]]) -> List[Tuple[str, str, tuple]]:
    """(field, term, weight) the keyword gives: its neighbouring pairs, or its one token."""
    if len(tokens) == 1:
        token, kind = tokens[0]
        return [(CONTENT, token, _weight(token, kind))]
    out = []
    for (a, kind_a), (b, kind_b) in zip(tokens, tokens[1:]):
        weight = max(_weight(a, kind_a), _weight(b, kind_b))
        out.append((PAIRS, f"{a} {b}", weight + (len(out),)))   # later pairs win ties: a name's end tells it apart
    return out


@dataclass
class KeywordMatch:
    text: str                          # the keyword as given (stripped)
    phrase: str                        # normalized
    tokens: List[Tuple[str, str]]      # (token, type) as the text field holds them
    identifier: bool                   # could equal an identifier of the event

    def clause(self, account: str, strict: bool = False) -> Optional[dict]:
        """The store-side filter for `account`'s candidates (each then checked with accepts());
        None if nothing can match. The text terms need the account's own filter beside them
        (Query.clause); an identifier is an account-scoped key."""
        should = []
        if self.tokens:
            found = terms(self.tokens)
            chosen = found if strict else [max(found, key=lambda f: f[2])]
            should.append({"bool": {"filter": [{"term": {f: t}} for f, t, _ in chosen]}})
        if self.identifier:
            should.append({"terms": {KEYS: [scoped_key(account, f, self.text) for f in IDENTIFIER_FIELDS]}})
        if not should:
            return None
        return should[0] if len(should) == 1 else {"bool": {"should": should, "minimum_should_match": 1}}

    def accepts(self, hit: Hit) -> bool:
        event = hit.source       # the event as emitted (Scanner.iterate)
        if self.identifier and self.text in ids(event):
            return True
        return bool(self.tokens) and phrase_in(self.phrase, normalize(content(event)))


def could_be_identifier(text: str) -> bool:
    return bool(_IDENTIFIER.match(text))


def keyword_match(text: str, analyzed: Sequence[Tuple[str, str]]) -> KeywordMatch:
    """`analyzed`: the keyword through the text field's analyzer, (token, type) pairs."""
    text = text.strip()
    return KeywordMatch(text=text, phrase=normalize(text), tokens=list(analyzed),
                        identifier=could_be_identifier(text))
