"""Accounts for the CloudAudit end-to-end tests (a module of its own: every test folder's
conftest.py is a module named `conftest`, so tests cannot import from theirs reliably)."""


def new_account(operator: bool = False) -> dict:
    from layers import identity
    a = identity.create_account("cloudaudit-e2e", rate_limit=10000, operator=operator)
    return {**a, **identity.create_key(a["OwnerUin"])}
