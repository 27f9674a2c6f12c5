"""Bastion session recordings: asciicast v2 spooled on local disk and uploaded to (moto's) S3,
read back, recovered after a SIGKILL, and confined to the recording's own account."""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.request
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from layers import aws
from layers.bastion.recording import Recording, presigned_url, read, recover
from layers.config import settings

ROOT = Path(__file__).resolve().parents[3]
MiB = 1024 * 1024


def new_account() -> str:
    return str(uuid.uuid4().int)[:12]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def parse_cast(data: bytes):
    """(header, events) of an asciicast v2 file, checking every line as a player reads it."""
    text = data.decode("utf-8")
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    header = json.loads(lines[0])
    assert header["version"] == 2
    assert isinstance(header["width"], int) and header["width"] > 0
    assert isinstance(header["height"], int) and header["height"] > 0
    assert isinstance(header["timestamp"], int)
    assert set(header["env"]) == {"TERM", "SHELL"} and all(isinstance(v, str) for v in header["env"].values())
    assert isinstance(header["title"], str)
    events, last = [], 0.0
    for line in lines[1:]:
        event = json.loads(line)
        assert isinstance(event, list) and len(event) == 3, line
        when, code, payload = event
        assert isinstance(when, float) and when >= last, line
        assert code in ("o", "i", "r") and isinstance(payload, str), line
        if code == "r":
            assert re.fullmatch(r"\d+x\d+", payload), line
        last = when
        events.append(event)
    return header, events


def output_text(events) -> str:
    return "".join(e[2] for e in events if e[1] == "o")


def pending_uploads(key: str) -> list:
    return aws.client("s3").list_multipart_uploads(Bucket=settings().recordings_bucket, Prefix=key).get("Uploads", [])


def test_recordings_bucket_is_created_private_and_encrypted(stack):
    s3 = aws.client("s3")
    bucket = stack.resources["RecordingsBucket"]["BucketName"]
    assert bucket == settings().recordings_bucket == f"{settings().prefix}-recordings"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_session_reads_back_event_by_event(stack, tmp_path):
    account, clock = new_account(), Clock(1700000000.25)     # 2023-11-14T22:13:20.25Z
    rec = Recording(account, "s-1", 80, 24, keyboard=True, term="xterm-256color", title="root@web-1",
                    spool_dir=str(tmp_path), clock=clock)
    assert rec.key == f"bastion-recordings/{account}/2023/11/14/s-1.cast"
    feed = [(0.5, "output", b"$ "), (0.75, "input", b"l"), (1.0, "input", b"s\r"),
            (1.25, "output", "ls\r\n你".encode() + "好".encode()[:1]),     # 好 split across two chunks
            (1.5, "output", "好".encode()[1:] + b"\r\n"),
            (2.0, "output", "€".encode()[:2]),                             # nothing whole yet: no event
            (2.25, "output", "€".encode()[2:] + b"!"),
            (2.5, "resize", (120, 40)),
            (3.0, "output", b"bad \xff byte"),
            (3.5, "output", "末".encode()[:1])]                             # cut off by the end
    for offset, kind, data in feed:
        clock.now = 1700000000.25 + offset
        if kind == "resize":
            rec.resize(*data)
        else:
            getattr(rec, kind)(data)
    assert rec.offset_ms() == 3500
    clock.now += 0.5
    info = rec.close()
    assert rec.close() == info
    rec.output(b"after the end")        # ignored, not an error

    data = read(account, info.key)
    header, events = parse_cast(data)
    assert header == {"version": 2, "width": 80, "height": 24, "timestamp": 1700000000,
                      "env": {"TERM": "xterm-256color", "SHELL": "/bin/bash"}, "title": "root@web-1"}
    assert events == [[0.5, "o", "$ "], [0.75, "i", "l"], [1.0, "i", "s\r"], [1.25, "o", "ls\r\n你"],
                      [1.5, "o", "好\r\n"], [2.25, "o", "€!"], [2.5, "r", "120x40"],
                      [3.0, "o", "bad \ufffd byte"], [4.0, "o", "\ufffd"]]
    assert info.size == len(data) and info.sha256 == hashlib.sha256(data).hexdigest()
    assert os.listdir(tmp_path) == []


def test_without_keyboard_logging_no_input_is_recorded(stack, tmp_path):
    account = new_account()
    rec = Recording(account, "s-2", 80, 24, spool_dir=str(tmp_path))
    rec.input(b"secret-password\r")
    rec.output(b"ok\r\n")
    rec.input(b"exit\r")
    _, events = parse_cast(read(account, rec.close().key))
    assert [e[1:] for e in events] == [["o", "ok\r\n"]]


