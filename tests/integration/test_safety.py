"""Safety of the control plane and the sockets (issue 6), against the real
daemon: socket paths that are not ours are never taken, one daemon per
control path, no control client can stall the others, and socket
permissions do not depend on the umask.
"""
import grp
import json
import os
import socket
import stat
import subprocess
import threading
import time

import pytest

from fairnic import FAIRNICCTL, FAIRNICD, Ctl, Daemon, wait_for

MAC1 = "52:54:00:00:06:13"


def cli(d, *args, timeout=30):
    return subprocess.run([FAIRNICCTL, "-s", d.ctl_path, *args], capture_output=True,
                          text=True, timeout=timeout)


def listening_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(4)
    return s


def assert_alive(d):
    """The daemon is running and its control socket answers."""
    assert d.alive(), d.logtext()
    p = cli(d, "uplink", "show")
    assert p.returncode == 0, p.stderr


# ------------------------------------------------------------ socket paths

def test_vnic_add_refuses_the_control_socket(daemon):
    d = daemon
    ino = os.stat(d.ctl_path).st_ino
    p = cli(d, "vnic", "add", "z3", "mac", MAC1, "vhost-user", d.ctl_path)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "control socket" in p.stderr, p.stderr
    # the same path written another way is still the control socket
    other = os.path.join(os.path.dirname(d.ctl_path), ".", os.path.basename(d.ctl_path))
    p = cli(d, "vnic", "add", "z3", "mac", MAC1, "vhost-user", other)
    assert p.returncode == 1 and "control socket" in p.stderr, p.stderr
    assert os.stat(d.ctl_path).st_ino == ino
    assert d.ctl.ok("vnic", "show")["vnics"] == []
    assert_alive(d)


def test_vnic_add_refuses_a_live_foreign_socket(daemon, tmp_path):
    d = daemon
    path = str(tmp_path / "other.sock")
    s = listening_socket(path)
    try:
        ino = os.stat(path).st_ino
        p = cli(d, "vnic", "add", "z3", "mac", MAC1, "vhost-user", path)
        assert p.returncode == 1, p.stderr
        assert path in p.stderr and "in use" in p.stderr, p.stderr
        assert os.stat(path).st_ino == ino
        # the other process still gets its connections
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        c.close()
        assert d.ctl.ok("vnic", "show")["vnics"] == []
    finally:
        s.close()


def test_vnic_add_refuses_a_file_that_is_not_a_socket(daemon, tmp_path):
    d = daemon
    path = tmp_path / "precious.txt"
    path.write_text("keep me")
    p = cli(d, "vnic", "add", "z3", "mac", MAC1, "vhost-user", str(path))
    assert p.returncode == 1 and "not a socket" in p.stderr, p.stderr
    assert path.read_text() == "keep me"


def test_vnic_add_reuses_a_stale_socket(daemon, tmp_path):
    d = daemon
    path = str(tmp_path / "stale.sock")
    listening_socket(path).close()          # the file stays, nobody listens
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    d.ctl.ok("vnic", "add", "z3", "mac", MAC1, "vhost-user", path)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)                         # fairnicd listens there now
    c.close()


def test_vnic_add_refuses_another_vnics_path_spelled_differently(daemon, tmp_path):
    d = daemon
    d.ctl.ok("vnic", "add", "a", "mac", MAC1, "vhost-user", str(tmp_path / "a.sock"))
    ino = os.stat(tmp_path / "a.sock").st_ino
    r = d.ctl.call("vnic", "add", "b", "mac", "52:54:00:00:06:14", "vhost-user",
                   f"{tmp_path}/./a.sock")
    assert not r["ok"] and "already used by vnic a" in r["error"], r
    assert os.stat(tmp_path / "a.sock").st_ino == ino
    assert [v["name"] for v in d.ctl.ok("vnic", "show")["vnics"]] == ["a"]


# ---------------------------------------------------- one daemon per --ctl

