"""DescribeVsmProperty: per VSM type id, its algorithms and performance figures."""
from pydantic import Field

from layers.cloudhsm import catalog
from layers.cloudhsm.api import HsmParams, hsm_action
from layers.gateway.action import RequestContext
from layers.gateway.errors import not_found
from layers.gateway.schema import Int64


class Input(HsmParams):
    VsmTypeIDList: list[Int64] = Field(min_length=1, max_length=100)


@hsm_action("DescribeVsmProperty", Input)
def handle(p: Input, ctx: RequestContext) -> dict:
    wanted = list(dict.fromkeys(p.VsmTypeIDList))
    types = []
    for type_id in wanted:
        found = catalog.vsm_type(type_id)
        if found is None:
            raise not_found("VSM type", type_id)
        types.append(found)
    return {"VsmProperties": [{"VsmTypeID": t.type_id, "AlgDescList": list(t.alg_desc_list),
                               "PropertyList": list(t.property_list)} for t in types]}
