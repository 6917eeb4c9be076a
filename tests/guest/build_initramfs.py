#!/usr/bin/env python3
"""Build the test guest's initramfs: a static busybox, the guest init
script (tests/guest/init) and the kernel modules a virtio-net NIC needs,
taken from /lib/modules/KVER with their dependencies (modules.dep), listed
in load order in /etc/modules.order for the init to insmod.

The cpio (newc) archive is written here rather than with cpio(1), so that
/dev/console can be in it without mknod (the kernel opens it for init's
stdio before anything is mounted).

    build_initramfs.py --kver 6.1.0-56-amd64 --out /tmp/x/initrd.gz
    build_initramfs.py --find-kernel       # prints "KVER VMLINUZ" or fails
"""
import argparse
import gzip
import lzma
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = ("virtio_pci", "virtio_net")
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")


def norm(name):
    return name.replace("-", "_")


def modname(path):
    base = os.path.basename(path)
    for ext in (".ko", ".ko.xz", ".ko.gz", ".ko.zst"):
        if base.endswith(ext):
            return norm(base[: -len(ext)])
    return None


def read_deps(kdir):
    deps, paths = {}, {}
    with open(os.path.join(kdir, "modules.dep")) as f:
        for line in f:
            if ":" not in line:
                continue
            mod, rest = line.split(":", 1)
            name = modname(mod)
            paths[name] = mod
            deps[name] = [modname(d) for d in rest.split()]
    builtin = set()
    try:
        with open(os.path.join(kdir, "modules.builtin")) as f:
            builtin = {modname(l.strip()) for l in f if l.strip()}
    except OSError:
        pass
    return deps, paths, builtin


def load_order(kdir, wanted):
    """Modules to insmod, dependencies first (depth-first post-order)."""
    deps, paths, builtin = read_deps(kdir)
    order, seen = [], set()

    def visit(m):
        if m in seen:
            return
        seen.add(m)
        if m in builtin:
            return
        if m not in deps:
            raise SystemExit(f"module {m} is neither in {kdir}/modules.dep nor built in")
        for d in deps[m]:
            visit(d)
        order.append((m, os.path.join(kdir, paths[m])))

    for m in wanted:
        visit(norm(m))
    return order


def module_bytes(path):
    if path.endswith(".xz"):
        return lzma.decompress(open(path, "rb").read())
    if path.endswith(".gz"):
        return gzip.decompress(open(path, "rb").read())
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    return open(path, "rb").read()


def find_kernel():
    """The newest kernel with both a vmlinuz in /boot and virtio_net in
    /lib/modules: (kver, vmlinuz) or None."""
    found = []
    for kver in os.listdir("/lib/modules") if os.path.isdir("/lib/modules") else ():
        vmlinuz = f"/boot/vmlinuz-{kver}"
        kdir = f"/lib/modules/{kver}"
        if not (os.path.exists(vmlinuz) and os.path.exists(os.path.join(kdir, "modules.dep"))):
            continue
        try:
            load_order(kdir, MODULES)
        except SystemExit:
            continue
        found.append((os.path.getmtime(vmlinuz), kver, vmlinuz))
    if not found:
        return None
    _, kver, vmlinuz = max(found)
    return kver, vmlinuz


def find_busybox():
    for p in BUSYBOX_CANDIDATES:
        if os.path.exists(p):
            with open(p, "rb") as f:
                elf = f.read(1 << 20)
            # a static binary has no PT_INTERP, hence no "ld-linux" string
            if b"ld-linux" not in elf:
                return p
    return None


class Cpio:
    """A newc archive writer."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        name_b = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08x}" for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
            len(name_b), 0))
        self.ino += 1
        self.out += hdr.encode() + name_b
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def dir(self, name):
        self._entry(name, 0o040755, nlink=2)

    def file(self, name, data, perm=0o644):
        self._entry(name, 0o100000 | perm, data)

    def chardev(self, name, major, minor, perm=0o600):
        self._entry(name, 0o020000 | perm, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return bytes(self.out)


def build(kver, out, init_path):
    kdir = f"/lib/modules/{kver}"
    busybox = find_busybox()
    if busybox is None:
        raise SystemExit("no static busybox (install busybox-static)")
    order = load_order(kdir, MODULES)
    c = Cpio()
    for d in ("bin", "dev", "etc", "proc", "sys", "tmp", "lib", "lib/modules"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    c.file("bin/busybox", open(busybox, "rb").read(), 0o755)
    c.file("init", open(init_path, "rb").read(), 0o755)
    names = []
    for m, path in order:
        c.file(f"lib/modules/{m}.ko", module_bytes(path))
        names.append(m)
    c.file("etc/modules.order", ("\n".join(names) + "\n").encode())
    with open(out, "wb") as f:
        f.write(gzip.compress(c.finish(), compresslevel=1))
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kver")
    ap.add_argument("--out")
    ap.add_argument("--init", default=os.path.join(HERE, "init"))
    ap.add_argument("--find-kernel", action="store_true")
    a = ap.parse_args()
    if a.find_kernel:
        k = find_kernel()
        if not k:
            print("no kernel with /boot/vmlinuz-KVER and virtio_net modules", file=sys.stderr)
            return 1
        print(*k)
        return 0
    if not (a.kver and a.out):
        ap.error("--kver and --out are needed")
    names = build(a.kver, a.out, a.init)
    print(" ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
