"""DescribeDasbImageIds: the images a bastion instance is deployed from. There is no image
catalogue here (a resource is a record, its gateway a shared service), so the answer is the one
fixed pair below, the same in every region (like every bastion action, Region is ignored)."""
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Params

BASE_IMAGE_ID = "img-bhsaas01"      # the bastion (SSH gateway) image
AI_IMAGE_ID = "img-bhsaai01"        # the image of the AI edition


class Input(Params):
    pass


@action("DescribeDasbImageIds", Input, region=REGION_IGNORED, resource_type="resource")
def handle(p: Input, ctx: RequestContext) -> dict:
    return {"BaseImageId": BASE_IMAGE_ID, "AiImageId": AI_IMAGE_ID}
