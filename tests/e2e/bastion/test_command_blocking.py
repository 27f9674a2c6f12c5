"""High-risk command blocking through the gateway, against a real bash: a template attached to an
ACL stops the lines it names however they are typed (lists, paste then edit, history recall,
typed ahead, exec), never the target seeing them; look-alikes run; blocked lines are searchable
with Action 2 and counted as the session's DangerCount."""
import asyncio
import os
import shutil
import tempfile
import uuid
from datetime import datetime, timedelta, timezone

from bastion_helpers import Bastion
from session_feed import settle
from ssh_support import Shell, logged_in, run
from ssh_support import shell as open_shell
from test_ssh_gateway import make_demo, target  # noqa: F401 - target is a fixture

UP, CTRL_A, CTRL_C, ALT_D = b"\x1b[A", b"\x01", b"\x03", b"\x1bd"
PASTE_BEGIN, PASTE_END = b"\x1b[200~", b"\x1b[201~"


def guarded_demo(stack, target, clock, cmd_list: str):
    """A demo user whose access also comes through an ACL with a template of `cmd_list`."""
    demo = make_demo(stack, target, clock)
    bh = Bastion(stack.endpoint, demo.account)
    template = bh.call("CreateCmdTemplate", Name=f"danger{uuid.uuid4().hex[:6]}", CmdList=cmd_list)["Id"]
    (user,) = [u for u in bh.call("DescribeUsers")["UserSet"] if u["UserName"] == demo.kept["user"]]
    bh.call("CreateAcl", Name=f"guard-{uuid.uuid4().hex[:6]}", AllowDiskRedirect=False, AllowAnyAccount=True,
            UserIdSet=[user["Id"]], DeviceIdSet=[demo.kept["device_id"]], CmdTemplateIdSet=[template])
    return demo, bh


def a_victim() -> str:
    """A file on the target a refused line would have removed."""
    path = f"/tmp/gz-victim-{uuid.uuid4().hex[:8]}"
    open(path, "w").close()
    return path


def assert_kept(victim: str) -> None:
    assert os.path.exists(victim), "a refused line ran"
    os.remove(victim)


def window() -> dict:
    now = datetime.now(timezone.utc)
    return dict(StartTime=(now - timedelta(hours=1)).isoformat(), EndTime=(now + timedelta(hours=1)).isoformat())


async def refused_and_kept(sh: Shell, line: str, path: str, tag: str) -> None:
    """Type `line`, see it refused and the prompt back, then see the file `path` still there."""
    mark = len(sh.seen)
    await sh.type(line.encode() + b"\r")
    await sh.after(mark, b"Guardzone: command blocked")
    await sh.after(sh.seen.rindex(b"Guardzone: command blocked"), b"$ ")
    await sh.type(f"test -e {path} && echo there-{tag}-$((1+1))\r".encode())
    await sh.until(f"there-{tag}-2\r\n".encode())


def the_session(stack, bh: Bastion, **filters):
    """The account's one session, once its records are in, and its commands (SearchCommandBySid
    with `filters`)."""
    settle(stack, bh.acct["OwnerUin"])
    (session,) = bh.call("SearchSession", Kind=1, **window())["SessionSet"]
    return session, bh.call("SearchCommandBySid", Sid=session["Id"], Limit=100, **filters)["CommandSet"]


