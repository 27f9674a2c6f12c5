"""Device (asset) records: external hosts and hosts from the cloud inventory.

    Id, InstanceId, Name, PublicIp, PrivateIp, ApCode, OsName, Kind, Port, VpcId, SubnetId,
    Tags [{Key, Value}], GroupIds, ResourceId, DepartmentId,
    IpPortSet ["ip:port"], EnableSSL, SSLCertName, HasSSLCert (layers/bastion/ssl_certs.py),
    Source: "external" (ImportExternalDevice) | "host" / "database" (asset sync, category 1 / 2)
"""
from typing import Iterable, Set, Tuple

KIND_BY_OS = {"Linux": 1, "Windows": 2, "MySQL": 3, "SQLServer": 4}
DEFAULT_PORT = {1: 22, 2: 3389, 3: 3306, 4: 1433}
SYNC_SOURCES = {1: "host", 2: "database"}          # asset-sync category -> Source


def endpoints(rec: dict) -> Set[Tuple[str, int]]:
    """(ip, port) pairs a device answers on (with its other nodes: IpPortSet, "ip:port")."""
    out = {(ip, rec["Port"]) for ip in (rec.get("PrivateIp"), rec.get("PublicIp")) if ip}
    for node in rec.get("IpPortSet", ()):
        ip, _, port = node.rpartition(":")
        out.add((ip.strip("[]"), int(port)))
    return out


def taken_endpoints(records: Iterable[dict]) -> Set[Tuple[str, int]]:
    out: Set[Tuple[str, int]] = set()
    for rec in records:
        out |= endpoints(rec)
    return out


def external(rec_id: int, os_name: str, ip: str, port: int, name: str, department_id: str) -> dict:
    return {"Id": rec_id, "InstanceId": "", "Name": name or ip, "PublicIp": "", "PrivateIp": ip, "ApCode": "",
            "OsName": os_name, "Kind": KIND_BY_OS[os_name], "Port": port, "VpcId": "", "SubnetId": "",
            "Tags": [], "GroupIds": [], "ResourceId": "", "DepartmentId": department_id, "Source": "external"}
