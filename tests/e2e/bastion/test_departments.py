"""Departments (managed with `guardzone bastion department`, used through every DepartmentId of the
API), and the multi-node and SSL fields of ImportExternalDevice."""
import datetime
import json

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from infra.cli import main as cli

ROOT = {"Id": "1", "Name": "Root", "Managers": [], "ManagerUsers": []}


def gz(bh, *args, ok: bool = True):
    """`guardzone bastion department <args> --account <bh's account>`: the parsed output, or the
    error text when ok is False."""
    result = CliRunner().invoke(cli, ["bastion", "department", *args, "--account", bh.acct["OwnerUin"]])
    if not ok:
        assert result.exit_code != 0, result.output
        return result.output
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_manage_departments_with_the_cli(bh):
    assert gz(bh, "list") == [ROOT]
    ops = gz(bh, "create", "--name", "Ops")
    assert ops == {"Id": "1.2", "Name": "Ops", "Managers": [], "ManagerUsers": []}     # ids as the seed's 1.2.3
    web = gz(bh, "create", "--name", "Web", "--parent", "1.2")
    assert web["Id"] == "1.2.3"
    dev = gz(bh, "create", "--name", "Dev")["Id"]
    assert [d["Id"] for d in gz(bh, "list")] == ["1", "1.2", "1.2.3", dev]
    assert gz(bh, "rename", "--id", "1.2.3", "--name", "Frontend")["Name"] == "Frontend"
    assert gz(bh, "rename", "--id", "1", "--name", "Head office")["Name"] == "Head office"
    assert "FailedOperation.DuplicateData" in gz(bh, "create", "--name", "Ops", ok=False)   # unique among siblings
    assert gz(bh, "create", "--name", "Ops", "--parent", "1.2")["Name"] == "Ops"              # elsewhere fine
    assert "FailedOperation.DuplicateData" in gz(bh, "rename", "--id", dev, "--name", "Ops", ok=False)
    assert "ResourceNotFound" in gz(bh, "create", "--name", "X", "--parent", "1.9", ok=False)
    assert "ResourceNotFound" in gz(bh, "rename", "--id", "1.99", "--name", "X", ok=False)
    assert "InvalidParameterValue" in gz(bh, "create", "--name", "x" * 257, ok=False)
    # delete: leaves only, empty ones only, never the root
    assert "ResourceInUse" in gz(bh, "delete", "--id", "1.2", ok=False)
    assert "UnsupportedOperation" in gz(bh, "delete", "--id", "1", ok=False)
    uid = bh.user("ada", DepartmentId=dev)
    assert "ResourceInUse" in gz(bh, "delete", "--id", dev, ok=False)
    bh.call("ModifyUser", Id=uid, RealName="Ada", Phone="13800000000", Email="", DepartmentId="1")
    assert gz(bh, "delete", "--id", dev) == {"Id": dev, "Deleted": True}
    assert dev not in [d["Id"] for d in gz(bh, "list")]
    assert bh.error("CreateUserGroup", Name="g", DepartmentId=dev) == "ResourceNotFound"


def test_managers_are_users_of_the_account(bh):
    dep = bh.department("Ops")
    alice, bob = bh.user("alice", RealName="Alice"), bh.user("bob", RealName="Bob", DepartmentId=dep)
    got = gz(bh, "set-managers", "--id", dep, "--manager", "bob", "--manager", "alice")
    assert got["Managers"] == [str(bob), str(alice)]
    assert got["ManagerUsers"] == [{"ManagerId": str(bob), "ManagerName": "Bob"},
                                   {"ManagerId": str(alice), "ManagerName": "Alice"}]
    assert bh.call("DescribeUsers", IdSet=[bob])["UserSet"][0]["Department"] == got
    assert "ResourceNotFound" in gz(bh, "set-managers", "--id", dep, "--manager", "nobody", ok=False)
    bh.call("DeleteUsers", IdSet=[alice])                       # a deleted user is no manager any more
    view = bh.call("DescribeUsers", IdSet=[bob])["UserSet"][0]["Department"]
    assert view["Managers"] == [str(bob)] and view["ManagerUsers"] == [{"ManagerId": str(bob), "ManagerName": "Bob"}]
    assert gz(bh, "set-managers", "--id", dep)["Managers"] == []                            # none: cleared


