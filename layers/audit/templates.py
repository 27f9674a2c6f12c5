"""The index templates of the audit store: the daily indices (keyword/date fields, a text field
of the events' account-scoped words for keyword search, Chinese as character pairs) and their
value-days digest (layers/audit/value_days.py).
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
    """Put the templates, and the fields they gained into the existing indices."""
    bodies = templates(prefix)
    store.put_templates(bodies)
    _add_fields(store, bodies)


def add_new_fields(store, prefix: str = NAME) -> None:
    """An index made before its template gained a field (an upgraded store) maps it from now on:
    a daily index its events' Words (GZ_AUDIT_ACCOUNT_WORDS_SINCE for what was written before),
    a digest month its Words (GZ_AUDIT_WORDS_SINCE)."""
    _add_fields(store, templates(prefix))


def _add_fields(store, bodies: Dict[str, dict]) -> None:
    for body in bodies.values():
        store.add_fields(body["index_patterns"][0], body["template"]["mappings"]["properties"])
