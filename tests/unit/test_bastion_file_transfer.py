"""The gateway's file-transfer parts that need no network: the ACL rules, rz/sz detection, the scp
command line and protocol, the SFTP packet splitter."""
import asyncio
import struct

import pytest

from layers.bastion import file_policy as fp
from layers.bastion import zmodem
from layers.bastion.ssh import scp_relay, sftp_relay


# ---- the rules ----

def test_a_switch_is_on_if_any_granting_acl_turns_it_on():
    p = fp.FilePolicy.of([{"AllowFileUp": True}, {"AllowFileDown": True, "AllowShellFileDown": True}])
    assert (p.up, p.down, p.delete, p.shell_up, p.shell_down) == (True, True, False, False, True)
    assert fp.FilePolicy.of([]) == fp.FilePolicy()
    assert p.upload(10**12) is None and p.download() is None
    assert "AllowFileDel" in p.remove() and "AllowShellFileUp" in p.shell("up") and p.shell("down") is None


def test_the_size_limit_is_the_most_generous_of_the_acls_allowing_that_direction():
    acls = [{"AllowFileUp": True, "MaxFileUpSize": 100}, {"AllowFileUp": True, "MaxFileUpSize": 300},
            {"AllowFileUp": False, "MaxFileUpSize": 5}, {"AllowFileDown": True, "MaxFileDownSize": 0},
            {"AllowFileDown": True, "MaxFileDownSize": 7}]
    p = fp.FilePolicy.of(acls)
    assert (p.max_up, p.max_down) == (300, 0)
    assert p.upload(300) is None and "MaxFileUpSize" in p.upload(301)
    assert p.download(10**9) is None
    assert "AllowFileUp" in fp.FilePolicy.of([{"MaxFileUpSize": 5}]).upload(1)


def test_rename_or_move_by_folder():
    assert fp.rename_method("/a/x", "/a/y", False) == fp.RENAME
    assert fp.rename_method("/a/x", "/b/x", False) == fp.MOVE
    assert fp.rename_method("/a/d", "/a/e", True) == fp.RENAME_DIR
    assert fp.rename_method("d", "sub/d", True) == fp.MOVE_DIR
    assert fp.rename_method("x", "y", False) == fp.RENAME


# ---- rz / sz ----

SZ_START = b"rz\r**\x18B00000000000000\r\x8a\x11"
RZ_START = b"rz waiting to receive.**\x18B0100000023be50\r\x8a\x11"
ZFIN = b"**\x18B0800000000022d\r\x8a"


def test_sz_on_the_target_is_a_download_and_rz_an_upload():
    w = zmodem.ZmodemWatch()
    assert w.output(b"$ ls\r\nfile\r\n") is None
    assert w.output(b"$ sz file\r\n" + SZ_START) == "down"
    assert w.output(b"**\x18B01000000") is None          # the same transfer: reported once
    assert w.output(b"data" + ZFIN + b"OO") is None
    assert w.output(RZ_START) == "up"
    w.reset()
    assert w.output(b"prompt$ ") is None


def test_a_header_split_across_chunks_is_found_and_the_operator_side_reads_the_other_way():
    w = zmodem.ZmodemWatch()
    for cut in range(1, len(SZ_START)):
        w = zmodem.ZmodemWatch()
        assert (w.output(SZ_START[:cut]), w.output(SZ_START[cut:])) in ((None, "down"), ("down", None))
    w = zmodem.ZmodemWatch()
    assert w.input(b"**\x18B00000000000000\r\x8a") == "up"       # the terminal sends a file
    w = zmodem.ZmodemWatch()
    assert w.input(b"**\x18B0100000023be50\r\x8a") == "down"
    w = zmodem.ZmodemWatch()
    assert w.output(b"\x18\x18 not a header **\x18C") is None
    assert zmodem.ABORT == b"\x18" * 8 + b"\x08" * 8


def test_a_header_fed_a_byte_at_a_time_is_found_once():
    w = zmodem.ZmodemWatch()
    seen = [w.output(SZ_START[i:i + 1]) for i in range(len(SZ_START))]
    assert [s for s in seen if s] == ["down"]
    w = zmodem.ZmodemWatch()
    assert w.output(b"x" * 100_000 + b"**") is None
    assert w.output(b"\x18B0100000023be50\r\x8a") == "up"    # the header's ZDLE only in the second chunk


def test_an_aborted_transfer_lets_the_next_one_be_seen():
    w = zmodem.ZmodemWatch()
    assert w.output(SZ_START) == "down"
    assert w.input(zmodem.ABORT) is None
    assert w.output(zmodem.ABORT) is None
    assert w.output(SZ_START) == "down"


# ---- scp ----

@pytest.mark.parametrize("command,expected", [
    ("scp -t /tmp/x", (True, ["/tmp/x"], False, False)),
    ("scp -v -r -p -d -t -- /srv/dir", (True, ["/srv/dir"], True, True)),
    ("scp -f 'a b.txt'", (False, ["a b.txt"], False, False)),
    ("/usr/bin/scp -prf /etc", (False, ["/etc"], True, False)),
])
def test_scp_remote_commands(command, expected):
    c = scp_relay.parse(command)
    assert (c.upload, c.paths, c.recursive, c.directory) == expected


