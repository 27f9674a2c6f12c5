"""Programs that run a shell command given in an option or an environment variable, beside the
wrappers of command_wrappers: `git -c core.sshCommand=CMD`, `tar --to-command=CMD`, `rsync -e
CMD`, `apt-get -o DPkg::Pre-Invoke::=CMD`, `less '+!CMD'`, `vim -c '!CMD'`, `gdb -ex 'shell
CMD'`, and `PAGER=CMD man ls`, `GIT_SSH_COMMAND=CMD git fetch`.

`runs(name, args)` and `variable_code(name, value)` give that command as code to judge (a
Script; its expansions kept as typed, so `ssh -i $KEY` is `ssh` and `$X` a name known only when
it runs). What a program does with code of its own language (vim script, gdb's python) and
programs not listed here are not read: docs/bastion.md, "What blocking cannot stop".
"""
import re
from typing import Callable, Dict, List, Sequence, Tuple

from layers.bastion.shell_words import Inner, Script, Spec, Word

# Variables whose value programs run as a command line (through `sh -c` or as a program name).
COMMAND_VARIABLES = frozenset({
    "EDITOR", "VISUAL", "FCEDIT", "SUDO_EDITOR", "PAGER", "MANPAGER", "GIT_PAGER", "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_EXTERNAL_DIFF",
    "GIT_PROXY_COMMAND", "SSH_ASKPASS", "SUDO_ASKPASS", "RSYNC_RSH", "LESSOPEN", "LESSCLOSE",
    "BROWSER", "SYSTEMD_PAGER", "SYSTEMD_EDITOR", "SVN_EDITOR", "SVN_SSH", "CVS_RSH", "TAR_OPTIONS",
})
# git configuration keys (lower case) whose value is a command; alias.* and credential.helper
# only when the value starts with "!"
GIT_COMMAND_KEYS = re.compile(
    r"core\.(pager|sshcommand|editor|fsmonitor|askpass|gitproxy)|sequence\.editor|diff\.external|"
    r"gpg(\.[a-z0-9]+)?\.program|uploadpack\.packobjectshook|pager\..+|(difftool|mergetool)\..+\.cmd|"
    r"merge\..+\.driver|filter\..+\.(clean|smudge|process)|diff\..+\.(textconv|command)")
GIT_BANG_KEYS = re.compile(r"alias\..+|credential(\..+)?\.helper")
GIT_VALUE_OPTIONS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env",
                               "--super-prefix", "--list-cmds", "--attr-source"})
APT_HOOKS = re.compile(r".*(invoke|install-pkgs).*", re.I)      # APT::Update::Pre-Invoke, DPkg::Post-Invoke
# OpenSSH's client (ssh, scp, sftp): options with a value
SSH = Spec("BbcDEeFIiJLlmOoPpQRSWw")
VIM = frozenset({"vi", "vim", "nvim", "view", "vimdiff", "ex", "gvim", "vim.basic", "vim.tiny"})


def variable_code(name: str, value: Word) -> List[Inner]:
    """The command a variable set to `value` makes programs run, if it is one of COMMAND_VARIABLES."""
    if name not in COMMAND_VARIABLES or not value.text.strip():
        return []
    text = value.text
    if name in ("LESSOPEN", "LESSCLOSE"):
        text = text.lstrip("|-")                   # `|cmd %s`, `||cmd %s`: a pipe from the command
    if name == "TAR_OPTIONS":
        return runs("tar", [Word(w, value.dynamic) for w in text.split()])
    return [Script(text, f"{name}=")]


def _values(args: Sequence[Word], short: str, long: Tuple[str, ...]) -> List[Tuple[str, str]]:
    """(option, value) for each `-X VALUE`, `-XVALUE`, `--long=VALUE` and `--long VALUE` among
    the arguments (short: the one letter, long: the names without dashes)."""
    out = []
    for i, w in enumerate(args):
        t = w.text
        nxt = args[i + 1].text if i + 1 < len(args) else ""
        if t.startswith("--"):
            name, eq, value = t[2:].partition("=")
            if name in long:
                out.append((name, value if eq else nxt))
        elif short and t.startswith("-" + short):
            out.append((short, t[2:] or nxt))
    return out


def _code(pairs: List[Tuple[str, str]], runner: str) -> List[Inner]:
    return [Script(value, f"{runner} {option}") for option, value in pairs if value.strip()]


def _git(args: Sequence[Word]) -> List[Inner]:
    out: List[Inner] = []
    i = 0
    while i < len(args) and args[i].text.startswith("-"):    # global options, before the subcommand
        t = args[i].text
        if t == "-c" and i + 1 < len(args):
            key, _, value = args[i + 1].text.partition("=")
            key = key.lower()
            if GIT_COMMAND_KEYS.fullmatch(key) and value.strip():
                out.append(Script(value, f"git -c {key}"))
            elif GIT_BANG_KEYS.fullmatch(key) and value.startswith("!"):
                out.append(Script(value[1:], f"git -c {key}"))
        i += 2 if t in GIT_VALUE_OPTIONS else 1
    return out


