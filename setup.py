"""Builds the pattern matcher's modules as C extensions with mypyc, and the SNS signer, when it can.

Everything else about the package is in ``pyproject.toml``. The modules listed in ``COMPILED`` are
ordinary, fully typed Python; mypyc turns them into C (about 1.5x faster matching). ``SIGNER`` is a
small C module that signs SNS notifications on threads of its own, off the GIL (it needs OpenSSL's
headers and libcrypto). Where that cannot happen (no C compiler or headers, ``EVENTYARD_PURE_PYTHON=1``,
an unsupported interpreter), the same modules run as plain Python and the event loop signs: a
failed compilation is reported and skipped, never fatal.
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

COMPILED = [
    f"src/eventyard/bus/patterns/{name}.py"
    for name in ("exclusions", "index", "interest", "machine", "reader", "segments", "values")
]

SIGNER = Extension(
    "eventyard.topics._signer", ["src/eventyard/topics/_signer.c"], libraries=["crypto"], extra_compile_args=["-O2"]
)


class OptionalBuildExt(build_ext):
    """``build_ext`` that falls back to pure Python instead of failing the install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # any compiler failure means: stay pure Python
            self._skip(error)

    def build_extension(self, ext) -> None:  # type: ignore[no-untyped-def]
        try:
            super().build_extension(ext)
        except Exception as error:
            self._skip(error)

    @staticmethod
    def _skip(error: Exception) -> None:
        print(f"eventyard: compiling a C extension failed ({error}); it runs as pure Python", file=sys.stderr)


def extensions() -> list:
    if os.environ.get("EVENTYARD_PURE_PYTHON") == "1" or sys.implementation.name != "cpython":
        return []
    try:
        from mypyc.build import mypycify

        return [*mypycify(COMPILED, opt_level="3", debug_level="0", group_name="eventyard_native"), SIGNER]
    except Exception as error:  # mypyc missing or refusing: stay pure Python
        OptionalBuildExt._skip(error)
        return [SIGNER]


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
