"""Third-party browser code for the console, from the npm registry (`make console-vendor`).

npm installs infra/console/package.json (pinned, with its package-lock.json) into
build/console-npm; the files the console loads are copied with their licences into
functions/web/console/vendor/<name>/ (gitignored), then vendor/.installed is written. Without npm
it says so and exits 0: the console works without them (the terminal and replay pages say the
player is missing) and the browser tests that need them skip.

    python3 infra/console_vendor.py
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "infra" / "console"
WORK = ROOT / "build" / "console-npm"
VENDOR = ROOT / "functions" / "web" / "console" / "vendor"

# vendor folder -> [(file in node_modules, name in the folder)]; licences beside the code.
FILES = {
    "xterm": [("@xterm/xterm/lib/xterm.js", "xterm.js"), ("@xterm/xterm/css/xterm.css", "xterm.css"),
              ("@xterm/xterm/LICENSE", "LICENSE"),
              ("@xterm/addon-fit/lib/addon-fit.js", "addon-fit.js"), ("@xterm/addon-fit/LICENSE", "LICENSE.addon-fit")],
    "asciinema-player": [("asciinema-player/dist/bundle/asciinema-player.min.js", "asciinema-player.min.js"),
                         ("asciinema-player/dist/bundle/asciinema-player.css", "asciinema-player.css"),
                         ("asciinema-player/LICENSE", "LICENSE"),
                         # bundled into the player
                         ("solid-js/LICENSE", "LICENSE.solid-js"), ("@babel/runtime/LICENSE", "LICENSE.babel-runtime")],
}


def main() -> int:
    npm = shutil.which("npm")
    if not npm:
        print("console-vendor: npm not found, so xterm.js and asciinema-player are not installed "
              "(apt-get install npm, then make console-vendor)", file=sys.stderr)
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(SPEC / name, WORK / name)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], cwd=WORK)
    if done.returncode != 0:
        print("console-vendor: npm ci failed; the console's vendor files are not installed", file=sys.stderr)
        return 0
    modules = WORK / "node_modules"
    versions = {}
    for folder, files in FILES.items():
        dest = VENDOR / folder
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for src, name in files:
            shutil.copyfile(modules / src, dest / name)
    for pkg in ("@xterm/xterm", "@xterm/addon-fit", "asciinema-player"):
        versions[pkg] = json.loads((modules / pkg / "package.json").read_text())["version"]
    (VENDOR / "versions.json").write_text(json.dumps(versions, indent=2) + "\n")
    (VENDOR / ".installed").write_text("")
    print(f"console-vendor: {', '.join(f'{k} {v}' for k, v in versions.items())} in {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
