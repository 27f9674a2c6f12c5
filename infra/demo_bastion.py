"""The local stack's demo bastion: the demo target host (infra/demo_host.py) imported as a device
with a hosted password, a bastion user allowed to reach it, activated with a password and a TOTP
secret — so the banner's `ssh -p 8322 demo/root/127.0.0.1@127.0.0.1` works straight away.

It is made through the API, signed with the demo key (every call audited like any other), once
per data folder: a restarted stack finds it again (demo.json keeps the user's password and TOTP
secret, the bastion table the rest) and only points the device at the new target port."""
import json
import secrets
import string
import time
import urllib.request
import uuid
from typing import Optional

from layers import aws
from layers.gateway import signature_v3

USER, ACCOUNT = "demo", "root"
REGION = "ap-guangzhou"
OWNER_TAG = "guardzone:OwnerUin"


class Api:
    """dasb 2019-10-18 over HTTP, TC3-signed with a key."""

    def __init__(self, endpoint: str, key: dict) -> None:
        self.endpoint, self.key = endpoint, key

    def __call__(self, action: str, **params) -> dict:
        body = json.dumps(params).encode()
        ts = int(time.time())
        date = signature_v3.scope_date(ts)
        headers = {"content-type": "application/json", "host": self.endpoint, "x-tc-action": action,
                   "x-tc-version": "2019-10-18", "x-tc-timestamp": str(ts), "x-tc-region": REGION}
        canonical = signature_v3.canonical_request("POST", "", headers, ("content-type", "host"),
                                                   signature_v3.payload_hash(body, headers))
        sig = signature_v3.sign(self.key["SecretKey"], date, "dasb",
                                signature_v3.string_to_sign(str(ts), date, "dasb", canonical))
        headers["authorization"] = signature_v3.authorization_header(self.key["SecretId"], date, "dasb", sig)
        req = urllib.request.Request(f"http://{self.endpoint}/", data=body, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=30) as resp:
            answer = json.loads(resp.read())["Response"]
        if "Error" in answer:
            raise RuntimeError(f"{action}: {answer['Error']['Code']}: {answer['Error']['Message']}")
        return answer


def _network(owner: str) -> tuple:
    ec2 = aws.client("ec2", REGION)
    tags = [{"Key": "Name", "Value": "guardzone-demo"}, {"Key": OWNER_TAG, "Value": owner}]
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16",
                         TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24",
                               TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}])["Subnet"]["SubnetId"]
    return vpc, subnet


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(16))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


def ensure(endpoint: str, key: dict, target_port: int, target_password: str, kept: Optional[dict],
           user: str = USER) -> dict:
    """The demo bastion, made or found; returns what demo.json keeps of it:
    {"user", "password", "totp_secret", "device_id"}."""
    from layers.bastion import login
    api, owner = Api(endpoint, key), key["OwnerUin"]
    users = api("DescribeUsers", UserName=user).get("UserSet", [])
    if kept and users and kept.get("device_id") and _port_of(api, kept["device_id"]) is not None:
        if _port_of(api, kept["device_id"]) != target_port:
            api("ModifyDevice", Id=kept["device_id"], Port=target_port)
        _host_password(api, kept["device_id"], target_password)
        return kept
    vpc, subnet = _network(owner)
    rid = api("CreateResource", ResourceEdition="standard", ResourceNode=10, TimeUnit="m", TimeSpan=12,
              DeployRegion=REGION, DeployZone=f"{REGION}-3", VpcId=vpc, SubnetId=subnet)["ResourceId"]
    (device,) = api("ImportExternalDevice", DeviceSet=[{"OsName": "Linux", "Ip": "127.0.0.1", "Port": target_port,
                                                        "Name": "demo-host"}])["DeviceIdSet"]
    api("BindDeviceResource", DeviceIdSet=[device], ResourceId=rid)
    _host_password(api, device, target_password)
    uid = users[0]["Id"] if users else api("CreateUser", UserName=user, RealName="DemoOperator",
                                           Phone="13800000000")["Id"]
    api("CreateAcl", Name=f"demo-{uuid.uuid4().hex[:6]}", AllowDiskRedirect=False, AllowAnyAccount=True,
        UserIdSet=[uid], DeviceIdSet=[device], AllowKeyboardLogger=False)
    password = _password()
    code = login.issue_activation_code(owner, user)
    enrollment = login.begin_activation(owner, user, code)
    import pyotp

    from layers.bastion import credentials
    # the previous time-step's code (still accepted): the current one stays free for the first login
    previous = credentials.now().timestamp() - 30
    login.finish_activation(owner, user, code, password, pyotp.TOTP(enrollment.totp_secret).at(previous))
    return {"user": user, "password": password, "totp_secret": enrollment.totp_secret, "device_id": device}


