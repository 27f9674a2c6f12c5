"""堡垒机 Bastion Host. The official SDK and tccli call the same API `dasb`."""
SERVICE = "bhsaas"
VERSIONS = ("2019-10-18",)
ALIASES = ("dasb",)
HOST = "dasb.tencentcloudapi.com"
