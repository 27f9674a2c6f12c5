"""White-box keys (CreateWhiteBoxKey ... OverwriteWhiteBoxDeviceFingerprints) are not offered: the white-box
key service is a separately purchased product whose keys are delivered into client-side white-box
libraries, which this service does not have. DescribeWhiteBoxServiceStatus answers ServiceEnabled false;
every other white-box action answers ResourceUnavailable.NotPurchased, the SDK's code for "白盒密钥服务尚未开通"
(the white-box key service is not enabled), after its parameters were validated."""
from typing import Optional

from layers.gateway.errors import ApiError
from layers.gateway.schema import Params, String


class DeviceFingerprint(Params):
    Identity: String
    Description: Optional[String] = None


def not_enabled(action: str) -> ApiError:
    return ApiError("ResourceUnavailable.NotPurchased",
                    f"{action}: the white-box key service is not enabled for this account "
                    "(DescribeWhiteBoxServiceStatus: ServiceEnabled false); white-box keys are not offered.")
