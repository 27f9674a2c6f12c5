"""GenerateRandom: 1 to 1024 bytes from the OS CSPRNG."""
from pydantic import Field

from layers.crypto import random_bytes
from layers.gateway.action import REGION_OPTIONAL, RequestContext, action
from layers.gateway.schema import Params
from layers.kms.params import b64encode


class Input(Params):
    NumberOfBytes: int = Field(ge=1, le=1024)   # plain int: the bounds apply


@action("GenerateRandom", Input, region=REGION_OPTIONAL, read_only=True)
def handle(p: Input, ctx: RequestContext) -> dict:
    return {"Plaintext": b64encode(random_bytes(p.NumberOfBytes))}