def _port_of(api: Api, device_id: int) -> Optional[int]:
    found = api("DescribeDevices", IdSet=[device_id]).get("DeviceSet", [])
    return found[0]["Port"] if found else None


def _host_password(api: Api, device_id: int, password: str) -> None:
    accounts = api("DescribeDeviceAccounts", DeviceId=device_id).get("DeviceAccountSet", [])
    aid = next((a["Id"] for a in accounts if a["Account"] == ACCOUNT), None)
    if aid is None:
        aid = api("CreateDeviceAccount", DeviceId=device_id, Account=ACCOUNT)["Id"]
    api("BindDeviceAccountPassword", Id=aid, Password=password)


def ensure_database(endpoint: str, key: dict, db: dict, kept: dict, name: str = "demo-mariadb",
                    cmd_list: str = "") -> dict:
    """A database target (infra/demo_mariadb.py's info(): host, port, user, password, ca_file)
    imported as a device (OsName MySQL, EnableSSL with its CA when it speaks TLS) of the account
    that `kept` (ensure()'s answer) made, bound to the same resource, its user's password hosted,
    and the demo user allowed to reach it through an ACL (with a high-risk template of `cmd_list`
    when given). Made once: a later call points the device at the new port and hosts the new
    password. Returns kept with "db_device_id" and "db_account_id"."""
    api = Api(endpoint, key)
    device = kept.get("db_device_id")
    if device is not None and _port_of(api, device) is None:
        device = None
    if device is None:
        (host,) = api("DescribeDevices", IdSet=[kept["device_id"]])["DeviceSet"]
        rid = host["Resource"]["ResourceId"]
        spec = {"OsName": "MySQL", "Ip": db["host"], "Port": db["port"], "Name": name}
        if db.get("ca_file"):
            with open(db["ca_file"]) as f:
                spec.update(EnableSSL=1, SSLCert=f.read(), SSLCertName="demo-mariadb-ca")
        (device,) = api("ImportExternalDevice", DeviceSet=[spec])["DeviceIdSet"]
        api("BindDeviceResource", DeviceIdSet=[device], ResourceId=rid)
        (user,) = [u for u in api("DescribeUsers", UserName=kept["user"])["UserSet"] if u["UserName"] == kept["user"]]
        acl = dict(Name=f"db-{uuid.uuid4().hex[:6]}", AllowDiskRedirect=False, AllowAnyAccount=True,
                   UserIdSet=[user["Id"]], DeviceIdSet=[device], AllowKeyboardLogger=False)
        if cmd_list:
            acl["CmdTemplateIdSet"] = [api("CreateCmdTemplate", Name=f"sql-{uuid.uuid4().hex[:6]}",
                                           CmdList=cmd_list)["Id"]]
        api("CreateAcl", **acl)
    elif _port_of(api, device) != db["port"]:
        api("ModifyDevice", Id=device, Port=db["port"])
    accounts = api("DescribeDeviceAccounts", DeviceId=device).get("DeviceAccountSet", [])
    aid = next((a["Id"] for a in accounts if a["Account"] == db["user"]), None)
    if aid is None:
        aid = api("CreateDeviceAccount", DeviceId=device, Account=db["user"])["Id"]
    api("BindDeviceAccountPassword", Id=aid, Password=db["password"])
    return {**kept, "db_device_id": device, "db_account_id": aid}