def test_every_record_answers_its_full_department(bh):
    dep = bh.department("Ops")
    gz(bh, "set-managers", "--id", "1", "--manager", "root-admin", ok=False)   # unknown user: nothing changes
    uid = bh.user("carol")
    ugid = bh.call("CreateUserGroup", Name="ops", DepartmentId=dep)["Id"]
    bh.call("AddUserGroupMembers", Id=ugid, MemberIdSet=[uid])
    dev = bh.devices("10.0.0.1")[0]
    dgid = bh.call("CreateDeviceGroup", Name="web")["Id"]
    bh.call("AddDeviceGroupMembers", Id=dgid, MemberIdSet=[dev])
    bh.call("CreateAcl", Name="a", AllowDiskRedirect=True, AllowAnyAccount=True, UserIdSet=[uid],
            UserGroupIdSet=[ugid], DeviceIdSet=[dev], DeviceGroupIdSet=[dgid], DepartmentId=dep)
    user = bh.call("DescribeUsers")["UserSet"][0]
    assert user["Department"] == ROOT and user["DepartmentId"] == "1"           # no department: the root
    ops = {"Id": dep, "Name": "Ops", "Managers": [], "ManagerUsers": []}
    assert user["GroupSet"][0]["Department"] == ops
    device = bh.call("DescribeDevices")["DeviceSet"][0]
    assert device["Department"] == ROOT and device["GroupSet"][0]["Department"] == ROOT
    acl = bh.call("DescribeAcls")["AclSet"][0]
    assert acl["Department"] == ops and acl["UserGroupSet"][0]["Department"] == ops
    assert acl["DeviceSet"][0]["Department"] == acl["DeviceGroupSet"][0]["Department"] == ROOT


def test_department_filters_include_children(bh):
    ops = bh.department("Ops")
    web = bh.department("Web", parent=ops)
    other = bh.department("Other")
    a, b, c = bh.user("anna", DepartmentId=ops), bh.user("ben", DepartmentId=web), bh.user("cid")
    users = lambda dep: [u["Id"] for u in bh.call("DescribeUsers", DepartmentId=dep)["UserSet"]]  # noqa: E731
    assert users("1") == [a, b, c] and users(ops) == [a, b] and users(web) == [b] and users(other) == []
    by_filter = bh.call("DescribeUsers", Filters=[{"Name": "DepartmentId", "Values": [web]}])["UserSet"]
    assert [u["Id"] for u in by_filter] == [b]
    d1, d2 = bh.devices("10.0.0.1", "10.0.0.2")
    bh.call("ModifyDevice", Id=d2, DepartmentId=web)
    assert [d["Id"] for d in bh.call("DescribeDevices", DepartmentId=ops)["DeviceSet"]] == [d2]
    assert [d["Id"] for d in bh.call("DescribeDevices", DepartmentId="1")["DeviceSet"]] == [d1, d2]


