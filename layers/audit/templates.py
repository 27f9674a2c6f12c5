"""The index template of the daily audit indices (keyword/date fields, a CJK-bigram text field
for full-text search). layers/audit/data/traillog_server_log.json is the one copy; the local
stack installs it through the infra/opensearch/ link, and the indexer makes sure it is in
place before its first write (a store rebuilt from scratch gets it back before any index)."""
import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Dict

NAME = "traillog_server_log"


@lru_cache(maxsize=1)
def _template() -> dict:
    return json.loads((Path(__file__).parent / "data" / f"{NAME}.json").read_text("utf-8"))


def templates(prefix: str = NAME) -> Dict[str, dict]:
    """{template name: body} for daily indices named `<prefix>-YYYY.MM.DD`."""
    body = copy.deepcopy(_template())
    body["index_patterns"] = [f"{prefix}-*"]
    return {prefix: body}


def text_analyzer() -> dict:
    """The analyzer of the full-text field (tokenizer and filters), for the store's analyze()."""
    analyzer = _template()["template"]["settings"]["analysis"]["analyzer"]["audit_text"]
    return {k: v for k, v in analyzer.items() if k != "type"}
