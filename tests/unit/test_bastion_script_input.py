"""A shell's input without a terminal, judged line by line (layers/bastion/ssh/script_input.py)."""
from layers.bastion.command_policy import Policy, compile_template
from layers.bastion.ssh.script_input import LINE_LIMIT, ScriptInput

RM = Policy([compile_template("t", "rm")])


def test_complete_lines_go_in_order_and_a_part_line_waits():
    s = ScriptInput(RM)
    assert s.feed(b"echo a\necho b\nech") == ([("echo a", b"echo a\n"), ("echo b", b"echo b\n")], None)
    assert s.feed(b"o c") == ([], None)
    assert s.feed(b"", end=True) == ([("echo c", b"echo c")], None)


def test_a_refused_line_ends_the_script_there():
    s = ScriptInput(RM)
    lines, refused = s.feed(b"echo a\nrm -rf /x\necho never\n")
    assert lines == [("echo a", b"echo a\n")] and refused[0] == "rm -rf /x" and refused[1].rule == "rm"
    assert s.ended and s.feed(b"echo later\n") == ([], None)


def test_a_construct_is_judged_with_the_lines_that_complete_it():
    s = ScriptInput(RM)
    lines, refused = s.feed(b"if true; then\n")
    assert lines == [] and refused is None          # held: bash runs none of it before `fi`
    lines, refused = s.feed(b"r\\\n")
    assert lines == [] and refused is None
    lines, refused = s.feed(b"m -f /x\nfi\n")
    assert lines == [] and refused[0] == "if true; then\nr\\\nm -f /x"


def test_a_construct_goes_whole_once_complete():
    s = ScriptInput(RM)
    assert s.feed(b"cat <<EOF\nrm is a word here\n\n") == ([], None)
    lines, refused = s.feed(b"EOF\necho after\n")
    assert refused is None and lines == [("cat <<EOF", b"cat <<EOF\n"), ("rm is a word here", b"rm is a word here\n"),
                                         ("", b"\n"), ("EOF", b"EOF\n"), ("echo after", b"echo after\n")]


def test_an_input_that_ends_inside_a_construct_is_refused_and_nothing_of_it_goes():
    # bash runs an unfinished here-document as it stands when its input ends
    for script in (b"cat <<EOF\nbody\n", b"cat <<EOF\nbody", b"if true; then\necho x\n"):
        s = ScriptInput(RM)
        lines, refused = s.feed(script)
        assert lines == [] and refused is None
        lines, refused = s.feed(b"", end=True)
        assert lines == [] and refused is not None and "unfinished" in refused[1].message, script
        assert s.ended
    s = ScriptInput(RM)
    assert s.feed(b"echo a\ncat <<EOF\nb\n") == ([("echo a", b"echo a\n")], None)
    assert s.feed(b"EOF", end=True)[1] is None      # the delimiter as the last line, without its newline


def test_an_exec_command_left_open_is_refused():
    assert not RM.check_whole("cat <<EOF\nbody").allowed
    assert not RM.check_whole("echo 'open").allowed
    assert RM.check_whole("cat <<EOF\nbody\nEOF").allowed and RM.check_whole("echo done").allowed


def test_without_a_policy_every_line_goes_and_a_line_without_end_is_bounded():
    s = ScriptInput(None)
    assert s.feed(b"rm -f /x\n") == ([("rm -f /x", b"rm -f /x\n")], None)
    lines, _ = s.feed(b"x" * (LINE_LIMIT + 1))
    assert len(lines) == 1 and len(lines[0][1]) == LINE_LIMIT + 1


def test_a_carriage_return_and_a_nul_are_read_as_bash_reads_them():
    # `\<CR><LF>` is no line continuation to bash: it runs `echo hi <CR>`, then rm (checked with bash)
    s = ScriptInput(RM)
    lines, refused = s.feed(b"echo hi \\\r\nrm -f victim \r\n")
    assert lines == [("echo hi \\", b"echo hi \\\r\n")] and refused[1].rule == "rm"
    assert not RM.check_whole("echo hi \\\r\nrm -f victim \r").allowed
    s = ScriptInput(RM)      # bash drops a NUL byte from its input: `r<NUL>m` is rm
    assert s.feed(b"r\0m -f victim\n")[1][1].rule == "rm"
    assert not RM.check_whole("r\0m -f victim").allowed and RM.check_whole("echo ok\0").allowed
    s = ScriptInput(RM)      # a CRLF script's here-document ends at its CRLF delimiter, as in bash
    lines, refused = s.feed(b"cat <<EOF\r\nbody\r\nEOF\r\necho b\r\n", end=True)
    assert refused is None and [t for t, _ in lines] == ["cat <<EOF", "body", "EOF", "echo b"]


def test_a_long_here_document_is_not_read_again_for_each_line_of_its_body():
    """Only a line that may be its delimiter (or now and then one, 2nd, 4th, 8th…) has the held
    text judged again: a 1,000-line body is read a dozen times, not a thousand."""
    checked = []

    class Counting(Policy):
        def check(self, line):
            checked.append(len(line))
            return super().check(line)
    s = ScriptInput(Counting([compile_template("t", "rm")]))
    body = "".join(f"setting_{i} = value {i}\n" for i in range(1000))
    lines, refused = s.feed(f"cat > app.conf <<'EOF'\n{body}EOF\necho done\n".encode())
    assert refused is None and len(lines) == 1003 and lines[-2][0] == "EOF"
    assert len(checked) < 20
    s = ScriptInput(Counting([compile_template("t", "rm")]))     # <<- with a tab before its delimiter
    lines, refused = s.feed(f"cat <<-E\"N\"D\n{body}\tEND\necho done\n".encode())
    assert refused is None and len(lines) == 1003


def test_an_empty_line_ends_a_here_document_only_where_its_delimiter_is_empty():
    body = b"".join(b"line %d\n" % i for i in range(10))
    s = ScriptInput(RM)             # `<<''`: the empty line ends it, and `rm x` is a command
    lines, refused = s.feed(b"cat <<''\n" + body + b"\nrm x\n")
    assert refused is not None and refused[0] == "rm x" and len(lines) == 12
    s = ScriptInput(RM)             # `<<EOF`: the empty line is text, and so is `rm x`
    lines, refused = s.feed(b"cat <<EOF\n" + body + b"\nrm x\nEOF\necho done\n", end=True)
    assert refused is None and len(lines) == 15


def test_a_shell_that_edits_its_input_has_a_line_its_editor_would_change_refused():
    """`ssh host 'bash -i' < f`: readline edits the lines (`mr<Ctrl-T> x` is `rm x`) and bash
    expands history in them, though no terminal shows it; such a line is refused, plain ones go."""
    s = ScriptInput(RM, editor=True)
    lines, refused = s.feed(b"echo a\nmr\x14 -f x\necho never\n")
    assert lines == [("echo a", b"echo a\n")] and refused[0] == "mr\x14 -f x"
    assert refused[1].reason == "dynamic" and "line editor" in refused[1].rule
    s = ScriptInput(RM, editor=True)
    assert s.feed(b"echo rm\n")[1] is None and s.feed(b"!!:1 -f x\n")[1] is not None
    s = ScriptInput(RM)                         # `bash` without -i reads them as they stand
    assert s.feed(b"mr\x14 -f x\n") == ([("mr\x14 -f x", b"mr\x14 -f x\n")], None)
