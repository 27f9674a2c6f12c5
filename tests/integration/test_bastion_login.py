"""Bastion users logging in (layers/bastion/login.py) against the local stack: activation with a
real authenticator code, password + TOTP, lockout, the source whitelist, SSH keys, access
strings and the `guardzone bastion` commands; users are made and read through the official SDK."""
import json
import re
import string
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import asyncssh
import pyotp
import pytest
from click.testing import CliRunner

from infra.cli import main as cli
from layers.bastion import credentials, login, store
from layers.bastion.login import LoginRefused
from layers.gateway.errors import ApiError

PASSWORD = "tr0ub4dor3x"
IP = "198.51.100.20"


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(credentials, "now", c)
    return c


class Bastion:
    def __init__(self, sdk, account) -> None:
        self.client, self.uin = sdk("dasb", "2019-10-18"), account["OwnerUin"]

    def call(self, action: str, **params) -> dict:
        return self.client.call_json(action, params)["Response"]

    def user(self, name: str) -> int:
        return self.call("CreateUser", UserName=name, RealName=name.title(), Phone="13800000000")["Id"]

    def described(self, uid: int) -> dict:
        return self.call("DescribeUsers", IdSet=[uid])["UserSet"][0]

    def device_account(self, ip: str = "10.0.0.5", name: str = "root") -> int:
        (dev,) = self.call("ImportExternalDevice", DeviceSet=[{"OsName": "Linux", "Ip": ip, "Port": 22}])["DeviceIdSet"]
        return self.call("CreateDeviceAccount", DeviceId=dev, Account=name)["Id"]

    def credential(self, uid: int) -> dict:
        return store.get_many(self.uin, "credential", [uid]).get(uid, {})


@pytest.fixture
def bh(sdk, account):
    return Bastion(sdk, account)


def refused(fn, *args, **kwargs) -> LoginRefused:
    with pytest.raises(LoginRefused) as exc:
        fn(*args, **kwargs)
    return exc.value


def activate(bh, name: str, clock, password: str = PASSWORD) -> pyotp.TOTP:
    """Create (if needed) and activate a user; the clock is then one step past the code used."""
    code = login.issue_activation_code(bh.uin, name)
    totp = pyotp.TOTP(login.begin_activation(bh.uin, name, code).totp_secret)
    login.finish_activation(bh.uin, name, code, password, totp.at(clock.at))
    clock.move(seconds=30)
    return totp


def log_in(bh, name: str, totp: pyotp.TOTP, clock, ip: str = IP) -> login.User:
    user = login.check_password(bh.uin, name, PASSWORD, ip)
    login.check_totp(bh.uin, name, totp.at(clock.at), ip)
    login.record_success(bh.uin, name, ip)
    clock.move(seconds=30)
    return user


# ---- activation ----

def test_activation_with_an_authenticator_code_then_password_and_totp_login(bh, clock):
    uid = bh.user("alice")
    assert bh.described(uid)["ActiveStatus"] == 0
    assert refused(login.check_password, bh.uin, "alice", PASSWORD, IP).reason == "inactive"
    code = login.issue_activation_code(bh.uin, "alice")
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    assert refused(login.begin_activation, bh.uin, "alice", "AAAA-BBBB-CCCC-DDDD").reason == "bad_activation_code"
    assert refused(login.begin_activation, bh.uin, "nobody", code).reason == "bad_activation_code"

    enrollment = login.begin_activation(bh.uin, "alice", code.lower().replace("-", " "))
    uri = urlsplit(enrollment.otpauth_uri)
    query = parse_qs(uri.query)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert unquote(uri.path) == f"/Guardzone:alice@{bh.uin}" and query["issuer"] == ["Guardzone"]
    assert query["secret"] == [enrollment.totp_secret]
    assert "█" in enrollment.qr_text and len(enrollment.qr_text.splitlines()) > 10
    totp = pyotp.TOTP(enrollment.totp_secret)

    weak = refused(login.finish_activation, bh.uin, "alice", code, "password", totp.at(clock.at))
    assert weak.reason == "weak_password"
    assert refused(login.finish_activation, bh.uin, "alice", code, PASSWORD, "000000").reason == "bad_totp"
    login.finish_activation(bh.uin, "alice", code, PASSWORD, totp.at(clock.at))   # the code was not used up
    assert bh.described(uid)["ActiveStatus"] == 1
    assert refused(login.begin_activation, bh.uin, "alice", code).reason == "bad_activation_code"

    stored = bh.credential(uid)
    assert stored["Password"].startswith("scrypt$") and PASSWORD not in json.dumps(stored)
    assert enrollment.totp_secret not in json.dumps(stored) and "Activation" not in stored

    user = login.check_password(bh.uin, "alice", PASSWORD, IP)
    assert (user.id, user.user_name, user["UserName"], user.account) == (uid, "alice", "alice", bh.uin)
    # the activation's code was that step's: it does not log in again
    assert refused(login.check_totp, bh.uin, "alice", totp.at(clock.at), IP).reason == "bad_totp"
    clock.move(seconds=30)
    login.check_totp(bh.uin, "alice", totp.at(clock.at), IP)
    login.record_success(bh.uin, "alice", IP)


