"""Parameter structures shared by the CloudAudit actions."""
from pydantic import Field

from layers.gateway.schema import Params, String


class Attr(Params):
    """LookupAttributes item (2019-03-04 `Attr`; 2019-03-19 `LookupAttribute`)."""
    AttributeKey: String = Field(max_length=64)
    AttributeValue: String = Field(max_length=1024)
