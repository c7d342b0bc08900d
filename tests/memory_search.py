"""Searching a sandboxed child's whole memory for a secret, from inside it, as an attacker would.

`SEARCH` is notebook code defining `look(pattern)`: every place a regular expression is found up
the stack of frames, among the garbage collector's objects, in every writable page of the
address space (read with ctypes, past any audit hook) and in /proc. `pattern(secret)` builds an
expression whose own text does not contain the secret, so the search never finds itself.
"""

from __future__ import annotations

import re
import textwrap

SEARCH = textwrap.dedent(r'''
    import ctypes, gc, os, re, sys

    def look(pattern):
        needle = re.compile(pattern.encode())
        found = []
        frame = sys._getframe()
        while frame is not None:
            for value in list(frame.f_locals.values()):
                if needle.search(repr(value)[:2_000_000].encode("utf-8", "replace")):
                    found.append("frame " + frame.f_code.co_name)
            frame = frame.f_back
        for obj in gc.get_objects():
            if isinstance(obj, (str, bytes)) and needle.search(obj if isinstance(obj, bytes) else obj.encode("utf-8", "replace")):
                found.append("gc " + type(obj).__name__)
        try:
            maps = open("/proc/self/maps").read().splitlines()
        except OSError:
            maps = []
        for line in maps:
            fields = line.split()
            # What a process learns at run time lives in writable pages (heap, stack, data,
            # anonymous maps); read-only maps are the contents of library files.
            if len(fields) < 2 or not fields[1].startswith("rw") or line.endswith(("[vvar]", "[vsyscall]", "[vvar_vclock]")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            for at in range(start, end, 1 << 22):
                size = min(1 << 22, end - at)
                try:
                    chunk = ctypes.string_at(at, size)
                except Exception:
                    break
                if needle.search(chunk):
                    found.append("memory " + (fields[5] if len(fields) > 5 else "anonymous"))
        for name in ("environ", "cmdline"):
            for pid in ["self", "1"] + [p for p in os.listdir("/proc") if p.isdigit()]:
                try:
                    data = open(f"/proc/{pid}/{name}", "rb").read()
                except OSError:
                    continue
                if needle.search(data):
                    found.append(f"/proc/{pid}/{name}")
        return sorted(set(found))
''')


def _pattern(secret: str) -> str:
    """A regular expression matching `secret` whose own text does not contain it."""
    return "".join(f"[{c}]" if c.isalnum() else re.escape(c) for c in secret)




def pattern(secret: str) -> str:
    """A regular expression matching `secret` whose own text does not contain it."""
    return "".join(f"[{c}]" if c.isalnum() else re.escape(c) for c in secret)
