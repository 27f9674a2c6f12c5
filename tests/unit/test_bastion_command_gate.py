"""The keys the gate holds (layers/bastion/ssh/command_gate), and lines judged off the gateway's event loop."""
import asyncio
import threading

import pytest

from layers.bastion.ssh.command_gate import EDITOR_KEYS_SET, HELD, TTY_KEYS_SET, UNHELD_KEYS, judged


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


@pytest.mark.parametrize("line, tty, editor", [
    ("stty erase q", True, False), ("stty intr undef", True, False), ("stty sane", True, False),
    ('stty "$saved"', True, False), ("ls; reset", True, False), ("bind '\"\\C-t\": delete-char'", False, True),
    ("set -o vi", False, True), ("INPUTRC=f bash", False, True),
    ("stty -echo", False, False), ("stty cols 200", False, False), ("stty size", False, False),
    ("echo binder", False, False), ("git reset --hard", False, False),
])
def test_lines_that_may_set_what_keys_do(line, tty, editor):
    assert (bool(TTY_KEYS_SET.search(line)), bool(EDITOR_KEYS_SET.search(line))) == (tty, editor)
