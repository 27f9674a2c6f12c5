"""Command lines read off a terminal session (layers/bastion/terminal.py), from byte streams
recorded from bash 5.2 (readline 8.2, TERM=xterm) and played back the way the gateway relays
them: each key to the tracker, then what the target sent back after it."""
from layers.bastion.terminal import CommandLine, LineTracker

PROMPT = b"\x1b[?2004h$ "                 # bash turns bracketed paste on as it prints the prompt
ACCEPT = b"\r\n\x1b[?2004l\r"             # ... and off as it takes the line


class Relay:
    def __init__(self, width=40, height=24, first=PROMPT, **options):
        self.tracker = LineTracker(width, height, **options)
        self.tracker.output(first)
        self.lines, self.ms = [], 0

    def key(self, key: bytes, echo: bytes = b"") -> list:
        """One chunk from the operator, then the target's answer; returns what input() gave."""
        self.ms += 100
        got = self.tracker.input(key, self.ms)
        self.lines += got
        self.tracker.output(echo)
        self.lines += self.tracker.take()
        return got

    def typed(self, text: str) -> None:
        for char in text:
            self.key(char.encode(), char.encode())

    def play(self, steps) -> None:
        for key, echo in steps:
            self.key(key, echo)

    def texts(self) -> list:
        texts, self.lines = [line.text for line in self.lines], []
        return texts


def test_enter_yields_the_echoed_line_at_once_with_its_offset():
    r = Relay()
    r.typed("ls -la /tmp")
    assert r.tracker.pending() == "ls -la /tmp"
    assert r.key(b"\r", ACCEPT + b"total 0\r\n" + PROMPT) == [CommandLine("ls -la /tmp", r.ms)]
    assert r.tracker.pending() == ""
    r.typed("pwd")
    r.key(b"\r", ACCEPT + b"/root\r\n" + PROMPT)
    assert [(line.text, line.offset_ms) for line in r.lines] == [("ls -la /tmp", 1200), ("pwd", 1600)]


def test_an_empty_or_blank_line_yields_nothing():
    r = Relay()
    r.key(b"\r", b"\r\n" + PROMPT)
    r.typed("   ")
    r.key(b"\r", ACCEPT + PROMPT)
    assert r.texts() == []


def test_the_line_is_what_readline_redrew_not_the_keys():
    r = Relay()
    r.typed("echo helo")
    r.play([(b"\x1b[D", b"\x08"), (b"\x1b[D", b"\x08"), (b"l", b"\x1b[Clo\x08\x08"), (b"\x05", b"\x1b[C\x1b[C"),
            (b" ", b" "), (b"x", b"x"), (b"\x7f", b"\x08\x1b[K"), (b"\r", ACCEPT + b"hello\r\n" + PROMPT)])
    assert r.texts() == ["echo hello"]


def test_history_recall_and_completion_count_as_echoed():
    r = Relay()
    r.typed("ls uni")
    r.play([(b"\t", b"que_filename.txt "), (b"\r", ACCEPT + b"unique_filename.txt\r\n" + PROMPT),
            (b"\x1b[A", b"ls unique_filename.txt "), (b"\x7f", b"\x08\x1b[K"), (b"\x7f", b"\x08\x1b[K"),
            (b"\r", ACCEPT + PROMPT)])
    assert r.texts() == ["ls unique_filename.txt", "ls unique_filename.tx"]


def test_a_wrapped_line_is_joined_even_with_the_cursor_back_at_its_start():
    r = Relay(width=30)
    r.typed("echo 0123456789012345678901")
    r.key(b"2", b"2 \r")                      # readline moves to the next row itself at the margin
    r.typed("34567890123456789")
    r.key(b"\x01", b"\x1b[A\r\x1b[C\x1b[C")
    assert r.key(b"\r", b"\r\n\r\r\n\x1b[?2004l\r") == [CommandLine("echo " + "0123456789" * 4, r.ms)]