def test_blocked_lines_never_reach_the_shell_however_they_are_typed(stack, gateway, target, clock):
    demo, bh = guarded_demo(stack, target, clock, "rm\nshutdown\nmkfs*")
    victim = f"/tmp/gz-victim-{uuid.uuid4().hex[:8]}"

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn, 120, 40)

            async def still_there(tag: str) -> None:
                await sh.type(f"test -e {victim} && echo {tag}-$((1+1))\r".encode())
                await sh.until(f"{tag}-2\r\n".encode())

            async def refused(keys: bytes, rule: str = "rm") -> None:
                mark = len(sh.seen)
                await sh.type(keys)
                await sh.after(mark, b"Guardzone: command blocked")
                await sh.after(sh.seen.rindex(b"Guardzone: command blocked"), b"$ ")
                assert f"rule `{rule}`".encode() in bytes(sh.seen[mark:])

            await sh.type(f"touch {victim}; echo made-$((1+2))\r".encode())
            await sh.until(b"made-3\r\n")
            await refused(f"ls;rm {victim}\r".encode())                      # a list
            await still_there("after-list")
            await refused(f"true && /bin/r''m -f {victim}\r".encode())        # path, quotes, a chain
            await still_there("after-quotes")
            await refused(f"sudo -u root nice -n 5 env A=1 \\rm {victim}\r".encode())   # wrappers
            await still_there("after-wrappers")
            await refused(f"echo $(rm {victim})\r".encode())                  # command substitution
            await still_there("after-substitution")
            await refused(f"bash -c 'ls; rm {victim}'\r".encode())
            await still_there("after-bash-c")
            await refused(f"! ! X=1 rm {victim}\r".encode())                 # negated twice, an assignment
            await still_there("after-negations")
            await refused(f"echo `ls` `rm {victim}`\r".encode())              # two backquoted substitutions
            await still_there("after-backquotes")
            # paste, then edit before Enter: the line the shell holds is judged, not the keys
            await sh.type(PASTE_BEGIN + f" {victim}".encode() + PASTE_END + CTRL_A + b"rm")
            await refused(b"\r")
            await still_there("after-paste-edit")
            # history recall edited into a blocked line
            mark = len(sh.seen)
            await sh.type(f"echo {victim} hist-$((1+1))\r".encode())
            await sh.after(mark, b"hist-2\r\n")
            await sh.type(UP + CTRL_A + ALT_D + b"rm")
            await refused(b"\r")
            await still_there("after-history")
            # typed while a command still runs: the shell has not drawn it yet
            await refused(f"sleep 1\rrm {victim}\r".encode())
            await still_there("after-typed-ahead")
            # Ctrl-C abandons a line: what is typed after it is judged alone
            await sh.type(f"rm {victim}".encode(), settle=0.3)
            await sh.type(CTRL_C, settle=0.3)
            await sh.type(b"echo fine-$((2+2))\r")
            await sh.until(b"fine-4\r\n")
            await still_there("after-ctrl-c")
            # a command continued on the next line
            await sh.type(b"r\\\r")
            await refused(f"m {victim}\r".encode())
            await still_there("after-continuation")
            # look-alikes run
            await sh.type("grep rm /dev/null; echo 'rm -rf /'; man -w rm >/dev/null 2>&1; echo ok-$((3+4))\r".encode())
            await sh.until(b"ok-7\r\n")
            # inside a full-screen program keys are the program's
            mark = len(sh.seen)
            await sh.type(b"vi -c 'startinsert'\r")
            await sh.after(mark, b"INSERT")
            await sh.type(b"rm -rf /\r\x1b:q!\r")
            await sh.after(mark, b"\x1b[?1049l")                                # vi has left the screen
            # and bash has its prompt back: vi, as it exits, may flush keys typed before then
            await sh.after(sh.seen.rindex(b"\x1b[?1049l"), b"$ ")
            await sh.type(b"echo vi-$((4+4))-done\r")
            await sh.until(b"vi-8-done\r\n")
            await still_there("at-the-end")
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
            done = await conn.run(f"rm -f {victim}", check=False)              # exec is judged too
            assert done.exit_status == 126 and "blocked by template" in done.stderr
            done = await conn.run(f"test -e {victim} && echo present", check=False)
            assert done.stdout == "present\n"
    run(scenario())
    settle(stack, bh.acct["OwnerUin"])
    refused_cmds = [c["Cmd"] for c in bh.call("SearchCommand", AuditAction=[2], Limit=100, **window())["Commands"]]
    assert f"ls;rm {victim}" in refused_cmds and f"rm -f {victim}" in refused_cmds
    assert f"rm {victim}" in refused_cmds                                         # typed ahead, as typed
    assert f"r\\\nm {victim}" in refused_cmds                                    # continued: both lines
    assert len(refused_cmds) == 12                                              # 11 typed, 1 exec
    sessions = bh.call("SearchSession", Kind=1, **window())["SessionSet"]
    assert sorted(s["DangerCount"] for s in sessions) == [0, 1, 11]     # the shell, rm, test -e
    (shell,) = [s for s in sessions if s["DangerCount"] == 11]
    by_sid = bh.call("SearchCommandBySid", Sid=shell["Id"], AuditAction=[2])["CommandSet"]
    assert len(by_sid) == 11 and all(c["Action"] == 2 for c in by_sid)
    allowed = [c["Cmd"] for c in bh.call("SearchCommandBySid", Sid=shell["Id"], AuditAction=[1])["CommandSet"]]
    assert "sleep 1" in allowed and not any("rm " + victim in c and not c.startswith(("test", "touch", "grep"))
                                            for c in allowed)
    assert os.path.exists(victim)
    os.remove(victim)


def test_keys_typed_right_after_a_refused_line_go_to_the_next_prompt(stack, gateway, target, clock):
    """The Ctrl-C that abandons a refused line takes the shell a moment (here half a second, with a
    trap on SIGINT). Keys typed meanwhile are held until the shell's next prompt: sent at once,
    bash takes them onto the abandoned line, and they would be read, and refused, with it."""
    demo, bh = guarded_demo(stack, target, clock, "rm")

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn)
            await sh.type(b"trap 'sleep 0.5' INT; echo trapped-$((1+1))\r")
            await sh.until(b"trapped-2\r\n")
            await sh.until(b"$ ")
            mark = len(sh.seen)
            await sh.type(b"rm -rf /tmp/gz-nothing\r", settle=0)
            await sh.until(b"Guardzone: command blocked")
            await sh.type(b"echo next-$((2+3))\r", settle=0)
            await sh.until(b"next-5\r\n")
            assert sh.seen.count(b"Guardzone: command blocked", mark) == 1
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
    run(scenario())
    _, commands = the_session(stack, bh)
    assert [(c["Cmd"], c["Action"]) for c in sorted(commands, key=lambda c: c["TimeOffset"])] == [
        ("trap 'sleep 0.5' INT; echo trapped-$((1+1))", 1), ("rm -rf /tmp/gz-nothing", 2),
        ("echo next-$((2+3))", 1), ("exit", 1)]


