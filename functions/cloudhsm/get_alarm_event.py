"""GetAlarmEvent: the caller's alarm policies (AlarmPolicy), one per event set with
ModifyAlarmEvent, in the order CPU, MEM, TCP; [] before any is set."""
from layers.cloudhsm import monitor
from layers.cloudhsm.api import HsmNoParams, hsm_action
from layers.gateway.action import RequestContext


@hsm_action("GetAlarmEvent", HsmNoParams)
def handle(p: HsmNoParams, ctx: RequestContext) -> dict:
    return {"AlarmConfig": monitor.policies(ctx.account)}
