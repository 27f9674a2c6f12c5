"""Password-rotation tasks without a stack: schedule slots, character classes, generated
passwords, the runner mode, and reasons with the passwords blanked out."""
import base64
import string
from datetime import datetime, timedelta, timezone

import pytest

from layers.bastion import pwd_rotation, pwd_tasks
from layers.gateway.errors import ApiError

CST = timezone(timedelta(hours=8))


def test_next_slot_is_the_first_period_step_not_before_the_time():
    first = "2024-01-01T02:00:00+08:00"
    at = lambda *a: datetime(*a, tzinfo=CST)  # noqa: E731
    assert pwd_tasks.next_slot(first, 7, at(2023, 12, 1)) == first
    assert pwd_tasks.next_slot(first, 7, at(2024, 1, 1, 2)) == first
    assert pwd_tasks.next_slot(first, 7, at(2024, 1, 1, 2, 0, 1)) == "2024-01-08T02:00:00+08:00"
    assert pwd_tasks.next_slot(first, 30, at(2024, 3, 5)) == "2024-03-31T02:00:00+08:00"
    assert pwd_tasks.first_time("2024-05-01 03:00:00") == "2024-05-01T03:00:00+08:00"
    assert pwd_tasks.first_time("2024-05-01T00:00:00Z") == "2024-05-01T08:00:00+08:00"


def test_symbol_is_base64_of_the_allowed_special_characters():
    enc = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    assert pwd_tasks.symbols_of(enc("-_#();%~!+=")) == "-_#();%~!+="
    assert pwd_tasks.symbols_of(enc("##!")) == "#!"
    assert pwd_tasks.symbols_of("") == "" and pwd_tasks.symbols_of(None) == ""
    for bad in (enc("$"), enc("a"), "%%%"):
        with pytest.raises(ApiError) as err:
            pwd_tasks.symbols_of(bad)
        assert err.value.code == "InvalidParameterValue"


@pytest.mark.parametrize("spec,alphabet", [
    ({"SmallLetter": 1}, string.ascii_lowercase),
    ({"BigLetter": 1, "Digit": 1}, string.ascii_uppercase + string.digits),
    ({"Symbol": base64.b64encode(b"+=").decode()}, "+="),
    ({"SmallLetter": 1, "BigLetter": 1, "Digit": 1, "Symbol": base64.b64encode(b"-_#();%~!+=").decode()},
     string.ascii_letters + string.digits + "-_#();%~!+="),
])
def test_generated_passwords_use_every_chosen_class_and_nothing_else(spec, alphabet):
    for _ in range(30):
        pw = pwd_rotation.generate({"PasswordLength": 12, **spec})
        assert len(pw) == 12 and set(pw) <= set(alphabet)
        for on, cls in (("SmallLetter", string.ascii_lowercase), ("BigLetter", string.ascii_uppercase),
                        ("Digit", string.digits)):
            if spec.get(on):
                assert set(pw) & set(cls)


def test_the_rules_that_tie_fields_together():
    base = {"ChangeMethod": 2, "AuthGenerationStrategy": 2, "PasswordLength": 12, "Digit": 1, "AccountSet": ["root"]}
    pwd_tasks.check(base, has_password=False)
    for change, has_password, code in [
        ({"ChangeMethod": 1}, False, "MissingParameter"),
        ({"AuthGenerationStrategy": 3}, False, "MissingParameter"),
        ({"Digit": 0}, False, "InvalidParameterValue"),
        ({"Type": 5, "Period": 1}, False, "MissingParameter"),
        ({"RunAccount": "a:b", "ChangeMethod": 1}, False, "InvalidParameterValue"),
        ({"CompleteNotify": 1}, False, "MissingParameter"),
    ]:
        with pytest.raises(ApiError) as err:
            pwd_tasks.check({**base, **change}, has_password=has_password)
        assert err.value.code == code, change
    pwd_tasks.check({**base, "AuthGenerationStrategy": 3, "PasswordLength": None, "Digit": 0}, has_password=True)


def test_runner_mode(monkeypatch):
    monkeypatch.delenv("GZ_BASTION_PWD_RUNNER", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    assert pwd_rotation.runner_mode() == "thread"
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "guardzone-dev")
    assert pwd_rotation.runner_mode() == "schedule"
    monkeypatch.setenv("GZ_BASTION_PWD_RUNNER", "thread")
    assert pwd_rotation.runner_mode() == "thread"


def test_reasons_never_carry_a_password():
    text = "passwd: BAD PASSWORD s3cret-New\n  old Old-1 was\tOld-1"
    assert pwd_rotation._scrub(text, "s3cret-New", "Old-1", None) == "passwd: BAD PASSWORD ****** old ****** was ******"
