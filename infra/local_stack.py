"""The whole service on one machine: moto, osmem-server, the Chalice app behind its local
server, and the pump that delivers queue messages and schedules.

    python -m infra.local_stack [--port 9000]

prints the endpoint, a demo account's SecretId/SecretKey, a tccli command and an SDK snippet.
Ctrl-C stops everything.
"""
import argparse
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from infra import services
from infra.resources import create_all


@dataclass
class LocalStack:
    port: int = 0
    serve_http: bool = True
    run_pump: bool = True
    audit_delivery: str = "spool"
    moto: Optional[services.ChildService] = None
    opensearch: Optional[services.ChildService] = None
    resources: dict = field(default_factory=dict)
    endpoint: str = ""
    demo: dict = field(default_factory=dict)
    app: Any = None
    server: Any = None
    pump: Any = None

    def start(self) -> "LocalStack":
        self.moto = services.moto_server().start()
        self.opensearch = services.opensearch_server().start()
        env = services.aws_environment(self.moto.url)
        env.update({"GZ_OPENSEARCH_URL": self.opensearch.url, "GZ_AUDIT_DELIVERY": self.audit_delivery,
                    "GZ_AUDIT_SPOOL_DIR": os.environ.get("GZ_AUDIT_SPOOL_DIR") or
                    f"/tmp/guardzone-spool-{os.getpid()}"})
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
            from infra.pump import Pump
            self.pump = Pump(self.app).start()
        return self

    def seed_demo(self) -> dict:
        from layers import identity
        account = identity.create_account("demo")
        key = identity.create_key(account["OwnerUin"])
        self.demo = {**account, **key}
        return self.demo

    def stop(self) -> None:
        if self.server:
            self.server.stop()
        if self.pump:
            self.pump.stop()
        from layers.gateway.http import gateway
        gateway().limiter.close()
        gateway().emitter.close()
        for svc in (self.opensearch, self.moto):
            if svc:
                svc.stop()


def banner(stack: LocalStack) -> str:
    d, ep = stack.demo, stack.endpoint
    return f"""
Guardzone local stack is up.

  endpoint     http://{ep}
  moto         {stack.moto.url}
  opensearch   {stack.opensearch.url}
  account      OwnerUin {d['OwnerUin']}  AppId {d['AppId']}
  SecretId     {d['SecretId']}
  SecretKey    {d['SecretKey']}

tccli:
  tccli cloudhsm DescribeVsms --region ap-guangzhou --endpoint http://{ep} \\
      --secretId {d['SecretId']} --secretKey {d['SecretKey']} --Offset 0 --Limit 10

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

Ctrl-C stops everything.
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("GZ_PORT", "9000")))
    parser.add_argument("--state", help="also write the endpoint and demo credentials to this JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("opensearch").setLevel(logging.WARNING)   # a line per store request otherwise
    stack = LocalStack(port=args.port)
    stopping = threading.Event()
    # Ctrl-C handled here rather than as KeyboardInterrupt: a process started in the background
    # inherits SIGINT ignored, and Python then raises none
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        stack.start()
        stack.seed_demo()
        print(banner(stack), flush=True)
        if args.state:
            with open(args.state, "w") as f:
                json.dump({"endpoint": stack.endpoint, "moto": stack.moto.url, "opensearch": stack.opensearch.url,
                           "audit_queue_url": stack.resources["AuditQueue"]["QueueUrl"], **stack.demo}, f)
        while not stopping.wait(0.5):
            pass
    finally:
        print("stopping…", file=sys.stderr, flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
