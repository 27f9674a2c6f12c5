"""The index templates of the audit store: the daily indices (keyword/date fields, a CJK-bigram
text field for full-text search) and their value-days digest (layers/audit/value_days.py).
layers/audit/data/*.json is the one copy; the local stack installs them through the
infra/opensearch/ links, and the indexer makes sure they are in place before its first write (a
store rebuilt from scratch gets them back before any index)."""
import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Dict

NAME = "traillog_server_log"
DAYS_SUFFIX = "_days"


@lru_cache(maxsize=2)
def _template(name: str) -> dict:
    return json.loads((Path(__file__).parent / "data" / f"{name}.json").read_text("utf-8"))


def templates(prefix: str = NAME) -> Dict[str, dict]:
    """{template name: body} for daily indices named `<prefix>-YYYY.MM.DD` and the monthly
    value-days indices `<prefix>_days-YYYY.MM`."""
    out = {}
    for name, pattern in ((NAME, prefix), (NAME + DAYS_SUFFIX, prefix + DAYS_SUFFIX)):
        body = copy.deepcopy(_template(name))
        body["index_patterns"] = [f"{pattern}-*"]
        out[pattern] = body
    return out


def install(store, prefix: str = NAME) -> None:
    """Put the templates, and the fields they gained into the digest's existing months."""
    bodies = templates(prefix)
    store.put_templates(bodies)
    _add_digest_fields(store, bodies[prefix + DAYS_SUFFIX])


def add_new_fields(store, prefix: str = NAME) -> None:
    """A digest month made before its template gained a field (an upgraded store) maps it from
    now on (layers/audit/value_days.py: GZ_AUDIT_WORDS_SINCE for what was written before)."""
    _add_digest_fields(store, templates(prefix)[prefix + DAYS_SUFFIX])


def _add_digest_fields(store, digest: dict) -> None:
    store.add_fields(digest["index_patterns"][0], digest["template"]["mappings"]["properties"])


def text_analyzer() -> dict:
    """The analyzer of the full-text field (tokenizer and filters), for the store's analyze()."""
    analyzer = _template(NAME)["template"]["settings"]["analysis"]["analyzer"]["audit_text"]
    return {k: v for k, v in analyzer.items() if k != "type"}