def test_unknown_department_ids_are_refused_and_nothing_is_written(bh):
    uid, dev = bh.user("dan"), bh.devices("10.0.0.5")[0]
    gid = bh.call("CreateUserGroup", Name="g")["Id"]
    dgid = bh.call("CreateDeviceGroup", Name="dg")["Id"]
    op = bh.call("CreateChangePwdTask", TaskName="t", DeviceIdSet=[dev], AccountSet=["root"], ChangeMethod=2,
                 AuthGenerationStrategy=2, PasswordLength=16, SmallLetter=1)["OperationId"]
    missing = "1.7"
    refused = [
        ("CreateUser", {"UserName": "eve", "RealName": "Eve", "Phone": "13800000000"}),
        ("ModifyUser", {"Id": uid, "RealName": "Dan", "Phone": "13800000000", "Email": ""}),
        ("CreateUserGroup", {"Name": "g2"}), ("ModifyUserGroup", {"Id": gid, "Name": "g"}),
        ("CreateDeviceGroup", {"Name": "dg2"}), ("ModifyDeviceGroup", {"Id": dgid, "Name": "dg"}),
        ("ModifyDevice", {"Id": dev}),
        ("ImportExternalDevice", {"DeviceSet": [{"OsName": "Linux", "Ip": "10.0.0.6", "Port": 22}]}),
        ("CreateAcl", {"Name": "a", "AllowDiskRedirect": True, "AllowAnyAccount": True}),
        ("CreateChangePwdTask", {"TaskName": "t2", "DeviceIdSet": [dev], "AccountSet": ["root"], "ChangeMethod": 2,
                                 "AuthGenerationStrategy": 2, "PasswordLength": 16, "SmallLetter": 1}),
        ("ModifyChangePwdTask", {"OperationId": op, "ModifyType": 1}),
        ("DescribeUsers", {}), ("DescribeUserGroups", {}), ("DescribeDeviceGroups", {}), ("DescribeDevices", {}),
        ("DescribeAcls", {}), ("DescribeChangePwdTask", {}), ("DescribeChangePwdTaskDetail", {"OperationId": op}),
        ("DescribeUserGroupMembers", {"Id": gid, "Bound": True}),
        ("DescribeDeviceGroupMembers", {"Id": dgid, "Bound": True}),
    ]
    for action, params in refused:
        if action == "ImportExternalDevice":
            params = {"DeviceSet": [{**params["DeviceSet"][0], "DepartmentId": missing}]}
        else:
            params = {**params, "DepartmentId": missing}
        assert bh.error(action, **params) == "ResourceNotFound", action
    assert bh.call("DescribeUsers")["TotalCount"] == 1 and bh.call("DescribeDevices")["TotalCount"] == 1
    assert bh.call("DescribeAcls")["TotalCount"] == 0 and bh.call("DescribeUserGroups")["TotalCount"] == 1
    assert bh.call("DescribeUsers", IdSet=[uid])["UserSet"][0]["DepartmentId"] == "1"
    assert bh.call("DescribeChangePwdTask")["TotalCount"] == 1


def test_departments_belong_to_one_account(bh, other):
    dep = bh.department("Secret team")
    assert other.error("CreateUser", UserName="mallory", RealName="M", Phone="13800000000",
                       DepartmentId=dep) == "ResourceNotFound"
    assert other.error("DescribeUsers", DepartmentId=dep) == "ResourceNotFound"
    assert other.call("DescribeUsers", IdSet=[other.user("oscar")])["UserSet"][0]["Department"] == ROOT
    assert gz(other, "list") == [ROOT]


def test_departments_are_read_once_per_request(bh, monkeypatch):
    from layers.bastion import store
    dep = bh.department("Ops")
    users = [bh.user(f"user{i}", DepartmentId=dep) for i in range(3)]
    gid = bh.call("CreateUserGroup", Name="g", DepartmentId=dep)["Id"]
    for u in users:
        bh.call("ModifyUser", Id=u, RealName="U", Phone="13800000000", Email="", GroupIdSet=[gid])
    bh.call("CreateAcl", Name="a", AllowDiskRedirect=True, AllowAnyAccount=True, UserIdSet=users,
            UserGroupIdSet=[gid], DepartmentId=dep)
    loads = []
    real = store._query_shards
    monkeypatch.setattr(store, "_query_shards", lambda account, kind: (loads.append(kind), real(account, kind))[1])
    acl = bh.call("DescribeAcls", DepartmentId=dep)["AclSet"][0]
    assert len(acl["UserSet"]) == 3 and acl["UserSet"][0]["GroupSet"][0]["Department"]["Name"] == "Ops"
    assert loads.count("department") == 1


# ---- ImportExternalDevice: IpPortSet, EnableSSL, SSLCert, SSLCertName ----

