"""Command lines read off a real interactive bash (layers/bastion/terminal.py).

`bash --norc --noprofile -i` runs on a pseudo-terminal and is relayed the way the gateway relays
a session: the operator's keys go one at a time, each to the tracker and then to bash, and
everything bash wrote before a key reaches the tracker before that key does."""
import fcntl
import os
import pty
import random
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time

import pytest

from layers.bastion.terminal import LineTracker

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

PROMPT = rb"[$#>] $"              # PS1 ends with \$ ("$ ", or "# " as root); PS2 is "> "


class Bash:
    def __init__(self, cwd, width=80, height=24, inputrc="set enable-bracketed-paste on\n",
                 prompt=r"\[\e]0;\u@\h\a\e[1;32m\]\W\[\e[0m\]\$ ", **env):
        (cwd / ".inputrc").write_text(inputrc)
        self.master, slave = pty.openpty()
        self._winsize(slave, width, height)
        env = {"PATH": os.environ["PATH"], "TERM": "xterm", "HOME": str(cwd), "LANG": "C.UTF-8",
               "PS1": prompt, "PS2": "> ", "INPUTRC": str(cwd / ".inputrc"), "HISTFILE": "/dev/null",
               "LESSHISTFILE": "-", "LESS": "", **env}
        self.process = subprocess.Popen(["bash", "--norc", "--noprofile", "-i"], stdin=slave, stdout=slave,
                                        stderr=slave, cwd=cwd, env=env, start_new_session=True)
        os.close(slave)
        self.tracker = LineTracker(width, height)
        self.lines, self.ms = [], 0
        self.first = self.read(PROMPT)

    @staticmethod
    def _winsize(fd, width, height):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))

    def read(self, until=None, first=1.0, quiet=0.03, timeout=15.0) -> bytes:
        """Everything bash writes until it pauses (and, given `until`, has written a match)."""
        got, wait, deadline = b"", first, time.monotonic() + timeout
        while True:
            if select.select([self.master], [], [], wait)[0]:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if chunk:
                    got += chunk
                    self.tracker.output(chunk)
                    wait = quiet
                    continue
            if until is None or re.search(until, got) or time.monotonic() > deadline:
                break
            wait = quiet
        self.lines += self.tracker.take()
        return got

    def key(self, key: bytes, until=None, first=1.0) -> bytes:
        self.ms += 100
        self.lines += self.tracker.input(key, self.ms)
        os.write(self.master, key)
        return self.read(until, first)

    def type(self, text: str) -> None:
        for char in text:
            self.key(char.encode())

    def enter(self, until=PROMPT) -> bytes:
        return self.key(b"\r", until)

    def resize(self, width, height) -> None:
        self._winsize(self.master, width, height)
        self.tracker.resize(width, height)
        os.killpg(self.process.pid, signal.SIGWINCH)
        self.read()

    def commands(self) -> list:
        texts, self.lines = [line.text for line in self.lines], []
        return texts

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.master)


@pytest.fixture
def bash(tmp_path):
    sessions = []

    def start(**options) -> Bash:
        sessions.append(Bash(tmp_path, **options))
        return sessions[-1]

    yield start
    for session in sessions:
        session.close()


LEFT, RIGHT, UP, BACKSPACE = b"\x1b[D", b"\x1b[C", b"\x1b[A", b"\x7f"
CTRL_A, CTRL_C, CTRL_E, CTRL_R, CTRL_U, CTRL_W = b"\x01", b"\x03", b"\x05", b"\x12", b"\x15", b"\x17"


def test_a_plain_command(bash):
    b = bash()
    b.type("echo hello world")
    assert b.tracker.pending() == "echo hello world"
    out = b.enter()
    assert b"hello world\r\n" in out
    assert [(line.text, line.offset_ms) for line in b.lines] == [("echo hello world", b.ms)]