def test_spool_is_written_within_a_second(stack, tmp_path):
    rec = Recording(new_account(), "s-3", 80, 24, spool_dir=str(tmp_path))
    rec.output(b"first line\r\n")
    (cast,) = tmp_path.glob("*.cast")
    deadline = time.monotonic() + 1.5
    while b"first line" not in cast.read_bytes():
        assert time.monotonic() < deadline, "the event did not reach the spool within a second"
        time.sleep(0.05)
    rec.close()


def test_large_recording_goes_up_in_parts_off_the_callers_thread(stack, tmp_path):
    account = new_account()
    s3 = aws.client("s3", bulk=True)        # the recordings' client (no payload hashing)
    calls = []

    def seen(model, **kwargs):
        calls.append((model.name, threading.current_thread() is threading.main_thread()))

    s3.meta.events.register("before-call.s3", seen)
    try:
        rec = Recording(account, "s-4", 80, 24, spool_dir=str(tmp_path))
        chunk = ("0123456789abcdef" * 512 + "\r\n").encode()
        fed = 0
        while fed < 12 * MiB:
            rec.output(chunk)
            fed += len(chunk)
        deadline = time.monotonic() + 60
        while ("UploadPart", False) not in calls:
            assert time.monotonic() < deadline, "no part went up while the session ran"
            time.sleep(0.1)
        during = list(calls)
        info = rec.close()
    finally:
        s3.meta.events.unregister("before-call.s3", seen)
    assert during and not any(on_main for _, on_main in during)

    body = s3.get_object(Bucket=settings().recordings_bucket, Key=info.key)
    data = body["Body"].read()
    assert body["ETag"].strip('"').endswith("-3")      # 5 + 5 + the rest
    assert info.size == len(data) and info.sha256 == hashlib.sha256(data).hexdigest()
    _, events = parse_cast(data)
    assert output_text(events) == chunk.decode() * (fed // len(chunk))
    assert pending_uploads(info.key) == []
    assert os.listdir(tmp_path) == []


def test_large_chunks_and_ascii_after_a_split_character_play_back_byte_for_byte(stack, tmp_path):
    account = new_account()
    rec = Recording(account, "s-7", 80, 24, spool_dir=str(tmp_path))
    big = ("line \"q\" \\ \x1b[1m" * 20_000 + "\r\n").encode()     # past the 64 KiB buffer: written at once
    rec.output(b"small ")
    rec.output(big)
    rec.output("好".encode()[:1])             # held back by the decoder ...
    rec.output(b"ascii")                     # ... so this ASCII chunk is decoded after it
    rec.output(big[:70_000])
    info = rec.close()
    data = read(account, info.key)
    _, events = parse_cast(data)
    assert output_text(events) == "small " + big.decode() + "\ufffdascii" + big[:70_000].decode()
    assert info.size == len(data) and info.sha256 == hashlib.sha256(data).hexdigest()


def test_memory_stays_bounded_for_a_long_recording(stack, tmp_path):
    s3 = aws.client("s3")
    scratch = f"bastion-recordings/warm-up/{uuid.uuid4().hex}"
    upload = s3.create_multipart_upload(Bucket=settings().recordings_bucket, Key=scratch)["UploadId"]
    s3.upload_part(Bucket=settings().recordings_bucket, Key=scratch, UploadId=upload, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=settings().recordings_bucket, Key=scratch, UploadId=upload)  # models loaded

    chunk = (b"0123456789abcdef" * 255 + b"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n")[:4096]
    count = 30 * MiB // len(chunk)
    tracemalloc.start()
    try:
        rec = Recording(new_account(), "s-5", 80, 24, spool_dir=str(tmp_path))
        for _ in range(count):
            rec.output(chunk)
        info = rec.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert info.size > 30 * MiB
    digest, size = hashlib.sha256(), 0
    for part in s3.get_object(Bucket=settings().recordings_bucket, Key=info.key)["Body"].iter_chunks(MiB):
        digest.update(part)
        size += len(part)
    assert (size, digest.hexdigest()) == (info.size, info.sha256)


CHILD = """
import sys, time
sys.path.insert(0, {root!r})
from layers.bastion.recording import Recording
rec = Recording({account!r}, "s-killed", 80, 24, spool_dir={spool!r})
filler = "x" * 4000
for i in range(1400):                   # 5.5 MiB: a part goes up before the kill
    rec.output(f"early {{i:05d}} {{filler}}\\r\\n".encode())
print("key", rec.key, flush=True)
time.sleep(6)
i = 0
while True:
    rec.output(f"late {{i:05d}}\\r\\n".encode())
    if i % 10 == 0:
        print("late", i, flush=True)
    i += 1
    time.sleep(0.01)
"""


def test_a_killed_gateways_recording_is_recovered(stack, tmp_path):
    account, folder = new_account(), str(tmp_path / "spool")
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT), account=account, spool=folder)],
                             cwd=str(ROOT), stdout=subprocess.PIPE, text=True)
    said = []       # (when, line)

    def listen():
        for line in child.stdout:
            said.append((time.monotonic(), line.split()))

    threading.Thread(target=listen, daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not any(words[0] == "key" for _, words in said):
            assert time.monotonic() < deadline and child.poll() is None, "the recorder did not start"
            time.sleep(0.05)
        key = next(words[1] for _, words in said if words[0] == "key")
        while not pending_uploads(key):
            assert time.monotonic() < deadline, "no multipart upload began"
            time.sleep(0.1)
        while not [w for _, w in said if w[0] == "late" and int(w[1]) >= 600]:     # ~7 s of late events
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        assert recover(folder) == []            # its owner still runs
        killed_at = time.monotonic()
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    (cast,) = Path(folder).glob("*.cast")
    with open(cast, "ab") as f:
        f.write(b'[99.0, "o", "a torn la')    # a write the kill cut short

    (info,) = recover(folder)
    assert info.key == key
    data = read(account, key)
    assert info.size == len(data) and info.sha256 == hashlib.sha256(data).hexdigest()
    _, events = parse_cast(data)
    lines = output_text(events).split("\r\n")[:-1]
    early = [line for line in lines if line.startswith("early ")]
    late = [line for line in lines if line.startswith("late ")]
    assert early == [f"early {i:05d} {'x' * 4000}" for i in range(1400)]
    assert late == [f"late {i:05d}" for i in range(len(late))]
    written_5s_before = max(int(w[1]) for t, w in said if w[0] == "late" and t <= killed_at - 5)
    assert len(late) > written_5s_before
    assert pending_uploads(key) == []
    assert os.listdir(folder) == []


def test_recover_leaves_a_live_recording_alone(stack, tmp_path):
    account = new_account()
    rec = Recording(account, "s-6", 80, 24, spool_dir=str(tmp_path))
    rec.output(b"still here\r\n")
    assert recover(str(tmp_path)) == []
    assert len(os.listdir(tmp_path)) == 2
    info = rec.close()
    assert output_text(parse_cast(read(account, info.key))[1]) == "still here\r\n"


def test_a_close_that_cannot_upload_leaves_the_spool_to_recover(stack, tmp_path):
    account, bucket = new_account(), f"gz-recordings-later-{uuid.uuid4().hex[:12]}"
    rec = Recording(account, "s-7", 80, 24, spool_dir=str(tmp_path), bucket=bucket)
    rec.output(b"kept\r\n")
    with pytest.raises(ClientError):
        rec.close()                 # no such bucket yet
    with pytest.raises(ClientError):
        rec.close()
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=bucket)
    try:
        (info,) = recover(str(tmp_path))
        assert output_text(parse_cast(read(account, info.key, bucket=bucket))[1]) == "kept\r\n"
        assert os.listdir(tmp_path) == []
    finally:
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)


def test_an_account_reads_and_presigns_only_its_own_recordings(stack, tmp_path):
    account, other = new_account(), new_account()
    rec = Recording(account, "s-8", 80, 24, spool_dir=str(tmp_path))
    rec.output(b"mine\r\n")
    key = rec.close().key
    data = read(account, key)
    with urllib.request.urlopen(presigned_url(account, key, expires=60), timeout=10) as response:
        assert response.read() == data
    day = key.split("/")[2:5]
    for wrong in (key, f"bastion-recordings/{other}/../{account}/{'/'.join(day)}/s-8.cast",
                  f"bastion-recordings/{other}/{'/'.join(day)}/../../../../{account}/s-8.cast",
                  f"bastion-recordings/{other}"):
        with pytest.raises(ValueError):
            read(other, wrong)
        with pytest.raises(ValueError):
            presigned_url(other, wrong)
    with pytest.raises(ValueError):
        presigned_url(account, key, expires=0)
    with pytest.raises(ValueError):
        Recording("../" + account, "s-9", 80, 24, spool_dir=str(tmp_path))
