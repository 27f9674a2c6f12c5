"""DescribeDeviceGroups: the account's device groups with their member counts; IdSet overrides
the other filters, Name is fuzzy."""
from typing import Annotated, Optional

from pydantic import Field

from layers.bastion import fields, groups
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    IdSet: Optional[fields.IdSet] = None
    Name: Optional[fields.SearchName] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20
    DepartmentId: Optional[String] = None


@action("DescribeDeviceGroups", Input, region=REGION_IGNORED, resource_type="devicegroup")
def handle(p: Input, ctx: RequestContext) -> dict:
    return groups.describe(ctx.account, groups.DEVICE_GROUPS, id_set=p.IdSet, name=p.Name,
                           department_id=p.DepartmentId, offset=p.Offset, limit=p.Limit)