def test_left_arrow_insert_and_backspace(bash):
    b = bash()
    b.type("echo helo wrld")
    for _ in range(6):
        b.key(LEFT)
    b.type("l")                                    # "helo" -> "hello"
    for _ in range(3):
        b.key(RIGHT)
    b.type("o")                                    # "wrld" -> "world"
    b.key(CTRL_E)
    b.type("!!x")
    b.key(BACKSPACE)
    b.key(BACKSPACE)
    b.key(BACKSPACE)
    assert b"hello world\r\n" in b.enter()
    assert b.commands() == ["echo hello world"]


def test_ctrl_a_ctrl_e_ctrl_u_ctrl_w(bash):
    b = bash()
    b.type("rm -rf /oops")
    b.key(CTRL_U)                                  # all of it gone
    b.type("world")
    b.key(CTRL_A)
    b.type("echo ")
    b.key(CTRL_E)
    b.type(" again mistake")
    b.key(CTRL_W)                                  # "mistake" gone
    b.enter()
    assert b.commands() == ["echo world again"]


def test_history_recall_with_up_then_edit(bash):
    b = bash()
    b.type("echo first")
    b.enter()
    b.key(UP)
    for _ in range(5):
        b.key(BACKSPACE)
    b.type("second")
    assert b"second\r\n" in b.enter()
    assert b.commands() == ["echo first", "echo second"]


def test_tab_completion_of_a_unique_file_name(bash, tmp_path):
    (tmp_path / "quarterly_report.txt").write_text("figures\n")
    (tmp_path / "other.log").write_text("")
    b = bash()
    b.type("cat quar")
    b.key(b"\t")
    assert b"figures" in b.enter()
    assert b.commands() == ["cat quarterly_report.txt"]


def test_ctrl_c_discards_a_half_typed_line(bash):
    b = bash()
    b.type("rm -rf important")
    b.key(CTRL_C, PROMPT)
    b.key(CTRL_C, PROMPT)
    b.type("echo after")
    b.enter()
    assert b.commands() == ["echo after"]


def test_a_line_with_a_semicolon_is_one_line_as_typed(bash, tmp_path):
    (tmp_path / "x").write_text("")
    b = bash()
    b.type("ls;rm -f x")
    b.enter()
    assert b.commands() == ["ls;rm -f x"]
    assert not (tmp_path / "x").exists()


def test_a_long_line_wrapping_past_the_width(bash):
    b = bash(width=40)
    line = "echo " + " ".join("word%02d" % i for i in range(18))         # four rows
    b.type(line)
    b.enter()
    b.key(UP)
    b.key(CTRL_A)                                  # the cursor back on the first row at Enter
    b.enter()
    assert b.commands() == [line, line]


def test_a_line_kept_on_one_row_by_horizontal_scrolling_is_clipped(bash):
    """readline's horizontal-scroll-mode draws a long line on one row, `>` where more follows:
    the screen does not show the whole line. A line that wraps does."""
    line = "echo " + " ".join("word%02d" % i for i in range(18)) + "; ls"
    wrapped = bash(width=40)
    wrapped.type(line)
    wrapped.key(CTRL_A)
    assert (wrapped.tracker.pending(), wrapped.tracker.clipped()) == (line, False)
    scrolled = bash(width=40, inputrc="set enable-bracketed-paste on\nset horizontal-scroll-mode on\n")
    scrolled.type(line)
    scrolled.key(CTRL_A)
    assert scrolled.tracker.pending().endswith(">") and scrolled.tracker.clipped()


def test_a_backslash_continuation_and_a_here_document(bash):
    b = bash()
    b.type("echo one \\")
    b.enter()
    b.type("two")
    assert b"one two\r\n" in b.enter()
    b.type("cat <<EOF")
    b.enter()
    b.type("body line")
    b.enter()
    b.type("EOF")
    assert b"body line\r\n" in b.enter()
    assert [(line.text, line.continuation) for line in b.lines] == [
        ("echo one \\", False), ("two", True), ("cat <<EOF", False), ("body line", True), ("EOF", True)]


