"""The web console's files: GET /console/ and everything under functions/web/console/ (plain
HTML, ES modules and CSS; third-party code under vendor/, written by `make console-vendor`).

The console is an API client like any other: pages sign their calls to `/` in the browser
(TC3-HMAC-SHA256 with a temporary key and its token) and nothing here reads a credential."""
import functools
import mimetypes
from pathlib import Path

from chalice import Blueprint, Response

bp = Blueprint(__name__)
ROOT = (Path(__file__).parent / "console").resolve()
BINARY_TYPES = ("image/png", "font/woff2")   # app.py adds them to the API's
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".json": "application/json; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
         ".map": "application/json; charset=utf-8", ".txt": "text/plain; charset=utf-8",
         ".woff2": "font/woff2"}
# Scripts and styles from this origin only ('wasm-unsafe-eval': asciinema-player compiles WebAssembly);
# API calls and the terminal's WebSocket to this origin (the terminal's gateway may live on another
# port: ws: and wss: are allowed), and the replay page's recording from the presigned links' origin.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self' ws: wss: {recordings}; worker-src 'self' blob:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@functools.lru_cache(maxsize=1)
def _headers() -> dict:
    from layers.bastion import recording_link
    return {"Content-Security-Policy": CSP.format(recordings=recording_link.origin()),
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


def _not_found() -> Response:
    return Response("Not found\n", status_code=404, headers={**_headers(), "Content-Type": "text/plain; charset=utf-8"})


def serve(relative: str) -> Response:
    parts = [p for p in relative.split("/") if p]
    if any(p.startswith(".") for p in parts):
        return _not_found()
    path = (ROOT.joinpath(*parts) if parts else ROOT / "index.html").resolve()
    if path.is_dir():
        path = path / "index.html"
    if ROOT not in path.parents or not path.is_file():
        return _not_found()
    ctype = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    cache = "no-cache" if path.suffix in (".html", ".js", ".css", ".json") else "max-age=3600"
    body = path.read_bytes()
    if ctype.startswith(("text/", "application/json", "image/svg")):
        body = body.decode("utf-8")       # bytes go out base64, only for the app's binary types
    return Response(body, status_code=200,
                    headers={**_headers(), "Content-Type": ctype, "Cache-Control": cache})


@bp.route("/console", methods=["GET"])
def console_index():
    # Chalice routes /console and /console/ here alike; the page's relative URLs need the slash.
    path = (bp.current_request.context or {}).get("path") or "/console"
    if not path.endswith("/"):
        return Response("", status_code=301, headers={**_headers(), "Location": path.rsplit("/", 1)[-1] + "/"})
    return serve("")


# Chalice has no greedy path parameter: one route per depth (console/js/pages/x.js is depth 3).
@bp.route("/console/{a}", methods=["GET"])
def console_1(a):
    return serve(a)


@bp.route("/console/{a}/{b}", methods=["GET"])
def console_2(a, b):
    return serve(f"{a}/{b}")


@bp.route("/console/{a}/{b}/{c}", methods=["GET"])
def console_3(a, b, c):
    return serve(f"{a}/{b}/{c}")


@bp.route("/console/{a}/{b}/{c}/{d}", methods=["GET"])
def console_4(a, b, c, d):
    return serve(f"{a}/{b}/{c}/{d}")
