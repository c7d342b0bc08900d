"""A seccomp filter for the notebook's processes: system calls whose effects outlive the process
or reach past its namespaces fail with EPERM.

- kernel keyrings (add_key, request_key, keyctl): keys are kept per user id, not per process, so
  a notebook could leave data for the next notebook run under the same uid, or read the keys of
  the session it was started from;
- mounts and namespaces (mount, umount2, pivot_root, unshare, setns, the new mount API, clone
  with a CLONE_NEW* flag): the child's file system and namespaces are final once it is set up;
- kernel extension points a notebook never needs (bpf, perf_event_open, userfaultfd, io_uring,
  modules, kexec, ptrace and process_vm_*), the usual way into kernel bugs.

The program is compiled once in the worker with libseccomp (which knows every architecture's
numbers and refuses foreign ABIs such as x32 or i386 calls on x86-64), exported as raw BPF, and
loaded in each child with one prctl: the child needs no library of its own. Where libseccomp is
missing the filter is absent and `grader doctor` says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from typing import Any

DENIED = ("add_key", "request_key", "keyctl",
          "mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns",
          "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
          "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
          "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
          "ptrace", "process_vm_readv", "process_vm_writev", "swapon", "swapoff", "reboot", "acct", "quotactl")
# clone3 passes its flags in memory a filter cannot read: it answers ENOSYS, so the C library
# falls back to clone, whose flags are checked.
NOT_THERE = ("clone3",)
CLONE_NEW_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_MASKED_EQ = 7
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _library() -> Any:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(_ArgCmp)]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def program() -> bytes | None:
    """The filter as raw BPF for this machine, or None where libseccomp is not installed."""
    lib = _library()
    if lib is None:
        return None
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        return None
    try:
        for names, action in ((DENIED, _errno_action(errno.EPERM)), (NOT_THERE, _errno_action(errno.ENOSYS))):
            for name in names:
                number = lib.seccomp_syscall_resolve_name(name.encode())
                if number < 0:
                    continue  # not a system call of this architecture
                if lib.seccomp_rule_add_array(ctx, action, number, 0, None) != 0:
                    return None
        clone = lib.seccomp_syscall_resolve_name(b"clone")
        for flag in CLONE_NEW_FLAGS if clone >= 0 else ():
            cmp = (_ArgCmp * 1)(_ArgCmp(0, SCMP_CMP_MASKED_EQ, flag, flag))
            if lib.seccomp_rule_add_array(ctx, _errno_action(errno.EPERM), clone, 1, cmp) != 0:
                return None
        fd = os.memfd_create("seccomp", os.MFD_CLOEXEC)
        try:
            if lib.seccomp_export_bpf(ctx, fd) != 0:
                return None
            os.lseek(fd, 0, os.SEEK_SET)
            data = b""
            while chunk := os.read(fd, 1 << 16):
                data += chunk
        finally:
            os.close(fd)
    finally:
        lib.seccomp_release(ctx)
    return data if data and len(data) % 8 == 0 else None


def load(bpf: bytes) -> None:
    """Install the filter in this process (after PR_SET_NO_NEW_PRIVS); inherited by its children."""
    buffer = ctypes.create_string_buffer(bpf, len(bpf))
    prog = _Fprog(len(bpf) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)  # the C library already in the process
    if libc.prctl(ctypes.c_int(PR_SET_SECCOMP), ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(prog),
                  ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {os.strerror(err)}")
