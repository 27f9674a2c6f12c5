"""A search's clauses as a tantivy query over one day's index.

Each field of a day is one of three kinds: RAW (one term per value: the family's `terms` and
`texts`, and `Id`), WORDS (one term per whitespace-separated word) or NUMBER (i64). A clause on a
field the day does not have (the family gained it later) matches nothing there, as a term on an
unmapped field does in OpenSearch.
"""
import re
import threading
from collections import OrderedDict
from typing import Callable, Dict, Hashable, Iterable, List, Optional

import tantivy

from layers.search.query import AllOf, AnyOf, Clause, Contains, Term

RAW, WORDS, NUMBER = "raw", "words", "number"
I64 = (-(1 << 63), (1 << 63) - 1)

Q = tantivy.Query
MUST, SHOULD = tantivy.Occur.Must, tantivy.Occur.Should

# Terms that start with a prefix, for the Contains whose regex is too large to compile.
TermLister = Callable[[str, str], Iterable[str]]
# Compiling a Contains costs ~0.7 ms + 0.13 ms a character of its text, again for every day a
# search reads: compiled queries are kept for the days of the same schema. Past
# REGEX_MAX_TEXT characters, listing the field's terms is cheaper (and the regex engine refuses
# texts of a few hundred characters anyway).
REGEX_MAX_TEXT = 64
REGEX_CACHE = 256


def keyword(value) -> str:
    """A value as a RAW or WORDS term: how a keyword field indexes it (true/false, digits)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def integer(value) -> Optional[int]:
    """A value as a NUMBER term, or None when it is not an integer within i64."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            return None
    elif not isinstance(value, int):
        return None
    number = int(value)
    return number if I64[0] <= number <= I64[1] else None


def literal(text: str) -> str:
    """`text` as a regex matching it literally: every character that is not a letter or a digit
    spelled as a code point, which the regex syntax accepts whatever the character."""
    return "".join(c if c.isalnum() else "\\x{%X}" % ord(c) for c in text)


def contains_regex(prefix: str, text: str) -> str:
    # Whole-term match: the prefix as is, then the text anywhere after it, ignoring its case;
    # (?s) so that `.` also crosses line breaks inside a value.
    return f"(?s){literal(prefix)}(?i:.*{literal(text)}.*)"


def _joined(queries: List[tantivy.Query], occur, none: tantivy.Query) -> tantivy.Query:
    if not queries:
        return none
    return queries[0] if len(queries) == 1 else Q.boolean_query([(occur, q) for q in queries])


def all_of(queries: List[tantivy.Query]) -> tantivy.Query:
    return _joined(queries, MUST, Q.all_query())


def any_of(queries: List[tantivy.Query]) -> tantivy.Query:
    return _joined(queries, SHOULD, Q.empty_query())


class _Compiled:
    def __init__(self):
        self.lock = threading.Lock()
        self.queries: "OrderedDict[tuple, Optional[tantivy.Query]]" = OrderedDict()

    def regex(self, schema: tantivy.Schema, schema_key: Hashable, field: str, pattern: str):
        """The regex query, or None when it is too large to compile."""
        key = (schema_key, field, pattern)
        with self.lock:
            if key in self.queries:
                self.queries.move_to_end(key)
                return self.queries[key]
        try:
            query = Q.regex_query(schema, field, pattern)
        except ValueError:
            query = None
        with self.lock:
            self.queries[key] = query
            while len(self.queries) > REGEX_CACHE:
                self.queries.popitem(last=False)
        return query


_compiled = _Compiled()


class Renderer:
    """Renders clauses for one day: `schema_key` names its schema (days that share it share
    compiled queries)."""

    def __init__(self, schema: tantivy.Schema, schema_key: Hashable, kinds: Dict[str, str],
                 list_terms: TermLister, aliases: Dict[str, str]):
        self.schema = schema
        self.schema_key = schema_key
        self.kinds = kinds
        self.list_terms = list_terms
        self.aliases = aliases    # the family's name of a field -> the index's (its id field -> Id)

    def render(self, clause: Clause) -> tantivy.Query:
        if isinstance(clause, AllOf):
            return all_of([self.render(c) for c in clause.clauses])
        if isinstance(clause, AnyOf):
            return any_of([self.render(c) for c in clause.clauses])
        if isinstance(clause, Term):
            return self.term(self.aliases.get(clause.field, clause.field), clause.values)
        if isinstance(clause, Contains):
            return self.contains(self.aliases.get(clause.field, clause.field), clause)
        raise TypeError(f"not a clause: {clause!r}")

    def term(self, field: str, values) -> tantivy.Query:
        kind = self.kinds.get(field)
        if kind == NUMBER:
            terms = [v for v in map(integer, values) if v is not None]
        elif kind in (RAW, WORDS):
            terms = [keyword(v) for v in values]
        else:
            return Q.empty_query()
        if not terms:
            return Q.empty_query()
        if len(terms) == 1:
            return Q.term_query(self.schema, field, terms[0])
        return Q.term_set_query(self.schema, field, terms)

    def contains(self, field: str, clause: Contains) -> tantivy.Query:
        if self.kinds.get(field) not in (RAW, WORDS):
            return Q.empty_query()
        if len(clause.text) <= REGEX_MAX_TEXT:
            query = _compiled.regex(self.schema, self.schema_key, field,
                                    contains_regex(clause.prefix, clause.text))
            if query is not None:
                return query
        # The same test term by term (Python's IGNORECASE folds case as the regex engine does).
        found = re.compile(re.escape(clause.text), re.IGNORECASE | re.DOTALL).search
        start = len(clause.prefix)
        terms = [t for t in self.list_terms(field, clause.prefix) if found(t, start)]
        return Q.term_set_query(self.schema, field, terms) if terms else Q.empty_query()