def test_a_line_ending_at_the_right_margin_and_one_taller_than_the_screen():
    r = Relay(width=20, height=4)
    r.typed("echo 0123456789012")
    r.key(b"3", b"3 \r")
    r.key(b"\r", ACCEPT + PROMPT)
    line = "echo " + "-".join("%03d" % i for i in range(30))      # six rows on a screen of four
    r.typed(line)
    r.key(b"\r", ACCEPT + PROMPT)
    assert r.texts() == ["echo 01234567890123", line]


def test_ctrl_c_discards_the_line_and_a_line_it_began():
    cancelled = b"^C\x1b[?2004l\r\x1b[?2004h\x1b[?2004l\r\r\n" + PROMPT
    r = Relay()
    r.typed("rm -rf x")
    r.key(b"\x03", cancelled)
    r.key(b"\x03", cancelled)
    r.typed("ls")
    r.key(b"\x03", cancelled)
    r.typed("id")
    r.key(b"\r", ACCEPT + PROMPT)
    assert r.texts() == ["id"]


def test_keys_are_not_lines_while_a_full_screen_program_runs():
    r = Relay(height=6)
    r.typed("less /etc/hostname")
    r.key(b"\r", ACCEPT + b"\x1b[?1049h\x1b[22;0;0t\x1b[?1h\x1b=\rvm\r\n\x1b[7m/etc/hostname (END)\x1b[27m\x1b[K")
    assert r.tracker.full_screen
    r.key(b"\r", b"\r\x1b[K\x07\r\x1b[K\x1b[7m(END)\x1b[27m\x1b[K")
    r.key(b"/", b"\r\x1b[K/")
    r.key(b"x", b"x")
    r.key(b"\r", b"\r\x1b[KPattern not found")
    r.key(b"q", b"\r\x1b[K\x1b[?1l\x1b>\x1b[?1049l\x1b[23;0;0t" + PROMPT)
    assert not r.tracker.full_screen
    r.typed("id")
    r.key(b"\r", ACCEPT + PROMPT)
    assert r.texts() == ["less /etc/hostname", "id"]


def test_the_main_screen_comes_back_after_the_alternate_one():
    r = Relay(width=20, height=4)
    r.typed("vi x")
    r.key(b"\r", ACCEPT + b"\x1b[?1049h\x1b[H\x1b[2J" + b"~     vi's text\r\n" * 3 + b"\"x\" [New]\x1b[H")
    r.key(b":", b"\x1b[4;1H:")
    r.key(b"q", b"q")
    r.key(b"\r", b"\r\x1b[?1049l" + PROMPT)
    r.typed("id")
    assert r.tracker.pending() == "id"
    r.key(b"\r", ACCEPT + PROMPT)
    assert r.texts() == ["vi x", "id"]


def test_a_pasted_block_yields_each_line_when_bash_runs_them():
    r = Relay()
    assert r.key(b"\x1b[200~echo a\necho b\n\x1b[201~",
                 b"\x1b[7mecho a\x1b[27m\r\n\r\x1b[7mecho b\x1b[27m\r\n\r") == []
    assert r.texts() == []                        # bash waits for Enter
    assert r.key(b"\r", b"") == []                # the redrawn block has not come back yet
    r.tracker.output(b"\x1b[A\x1b[A\x1b[C\x1b[Cecho a\r\n\recho b\r\n\r\x1b[A\r\n\x1b[?2004l\r")
    assert r.tracker.take() == [CommandLine("echo a", r.ms), CommandLine("echo b", r.ms)]


def test_a_paste_marker_split_across_chunks_still_holds_its_newlines():
    r = Relay()
    r.key(b"\x1b[20", b"")
    r.key(b"0~echo a\necho b", b"\x1b[7mecho a\x1b[27m\r\n\r\x1b[7mecho b\x1b[27m")
    r.key(b"\x1b[2", b"")
    r.key(b"01~", b"")
    assert r.texts() == []
    r.key(b"\r", b"\x1b[A\r\x1b[C\x1b[Cecho a\r\n\recho b\r\n\x1b[?2004l\ra\r\nb\r\n" + PROMPT)
    assert r.texts() == ["echo a", "echo b"]


