"""The keys the gate holds (layers/bastion/ssh/command_gate), and lines judged off the gateway's event loop."""
import asyncio
import threading

from layers.bastion.ssh.command_gate import HELD, UNHELD_KEYS, judged


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
