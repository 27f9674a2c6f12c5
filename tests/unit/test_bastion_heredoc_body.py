"""Which lines of a here-document's body may end it (layers/bastion/heredoc_body.py), checked
against what bash ends it at."""
import shutil
import subprocess

import pytest

from layers.bastion.heredoc_body import HeredocBody


def past_the_first_lines(held: str) -> HeredocBody:
    body = HeredocBody(held)
    for _ in range(4):          # the 1st, 2nd and 4th lines are judged whatever they are
        body.may_end("x")
    return body


@pytest.mark.parametrize("held, line", [
    ("cat <<EOF", "EOF"),
    ("cat <<'EOF'", "EOF"),
    ('cat <<"E"O\\F > f', "EOF"),
    ("cat <<-EOF", "\t\tEOF"),
    ("cat <<A <<B", "B"),
    ("if true; then\ncat <<\\\nEND", "END"),      # a line continuation between `<<` and its word
    ("cat <<''", ""),                            # an empty delimiter: an empty line ends it
    ("cat <<\"\"''; ls", ""),
    ("cat <<\"'\"", "'"),                        # a line that is only quotes
    ("cat <<'  '", "  "),
    ("cat <<$'\\x45'", "E"),                     # $'...' translated: any line may end it
])
def test_a_line_bash_ends_the_body_at_may_end_it(held, line):
    assert past_the_first_lines(held).may_end(line)


@pytest.mark.parametrize("held, line", [
    ("cat <<EOF", "body text"),
    ("cat <<EOF", ""),                           # an empty line ends only an empty delimiter
    ("cat <<EOF", "EOF2"),
])
def test_other_lines_do_not(held, line):
    assert not past_the_first_lines(held).may_end(line)


def test_the_first_lines_and_then_one_in_twice_as_many_are_judged_whatever_they_are():
    body = HeredocBody("cat <<EOF")
    judged = [n for n in range(1, 70) if body.may_end("text")]
    assert judged == [1, 2, 4, 8, 16, 32, 64]
    body = past_the_first_lines("cat <<EOF")
    assert body.may_end("text", "EOF") and not body.may_end("text", "more text")   # any reading


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("held, line", [
    ("cat <<''", ""), ("cat <<\"'\"", "'"), ("cat <<-EOF", "\t\tEOF"), ("cat <<$'\\x45'", "E"),
    ('cat <<"E"O\\F', "EOF"), ("cat <<'  '", "  "),
])
def test_bash_ends_those_bodies_at_those_lines(held, line):
    script = f"{held}\nbody\n{line}\necho after-$((1+1))\n"
    out = subprocess.run(["bash", "--norc", "--noprofile"], input=script.encode(), capture_output=True).stdout
    assert out == b"body\nafter-2\n"
