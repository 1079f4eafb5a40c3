"""Build hook: compiles the optional C extension ``pympler_nb._speedups`` (``src/speedups/*.c``).

``pyproject.toml`` names this file as hatchling's custom build hook, next to the
hatch-jupyter-builder hook that builds the widgets' JavaScript, so every build
(``pip install .``, ``pip install -e .``, ``python -m build``, cibuildwheel) does both:

* a wheel gets the compiled module (and a platform tag); an editable install compiles it
  in place (``pympler_nb/_speedups.<EXT_SUFFIX>``, git-ignored);
* when the extension cannot be compiled (no C compiler, no Python headers: try
  ``CC=false pip install .``), the build prints ONE warning and goes on: the package
  then runs on its pure-Python path (``pympler_nb.core.ACCELERATED`` is False), which is
  complete, only slower. ``PYMPLER_NB_REQUIRE_SPEEDUPS=1`` makes that failure fatal (the
  wheel builders set it); ``PYMPLER_NB_NO_SPEEDUPS=1`` skips the compilation.

The compiler is the one Python was built with (``sysconfig``: ``CC``, ``CFLAGS``,
``LDSHARED``; ``CC``, ``CFLAGS`` and ``LDFLAGS`` from the environment are honoured, as
setuptools does); on Windows, setuptools' MSVC support. No other build dependency.

For development, build in place for the interpreter that runs it (one file per
Python version)::

    python hatch_build.py                # pympler_nb/_speedups.cpython-3XX-....so
    python hatch_build.py --asan         # with AddressSanitizer (see benchmarks/asan.sh)
"""

from __future__ import annotations

import os
import pathlib
import shlex
import subprocess
import sys
import sysconfig
import tempfile

try:  # hatchling is there in a build; `python hatch_build.py` runs without it
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # pragma: no cover - a development build in place
    BuildHookInterface = object

ROOT = pathlib.Path(__file__).resolve().parent
SOURCE_DIR = ROOT / "src" / "speedups"
MODULE = "_speedups"


class CompileError(RuntimeError):
    """The extension could not be compiled (the message says why)."""


def sources() -> list[pathlib.Path]:
    """The extension's C files: every ``src/speedups/*.c`` (module.c collects their
    method tables, declared in speedups.h)."""
    return sorted(SOURCE_DIR.glob("*.c"))


def ext_filename() -> str:
    return MODULE + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")


def _env_flags(name: str) -> list[str]:
    return shlex.split(os.environ.get(name, ""))


def _compile_posix(out: pathlib.Path, extra_cflags: list[str]) -> None:
    cfg = sysconfig.get_config_var
    cc = shlex.split(os.environ.get("CC") or cfg("CC") or "cc")
    ldshared = shlex.split(os.environ.get("LDSHARED") or cfg("LDSHARED") or "cc -shared")
    if os.environ.get("CC") and not os.environ.get("LDSHARED"):
        ldshared = cc + ldshared[1:]  # the linker is the compiler named by CC (as setuptools does)
    cflags = shlex.split(cfg("CFLAGS") or "") + shlex.split(cfg("CCSHARED") or "")
    cflags += ["-std=c11", "-Wno-missing-field-initializers", *extra_cflags, *_env_flags("CFLAGS")]
    include = ["-I" + sysconfig.get_paths()["include"], "-I" + str(SOURCE_DIR)]
    with tempfile.TemporaryDirectory() as tmp:
        objects = []
        for src in sources():
            obj = pathlib.Path(tmp) / (src.stem + ".o")
            _run([*cc, *cflags, *include, "-c", str(src), "-o", str(obj)])
            objects.append(str(obj))
        _run([*ldshared, *objects, *extra_cflags, *_env_flags("LDFLAGS"), "-o", str(out)])


def _run(cmd: list[str]) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as exc:
        raise CompileError(f"{cmd[0]}: {exc}") from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()[-2000:]
        raise CompileError(f"the C compiler `{cmd[0]}` failed (exit {proc.returncode})"
                           + (f":\n{detail}" if detail else ""))


def _compile_msvc(out: pathlib.Path, extra_cflags: list[str]) -> None:  # pragma: no cover - Windows
    try:
        from setuptools import Distribution, Extension
    except ImportError as exc:
        raise CompileError(f"setuptools is needed to compile with MSVC: {exc}") from None
    with tempfile.TemporaryDirectory() as tmp:
        ext = Extension(f"pympler_nb.{MODULE}", [str(s) for s in sources()],
                        include_dirs=[str(SOURCE_DIR)], extra_compile_args=extra_cflags)
        dist = Distribution({"name": "pympler_nb", "ext_modules": [ext]})
        cmd = dist.get_command_obj("build_ext")
        cmd.build_lib = tmp
        cmd.build_temp = os.path.join(tmp, "tmp")
        try:
            cmd.ensure_finalized()
            cmd.run()
        except Exception as exc:  # noqa: BLE001 - distutils' CompileError, LinkError, ...
            raise CompileError(str(exc)) from None
        built = next(pathlib.Path(tmp).rglob(MODULE + "*.pyd"))
        out.write_bytes(built.read_bytes())


def compile_extension(out_dir: pathlib.Path, asan: bool = False) -> pathlib.Path:
    """Compile the extension into ``out_dir``; its path. Raises :class:`CompileError`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / ext_filename()
    extra = ["-fsanitize=address", "-fno-omit-frame-pointer", "-O1", "-g"] if asan else []
    if os.name == "nt":
        _compile_msvc(out, extra)
    else:
        _compile_posix(out, extra)
    return out


WARNING = ("pympler_nb: WARNING: the C extension pympler_nb._speedups was not built ({why}); "
           "pympler_nb is installed on its pure-Python path (complete, slower; "
           "pympler_nb.core.ACCELERATED is False). Install a C compiler and the Python "
           "headers, then reinstall, for the accelerated path.")


def build_or_warn(out_dir: pathlib.Path) -> pathlib.Path | None:
    """:func:`compile_extension`, or None after ONE warning (fatal with
    ``PYMPLER_NB_REQUIRE_SPEEDUPS=1``)."""
    if os.environ.get("PYMPLER_NB_NO_SPEEDUPS") == "1":
        return None
    try:
        return compile_extension(out_dir)
    except CompileError as exc:
        if os.environ.get("PYMPLER_NB_REQUIRE_SPEEDUPS") == "1":
            raise
        first = str(exc).splitlines()[0]
        print(WARNING.format(why=first), file=sys.stderr)
        return None


class SpeedupsBuildHook(BuildHookInterface):
    """hatchling's custom build hook (``[tool.hatch.build.targets.wheel.hooks.custom]``)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        if version == "editable":  # the editable install imports from the source tree
            for old in (ROOT / "pympler_nb").glob(MODULE + ".*"):
                if old.suffix in (".so", ".pyd") and old.name == ext_filename():
                    old.unlink()
            built = build_or_warn(ROOT / "pympler_nb")
        else:
            self._tmp = tempfile.TemporaryDirectory()
            built = build_or_warn(pathlib.Path(self._tmp.name))
            if built is not None:
                build_data["force_include"][str(built)] = f"pympler_nb/{built.name}"
        if built is not None:
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Build pympler_nb._speedups in place.")
    parser.add_argument("--asan", action="store_true", help="with AddressSanitizer")
    args = parser.parse_args()
    try:
        path = compile_extension(ROOT / "pympler_nb", asan=args.asan)
    except CompileError as exc:
        sys.exit(f"pympler_nb: {exc}")
    print(path.relative_to(ROOT))