def test_a_pasted_block_runs_line_by_line_at_enter(bash):
    """bash 5.2 with bracketed paste on: the pasted block goes into the line whole (shown as the
    highlighted active region), its newlines too, and nothing runs, trailing newline or not;
    Enter accepts the buffer and bash runs its lines in order."""
    b = bash()
    if b"\x1b[?2004h" not in b.first:
        pytest.skip("this bash has no bracketed paste")
    pasted = b.key(b"\x1b[200~echo $((6*7))\necho $((6*8))\n\x1b[201~", first=0.5)
    assert b"42" not in pasted and b.commands() == []
    out = b.enter()
    assert out.index(b"42\r\n") < out.index(b"48\r\n")
    b.key(b"\x1b[200~echo last\x1b[201~")
    b.enter()
    assert b.commands() == ["echo $((6*7))", "echo $((6*8))", "echo last"]


def test_a_block_pasted_without_bracketed_paste_runs_as_it_arrives(bash):
    b = bash(inputrc="set enable-bracketed-paste off\n")
    b.key(b"echo a\necho b\n", rb"b\r\n.*" + PROMPT)
    assert b.commands() == ["echo a", "echo b"]


def test_enter_inside_less_is_no_command(bash, tmp_path):
    (tmp_path / "long.txt").write_text("".join("line %d\n" % i for i in range(100)))
    b = bash(height=10)
    b.type("less long.txt")
    b.key(b"\r", rb"\x1b\[\?1049h[\s\S]*line 8")
    assert b.tracker.full_screen
    b.key(b"\r")
    b.key(b"\r")
    b.key(b"q", PROMPT)
    assert not b.tracker.full_screen
    b.type("echo back")
    b.enter()
    assert b.commands() == ["less long.txt", "echo back"]


@pytest.mark.skipif(shutil.which("vi") is None, reason="needs vi")
def test_lines_typed_into_vi_are_no_commands(bash, tmp_path):
    b = bash(height=10)
    b.type("vi -u NONE -N notes.txt")
    b.key(b"\r", rb"\x1b\[\?1049h", first=3)
    for key in [b"i", b"hello", b"\r", b"world", b"\x1b"]:
        b.key(key, first=0.3)
    b.type(":wq")
    b.key(b"\r", PROMPT, first=3)
    b.type("cat notes.txt")
    assert b"hello\r\nworld\r\n" in b.enter()
    assert b.commands() == ["vi -u NONE -N notes.txt", "cat notes.txt"]


def test_a_line_found_with_ctrl_r(bash):
    b = bash()
    b.type("echo needle")
    b.enter()
    b.type("echo other")
    b.enter()
    b.key(CTRL_R)
    b.type("need")
    assert b"needle\r\n" in b.enter()
    assert b.commands() == ["echo needle", "echo other", "echo needle"]


def test_completion_listing_moves_the_line_down(bash, tmp_path):
    for name in ("alpha_one.txt", "alpha_two.txt"):
        (tmp_path / name).write_text("")
    b = bash()
    b.type("ls alpha")
    b.key(b"\t")
    b.key(b"\t", first=0.3)
    b.key(b"\t")                                   # lists both, then the line again below
    b.type("t")
    b.key(b"\t")
    b.enter()
    assert b.commands() == ["ls alpha_two.txt"]


def test_keys_sent_in_one_chunk_before_any_echo(bash):
    b = bash()
    b.key(b"echo 1\recho 2\r", rb"2\r\n.*" + PROMPT)
    assert b.commands() == ["echo 1", "echo 2"]


