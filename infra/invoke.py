"""Invoke one of the app's functions with a sample event, as Lambda would.

    python -m infra.invoke api events/api_describe_regions_unsigned.json
    python -m infra.invoke audit_outbox events/schedule_audit_outbox.json

`api` is the HTTP handler (an API Gateway REST proxy event); any other name is an event handler
of app.py (a queue consumer or a schedule). Set GZ_AWS_ENDPOINT (and GZ_OPENSEARCH_URL) to the
local stack's addresses first.
"""
import argparse
import json
import sys

from infra.pump import LambdaContext


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("function", help="`api` or the name of an event handler")
    parser.add_argument("event", help="path of a JSON event (see events/)")
    args = parser.parse_args(argv)
    import app as app_module
    app = app_module.app
    with open(args.event, encoding="utf-8") as f:
        event = json.load(f)
    if args.function == "api":
        result = app(event, LambdaContext("APIHandler"))
    elif args.function in app.handler_map:
        result = app.handler_map[args.function](event, LambdaContext(args.function))
    else:
        names = ", ".join(sorted(n for n in app.handler_map if n != "api"))
        print(f"no function {args.function!r}; event handlers: {names}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
