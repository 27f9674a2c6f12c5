"""The console in a real browser (headless Chromium): sign in with SecretId/SecretKey (the key
never leaves the page: the browser signs GetFederationToken itself), search the audit trail with
load more, open an event, export to CSV and download it; an API error shows its Code and Message;
an expired temporary key sends the user back to sign-in. Screenshots: test-artifacts/console/."""
import csv
import io
import json
import time
import urllib.request

import pytest
from selenium.webdriver.support.ui import Select

from helpers import common_client
from layers import identity


@pytest.fixture(scope="module")
def acct(stack):
    a = identity.create_account("console")
    return {**a, **identity.create_key(a["OwnerUin"])}


def test_sign_in_search_open_and_export(stack, console, acct, pump):
    # 22 calls of this account to find (2 actions: under the 20/s limit), beside the sign-in itself
    c = common_client(stack.endpoint, acct, "cloudaudit", "2019-03-04")
    now = int(time.time())
    for _ in range(11):
        c.call_json("DescribeExportTasks", {})
        c.call_json("LookupEvents", {"StartTime": now - 60, "EndTime": now})
    console.sign_in_key(acct)
    s = console.session()
    assert s["kind"] == "admin" and s["token"] and s["secretId"] != acct["SecretId"]
    assert acct["SecretKey"] not in json.dumps(s)          # only the temporary key is kept
    assert console.wait("#nav a[data-page=audit]").text == "CloudAudit"
    console.shot("01-signed-in")

    pump("audit_indexer")
    console.click("#audit-search button[type=submit]")
    console.wait("#audit-results table.grid tbody tr")
    assert len(console.find_all("#audit-results tbody tr")) == 20
    console.click("#audit-more")
    console.wait_until(lambda: len(console.find_all("#audit-results tbody tr")) > 20, what="the next page")
    names = [r.text for r in console.find_all("#audit-results tbody tr a.event-link")]
    assert "GetFederationToken" in names and names.count("DescribeExportTasks") == 11
    console.shot("02-results")

    # an attribute filter and a keyword
    console.click("#audit-search button.link")          # add a condition
    Select(console.wait(".attr-row select.attr-key")).select_by_value("EventName")
    console.fill(".attr-row input.attr-value", "GetFederationToken")
    console.click("#audit-search button[type=submit]")
    console.wait_until(lambda: [r.text for r in console.find_all("#audit-results tbody a.event-link")]
                       == ["GetFederationToken"], what="the filtered results")
    assert console.find("#audit-more").get_attribute("hidden") is not None

    console.click("#audit-results tbody tr")
    detail = json.loads(console.wait("#event-detail pre.json").text)
    assert detail["EventName"] == "GetFederationToken" and detail["SecretId"] == acct["SecretId"]
    assert detail["CloudAuditEvent"]["userIdentity"]["accountId"] == acct["OwnerUin"]
    console.shot("03-event-detail")
    console.click("dialog.modal .close")

    console.click("#audit-export")
    Select(console.wait("#export-form select[name=format]")).select_by_value("csv")
    console.click("#export-form button[type=submit]")
    console.wait_until(lambda: "export-" in console.find("#export-status").text or console.find_all(
        "#export-status .error"), what="the export task")
    assert not console.find_all("#export-status .error"), console.find("#export-status").text
    pump("audit_export")
    link = console.wait("#export-download", timeout=15)
    console.shot("04-export")
    with urllib.request.urlopen(link.get_attribute("href")) as got:
        rows = list(csv.reader(io.StringIO(got.read().decode("utf-8-sig"))))
    assert len(rows) == 2 and "GetFederationToken" in rows[1]
    console.click("dialog.modal .close")


def test_api_error_shows_code_and_message(console, acct):
    console.sign_in_key(acct)
    end = console.wait("#audit-search input[name=end]")
    console.driver.execute_script("arguments[0].value = '2001-01-01T00:00';", end)    # before the start
    console.click("#audit-search button[type=submit]")
    err = console.wait("#audit-message .error")
    assert err.get_attribute("data-code").startswith("InvalidParameterValue")
    assert console.find("#audit-message .error-message").text
    console.shot("05-api-error")


def test_wrong_secret_key_is_refused_at_sign_in(console, acct):
    console.clear_session()
    console.open("signin")
    console.fill("#signin-admin input[name=secretId]", acct["SecretId"])
    console.fill("#signin-admin input[name=secretKey]", "0" * 32)
    console.click("#signin-admin button[type=submit]")
    assert console.wait("#signin-message .error").get_attribute("data-code") == "AuthFailure.SignatureFailure"


def test_expired_temporary_key_goes_back_to_sign_in(stack, console, acct):
    """The gateway refuses the expired key (AuthFailure.TokenFailure) even when the page thinks it
    still has time: the page ends the session and says why."""
    sts = common_client(stack.endpoint, acct, "sts", "2018-08-13")
    pol = "%7B%22version%22%3A%222.0%22%2C%22statement%22%3A%5B%7B%22effect%22%3A%22allow%22%2C%22action%22%3A%22*%22%2C%22resource%22%3A%22*%22%7D%5D%7D"
    r = sts.call_json("GetFederationToken", {"Name": "short", "Policy": pol, "DurationSeconds": 1})["Response"]
    console.sign_in_key(acct)
    forged = {**console.session(), "secretId": r["Credentials"]["TmpSecretId"],
              "secretKey": r["Credentials"]["TmpSecretKey"], "token": r["Credentials"]["Token"],
              "expiredTime": int(time.time()) + 3600}
    console.driver.execute_script("sessionStorage.setItem('gz.session', arguments[0]);", json.dumps(forged))
    time.sleep(max(0.0, r["ExpiredTime"] - time.time() + 0.05))
    console.click("#audit-search button[type=submit]")
    notice = console.wait("#signin-notice")
    assert "expired" in notice.text and console.session() is None
    assert console.driver.current_url.endswith("#/signin")
    console.shot("06-expired")
