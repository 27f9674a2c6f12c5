"""DescribeCmdTemplates: the account's high-risk command templates; IdSet overrides the other
filters, Name is fuzzy."""
from typing import Annotated, Optional

from pydantic import Field

from layers.bastion import fields, filters, views
from layers.bastion.snapshot import Snapshot
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params, Uint64


class Input(Params):
    IdSet: Optional[fields.IdSet] = None
    Name: Optional[fields.SearchName] = None
    Type: Optional[fields.choice(1, 2)] = None
    Offset: Uint64 = 0
    Limit: Annotated[int, Field(ge=0, le=500)] = 20


@action("DescribeCmdTemplates", Input, region=REGION_IGNORED, resource_type="cmdtemplate")
def handle(p: Input, ctx: RequestContext) -> dict:
    templates = filters.by_id(Snapshot(ctx.account).templates)
    if p.IdSet:
        wanted = set(p.IdSet)
        templates = [t for t in templates if t["Id"] in wanted]
    else:
        templates = [t for t in templates if filters.fuzzy(p.Name, t["Name"])
                     and (p.Type is None or t.get("Type", 2) == p.Type)]
    return {"TotalCount": len(templates),
            "CmdTemplateSet": [views.cmd_template(t) for t in filters.page(templates, p.Offset, p.Limit)]}