def test_an_enter_sent_with_a_ctrl_c_does_not_run_the_abandoned_line(stack, gateway, target, clock):
    """bash, given Ctrl-C and Enter at once, runs the line it was abandoning, less its first
    character: `xrm -f F` then Ctrl-C Enter ran `rm -f F`, unjudged and unrecorded. The keys after a
    Ctrl-C now wait for the shell to take it: at a bracketed-paste prompt, with it turned off, and
    in a session with no command policy at all."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    plain = make_demo(stack, target, clock)
    victim = f"/tmp/gz-victim-{uuid.uuid4().hex[:8]}"
    made = f"/tmp/gz-made-{uuid.uuid4().hex[:8]}"

    async def abandon(who, keys: bytes, tag: str, setup: bytes = b"") -> None:
        async with await logged_in(gateway.port, who) as conn:
            sh = await open_shell(conn)
            if setup:
                await sh.type(setup + b"; echo set-$((1+1))\r")
                await sh.until(b"set-2\r\n")
            await sh.type(keys, settle=0.3)                      # typed, and echoed
            await sh.type(CTRL_C + b"\r", settle=0)             # one write
            await sh.type(f"echo {tag}-$((2+3))\r".encode())
            await sh.until(f"{tag}-5\r\n".encode())
            await sh.type(b"exit\r")
            await sh.process.wait_closed()

    open(victim, "w").close()
    run(abandon(demo, f"xrm -f {victim}".encode(), "marked"))
    run(abandon(demo, f"xrm -f {victim}".encode(), "unmarked", setup=b"bind 'set enable-bracketed-paste off'"))
    run(abandon(plain, f"xtouch {made}".encode(), "ungated"))
    assert os.path.exists(victim) and not os.path.exists(made)
    os.remove(victim)


def test_history_expansion_fc_bind_and_the_line_editor_cannot_run_a_blocked_line(stack, gateway, target, clock):
    """Ways bash makes a line the gate would not see at Enter: history expansion (`^ls^rm`), `fc`
    running history lines, a key bound to run a line, Ctrl-X Ctrl-E (edit in an editor, run what it
    saves), a keyboard macro holding an Enter, Alt-1 Alt-# (uncomment and run), a Ctrl-R search
    finding a history line put there unrun, Ctrl-D ending a here-document. Each is refused;
    the lines between them ran, the target's file is still there."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim = a_victim()

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn, 120, 40)
            await sh.type(f"ls -f {victim}; echo listed-$((1+1))\r".encode())
            await sh.until(b"listed-2\r\n")
            async def refused(typed: bytes, keys: bytes, notice: bytes) -> bytes:
                """Type a line (its echo awaited), then the keys that would run it: refused, and
                bash's next prompt drawn after the notice; what was printed meanwhile."""
                mark = len(sh.seen)
                if typed:
                    await sh.type(typed)
                    await sh.after(mark, typed)
                await sh.type(keys)
                await sh.after(mark, b"Guardzone: command blocked: " + notice)
                await sh.after(sh.seen.rindex(b"Guardzone: command blocked"), b"$ ")
                return bytes(sh.seen[mark:])

            for line in (b"^ls^rm", b"!!:s/ls/rm/", b"fc -s ls=rm", b"bind -x '\"\\C-t\": ls'"):
                assert b"is only known when it runs" in await refused(line, b"\r", b"blocked by template")
            # Ctrl-R finds a line in the history (put there unrun); Enter would run what it found
            await sh.type(f"history -s 'rm -f {victim}'; echo kept-$((2+2))\r".encode())
            await sh.until(b"kept-4\r\n")
            await sh.type(b"\x12rm -f", settle=0.5)      # readline draws the search piece by piece
            await refused(b"", b"\r", b"blocked by template")
            mark = len(sh.seen)
            await sh.type(b"echo ls-edited")
            await sh.after(mark, b"echo ls-edited")
            await sh.type(b"\x18", settle=0.2)                      # Ctrl-X, then Ctrl-E: two keystrokes
            await refused(b"", b"\x05", b"blocked: Ctrl-X Ctrl-E")
            mark = len(sh.seen)
            await sh.type(b"echo after-$((3+4))\r")
            await sh.after(mark, b"after-7\r\n")
            # a keyboard macro (Home, Delete, Enter) recorded on a harmless line, replayed on another
            await sh.type(b"xecho macro-$((1+5))")
            await sh.after(mark, b"xecho macro-$((1+5))")
            await sh.type(b"\x18(" + CTRL_A + b"\x04\r\x18)")
            await sh.after(mark, b"macro-6\r\n")
            await refused(f"xrm -f {victim}".encode(), b"\x18e", b"blocked: Ctrl-X e")
            # Alt-1 Alt-#: readline takes the comment sign off and runs the line
            await refused(f"#rm -f {victim}".encode(), b"\x1b1\x1b#", b"blocked: Alt-#")
            # Ctrl-D on a here-document's empty line ends it and bash runs the command: no Enter
            mark = len(sh.seen)
            await sh.type(b"cat <<E\r")
            await sh.after(mark, b"> ")
            await refused(b"", b"\x04", b"blocked: Ctrl-D")
            mark = len(sh.seen)
            await sh.type(b"echo end-$((4+4))\r")
            await sh.after(mark, b"end-8\r\n")
            assert b"\x1b[?1049h" not in sh.seen                   # no editor was opened
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
    run(scenario())
    assert_kept(victim)
    session, refused = the_session(stack, bh, AuditAction=[2])
    assert sorted(c["Cmd"] for c in refused) == sorted(["^ls^rm", "!!:s/ls/rm/", "fc -s ls=rm", "bind -x '\"\\C-t\": ls'",
                                      "echo ls-edited [Ctrl-X Ctrl-E]", f"xrm -f {victim} [Ctrl-X e]",
                                      f"#rm -f {victim} [Alt-#]", f"rm -f {victim}", "cat <<E [Ctrl-D]"])
    assert session["DangerCount"] == 9


