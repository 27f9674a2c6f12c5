"""The bastion, CloudHSM and KMS pages in a real browser (headless Chromium): a user and a device
made, edited and deleted through the admin page and seen through the API; a session recorded
through the SSH gateway found on the session page, replayed in asciinema-player, and a click on a
command seeks the player to that command's TimeOffset; the VSM and KMS key lists show what the
API has. Screenshots: test-artifacts/console/bastion-*.png."""
import asyncio
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from helpers import common_client
from layers import identity

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bastion"))

from bastion_helpers import Bastion  # noqa: E402


@pytest.fixture(scope="module")
def acct(stack):
    a = identity.create_account("console-bastion", rate_limit=10000)
    return {**a, **identity.create_key(a["OwnerUin"])}


@pytest.fixture(scope="module")
def signed_in(console, acct):
    console.sign_in_key(acct)
    return console


@pytest.fixture(scope="module")
def recorded(stack, acct):
    """A session of `acct`'s demo operator through the SSH gateway to a real bash: two commands a
    second apart, recorded, its commands indexed. Returns (sid, {command: TimeOffset})."""
    from infra import demo_bastion
    from infra.demo_host import DemoHost
    from infra.ssh_gateway import SshGateway
    from layers.bastion import credentials
    from session_feed import deliver
    from ssh_support import Clock, Demo, logged_in, shell

    clock = Clock()
    patch = pytest.MonkeyPatch()
    patch.setattr(credentials, "now", clock.now)
    target = DemoHost("root", "target-" + uuid.uuid4().hex[:12]).start()
    gateway = SshGateway("127.0.0.1", 0).start()
    try:
        kept = demo_bastion.ensure(stack.endpoint, acct, target.port, target.password, None,
                                   user=f"op{uuid.uuid4().hex[:8]}")
        demo = Demo(acct, kept, target, target.password, clock)

        async def session():
            async with await logged_in(gateway.port, demo) as conn:
                sh = await shell(conn)
                await sh.type(b"echo first-$((1+1))\r")
                await sh.until(b"first-2\r\n")
                await asyncio.sleep(1.0)            # the second command well apart in the recording
                await sh.type(b"echo second-$((2+2))\r")
                await sh.until(b"second-4\r\n")
                await sh.type(b"exit\r")
                await sh.process.wait_closed()
        asyncio.new_event_loop().run_until_complete(session())
    finally:
        gateway.stop()
        target.stop()
        patch.undo()
    deliver(stack)
    bh = Bastion(stack.endpoint, acct)
    (s,) = bh.call("SearchSession", Id=bh.call("SearchSession", Kind=1, StartTime="2020-01-01T00:00:00+08:00",
                                               UserName=kept["user"])["SessionSet"][0]["Id"])["SessionSet"]
    offsets = {c["Cmd"]: c["TimeOffset"] for c in bh.call("SearchCommandBySid", Sid=s["Id"])["CommandSet"]}
    return s["Id"], offsets


def test_users_and_devices_are_made_edited_listed_and_deleted_through_the_admin_page(stack, signed_in, acct):
    c = signed_in
    bh = Bastion(stack.endpoint, acct)
    c.open("bastion?tab=users")
    c.click(".crud[data-kind=users] [data-role=create]")
    c.fill("[data-role=create-form] [data-field=UserName]", "webalice")
    c.fill("[data-role=create-form] [data-field=RealName]", "AliceWeb")
    c.fill("[data-role=create-form] [data-field=Phone]", "+852 61234567")
    c.click("[data-role=create-form] [data-role=save]")
    c.wait_text(".crud[data-kind=users] [data-role=results] tbody", "webalice")
    (user,) = bh.call("DescribeUsers", UserName="webalice")["UserSet"]
    assert (user["RealName"], user["Phone"]) == ("AliceWeb", "+852 61234567")
    assert c.find("[data-role=page-info]").get_attribute("data-total") == str(
        bh.call("DescribeUsers")["TotalCount"])
    # a refused create shows the API's Code and Message in the dialog
    c.click(".crud[data-kind=users] [data-role=create]")
    c.fill("[data-role=create-form] [data-field=UserName]", "webalice")
    c.fill("[data-role=create-form] [data-field=RealName]", "Again")
    c.fill("[data-role=create-form] [data-field=Phone]", "13800000000")
    c.click("[data-role=create-form] [data-role=save]")
    assert c.wait("[data-role=create-form] .error[data-code]").get_attribute("data-code") == \
        "FailedOperation.DuplicateData"
    c.driver.execute_script("document.querySelector('dialog.modal').close()")

    c.open("bastion?tab=devices")
    c.click(".crud[data-kind=devices] [data-role=create]")
    c.fill("[data-role=create-form] [data-field=Ip]", "10.9.8.7")
    c.fill("[data-role=create-form] [data-field=Port]", "22")
    c.fill("[data-role=create-form] [data-field=Name]", "web-db-1")
    c.click("[data-role=create-form] [data-role=save]")
    row = c.wait_text(".crud[data-kind=devices] [data-role=results] tbody", "web-db-1")
    (device,) = bh.call("DescribeDevices", Name="web-db-1")["DeviceSet"]
    assert (device["PrivateIp"] or device["PublicIp"], device["Port"], device["OsName"]) == ("10.9.8.7", 22, "Linux")
    assert "10.9.8.7" in row.text
    # edit: the port
    c.click(f".crud[data-kind=devices] tr[data-id='{device['Id']}'] [data-role=edit]")
    c.fill("[data-role=edit-form] [data-field=Port]", "2222")
    c.click("[data-role=edit-form] [data-role=save]")
    c.wait_until(lambda: bh.call("DescribeDevices", IdSet=[device["Id"]])["DeviceSet"][0]["Port"] == 2222,
                 what="the port changed")
    # the filter is DescribeDevices' own
    c.fill(".crud[data-kind=devices] [data-role=filters] [data-field=Name]", "no-such-host")
    c.click(".crud[data-kind=devices] [data-role=filters] button[type=submit]")
    c.wait(".crud[data-kind=devices] [data-role=results] p.empty")
    c.shot("bastion-01-devices")

    # delete the user (after the browser's confirm)
    c.open("bastion?tab=users")
    c.click(f".crud[data-kind=users] tr[data-id='{user['Id']}'] [data-role=delete]")
    c.driver.switch_to.alert.accept()
    c.wait_until(lambda: bh.call("DescribeUsers", UserName="webalice")["TotalCount"] == 0, what="the user deleted")


