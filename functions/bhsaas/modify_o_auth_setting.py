"""ModifyOAuthSetting: the account's OAuth 2.0 provider for bastion users' sign-in (AuthType 2).

Fields left out keep their stored values; with Enable true the setting must name ClientId,
ClientSecret, CodeUrl, TokenUrl and UserInfoUrl (MissingParameter otherwise). The client secret is
sealed by the key store and never answered or logged (layers/bastion/oauth_setting.py)."""
from typing import List, Optional

from layers.bastion import oauth_setting
from layers.gateway.action import REGION_IGNORED, RequestContext, action
from layers.gateway.schema import Bool, Params, String


class Input(Params):
    Enable: Bool
    AuthMethod: Optional[String] = None
    ClientId: Optional[String] = None
    ClientSecret: Optional[String] = None
    CodeUrl: Optional[String] = None
    TokenUrl: Optional[String] = None
    UserInfoUrl: Optional[String] = None
    Scopes: Optional[List[String]] = None


@action("ModifyOAuthSetting", Input, region=REGION_IGNORED, resource_type="oauthsetting",
        secret_params=("ClientSecret",))
def handle(p: Input, ctx: RequestContext) -> dict:
    oauth_setting.modify(ctx.account, Enable=p.Enable, AuthMethod=p.AuthMethod, ClientId=p.ClientId,
                         ClientSecret=p.ClientSecret, CodeUrl=p.CodeUrl, TokenUrl=p.TokenUrl,
                         UserInfoUrl=p.UserInfoUrl, Scopes=p.Scopes)
    ctx.touched("oauth", resource_type="oauthsetting")
    return {}