def test_a_line_edited_with_echo_off_does_not_run_unread(stack, gateway, target, clock):
    """With `stty -echo` readline draws nothing: `xrm -f F`, Home, Delete, Enter ran `rm -f F` with
    nothing on the screen to judge. Keys that tell the line (text, the editor's editing keys at
    its prompt) are judged as typed; a line edited otherwise (history recall, a cursor key typed
    ahead to the kernel's line mode) that cannot be read is refused."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim = a_victim()

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn)
            await sh.type(b"stty -echo; echo quiet-$((1+1))\r")
            await sh.until(b"quiet-2\r\n")
            await sh.until(b"$ ")
            await sh.type(f"xrm -f {victim}".encode() + CTRL_A + b"\x04\r")    # edited: judged as the keys make it
            await sh.until(b"Guardzone: command blocked: blocked by template")
            await sh.until(b"$ ")
            mark = len(sh.seen)
            await sh.type(UP + b"\r")                                           # recalled: nothing tells it
            await sh.after(mark, b"Guardzone: command blocked: blocked: the line was edited where the terminal does not show it")
            await sh.after(mark, b"$ ")
            mark = len(sh.seen)
            await sh.type(f"rm -f {victim}\r".encode())                 # plain keys: judged as typed
            await sh.after(mark, b"Guardzone: command blocked: blocked by template")
            await sh.after(mark, b"$ ")
            # typed ahead while a command runs, the keys meet the kernel's line mode: its erase takes
            # the Home key's last byte, so `rm -f F` Home Backspace `#` is `rm -f F` to bash, not `#rm -f F`
            mark = len(sh.seen)
            await sh.type(b"sleep 0.5\r", settle=0)
            await sh.type(f"rm -f {victim}".encode() + b"\x1b[H\x7f#\r")
            await sh.after(mark, b"Guardzone: command blocked: blocked: the line was edited where the terminal does not show it")
            await sh.after(sh.seen.rindex(b"Guardzone: command blocked"), b"$ ")
            mark = len(sh.seen)
            await sh.type(b"echo hidden-$((2+3))\r")
            await sh.until(b"hidden-5\r\n")
            assert b"hidden-$((2+3))" not in sh.seen[mark:]              # the echo is off indeed
            # in the C locale readline takes `é` for two characters and no letter: `#é`,
            # Alt-Backspace, `rm -f F` is `rm -f F` there (`#rm -f F` in UTF-8): not read off the keys
            await sh.type(b"export LC_ALL=C; echo c-$((3+3))\r")
            await sh.until(b"c-6\r\n")
            mark = len(sh.seen)
            await sh.type("#é\x1b\x7frm -f ".encode() + victim.encode() + b"\r")
            await sh.after(mark, b"Guardzone: command blocked: blocked: the line was edited where the terminal does not show it")
            await sh.after(sh.seen.rindex(b"Guardzone: command blocked"), b"$ ")
            # once the terminal's erase is `q`, a typed-ahead `#qrm -f F` is `rm -f F`: from then on
            # the keys tell nothing, and with the echo off no line can be read (the stty found by
            # the line's analysis, quotes and all)
            mark = len(sh.seen)
            await sh.type(b"st''ty er''ase q; sleep 0.5\r", settle=0)
            await sh.type(f"#qrm -f {victim}\r".encode())
            await sh.after(mark, b"Guardzone: command blocked: blocked: the line was edited where the terminal does not show it")
            sh.process.close()
            await sh.process.wait_closed()
    run(scenario())
    assert_kept(victim)
    _, refused = the_session(stack, bh, AuditAction=[2])
    assert sorted(c["Cmd"] for c in refused) == sorted([f"rm -f {victim}", "[unreadable line]", f"rm -f {victim}",
                                                        "[unreadable line]", "[unreadable line]", "[unreadable line]"])


def test_keys_a_command_run_with_a_terminal_set_tell_nothing(stack, gateway, target, clock):
    """`ssh -t host "stty erase q -echo; bash -i"`: the command is judged before it runs, and what it
    may set is taken from it as from a typed line. The inner bash's line editor takes the terminal's
    erase key as its own, so `#qrm -f F` is `rm -f F` to it, with nothing drawn: read off the keys
    it would have run."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim = a_victim()

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            process = await conn.create_process("st''ty erase q -echo; exec bash -i", term_type="xterm",
                                                term_size=(80, 24), encoding=None)
            sh = Shell(process)
            await sh.until(b"\x1b[?2004h")          # its prompt (root's own, not the demo's)
            await asyncio.sleep(0.2)
            await sh.type(f"#qrm -f {victim}\r".encode())
            await sh.until(b"Guardzone: command blocked: blocked: the line was edited where the terminal does not show it")
            sh.process.close()
            await sh.process.wait_closed()
    run(scenario())
    assert_kept(victim)


