"""The work one line may cost the command analysis (shell_commands.parse_budget): a crafted line
is blocked once its readings pass the budget, instead of taking seconds of the gateway's event
loop; lines met in use stay far under it and are judged as before."""
import pytest

from layers.bastion import shell_commands
from layers.bastion.command_policy import Policy
from layers.bastion.shell_commands import (PARSE_WORK_BASE, PARSE_WORK_PER_CHAR, TOO_MUCH_WORK, TooComplex, analyse,
                                           parse_budget, parse_work)

# Found by a random-program fuzzer: each nests readings of readings (assignments' values,
# substitutions, eval, rewrites of a line the grammar rejects) into over a million bytes to parse;
# before the budget, Policy.check took 3.8 and 4.9 s over them.
CRAFTED = [
    "X=1 case ${X[@]} in *) if i=} </dev/null printf -v X -; then eval && ${X-rm} x; else >&2 exec rm x 'b c'; fi;;& "
    "*) f() { i=$# Y=? r\\m x; } <<'E'\nx\nE\n; g | X={a,b} X=* exec;; esac && [[ $# < $$ ]] && : ${x:=$(i=? "
    "&>>/dev/null type '' [[ | eval $)} \n : ${x:=$(( X=$_ IFS=: env rm x ) & <<<${X:+`builtin [[ a=(b c)\nY='#' "
    "<<'E'\nx\nE\n alias $[1]`} . <<-E\n\tx\n\tE\n)};",
    "if export >>/dev/null + $#;case [[ in a|*) read -t0 $X;; *) trap '</dev/null set -- $# ! ${Y:-z}' EXIT;; esac; "
    "then >>/dev/null : a <<<[[ !; elif { f=} Y=${X[@]} getopts a; } |& coproc [[ a =~ (b|c) ]] && Y=' 0<&- wait $; "
    "then a=<(select v in a; do f() { a='#' true + $0 || <>/dev/null test ~ ${X[@]} [[; }; echo && function g { "
    "i=$[1] f=]] >>/dev/null local ! \\; *; }; f; break; done) Y=- set -- \\\\ || f=${#X} {fd}>/dev/null printf %s \n "
    "( coproc N { cat ! | Y=? :; } ) | case ${X:+`printf %s $((1+2)) - ]]`} in *)|b) for ((i=0;i<1;i++)); do "
    "declare ]] %; done;; *) [[ ( a < b ) ]] && f={a,b} IFS=] trap\ni=~ <<E\n$(Y=] f=${#X} exec $# $((1+2)) "
    "a=(b c))\nE\n shift 'b c' ~ ${Y:-z};& esac; else { alias ~; } || printf %s <<E\n$(getopts a $X a $((1+2)))\nE\n "
    "$((1+2)); fi && (( $({ rm x; } @(-- |& time X=% test || (( i++ )) ; getopts a { $! ]]) ))",
]

# Lines of the kinds met in use, the heaviest the suite knows among them: a here-document pasted
# after a command, nested substitutions and assignments, an eval chain, a script of many lines,
# one with every construct the rewrites read again (braces, backquotes, extglobs, here-documents,
# C strings: ~26 times its length).
IN_USE = [
    ("`rm x`\ncat > f <<EOF\n" + "a = 1\n" * 2000 + "EOF", False),
    ("cat > notes.txt <<EOF\n" + "rm -rf is only text here\n" * 1000 + "EOF", True),
    ("X=$(printf '%s' \"$(date +%s)\"); Y=${X:-$(hostname)}; echo \"$X $Y\" | tee -a log", True),
    ("eval " * 6 + "rm x", False),
    ("cp file.{txt,bak} /tmp/ && echo `date` > stamp\nls @(a|b).log 2>/dev/null\ncat > conf <<EOF\nkey=value\n"
     "EOF\nX=$'a\\tb'; echo \"$X\"\n" * 100, True),
    ("".join(f"if [ -f f{i} ]; then cp f{i} g{i} && echo \"$(wc -l < f{i})\"; fi\n" for i in range(300)), True),
    ("for f in *.log; do gzip -9 \"$f\" && mv \"$f.gz\" archive/; done", True),
]


def policy() -> Policy:
    return Policy.from_acls([{"CmdTemplateIds": [9]}], {9: {"Id": 9, "Name": "rm", "CmdList": "rm"}})


def budget(text: str) -> int:
    return PARSE_WORK_BASE + PARSE_WORK_PER_CHAR * len(text)


@pytest.mark.parametrize("line", CRAFTED)
def test_a_line_whose_readings_pass_the_budget_is_blocked_for_it(line):
    assert parse_work(line) > 10 * budget(line)       # read whole, it would cost this much
    decision = policy().check(line)
    assert not decision.allowed
    assert decision.reason == "unparsable" and decision.rule == TOO_MUCH_WORK
    assert decision.message == f"blocked: {TOO_MUCH_WORK}"


@pytest.mark.parametrize("line", CRAFTED)
def test_the_check_stops_at_the_budget(line, monkeypatch):
    charged = []
    real = shell_commands._charge

    def charge(size):
        charged.append(size)
        real(size)
    monkeypatch.setattr(shell_commands, "_charge", charge)
    policy().check(line)
    # what was read before the budget ran out, and the one reading that passed it
    assert sum(charged[:-1]) <= budget(line) < sum(charged)


@pytest.mark.parametrize("line, allowed", IN_USE)
def test_lines_met_in_use_stay_far_under_the_budget_and_are_judged_as_ever(line, allowed):
    assert parse_work(line) <= budget(line) // 2
    decision = policy().check(line)
    assert decision.allowed is allowed
    assert decision.rule != TOO_MUCH_WORK


def test_nested_budgets_are_one():
    """Every analysis of one check (its prefixes, its rewrites) draws on the check's budget."""
    with parse_budget("x"):
        left = shell_commands._work.get()
        with parse_budget("a much longer text than x"):
            assert shell_commands._work.get() is left
        analyse("echo one; echo two")
        assert left[0] < budget("x")
    assert shell_commands._work.get() is None


def test_an_analysis_alone_has_a_budget_of_its_own():
    with pytest.raises(TooComplex, match=TOO_MUCH_WORK):
        analyse(CRAFTED[0])
