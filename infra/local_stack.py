"""The whole service on one machine: moto, the embedded search store (or osmem-server, with
search="opensearch"), the Chalice app behind its local server, and the pump that delivers queue
messages and schedules.

    python -m infra.local_stack [--port 9000] [--fresh]

keeps its state in the data folder (GZ_DATA_DIR, by default .guardzone/ here; infra/data_dir.py),
so that a restart, after Ctrl-C or a crash, finds the same accounts, keys and resources; --fresh
(or GZ_FRESH=1) starts empty. It prints the endpoint, the demo account's SecretId/SecretKey, a
tccli command and an SDK snippet, and writes a tccli profile (GZ_TCCLI_PROFILE, by default
guardzone; infra/tccli_profile.py). Ctrl-C stops everything.
"""
import argparse
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from infra import services, tccli_profile
from infra.data_dir import DataDir, fresh_requested
from infra.folder_lock import FolderBusy
from infra.resources import create_all

log = logging.getLogger("guardzone.local")
DEMO_DATABASE = "demo-mariadb"          # the demo database's device name
DEMO_SQL_RULES = "DROP\nTRUNCATE\nDELETE WITHOUT WHERE\nUPDATE WITHOUT WHERE\nGRANT"   # its ACL's template


@dataclass
class LocalStack:
    port: int = 0
    serve_http: bool = True
    run_pump: bool = True
    audit_delivery: str = "spool"
    search: str = "embedded"            # the search store: "embedded" (tantivy on disk) or "opensearch" (osmem-server)
    data: Optional[DataDir] = None      # where the state is kept; None: nothing is (tests, benchmarks)
    search_dir: str = ""                # the embedded store's folder
    restored: list = field(default_factory=list)    # the moto services read back from it
    moto: Optional[services.ChildService] = None
    opensearch: Optional[services.ChildService] = None
    resources: dict = field(default_factory=dict)
    endpoint: str = ""
    demo: dict = field(default_factory=dict)
    app: Any = None
    server: Any = None
    pump: Any = None
    ssh_port: Optional[int] = None      # the bastion's SSH gateway on this port (0: any free one); None: not run
    gateway: Any = None
    demo_host: Any = None
    ssh: dict = field(default_factory=dict)   # the demo login: host, port, username, password, totp_secret
    mysql_port: Optional[int] = None    # the gateway's MySQL proxy on this port (0: any free one); None: not run
    demo_db: Any = None                 # the demo MariaDB (infra/demo_mariadb.py), where mariadb is installed
    mysql: dict = field(default_factory=dict)  # the demo database login: host, port, username, database, note
    web_port: Optional[int] = None      # the gateway's H5 terminal (WebSocket) on this port (0: any free one); None: not run

    def start(self) -> "LocalStack":
        self.moto = services.moto_server(state_dir=str(self.data.moto) if self.data else None).start()
        if self.data:
            self.restored = services.moto_state(self.moto.url)["restored"]
        env = services.aws_environment(self.moto.url)
        if self.search == "opensearch":
            self.opensearch = services.opensearch_server().start()
            env.update(GZ_OPENSEARCH_URL=self.opensearch.url, GZ_SEARCH_DIR="")
        else:
            self.search_dir = str(self.data.search) if self.data else tempfile.mkdtemp(prefix="guardzone-search-")
            env.update(GZ_OPENSEARCH_URL="", GZ_SEARCH_DIR=self.search_dir)
        if self.data:
            env["GZ_RECORDING_SPOOL_DIR"] = str(self.data.recordings)
        env.update({"GZ_AUDIT_DELIVERY": self.audit_delivery,
                    "GZ_AUDIT_SPOOL_DIR": os.environ.get("GZ_AUDIT_SPOOL_DIR") or
                    (str(self.data.spool) if self.data else f"/tmp/guardzone-spool-{os.getpid()}")})
        services.apply_environment(env)
        from layers import aws, config
        config.reload_settings()
        aws.reset_clients()
        self.resources = create_all()
        from layers.search.default import default_store
        from layers.search.families import all_families
        default_store().install(all_families())
        import app as app_module
        self.app = app_module.app
        if self.serve_http:
            from infra.devserver import ServerThread
            self.server = ServerThread(self.app, "127.0.0.1", self.port).start()
            self.endpoint = f"127.0.0.1:{self.server.port}"
        if self.run_pump:
            from infra.pump import LOCAL_POLLERS, Pump
            self.pump = Pump(self.app, pollers=LOCAL_POLLERS).start()
        if self.data:
            threading.Thread(target=_ship_left_events, name="left-events", daemon=True).start()
        return self

    def seed_demo(self) -> dict:
        """The demo account and key: those the data folder names, if the restored state still has
        them (so a saved tccli profile keeps working), else new ones."""
        from layers import identity
        kept = self.data.demo() if self.data else None
        cred = identity.load_credential(kept["SecretId"]) if kept and kept.get("SecretId") else None
        if cred and cred.enabled and cred.owner_uin == kept.get("OwnerUin"):
            self.demo = {"OwnerUin": cred.owner_uin, "AppId": cred.app_id, "Name": kept.get("Name", "demo"),
                         "Operator": cred.operator, "SecretId": cred.secret_id, "SecretKey": cred.secret_key,
                         "Uin": cred.uin}
            return self.demo
        account = identity.create_account("demo")
        key = identity.create_key(account["OwnerUin"])
        self.demo = {**account, **key}
        if self.data:
            services.moto_state(self.moto.url, snapshot=True)    # on disk before it is shown
            self.data.keep_demo(self.demo)
        return self.demo

    def start_bastion(self) -> dict:
        """The demo target host, the demo bastion that reaches it, and the SSH gateway."""
        import asyncssh

        from infra import demo_bastion
        from infra.demo_host import DemoHost
        from infra.ssh_gateway import SshGateway
        key_file = self.data.host_key_file if self.data else None
        if key_file and key_file.exists():
            host_key = asyncssh.import_private_key(key_file.read_bytes())
        else:
            host_key = asyncssh.generate_private_key("ssh-ed25519")
            if key_file:
                key_file.write_bytes(host_key.export_private_key())
                os.chmod(key_file, 0o600)
        target_password = demo_bastion._password()      # a new one each start, hosted in the bastion
        self.demo_host = DemoHost(demo_bastion.ACCOUNT, target_password, host_key=host_key).start()
        kept = demo_bastion.ensure(self.endpoint, self.demo, self.demo_host.port, target_password,
                                   self.data.demo_bastion() if self.data else None)
        kept = self.start_demo_database(kept)
        if self.data:
            self.data.keep_demo_bastion(kept)
        self.gateway = SshGateway("127.0.0.1", self.ssh_port, self.mysql_port if self.demo_db else None,
                                  self.web_port).start()
        self.ssh = {"host": "127.0.0.1", "port": self.gateway.port,
                    "username": f"{kept['user']}/{demo_bastion.ACCOUNT}/127.0.0.1",
                    "password": kept["password"], "totp_secret": kept["totp_secret"]}
        if self.demo_db:
            self.mysql = {"host": "127.0.0.1", "port": self.gateway.mysql_port, "database": self.demo_db.database,
                          "username": f"{kept['user']}/{self.demo_db.user}/{DEMO_DATABASE}"}
        return self.ssh

    def start_demo_database(self, kept: dict) -> dict:
        """The demo MariaDB (a private mariadbd, new each start) imported as the device
        `demo-mariadb` with its password hosted, where mariadb is installed (else the MySQL
        proxy is not run, and the banner says why)."""
        if self.mysql_port is None:
            return kept
        from infra import demo_bastion, demo_mariadb
        why = demo_mariadb.unavailable()
        if why:
            self.mysql = {"note": why}
            return kept
        try:
            self.demo_db = demo_mariadb.DemoMariaDB().start()
        except Exception as exc:        # noqa: BLE001 - the rest of the stack runs without it
            log.warning("the demo MariaDB did not start: %s", exc)
            self.mysql = {"note": f"the demo MariaDB did not start ({exc})"}
            return kept
        return demo_bastion.ensure_database(self.endpoint, self.demo, self.demo_db.info(), kept, name=DEMO_DATABASE,
                                            cmd_list=DEMO_SQL_RULES)

    def stop(self) -> None:
        if self.gateway:
            self.gateway.stop()
        if self.demo_host:
            self.demo_host.stop()
        if self.demo_db:
            self.demo_db.stop()
        if self.server:
            self.server.stop()
        if self.pump:
            self.pump.stop()
        from layers.gateway.http import gateway
        gateway().limiter.close()
        gateway().emitter.close()
        from layers.search.default import close_default
        close_default()
        if self.search_dir and not self.data:
            shutil.rmtree(self.search_dir, ignore_errors=True)
        for svc in (self.opensearch, self.moto):    # moto last: it writes what the others left
            if svc:
                svc.stop()