def test_a_line_the_shell_draws_otherwise_than_it_holds_is_not_taken_for_the_drawing(stack, gateway, target, clock):
    """The screen is the shell's drawing. With `stty cols 200` on an 80-column window readline drew
    a recalled `#rm -f F …` edited with Home and Delete as the comment still, and ran `rm -f F …`:
    the gateway tells the shell the window's size again as each line begins. With
    horizontal-scroll-mode a line stays on one row, `>` marking where it goes on: `echo a…a ; rm -f
    F` edited after recall and shown from its start is refused as a line the screen does not show."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim, pad = a_victim(), "a" * 100
    tail = f"; rm -f {victim}"

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn, 80, 24)
            await sh.type(f"#rm -f {victim} {pad}\r".encode())              # a comment: runs, and is history
            await sh.until(b"$ ")
            await sh.type(b"stty cols 200; echo wide-$((1+1))\r")
            await sh.until(b"wide-2\r\n")
            await sh.until(b"$ ")
            mark = len(sh.seen)
            await sh.type(UP + UP + CTRL_A + b"\x1b[3~\r")                   # `rm -f F a…a`
            await sh.after(mark, b"Guardzone: command blocked: blocked by template")
            await sh.after(mark, b"$ ")
            await sh.type(b"stty size; bind 'set horizontal-scroll-mode on'\r")
            await sh.until(b"24 80\r\n")                                    # the window's size again
            await sh.until(b"$ ")
            await sh.type(f"echo {pad} #{tail}\r".encode())                 # a comment after echo: runs
            await sh.until(b"$ ")
            mark = len(sh.seen)
            await sh.type(UP + b"\x1b[D" * (len(tail) + 1) + b"\x1b[3~" + CTRL_A + b"\r")
            await sh.after(mark, b"Guardzone: command blocked: blocked: the line was edited where the terminal does not show it")
            await sh.after(mark, b"$ ")
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
    run(scenario())
    assert_kept(victim)
    _, refused = the_session(stack, bh, AuditAction=[2])
    assert sorted(c["Cmd"] for c in refused) == sorted([f"rm -f {victim} {pad}", "[unreadable line]"])


def test_a_line_another_program_prints_over_is_not_taken_for_the_shells(stack, gateway, target, clock):
    """A background job can print a line of its own over the one being edited: `#rm -f F` recalled,
    its `#` deleted, then `$ echo fine` printed over it, and the screen showed `echo fine` while
    bash held `rm -f F`. A line the keys do not tell is refused once output no key asked for came."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim = a_victim()

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn)
            await sh.type(f"#rm -f {victim}\r".encode())
            await sh.until(b"$ ")
            await sh.type(b"(sleep 1; printf '\\r\\033[2Kroot@demo:~$ echo fine') &\r")   # the prompt, and a line
            await sh.until(b"]")                                  # the job's number
            mark = len(sh.seen)
            await sh.type(UP + UP + CTRL_A + b"\x1b[3~")             # `rm -f F`, as bash holds it
            await sh.after(mark, b"\x1b[2Kroot@demo:~$ echo fine")  # ... and the job's line over it
            await asyncio.sleep(0.5)
            await sh.type(b"\r")
            await sh.after(mark, b"Guardzone: command blocked: blocked: output no key asked for came")
            await sh.after(sh.seen.rindex(b"Guardzone: command blocked"), b"$ ")
            await sh.type(b"echo typed-$((1+1))\r")                  # a line typed afterwards runs
            await sh.until(b"typed-2\r\n")
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
    run(scenario())
    assert_kept(victim)
    _, refused = the_session(stack, bh, AuditAction=[2])
    assert [c["Cmd"] for c in refused] == ["echo fine"]


