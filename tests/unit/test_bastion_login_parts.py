"""The pure parts of the bastion login: password hashing and rules, TOTP steps, the whitelist's
matching, SSH key parsing, the enrollment QR code and the refusals."""
from datetime import datetime, timedelta, timezone

import asyncssh
import pyotp
import pytest
import qrcode

from layers.bastion import credentials, login, login_policy
from layers.bastion.credentials import LoginRefused
from layers.bastion.login_policy import LoginPolicy

AT = datetime(2025, 3, 3, 9, 0, 10, tzinfo=timezone.utc)


def test_a_password_hash_is_salted_scrypt_and_verifies_only_the_password():
    first, second = credentials.hash_password("s3cretpass"), credentials.hash_password("s3cretpass")
    assert first.startswith("scrypt$") and first != second and "s3cretpass" not in first
    assert credentials.verify_password("s3cretpass", first)
    assert not credentials.verify_password("s3cretpasS", first)
    assert not credentials.verify_password("s3cretpass", None)      # the dummy never matches
    assert not credentials.verify_password("x" * 10_000, first)


@pytest.mark.parametrize("password", ["short1a", "onlyletters", "12345678", "", "a1" * 65, "Alice2024"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(LoginRefused) as exc:
        credentials.check_password_rules(password, "alice2024")
    assert exc.value.reason == "weak_password"


def test_a_password_of_letters_and_digits_passes():
    credentials.check_password_rules("correct7horse", "alice")
    credentials.check_password_rules("密码很长也可以1a", "alice")


def test_tokens_are_random_and_compared_by_hash():
    token = credentials.new_token(16, "abc123")
    assert len(token) == 16 and set(token) <= set("abc123")
    stored = credentials.hash_token(token)
    assert token not in stored and credentials.token_matches(token, stored)
    assert not credentials.token_matches(token + "x", stored) and not credentials.token_matches(None, stored)


def test_refusals_carry_a_known_reason_and_one_line():
    assert login.REASONS == {"unknown_user", "inactive", "bad_password", "bad_totp", "locked", "ip_not_allowed",
                             "bad_activation_code", "weak_password", "bad_oauth_credential"}
    for reason in login.REASONS:
        exc = LoginRefused(reason)
        assert exc.reason == reason and str(exc) == exc.message and "\n" not in exc.message
    assert str(LoginRefused("unknown_user")) == str(LoginRefused("bad_password"))
    with pytest.raises(ValueError):
        LoginRefused("because")


def test_a_totp_code_matches_its_step_within_one_step_and_only_after_the_last_used():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    step = totp.timecode(AT)
    assert login._totp_step(secret, totp.at(AT), AT, after=-1) == step
    assert login._totp_step(secret, totp.at(AT - timedelta(seconds=30)), AT, after=-1) == step - 1
    assert login._totp_step(secret, totp.at(AT + timedelta(seconds=30)), AT, after=-1) == step + 1
    assert login._totp_step(secret, totp.at(AT - timedelta(seconds=60)), AT, after=-1) is None
    assert login._totp_step(secret, totp.at(AT), AT, after=step) is None         # already used
    assert login._totp_step(secret, " ".join(totp.at(AT)), AT, after=-1) == step  # spaces typed in
    assert login._totp_step(secret, "12345a", AT, after=-1) is None


def test_whitelist_entries_are_canonical_and_match_addresses():
    assert login_policy.normalize_entry(" 10.1.2.3 ") == "10.1.2.3"
    assert login_policy.normalize_entry("10.1.2.3/8") == "10.0.0.0/8"
    assert login_policy.normalize_entry("2001:DB8::1/128") == "2001:db8::1"
    assert login_policy.normalize_entry("::ffff:192.0.2.0/120") == "192.0.2.0/24"
    with pytest.raises(ValueError):
        login_policy.normalize_entry("10.0.0.300")
    pol = LoginPolicy(whitelist=["10.0.0.0/8", "203.0.113.7", "2001:db8::/32"])
    assert pol.allows("10.200.1.1") and pol.allows("203.0.113.7") and pol.allows("2001:db8::5")
    assert pol.allows("::ffff:10.1.1.1")                  # an IPv4 peer seen through an IPv6 socket
    assert not pol.allows("203.0.113.8") and not pol.allows("192.168.1.1") and not pol.allows("nonsense")
    assert LoginPolicy().allows("198.51.100.1")           # an empty list lets any source in


def test_the_week_mask_starts_on_monday_in_china_standard_time():
    monday_nine_cst = datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc)
    mask = ["0"] * 168
    mask[9] = "1"
    assert login_policy._in_hours("".join(mask), monday_nine_cst)
    assert not login_policy._in_hours("".join(mask), monday_nine_cst + timedelta(hours=1))
    assert login_policy._in_hours("", monday_nine_cst)


def test_public_keys_parse_from_lines_blobs_and_asyncssh_keys():
    key = asyncssh.generate_private_key("ssh-ed25519", comment="me@laptop")
    line = key.export_public_key().decode().strip()
    kind, blob, comment = login._parse_key(line)
    assert (kind, comment) == ("ssh-ed25519", "me@laptop") and blob == key.public_data
    assert login._parse_key(key.public_data)[1] == blob == login._parse_key(key.convert_to_public())[1]
    assert login.fingerprint(line) == key.get_fingerprint("sha256")
    for bad in ("ssh-ed25519", "ssh-ed25519 !!!", f"ssh-rsa {line.split()[1]}", "ssh-dss AAAAB3NzaC1kc3MAAA=="):
        with pytest.raises(ValueError):
            login._parse_key(bad)


def _modules_of(text: str) -> list:
    """The dark modules the inverted half-block rendering shows (blank halves are dark)."""
    top = {"█": 0, "▄": 1, "▀": 0, " ": 1}
    bottom = {"█": 0, "▄": 0, "▀": 1, " ": 1}
    rows = []
    for line in text.splitlines():
        rows.append([top[c] for c in line])
        rows.append([bottom[c] for c in line])
    return rows


def test_the_qr_text_is_the_otpauth_uri_as_half_blocks():
    uri = pyotp.TOTP(pyotp.random_base32()).provisioning_uri(name="alice@1000", issuer_name="Guardzone")
    text = login._qr_text(uri)
    lines = text.splitlines()
    assert len({len(line) for line in lines}) == 1 and set(text) <= set("█▀▄ \n")
    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    qr.add_data(uri)
    qr.make(fit=True)
    size = qr.modules_count
    shown = _modules_of(text)
    assert [row[2:2 + size] for row in shown[2:2 + size]] == [[int(m) for m in row] for row in qr.modules]
    assert all(m == 0 for m in shown[0] + shown[1])          # the quiet zone is light


def test_an_enrollment_does_not_show_its_secret_in_repr():
    enrollment = login.Enrollment("JBSWY3DPEHPK3PXP", "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", "qr")
    assert "JBSWY3DPEHPK3PXP" not in repr(enrollment)


def test_user_reads_as_a_record_and_as_attributes():
    user = credentials.User("1000", {"Id": 7, "UserName": "alice", "RealName": "Alice", "GroupIds": [3]})
    assert user["UserName"] == "alice" and user.get("GroupIds") == [3]
    assert (user.account, user.id, user.user_name, user.real_name, user.group_ids) == \
        ("1000", 7, "alice", "Alice", (3,))


def test_activation_codes_read_in_groups_and_any_case():
    assert login._code_key(" abcd-EFGH ijkl-mnop ") == "ABCDEFGHIJKLMNOP"
