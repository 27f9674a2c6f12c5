"""Tencent Cloud region names and the AWS regions that back them.

The only place where the mapping lives: moto (and AWS) reject Tencent names such as
ap-guangzhou, so every boto3 client is built for the mapped region.
"""
from typing import Optional

# Tencent region -> (display name, AWS region used for its resources)
REGIONS = {
    "ap-guangzhou": ("华南地区(广州)", "us-east-1"),
    "ap-shanghai": ("华东地区(上海)", "us-east-2"),
    "ap-shanghai-fsi": ("华东地区(上海金融)", "us-west-1"),
    "ap-shenzhen-fsi": ("华南地区(深圳金融)", "us-west-2"),
    "ap-beijing": ("华北地区(北京)", "eu-west-1"),
    "ap-beijing-fsi": ("华北地区(北京金融)", "eu-west-2"),
    "ap-chengdu": ("西南地区(成都)", "eu-central-1"),
    "ap-chongqing": ("西南地区(重庆)", "eu-north-1"),
    "ap-nanjing": ("华东地区(南京)", "ap-northeast-1"),
    "ap-hongkong": ("港澳台地区(中国香港)", "ap-east-1"),
    "ap-singapore": ("亚太东南(新加坡)", "ap-southeast-1"),
    "shjr": ("华东地区(上海金融)", "us-west-1"),
}

DEFAULT_REGION = "ap-guangzhou"

# English display names (the international site's), by the same keys.
ENGLISH_NAMES = {
    "ap-guangzhou": "South China(Guangzhou)",
    "ap-shanghai": "East China(Shanghai)",
    "ap-shanghai-fsi": "East China(Shanghai Finance)",
    "ap-shenzhen-fsi": "South China(Shenzhen Finance)",
    "ap-beijing": "North China(Beijing)",
    "ap-beijing-fsi": "North China(Beijing Finance)",
    "ap-chengdu": "Southwest China(Chengdu)",
    "ap-chongqing": "Southwest China(Chongqing)",
    "ap-nanjing": "East China(Nanjing)",
    "ap-hongkong": "Hong Kong, Macau and Taiwan (China)(Hong Kong, China)",
    "ap-singapore": "Southeast Asia(Singapore)",
    "shjr": "East China(Shanghai Finance)",
}


def is_known(region: str) -> bool:
    return region in REGIONS


def aws_region(region: Optional[str]) -> str:
    """The AWS region that holds a Tencent region's resources (unknown names -> default)."""
    return REGIONS.get(region or DEFAULT_REGION, REGIONS[DEFAULT_REGION])[1]


def display_name(region: str, language: str = "zh") -> str:
    """The region's name in Chinese, or in English when language is "en"."""
    if language == "en":
        return ENGLISH_NAMES[region]
    return REGIONS[region][0]
