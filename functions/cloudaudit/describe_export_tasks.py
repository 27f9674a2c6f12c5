"""DescribeExportTasks: the caller's export tasks, newest first, as the seed's `ExportList`, each with
DownloadUrl besides (a finished export's presigned download link, "" until then: layers/audit/export_link.py)."""
from typing import Optional

from pydantic import Field

from layers.audit import export_link, exports
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
        return {"TotalCount": 1, "ExportList": [_item(task)]}
    total, tasks = exports.list_tasks(ctx.account, p.Offset, p.Limit)
    return {"TotalCount": total, "ExportList": [_item(t) for t in tasks]}


def _item(task: dict) -> dict:
    return {**exports.export_list_item(task), "DownloadUrl": export_link.download_url(task)}
