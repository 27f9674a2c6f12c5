"""GetAttributeKey (2019-03-19): the lookup keys DescribeEvents takes, labelled for the console in
the WebsiteType's language (layers/audit/attribute_keys.py)."""
from typing import Optional

from layers.audit import attribute_keys
from layers.gateway.action import REGION_REQUIRED, RequestContext, action
from layers.gateway.errors import invalid_value
from layers.gateway.schema import Params, String


class Input(Params):
    WebsiteType: Optional[String] = None     # zh (default) or en


@action("GetAttributeKey", Input, region=REGION_REQUIRED, versions=("2019-03-19",))
def handle(p: Input, ctx: RequestContext) -> dict:
    website = p.WebsiteType or "zh"
    if website not in attribute_keys.WEBSITE_TYPES:
        raise invalid_value("WebsiteType", "must be zh or en")
    return {"AttributeKeyDetails": attribute_keys.details(website)}