def test_lines_at_the_secondary_prompt_are_continuations():
    more = ACCEPT + b"\x1b[?2004h> "
    r = Relay()
    r.typed("cat <<E")
    r.key(b"\r", more)
    r.typed("hi")
    r.key(b"\r", more)
    r.typed("E")
    r.key(b"\r", ACCEPT + b"hi\r\n" + PROMPT)
    assert [(line.text, line.continuation) for line in r.lines] == [("cat <<E", False), ("hi", True), ("E", True)]


def test_a_line_found_with_ctrl_r_is_read_once_bash_redraws_it():
    r = Relay()
    r.typed("echo found")
    r.key(b"\r", ACCEPT + b"found\r\n" + PROMPT)
    r.play([(b"\x12", b"\r(reverse-i-search)`': "),
            (b"f", b"\x08\x08\x08f': echo \x1b[7mf\x1b[27mound\x08\x08\x08\x08\x08"),
            (b"o", b"\x08\x08\x08\x08\x08\x08\x08\x08o': echo \x1b[7mfo\x1b[27mund\x08\x08\x08\x08\x08")])
    assert r.tracker.pending() == "echo found"          # what Enter would run, for the gate to judge
    assert r.key(b"\r", b"\r\x1b[22P$ echo found\x08\x08\x08\x08\x08\r\n\x1b[?2004l\rfound\r\n" + PROMPT) == []
    assert r.texts() == ["echo found", "echo found"]


def test_the_line_is_found_where_readline_redraws_it():
    r = Relay()
    r.typed("echo x")
    r.key(b"\x0c", b"\x1b[H\x1b[2J$ echo x")                          # Ctrl-L
    r.key(b"\r", ACCEPT + b"x\r\n" + PROMPT)
    r.typed("ls alpha")
    r.play([(b"\t", b"\x07_"), (b"\t", b"\x07"), (b"\t", b"\r\nalpha_one.txt  alpha_two.txt\r\n$ ls alpha_"),
            (b"o", b"o"), (b"\t", b"ne.txt "), (b"\r", ACCEPT + b"alpha_one.txt\r\n" + PROMPT)])
    assert r.texts() == ["echo x", "ls alpha_one.txt"]


def test_keys_sent_ahead_of_their_echo_are_read_as_bash_takes_them():
    r = Relay()
    assert r.key(b"echo 1\recho 2\r", b"") == []
    r.tracker.output(b"echo 1\r\n\x1b[?2004l\r1\r\n" + PROMPT + b"echo 2\r\n\x1b[?2004l\r2\r\n" + PROMPT)
    assert r.tracker.take() == [CommandLine("echo 1", 100), CommandLine("echo 2", 100)]


def test_a_line_typed_before_its_prompt_is_read_after_that_prompt_not_a_later_one():
    # keys typed as a command ends, before bash draws the prompt (readline holds the tty, so no
    # echo comes yet); bash then draws the prompt, the line, runs it and draws the next prompt
    r = Relay(first=PROMPT + b"echo x" + ACCEPT + b"x\r\n")
    assert r.key(b"echo after", b"") == []
    r.key(b"\r", PROMPT + b"echo after" + ACCEPT + b"after\r\n" + PROMPT)
    r.lines += r.tracker.close()
    assert r.texts() == ["echo after"]


def test_a_line_typed_where_the_prompt_was_announced_before_its_text_came_is_read_after_it():
    # bracketed paste turned on (the prompt's place) came in one chunk, the prompt's text in the
    # next, after the keys were sent: the prompt is not part of the line
    r = Relay()
    r.typed("true")
    r.key(b"\r", ACCEPT + b"\x1b[?2004h")
    assert r.key(b"echo next-$((2+3))", b"$ echo next-$((2+3))") == []
    assert r.tracker.pending() == "echo next-$((2+3))"
    r.key(b"\r", ACCEPT + b"next-5\r\n" + PROMPT)
    assert r.texts() == ["true", "echo next-$((2+3))"]


