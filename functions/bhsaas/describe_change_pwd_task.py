"""DescribeChangePwdTask: the account's password-rotation tasks, ordered by Id. Filters: Name
OperationId (exact) or TaskName (case-insensitive substring); the Values of one filter are
alternatives, several filters must all hold. DepartmentId keeps tasks of that department and
those below it. No password is shown (FilePassword reads "")."""
from typing import Annotated, List, Optional

from pydantic import Field

from layers.bastion import filters, pwd_tasks, store
from layers.bastion.snapshot import Snapshot
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Params, String, Uint64


class Filter(Params):
    Name: String
    Values: Annotated[List[String], Field(min_length=1, max_length=100)]


FilterList = Annotated[List[Filter], Field(max_length=10)]


class Input(Params):
    Filters: Optional[FilterList] = None
    DepartmentId: Optional[String] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20


MATCH = {
    "OperationId": lambda rec, values: rec["OperationId"] in values,
    "TaskName": lambda rec, values: any(filters.fuzzy(v, rec["TaskName"]) for v in values),
}


def matcher(given: Optional[List[Filter]], table: dict):
    """One predicate over records from the request's Filters; an unknown Name is
    InvalidParameterValue."""
    tests = []
    for f in given or ():
        if f.Name not in table:
            raise invalid_value("Filters.Name", "must be one of " + ", ".join(table))
        tests.append((table[f.Name], f.Values))
    return lambda rec: all(test(rec, values) for test, values in tests)


@action("DescribeChangePwdTask", Input, region=REGION_IGNORED, resource_type="changepwdtask")
def handle(p: Input, ctx: RequestContext) -> dict:
    keep = matcher(p.Filters, MATCH)
    snap = Snapshot(ctx.account)
    snap.departments.check(p.DepartmentId)
    found = [rec for rec in filters.by_id(store.load_all(ctx.account, pwd_tasks.KIND))
             if keep(rec) and filters.in_department(rec, p.DepartmentId)]
    return {"TotalCount": len(found),
            "Tasks": [pwd_tasks.info(rec, snap) for rec in filters.page(found, p.Offset, p.Limit)]}
