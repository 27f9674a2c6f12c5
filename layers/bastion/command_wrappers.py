"""Commands that run another command: sudo, env, nice, timeout, xargs, bash -c, eval, ...

`inner(name, args, stdin)` says what a wrapper runs, its own options skipped:
  - a list of words: the command it runs (itself maybe a wrapper);
  - a Script: text the wrapper runs as shell code (bash -c, eval, su -c, watch, a here-document
    fed to a shell), to be parsed as commands;
  - an Unknown: the wrapper runs code that only exists when it runs (a shell reading a pipe
    fed by a program, `bash -c "$X"`).
`trap`, `fc` and `complete` count as wrappers here: they run code later (a trap's, a history line,
a completion's). So do the builtins that evaluate a name or an arithmetic expression given as
text (`let 'a[$(rm x)]=1'`, `read`, `printf -v`, `unset`): bash expands an array subscript's
`$(...)` when it evaluates it, quoted or not (`later`).
A command that is not a wrapper, or a wrapper that runs nothing (`sudo -l`, `command -v rm`,
`bash script.sh`), gives an empty list.
"""
import posixpath
import re
import shlex
from typing import List, Optional, Sequence

from layers.bastion import program_commands
from layers.bastion.interactive_input import EDITOR, edited
from layers.bastion.shell_words import (Inner, Script, Spec, Stdin, Unknown, Word, code_in, held, names,
                                        options)


ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")     # `X=1`, `X+=1`, `a[1]=x`
# Text that bash reads again where it is used runs its command substitutions then (see later()).
LATER = re.compile(r"\$\(|`")
_ASSIGNED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[.*\])?\+?=", re.S)
STDIN_FILES = frozenset({"/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})
FD_FILE = re.compile(r"/(?:dev/fd|proc/(?:self|\$\$|\$BASHPID|\d+)/fd)/(\d+)")
NETWORK_FILE = re.compile(r"/dev/(?:tcp|udp)/")      # bash opens a connection for these names
XARGS_INPUT, FIND_PATH = "${XARGS_INPUT}", "${FIND_PATH}"       # stand-ins for what they insert
STARTUP_VARIABLES = ("BASH_ENV", "ENV")        # a file of code a shell runs as it starts
IMPORTED_FUNCTION = re.compile(r"BASH_FUNC_(.+)%%")
# bash's tables of aliases and of command paths: an entry makes a name run something else
# (`BASH_CMDS[ls]=/bin/rm` makes `ls x` run rm, like `hash -p`; `BASH_ALIASES[s]=eval`, like `alias`)
SHELL_TABLE = re.compile(r"(?:^|[=\s])(BASH_ALIASES|BASH_CMDS)(?![A-Za-z0-9_])")
# what an alias's value is judged with after it: a command there (`alias s=eval`, `alias s='sudo '`,
# `alias s='ls;'`) is whatever the words after the alias are, known only when it is used
AFTER_ALIAS = " $WORDS_AFTER_THE_ALIAS"
SHELL_WHEN_EMPTY = frozenset({"chroot", "nsenter", "unshare", "pkexec", "firejail"})   # run a shell without a command
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "yash", "posh", "rbash", "ksh93"})


SPECS = {
    "sudo": Spec("ugCprtUDRTh", names("user", "group", "close-from", "prompt", "role", "type", "other-user",
                                    "chdir", "chroot", "command-timeout", "host"),
                 no_command="elvkKV", long_no_command=names("edit", "list", "validate", "reset-timestamp",
                                                          "remove-timestamp", "version", "help"),
                 assignments=True),
    "doas": Spec("uC", no_command="L"),
    "env": Spec("uCS", names("unset", "chdir", "split-string"), assignments=True),
    "nice": Spec("n", names("adjustment")),
    "nohup": Spec(),
    "timeout": Spec("sk", names("signal", "kill-after"), positionals=1),
    "exec": Spec("a"),
    "command": Spec(no_command="vV"),
    "builtin": Spec(),
    "time": Spec("fo", names("format", "output"), assignments=True),
    "stdbuf": Spec("ioe", names("input", "output", "error")),
    "setsid": Spec(),
    "ionice": Spec("cn", names("class", "classdata"), no_command="p", long_no_command=names("pid", "pgid", "uid")),
    "chroot": Spec("", names("userspec", "groups"), positionals=1),
    "taskset": Spec("", no_command="p", long_no_command=names("pid"), positionals=1),
    "unbuffer": Spec(),
    # (its namespace options take a file only attached: `-m` alone is the target's mount namespace)
    "nsenter": Spec("tSGW", names("target", "setuid", "setgid", "wdns")),
    "strace": Spec("eoOpPsSuEIXabU", no_command="p"),
    "ltrace": Spec("eoOpPsSuEIXabU", no_command="p"),
    "coproc": Spec(assignments=True),
    "pkexec": Spec("", names("user"), long_no_command=names("version", "help")),
    "ssh-agent": Spec("aEPtO", no_command="k"),
    "dbus-run-session": Spec("", names("config-file", "dbus-daemon")),
    "prlimit": Spec("po", names("pid", "output"), no_command="p", long_no_command=names("pid")),
    "unshare": Spec("SGRw", names("setuid", "setgid", "root", "wd", "propagation", "map-user", "map-group",
                                "map-users", "map-groups", "monotonic", "boottime", "load-interp", "setgroups")),
    "chrt": Spec("TPD", names("sched-runtime", "sched-period", "sched-deadline"), no_command="pm",
                 long_no_command=names("pid", "max"), positionals=1),
    "numactl": Spec("iNmCpPw", names("interleave", "cpunodebind", "membind", "physcpubind", "preferred",
                                   "preferred-many", "weighted-interleave"),
                    no_command="sH", long_no_command=names("show", "hardware")),
    "systemd-run": Spec("puEDMHC", names("property", "unit", "description", "slice", "setenv", "uid", "gid", "nice",
                                       "working-directory", "machine", "host", "on-active", "on-boot", "on-startup",
                                       "on-unit-active", "on-unit-inactive", "on-calendar", "path-property",
                                       "socket-property", "timer-property", "service-type", "capsule"),
                        no_command="S", long_no_command=names("shell")),
    "cgexec": Spec("g"),
    "firejail": Spec(),
    # programs that run the command after their options: under a debugger, a fake root, a proxy,
    # a virtual display, with a password typed for it, or when a condition holds
    "setpriv": Spec("d", names("reuid", "regid", "ruid", "euid", "rgid", "egid", "groups", "inh-caps",
                               "ambient-caps", "bounding-set", "securebits", "selinux-label", "apparmor-profile",
                               "landlock-access", "landlock-rule", "pdeathsig")),
    "chpst": Spec("uUbe/CnlLmdopfcrt"), "daemonize": Spec("ceopluE"),
    "valgrind": Spec(), "catchsegv": Spec(), "fakeroot": Spec("lisb", names("lib", "faked")),
    "xvfb-run": Spec("nsfepw", names("server-num", "server-args", "auth-file", "error-file", "xauth-protocol",
                                     "wait")),
    "sshpass": Spec("pfdP"), "torify": Spec(), "torsocks": Spec("uapPi", names("user", "pass", "address", "port")),
    "tsocks": Spec(), "proxychains": Spec("f"), "proxychains4": Spec("f"), "chronic": Spec(), "ifne": Spec(),
}
# xargs: options with a value; -i, -e and -l take one only when attached (-i{}, -l5).
XARGS = Spec("IndLPsEa", names("arg-file", "delimiter", "max-args", "max-lines", "max-procs", "max-chars",
                             "eof", "process-slot-var"))
