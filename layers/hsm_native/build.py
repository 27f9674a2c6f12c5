"""Builds build/libguardzone-pkcs11.so with cffi's embedding API.

    python -m layers.hsm_native.build        (make hsm-lib)

- cdef (ffi.embedding_api): every layers/hsm_native/*.h, sorted by name, concatenated: the part between
  `/* cdecl-begin */` and `/* cdecl-end */` where a header has these markers (so it may keep include
  guards and extern "C" outside them), else the whole file. That part is plain C that both cffi and
  gcc read (typedefs, structs, prototypes, integer #defines).
- C source: the headers, whole, then every layers/hsm_native/*.c (C-only helpers), sorted.
- init code: puts this checkout and the build's site-packages on sys.path (GUARDZONE_HSM_PYTHONPATH,
  colon-separated, is put before them at run time), then layers.hsm_native.runtime.start(), which
  imports each module of layers/hsm_native/modules.py.

The library embeds the Python that builds it (libpython is linked with an rpath to it), so the host
needs that Python and this checkout; see docs/cloudhsm.md.
"""
import fcntl
import os
import shutil
import site
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT_DIR = ROOT / "build"
LIB_NAME = "libguardzone-pkcs11.so"
MODULE = "_guardzone_hsm"


def sources():
    return sorted(HERE.glob("*.h")), sorted(HERE.glob("*.c"))


def cdecl_part(text: str) -> str:
    begin, end = "/* cdecl-begin */", "/* cdecl-end */"
    if begin in text and end in text:
        return text.split(begin, 1)[1].split(end, 1)[0]
    return text


def _prepare_code(libpython: str, paths) -> str:
    """C run when the library is loaded: makes libpython's symbols global (hosts dlopen PKCS#11 modules
    with RTLD_LOCAL, and Python's own extension modules need them), and, when the host has no Python
    running yet, puts this checkout's paths first on PYTHONPATH for the interpreter's start (the init
    code restores the host's value)."""
    c = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"""
#include <dlfcn.h>
#include <stdlib.h>
#include <stdio.h>
__attribute__((constructor)) static void gz_embed_prepare(void)
{{
    static char buf[8192];
    const char *old = getenv("PYTHONPATH");
    dlopen({c(libpython)}, RTLD_NOW | RTLD_GLOBAL);
    if (Py_IsInitialized()) return;
    setenv("GUARDZONE_HSM_OLD_PYTHONPATH", old ? old : "", 1);
    snprintf(buf, sizeof buf, "%s%s%s", {c(":".join(paths))}, old && *old ? ":" : "", old ? old : "");
    setenv("PYTHONPATH", buf, 1);
}}
"""


def _init_code(paths) -> str:
    return f"""
import os, sys
if "GUARDZONE_HSM_OLD_PYTHONPATH" in os.environ:
    _old = os.environ.pop("GUARDZONE_HSM_OLD_PYTHONPATH")
    if _old:
        os.environ["PYTHONPATH"] = _old
    else:
        os.environ.pop("PYTHONPATH", None)
_paths = [p for p in os.environ.get("GUARDZONE_HSM_PYTHONPATH", "").split(":") if p] + {paths!r}
for _p in reversed(_paths):
    if _p not in sys.path:
        sys.path.insert(0, _p)
from layers.hsm_native import runtime
runtime.start()
"""


def build(out_dir: Path = OUT_DIR, verbose: bool = False) -> Path:
    import cffi
    headers, c_files = sources()
    decls = "\n".join(cdecl_part(h.read_text()) for h in headers)
    prelude = "\n".join(h.read_text() for h in headers) + "\n" + "\n".join(c.read_text() for c in c_files)
    ffi = cffi.FFI()
    ffi.embedding_api(decls)
    libdir = sysconfig.get_config_var("LIBDIR")
    paths = [str(ROOT)] + [p for p in site.getsitepackages() if os.path.isdir(p)]
    libpython = os.path.join(libdir, sysconfig.get_config_var("INSTSONAME") or sysconfig.get_config_var("LDLIBRARY"))
    prelude += _prepare_code(libpython, paths)
    ffi.set_source(MODULE, prelude, library_dirs=[libdir], extra_link_args=[f"-Wl,-rpath,{libdir}"])
    ffi.embedding_init_code(_init_code(paths))
    tmp = out_dir / "hsm_native"
    tmp.mkdir(parents=True, exist_ok=True)
    built = ffi.compile(tmpdir=str(tmp), target=LIB_NAME, verbose=verbose)
    dest = out_dir / LIB_NAME
    shutil.copy2(built, dest.with_suffix(".tmp"))
    os.replace(dest.with_suffix(".tmp"), dest)
    return dest


def _newest_source() -> float:
    files = list(HERE.glob("*.h")) + list(HERE.glob("*.c")) + [Path(__file__)]
    return max(f.stat().st_mtime for f in files)


def ensure_built(out_dir: Path = OUT_DIR) -> Path:
    """The library, rebuilt first if a header, C file or this script is newer than it (Python
    modules are read at run time, so changing them needs no rebuild)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / LIB_NAME
    with open(out_dir / ".hsm_native.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not dest.exists() or dest.stat().st_mtime < _newest_source():
            build(out_dir)
    return dest


if __name__ == "__main__":
    print(build(verbose="-v" in sys.argv))