def test_second_daemon_on_the_same_ctl_exits_and_touches_nothing(daemon, tmp_path):
    d = daemon
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC1, "vhost-user", d.sock("vm1"))
    before = {p: os.stat(p).st_ino for p in (d.ctl_path, d.sock("vm1"), d.uplink_socks["up0"])}
    args = [FAIRNICD, "--ctl", d.ctl_path, "--in-memory", "--file-prefix", "fndsecond",
            "--no-pci", "--lcores", "0@0,1@1",
            "--uplink", f"up0=net_vhost9,iface={d.uplink_socks['up0']},queues=1"]
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    assert p.returncode != 0, p.stderr
    assert f"pid {d.proc.pid}" in p.stderr and "another fairnicd" in p.stderr, p.stderr
    print(f"second instance refused in {took:.2f}s: {p.stderr.strip()}")
    after = {p: os.stat(p).st_ino for p in before}
    assert after == before
    assert_alive(d)
    assert [v["name"] for v in d.ctl.ok("vnic", "show")["vnics"]] == ["vm1"]


# ------------------------------------------------------- control clients

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def served_within(d, what=("uplink", "show")):
    """Seconds one request on a fresh connection takes."""
    t0 = time.monotonic()
    c = Ctl(d.ctl_path)
    try:
        c.ok(*what)
    finally:
        c.close()
    return time.monotonic() - t0


def test_a_client_that_never_reads_stalls_nobody(daemon):
    d = daemon
    for i in range(4):
        d.ctl.ok("vnic", "add", f"v{i}", "mac", f"52:54:00:00:07:0{i}", "vhost-user",
                 d.sock(f"v{i}"))
    rss0 = rss_kib(d.proc.pid)
    hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hog.connect(d.ctl_path)
    line = (json.dumps(["vnic", "show"]) + "\n").encode()
    sent = [0]

    def flood():
        try:
            for _ in range(20000):          # ~20 MB of replies, never read
                hog.sendall(line)
                sent[0] += 1
        except OSError:
            pass                            # fairnicd gave up on us: expected

    th = threading.Thread(target=flood, daemon=True)
    th.start()
    worst = 0.0
    for _ in range(50):
        worst = max(worst, served_within(d))
    th.join(60)
    print(f"hog sent {sent[0]} requests; other clients' worst latency {worst * 1000:.1f} ms")
    assert not th.is_alive()
    assert worst < 1.0, f"another client waited {worst:.2f}s"
    wait_for(lambda: "replies not read" in d.logtext(), 10, "the hog's disconnection logged")
    grew = rss_kib(d.proc.pid) - rss0
    assert grew < 64 * 1024, f"fairnicd grew by {grew} KiB"
    hog.close()
    assert_alive(d)


def test_idle_clients_do_not_lock_out_the_cli(daemon):
    d = daemon
    idle = []
    for _ in range(64):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.ctl_path)
        idle.append(s)
    try:
        worst = max(served_within(d) for _ in range(10))
        p = cli(d, "vnic", "show")
        assert p.returncode == 0, p.stderr
        print(f"64 idle clients: worst latency {worst * 1000:.1f} ms")
        assert worst < 1.0
    finally:
        for s in idle:
            s.close()


def test_too_many_connections_are_told_why(tmp_path):
    d = Daemon(tmp_path, extra=("--ctl-max-clients", "4"))
    idle = []
    try:
        for _ in range(3):                  # d.ctl is the fourth
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(d.ctl_path)
            idle.append(s)
        wait_for(lambda: cli(d, "vnic", "show").returncode != 0, 10, "the limit reached")
        p = cli(d, "vnic", "show")
        assert p.returncode == 2, (p.returncode, p.stderr)
        assert "too many control connections (4)" in p.stderr, p.stderr
        assert "Broken pipe" not in p.stderr
        assert "refused a connection" in d.logtext()
        idle.pop().close()
        wait_for(lambda: cli(d, "vnic", "show").returncode == 0, 10, "served again")
    finally:
        for s in idle:
            s.close()
        d.stop()


