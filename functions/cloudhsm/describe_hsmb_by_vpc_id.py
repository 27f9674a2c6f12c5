"""DescribeHSMBByVpcId: the name the action's own page gives DescribeHSMByVpcId; same action."""
from functions.cloudhsm.describe_hsm_by_vpc_id import Input, count
from layers.gateway.action import action

handle = action("DescribeHSMBByVpcId", Input)(count)
