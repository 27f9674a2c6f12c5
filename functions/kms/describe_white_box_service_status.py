"""DescribeWhiteBoxServiceStatus: the white-box key service is not enabled (ServiceEnabled false), so
every other white-box action is refused (layers/kms/whitebox.py)."""
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import NoParams

@action("DescribeWhiteBoxServiceStatus", NoParams, region=REGION_OPTIONAL)
def handle(p: NoParams, ctx: RequestContext) -> dict:
    return {"ServiceEnabled": False}
