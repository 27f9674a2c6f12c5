"""The console's bastion sign-in (layers/bastion/console_signin.py):

    POST /console/signin/bastion   {"OwnerUin", "UserName", "Password", "Code"}
      -> 200 {"Credentials": {"TmpSecretId", "TmpSecretKey", "Token"}, "ExpiredTime", "Expiration",
              "OwnerUin", "UserName", "Scope": [...]}
      -> 400/401 {"Error": {"Code", "Message"}}

The administrator's sign-in needs no route: the browser calls sts GetFederationToken itself."""
import json

from chalice import Blueprint, Response

bp = Blueprint(__name__)
HEADERS = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
FIELDS = ("OwnerUin", "UserName", "Password", "Code")


def _error(status: int, code: str, message: str) -> Response:
    return Response(json.dumps({"Error": {"Code": code, "Message": message}}), status_code=status, headers=HEADERS)


@bp.route("/console/signin/bastion", methods=["POST"], content_types=["application/json"])
def bastion_sign_in():
    request = bp.current_request
    try:
        body = json.loads(request.raw_body or b"{}")
    except ValueError:
        return _error(400, "InvalidParameter", "The body must be a JSON object.")
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) and body.get(f) for f in FIELDS):
        return _error(400, "MissingParameter", "OwnerUin, UserName, Password and Code are required.")
    # imported here: the bastion's login code (pyotp, scrypt) stays out of the API's cold start
    from layers.bastion.console_signin import OPERATOR_POLICY, sign_in
    from layers.bastion.credentials import LoginRefused
    source_ip = (request.context.get("identity") or {}).get("sourceIp", "")
    try:
        done = sign_in(body["OwnerUin"], body["UserName"], body["Password"], body["Code"], source_ip)
    except LoginRefused as exc:
        return _error(401, f"AuthFailure.{exc.reason}", exc.message)
    return Response(json.dumps({**done.issued.response(), "OwnerUin": done.account, "UserName": done.user_name,
                                "Scope": list(OPERATOR_POLICY)}), status_code=200, headers=HEADERS)
