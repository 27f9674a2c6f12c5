"""Shared by the deploy-template tests: the checkout and the stack parameters a deployment would pass."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARAMETERS = {"GatewayImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/guardzone-gateway:1",
              "VpcId": "vpc-0123456789abcdef0", "SubnetIds": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]}
