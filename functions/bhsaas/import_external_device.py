"""ImportExternalDevice: add hosts that are not in the cloud inventory (by IP and port).

A device with the same IP and port already in the account is FailedOperation.DuplicateData; the
addresses of IpPortSet count too. IpPortSet lists the other nodes (`ip:port`) of a database
asset (OsName MySQL). EnableSSL 1 keeps SSLCertName and the SSLCert (PEM certificates, required
then; stored apart, never answered: layers/bastion/ssl_certs.py); with EnableSSL 0 or left out
both are ignored. DepartmentId must name a department of the account (ResourceNotFound)."""
from typing import Annotated, List, Literal, Optional

from pydantic import AfterValidator, Field

from layers.bastion import departments, devices, fields, ssl_certs, store
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import ApiError, invalid_value, missing
from layers.gateway.schema import Params, String

DATABASE_OS = {"MySQL"}
MAX_NODES = 64


class ExternalDevice(Params):
    OsName: Literal["Linux", "Windows", "MySQL"]
    Ip: fields.IpAddress
    Port: fields.Port
    Name: Optional[Annotated[String, Field(max_length=128)]] = None
    DepartmentId: Optional[fields.DepartmentId] = None
    IpPortSet: Optional[Annotated[List[fields.IpPort], Field(max_length=MAX_NODES),
                                  AfterValidator(lambda v: list(dict.fromkeys(v)))]] = None
    EnableSSL: Optional[fields.choice(0, 1)] = None
    SSLCert: Optional[String] = None
    SSLCertName: Optional[Annotated[String, Field(max_length=128)]] = None


class Input(Params):
    DeviceSet: Annotated[List[ExternalDevice], Field(min_length=1, max_length=200)]


def _ssl(n: int, ext: ExternalDevice) -> Optional[str]:
    """The certificate to keep (EnableSSL 1), checked; None otherwise."""
    if not ext.EnableSSL:
        return None
    for name in ("SSLCert", "SSLCertName"):
        if not (getattr(ext, name) or "").strip():
            raise missing(f"DeviceSet.{n}.{name}")
    return ssl_certs.check(ext.SSLCert, f"DeviceSet.{n}.SSLCert")


@action("ImportExternalDevice", Input, region=REGION_IGNORED, resource_type="device", secret_params=("SSLCert",))
def handle(p: Input, ctx: RequestContext) -> dict:
    certs = [_ssl(n, ext) for n, ext in enumerate(p.DeviceSet)]
    for n, ext in enumerate(p.DeviceSet):
        if ext.IpPortSet and ext.OsName not in DATABASE_OS:
            raise invalid_value(f"DeviceSet.{n}.IpPortSet", "multiple nodes are for database assets (OsName MySQL)")

    def write(tx: store.Tx) -> List[int]:
        tree = departments.tree(tx)
        for ext in p.DeviceSet:
            tree.check(ext.DepartmentId)
        taken = devices.taken_endpoints(tx.all("device").values())
        ids = tx.new_ids("device", len(p.DeviceSet))
        for rid, ext, cert in zip(ids, p.DeviceSet, certs):
            rec = devices.external(rid, ext.OsName, ext.Ip, ext.Port, ext.Name or "", ext.DepartmentId or "")
            rec.update({"IpPortSet": ext.IpPortSet or [], "EnableSSL": 1 if cert else 0,
                        "SSLCertName": ext.SSLCertName.strip() if cert else ""})
            if devices.endpoints(rec) & taken:
                raise ApiError("FailedOperation.DuplicateData", f"A device at {ext.Ip}:{ext.Port} already exists.")
            taken |= devices.endpoints(rec)
            if cert:
                ssl_certs.put(tx, rec, cert)
            tx.put("device", rec)
        return ids

    ids = store.transaction(ctx.account, write)
    ctx.touched(*(f"{d.Ip}:{d.Port}" for d in p.DeviceSet))
    return {"DeviceIdSet": ids}