def _tar(args: Sequence[Word]) -> List[Inner]:
    out = _code(_values(args, "I", ("to-command", "use-compress-program", "info-script", "new-volume-script",
                                    "rsh-command")), "tar")
    for option, value in _values(args, "F", ("checkpoint-action",)):
        if option == "F":
            out.append(Script(value, "tar -F"))
        elif value.startswith("exec="):
            out.append(Script(value[5:], "tar --checkpoint-action=exec"))
    return out


def _apt(args: Sequence[Word]) -> List[Inner]:
    out: List[Inner] = []
    for _, value in _values(args, "o", ("option",)):
        key, _, code = value.partition("=")
        if APT_HOOKS.fullmatch(key) and code.strip():
            out.append(Script(code, f"apt -o {key}"))
    return out


def _less(args: Sequence[Word]) -> List[Inner]:
    """`less '+!CMD'`: an initial command that runs a shell command."""
    return [Script(w.text.lstrip("+")[1:], "less +!") for w in args if w.text.startswith("+") and
            w.text.lstrip("+").startswith("!")]


def _ex_commands(args: Sequence[Word], short: str, long: Tuple[str, ...]) -> List[str]:
    return [value for _, value in _values(args, short, long)] + [w.text[1:] for w in args if w.text.startswith("+")]


def _vim(args: Sequence[Word]) -> List[Inner]:
    """`vim -c '!CMD'`, `--cmd`, `+!CMD`: an Ex command that runs a shell command."""
    out: List[Inner] = []
    for command in _ex_commands(args, "c", ("cmd",)):
        command = command.lstrip(": \t")
        if command.startswith("!"):
            out.append(Script(command[1:], "vim !"))
    return out


def _gdb(args: Sequence[Word]) -> List[Inner]:
    """`gdb -ex 'shell CMD'` (or `!CMD`), `-iex`, `--eval-command`."""
    out: List[Inner] = []
    for i, w in enumerate(args):
        t = w.text
        value = None
        if t in ("-ex", "--ex", "-iex", "--iex", "-eval-command", "--eval-command", "-init-eval-command",
                 "--init-eval-command") and i + 1 < len(args):
            value = args[i + 1].text
        elif t.startswith(("--eval-command=", "-eval-command=", "--init-eval-command=", "--ex=", "--iex=")):
            value = t.partition("=")[2]
        if value is None:
            continue
        value = value.lstrip()
        if value.startswith("!"):
            out.append(Script(value[1:], "gdb !"))
        elif value.startswith("shell ") or value.startswith("shell\t"):
            out.append(Script(value[6:], "gdb shell"))
    return out


SSH_COMMANDS = ("proxycommand", "localcommand", "knownhostscommand", "remotecommand")
_SSH_SETTING = re.compile(r"\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)", re.S)


def _ssh_settings(args: Sequence[Word]) -> List[Inner]:
    """`-o ProxyCommand=CMD` (LocalCommand, KnownHostsCommand: run here by the user's shell;
    RemoteCommand: by the remote one) in ssh's arguments: code."""
    out: List[Inner] = []
    for i, w in enumerate(args):
        t = w.text
        at = t.find("o", 1)
        if not t.startswith("-") or t.startswith("--") or at < 0 or any(c in SSH.short_arg for c in t[1:at]):
            continue
        value = t[at + 1:] or (args[i + 1].text if i + 1 < len(args) else "")
        m = _SSH_SETTING.match(value)
        if m and m.group(1).lower() in SSH_COMMANDS:
            out.append(Script(m.group(2), f"ssh -o {m.group(1)}"))
    return out


PROGRAMS: Dict[str, Callable[[Sequence[Word]], List[Inner]]] = {
    "git": _git,
    "tar": _tar, "gtar": _tar, "bsdtar": _tar,
    "rsync": lambda args: _code(_values(args, "e", ("rsh", "rsync-path")), "rsync"),
    "man": lambda args: _code(_values(args, "P", ("pager",)), "man"),
    "zip": lambda args: _code(_values(args, "", ("unzip-command",)) +
                              [("-TT", args[i + 1].text) for i, w in enumerate(args[:-1]) if w.text == "-TT"], "zip"),
    "sort": lambda args: _code(_values(args, "", ("compress-program",)), "sort"),
    "tcpdump": lambda args: _code(_values(args, "z", ()), "tcpdump"),
    "ssh": _ssh_settings,
    "scp": lambda args: _ssh_settings(args) + _code(_values(args, "S", ()), "scp"),
    # (sftp -D runs a local sftp server program in place of ssh)
    "sftp": lambda args: _ssh_settings(args) + _code(_values(args, "S", ()) + _values(args, "D", ()), "sftp"),
    # their output to a pipe: `-o '|CMD'` (or `!CMD`) runs CMD with the shell
    **{tracer: (lambda args: [Script(v[1:], "strace -o") for _, v in _values(args, "o", ("output",))
                              if v[:1] in ("|", "!") and v[1:].strip()]) for tracer in ("strace", "ltrace")},
    "wget": lambda args: _code(_values(args, "", ("use-askpass",)), "wget"),
    "apt": _apt, "apt-get": _apt, "apt-cache": _apt,
    "less": _less,
    "gdb": _gdb,
    **{name: _vim for name in VIM},
}


def runs(name: str, args: Sequence[Word]) -> List[Inner]:
    """The shell commands the program `name` is told to run by its arguments."""
    program = PROGRAMS.get(name)
    return program(args) if program is not None else []