FLOCK = Spec("wEc", names("timeout", "conflict-exit-code", "command"))
WATCH = Spec("nq", names("interval", "equexit"))
SU = Spec("csgGw", names("command", "session-command", "shell", "group", "supp-group", "whitelist-environment"))
RUNUSER = Spec("csgGwu", names("command", "session-command", "shell", "group", "supp-group", "user"))
FIND_EXEC = names("-exec", "-execdir", "-ok", "-okdir")
SCRIPT = Spec("cEIOBTom", names("command", "echo", "log-in", "log-out", "log-io", "log-timing", "output-limit",
                            "logging-format"))
SSH = program_commands.SSH
AT = Spec("qft", no_command="lrdcV")
MAPFILE = Spec("dnOsuCc")


def _stops(found: dict, spec: Spec) -> bool:
    return any(c in found for c in spec.no_command) or any(n in found for n in spec.long_no_command)


def _skip_assignments(words: Sequence[Word], i: int) -> int:
    while i < len(words) and ASSIGNMENT.match(words[i].text):
        i += 1
    return i


def _joined(words: Sequence[Word], runner: str) -> List[Inner]:
    """The code `runner` makes of its words joined (after quote removal, which comes first:
    `eval echo $X'$(rm x)'` runs `rm x`); an expansion's value is code too, unknown before it runs
    (`eval echo $X` runs what X holds). Expansions keep their typed form, so the joined text
    parses back to them (a command name known only when it runs)."""
    code: List[Inner] = [Script(" ".join(w.text for w in words), runner)]
    dynamic = next((w for w in words if w.dynamic), None)
    if dynamic is not None:
        code.append(Unknown(f"`{runner}` runs as code the value of {dynamic.source}"))
    return code


