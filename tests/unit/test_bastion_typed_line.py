"""The line the keys make, where they alone tell it (layers/bastion/ssh/typed_line.py)."""
import pytest

from layers.bastion.ssh.typed_line import TypedLine


def typed(*chunks: bytes, editor: bool = True):
    line = TypedLine()
    for chunk in chunks:
        line.feed(chunk, editor)
    return line.text()


@pytest.mark.parametrize("chunks, text", [
    ((b"rm -rf /x",), "rm -rf /x"),
    ((b"rm -rf /y\x7f", b"x"), "rm -rf /x"),                  # Backspace
    ((b"ls\x15rm x",), "rm x"),                               # Ctrl-U
    ((b"ls -l  \x17x",), "ls x"),                             # Ctrl-W
    ((b"ls\r", b"rm x"), "rm x"),                             # a new line after Enter
    ((b"rm x\x03", b"ls"), "ls"),                             # Ctrl-C abandons the line
    ((b"rm\x0c x\x07",), "rm x"),                             # Ctrl-L, Ctrl-G leave the text alone
    ((b"\x1b[200~rm\rx\x1b[201~",), "rm\nx"),                 # a paste keeps its newlines
    ((b"\x1b[200~r", b"m x\x1b[20", b"1~\x01z"), "zrm x"),   # ... its end marker cut between chunks
    ((b"xrm x\x01\x04",), "rm x"),                            # Home, Delete
    ((b"#rm x\x01\x1b", b"[3~"), "rm x"),                     # ... a key's sequence cut between chunks
    ((b"#rm x\x01\x1b[3",), None),                            # ... and not ended yet
    ((b"mr x\x01\x06\x14",), "rm x"),                         # Ctrl-T swaps the letters
    ((b"mr\x14 x",), "rm x"),
    ((b"x rm\x01\x0b\x19\x19",), "x rmx rm"),                 # Ctrl-K, then Ctrl-Y twice
    ((b"rm x\x15ls \x19",), "ls rm x"),                       # Ctrl-U kills what Ctrl-Y puts back
    ((b"a b c\x17\x17\x19",), "a b c"),                       # two kills in a row make one entry
    ((b"RM x\x01\x1bl",), "rm x"),                            # Alt-L lowers a word's case
    ((b"ab cd\x01\x1bc\x1bu",), "Ab CD"),                     # Alt-C, Alt-U
    ((b"echo x\x1bb\x1bb\x1bd",), " x"),                      # Alt-B, Alt-D
    ((b"r x\x1b[1;5D\x1bb\x1b[D\x1b[Cm",), "rm x"),           # Ctrl-Left (Debian's inputrc), arrows
    ((b"a\x16\x1b[Db",), "a\x1b[Db"),                         # Ctrl-V: the next key is text
    ((b"\x1b[A",), None),                                     # history recall: only the screen tells
    ((b"\x1b[A\r", b"rm"), "rm"),                             # ... the next line is known again
    ((b"r\t",), None),                                        # Tab completion
    ((b"rm\x1b[2~x",), None),                                 # Insert: a key bound differently here and there
    ((b"ls\x12",), None),                                     # Ctrl-R
    ((b"rm x\x1f",), None),                                   # undo
    ((b"\x1b2\x7f",), None),                                  # a numeric argument
])
def test_the_keys_make_the_line_or_leave_it_unknown(chunks, text):
    assert typed(*chunks) == text


@pytest.mark.parametrize("keys, text", [
    (b"rm -rf /x", "rm -rf /x"),
    (b"rm -rf /y\x7fx", "rm -rf /x"),         # the terminal's own erase
    (b"ls\x15rm x", "rm x"),                  # ... and kill
    (b"a-b\x17", None),                       # its word erase is not readline's (`a-`, not ``)
    (b"xrm x\x01\x04", None),                 # kept for readline to edit when it reads them
    (b"rm\x1b[D", None),
    (b"\x1b[200~rm\x1b[201~", None),          # a paste marker too
])
def test_keys_typed_ahead_to_the_terminal_are_known_where_its_line_mode_tells_them(keys, text):
    """Typed while a command runs, keys go to the kernel's line mode: Backspace and Ctrl-U act
    there, and whatever else they do happens when readline reads them, after they were sent."""
    assert typed(keys, editor=False) == text


def test_once_the_terminals_keys_may_be_others_the_keys_tell_nothing():
    """After `stty erase q` a typed-ahead `#qrm x` is `rm x` (and readline binds `q` to erase as
    well); after `stty intr undef` Ctrl-C is a character of the line."""
    line = TypedLine()
    line.tty_keys_known = False
    for keys, editor in ((b"#qrm x", False), (b"\r#qrm x", True), (b"\rls\x03", True)):
        line.feed(keys, editor)
        assert line.text() is None
    line.feed(b"\r", True)
    assert line.text() == ""


def test_once_readlines_keys_may_be_bound_otherwise_the_keys_tell_nothing_but_ctrl_c_still_interrupts():
    line = TypedLine()
    line.editor_keys_known = False
    line.feed(b"#rm x\x01\x14")
    assert line.text() is None
    line.feed(b"\x03")
    assert line.text() == ""


def test_a_line_typed_ahead_and_edited_at_the_prompt():
    line = TypedLine()
    line.feed(b"mr x", editor=False)
    line.feed(b"\x01\x06\x14", editor=True)        # the prompt came: Home, Right, Ctrl-T
    assert line.text() == "rm x"


def test_the_kill_ring_outlives_the_line_but_not_a_kill_from_an_unknown_line():
    assert typed(b"rm x\x01\x0b\r", b"\x19") == "rm x"
    assert typed(b"rm x\x01\x0b\r", b"\x1b[A\x01\x0b\r", b"\x19") is None


def test_a_kill_after_typed_text_after_a_kill_may_join_it():
    """Readline reads typed-ahead text in one go and leaves "the last key killed" standing: the
    kill after it joins the first one's entry or not, as the keys came."""
    assert typed(b"ab\x17cd\x17\x19") is None                 # `cdab` or `cd`
    assert typed(b"ab\x17cd\x01\x0b\x19") == "cd"             # a key between: a kill of its own
    assert typed(b"ab cd\x01\x1bd\x17\x1bd\x19") == " cd"      # nothing to kill (the bell): no kill either
    assert typed(b"ab cd\x01\x1bd\x1bd\x19") == "ab cd"


def test_characters_beyond_ascii_are_read_as_the_targets_locale_says():
    """In the C locale readline takes `é` for two characters, no letter (`#é`, Alt-Backspace,
    `rm x` is `rm x` there, `#rm x` in UTF-8), and typed, each byte is a key of its own: such a
    line is unknown to the keys, but for a paste (literal text) followed by no edit."""
    assert typed("#é\x1b\x7frm x".encode()) is None
    assert typed("echo 你好".encode()) is None
    assert typed("\x16é".encode()) is None                                     # Ctrl-V: one byte of it
    assert typed("é".encode(), editor=False) is None                         # typed ahead: read later as keys
    assert typed("\x1b[200~echo 你好\x1b[201~ x".encode()) == "echo 你好 x"
    assert typed("\x1b[200~#é\x1b[201~\x7f".encode()) is None                # a paste, then an edit
    assert typed("\x1b[200~#é\x1b[201~\x0c\x19".encode()) == "#é"            # Ctrl-L, a yank: not edits
    assert typed("\x1b[200~é\x1b[201~\rrm x\x01\x06\x14".encode()) == "mr x"      # the next line is ASCII again