def test_what_bash_makes_of_a_line_before_running_it_is_judged(stack, gateway, target, clock):
    """Brace expansion (`{rm,-f,F}` is `rm -f F`), a named coprocess's group, `hash -p` making a
    name run rm, wrappers that run a string (`script -c`, `ssh host CMD`), a command after a
    here-document on its line (run once the body ends), words after a redirection, a group after
    `time`, lines whose start the grammar misreads (`[[x`, `\\ #`, `time coproc {`, `Y=()~`), and
    text an interactive shell reads (its history expanded): each refused, the file
    still there; the same forms with an allowed command run, so bash really expands them."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim = a_victim()

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn, 160, 40)
            for n, line in enumerate([f"{{rm,-f,{victim}}}", f"r{{m,}} -f {victim}", f"coproc X {{ rm -f {victim}; }}",
                                      f"hash -p /bin/rm myls; myls {victim}", f"script -qc 'rm -f {victim}' /dev/null",
                                      f"ssh -p 1 127.0.0.1 rm -f {victim}", f"cat <<EOF; rm -f {victim}",
                                      f"nice >/dev/null rm -f {victim}", f"time {{ rm -f {victim}; }}",
                                      f"[[x; rm -f {victim}", f"\\ # x; rm -f {victim}",
                                      f"time coproc {{ rm -f {victim}; }}", f"Y=()~ rm -f {victim}",
                                      f"! a=b >/dev/null rm -f {victim}", f"0<&- rm -f {victim}",
                                      f"printf 'echo rm\\n!!:1 -f {victim}\\n' | bash -i"]):
                await refused_and_kept(sh, line, victim, str(n))
            await sh.type(f"{{ls,-d,{victim}}}; hash -p /bin/ls myls; myls -d {victim}; cat <<EOF; echo ran-$((5+5))\r".encode())
            await sh.type(f"rm -f {victim}\rEOF\r".encode())                  # a body line is no command
            out = await sh.until(b"ran-10\r\n")
            assert f"{victim}\r\n{victim}\r\nrm -f {victim}\r\nran-10\r\n".encode() in out
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
    run(scenario())
    assert_kept(victim)
    _, commands = the_session(stack, bh, AuditAction=[2])
    assert len(commands) == 16 and {c["Cmd"] for c in commands} >= {f"{{rm,-f,{victim}}}", f"hash -p /bin/rm myls; myls {victim}"}


def test_a_here_document_typed_line_by_line_is_judged_whole_at_its_delimiter(stack, gateway, target, clock):
    """A here-document typed at the terminal a line at a time (no paste): its body lines go to the
    shell as they come, and the whole is judged at the line that ends it. A substitution in an
    unquoted body is refused there, nothing of it run; a quoted body that only mentions rm, blank
    lines and all, is written as typed."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim = a_victim()
    doc = f"/tmp/gz-doc-{uuid.uuid4().hex[:8]}"
    body = [f"setting_{i} = {i}" for i in range(30)] + ["", f"rm -f {victim}", "last"]

    async def typed(first: str, lines: list, end: str) -> None:
        for line in [first] + lines + [end]:
            await sh_box[0].type(line.encode() + b"\r", settle=0.02)

    sh_box = []

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn, 120, 40)
            sh_box.append(sh)
            mark = len(sh.seen)
            await typed(f"cat > {doc} <<EOF", body[:20] + [f"$(rm -f {victim})"], "EOF")
            await sh.after(mark, b"Guardzone: command blocked")
            await sh.after(sh.seen.rindex(b"Guardzone: command blocked"), b"$ ")
            await sh.type(f"test -e {victim} && test ! -e {doc} && echo kept-$((1+1))\r".encode())
            await sh.until(b"kept-2\r\n")
            await typed(f"cat > {doc} <<'EOF'", body, "EOF")
            await sh.type("echo written-$((2+2))\r".encode())
            await sh.until(b"written-4\r\n")
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
    run(scenario())
    assert_kept(victim)
    with open(doc) as f:
        assert f.read() == "\n".join(body) + "\n"
    os.remove(doc)
    _, commands = the_session(stack, bh, AuditAction=[2])
    assert len(commands) == 1 and f"$(rm -f {victim})" in commands[0]["Cmd"]