def test_an_activation_code_expires_after_a_day_and_a_new_one_replaces_it(bh, clock):
    bh.user("bob")
    old = login.issue_activation_code(bh.uin, "bob")
    clock.move(hours=24, seconds=1)
    assert refused(login.begin_activation, bh.uin, "bob", old).reason == "bad_activation_code"
    first, second = login.issue_activation_code(bh.uin, "bob"), login.issue_activation_code(bh.uin, "bob")
    assert refused(login.begin_activation, bh.uin, "bob", first).reason == "bad_activation_code"
    login.begin_activation(bh.uin, "bob", second)
    clock.move(hours=23)
    totp = pyotp.TOTP(login.begin_activation(bh.uin, "bob", second).totp_secret)     # a second secret
    login.finish_activation(bh.uin, "bob", second, PASSWORD, totp.at(clock.at))
    assert refused(login.finish_activation, bh.uin, "bob", second, PASSWORD, totp.at(clock.at)).reason == \
        "bad_activation_code"
    with pytest.raises(ApiError) as exc:
        login.issue_activation_code(bh.uin, "nobody")
    assert exc.value.code == "ResourceNotFound"


def test_finishing_needs_a_started_activation(bh, clock):
    bh.user("cleo")
    code = login.issue_activation_code(bh.uin, "cleo")
    assert refused(login.finish_activation, bh.uin, "cleo", code, PASSWORD, "123456").reason == \
        "bad_activation_code"


# ---- password and TOTP ----

def test_unknown_users_and_wrong_passwords_read_alike_and_take_the_same_time(bh, clock, monkeypatch):
    bh.user("dana")
    activate(bh, "dana", clock)
    bh.user("ezra")                                   # never activated
    runs = []
    real = credentials._scrypt
    monkeypatch.setattr(credentials, "_scrypt", lambda *a: runs.append(1) or real(*a))
    outcomes = {}
    for name, password in (("nobody", PASSWORD), ("dana", "wrong-pass1"), ("ezra", PASSWORD)):
        runs.clear()
        started = time.monotonic()
        exc = refused(login.check_password, bh.uin, name, password, IP)
        assert time.monotonic() - started >= login.REFUSAL_FLOOR
        outcomes[name] = (exc.reason, str(exc), len(runs))
    assert outcomes["nobody"] == ("unknown_user", str(LoginRefused("bad_password")), 1)
    assert outcomes["dana"] == ("bad_password", str(LoginRefused("unknown_user")), 1)
    assert outcomes["ezra"][0] == "inactive" and outcomes["ezra"][2] == 1


def test_a_totp_code_works_once_even_when_two_logins_race(bh, clock):
    bh.user("finn")
    totp = activate(bh, "finn", clock)
    code = totp.at(clock.at)

    def attempt(_):
        try:
            login.check_totp(bh.uin, "finn", code, IP)
            return "ok"
        except LoginRefused as exc:
            return exc.reason

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(attempt, range(2))) == ["bad_totp", "ok"]
    assert refused(login.check_totp, bh.uin, "finn", code, IP).reason == "bad_totp"
    # a step later, the used step's code is still within the window, and still refused
    clock.move(seconds=30)
    assert refused(login.check_totp, bh.uin, "finn", totp.at(clock.at - timedelta(seconds=30)), IP).reason == \
        "bad_totp"
    login.check_totp(bh.uin, "finn", totp.at(clock.at), IP)