def test_idle_timeout_closes_silent_clients(tmp_path):
    d = Daemon(tmp_path, extra=("--ctl-idle-timeout", "1"))
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.ctl_path)
        s.settimeout(10)
        t0 = time.monotonic()
        assert s.recv(100) == b""           # closed by fairnicd
        took = time.monotonic() - t0
        assert 0.9 < took < 5, took
        assert "idle too long" in d.logtext()
        s.close()
    finally:
        # d.ctl was idle too: it was closed; stop() copes
        d.stop()


def test_half_closed_client_gets_its_replies(daemon):
    """A client that sends its requests and shuts down its side (as
    `socat` does) still gets every reply."""
    d = daemon
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(d.ctl_path)
    s.sendall(b'["uplink","show"]\n["vnic","show"]\n')
    s.shutdown(socket.SHUT_WR)
    s.settimeout(10)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    replies = [json.loads(x) for x in data.decode().splitlines()]
    assert len(replies) == 2 and all(r["ok"] for r in replies), replies


# ------------------------------------------------------------- permissions

def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("umask", [0o000, 0o077])
def test_socket_permissions_do_not_depend_on_the_umask(tmp_path, umask):
    group = grp.getgrnam("daemon")          # exists on every Debian system
    other = grp.getgrnam("users")
    d = Daemon(tmp_path, umask=umask, extra=("--vhost-group", "daemon"))
    try:
        assert mode_of(d.ctl_path) == 0o600
        d.ctl.ok("vnic", "add", "a", "mac", MAC1, "vhost-user", d.sock("a"))
        st = os.stat(d.sock("a"))
        assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == group.gr_gid
        d.ctl.ok("vnic", "add", "b", "mac", "52:54:00:00:06:14", "vhost-user", d.sock("b"),
                 "mode", "0600", "group", "users")
        st = os.stat(d.sock("b"))
        assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_gid == other.gr_gid
        v = {x["name"]: x for x in d.ctl.ok("vnic", "show")["vnics"]}
        assert (v["a"]["mode"], v["a"]["group"]) == ("0660", "daemon")
        assert (v["b"]["mode"], v["b"]["group"]) == ("0600", "users")
        d.ctl.ok("vnic", "set", "b", "mode", "0640")
        assert mode_of(d.sock("b")) == 0o640
        # bad values: one clear error each, nothing changes
        for words, msg in ((("mode", "0999"), "invalid mode"), (("mode", "1777"), "at most 0777"),
                           (("group", "no-such-group-x"), "no group named")):
            r = d.ctl.call("vnic", "set", "b", *words)
            assert not r["ok"] and msg in r["error"], r
        assert mode_of(d.sock("b")) == 0o640
        r = d.ctl.call("vnic", "add", "t", "mac", "52:54:00:00:06:15", "tap", "fnperm0",
                       "mode", "0600")
        assert not r["ok"] and "vhost-user" in r["error"], r
    finally:
        d.stop()


def test_control_socket_group(tmp_path):
    d = Daemon(tmp_path, umask=0o000, extra=("--ctl-group", "daemon"))
    try:
        st = os.stat(d.ctl_path)
        assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == grp.getgrnam("daemon").gr_gid
    finally:
        d.stop()


@pytest.mark.parametrize("opt, msg", [
    (("--vhost-group", "no-such-group-x"), 'no group named "no-such-group-x"'),
    (("--vhost-mode", "0999"), 'bad mode "0999"'),
    (("--vhost-mode", "+660"), 'bad mode "+660"'),
    (("--ctl-idle-timeout", "-1"), 'bad value "-1" (0..86400)'),
    (("--ctl-max-clients", "0"), 'bad value "0" (1..4096)'),
])
def test_bad_option_refuses_to_start(tmp_path, opt, msg):
    p = subprocess.run([FAIRNICD, "--ctl", str(tmp_path / "c.sock"), *opt,
                        "--in-memory", "--no-pci", "--lcores", "0@0,1@1"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and msg in p.stderr, p.stderr
    assert not os.path.exists(tmp_path / "c.sock")