def _negated(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`!` where the grammar reads a command name (`time ! rm x`, `! ! rm x`): the pipeline it
    negates, whose command may follow assignments (`! ! X=1 rm x`), judged as such."""
    i = _skip_assignments(args, 0)
    out: List[Inner] = []
    for w in args[:i]:
        key, _, value = w.text.partition("=")
        out += assigned(key, Word(value, w.dynamic, w.source.partition("=")[2]), stdin)
    return out + ([list(args[i:])] if i < len(args) else [])


# a word that is one expansion and nothing else: its value may be an option (`-c`), or several
WHOLE_EXPANSION = re.compile(r'"?(?:\$\{?[A-Za-z_@*][A-Za-z0-9_]*(?:\[[^]]*\])?\}?|\$\(.*\)|`.*`)"?', re.S)


def _shell(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    i, letters, startup = 0, set(), []
    while i < len(args):
        if args[i].dynamic and (WHOLE_EXPANSION.fullmatch(args[i].source) or args[i].text[:1] in ("-", "+")):
            # `bash $ARGS`, `xargs bash` (its input as words), `bash -$!c` (`$!` may be empty):
            # `-c CODE` when it runs, perhaps
            return startup + [Unknown(f"`{name}` is given options or code known only when it runs "
                                      f"({args[i].source})")]
        w = args[i].text
        if w == "--" or w == "-":
            i += 1
            break
        if w.startswith("--"):
            if w[2:] in ("rcfile", "init-file") and i + 1 < len(args):
                startup = _script_file(name, args[i + 1], stdin)    # `--rcfile <(...)`: run as it starts
                i += 1
            i += 1
            continue
        if len(w) > 1 and w[0] in "-+" and not args[i].dynamic:
            letters.update(w[1:])
            i += 1 + sum(1 for c in w[1:] if c in "oO")
            continue
        break
    if "c" in letters:
        return startup + ([code_in(args[i], f"{name} -c")] if i < len(args) else [])
    if i < len(args) and "s" not in letters:        # `sh -s ARGS` reads its input, ARGS its parameters
        return startup + _script_files(name, args[i:], stdin)
    return startup + _stdin_script(name, stdin, interactive="i" in letters)


def assigned(key: str, value: Word, stdin: Stdin) -> List[Inner]:
    """What setting the variable `key` to `value` makes run: a shell's startup file, a command
    programs run (program_commands.variable_code: `PAGER=CMD`)."""
    return (startup_file(key, value, stdin) + imported_function(key, value) + program_commands.variable_code(key, value)
            + shell_table(key))


def shell_table(text: str) -> List[Inner]:
    """A word that sets (or names, for `read`, `printf -v`, `declare -n`) an entry of bash's alias
    or command-path table: the names it makes run something else are known only when they run."""
    m = SHELL_TABLE.search(text)
    return [Unknown(f"{m.group(1)} makes a name run another command")] if m else []


def imported_function(key: str, value: Word) -> List[Inner]:
    """`BASH_FUNC_ls%%=() { rm x; }` in a bash's environment (`env` sets such names) defines the
    function `ls` in it: judged as that definition."""
    m = IMPORTED_FUNCTION.fullmatch(key)
    if m is None or not value.text.lstrip().startswith("()"):
        return []
    return [Script(f"{m.group(1)} {value.text.lstrip()}", "an imported function")]


def startup_file(key: str, value: Word, stdin: Stdin) -> List[Inner]:
    """BASH_ENV (run by a bash that runs a script or `-c`) or ENV (by `sh -i`) set to what a
    `<(...)` writes or to the standard input: that is code the shell runs as it starts. A file on
    disk is a script (not read here), as with `bash FILE`."""
    if key not in STARTUP_VARIABLES:
        return []
    if value.dynamic and value.feed is None:
        return [Unknown(f"a shell started with {key}={value.source} runs what that names")] \
            if "<(" in value.source else []
    return _script_file(f"{key}=", value, stdin)


def later(word: Word, runner: str) -> Optional[Script]:
    """The command substitutions in text bash evaluates again when it is used, as code to judge
    now, or None. Such text: an array subscript or arithmetic expression (`let 'a[$(rm x)]=1'`,
    `[[ 'a[$(rm x)]' -eq 1 ]]`, a variable's value read by `$((x))` or `${!x}`), a name or
    assignment given to `declare`, `read` or `printf -v`, a compound assignment `declare -a
    'b=($(rm x))'` parses again. Quotes hide it from the grammar, not from bash."""
    if not LATER.search(word.text):
        return None
    return Script(word.text if _ASSIGNED.match(word.text) else ": " + word.text, runner)


def _evaluated(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """Builtins that take variable names (`read`, `unset`, `printf -v`, `test -v`, `declare`)
    or arithmetic (`let`): each argument is text bash may evaluate (later())."""
    if name == "printf" and not any(w.text.startswith("-v") for w in args):
        return []                     # printf prints its arguments; with -v they become a value
    if name not in ("test", "[") and any(w.glob for w in args):
        return [names_from_files(name)]
    return [s for s in (later(w, name) for w in args) if s is not None]


def names_from_files(name: str) -> Unknown:
    """`declare *`: file names given to a builtin that evaluates them (a file `a[$(rm x)]`)."""
    return Unknown(f"`{name}` evaluates the names of files a pathname expansion gives it")


def reading(file: Word, stdin: Stdin) -> Stdin:
    """What reading `file` gives a command whose own input is `stdin`: what the commands of a
    `<(...)` write, the input itself for /dev/stdin; None for a file on disk (not known here)."""
    if file.feed is not None:
        return file.feed
    if NETWORK_FILE.match(file.text):
        return ("dynamic", f"a network connection ({file.text})")    # `bash < /dev/tcp/host/port`
    fd = FD_FILE.fullmatch(file.text)
    if fd is not None and fd.group(1) != "0":
        return ("dynamic", f"file descriptor {fd.group(1)}")     # `bash /dev/fd/3 3<<< 'rm x'`
    return stdin if file.text in STDIN_FILES or fd is not None else None


def expanded(word: Word, runner: str) -> List[Inner]:
    """Words the shell expands later (a prompt string, a completion's word list): their `$(...)`
    and backquotes run then, as in a double-quoted argument of `:`, in the value the word has
    after quote removal (`PS1=$X'$(rm x)'`; its `(`, `;` are only text); an expansion's value is
    expanded again then, unknown now."""
    value = word.text.replace('"', '\\"')
    if (len(value) - len(value.rstrip("\\"))) % 2:
        value += "\\"                  # a last backslash is text, not an escape of the closing quote
    code: List[Inner] = [Script(f': "{value}"', runner)]
    own = re.sub(rf"\$\{{{re.escape(runner)}\}}|\${re.escape(runner)}(?![A-Za-z0-9_])", "", word.source)
    if word.dynamic and ("$" in own or "`" in own):       # (`PS1="(x) $PS1"`: its own value, judged when set)
        code.append(Unknown(f"`{runner}` expands again the value of {word.source}"))
    return code


def duplicated_input(target: Word, stdin: Stdin) -> Stdin:
    """What `<&N` gives a command as its input: descriptor N (opened on an earlier line, from
    anything) unless it is 0; nothing after `<&-`."""
    if target.text == "-":
        return None
    if target.text == "0" and not target.dynamic:
        return stdin
    return ("dynamic", f"file descriptor {target.source}")


def _script_file(name: str, file: Word, stdin: Stdin) -> List[Inner]:
    """A file of commands a shell runs, or `source` reads (see reading())."""
    fed = reading(file, stdin)
    return _stdin_script(name, fed) if fed is not None else []


def _stdin_script(name: str, stdin: Stdin, interactive: bool = False) -> List[Inner]:
    """A shell reading its input; `interactive`: through the line editor, with history expansion
    (`bash -i`, a shell in a terminal of its own), which may make other code of the text."""
    if stdin is None:
        return []                    # interactive: each line it reads is checked as it is typed
    kind, value = stdin
    if kind == "text":
        why = edited(value) if interactive else ""
        if why:
            return [Unknown(f"`{name}` reads its input interactively, and {why} changes it")]
        return [Script(value.replace("\0", ""), f"{name} reading its input")]    # (bash drops a NUL it reads)
    return [Unknown(f"`{name}` runs what it reads from {value}" + (f", {EDITOR}" if interactive else ""))]


def _su(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    # GNU su and runuser take their options before or after the user name
    spec = RUNUSER if name == "runuser" else SU
    end = next((k for k, w in enumerate(args) if w.text == "--"), len(args))
    found, i = options(args[:end], spec)
    rest = end + 1 if end < len(args) else i
    while i < end:
        more, used = options(args[i:end], spec)
        found.update(more)
        i += used if used else 1
    shell = [[held(args, found, key)] for key in ("s", "shell") if key in found][:1]    # run in place of the user's
    for key in ("c", "command", "session-command"):
        if key in found:
            return shell + [code_in(held(args, found, key), f"{name} -c")]
    if shell:
        return shell
    if name == "runuser" and ("u" in found or "user" in found) and rest < len(args):
        return [list(args[rest:])]
    return _stdin_script(name, stdin)        # the user's shell, reading the input


def _xargs(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """The command xargs runs (`echo` when none), with what it reads: the items of its input as
    more arguments, or, with `-I R` (`-i`, `--replace`), in place of R in each word."""
    i, replace = 0, None
    while i < len(args):
        w = args[i].text
        if w == "--":
            i += 1
            break
        if w[:2] in ("-i", "-e", "-l") and not w.startswith("--"):
            replace = (w[2:] or "{}") if w[:2] == "-i" else replace
            i += 1
            continue
        if w.startswith("--replace"):
            replace = w.partition("=")[2] or "{}"
            i += 1
            continue
        if w.startswith("-") and len(w) > 1:
            found, used = options(args[i:i + 2], XARGS)
            replace = found.get("I", replace)
            i += max(used, 1)
            continue
        break
    command = list(args[i:]) if i < len(args) else [Word("echo")]
    if not replace:
        return [command + [input_word(XARGS_INPUT, "xargs' input")]]
    return [[input_word(w.source.replace(replace, XARGS_INPUT), "xargs' input") if replace in w.text else w
             for w in command]]


def input_word(source: str, what: str) -> Word:
    """A word made, when the command runs, of what `what` gives (`source`: an expansion standing
    for it, so that code joined from it parses back to one)."""
    return Word(source, what, source)


def _find(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    out, i = [], 0
    while i < len(args):
        if args[i].text in FIND_EXEC:
            j = i + 1
            while j < len(args) and args[j].text not in (";", "+"):
                j += 1
            if j > i + 1:       # `{}`: each file's name (a file named `rm x` for `sh -c {}`)
                out.append([input_word(w.source.replace("{}", FIND_PATH), "a file's name") if "{}" in w.text else w
                            for w in args[i + 1:j]])
            i = j
        i += 1
    return out


def _flock(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    found, i = options(args, FLOCK)
    if i < len(args):
        if args[i].text.isdigit():
            return []
        i += 1
        more, j = options(args[i:], FLOCK)
        found.update(more)
        i += j
    for key in ("c", "command"):
        if key in found:
            return [code_in(held(args, found, key), "flock -c")]
    return [list(args[i:])] if i < len(args) else []


def _permuted(args: Sequence[Word], spec: Spec) -> dict:
    """The options of a command that takes them after its operands too (GNU getopt), up to `--`."""
    found, i = {}, 0
    while i < len(args) and args[i].text != "--":
        more, used = options(args[i:], spec)
        found.update(more)
        i += used or 1
    return found


def _script_command(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """util-linux `script -c CMD` (before or after the file): the shell runs CMD in a new terminal."""
    found = _permuted(args, SCRIPT)
    for key in ("c", "command"):
        if key in found:
            return [code_in(held(args, found, key), "script -c")]
    return _stdin_script(name, stdin)        # a shell in the new terminal, reading the input


def _sg(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`sg GROUP [-c] COMMAND`: /bin/sh runs COMMAND, the words after the group joined."""
    words = [w for w in args if w.text not in ("-", "-c")]
    return _joined(words[1:], "sg") if len(words) > 1 else []


SCREEN_VALUE = "cehpSstT"                 # screen's options that take a value
SCREEN_NO_COMMAND = frozenset({"-ls", "-list", "-wipe", "-r", "-R", "-RR", "-x", "-v", "-Q", "-D"})


def _screen(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`screen [-dm] [-S NAME] CMD ARGS` runs CMD in a new window; `-X` sends commands (`stuff`:
    keys) to a running session, never seen here; attaching and listing run nothing."""
    i = 0
    while i < len(args) and args[i].text.startswith("-") and not args[i].dynamic:
        w = args[i].text
        if w == "-X":
            return [Unknown("`screen -X` sends commands to a running session")]
        if w in SCREEN_NO_COMMAND:
            return []
        i += 2 if w[-1] in SCREEN_VALUE else 1
    return [list(args[i:])] if i < len(args) else []


# docker, podman, nerdctl: the subcommands that run a command in a container, and their options
# that take a value; `compose` (and docker-compose) name a service where the others name a container
CONTAINER_RUNS = frozenset({"exec", "run"})
CONTAINER_VALUE = frozenset({"-e", "--env", "--env-file", "-u", "--user", "-w", "--workdir", "--detach-keys",
                             "--preserve-fds", "-v", "--volume", "-p", "--publish", "--name", "--network", "--net",
                             "--entrypoint", "-h", "--hostname", "-l", "--label", "--mount", "--platform",
                             "--pull", "-m", "--memory", "--cpus", "--device", "--add-host", "--cap-add",
                             "--cap-drop", "--security-opt", "--ulimit", "--restart", "--log-driver", "--log-opt",
                             "--tmpfs", "--dns", "--ipc", "--pid", "--uts", "--userns", "--group-add",
                             "--runtime", "--shm-size", "--stop-signal", "--gpus", "--cidfile", "-a", "--attach",
                             "--index", "-H", "--host", "--context", "-c", "--config", "-f", "--file",
                             "--project-name", "--profile", "--project-directory", "--env-from"})


def _in_container(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`docker exec CONTAINER CMD…`, `docker run IMAGE [CMD…]`, `docker compose exec SERVICE CMD…`
    (podman, nerdctl, docker-compose alike), `kubectl exec POD -- CMD…` (oc, lxc exec, lxc-attach
    after `--`), `systemd-nspawn … CMD`: the command runs in the container, where the rules hold as
    well. Where `--` does not mark it, options this does not know may take a word: each reading
    after a word that may be the container is judged (one led by an expansion only if first)."""
    words = list(args)
    if name in ("kubectl", "oc", "lxc", "lxc-attach") or any(w.text == "--" for w in words):
        at = next((k for k, w in enumerate(words) if w.text == "--"), None)
        if name in ("kubectl", "oc", "lxc") and not any(w.text in ("exec", "run", "debug") for w in words[:at]):
            return []
        if at is not None:
            return [words[at + 1:]] if at + 1 < len(words) else []
    if name not in ("systemd-nspawn", "lxc-attach"):
        sub = next((k for k, w in enumerate(words) if w.text in CONTAINER_RUNS and not w.dynamic), None)
        if sub is None:
            return []
        words = words[sub + 1:]
    out: List[Inner] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w.text.startswith("-") and not w.dynamic:
            i += 2 if w.text in CONTAINER_VALUE else 1
            continue
        rest = words[i + 1:]                # `w` the container (or image): the rest its command
        if rest and (not rest[0].dynamic or not out):
            out.append(rest)
        i += 1
    return out


SOCAT_RUNS = re.compile(r"(?i)(exec|system|shell):(.*)", re.S)
SOCAT_STDIO = frozenset({"-", "stdio", "stdin", "stdout", "fd:0"})


def _socat(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`socat ADDRESS ADDRESS`: an `EXEC:CMD` address runs CMD, a `SYSTEM:CODE` (or `SHELL:`) one
    runs CODE with /bin/sh, reading what the other address brings: the session's input for `-`
    or STDIO, else (a connection) input known only when it runs."""
    addresses = [w for w in args if not (w.text.startswith("-") and len(w.text) > 1)][-2:]
    out: List[Inner] = []
    for k, address in enumerate(addresses):
        if address.dynamic:
            out.append(Unknown(f"`socat` runs what the address {address.source} names"))
            continue
        m = SOCAT_RUNS.match(address.text)
        if m is None:
            continue
        other = addresses[1 - k].text.lower().split(",")[0] if len(addresses) == 2 else "-"
        fed = stdin if other in SOCAT_STDIO else ("dynamic", f"socat's other address ({other})")
        command = m.group(2).split(",")[0]           # the address's options follow a comma
        if m.group(1).lower() != "exec":
            out += _stdin_script("socat", fed) if not command.strip() else [Script(command, "socat")]
            continue
        out += _program(command, "socat", fed)
    return out


def _program(command: str, runner: str, fed: Stdin) -> List[Inner]:
    """A command line `runner` runs without a shell (socat's EXEC:, netcat's -e): its words, and
    where it is a shell, what that shell runs, reading `fed` (the other end)."""
    try:
        words = [Word(w) for w in shlex.split(command)]
    except ValueError:
        return [Unknown(f"`{runner}` runs a command it could not be read from")]
    if words and posixpath.basename(words[0].text) in SHELLS:      # (its input is `fed`, not the runner's)
        return _shell(posixpath.basename(words[0].text), words[1:], fed)
    return [words] if words else []


NETCAT_CODE = frozenset({"-c", "--sh-exec"})
NETCAT_PROGRAM = frozenset({"-e", "--exec"})


def _netcat(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`nc -e PROGRAM` / `ncat --exec "CMD ARGS"` runs PROGRAM, `-c CODE` / `--sh-exec CODE` runs
    CODE with /bin/sh, each reading the network connection (a shell doing so: code known only
    when it runs)."""
    out: List[Inner] = []
    for k, w in enumerate(args):
        flag, eq, attached = w.text.partition("=")
        if flag not in NETCAT_CODE | NETCAT_PROGRAM:
            continue
        value = Word(attached) if eq else (args[k + 1] if k + 1 < len(args) else None)
        if value is None:
            continue
        if value.dynamic:
            out.append(Unknown(f"`{name}` runs what {value.source} holds"))
        elif flag in NETCAT_CODE:
            out.append(Script(value.text, name))
        else:
            out += _program(value.text, name, ("dynamic", "the network connection"))
    return out


def _ssh(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`ssh HOST CMD...`: the remote shell runs the words after the destination, joined. Options
    may follow the destination too, unless `--` ended them."""
    return _ssh_command(args, stdin)      # its -o ProxyCommand=... and the like: program_commands


def _ssh_command(args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    found, i = options(args, SSH)
    if i >= len(args):
        return []
    rest = i + 1
    if not (i and args[i - 1].text == "--"):
        more, used = options(args[rest:], SSH)
        found.update(more)
        rest += used
    if "V" in found:
        return []
    if rest >= len(args):            # the remote login shell: it reads the input (typed lines are judged),
        return _stdin_script("ssh", stdin, interactive="t" in found)      # in a terminal with -t
    return _joined(args[rest:], "ssh") + (_terminal_input("ssh -t", stdin) if "t" in found else [])


def _at(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`at`/`batch` run later the commands they read from their input (`-f FILE`: a file)."""
    found, _ = options(args, AT)
    if _stops(found, AT) or "f" in found:
        return []
    return _stdin_script(name, stdin)


CRONTAB = Spec("uc", no_command="lreiTV")
_CRON_TIME = re.compile(r"\s*(?:@\w+|(?:\S+\s+){4}\S+)\s+(.*)", re.S)
_CRON_PERCENT = re.compile(r"(?<!\\)%")


def _crontab(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`crontab -` (or no file) installs the table it reads, whose commands cron runs later: each
    line's command (after its five time fields or `@daily`, up to an unescaped `%`) is code.
    A table from a file is a script, not read."""
    found, i = options(args, CRONTAB)
    if _stops(found, CRONTAB) or (i < len(args) and args[i].text != "-") or stdin is None:
        return []
    kind, value = stdin
    if kind != "text":
        return [Unknown(f"`crontab` installs commands it reads from {value}")]
    commands = []
    for line in value.split("\n"):
        m = _CRON_TIME.fullmatch(line)
        if m and not line.lstrip().startswith("#") and not ASSIGNMENT.match(line.lstrip()):
            commands.append(_CRON_PERCENT.split(m.group(1), 1)[0].replace("\\%", "%"))
    return [Script("\n".join(commands), "crontab")] if commands else []


def _hash(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`hash -p PATH NAME` makes NAME run PATH, as an alias would."""
    found, _ = options(args, Spec("p"))
    if "p" not in found:
        return []
    return [code_in(held(args, found, "p"), "hash -p")]


def _mapfile(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`mapfile -C CODE` runs CODE (with an index and a line added) as lines are read; its
    array's name is evaluated (_evaluated)."""
    found, _ = options(args, MAPFILE)
    code = [code_in(held(args, found, "C"), f"{name} -C")] if "C" in found else []
    return code + _evaluated(name, [w for w in args if w.text != found.get("C")], stdin)


def _watch(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    found, i = options(args, WATCH)
    if i >= len(args):
        return []
    if "x" in found or "exec" in found:
        return [list(args[i:])]
    return _joined(args[i:], "watch")


def _split_string(args: Sequence[Word]) -> Optional[List[Inner]]:
    """`env [OPTIONS] -S STRING ARGS…` runs env again on STRING's words followed by ARGS as they
    are, not read as env's options (`env -S bash -c 'rm x'` runs bash -c 'rm x'): that command,
    as code; None without -S."""
    for k, w in enumerate(args):
        text = w.text
        if w.dynamic or not text.startswith("-") or text == "--":
            return None
        if text.startswith("--split-string"):
            value, rest = (text.partition("=")[2], k + 1) if "=" in text else (None, k + 2)
        elif not text.startswith("--") and "S" in text[1:]:
            attached = text[text.index("S", 1) + 1:]
            value, rest = (attached, k + 1) if attached else (None, k + 2)
        else:
            continue
        if value is None:
            if k + 1 >= len(args):
                return []
            if args[k + 1].dynamic:
                return [Unknown(f"`env -S` splits {args[k + 1].source} into a command")]
            value = args[k + 1].text
        tail = " ".join(w.source if w.dynamic else shlex.quote(w.text) for w in args[rest:])
        return [Script(f"env {value} {tail}".rstrip(), "env -S")]
    return None


def _env(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    split_run = _split_string(args)
    if split_run is not None:
        return split_run
    spec = SPECS["env"]
    found, start = options(args, spec)
    i = start
    while i < len(args) and "=" in args[i].text:     # env takes any NAME=VALUE (`'A B=1'`, `=` too)
        i += 1
    out: List[Inner] = []
    for w in args[start:i]:
        key, _, value = w.text.partition("=")
        out += assigned(key, Word(value, w.dynamic, w.source.partition("=")[2]), stdin)
    if i < len(args):
        out.append(list(args[i:]))
    return out


def _trap(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`trap CODE SIGNAL...` runs CODE when the signal comes (DEBUG: before every command; EXIT:
    at the end); `trap -p`, `trap -l` and `trap - SIGNAL` run nothing."""
    words = list(args[1:] if args and args[0].text == "--" else args)
    if len(words) < 2 or (words[0].text.startswith("-") and not words[0].dynamic):
        return []
    return [code_in(words[0], "trap")]


def _completion(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`complete -C CMD` runs CMD, and expands `-W WORDS` (their `$(...)` included), at each Tab
    on the commands it names; `compgen` does so at once."""
    out: List[Inner] = []
    for i, w in enumerate(args):
        flag, value = w.text[:2], w.text[2:]
        if flag not in ("-C", "-W"):
            continue
        held = Word(value, w.dynamic, w.source[2:]) if value else (args[i + 1] if i + 1 < len(args) else None)
        if held is None:
            continue
        out += [code_in(held, name)] if flag == "-C" else expanded(held, name)
    return out


def _fc(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`fc` runs lines of the shell's history (edited, or `-s old=new` substituted); `-l` lists."""
    if any(w.text.startswith("-") and "l" in w.text[1:] for w in args if not w.dynamic):
        return []
    return [Unknown("`fc` runs lines of the shell's history")]


_BIND_QUERY = re.compile(r"-[lpPsSvVX]+")
_BIND_SET = re.compile(r"\s*set\s+\S+(\s+\S*)?\s*")


def _bind(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`bind` with a key binding (`"\\C-t": accept-line`, a macro ending in a newline, `-x` shell
    code, `-f` a file of them) lets a key run a line that no Enter sent; listing, removing and
    readline variables (`set NAME VALUE`) do not."""
    i = 0
    while i < len(args):
        w = args[i]
        if w.dynamic:
            break
        if _BIND_QUERY.fullmatch(w.text):
            i += 1
        elif w.text in ("-q", "-u", "-r"):
            i += 2
        elif _BIND_SET.fullmatch(w.text):
            i += 1
        else:
            break
    return [Unknown("`bind` may make a key run a line without Enter")] if i < len(args) else []


def _busybox(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    return [list(args)] if args and not args[0].text.startswith("-") else []


def _alias(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """alias NAME=VALUE: VALUE is what NAME will run, with the words typed after NAME (AFTER_ALIAS)."""
    return [code_in(Word(w.text.partition("=")[2] + AFTER_ALIAS, w.dynamic, w.source), "alias")
            for w in _after_dashes(args) if "=" in w.text]


def _eval(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    args = _after_dashes(args)
    return _joined(args, "eval") if args else []


def _source(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    return _script_files(name, _after_dashes(args), stdin)


def _script_files(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """The script the first word names, and the next one's while a word is an unquoted expansion
    or a quoted list, which may be no word at all (`. $X <(echo rm x)` sources the `<(...)` when X
    is empty, `sh "$@" <(echo rm x)` when there are no parameters)."""
    out: List[Inner] = []
    for w in args:
        out += _script_file(name, w, stdin)
        if not (w.dynamic and (w.source.startswith("$") or QUOTED_LIST.match(w.source))):
            break
    return out


# `"$@"`, `"${a[@]}"`: no word at all when the list is empty, quoted or not
QUOTED_LIST = re.compile(r'"\$(?:@|\{(?:@|[A-Za-z_][A-Za-z0-9_]*\[[@*]\])[^}]*\})"$')


def _after_dashes(args: Sequence[Word]) -> Sequence[Word]:
    """A builtin's arguments past the `--` that may end its (no) options: `eval -- rm x`."""
    return args[1:] if args and args[0].text == "--" and not args[0].dynamic else args


def _exec(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    if not args:
        return _stdin_script(name, stdin)   # `exec < <(...)`: the shell reads its commands from there
    return _wrapped(name, args, stdin)


def _wrapped(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """A wrapper of SPECS runs the words after its options; any other command runs nothing."""
    spec = SPECS.get(name)
    if spec is None:
        return []
    found, i = options(args, spec)
    if _stops(found, spec):
        return []
    if spec.assignments:
        i = _skip_assignments(args, i)
    i += spec.positionals
    if i < len(args):
        return [list(args[i:])]
    if name in SHELL_WHEN_EMPTY or any(k in found for k in ("s", "i", "shell", "login")) and name in ("sudo", "doas"):
        return _stdin_script(name, stdin)          # no command: a shell, reading the input
    return []


def _ip(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`ip netns exec NS CMD…`, `ip vrf exec VRF CMD…` (`ip -all netns exec CMD…`)."""
    words = [w.text for w in args]
    for k in range(len(words) - 1):
        if words[k] in ("netns", "vrf") and words[k + 1] == "exec":
            rest = k + 2 + (0 if "-all" in words[:k] or "-a" in words[:k] else 1)
            return [list(args[rest:])] if rest < len(args) else []
    return []


def _capsh(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`capsh … -- ARGS` runs bash with ARGS (`-- -c CODE`); `--shell=PROG` in place of bash."""
    shell = next((w.text.partition("=")[2] for w in args if w.text.startswith("--shell=")), "/bin/bash")
    at = next((k for k, w in enumerate(args) if w.text == "--"), None)
    return [[Word(shell)] + list(args[at + 1:])] if at is not None else []


def _start_stop_daemon(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`start-stop-daemon --start --exec PROG [--startas PROG] -- ARGS` runs PROG with ARGS."""
    found = {}
    for k, w in enumerate(args[:-1]):
        if w.text in ("-x", "--exec", "-a", "--startas"):
            found[w.text.lstrip("-")[:1]] = args[k + 1]
    program = found.get("s") or found.get("a") or found.get("e") or found.get("x")
    if program is None or not any(w.text in ("-S", "--start") for w in args):
        return []
    at = next((k for k, w in enumerate(args) if w.text == "--"), len(args))
    return [[program] + list(args[at + 1:])]


def _dtach(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`dtach -c|-A|-n|-N SOCKET [-e C] [-r M] [-E] [-z] CMD…` runs CMD under a detachable terminal."""
    if not args or args[0].text not in ("-c", "-A", "-n", "-N"):
        return []
    i = 2
    while i < len(args) and args[i].text.startswith("-"):
        i += 2 if args[i].text in ("-e", "-r") else 1
    return [list(args[i:])] if i < len(args) else []


def _ansible(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`ansible HOSTS -m shell|command|raw -a CODE` runs CODE on the hosts (this one among them)."""
    module, code = None, None
    for k, w in enumerate(args):
        flag, eq, value = w.text.partition("=")
        if flag in ("-m", "--module-name"):
            module = value if eq else (args[k + 1].text if k + 1 < len(args) else None)
        elif flag in ("-a", "--args"):
            code = Word(value) if eq else (args[k + 1] if k + 1 < len(args) else None)
    if module in ("shell", "command", "raw", "ansible.builtin.shell", "ansible.builtin.command",
                  "ansible.builtin.raw") and code is not None:
        return [code_in(code, "ansible")]
    return []


def _gdb(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`gdb --args PROGRAM ARGS`: run PROGRAM (gdb's own `-ex` commands are its language)."""
    at = next((k for k, w in enumerate(args) if w.text == "--args"), None)
    return [list(args[at + 1:])] if at is not None and at + 1 < len(args) else []


def _entr(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`entr [-acdnprsz] UTILITY ARGS` runs UTILITY on each change; with -s, UTILITY is shell code."""
    i, letters = 0, set()
    while i < len(args) and args[i].text.startswith("-") and len(args[i].text) > 1:
        letters.update(args[i].text[1:])
        i += 1
    if i >= len(args):
        return []
    return [code_in(args[i], "entr -s")] if "s" in letters else [list(args[i:])]


def _machinectl(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    """`machinectl shell [MACHINE [PROGRAM ARGS]]` runs PROGRAM there (a shell without one)."""
    words = [w for w in args if not w.text.startswith("-")]
    if not words or words[0].text not in ("shell", "login"):
        return []
    return [list(words[2:])] if len(words) > 2 else _stdin_script(name, stdin)


# bubblewrap's options and how many words each takes; the command follows them
BWRAP_TWO = frozenset({"--bind", "--bind-try", "--dev-bind", "--dev-bind-try", "--ro-bind", "--ro-bind-try",
                       "--symlink", "--setenv", "--bind-data", "--ro-bind-data", "--file", "--chmod",
                       "--overlay-src"})
BWRAP_NONE = frozenset({"--unshare-all", "--share-net", "--unshare-user", "--unshare-user-try", "--unshare-ipc",
                        "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup", "--unshare-cgroup-try",
                        "--clearenv", "--new-session", "--die-with-parent", "--as-pid-1", "--disable-userns",
                        "--assert-userns-disabled", "--help", "--version", "--level-prefix"})


def _bwrap(name: str, args: Sequence[Word], stdin: Stdin) -> List[Inner]:
    i = 0
    while i < len(args) and args[i].text.startswith("--"):
        word = args[i].text
        if word == "--":
            i += 1
            break
        i += 1 if word in BWRAP_NONE else 3 if word in BWRAP_TWO else 2
    return [list(args[i:])] if i < len(args) else []


HANDLERS = {
    **{shell: _shell for shell in SHELLS}, "!": _negated,
    "busybox": _busybox, "alias": _alias, "eval": _eval, "source": _source, ".": _source, "exec": _exec,
    "trap": _trap, "complete": _completion, "compgen": _completion, "fc": _fc, "bind": _bind, "su": _su,
    "runuser": _su, "xargs": _xargs, "find": _find, "flock": _flock, "script": _script_command, "ssh": _ssh, "sg": _sg, "screen": _screen,
    "at": _at, "batch": _at, "crontab": _crontab, "hash": _hash, "mapfile": _mapfile, "readarray": _mapfile, "watch": _watch,
    **{tool: _in_container for tool in ("docker", "podman", "nerdctl", "docker-compose", "kubectl", "oc", "lxc",
                                        "lxc-attach", "systemd-nspawn")},
    "ip": _ip, "capsh": _capsh, "start-stop-daemon": _start_stop_daemon, "dtach": _dtach, "ansible": _ansible,
    "socat": _socat, **{nc: _netcat for nc in ("nc", "ncat", "netcat", "nc.traditional", "nc.openbsd")},
    "env": _env, "gdb": _gdb, "entr": _entr, "machinectl": _machinectl, "bwrap": _bwrap, "toybox": _busybox,
    **{builtin: _evaluated for builtin in ("let", "declare", "typeset", "local", "export", "readonly", "read",
                                           "printf", "getopts", "wait", "unset", "test", "[")},
}


# Wrappers that take code or a command in an option: a pathname expansion where an option may
# be makes file names their options (`bash *` with files named `-c` and `rm x` runs `rm x`).
# Those that take options after their operands too, and those that join their words into code
# (eval, watch, sg, ssh: a file named `x;rm x` is code then) anywhere in their arguments.
GLOBBED_OPTIONS = frozenset(SHELLS | {"mapfile", "readarray", "trap", "complete", "compgen", "hash", "flock"})
GLOBBED_ANYWHERE = frozenset({"script", "su", "runuser", "ssh", "eval", "watch", "sg"})


def _globbed(name: str, args: Sequence[Word]) -> bool:
    if name in GLOBBED_ANYWHERE:
        return any(w.glob for w in args)
    if name in GLOBBED_OPTIONS:
        for w in args:
            if w.glob:
                return True
            if not w.text.startswith("-"):
                return False                # the first operand: options end here
    return False


def inner(name: str, args: Sequence[Word], stdin: Stdin = None) -> List[Inner]:
    """What the command `name` (normalised) with these arguments runs in turn."""
    if _globbed(name, args):
        return [Unknown(f"`{name}` is given a pathname expansion, whose file names may be its options or code")]
    out = [_opened(name, item) for item in HANDLERS.get(name, _wrapped)(name, args, stdin)]
    out += program_commands.runs(name, args)
    return out + _terminal_input(name, stdin) if name in TERMINAL_RUNNERS else out


# words that open a compound command: after `coproc`, `time` or `!` where the grammar read them
# as a command's words (`coproc { rm;}<<<1`), the rest is that command's code, cut short
COMPOUND_OPENERS = frozenset({"{", "(", "((", "[[", "if", "while", "until", "for", "case", "select", "function"})


def _opened(name: str, item: Inner) -> Inner:
    if isinstance(item, list) and item and not item[0].dynamic and item[0].text in COMPOUND_OPENERS:
        return Script(" ".join(w.text for w in item), name, cut=True)
    return item


# commands that run theirs in a terminal of their own, fed their input: a shell there reads it
# through the line editor, with history expansion (interactive_input)
TERMINAL_RUNNERS = frozenset({"script", "unbuffer"})


def _terminal_input(name: str, stdin: Stdin) -> List[Inner]:
    why = edited(stdin[1]) if stdin is not None and stdin[0] == "text" else ""
    return [Unknown(f"`{name}` gives its input to a terminal, where {why} changes it")] if why else []