def _ship_left_events() -> None:
    """Audit events a crashed run had spooled but not shipped go to the queue now, not at the
    next audit_outbox schedule."""
    from layers.gateway.audit_emitter import drain_orphan_spools
    try:
        moved = drain_orphan_spools()
    except Exception as exc:
        log.warning("left audit spools not shipped yet (%s)", type(exc).__name__)
        return
    if moved:
        log.info("%d audit events left by an earlier run shipped", moved)


def _search_line(stack: LocalStack) -> str:
    return stack.opensearch.url if stack.opensearch else f"embedded, {stack.search_dir}"


def _state_line(stack: LocalStack) -> str:
    if not stack.data:
        return "not kept"
    if stack.restored:
        return f"restored from {stack.data.root} ({', '.join(stack.restored)})"
    return f"new, kept in {stack.data.root}"


def _tccli_lines(stack: LocalStack, profile: str) -> str:
    d, ep = stack.demo, stack.endpoint
    if profile:
        return f"""tccli (profile {profile}: keys and endpoint in ~/.tccli/{profile}.*):
  tccli --profile {profile} cloudhsm DescribeVsms --Offset 0 --Limit 10"""
    return f"""tccli:
  tccli cloudhsm DescribeVsms --region ap-guangzhou --endpoint http://{ep} \\
      --secretId {d['SecretId']} --secretKey {d['SecretKey']} --Offset 0 --Limit 10"""


