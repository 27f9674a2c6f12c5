"""ModifyOAuthSetting and OAuth sign-in for bastion users (AuthType 2): a tiny OAuth 2.0 provider
runs in the test (http.server: /authorize, /token, /userinfo), a browser is played with urllib
(no redirects followed, the cookie carried by hand), and the one-time credential the callback page
shows logs in to the SSH gateway in place of password and code."""
import base64
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from bastion_helpers import Bastion, new_account
from layers.bastion import oauth_setting
from session_feed import deliver
from ssh_support import connect, run
from test_ssh_gateway import make_demo, target  # noqa: F401 (target is a fixture)

pytestmark = pytest.mark.usefixtures("clock")
SECRET = "pr0vider-s3cret-" + "x" * 8


# ---- the provider ----

class Provider:
    """An authorization server: codes for whoever `claims` names, Basic client authentication."""

    def __init__(self) -> None:
        self.client_id, self.secret = "gz-bastion", SECRET
        self.claims = {}
        self.codes, self.tokens, self.seen = {}, {}, []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def json(self, status, data):
                self.reply(status, json.dumps(data).encode(), [("Content-Type", "application/json")])

            def do_GET(self):
                url = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                provider.seen.append((url.path, q, dict(self.headers)))
                if url.path == "/authorize":
                    if q.get("client_id") != provider.client_id or q.get("response_type") != "code":
                        return self.reply(400)
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = (q["redirect_uri"], dict(provider.claims))
                    back = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
                    return self.reply(302, headers=[("Location", back)])
                if url.path == "/userinfo":
                    claims = provider.tokens.get(self.headers.get("Authorization", "").removeprefix("Bearer "))
                    return self.json(200, claims) if claims is not None else self.json(401, {"error": "invalid_token"})
                self.reply(404)

            def do_POST(self):
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                provider.seen.append((self.path, form, dict(self.headers)))
                basic = base64.b64encode(f"{provider.client_id}:{provider.secret}".encode()).decode()
                if self.path != "/token" or self.headers.get("Authorization") != f"Basic {basic}":
                    return self.json(401, {"error": "invalid_client"})
                issued = provider.codes.pop(form.get("code", ""), None)
                if form.get("grant_type") != "authorization_code" or not issued or issued[0] != form.get("redirect_uri"):
                    return self.json(400, {"error": "invalid_grant"})
                token = secrets.token_urlsafe(16)
                provider.tokens[token] = issued[1]
                self.json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 300})

        return Handler


@pytest.fixture(scope="module")
def idp():
    p = Provider()
    p.thread.start()
    yield p
    p.server.shutdown()
    p.server.server_close()


def enable(bh: Bastion, idp: Provider, **extra) -> dict:
    return bh.call("ModifyOAuthSetting", Enable=True, AuthMethod="okta", ClientId=idp.client_id,
                   ClientSecret=idp.secret, CodeUrl=f"{idp.url}/authorize", TokenUrl=f"{idp.url}/token",
                   UserInfoUrl=f"{idp.url}/userinfo", **extra)


# ---- a browser ----

class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


_browser = urllib.request.build_opener(_Stay())


def get(url: str, cookie: str = ""):
    """(status, headers, body) without following redirects."""
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with _browser.open(req, timeout=20) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def sign_in(stack, account: dict, idp: Provider, claims: dict, *, cookie: bool = True):
    """The whole browser round: login page -> provider -> callback page; (status, body)."""
    idp.claims = claims
    status, headers, _ = get(f"http://{stack.endpoint}/bastion/oauth/login?account={account['OwnerUin']}")
    assert status == 302, status
    jar = headers["Set-Cookie"].split(";")[0]
    status, headers, _ = get(headers["Location"])
    assert status == 302
    status, _, body = get(headers["Location"], jar if cookie else "")
    return status, body


def credential_of(body: str) -> str:
    return re.search(r'<code id="credential">([A-Za-z0-9]+)</code>', body).group(1)


def reason_of(body: str) -> str:
    return re.search(r'data-reason="([a-z_]+)"', body).group(1)


# ---- ModifyOAuthSetting ----

def test_modify_oauth_setting_seals_the_secret_and_keeps_what_is_not_sent(bh, other, audit, idp):
    owner = bh.acct["OwnerUin"]
    answer = enable(bh, idp, Scopes=["openid", "profile", "openid"])
    assert set(answer) == {"RequestId"}
    rec = oauth_setting.record(owner)
    assert SECRET not in json.dumps(rec) and rec["Scopes"] == ["openid", "profile"] and rec["AuthMethod"] == "okta"
    provider = oauth_setting.provider(owner)
    assert provider.client_secret == SECRET and SECRET not in repr(provider)
    event = {e["RequestId"]: e for e in audit.collect(wait_for=1)}[answer["RequestId"]]
    assert event["EventName"] == "ModifyOAuthSetting" and event["RequestParameters"]["ClientSecret"] == "******"
    assert SECRET not in json.dumps(event)
    # a change of one URL keeps the secret; Enable false turns sign-in off and keeps the rest
    bh.call("ModifyOAuthSetting", Enable=True, TokenUrl=f"{idp.url}/token2")
    provider = oauth_setting.provider(owner)
    assert provider.token_url.endswith("/token2") and provider.client_secret == SECRET
    bh.call("ModifyOAuthSetting", Enable=False)
    assert oauth_setting.provider(owner) is None and oauth_setting.record(owner)["ClientId"] == idp.client_id
    assert oauth_setting.record(other.acct["OwnerUin"]) is None          # another account sees nothing