def test_a_user_outside_its_validity_period_cannot_log_in(bh, clock):
    uid = bh.user("gwen")
    activate(bh, "gwen", clock)
    bh.call("ModifyUser", Id=uid, RealName="Gwen", Phone="13800000000", Email="",
            ValidateTo=(clock.at - timedelta(days=1)).isoformat())
    exc = refused(login.check_password, bh.uin, "gwen", PASSWORD, IP)
    assert exc.reason == "inactive" and "validity" in str(exc)


# ---- lockout ----

def test_failures_lock_the_user_until_the_lock_time_passes(bh, clock):
    login.set_policy(bh.uin, max_failures=3, lock_minutes=10)
    uid = bh.user("hugo")
    totp = activate(bh, "hugo", clock)
    for _ in range(2):
        assert refused(login.check_password, bh.uin, "hugo", "bad-pass-1", IP).reason == "bad_password"
    login.check_password(bh.uin, "hugo", PASSWORD, IP)        # a right password alone resets nothing
    assert refused(login.check_totp, bh.uin, "hugo", "000000", IP).reason == "bad_totp"
    assert bh.described(uid)["LockStatus"] == 1
    assert refused(login.check_password, bh.uin, "hugo", PASSWORD, IP).reason == "locked"
    assert refused(login.check_totp, bh.uin, "hugo", totp.at(clock.at), IP).reason == "locked"
    clock.move(minutes=9, seconds=59)
    assert refused(login.check_password, bh.uin, "hugo", PASSWORD, IP).reason == "locked"
    clock.move(seconds=1)
    log_in(bh, "hugo", totp, clock)
    assert bh.described(uid)["LockStatus"] == 0
    assert "LockedUntil" not in store.get_many(bh.uin, "user", [uid])[uid]


def test_a_successful_login_resets_the_count(bh, clock):
    login.set_policy(bh.uin, max_failures=3)
    uid = bh.user("ines")
    totp = activate(bh, "ines", clock)
    for _ in range(2):
        refused(login.check_password, bh.uin, "ines", "bad-pass-1", IP)
    log_in(bh, "ines", totp, clock)
    for _ in range(2):
        refused(login.check_password, bh.uin, "ines", "bad-pass-1", IP)
    assert bh.described(uid)["LockStatus"] == 0
    login.check_password(bh.uin, "ines", PASSWORD, IP)


def test_reset_user_unlocks_and_forgets_the_secrets_but_keeps_the_keys(bh, clock):
    login.set_policy(bh.uin, max_failures=3)
    uid = bh.user("jake")
    activate(bh, "jake", clock)
    key = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    login.add_public_key(bh.uin, "jake", key)
    login.create_access_string(bh.uin, "jake", bh.device_account(), None)
    for _ in range(3):
        refused(login.check_password, bh.uin, "jake", "bad-pass-1", IP)
    assert bh.described(uid)["LockStatus"] == 1

    bh.call("ResetUser", IdSet=[uid])
    described = bh.described(uid)
    assert (described["LockStatus"], described["ActiveStatus"]) == (0, 0)
    assert bh.credential(uid) == {"Id": uid, "Keys": [key.strip()]}
    assert refused(login.check_password, bh.uin, "jake", PASSWORD, IP).reason == "inactive"
    assert refused(login.check_public_key, bh.uin, "jake", key).reason == "inactive"

    totp = activate(bh, "jake", clock, password="n3w-passw0rd")
    assert refused(login.check_password, bh.uin, "jake", PASSWORD, IP).reason == "bad_password"
    login.check_password(bh.uin, "jake", "n3w-passw0rd", IP)
    login.check_totp(bh.uin, "jake", totp.at(clock.at), IP)


