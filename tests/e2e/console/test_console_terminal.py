"""The H5 terminal in a real browser (headless Chromium): a bastion user signs in with password
and code, sees the host it may access, opens a terminal (xterm.js over the gateway's WebSocket) to
a real bash, runs a command and sees a blocked one refused; the session is searchable.
Screenshot: test-artifacts/console/terminal-*.png."""
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from browser import vendor_missing

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bastion"))

from bastion_helpers import Bastion  # noqa: E402


@pytest.fixture(scope="module")
def operator(stack):
    """A demo account whose operator may reach a real bash (its ACL blocks `rm`), the gateway with
    its WebSocket, and the login clock: (demo, gateway, admin client)."""
    from infra import demo_bastion
    from infra.demo_host import DemoHost
    from infra.ssh_gateway import SshGateway
    from layers import identity
    from layers.bastion import credentials
    from ssh_support import Clock, Demo

    clock, patch = Clock(), pytest.MonkeyPatch()
    patch.setattr(credentials, "now", clock.now)
    target = DemoHost("root", "target-" + uuid.uuid4().hex[:12]).start()
    gateway = SshGateway("127.0.0.1", 0, web_port=0).start()
    patch.setenv("GZ_WEB_TERMINAL_URL", f"ws://127.0.0.1:{gateway.web_port}/")
    try:
        a = identity.create_account("console-terminal", rate_limit=10000)
        acct = {**a, **identity.create_key(a["OwnerUin"])}
        kept = demo_bastion.ensure(stack.endpoint, acct, target.port, target.password, None,
                                   user=f"op{uuid.uuid4().hex[:8]}")
        bh = Bastion(stack.endpoint, acct)
        template = bh.call("CreateCmdTemplate", Name=f"danger{uuid.uuid4().hex[:6]}", CmdList="rm")["Id"]
        (user,) = bh.call("DescribeUsers", UserName=kept["user"])["UserSet"]
        bh.call("CreateAcl", Name="guard", AllowDiskRedirect=False, AllowAnyAccount=True, UserIdSet=[user["Id"]],
                DeviceIdSet=[kept["device_id"]], CmdTemplateIdSet=[template])
        yield Demo(acct, kept, target, target.password, clock), gateway, bh
    finally:
        gateway.stop()
        target.stop()
        patch.undo()


def screen(console) -> str:
    return console.driver.execute_script(
        "const b = window.guardzoneTerminal && window.guardzoneTerminal.buffer.active; if (!b) return '';"
        "const out = []; for (let i = 0; i < b.length; i++) out.push(b.getLine(i).translateToString(true));"
        "return out.join('\\n');")


def test_an_operator_opens_a_terminal_runs_a_command_and_sees_a_blocked_one_refused(console, operator):
    if vendor_missing():
        pytest.skip(vendor_missing())
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    demo, gateway, bh = operator
    console.set_lang("en")
    console.sign_in_bastion(demo.account["OwnerUin"], demo.kept["user"], demo.kept["password"], demo.code())
    console.wait("#nav a[data-page=hosts]")
    console.open("hosts")
    console.wait(".open-terminal").click()
    status = console.wait(".terminal-status[data-state=open]", timeout=15)
    sid = status.get_attribute("data-sid")
    console.find(".terminal-box").click()                   # focuses xterm's input

    class keys:                                              # the keyboard, typing into what has focus
        @staticmethod
        def send_keys(text: str) -> None:
            ActionChains(console.driver).send_keys(text).perform()
    keys.send_keys("echo h5-$((6*7))" + Keys.ENTER)
    console.wait_until(lambda: "h5-42" in screen(console).replace("h5-$((6*7))", ""), what="the command's output")
    keys.send_keys("rm -rf /tmp/gz-h5-nothing" + Keys.ENTER)
    console.wait_until(lambda: "Guardzone: command blocked" in screen(console), what="the refusal")
    console.shot("terminal-blocked")
    keys.send_keys("exit" + Keys.ENTER)
    console.wait(".terminal-status[data-state=ended]", timeout=15)
    now = datetime.now(timezone.utc)
    found = bh.call("SearchSession", Kind=1, StartTime=(now - timedelta(hours=1)).isoformat(),
                    EndTime=(now + timedelta(hours=1)).isoformat())["SessionSet"]
    assert sid in [s["Id"] for s in found]
