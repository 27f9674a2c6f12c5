"""ContentValue: the keyword search over the whole event.

What matches: the keyword appears in the event's text (document.content: names, Chinese names,
error messages, request parameter values) as a phrase — case- and width-insensitive, any run
of spaces or punctuation standing for any other, a Latin word or number matched whole, Chinese
matched anywhere (the index holds it as character pairs) — or the keyword equals one of the
event's identifiers (document.ids: EventId, RequestId, SecretId, user, source address,
resource ids).

How: every event's Words field holds the words of its text, each scoped to its account
(layers/audit/words.py: its Latin words and pairs of neighbouring Chinese characters), and
whenever the phrase occurs in a text each of the phrase's own words is one of the text's. So the
store is asked for the account's events holding every word of the phrase — terms whose postings
are that account's alone, intersected by the engine (the rarest word leads, so the frequent ones
cost little) — and each candidate is then checked here against the whole phrase, which makes it
exact (the words' order and neighbours). A phrase of single Chinese characters has no such word:
the account's events are each checked.
"""
import re
from dataclasses import dataclass
from typing import Optional, Tuple

from layers.audit.document import IDENTIFIER_FIELDS, KEYS, WORDS, content, ids, scoped_key
from layers.audit.words import is_latin_word_char, normalize, phrase_terms, scoped
from layers.search.query import AllOf, AnyOf, Clause, Term

_IDENTIFIER = re.compile(r"^[\x21-\x7e]{3,128}$")


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


@dataclass
class KeywordMatch:
    text: str                          # the keyword as given (stripped)
    phrase: str                        # normalized
    terms: Optional[Tuple[str, ...]]   # its words, most telling first (words.phrase_terms): () if
                                       # it has none, None if none is kept (single Chinese characters)
    identifier: bool                   # could equal an identifier of the event

    @property
    def impossible(self) -> bool:
        """Nothing can match it (no word, and not an identifier)."""
        return self.terms == () and not self.identifier

    def candidates(self, account: str) -> Optional[Clause]:
        """The search clause of `account`'s candidates (each then checked with accepts()): terms of
        the account's own Words and Keys. None when no word can narrow them: the account's events
        are each checked."""
        if self.terms is None:
            return None
        either: list = []
        if self.terms:
            either.append(AllOf(tuple(Term(WORDS, (scoped(account, t),)) for t in self.terms)))
        if self.identifier:
            either.append(Term(KEYS, tuple(scoped_key(account, f, self.text) for f in IDENTIFIER_FIELDS)))
        return either[0] if len(either) == 1 else AnyOf(tuple(either))

    def accepts(self, event: dict) -> bool:
        if self.identifier and self.text in ids(event):
            return True
        return self.terms != () and phrase_in(self.phrase, normalize(content(event)))


def could_be_identifier(text: str) -> bool:
    return bool(_IDENTIFIER.match(text))


def keyword_match(text: str) -> KeywordMatch:
    text = text.strip()
    phrase = normalize(text)
    return KeywordMatch(text=text, phrase=phrase, terms=phrase_terms(phrase), identifier=could_be_identifier(text))