def test_delete_users_takes_the_credentials_along(bh, clock):
    uid = bh.user("kira")
    activate(bh, "kira", clock)
    bh.call("DeleteUsers", IdSet=[uid])
    assert bh.credential(uid) == {}


# ---- the login policy and the whitelist ----

def test_the_policy_has_defaults_and_checks_its_ranges(bh):
    pol = login.policy(bh.uin)
    assert (pol.max_failures, pol.lock_minutes, pol.idle_minutes, pol.whitelist, pol.whitelist_auto_add) == \
        (5, 30, 30, [], False)
    changed = login.set_policy(bh.uin, idle_minutes=10, whitelist=["10.1.2.3/8", "203.0.113.7", "10.0.0.0/8"])
    assert (changed.idle_minutes, changed.whitelist, changed.max_failures) == (10, ["10.0.0.0/8", "203.0.113.7"], 5)
    assert login.policy(bh.uin) == changed
    for bad in ({"max_failures": 2}, {"lock_minutes": 45}, {"idle_minutes": "20"}, {"whitelist": ["10.0.0.0/33"]},
                {"whitelist": "10.0.0.1"}, {"whitelist_auto_add": 1}):
        with pytest.raises(ApiError):
            login.set_policy(bh.uin, **bad)
    with pytest.raises(TypeError):
        login.set_policy(bh.uin, lockout=3)
    assert login.policy(bh.uin) == changed


def test_the_whitelist_admits_listed_addresses_and_cidrs(bh, clock):
    bh.user("liam")
    totp = activate(bh, "liam", clock)
    login.set_policy(bh.uin, whitelist=["10.0.0.0/8", "203.0.113.7"])
    for ip in ("192.168.1.1", "203.0.113.8", "not-an-ip"):
        assert refused(login.check_source, bh.uin, ip).reason == "ip_not_allowed"
        assert refused(login.check_password, bh.uin, "liam", PASSWORD, ip).reason == "ip_not_allowed"
    login.check_source(bh.uin, "10.20.30.40")
    log_in(bh, "liam", totp, clock, ip="10.20.30.40")
    log_in(bh, "liam", totp, clock, ip="203.0.113.7")
    assert login.policy(bh.uin).whitelist == ["10.0.0.0/8", "203.0.113.7"]      # nothing added


def test_automatic_whitelisting_adds_the_address_of_a_successful_login(bh, clock):
    bh.user("mona")
    totp = activate(bh, "mona", clock)
    dacc = bh.device_account()
    secret = login.create_access_string(bh.uin, "mona", dacc, None)
    login.set_policy(bh.uin, whitelist=["10.0.0.0/8"], whitelist_auto_add=True)

    login.check_source(bh.uin, "203.0.113.5")                 # learning: any address may try
    log_in(bh, "mona", totp, clock, ip="203.0.113.5")
    log_in(bh, "mona", totp, clock, ip="10.9.9.9")            # already covered: not added again
    assert login.policy(bh.uin).whitelist == ["10.0.0.0/8", "203.0.113.5"]
    # a single-factor login given its address keeps to the list
    assert refused(login.check_access_string, bh.uin, "mona", dacc, secret, source_ip="198.51.100.9").reason == \
        "ip_not_allowed"
    login.check_access_string(bh.uin, "mona", dacc, secret, source_ip="203.0.113.5")

    login.set_policy(bh.uin, whitelist_auto_add=False)
    assert refused(login.check_password, bh.uin, "mona", PASSWORD, "198.51.100.9").reason == "ip_not_allowed"
    log_in(bh, "mona", totp, clock, ip="203.0.113.5")


def test_automatic_whitelisting_starts_from_an_empty_list(bh, clock):
    bh.user("nils")
    totp = activate(bh, "nils", clock)
    login.set_policy(bh.uin, whitelist_auto_add=True)
    log_in(bh, "nils", totp, clock, ip="::ffff:192.0.2.44")
    assert login.policy(bh.uin).whitelist == ["192.0.2.44"]


# ---- SSH keys and access strings ----

