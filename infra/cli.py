"""`guardzone`: accounts, users and keys; the local stack; the audit outbox; bastion logins.

Against the local stack, point it at moto first:  export GZ_AWS_ENDPOINT=http://127.0.0.1:PORT
(the stack prints that address); deployed, the usual AWS credentials and region are used.
"""
import json
import sys

import click

from layers import identity
from layers.gateway.errors import ApiError


def _print(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def _guard(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ApiError as err:
        click.echo(f"{err.code}: {err.message}", err=True)
        sys.exit(2)


@click.group()
def main() -> None:
    """Guardzone administration."""


@main.group()
def account() -> None:
    """Accounts (OwnerUin, AppId)."""


@account.command("create")
@click.option("--name", default="", help="display name")
@click.option("--owner-uin", default="", help="choose the OwnerUin (default: generated)")
@click.option("--app-id", default="", help="choose the AppId (default: generated)")
@click.option("--operator", is_flag=True, help="an operator account (may query other accounts where an action allows)")
@click.option("--rate-limit", type=int, default=0, help="requests/s per action for this account (default 20)")
@click.option("--with-key/--no-key", default=True, help="also create a key for the root user")
def account_create(name, owner_uin, app_id, operator, rate_limit, with_key) -> None:
    """Create an account and its root user (policy "*")."""
    result = _guard(identity.create_account, name, owner_uin=owner_uin, app_id=app_id, operator=operator,
                    rate_limit=rate_limit)
    if with_key:
        result.update(_guard(identity.create_key, result["OwnerUin"]))
    _print(result)


@main.group()
def user() -> None:
    """Users (Uin) of an account, with their policy."""


@user.command("create")
@click.option("--account", "owner_uin", required=True, help="OwnerUin of the account")
@click.option("--name", required=True)
@click.option("--policy", "policy", multiple=True, help='allowed "service:Action" pattern, e.g. "cloudhsm:Describe*"; repeatable')
def user_create(owner_uin, name, policy) -> None:
    _print(_guard(identity.create_user, owner_uin, name, policy=list(policy)))


@user.command("set-policy")
@click.argument("uin")
@click.option("--policy", "policy", multiple=True, required=True)
def user_set_policy(uin, policy) -> None:
    _guard(identity.set_policy, uin, list(policy))
    _print({"Uin": uin, "Policy": list(policy)})


@main.group()
def key() -> None:
    """API keys (SecretId/SecretKey); at most two permanent keys per user."""


@key.command("create")
@click.option("--uin", required=True, help="the user the key belongs to")
@click.option("--temporary", is_flag=True, help="a temporary key with a Token")
@click.option("--ttl", type=int, default=3600, help="lifetime of a temporary key, in seconds")
def key_create(uin, temporary, ttl) -> None:
    _print(_guard(identity.create_key, uin, temporary=temporary, ttl_seconds=ttl))


@key.command("disable")
@click.argument("secret_id")
def key_disable(secret_id) -> None:
    _guard(identity.set_key_status, secret_id, False)
    _print({"SecretId": secret_id, "Status": "Disabled"})


@key.command("enable")
@click.argument("secret_id")
def key_enable(secret_id) -> None:
    _guard(identity.set_key_status, secret_id, True)
    _print({"SecretId": secret_id, "Status": "Enabled"})


@main.command("local")
@click.option("--port", type=int, default=9000)
@click.option("--state", default=None, help="write the endpoint and demo credentials to this JSON file")
@click.option("--fresh", is_flag=True, help="start empty: remove the state the data folder keeps (also GZ_FRESH=1)")
def local(port, state, fresh) -> None:
    """Run the whole local stack (same as `python -m infra.local_stack`)."""
    from infra.local_stack import main as run
    argv = ["--port", str(port)] + (["--state", state] if state else []) + (["--fresh"] if fresh else [])
    sys.exit(run(argv))


@main.command("drain-outbox")
def drain_outbox() -> None:
    """Move audit events kept in the outbox (queue outage) back onto the audit queue."""
    from layers.gateway.audit_emitter import drain_outbox as drain
    _print({"moved": drain()})


from infra.audit_cli import audit  # noqa: E402  (the audit group: redrive, rebuild, exports)
from infra.bastion_cli import bastion  # noqa: E402  (bastion users' login credentials and policy)

main.add_command(audit)
main.add_command(bastion)

if __name__ == "__main__":
    main()
