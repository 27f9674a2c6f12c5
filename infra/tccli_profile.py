"""A tccli profile for the local stack, so that `tccli --profile guardzone kms ListKeys` needs
neither keys nor --endpoint: ~/.tccli/<name>.configure and <name>.credential, as
`tccli configure --profile <name>` writes them. tccli takes a service's endpoint from
`"<service>": {"endpoint": ..., "version": ...}` of the configure file; an endpoint with
http:// is called over http.
"""
import json
import os
from pathlib import Path
from typing import Dict

REGION = "ap-guangzhou"
_DEFAULTS = {"region": REGION, "output": "json", "arrayCount": 10, "warning": "off"}


def profile_name() -> str:
    """GZ_TCCLI_PROFILE, `guardzone` if unset; empty: no profile."""
    return os.environ.get("GZ_TCCLI_PROFILE", "guardzone").strip()


def served() -> Dict[str, str]:
    """tccli's name of each service the app serves (its host's first label: dasb for bhsaas) →
    the newest API version."""
    from layers.gateway import registry
    return {svc.host.split(".")[0]: svc.versions[-1] for svc in registry.SERVICES.values()
            if svc.package.startswith("functions.")}


def write(name: str, endpoint: str, secret_id: str, secret_key: str) -> Path:
    """Write (or update) the profile; returns the configure file. Settings of the profile's own,
    such as an output format, are kept."""
    folder = Path(os.path.expanduser("~")) / ".tccli"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    configure = folder / f"{name}.configure"
    try:
        conf = json.loads(configure.read_text("utf-8"))
    except (OSError, ValueError):
        conf = {}
    conf["_sys_param"] = {**_DEFAULTS, **conf.get("_sys_param", {})}
    for service, version in served().items():
        conf[service] = {"endpoint": f"http://{endpoint}", "version": version}
    _write_json(configure, conf)
    _write_json(folder / f"{name}.credential", {"secretId": secret_id, "secretKey": secret_key})
    return configure


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    os.replace(tmp, path)