def test_a_ctrl_c_the_shell_does_not_take_leaves_what_it_holds_judged(stack, gateway, target, clock):
    """With `stty intr undef` a Ctrl-C is only a character to bash, and a construct it holds (an
    open quote) stays open. The gateway forgets the lines it holds only once the shell shows a
    fresh prompt (else it judges the next line both with them and alone), so the line that closes
    the construct is judged with them: `'; rm F` would otherwise be read as text in a quote, where
    bash runs it. Taken, the Ctrl-C ends the construct, and `rm F` is judged alone."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim = a_victim()

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn, 120, 40)
            await sh.type(b"stty intr undef; echo set-$((1+1))\r")
            await sh.until(b"set-2\r\n")
            await sh.type(b"echo 'x\r")                 # an open quote: bash waits for more
            await sh.type(b"\x03", settle=0.3)           # a character now, not an interrupt
            await sh.type(b"\x15", settle=0.3)           # Ctrl-U: the line is empty again
            mark = len(sh.seen)
            await sh.type(f"'; rm -f {victim}\r".encode())
            await sh.after(mark, b"Guardzone: command blocked", timeout=15)
            await sh.type(b"\x15\x15'\r", settle=0.3)    # close the quote: `echo 'x …'` runs alone
            await sh.type(b"stty intr ^C; echo back-$((2+2))\r")
            await sh.until(b"back-4\r\n", timeout=15)
            # taken, a Ctrl-C abandons the construct: what follows is judged alone, not as quoted text
            await sh.type(b"echo 'y\r")
            await sh.type(b"\x03", settle=0.3)
            await refused_and_kept(sh, f"rm -f {victim}", victim, "after-taken")
            # an interrupt sent as a signal (no Ctrl-C key) abandons it too
            await sh.type(b"echo 'z\r")
            sh.process.send_signal("INT")
            await asyncio.sleep(0.3)
            await refused_and_kept(sh, f"rm -f {victim}", victim, "after-signal")
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
    run(scenario())
    assert_kept(victim)


def test_text_bash_evaluates_again_and_startup_files_are_judged(stack, gateway, target, clock):
    """Quoted text bash reads again where it is used (an array subscript in `let` or `[[ ]]`, a
    prompt expansion `${x@P}`), a startup file a shell runs (`BASH_ENV=<(...)`), a translated
    string as a wrapper's command, wrappers that take their options anywhere (`script FILE -c`) or
    run a command after their own (`prlimit`), a brace expansion in a line the grammar rejects,
    adjacent backquotes, ssh's ProxyCommand, tar's and git's commands, a shell fed what printf
    prints or what xargs reads, `bash *` among files named `-c` and `rm -f inner`: each refused,
    the file still there. Subscripts with an allowed command run: bash really evaluates them.
    (`${x@P}` is a name known only when it runs, refused by default.)"""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim = a_victim()
    lines = [f"let 'a[$(rm -f {victim})]=1'", f"[[ 'a[$(rm -f {victim})]' -eq 1 ]]",
             f"x='$(rm -f {victim})'; echo ${{x@P}}", f"BASH_ENV=<(echo rm -f {victim}) bash -c :",
             f'nice $"rm" -f {victim}', f"script -q /dev/null -c 'rm -f {victim}'", f"prlimit rm -f {victim}",
             f"[ a; {{rm,-f,{victim}}}", f"true`ls``rm -f {victim}`", f"ssh -o ProxyCommand='rm -f {victim}' 127.0.0.1",
             f"tar -cf /dev/null --checkpoint=1 --checkpoint-action=exec='rm -f {victim}' /etc/hostname",
             f"GIT_SSH_COMMAND='rm -f {victim}' git fetch", f"printf 'r\\x6d -f {victim}' | bash",
             f"echo 'rm -f {victim}' | xargs -I{{}} bash -c '{{}}'"]
    globs = tempfile.mkdtemp(prefix="gz-globs-")      # `bash *` there is `bash -c 'rm -f inner' inner`
    for name in ("-c", "rm -f inner", "inner"):
        open(os.path.join(globs, name), "w").close()

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn, 160, 40)
            for n, line in enumerate(lines):
                await refused_and_kept(sh, line, victim, str(n))
            await sh.type(f"cd {globs}\r".encode())
            await refused_and_kept(sh, "bash *", "inner", "inner")
            await sh.type(b"let 'a[$(echo sub-$((3+3)) >&2; echo 0)]=1'; [[ 'a[$(echo t-$((4+4)) >&2)]' -eq 1 ]]\r")
            await sh.until(b"sub-6\r\n")
            await sh.until(b"t-8\r\n")
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
    run(scenario())
    assert_kept(victim)
    assert os.path.exists(os.path.join(globs, "inner")), "bash * ran"
    shutil.rmtree(globs)
    _, commands = the_session(stack, bh, AuditAction=[2])
    assert sorted(c["Cmd"] for c in commands) == sorted(lines + ["bash *"])


def test_a_shell_run_as_an_exec_command_is_judged_line_by_line_or_refused(stack, gateway, target, clock):
    """`ssh -t host bash` (a command with a terminal): its lines are judged and recorded as a
    shell session's are. `ssh host bash` and a shell session without a terminal: their input is a
    script, each line recorded and judged as it goes; a refused line ends the input there (with
    `bash -i`, also a line its line editor would change)."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim = a_victim()

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            process = await conn.create_process("env PS1='$ ' bash --norc", term_type="xterm", term_size=(80, 24), encoding=None)
            sh = Shell(process)
            await sh.until(b"$ ")
            await sh.type(f"rm -f {victim}\r".encode())
            await sh.until(b"Guardzone: command blocked: blocked by template")
            await sh.until(b"$ ")
            await sh.type(b"echo inside-$((1+1))\r")
            await sh.until(b"inside-2\r\n")
            await sh.type(b"exit 3\r")
            assert (await process.wait()).exit_status == 3
            fed = await conn.run("bash", input=f"echo one-$((1+1))\nrm -f {victim}\necho never\n", check=False)
            assert fed.stdout == "one-2\n" and "Guardzone: command blocked: blocked by template" in fed.stderr
            # `bash -i` edits its input with readline's keys even without a terminal: Ctrl-T would
            # make `mr` `rm`, so that line is refused
            edited = await conn.run("bash --norc -i", input=f"echo three\necho four\necho five\nmr\x14 -f {victim}\n"
                                                          "echo never\n", check=False)
            assert "never" not in edited.stdout and "line editor" in edited.stderr
            plain = await conn.create_process(encoding=None)          # a shell, no terminal
            plain.stdin.write(f"echo two-$((1+1))\nls {victim}\n".encode())
            plain.stdin.write_eof()
            assert (await plain.stdout.read()) == f"two-2\n{victim}\n".encode()
    run(scenario())
    assert_kept(victim)
    settle(stack, bh.acct["OwnerUin"])
    sessions = bh.call("SearchSession", Kind=1, **window())["SessionSet"]
    by_count = {}
    for s in sessions:
        commands = bh.call("SearchCommandBySid", Sid=s["Id"], Limit=100)["CommandSet"]
        by_count[s["DangerCount"], len(commands)] = sorted((c["Cmd"], c["Action"]) for c in commands)
    assert by_count == {
        (1, 4): sorted([("env PS1='$ ' bash --norc", 1), (f"rm -f {victim}", 2), ("echo inside-$((1+1))", 1),
                        ("exit 3", 1)]),
        (1, 3): sorted([("bash", 1), ("echo one-$((1+1))", 1), (f"rm -f {victim}", 2)]),     # never `echo never`
        (0, 2): sorted([("echo two-$((1+1))", 1), (f"ls {victim}", 1)]),
        (1, 5): sorted([("bash --norc -i", 1), ("echo three", 1), ("echo four", 1), ("echo five", 1),
                        (f"mr\x14 -f {victim}", 2)]),
    }