def test_without_bracketed_paste_lines_ahead_of_their_echo_come_at_the_next_call():
    r = Relay(first=b"$ ")
    r.key(b"echo a\necho b\n", b"echo a\r\na\r\n$ echo b\r\nb\r\n$ ")
    r.typed("id")
    r.key(b"\r", b"\r\nuid=0(root)\r\n$ ")
    assert r.texts() == ["echo a", "echo b", "id"]


def test_keys_typed_while_a_command_runs_are_recorded_once():
    r = Relay()
    r.typed("sleep 1")
    r.key(b"\r", ACCEPT)
    r.typed("pwd")                                # the tty echoes them while sleep runs
    r.key(b"\r", b"\r\n")
    r.tracker.output(PROMPT + b"pwd\r\n\x1b[?2004l\r/root\r\n" + PROMPT)   # readline echoes them again
    r.typed("sleep 1")
    r.key(b"\r", ACCEPT)
    r.typed("ech")
    r.tracker.output(PROMPT + b"ech")             # the prompt came after the line's first keys
    r.typed("o x")
    r.key(b"\r", ACCEPT + b"x\r\n" + PROMPT)
    assert r.texts() == ["sleep 1", "pwd", "sleep 1", "echo x"]


def test_a_resized_window_and_readlines_redraw():
    r = Relay(width=30)
    r.typed("echo 01234567890123456789012")
    r.key(b"3", b"3 \r")
    r.typed("456789")
    r.tracker.resize(20, 24)
    r.tracker.output(b"\r\x1b[K\r\x1b[A\x1b[K\r$ echo 012345678901234567890123456789")
    assert r.tracker.pending() == "echo 012345678901234567890123456789"
    r.key(b"\r", ACCEPT + PROMPT)
    assert r.texts() == ["echo 012345678901234567890123456789"]


def test_wide_characters_and_the_column_readline_leaves_blank_for_one():
    r = Relay(width=16, first="\x1b[?2004h主机$ ".encode())
    r.typed("echo 你好")
    r.key("世".encode(), " \x1b[K世".encode())    # it does not fit in the last column
    r.typed("界")
    r.key(b"\r", ACCEPT + "主机$ ".encode())
    assert r.texts() == ["echo 你好世界"]


def test_one_enter_key_sending_cr_lf_and_a_quoted_cr():
    r = Relay()
    r.typed("id")
    r.key(b"\r\n", ACCEPT + PROMPT)
    r.typed("echo a")
    r.key(b"\x16", b"")
    r.key(b"\r", b"^M")                           # Ctrl-V Enter puts a CR in the line
    r.key(b"\r", ACCEPT + PROMPT)
    assert r.texts() == ["id", "echo a^M"]


def test_a_line_still_waiting_is_read_at_close():
    r = Relay()
    r.key(b"uptime\r", b"uptime\r\n")
    assert r.texts() == []
    assert r.tracker.close() == [CommandLine("uptime", 100)]


def test_history_is_bounded_and_odd_sequences_are_harmless():
    r = Relay(history=50)
    r.tracker.output(b"\x1b[?4m\x1b[?1;2r\x1b[?5n\x1b[>4;2m" + b"line\r\n" * 5000 + PROMPT)
    r.typed("id")
    r.key(b"\r", ACCEPT + PROMPT)
    assert r.texts() == ["id"]
    assert len(r.tracker._screen.history) == 50