def banner(stack: LocalStack, profile: str = "") -> str:
    d, ep = stack.demo, stack.endpoint
    kept = "; the state stays for the next start (GZ_FRESH=1 starts empty)" if stack.data else ""
    return f"""
Guardzone local stack is up.

  endpoint     http://{ep}
  moto         {stack.moto.url}
  search       {_search_line(stack)}
  state        {_state_line(stack)}
  account      OwnerUin {d['OwnerUin']}  AppId {d['AppId']}
  SecretId     {d['SecretId']}
  SecretKey    {d['SecretKey']}

{_tccli_lines(stack, profile)}

Python SDK:
  from tencentcloud.common import credential
  from tencentcloud.common.profile.client_profile import ClientProfile
  from tencentcloud.common.profile.http_profile import HttpProfile
  from tencentcloud.cloudhsm.v20191112 import cloudhsm_client, models
  cred = credential.Credential("{d['SecretId']}", "{d['SecretKey']}")
  profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint="{ep}"))
  client = cloudhsm_client.CloudhsmClient(cred, "ap-guangzhou", profile)
  req = models.DescribeVsmsRequest()
  req.Offset, req.Limit = 0, 10
  print(client.DescribeVsms(req).to_json_string())
{_ssh_lines(stack)}
Ctrl-C stops everything{kept}.
"""