@pytest.mark.parametrize("command", [None, "", "ls -la", "scp", "scp -V", "scp -t", "scp -t -f x", "scpx -t a",
                                     "scp -t 'unclosed"])
def test_not_scp_s_remote_end(command):
    assert scp_relay.parse(command) is None


def run_source(chunks, decide, root="/up", is_dir=True, files=None):
    out, refused, passed = [], [], []
    files = {} if files is None else files          # path -> the bytes seen between began() and passed()
    current = []
    src = scp_relay.Source(root, is_dir, out.append, lambda k, p, why, size: refused.append((k, p, why, size)),
                           decide, lambda p, size: passed.append((p, size)),
                           lambda p: current.append(p) or files.setdefault(p, bytearray()),
                           lambda data: files[current[-1]].extend(data))
    for c in chunks:
        src.feed(c)
    return b"".join(out), refused, passed


def test_the_scp_source_side_passes_what_is_allowed_and_holds_back_what_is_not():
    # a refused file's bytes never come: its source is told to skip it
    stream = (b"T1 0 2 0\n" + b"C0644 5 a.txt\n" + b"D0755 0 sub\n" + b"C0600 3 big\n" + b"xyz" + b"\0" +
              b"C0644 0 empty\n" + b"\0" + b"E\n" + b"\x01scp: warning\n")
    allow_small = lambda kind, size: "too big (MaxFileUpSize)" if size and size > 4 else None  # noqa: E731
    for chunks in ([stream], [stream[i:i + 1] for i in range(len(stream))]):
        out, refused, passed = run_source(chunks, allow_small)
        assert refused == [(b"C", "/up/a.txt", "too big (MaxFileUpSize)", 5)]
        assert passed == [("/up/sub/big", 3), ("/up/sub/empty", 0)]
        assert out == stream.replace(b"C0644 5 a.txt\n", b"")
    out, refused, passed = run_source([b"C0644 5 only\nhello\0"], lambda k, s: None, root="/tmp/x", is_dir=False)
    assert out == b"C0644 5 only\nhello\0" and passed == [("/tmp/x", 5)]


# ---- SFTP packets ----

def test_the_sftp_splitter_reads_only_the_head_of_data_packets_and_drops_what_it_is_told():
    write = sftp_relay.packet(sftp_relay.WRITE, struct.pack(">I", 7) + sftp_relay.sstr(b"h1") +
                              struct.pack(">QI", 0, 5000) + b"x" * 5000)
    stat = sftp_relay.packet(sftp_relay.STAT, struct.pack(">I", 8) + sftp_relay.sstr(b"/etc"))
    heads, out = [], []

    def on_packet(head, total):
        heads.append((head[4], len(head), total))
        return None if head[4] == sftp_relay.STAT else head

    stream = write + stat + write
    for size in (len(stream), 1, 7, 1000):
        heads.clear(), out.clear()
        f = sftp_relay.Framer(sftp_relay.WRITE, on_packet, out.append)
        for i in range(0, len(stream), size):
            asyncio.run(f.feed(stream[i:i + size]))
        assert heads == [(6, sftp_relay.HEAD_CAP, len(write)), (17, len(stat), len(stat)),
                         (6, sftp_relay.HEAD_CAP, len(write))]
        assert b"".join(out) == write + write and f.at_boundary


def test_a_packet_too_long_to_be_a_request_is_an_error():
    f = sftp_relay.Framer(sftp_relay.WRITE, lambda h, t: h, lambda b: None)
    with pytest.raises(sftp_relay.ProtocolError):
        asyncio.run(f.feed(struct.pack(">IB", sftp_relay.MAX_PACKET + 1, sftp_relay.OPEN)))


def test_the_scp_source_side_hands_each_passing_file_s_bytes_over_once():
    files = {}
    stream = [b"C0644 5 a.txt\n", b"he", b"llo\0C0644 3 b.txt\n", b"xyz", b"\0"]
    out, refused, passed = run_source(stream, lambda kind, size: "no b" if size == 3 else None, files=files)
    assert {p: bytes(b) for p, b in files.items()} == {"/up/a.txt": b"hello"}   # b.txt refused: never began
    assert passed == [("/up/a.txt", 5)]


def test_a_capture_keeps_the_first_bytes_by_offset(monkeypatch, tmp_path):
    from layers.bastion import file_capture
    uploads = []
    monkeypatch.setattr(file_capture.settings(), "keep_file_bytes", 10)
    monkeypatch.setattr(file_capture.SessionFiles, "upload",
                        lambda self, capture, spool: uploads.append((capture.path, capture.seen,
                                                                     spool.seek(0) or spool.read(capture.seen))))
    files = file_capture.SessionFiles("100001", "sid-1", 1_700_000_000)
    kept = files.capture("/srv/x.bin", "up")
    kept.put(4, b"EFGHIJKLMN")                  # out of order, past the limit
    kept.put(0, b"ABCD")
    kept.put(12, b"zz")                         # wholly past it
    kept.close()
    assert uploads == [("/srv/x.bin", 10, b"ABCDEFGHIJ")]
    assert files.prefix == "bastion-recordings/100001/2023/11/14/sid-1/files/"
    monkeypatch.setattr(file_capture.settings(), "keep_file_bytes", 0)
    assert file_capture.SessionFiles("100001", "sid-2", 1_700_000_000).capture("/a", "up") is None
