"""DescribeSessionRecording: a time-limited link to a finished session's recording, for the
account that owns the session only; the recordings bucket lets a browser (the console's player)
read the link from another origin."""
import hashlib
import time
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

from layers import aws
from layers.bastion import recording_store, sessions
from layers.config import settings

CAST = '{"version": 2, "width": 80, "height": 24}\n[0.5, "o", "$ "]\n[1.25, "o", "ls\\r\\n"]\n'


def finished_session(acct: dict, *, with_object: bool = True) -> str:
    sid = "s-" + uuid.uuid4().hex[:10]
    start = int(time.time() * 1000) - 60_000
    sessions.start(acct["OwnerUin"], {"Sid": sid, "UserName": "alice", "Account": "root", "Kind": 1,
                                      "Protocol": "SSH", "StartTime": start})
    key = recording_store.object_key(acct["OwnerUin"], sid, start / 1000)
    if with_object:
        aws.client("s3").put_object(Bucket=settings().recordings_bucket, Key=key, Body=CAST.encode())
    sessions.finish(acct["OwnerUin"], sid, end_ms=start + 30_000, status=2, size=len(CAST), count=1,
                    danger_count=0, record_key=key, record_sha256=hashlib.sha256(CAST.encode()).hexdigest(),
                    record_size=len(CAST))
    return sid


def test_the_owner_gets_a_link_a_browser_may_read_and_no_one_else_does(stack, bh, other):
    sid = finished_session(bh.acct)
    got = bh.call("DescribeSessionRecording", Sid=sid, ExpiresIn=120)
    assert set(got) == {"Url", "Size", "Sha256", "ExpireTime", "RequestId"}
    assert (got["Size"], got["Sha256"]) == (len(CAST), hashlib.sha256(CAST.encode()).hexdigest())
    query = parse_qs(urlsplit(got["Url"]).query)
    lasts = int(query["X-Amz-Expires"][0]) if "X-Amz-Expires" in query else int(query["Expires"][0]) - time.time()
    assert 110 <= lasts <= 121 and got["ExpireTime"].endswith("+08:00")
    with urllib.request.urlopen(urllib.request.Request(got["Url"], headers={"Origin": "http://127.0.0.1:1"})) as r:
        assert r.read().decode() == CAST
        assert r.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:1"     # the console's player
    assert other.raw_error("DescribeSessionRecording", Sid=sid) == "ResourceNotFound"
    assert bh.raw_error("DescribeSessionRecording", Sid="nope") == "ResourceNotFound"
    assert bh.raw_error("DescribeSessionRecording", Sid=sid, ExpiresIn=59) == "InvalidParameterValue"
    assert bh.raw_error("DescribeSessionRecording", Sid=sid, ExpiresIn=3601) == "InvalidParameterValue"
    assert bh.raw_error("DescribeSessionRecording") == "MissingParameter"


def test_a_running_session_has_no_recording_yet(stack, bh):
    sid = "s-" + uuid.uuid4().hex[:10]
    sessions.start(bh.acct["OwnerUin"], {"Sid": sid, "UserName": "alice", "Account": "root", "Kind": 1,
                                         "Protocol": "SSH", "StartTime": int(time.time() * 1000)})
    assert bh.raw_error("DescribeSessionRecording", Sid=sid) == "ResourceNotFound"
    sessions.finish(bh.acct["OwnerUin"], sid, end_ms=int(time.time() * 1000), status=2, size=1, count=0,
                    danger_count=0, record_key="not/a/recording/key", record_sha256="0" * 64, record_size=1)
    assert bh.raw_error("DescribeSessionRecording", Sid=sid) == "ResourceNotFound"
