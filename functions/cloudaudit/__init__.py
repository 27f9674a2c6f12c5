"""云审计 CloudAudit."""
SERVICE = "cloudaudit"
VERSIONS = ("2019-03-04", "2019-03-19")
HOST = "cloudaudit.tencentcloudapi.com"