def test_modify_oauth_setting_validation(bh, idp):
    base = dict(Enable=True, ClientId="c", ClientSecret="s", CodeUrl=f"{idp.url}/a", TokenUrl=f"{idp.url}/t",
                UserInfoUrl=f"{idp.url}/u")
    assert bh.error("ModifyOAuthSetting", Enable=True, ClientId="c") == "MissingParameter"
    assert bh.raw_error("ModifyOAuthSetting", ClientId="c") == "MissingParameter"
    for name, bad in [("CodeUrl", "ftp://idp/authorize"), ("TokenUrl", "idp/token"), ("UserInfoUrl", ""),
                      ("CodeUrl", "https://user:pw@idp/authorize"), ("TokenUrl", "https://idp/t#x"),
                      ("AuthMethod", "ok ta"), ("ClientSecret", ""), ("ClientId", "a b")]:
        assert bh.error("ModifyOAuthSetting", **{**base, name: bad}) == "InvalidParameterValue", (name, bad)
    assert bh.error("ModifyOAuthSetting", **base, Scopes=["open id"]) == "InvalidParameterValue"
    assert bh.raw_error("ModifyOAuthSetting", **{**base, "Enable": "yes"}) == "InvalidParameter"
    assert oauth_setting.record(bh.acct["OwnerUin"]) is None              # nothing written by a refusal
    bh.call("ModifyOAuthSetting", Enable=False, CodeUrl="https://idp.example/authorize")   # off: partial is fine
    assert oauth_setting.record(bh.acct["OwnerUin"])["CodeUrl"] == "https://idp.example/authorize"