def test_public_keys_authorize_a_user(bh, clock):
    login.set_policy(bh.uin, max_failures=3)
    uid = bh.user("olga")
    mine, other = (asyncssh.generate_private_key(kind) for kind in ("ssh-ed25519", "ecdsa-sha2-nistp256"))
    line = mine.export_public_key().decode()
    assert login.add_public_key(bh.uin, "olga", line) == mine.get_fingerprint("sha256")
    assert refused(login.check_public_key, bh.uin, "olga", mine.convert_to_public()).reason == "inactive"
    activate(bh, "olga", clock)
    assert login.check_public_key(bh.uin, "olga", mine.convert_to_public()).id == uid
    assert login.check_public_key(bh.uin, "olga", line).id == uid
    for _ in range(3):       # a key the client offers in vain is not a failed login
        assert refused(login.check_public_key, bh.uin, "olga", other.public_data).reason == "bad_password"
    assert bh.described(uid)["LockStatus"] == 0
    login.add_public_key(bh.uin, "olga", other.export_public_key().decode())
    assert len(login.public_keys(bh.uin, "olga")) == 2
    assert login.remove_public_key(bh.uin, "olga", mine.get_fingerprint("sha256"))
    assert not login.remove_public_key(bh.uin, "olga", line)
    assert login.public_keys(bh.uin, "olga") == [other.export_public_key().decode().strip()]
    assert refused(login.check_public_key, bh.uin, "olga", line).reason == "bad_password"
    with pytest.raises(ApiError):
        login.add_public_key(bh.uin, "olga", "ssh-ed25519 not-base64")


def test_access_strings_are_per_device_account_replaceable_and_expire(bh, clock):
    login.set_policy(bh.uin, max_failures=3)
    uid = bh.user("pete")
    activate(bh, "pete", clock)
    root, admin = bh.device_account("10.0.0.7", "root"), bh.device_account("10.0.0.8", "admin")
    first = login.create_access_string(bh.uin, "pete", root, None)
    assert len(first) == 16 and set(first) <= set(string.ascii_letters + string.digits)
    assert first not in json.dumps(bh.credential(uid))
    login.check_access_string(bh.uin, "pete", root, first)
    assert refused(login.check_access_string, bh.uin, "pete", admin, first).reason == "bad_password"

    second = login.create_access_string(bh.uin, "pete", root, None)
    assert refused(login.check_access_string, bh.uin, "pete", root, first).reason == "bad_password"
    login.check_access_string(bh.uin, "pete", root, second)
    # typed at the password prompt (as the gateway allows) it is no failed password
    for _ in range(3):
        assert refused(login.check_password, bh.uin, "pete", second, IP).reason == "bad_password"
    assert bh.described(uid)["LockStatus"] == 0

    expiring = login.create_access_string(bh.uin, "pete", admin, clock.at + timedelta(hours=1))
    login.check_access_string(bh.uin, "pete", admin, expiring)
    clock.move(hours=1)
    assert refused(login.check_access_string, bh.uin, "pete", admin, expiring).reason == "bad_password"
    naive_cst = (clock.at + timedelta(hours=9)).replace(tzinfo=None)       # +08:00 when no offset: 1 h ahead
    login.check_access_string(bh.uin, "pete", admin, login.create_access_string(bh.uin, "pete", admin, naive_cst))
    with pytest.raises(ApiError):
        login.create_access_string(bh.uin, "pete", admin, clock.at - timedelta(minutes=1))
    with pytest.raises(ApiError) as exc:
        login.create_access_string(bh.uin, "pete", admin + 100, None)
    assert exc.value.code == "ResourceNotFound"

    assert login.revoke_access_string(bh.uin, "pete", root)
    assert refused(login.check_access_string, bh.uin, "pete", root, second).reason == "bad_password"
    third = login.create_access_string(bh.uin, "pete", root, None)
    bh.call("DeleteDeviceAccounts", IdSet=[root])
    assert refused(login.check_access_string, bh.uin, "pete", root, third).reason == "bad_password"


# ---- what the control plane shows ----

