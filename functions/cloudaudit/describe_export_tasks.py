"""DescribeExportTasks: the caller's export tasks, newest first, as the seed's `ExportList`."""
from typing import Optional

from pydantic import Field

from layers.audit import exports
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.errors import not_found
from layers.gateway.schema import Params, String, Uint64


class Input(Params):
    Id: Optional[String] = None
    Offset: Uint64 = 0
    Limit: Uint64 = Field(20, ge=1, le=100)


@action("DescribeExportTasks", Input, region=REGION_IGNORED, versions=("2019-03-04",))
def handle(p: Input, ctx: RequestContext) -> dict:
    if p.Id:
        task = exports.get_task(ctx.account, p.Id)
        if task is None:
            raise not_found("Export task", p.Id)
        return {"TotalCount": 1, "ExportList": [exports.export_list_item(task)]}
    total, tasks = exports.list_tasks(ctx.account, p.Offset, p.Limit)
    return {"TotalCount": total, "ExportList": [exports.export_list_item(t) for t in tasks]}