def test_a_script_that_ends_inside_a_here_document_runs_nothing_of_it(stack, gateway, target, clock):
    """bash runs an unfinished here-document when its input ends, so a construct still open is
    held, not sent, until it is complete, and an input that ends with one open is refused: none
    of it reaches the shell. A here-document the grammar cannot read (`<<!(x)`) is judged with the
    rest of its line read as bash would."""
    demo, bh = guarded_demo(stack, target, clock, "rm")
    victim = a_victim()

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            whole = await conn.run("bash", input="cat <<EOF\nbody-$((1+1))\nEOF\necho after\n", check=False)
            assert (whole.stdout, whole.exit_status) == ("body-2\nafter\n", 0)
            open_end = await conn.run("bash", input="echo one\ncat <<EOF\nheld-body\n", check=False)
            assert open_end.stdout == "one\n" and "the input ends inside an unfinished command" in open_end.stderr
            hidden = await conn.run("bash -O extglob", input=f"cat <<!(x); $(echo rm) -f {victim}\nbody\n", check=False)
            assert hidden.stdout == "" and "Guardzone: command blocked: blocked by template" in hidden.stderr
            command = await conn.run("cat <<EOF\nheld-body", check=False)
            assert command.exit_status == 126 and command.stdout == "" and "unfinished command" in command.stderr
            # a carriage return is a character to bash: `\<CR>` continues no line, `rm … <CR>` runs rm
            crlf = await conn.run("bash", input=f"echo hi-$((1+1)) \\\r\nrm -f {victim} \r\n", check=False)
            assert crlf.stdout == "hi-2 \r\n" and "Guardzone: command blocked: blocked by template" in crlf.stderr
            crlf = await conn.run(f"echo hi \\\r\nrm -f {victim} \r", check=False)
            assert crlf.exit_status == 126 and "blocked by template" in crlf.stderr
            nul = await conn.run("bash", input=f"r\0m -f {victim}\n", check=False)      # bash drops the NUL
            assert "Guardzone: command blocked: blocked by template" in nul.stderr
    run(scenario())
    assert_kept(victim)


def test_a_pasted_block_stops_at_its_blocked_line(stack, gateway, target, clock):
    demo, bh = guarded_demo(stack, target, clock, "shutdown")

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            sh = await open_shell(conn)
            await sh.type(b"bind 'set enable-bracketed-paste off'\r")
            await sh.type(b"echo first-$((1+1))\rshutdown -h now\recho third-$((1+2))\r")
            await sh.until(b"Guardzone: command blocked")
            await sh.until(b"$ ")
            await sh.type(b"echo after-$((2+3))\r")
            await sh.until(b"after-5\r\n")
            assert b"first-2\r\n" in sh.seen and b"third-3" not in sh.seen
            # paste markers to a shell that turned bracketed paste off are keys: the Enter between
            # them runs a line, so it is held and judged like any other
            mark = len(sh.seen)
            await sh.type(PASTE_BEGIN + b"shutdown --help >/dev/null\recho pasted-$((3+3))\r" + PASTE_END)
            await sh.until(b"Guardzone: command blocked")
            assert b"pasted-6" not in sh.seen[mark:]
            await sh.until(b"$ ")
            await sh.type(b"exit\r")
            await sh.process.wait_closed()
    run(scenario())


def test_a_line_being_judged_holds_its_own_session_only(stack, gateway, target, clock, monkeypatch):
    """Lines are judged off the gateway's event loop: while one is (held here until the other
    session has answered), its session's next keys wait behind it and every other session goes on."""
    import threading
    from layers.bastion import command_policy
    demo, _ = guarded_demo(stack, target, clock, "rm")
    judging, release = threading.Event(), threading.Event()
    stock = command_policy.Policy.check

    def check(self, line):
        if "held-here" in line:
            judging.set()
            release.wait(20)
        return stock(self, line)

    monkeypatch.setattr(command_policy.Policy, "check", check)

    async def scenario():
        async with await logged_in(gateway.port, demo) as conn:
            a = await open_shell(conn, 120, 40)
            b = await open_shell(conn, 120, 40)
            try:
                await a.type(b"echo held-here-$((2+3))\r")
                assert await asyncio.get_running_loop().run_in_executor(None, judging.wait, 10)
                await a.type(b"echo typed-after-$((1+1))\r")
                await b.type(b"echo other-session-$((3+4))\r")
                await b.until(b"other-session-7\r\n")
                assert b"held-here-5" not in a.seen and b"typed-after" not in a.seen
            finally:
                release.set()
            await a.until(b"typed-after-2\r\n")
            assert a.seen.index(b"held-here-5\r\n") < a.seen.index(b"typed-after-2\r\n")

    run(scenario())
