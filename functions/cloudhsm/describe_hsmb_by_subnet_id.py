"""DescribeHSMBBySubnetId: the name the action's own page gives DescribeHSMBySubnetId; same action."""
from functions.cloudhsm.describe_hsm_by_subnet_id import Input, count
from layers.cloudhsm.api import hsm_action

handle = hsm_action("DescribeHSMBBySubnetId", Input)(count)
