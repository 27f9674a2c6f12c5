"""DescribeHSMBByVpcId: the name the action's own page gives DescribeHSMByVpcId; same action."""
from functions.cloudhsm.describe_hsm_by_vpc_id import Input, count
from layers.cloudhsm.api import hsm_action

handle = hsm_action("DescribeHSMBByVpcId", Input)(count)
