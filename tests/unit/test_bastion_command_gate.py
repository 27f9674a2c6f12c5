"""The keys of a line as the gate reads them when the screen cannot tell (layers/bastion/ssh/command_gate.Typed),
and lines judged off the gateway's event loop."""
import asyncio
import threading

import pytest

from layers.bastion.ssh.command_gate import UNHELD_KEYS, HELD, Typed, judged


def typed(*chunks: bytes):
    t = Typed()
    for chunk in chunks:
        t.feed(chunk)
    return t.text()


@pytest.mark.parametrize("chunks, text", [
    ((b"rm -rf /x",), "rm -rf /x"),
    ((b"rm -rf /y\x7f", b"x"), "rm -rf /x"),                  # Backspace
    ((b"ls\x15rm x",), "rm x"),                               # Ctrl-U
    ((b"ls -l  \x17x",), "ls x"),                             # Ctrl-W
    ((b"ls\r", b"rm x"), "rm x"),                             # a new line after Enter
    ((b"rm x\x03", b"ls"), "ls"),                             # Ctrl-C abandons the line
    ((b"rm\x0c x\x07",), "rm x"),                             # Ctrl-L, Ctrl-G leave the text alone
    ((b"\x1b[200~rm\rx\x1b[201~",), "rm\nx"),                 # a paste keeps its newlines
    ((b"xrm x\x01\x04",), None),                              # Home, Delete: only the screen tells
    ((b"rm\x1b[D",), None),                                   # a cursor key
    ((b"r\t",), None),                                        # Tab completion
])
def test_plain_keys_make_the_line_and_others_leave_it_unknown(chunks, text):
    assert typed(*chunks) == text


def test_the_second_key_of_an_unheld_pair_is_found_in_a_chunk_or_at_its_start():
    positions = [m.start() for m in HELD.finditer(b"e\x18e#\x1b#x\re")]
    assert positions == [0, 2, 5, 7]      # a leading key may follow a prefix sent before
    assert [(0x18, 0x05) in UNHELD_KEYS, (0x1B, ord("x")) in UNHELD_KEYS] == [True, False]


def test_a_line_being_judged_does_not_stop_the_other_sessions():
    """A slow judgement (the `bash -n` asked about a line the grammar calls unfinished) runs while
    the event loop, which carries every session of the gateway, goes on."""
    release = threading.Event()

    def slow_check(line):
        assert release.wait(5), "the event loop stood still while the line was judged"
        return f"judged {line}"

    async def gateway():
        judging = asyncio.ensure_future(judged(slow_check, "rm x"))
        await asyncio.sleep(0.01)           # another session's turn: only if the loop is free
        release.set()
        return await judging

    assert asyncio.run(gateway()) == "judged rm x"
