"""ContentValue matching (layers/audit/keywords.py): the phrase check made on each candidate,
and the one store-side term chosen to find the candidates."""
from layers.audit.document import ID_FIELDS
from layers.audit.keywords import CONTENT, PAIRS, keyword_match, normalize, phrase_in, terms

CJK = "<DOUBLE>"


def test_normalize_folds_case_width_and_punctuation_runs():
    assert normalize("ＶＳＭ--0000004D") == normalize("vsm 0000004d") == " vsm 0000004d "
    assert normalize("支付加密机-77") == " 支付加密机 77 "


def test_phrase_needs_latin_words_whole_but_matches_chinese_anywhere():
    text = normalize("The resource `vsm-0000004d` does not exist. 支付加密机-77")
    assert phrase_in(normalize("vsm-0000004d"), text)
    assert phrase_in(normalize("VSM 0000004D"), text)
    assert not phrase_in(normalize("vsm-0000004"), text)         # a number cut short
    assert not phrase_in(normalize("source"), text)              # inside "resource"
    assert phrase_in(normalize("加密机"), text)                    # Chinese: any substring
    assert phrase_in(normalize("加密机-77"), text)
    assert not phrase_in(normalize("加密机-7"), text)
    assert not phrase_in(normalize("exist does"), text)          # words, but not in that order
    assert not phrase_in(normalize("--"), text)


def test_the_chosen_term_is_the_pair_with_the_telling_token():
    tokens = [("支付", CJK), ("付加", CJK), ("加密", CJK), ("密机", CJK), ("20", "<NUM>")]
    field, term, _ = max(terms(tokens), key=lambda t: t[2])
    assert (field, term) == (PAIRS, "密机 20")
    assert [t[1] for t in terms([("resourcenotfound", "<ALPHANUM>")])] == ["resourcenotfound"]
    assert terms([("resourcenotfound", "<ALPHANUM>")])[0][0] == CONTENT


def test_clauses_loose_strict_and_identifier():
    kw = keyword_match(" vsm-0000004d ", [("vsm", "<ALPHANUM>"), ("0000004d", "<ALPHANUM>")])
    assert kw.text == "vsm-0000004d" and kw.identifier
    assert kw.clause("100000000001") == {"bool": {"should": [
        {"bool": {"filter": [{"term": {PAIRS: "vsm 0000004d"}}]}},
        {"terms": {"Keys": [f"100000000001|{f}|vsm-0000004d" for f in (*ID_FIELDS, "ResourceIds")]}}],
        "minimum_should_match": 1}}
    three = keyword_match("加密 密机 机器", [("加密", CJK), ("密机", CJK), ("机器", CJK)])
    assert not three.identifier
    assert three.clause("100000000001", strict=True) == {"bool": {"filter": [{"term": {PAIRS: "加密 密机"}},
                                                             {"term": {PAIRS: "密机 机器"}}]}}
    assert keyword_match("--", []).clause("100000000001") is None                # nothing in it can match