def _ssh_lines(stack: LocalStack) -> str:
    if not stack.ssh:
        return ""
    s = stack.ssh
    port = "" if s["port"] == 22 else f"-p {s['port']} "
    return f"""
Bastion (SSH gateway on port {s['port']}; the demo host is a bash on this machine):
  ssh {port}{s['username']}@{s['host']}
      password           {s['password']}
      verification code  the TOTP of secret {s['totp_secret']} (add it to an authenticator app, or:
                         .venv/bin/python -c "import pyotp; print(pyotp.TOTP('{s['totp_secret']}').now())")
  replay what was done:  .venv/bin/python -m infra.cli bastion sessions   (then: bastion replay <session id>)
{_web_lines(stack)}{_mysql_lines(stack)}"""


def _web_lines(stack: LocalStack) -> str:
    port = stack.gateway.web_port if stack.gateway else None
    if not port:
        return ""
    return f"""  in the browser (H5):   http://{stack.endpoint}/console/ , sign in as that bastion user, Hosts, an account
                         (the terminal's WebSocket: ws://127.0.0.1:{port}/)
"""


def _mysql_lines(stack: LocalStack) -> str:
    m = stack.mysql
    if not m:
        return ""
    if "note" in m:
        return f"\nDatabase access: the MySQL proxy is not run: {m['note']}\n"
    return f"""
Database access (MySQL proxy on port {m['port']}; the demo database is a MariaDB on this machine):
  mysql -h {m['host']} -P {m['port']} -u {m['username']} -p {m['database']}
      password           the bastion password, a comma and the current code: {stack.ssh['password']},<code>
                         (or a database access string: guardzone bastion access-string --account UIN
                          --user {stack.ssh['username'].split('/')[0]} --device-account ID)
  blocked there:         DROP, TRUNCATE, GRANT, DELETE and UPDATE without WHERE (the ACL's template)
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("GZ_PORT", "9000")))
    parser.add_argument("--state", help="also write the endpoint and demo credentials to this JSON file")
    parser.add_argument("--fresh", action="store_true",
                        help="start empty: remove the state the data folder keeps (also GZ_FRESH=1)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for chatty in ("opensearch", "botocore", "websockets"):    # a line per store request, client made, server start/stop
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        data = DataDir().prepare(fresh=args.fresh or fresh_requested())
    except FolderBusy as exc:
        print(exc, file=sys.stderr)
        return 2
    from infra.ssh_gateway import port_setting
    from layers.bastion.mysql.proxy import port_setting as mysql_port_setting
    from layers.bastion.ssh.web_terminal import port_setting as web_port_setting
    stack = LocalStack(port=args.port, data=data, ssh_port=port_setting(), mysql_port=mysql_port_setting(),
                       web_port=web_port_setting())
    profile = tccli_profile.profile_name()
    stopping = threading.Event()
    # Ctrl-C handled here rather than as KeyboardInterrupt: a process started in the background
    # inherits SIGINT ignored, and Python then raises none
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        stack.start()
        stack.seed_demo()
        stack.start_bastion()
        if profile:
            tccli_profile.write(profile, stack.endpoint, stack.demo["SecretId"], stack.demo["SecretKey"])
        print(banner(stack, profile), flush=True)
        if args.state:
            with open(args.state, "w") as f:
                json.dump({"endpoint": stack.endpoint, "moto": stack.moto.url, "search_dir": stack.search_dir,
                           "opensearch": stack.opensearch.url if stack.opensearch else "",
                           "audit_queue_url": stack.resources["AuditQueue"]["QueueUrl"], **stack.demo,
                           "ssh": stack.ssh, "mysql": stack.mysql,
                           "web_terminal": {"port": stack.gateway.web_port if stack.gateway else None}}, f)
        while not stopping.wait(0.5):
            pass
    finally:
        print("stopping…", file=sys.stderr, flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