def test_a_recorded_session_replays_and_a_command_click_seeks_to_its_offset(signed_in, recorded):
    from browser import vendor_missing
    if vendor_missing():
        pytest.skip(vendor_missing())
    csp = urllib.request.urlopen(signed_in.url).headers["Content-Security-Policy"]
    from layers.bastion import recording_link
    # what asciinema-player needs: WebAssembly, and the recording from the presigned links' origin
    assert "'wasm-unsafe-eval'" in csp and recording_link.origin() in csp, csp
    c = signed_in
    sid, offsets = recorded
    assert set(offsets) == {"echo first-$((1+1))", "echo second-$((2+2))", "exit"}
    c.open("bastion-sessions")
    c.click(f"#session-results a.replay-link[data-sid='{sid}']")
    c.wait("#replay-player[data-ready='1']")
    c.wait_until(lambda: len(c.find_all("#replay-commands button.cmd")) == 3, what="the command list")
    buttons = c.find_all("#replay-commands button.cmd")
    assert [b.text.split(" ", 1)[1] for b in buttons] == ["echo first-$((1+1))", "echo second-$((2+2))", "exit"]
    second = offsets["echo second-$((2+2))"]
    assert second >= 1000
    c.click(f"#replay-commands button[data-offset='{second}']")
    try:
        c.wait_until(lambda: c.find("#replay-player").get_attribute("data-seeked") == str(second), what="the seek")
    except AssertionError:
        c.shot("bastion-02-replay-failed")
        raise AssertionError(f"no seek; the browser said {c.console_errors()}") from None
    now = c.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "document.getElementById('replay-player').player.getCurrentTime().then(done, () => done(null));")
    assert now is not None and abs(now - second / 1000) < 0.3, (now, second)
    assert "second-4" in c.find("#replay-player").text or c.find("#replay-player .ap-terminal")
    c.shot("bastion-02-replay")


def test_vsm_and_key_lists_show_what_the_api_has(stack, signed_in, acct):
    from layers import aws
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cloudhsm"))
    from hsm_helpers import Common, create_vsm, make_network
    net = make_network(aws.client("ec2", "ap-guangzhou"), acct["OwnerUin"])
    (vsm_id,) = create_vsm(Common(stack.endpoint, acct), net)["ResourceIds"]
    kms = common_client(stack.endpoint, acct, "kms", "2019-01-18", region="ap-guangzhou")
    rotated = kms.call_json("CreateKey", {"Alias": "console-rotated"})["Response"]["KeyId"]
    kms.call_json("EnableKeyRotation", {"KeyId": rotated})
    disabled = kms.call_json("CreateKey", {"Alias": "console-disabled"})["Response"]["KeyId"]
    kms.call_json("DisableKey", {"KeyId": disabled})

    c = signed_in
    c.open("hsm")
    c.wait(f"#vsm-results a.vsm-link[data-id='{vsm_id}']")
    assert c.find("#vsm-page").get_attribute("data-total") == "1"
    c.wait_until(lambda: c.find(f".rotation[data-key='{disabled}']").get_attribute("data-enabled") == "0",
                 what="the rotation status")
    assert c.find(f".rotation[data-key='{rotated}']").get_attribute("data-enabled") == "1"
    assert c.find(f"#key-results tr[data-key='{rotated}'] .state").text == "Enabled"
    assert c.find(f"#key-results tr[data-key='{disabled}'] .state").text == "Disabled"
    assert "ENCRYPT_DECRYPT" in c.find(f"#key-results tr[data-key='{rotated}']").text
    c.click(f"#vsm-results a.vsm-link[data-id='{vsm_id}']")
    detail = c.wait("#vsm-detail")
    assert c.find("#vsm-detail [data-attr=VpcId]").text == net.vpc_id
    assert c.find("#vsm-detail [data-attr=SubnetCidrBlock]").text == f"{net.prefix}.1.0/28"
    assert detail.is_displayed()
    c.shot("bastion-03-hsm")