def test_keys_typed_while_a_command_still_runs(bash):
    b = bash()
    b.type("sleep 1")
    b.key(b"\r", first=0.1)
    b.type("echo typed ahead")                     # the tty echoes them, readline again later
    b.key(b"\r", rb"ahead\r\n.*" + PROMPT)
    b.type("sleep 1")
    b.key(b"\r", first=0.1)
    assert not b.tracker.editing                   # the keys go to the kernel's line mode now
    b.type("echo ha")                              # half of it before the prompt, half after
    b.read(rb"[$#] echo ha$", first=3)
    assert b.tracker.editing                       # ... and to readline once its prompt shows
    b.type("lf")
    b.enter()
    assert b.commands() == ["sleep 1", "echo typed ahead", "sleep 1", "echo half"]


def test_what_is_typed_with_echo_off_is_not_recorded(bash):
    b = bash()
    b.type("read -s -p 'Password: ' secret; echo")
    b.enter(rb"Password: $")
    for char in "hunter2":
        b.key(char.encode(), first=0.1)
    b.enter()
    assert b.commands() == ["read -s -p 'Password: ' secret; echo"]


def test_a_window_resized_while_typing(bash):
    b = bash(width=60)
    line = "echo " + "0123456789" * 8
    b.type(line)
    b.resize(30, 24)
    assert b.tracker.pending() == line
    b.enter()
    assert b.commands() == [line]


def test_wide_characters_in_the_prompt_and_the_line(bash):
    b = bash(width=16, prompt="主机$ ")
    b.type("echo 你好世界，再见")
    assert "你好世界，再见".encode() in b.enter()
    assert b.commands() == ["echo 你好世界，再见"]


@pytest.mark.slow
@pytest.mark.parametrize("keys_per_chunk", [(1,), (1, 1, 2, 3, 5)], ids=["one-key-a-chunk", "keys-ahead-of-echo"])
def test_random_editing_matches_bashs_own_history(bash, tmp_path, keys_per_chunk):
    log = tmp_path / "history.log"
    b = bash(width=23, height=8, PROMPT_COMMAND=f"history 1 >> {log}")
    edits = [LEFT, RIGHT, CTRL_A, CTRL_E, BACKSPACE, CTRL_W, CTRL_U, UP, b"\x1b[B", b"\x0b", b"\x1bb", b"\x1bf",
             b"\x1b[3~", b"\x14", b"\x1bd"]
    rnd = random.Random(7)
    for _ in range(10):
        keys = [char.encode() for char in "echo "]
        for _ in range(rnd.randint(3, 20)):
            if rnd.random() < 0.6:
                keys += [char.encode() for char in rnd.choice(["ab", "cde", "x", "long-word", "12", " ", "q-r_s.t"])]
            else:
                keys.append(rnd.choice(edits))
        keys.append(b"\r")
        while keys:
            count = rnd.choice(keys_per_chunk)
            chunk, keys = b"".join(keys[:count]), keys[count:]
            b.key(chunk, None if keys else PROMPT, first=0.15)
    entries = {}
    for row in log.read_text().splitlines():
        number, text = re.match(r"\s*(\d+)\*?  (.*)", row).groups()
        entries.setdefault(number, text.rstrip())
    ran = [text for text in entries.values() if text]
    assert b.commands() == ran and len(ran) >= 8


def test_ctrl_o_runs_lines_without_enter(bash):
    b = bash()
    for line in ("echo one", "echo two"):
        b.type(line)
        b.enter()
    b.key(UP)
    b.key(UP)
    b.key(b"\x0f", rb"one\r\n.*two")              # runs "echo one", brings up "echo two"
    b.key(b"\x0f", rb"two\r\n.*one")
    b.key(CTRL_C, PROMPT)
    assert b.commands() == ["echo one", "echo two", "echo one", "echo two"]


def test_lines_typed_to_a_program_reading_them(bash):
    b = bash()
    b.type("cat")
    b.key(b"\r")
    b.type("to cat")
    assert b"\r\nto cat\r\n" in b.key(b"\r")            # cat writes it back
    b.key(b"\x04", PROMPT)
    b.type("echo done")
    b.enter()
    assert b.commands() == ["cat", "to cat", "echo done"]