def test_a_row_ending_in_a_blank_at_the_margin_still_goes_on():
    r = Relay(width=20)
    r.typed("echo 012345678901")
    r.key(b" ", b"  \r")                          # the blank takes the last column
    r.typed("x")
    r.key(b"\x01", b"\x1b[A\r\x1b[C\x1b[C")
    assert r.key(b"\r", b"\r\n\r\r\n\x1b[?2004l\r") == [CommandLine("echo 012345678901 x", r.ms)]


def test_with_no_prompt_text_a_ctrl_r_search_is_not_taken_for_the_line():
    r = Relay(first=b"\x1b[?2004h")
    r.typed("echo found")
    r.key(b"\r", ACCEPT + b"found\r\n\x1b[?2004h")
    r.play([(b"\x12", b"\r(reverse-i-search)`': "),
            (b"f", b"\x08\x08\x08f': echo \x1b[7mf\x1b[27mound\x08\x08\x08\x08\x08")])
    assert r.key(b"\r", b"\r\x1b[23Pecho found\x08\x08\x08\x08\x08\r\n\x1b[?2004l\rfound\r\n\x1b[?2004h") == []
    assert r.texts() == ["echo found", "echo found"]


def test_ctrl_o_runs_the_line_and_brings_up_the_next_one_from_history():
    r = Relay()
    r.play([(b"\x1b[A", b"echo two"), (b"\x1b[A", b"\x08\x08\x08one"),
            (b"\x0f", ACCEPT + b"one\r\n" + PROMPT + b"echo two"),
            (b"\x0f", ACCEPT + b"two\r\n" + PROMPT + b"echo one"),
            (b"\x03", b"^C\x1b[?2004l\r\x1b[?2004h\x1b[?2004l\r\r\n" + PROMPT)])
    assert r.texts() == ["echo one", "echo two"]


def test_lines_typed_to_a_program_and_the_ctrl_d_that_ends_it():
    r = Relay()
    r.typed("python3 -q")
    r.key(b"\r", ACCEPT + b">>> ")
    r.typed("print(6*7)")
    r.key(b"\r", b"\r\n42\r\n>>> ")
    r.key(b"\x04", b"\r\n\x1b[?2004hroot@host:~# ")
    r.typed("id")
    r.key(b"\r", ACCEPT + b"\x1b[?2004hroot@host:~# ")
    assert r.texts() == ["python3 -q", "print(6*7)", "id"]


def test_a_line_typed_ahead_is_read_whole_however_its_echo_is_cut():
    # the line and its Enter go while bash still prints the last command's output; then come (in
    # pieces, as a loaded target sends them) the tty's own echo where the keys came in cooked mode,
    # the prompt, readline's echo of the line, its accept and its output
    line = b"echo other-2-$((40+2))"
    ends = {
        "readline echoes it": PROMPT + line + ACCEPT + b"other-2-42\r\n" + PROMPT,
        "the tty echoed it first": line + b"\r\n" + PROMPT + line + ACCEPT + b"other-2-42\r\n" + PROMPT,
    }
    for how, rest in ends.items():
        for cut in range(1, len(rest)):          # inside the prompt's escape, after its first letter ...
            t = LineTracker(80, 24)
            t.output(PROMPT)
            got = t.input(b"echo 1\r", 100)
            t.output(b"echo 1" + ACCEPT + b"1\r\n")
            got += t.take() + t.input(line + b"\r", 200)
            for piece in (rest[:cut], rest[cut:]):
                t.output(piece)
                got += t.take()
            assert [g.text for g in got + t.close()] == ["echo 1", line.decode()], (how, rest[:cut])


def test_a_line_a_silent_read_takes_is_not_read_off_a_later_prompt():
    r = Relay()
    r.typed("read -s x")
    r.key(b"\r", ACCEPT)
    r.key(b"secret\r", PROMPT)                   # no echo, no new line: the prompt on the same row
    r.typed("echo after")
    r.key(b"\r", ACCEPT + b"after\r\n" + PROMPT)
    r.lines += r.tracker.close()
    assert r.texts() == ["read -s x", "echo after"]     # once (stamped with the secret's Enter)