def test_tccli_modify_oauth_setting(stack, tmp_path, idp):
    acct = new_account()
    tccli = str(Path(sys.executable).parent / "tccli")
    cmd = [tccli, "dasb", "ModifyOAuthSetting", "--Enable", "true", "--ClientId", "cli", "--ClientSecret", SECRET,
           "--CodeUrl", f"{idp.url}/authorize", "--TokenUrl", f"{idp.url}/token",
           "--UserInfoUrl", f"{idp.url}/userinfo", "--Scopes", '["openid"]', "--region", "ap-guangzhou",
           "--endpoint", f"http://{stack.endpoint}", "--secretId", acct["SecretId"], "--secretKey", acct["SecretKey"]]
    done = subprocess.run(cmd, env={**os.environ, "HOME": str(tmp_path)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    assert set(json.loads(done.stdout)) == {"RequestId"} and SECRET not in done.stdout
    assert oauth_setting.provider(acct["OwnerUin"]).scopes == ("openid",)
    bad = subprocess.run([*cmd[:4], "false", "--CodeUrl", "gopher://x", *cmd[-8:]],
                         env={**os.environ, "HOME": str(tmp_path)}, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "InvalidParameterValue" in bad.stdout + bad.stderr


# ---- sign-in ----

@pytest.fixture(scope="module")
def site(stack, target, idp):    # noqa: F811 (target is the imported fixture)
    """A demo bastion (device, hosted password, a local user) with OAuth on and two OAuth users
    allowed to reach the device."""
    from ssh_support import Clock
    demo = make_demo(stack, target, Clock())
    bh = Bastion(stack.endpoint, demo.account)
    enable(bh, idp)
    suffix = uuid.uuid4().hex[:6]
    names = [f"alice{suffix}", f"bob{suffix}"]
    ids = [bh.user(n, AuthType=2) for n in names]
    bh.call("CreateAcl", Name=f"oauth-{suffix}", AllowDiskRedirect=False, AllowAnyAccount=True, UserIdSet=ids,
            DeviceIdSet=[demo.kept["device_id"]], AllowKeyboardLogger=False)
    return demo, bh, names


def test_sign_in_then_log_in_with_the_one_time_credential(stack, gateway, idp, site, clock):
    demo, bh, (alice, bob) = site
    owner = bh.acct["OwnerUin"]
    assert bh.call("DescribeUsers", UserName=alice)["UserSet"][0]["ActiveStatus"] == 0
    status, body = sign_in(stack, bh.acct, idp, {"sub": "0001", "preferred_username": alice})
    assert status == 200, body
    ticket = credential_of(body)
    authorize = next(q for path, q, _ in reversed(idp.seen) if path == "/authorize")
    assert authorize["scope"] == "openid profile email" and authorize["state"].startswith(owner + ".")
    assert authorize["redirect_uri"] == f"http://{stack.endpoint}/bastion/oauth/callback"
    assert bh.call("DescribeUsers", UserName=alice)["UserSet"][0]["ActiveStatus"] == 1    # the sign-in activated

    async def scenario():
        c = await connect(gateway.port, f"{alice}/root/127.0.0.1", {"Password": ticket})
        assert c.error is None, c.client.notices
        assert c.client.prompts == ["Password: "]                  # no verification code
        async with c.conn:
            done = await c.conn.run("echo via-oauth", check=False)
            assert done.stdout == "via-oauth\n"
        again = await connect(gateway.port, f"{alice}/root/127.0.0.1", {"Password": ticket})
        assert again.error is not None and any("wrong user name" in n for n in again.client.notices)
        # a new sign-in: the plain password method takes it too (clients without keyboard-interactive)
        _, body2 = sign_in(stack, bh.acct, idp, {"preferred_username": alice})
        plain = await connect(gateway.port, f"{alice}@{owner}/root/127.0.0.1", {"password-method": credential_of(body2)},
                              kbdint=False)
        assert plain.error is None
        plain.conn.close()
        # one user's credential is not another's; an expired one does not work
        _, body3 = sign_in(stack, bh.acct, idp, {"username": bob})
        _, body4 = sign_in(stack, bh.acct, idp, {"preferred_username": alice})
        wrong_user = await connect(gateway.port, f"{bob}/root/127.0.0.1", {"Password": credential_of(body4)})
        assert wrong_user.error is not None
        clock.offset += 301
        late = await connect(gateway.port, f"{bob}/root/127.0.0.1", {"Password": credential_of(body3)})
        assert late.error is not None
    run(scenario())

    deliver(stack)
    events = bh.call("DescribeLoginEvent", UserName=alice)["LoginEventSet"]
    seen = [(e["Entry"], e["Result"]) for e in events if e["UserName"] == alice]
    assert seen.count((3, 1)) == 3 and seen.count((1, 1)) == 2 and (1, 2) in seen


def test_refusals_show_a_page_and_are_login_events(stack, idp, site, other):
    demo, bh, (alice, _) = site
    # OAuth off for the account, or no account named
    status, _, body = get(f"http://{stack.endpoint}/bastion/oauth/login?account={other.acct['OwnerUin']}")
    assert status == 403 and reason_of(body) == "oauth_disabled"
    assert get(f"http://{stack.endpoint}/bastion/oauth/login")[0] == 400
    # a user the account does not have; a local (AuthType 0) user
    status, body = sign_in(stack, bh.acct, idp, {"preferred_username": "nobody-here"})
    assert status == 403 and reason_of(body) == "unknown_user"
    status, body = sign_in(stack, bh.acct, idp, {"preferred_username": demo.kept["user"]})
    assert status == 403 and reason_of(body) == "wrong_auth_type"
    # the state: not from this browser (no cookie), tampered, or for another account
    status, body = sign_in(stack, bh.acct, idp, {"preferred_username": alice}, cookie=False)
    assert status == 400 and reason_of(body) == "bad_state"
    status, headers, _ = get(f"http://{stack.endpoint}/bastion/oauth/login?account={bh.acct['OwnerUin']}")
    jar = headers["Set-Cookie"].split(";")[0]
    state = parse_qs(urlsplit(headers["Location"]).query)["state"][0]
    callback = f"http://{stack.endpoint}/bastion/oauth/callback?code=x&state="
    assert reason_of(get(callback + state[:-4] + "AAAA", jar)[2]) == "bad_state"
    assert reason_of(get(callback + other.acct["OwnerUin"] + state[state.index("."):], jar)[2]) == "bad_state"
    # the provider refuses: the user denied consent, or the client secret is wrong
    status, _, body = get(callback.replace("code=x", "error=access_denied") + state, jar)
    assert status == 403 and reason_of(body) == "provider_error" and "access_denied" in body
    bh.call("ModifyOAuthSetting", Enable=True, ClientSecret="not-the-secret")
    try:
        status, body = sign_in(stack, bh.acct, idp, {"preferred_username": alice})
        assert status == 502 and reason_of(body) == "provider_error" and "invalid_client" in body
        assert "not-the-secret" not in body
    finally:
        bh.call("ModifyOAuthSetting", Enable=True, ClientSecret=SECRET)
    deliver(stack)
    failed = bh.call("DescribeLoginEvent", Entry=3, Result=2)
    # every refusal but the state naming another account; the user is named once the provider said who
    assert failed["TotalCount"] == 6
    assert sorted(e["UserName"] for e in failed["LoginEventSet"]) == sorted(["", "", "", "", "nobody-here",
                                                                             demo.kept["user"]])
    assert other.call("DescribeLoginEvent")["TotalCount"] == 0          # nothing filed under the other account
