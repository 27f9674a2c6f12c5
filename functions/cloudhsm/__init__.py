"""云加密机 CloudHSM."""
SERVICE = "cloudhsm"
VERSIONS = ("2019-11-12",)
HOST = "cloudhsm.tencentcloudapi.com"