def _certificate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "redis-ca")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_multi_node_and_ssl_fields(bh, audit):
    pem = _certificate()
    body = pem.splitlines()[1]
    imported = bh.call("ImportExternalDevice", DeviceSet=[
        {"OsName": "MySQL", "Ip": "10.0.3.1", "Port": 3306, "Name": "db",
         "IpPortSet": ["10.0.3.2:3306", "[2001:DB8::2]:3307", "10.0.3.2:3306"]},
        {"OsName": "Linux", "Ip": "10.0.3.9", "Port": 6379, "EnableSSL": 1, "SSLCert": pem, "SSLCertName": "ca.pem"},
        {"OsName": "Linux", "Ip": "10.0.3.10", "Port": 22, "EnableSSL": 0, "SSLCert": "ignored", "SSLCertName": "x"}])
    db, tls, plain = imported["DeviceIdSet"]
    found = bh.call("DescribeDevices", IdSet=[db, tls, plain])
    got = {d["Id"]: d for d in found["DeviceSet"]}
    assert got[db]["IpPortSet"] == ["10.0.3.2:3306", "[2001:db8::2]:3307"] and got[db]["EnableSSL"] == 0
    assert (got[tls]["EnableSSL"], got[tls]["SSLCertName"], got[tls]["IpPortSet"]) == (1, "ca.pem", [])
    assert (got[plain]["EnableSSL"], got[plain]["SSLCertName"]) == (0, "")
    assert body not in json.dumps(found)                               # the certificate is never answered
    event = next(e for e in audit.collect(wait_for=2) if e["RequestId"] == imported["RequestId"])
    assert body not in json.dumps(event)
    # a node address is taken like the device's own
    assert bh.error("ImportExternalDevice", DeviceSet=[{"OsName": "MySQL", "Ip": "10.0.3.2", "Port": 3306}]) == \
        "FailedOperation.DuplicateData"
    # deleting the device drops its certificate
    from layers.bastion import ssl_certs, store
    assert store.get_many(bh.acct["OwnerUin"], ssl_certs.KIND, [tls])[tls]["SSLCert"] == pem.strip() + "\n"
    bh.call("DeleteDevices", IdSet=[tls])
    assert store.get_many(bh.acct["OwnerUin"], ssl_certs.KIND, [tls]) == {}


@pytest.mark.parametrize("device,code", [
    ({"OsName": "Linux", "EnableSSL": 1, "SSLCertName": "ca.pem"}, "MissingParameter"),
    ({"OsName": "Linux", "EnableSSL": 1, "SSLCert": "CERT"}, "MissingParameter"),
    ({"OsName": "Linux", "EnableSSL": 1, "SSLCert": "not a certificate", "SSLCertName": "ca"}, "InvalidParameterValue"),
    ({"OsName": "Linux", "EnableSSL": 1, "SSLCert": "PRIVATE", "SSLCertName": "ca"}, "InvalidParameterValue"),
    ({"OsName": "Linux", "EnableSSL": 2}, "InvalidParameterValue"),
    ({"OsName": "Linux", "IpPortSet": ["10.0.4.2:22"]}, "InvalidParameterValue"),       # nodes: databases only
    ({"OsName": "MySQL", "IpPortSet": ["10.0.4.2"]}, "InvalidParameterValue"),
    ({"OsName": "MySQL", "IpPortSet": ["db.example.com:3306"]}, "InvalidParameterValue"),
    ({"OsName": "MySQL", "IpPortSet": ["10.0.4.2:70000"]}, "InvalidParameterValue"),
])
def test_multi_node_and_ssl_errors(bh, device, code):
    if device.get("SSLCert") == "CERT":
        device = {**device, "SSLCert": _certificate()}
    if device.get("SSLCert") == "PRIVATE":
        key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
        device = {**device, "SSLCert": _certificate() + key}
    assert bh.error("ImportExternalDevice", DeviceSet=[{"Ip": "10.0.4.1", "Port": 3306, **device}]) == code
    assert bh.call("DescribeDevices")["TotalCount"] == 0
