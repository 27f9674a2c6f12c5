"""A day's index on disk: its metadata, and the checksums that tell a damaged one.

tantivy ends every segment file with a footer (its crc32, a length and a magic number) but does
not check it when it opens an index, so a flipped bit would be served as data: each file is
checked here once per process, before its segment is first read.
"""
import json
import os
import struct
import zlib
from typing import Dict, List, Set

COMPONENTS = (".idx", ".pos", ".term", ".fast", ".fieldnorm", ".store")
FOOTER_MAGIC = 1337
CHUNK = 1 << 22


class Damaged(Exception):
    """A file of the index is missing, truncated or does not match its checksum."""


def read_meta(path: str) -> dict:
    try:
        with open(os.path.join(path, "meta.json"), "rb") as f:
            return json.load(f)
    except FileNotFoundError:
        raise Damaged("meta.json is missing") from None
    except ValueError as e:
        raise Damaged(f"meta.json is unreadable: {e}") from None


def segment_files(meta: dict) -> List[str]:
    names = []
    for segment in meta.get("segments", []):
        stem = segment["segment_id"].replace("-", "")
        names.extend(stem + ext for ext in COMPONENTS)
        if segment.get("deletes"):
            names.append(f"{stem}.{segment['deletes']['opstamp']}.del")
    return names


def field_specs(meta: dict) -> Dict[str, str]:
    """Each field's type, and for a text field its tokenizer: "text:raw", "i64", "bytes"."""
    specs = {}
    for entry in meta.get("schema", []):
        tokenizer = entry.get("options", {}).get("indexing", {}) or {}
        specs[entry["name"]] = f"text:{tokenizer.get('tokenizer')}" if entry["type"] == "text" else entry["type"]
    return specs


def check_file(path: str) -> None:
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 8:
                raise Damaged(f"{os.path.basename(path)} is truncated")
            f.seek(size - 8)
            length, magic = struct.unpack("<II", f.read(8))
            if magic != FOOTER_MAGIC or length + 8 > size:
                raise Damaged(f"{os.path.basename(path)} has no valid footer")
            f.seek(size - 8 - length)
            footer = json.loads(f.read(length))
            f.seek(0)
            crc, left = 0, size - 8 - length
            while left:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    raise Damaged(f"{os.path.basename(path)} is truncated")
                crc, left = zlib.crc32(chunk, crc), left - len(chunk)
    except FileNotFoundError:
        raise Damaged(f"{os.path.basename(path)} is missing") from None
    except ValueError:
        raise Damaged(f"{os.path.basename(path)} has an unreadable footer") from None
    if footer.get("crc") != crc:
        raise Damaged(f"{os.path.basename(path)} does not match its checksum")


def check_index(path: str, checked: Set[tuple]) -> dict:
    """The index's metadata once every file it names is sound; `checked` remembers the files
    already checked (by name, size and mtime) so that each is read once. A file missing because
    a writer merged its segment away meanwhile is told from a lost one by reading meta.json again."""
    for attempt in range(3):
        meta = read_meta(path)
        try:
            for name in segment_files(meta):
                full = os.path.join(path, name)
                st = os.stat(full)
                key = (full, st.st_size, st.st_mtime_ns)
                if key not in checked:
                    check_file(full)
                    checked.add(key)
            return meta
        except (FileNotFoundError, Damaged) as e:
            if read_meta(path) == meta:
                raise e if isinstance(e, Damaged) else Damaged(f"{os.path.basename(e.filename)} is missing")
    raise Damaged("meta.json keeps changing")
