"""The local stack's data folder (GZ_DATA_DIR, by default .guardzone/ in the current directory):
what a restart keeps.

    moto/       moto's state, a file per service (infra/moto_state.py)
    spool/      the audit spool: events written before a crash are shipped after the restart
    search/     the search store's own folder
    demo.json   the demo account: OwnerUin, AppId, Uin, SecretId (its SecretKey stays in the
                identity table)
    demo-bastion.json   the demo bastion user's password and TOTP secret, and its device
    demo-host-key       the demo target host's SSH host key (the gateway pins it)
    recordings/         bastion recordings not yet in S3 (layers/bastion/recording.py)

GZ_FRESH=1 (or `--fresh`) empties it first.
"""
import json
import os
import shutil
from pathlib import Path
from typing import Optional

from infra import folder_lock

DEFAULT = ".guardzone"
_DEMO_FIELDS = ("OwnerUin", "AppId", "Name", "Uin", "SecretId")


def fresh_requested() -> bool:
    return os.environ.get("GZ_FRESH", "").strip().lower() in ("1", "true", "yes", "on")


class DataDir:
    def __init__(self, root: Optional[str] = None) -> None:
        self.root = Path(root or os.environ.get("GZ_DATA_DIR") or DEFAULT).resolve()
        self.moto = self.root / "moto"
        self.spool = self.root / "spool"
        self.search = self.root / "search"
        self.demo_file = self.root / "demo.json"
        self.bastion_file = self.root / "demo-bastion.json"
        self.host_key_file = self.root / "demo-host-key"
        self.recordings = self.root / "recordings"

    def prepare(self, fresh: bool = False) -> "DataDir":
        """Make the folder; with fresh, empty it first (FolderBusy if a running stack keeps it)."""
        if fresh:
            if folder_lock.busy(str(self.moto)):
                raise folder_lock.FolderBusy(f"{self.root} is in use by a running stack; stop it first")
            for folder in (self.moto, self.spool, self.search, self.recordings):
                shutil.rmtree(folder, ignore_errors=True)
            for file in (self.demo_file, self.bastion_file, self.host_key_file):
                file.unlink(missing_ok=True)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self

    def demo(self) -> Optional[dict]:
        try:
            return json.loads(self.demo_file.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def demo_bastion(self) -> Optional[dict]:
        try:
            return json.loads(self.bastion_file.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def keep_demo_bastion(self, kept: dict) -> None:
        tmp = self.bastion_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(kept), "utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.bastion_file)

    def keep_demo(self, demo: dict) -> None:
        """Which account and key the demo is; never the SecretKey."""
        tmp = self.demo_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: demo[k] for k in _DEMO_FIELDS if k in demo}), "utf-8")
        os.replace(tmp, self.demo_file)