def test_describe_users_never_shows_a_credential(bh, clock):
    login.set_policy(bh.uin, max_failures=3)
    uid = bh.user("rosa")
    activate(bh, "rosa", clock)
    login.add_public_key(bh.uin, "rosa", asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode())
    secret = login.create_access_string(bh.uin, "rosa", bh.device_account(), None)
    code = login.issue_activation_code(bh.uin, "rosa")
    for _ in range(3):
        refused(login.check_password, bh.uin, "rosa", "bad-pass-1", IP)
    stored = {**store.get_many(bh.uin, "user", [uid])[uid], **bh.credential(uid)}
    described = bh.described(uid)
    assert set(described) == {"Id", "UserName", "RealName", "Phone", "Email", "ValidateFrom", "ValidateTo",
                              "GroupSet", "AuthType", "ValidateTime", "Department", "DepartmentId",
                              "ActiveStatus", "LockStatus", "AclVersion", "Status", "UKeyStatus"}
    text = json.dumps(bh.call("DescribeUsers"))
    hidden = [PASSWORD, secret, code, stored["Password"], stored["Totp"]["s"], stored["Keys"][0].split()[1],
              stored["LockedUntil"], "scrypt"] + [e["Hash"] for e in stored["AccessStrings"].values()]
    for value in hidden:
        assert value not in text


# ---- the commands ----

def test_the_bastion_commands(bh, clock):
    runner = CliRunner()

    def run(*args) -> str:
        result = runner.invoke(cli, ["bastion", *args])
        assert result.exit_code == 0, result.output
        return result.output

    bh.user("sara")
    code = run("activation-code", "--account", bh.uin, "--user", "sara").strip()
    totp = pyotp.TOTP(login.begin_activation(bh.uin, "sara", code).totp_secret)
    login.finish_activation(bh.uin, "sara", code, PASSWORD, totp.at(clock.at))

    shown = json.loads(run("login-policy", "--account", bh.uin))
    assert shown == {"max_failures": 5, "lock_minutes": 30, "idle_minutes": 30, "whitelist": [],
                     "whitelist_auto_add": False}
    shown = json.loads(run("login-policy", "--account", bh.uin, "--max-failures", "4", "--lock-minutes", "20",
                           "--idle-minutes", "15", "--whitelist", "10.0.0.0/8, 203.0.113.7", "--auto-add-whitelist"))
    assert shown == {"max_failures": 4, "lock_minutes": 20, "idle_minutes": 15,
                     "whitelist": ["10.0.0.0/8", "203.0.113.7"], "whitelist_auto_add": True}
    shown = json.loads(run("login-policy", "--account", bh.uin, "--whitelist", "", "--no-auto-add-whitelist"))
    assert (shown["whitelist"], shown["whitelist_auto_add"], shown["max_failures"]) == ([], False, 4)
    bad = runner.invoke(cli, ["bastion", "login-policy", "--account", bh.uin, "--max-failures", "9"])
    assert bad.exit_code != 0 and "InvalidParameterValue" in bad.output

    key = asyncssh.generate_private_key("ssh-ed25519", comment="sara@laptop")
    line = key.export_public_key().decode().strip()
    added = json.loads(run("user-key", "add", "--account", bh.uin, "--user", "sara", "--key", line))
    assert added == {"UserName": "sara", "Fingerprint": key.get_fingerprint("sha256")}
    listed = json.loads(run("user-key", "list", "--account", bh.uin, "--user", "sara"))
    assert listed == [{"Key": line, "Fingerprint": key.get_fingerprint("sha256")}]
    login.check_public_key(bh.uin, "sara", key.public_data)
    removed = json.loads(run("user-key", "remove", "--account", bh.uin, "--user", "sara",
                             "--key", key.get_fingerprint("sha256")))
    assert removed == {"UserName": "sara", "Removed": True}
    assert json.loads(run("user-key", "list", "--account", bh.uin, "--user", "sara")) == []

    dacc = bh.device_account()
    secret = run("access-string", "--account", bh.uin, "--user", "sara", "--device-account", str(dacc),
                 "--expires", (clock.at + timedelta(days=1)).isoformat()).strip()
    login.check_access_string(bh.uin, "sara", dacc, secret)
    missing = runner.invoke(cli, ["bastion", "access-string", "--account", bh.uin, "--user", "nobody",
                                  "--device-account", str(dacc)])
    assert missing.exit_code != 0 and "ResourceNotFound" in missing.output
