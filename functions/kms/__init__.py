"""密钥管理系统 KMS: the data plane over CloudHSM VSMs' key domains (see layers/kms, layers/keystore)."""
SERVICE = "kms"
VERSIONS = ("2019-01-18",)
HOST = "kms.tencentcloudapi.com"
