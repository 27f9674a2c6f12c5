"""The words the value-days digest keeps of an event's text (layers/audit/words.py): whenever a
keyword matches a text, every term the digest is asked for is one it kept of that text."""
import random

from layers.audit.keywords import phrase_in
from layers.audit.words import MAX_TOKEN, normalize, phrase_terms, terms, tokens


def test_latin_runs_are_tokens_and_chinese_characters_each_one():
    assert tokens(normalize("Describe-VSMs 支付加密机77 ＡＢ_c")) == [
        "describe", "vsms", "支", "付", "加", "密", "机", "77", "ab", "c"]
    assert tokens(normalize("x" * 100)) == ["x" * MAX_TOKEN]


def test_an_event_keeps_latin_tokens_and_neighbouring_chinese_characters():
    assert terms(normalize("vsm-0000004d 支付加密机-77 云 加")) == {
        "vsm", "0000004d", "77", "支 付", "付 加", "加 密", "密 机", "云 加"}


def test_a_phrase_asks_for_each_of_its_terms_once():
    assert phrase_terms(normalize("加密机-77")) == ("77", "加 密", "密 机")
    assert phrase_terms(normalize("支付加密机 VSM")) == ("vsm", "支 付", "付 加", "加 密", "密 机")
    assert phrase_terms(normalize("Resource not found")) == ("resource", "not", "found")
    assert phrase_terms(normalize("a b a b")) == ("a", "b")
    assert phrase_terms(normalize(" -- ")) == ()          # no token: it matches nothing
    assert phrase_terms(normalize("机")) is None           # one Chinese character: in any event


def _text(rng: random.Random, n: int) -> str:
    alphabet = ["a", "b", "ab", "Ab", "1", "12", "支", "付", "加", "Ｂ", "-", " ", "_", ".", "〇", "é", "x" * 70]
    return "".join(rng.choice(alphabet) for _ in range(n))


def test_every_match_finds_its_terms_in_the_text():
    rng = random.Random(20261203)
    checked = 0
    for _ in range(4000):
        text = _text(rng, rng.randrange(1, 40))
        normalized = normalize(text)
        # phrases cut out of the text (they often match) and random ones
        start = rng.randrange(len(text))
        for phrase in (text[start:start + rng.randrange(1, 12)], _text(rng, rng.randrange(1, 6))):
            p = normalize(phrase)
            if phrase_in(p, normalized):
                checked += 1
                assert set(phrase_terms(p) or ()) <= terms(normalized), (phrase, text)
    assert checked > 1000
