"""ContentValue matching (layers/audit/keywords.py): the phrase check made on each candidate,
and the account-scoped words that find the candidates."""
from layers.audit.document import ID_FIELDS, WORDS
from layers.audit.keywords import keyword_match, normalize, phrase_in
from layers.search.query import AllOf, AnyOf, Term


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


def test_the_candidates_hold_every_word_of_the_phrase_scoped_to_the_account():
    assert keyword_match("ResourceNotFound").terms == ("resourcenotfound",)
    assert keyword_match("加密机").candidates("100000000001") == AllOf((
        Term(WORDS, ("100000000001|加_密",)), Term(WORDS, ("100000000001|密_机",))))


def test_clauses_of_words_and_of_an_identifier():
    kw = keyword_match(" vsm-0000004d ")
    assert kw.text == "vsm-0000004d" and kw.identifier and not kw.impossible
    assert kw.candidates("100000000001") == AnyOf((
        AllOf((Term(WORDS, ("100000000001|vsm",)), Term(WORDS, ("100000000001|0000004d",)))),
        Term("Keys", tuple(f"100000000001|{f}|vsm-0000004d" for f in (*ID_FIELDS, "ResourceIds")))))
    three = keyword_match("加密机器")
    assert not three.identifier
    assert three.candidates("100000000001") == AllOf(tuple(
        Term(WORDS, (f"100000000001|{t}",)) for t in ("加_密", "密_机", "机_器")))
    assert keyword_match("--").impossible                                      # nothing in it can match
    single = keyword_match("机")                                                # no word narrows it
    assert single.candidates("100000000001") is None and not single.impossible


def test_a_candidate_is_accepted_by_the_phrase_in_its_text_or_an_identifier_equal_to_the_keyword():
    event = {"EventName": "ModifyVsmAttributes", "Service": "cloudhsm", "EventId": "e-1",
             "RequestParameters": {"Name": "支付加密机-77"}, "SourceIPAddress": "10.1.2.3"}
    accepts = lambda text: keyword_match(text).accepts(event)  # noqa: E731
    assert accepts("加密机-77") and accepts("机") and accepts("10.1.2.3")
    assert not accepts("加密机-7") and not accepts("10.1.2") and not accepts("--")
