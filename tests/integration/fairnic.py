"""Test harness: the real fairnicd, the real control socket, and a separate
traffic process (fntraffic) that plays the VMs and the wire.

Every wait here is for a condition with a deadline, never a bare sleep.
"""
import json
import os
import socket
import subprocess
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# FAIRNIC_TOOLS_BUILD: where the CLI and the traffic process come from
# (default build/); FAIRNIC_BUILD=build/asan runs the sanitizer build of the
# daemon.
BUILD = os.path.join(ROOT, os.environ.get("FAIRNIC_TOOLS_BUILD", "build"))
FAIRNICD = os.path.join(ROOT, os.environ.get("FAIRNIC_BUILD", "build"), "fairnicd")
FAIRNICCTL = os.path.join(BUILD, "fairnicctl")
FNTRAFFIC = os.path.join(BUILD, "fntraffic")


def wait_for(cond, timeout=10.0, what="condition", interval=0.01):
    """Poll cond() until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def cpu_seconds(pid):
    """CPU time (user + system) of every thread of process `pid`, seconds."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def ensure_hugepages(n=1024):
    with open("/proc/sys/vm/nr_hugepages") as f:
        have = int(f.read())
    if have < n:
        with open("/proc/sys/vm/nr_hugepages", "w") as f:
            f.write(str(n))


class Ctl:
    """A control-socket client speaking docs/CONTROL.md."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.f = self.sock.makefile("rw")

    def raw(self, line):
        self.f.write(line + "\n")
        self.f.flush()
        resp = self.f.readline()
        return json.loads(resp) if resp else None

    def call(self, *words):
        return self.raw(json.dumps([str(w) for w in words]))

    def ok(self, *words):
        r = self.call(*words)
        assert r is not None and r["ok"], f"{words}: {r}"
        return r["data"]

    def stats(self, name=None):
        d = self.ok("stats", name) if name else self.ok("stats")
        return d

    def vnic_stats(self, name):
        return self.ok("stats", name)["vnics"][0]

    def uplink_stats(self, name):
        for u in self.ok("stats")["uplinks"]:
            if u["name"] == name:
                return u
        raise KeyError(name)

    def close(self):
        self.sock.close()


class Daemon:
    """fairnicd on the data-plane core (CPU 1), uplinks as net_vhost ports
    that the traffic process connects to as the wire."""

    def __init__(self, tmpdir, uplinks=("up0",), extra=(), config=None, umask=None):
        self.tmp = str(tmpdir)
        self.ctl_path = os.path.join(self.tmp, "ctl.sock")
        self.prefix = "fnd" + uuid.uuid4().hex[:8]
        self.uplink_socks = {u: os.path.join(self.tmp, f"{u}.sock") for u in uplinks}
        args = [FAIRNICD, "--ctl", self.ctl_path, "--in-memory", "--file-prefix",
                self.prefix, "--no-pci", "--lcores", "0@0,1@1", "--log-level", "*:warning"]
        for i, u in enumerate(uplinks):
            args += ["--uplink", f"{u}=net_vhost{i},iface={self.uplink_socks[u]},queues=1"]
        if config:
            args += ["--config", config]
        args += list(extra)
        self.log = open(os.path.join(self.tmp, "fairnicd.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=None if umask is None else lambda: os.umask(umask))
        try:
            wait_for(lambda: os.path.exists(self.ctl_path) or self.proc.poll() is not None,
                     30, "fairnicd control socket")
            assert self.proc.poll() is None, self.logtext()
            self.ctl = Ctl(self.ctl_path)
        except BaseException:
            # never leave a daemon spinning on the data-plane core
            self.proc.kill()
            self.proc.wait()
            self.log.close()
            raise

    def logtext(self):
        self.log.flush()
        with open(os.path.join(self.tmp, "fairnicd.log")) as f:
            return f.read()

    def sock(self, name):
        return os.path.join(self.tmp, f"{name}.sock")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.ctl.close()
        self.log.close()
        return self.proc.returncode


class Traffic:
    """The fntraffic process: plays the VMs (virtio-user) and the wire."""

    def __init__(self, cpu=0, mbufs=None):
        self.prefix = "fnt" + uuid.uuid4().hex[:8]
        args = [FNTRAFFIC, "--in-memory", "--single-file-segments", "--file-prefix",
                self.prefix, "--no-pci", "--lcores", f"0@{cpu}", "--log-level", "*:error"]
        if mbufs:       # each port's receive ring holds its own
            args += ["--", "--mbufs", str(mbufs)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.n = 0

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        assert out, f"fntraffic died on: {line}"
        return json.loads(out)

    def ok(self, line):
        r = self.cmd(line)
        assert r.get("ok"), f"{line}: {r}"
        return r

    def attach(self, name, sock, mac=None, intr=False):
        """Connect a virtio-user port to a vhost-user server socket."""
        dev = f"virtio_user{self.n},path={sock},queues=1,queue_size=1024"
        self.n += 1
        if mac:
            dev += f",mac={mac}"
        return self.ok(f"port add {name} {dev}" + (" intr" if intr else ""))

    def attach_wire(self, daemon, name, uplink="up0", mac="02:00:00:00:00:fe"):
        """Connect a port to an uplink (a net_vhost port of fairnicd) and
        wait until fairnicd sees the link up."""
        r = self.attach(name, daemon.uplink_socks[uplink], mac=mac)
        wait_for(lambda: any(u["name"] == uplink and u["link"]
                             for u in daemon.ctl.ok("uplink", "show")["uplinks"]),
                 10, f"{uplink} link up")
        return r

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
