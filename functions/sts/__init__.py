"""安全凭证服务 STS: temporary keys (the console signs in with them)."""
SERVICE = "sts"
VERSIONS = ("2018-08-13",)
HOST = "sts.tencentcloudapi.com"
