"""The running configuration written back and kept (docs/STATE.md):
`config show` / `fairnicctl config save`, a round trip through --config,
--state across kill -9 (with a guest re-attaching and traffic flowing),
a state file that is never partial, a corrupt one refused at start, and
SIGHUP applying an edited --config again.
"""
import os
import random
import shutil
import signal
import subprocess
import threading
import uuid

import pytest

from fairnic import FAIRNICCTL, FAIRNICD, Ctl, Daemon, wait_for

WIRE = "02:00:00:00:00:fe"
MAC = {n: f"52:54:00:00:00:{n:02x}" for n in range(1, 10)}
LIVE = ("connected", "rx_coalescing")       # vnic show: state, not configuration
HEADER = ("# fairnicd --state: the running configuration, rewritten at every change\n"
          "# and loaded at start instead of --config (docs/STATE.md). Do not edit it\n"
          "# while fairnicd runs.\n")


def cli(d, *words, check=True):
    r = subprocess.run([FAIRNICCTL, "-s", d.ctl_path, *words], capture_output=True,
                       text=True, timeout=30)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def vnics(d):
    return [{k: v for k, v in x.items() if k not in LIVE}
            for x in d.ctl.ok("vnic", "show")["vnics"]]


def vnic(d, name):
    return d.ctl.ok("vnic", "show", name)["vnics"][0]


def uplinks(d):
    return d.ctl.ok("uplink", "show")["uplinks"]


def config(d):
    return d.ctl.ok("config", "show")["config"]


def log(tmp):
    with open(os.path.join(str(tmp), "fairnicd.log")) as f:
        return f.read()


def kill9(d):
    """kill -9, then clear what a dead daemon leaves for the test harness
    (its control socket, which Daemon() waits for, and the uplinks' vhost
    sockets, which are the test's simulated wire)."""
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(10)
    d.ctl.close()
    d.log.close()
    for p in [d.ctl_path, *d.uplink_socks.values()]:
        if os.path.exists(p):
            os.unlink(p)


def run_failing(tmp, *extra):
    """fairnicd expected to stop at start: (exit status, its output)."""
    args = [FAIRNICD, "--ctl", os.path.join(str(tmp), "ctl.sock"), "--in-memory",
            "--file-prefix", "fnd" + uuid.uuid4().hex[:8], "--no-pci", "--lcores",
            "0@0,1@1", "--log-level", "*:warning", "--uplink",
            f"up0=net_vhost0,iface={tmp}/up0.sock,queues=1", *extra]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


# ---- config show / config save ---------------------------------------------

def known_setup(d):
    """Every rule of what is written; the expected text is expected_text()."""
    c = d.ctl
    c.ok("uplink", "set", "up0", "rx-rate", "1gbit")
    c.ok("uplink", "set", "up1", "tx-rate", "500mbit")
    c.ok("uplink", "set", "up1", "tx-rate", "auto")          # back to the default
    c.ok("vnic", "add", "vm1", "mac", MAC[1], "vhost-user", d.sock("vm1"), "rx-rate", "10mbit")
    c.ok("vnic", "set", "vm1", "local", "off")
    c.ok("vnic", "set", "vm1", "local", "on")                # back to the default
    c.ok("vnic", "set", "vm1", "tx-pps", "1000")
    c.ok("vnic", "set", "vm1", "tx-pps", "0")                # back to the default
    c.ok("vnic", "add", "vm2", "mac", MAC[2], "vhost-user", d.sock("vm2"), "uplink", "up1",
         "vlan", "10", "rx-rate", "10mbit", "rx-burst", "64kb", "tx-pps", "24000",
         "ip", "10.0.0.2", "mode", "0600")
    # an explicit rx-burst equal to the derived one is a default
    c.ok("vnic", "add", "vm3", "mac", MAC[3], "vhost-user", d.sock("vm3"), "rx-rate", "10mbit",
         "rx-burst", "12500b")
    c.ok("vnic", "set", "vm3", "rx-burst", "32kb")           # explicit: written
    # a new rate without its burst derives the burst again
    c.ok("vnic", "add", "vm4", "mac", MAC[4], "vhost-user", d.sock("vm4"), "rx-rate", "10mbit",
         "rx-burst", "32kb")
    c.ok("vnic", "set", "vm4", "rx-rate", "20mbit")
    c.ok("vnic", "add", "t5", "mac", MAC[5], "tap", "fnst5", "local", "off")
    c.ok("vnic", "add", "vm6", "mac", MAC[6], "vhost-user", d.sock("vm6"))
    c.ok("vnic", "del", "vm6")


def expected_text(d):
    s = lambda n: os.path.realpath(d.sock(n))  # noqa: E731 (the canonical path)
    return (f"uplink set up0 rx-rate 1Gbit\n"
            f"vnic add vm1 mac {MAC[1]} vhost-user {s('vm1')} rx-rate 10Mbit\n"
            f"vnic add vm2 mac {MAC[2]} vhost-user {s('vm2')} uplink up1 vlan 10 "
            f"rx-rate 10Mbit rx-burst 64Kb tx-pps 24000 ip 10.0.0.2 mode 0600\n"
            f"vnic add vm3 mac {MAC[3]} vhost-user {s('vm3')} rx-rate 10Mbit rx-burst 32Kb\n"
            f"vnic add vm4 mac {MAC[4]} vhost-user {s('vm4')} rx-rate 20Mbit\n"
            f"vnic add t5 mac {MAC[5]} tap fnst5 local off\n")


def test_config_show_writes_only_what_is_not_a_default(daemon2, tmp_path):
    d = daemon2
    assert config(d) == ""
    known_setup(d)
    want = expected_text(d)
    assert config(d) == want
    # the daemon did derive what is not written
    assert vnic(d, "vm4")["rx_burst"] == 25000 and vnic(d, "vm1")["rx_burst"] == 12500
    # fairnicctl: stdout, or a file replaced atomically
    assert cli(d, "config", "save").stdout == want
    assert cli(d, "config", "show").stdout == want
    f = tmp_path / "saved.conf"
    f.write_text("old\n")
    os.chmod(f, 0o600)
    cli(d, "config", "save", str(f))
    assert f.read_text() == want
    assert oct(os.stat(f).st_mode & 0o777) == oct(0o666 & ~current_umask())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("saved")) == \
        ["saved.conf"], "no temporary file left behind"
    r = cli(d, "config", "save", str(tmp_path / "no" / "such.conf"), check=False)
    assert r.returncode == 1 and "cannot create a temporary file next to" in r.stderr
    # the daemon itself refuses to write files
    r = d.ctl.call("config", "save", "/tmp/x")
    assert r == {"ok": False, "error": "config save: fairnicctl writes the file "
                 "(from config show)"}


def current_umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_config_show_refuses_a_path_it_cannot_write(daemon, tmp_path):
    d = daemon
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC[1], "vhost-user", str(tmp_path / "a b.sock"))
    r = d.ctl.call("config", "show")
    assert r == {"ok": False, "error": "config show: vnic vm1: its vhost-user cannot be "
                 "one word of a config line (it holds a blank or '#')"}


ALL_KEYS = ["uplink", "up1", "vlan", "42", "rx-rate", "20mbit", "rx-burst", "32kb",
            "rx-pps", "50000", "rx-pps-burst", "1000", "rx-min", "1mbit", "rx-weight", "5",
            "rx-queue", "512kb", "rx-police", "on", "rx-aqm", "tail",
            "rx-coalesce-usecs", "100", "rx-coalesce-frames", "8",
            "rx-coalesce-adaptive", "off", "tx-rate", "30mbit", "tx-burst", "64kb",
            "tx-pps", "40000", "tx-pps-burst", "800", "tx-min", "2mbit", "tx-weight", "7",
            "local", "off", "ip", "10.0.0.3,2001:db8::3", "dhcp-server", "allow",
            "ra", "allow", "mode", "0640", "group", "root"]


def test_round_trip_through_config(tmp_path):
    """A daemon started with --config SAVED shows exactly what the one it
    was saved from showed; every key of `help keys` is written."""
    a = Daemon(tmp_path, uplinks=("up0", "up1"))
    try:
        known_setup(a)
        a.ctl.ok("vnic", "add", "all", "mac", MAC[7], "vhost-user", a.sock("all"), *ALL_KEYS)
        saved = tmp_path / "saved.conf"
        cli(a, "config", "save", str(saved))
        want_vnics, want_uplinks, text = vnics(a), uplinks(a), config(a)
    finally:
        a.stop()
    line = [ln for ln in text.splitlines() if ln.startswith("vnic add all ")][0].split()
    assert vnic_keys() - {"tap"} == set(line[3::2]), "every key of the vNIC is saved"
    b = Daemon(tmp_path, uplinks=("up0", "up1"), config=str(saved))
    try:
        assert vnics(b) == want_vnics
        assert uplinks(b) == want_uplinks
        assert config(b) == text            # and it writes the same again
    finally:
        b.stop()


def vnic_keys():
    """The vNIC keys `fairnicctl help keys` lists (the grammar's table)."""
    out = subprocess.run([FAIRNICCTL, "help", "keys"], capture_output=True,
                         text=True).stdout
    vnic_part = out.split("Keys of uplink set")[0]
    keys = {ln.split()[0] for ln in vnic_part.splitlines()
            if ln.startswith("  ") and not ln.startswith("   ")}
    assert {"mac", "vhost-user", "tap", "rx-coalesce-adaptive", "group"} <= keys
    return keys


# ---- --state -------------------------------------------------------------------

def attach(d, t, port, name):
    t.attach(port, d.sock(name), mac=vnic(d, name)["mac"])
    wait_for(lambda: vnic(d, name)["connected"], 10, f"{name} connected")


def test_state_survives_kill9_and_the_guest_comes_back(tmp_path, traffic):
    st = str(tmp_path / "fairnic.state")
    d = Daemon(tmp_path, extra=["--state", st])
    t = traffic
    try:
        c = d.ctl
        c.ok("vnic", "add", "vm1", "mac", MAC[1], "vhost-user", d.sock("vm1"), "rx-rate", "50mbit")
        c.ok("vnic", "add", "vm2", "mac", MAC[2], "vhost-user", d.sock("vm2"), "tx-pps", "5000")
        c.ok("vnic", "add", "vm3", "mac", MAC[3], "vhost-user", d.sock("vm3"))
        c.ok("vnic", "set", "vm1", "local", "off", "tx-rate", "100mbit", "tx-burst", "64kb")
        c.ok("vnic", "del", "vm3")
        c.ok("vnic", "add", "vm4", "mac", MAC[4], "vhost-user", d.sock("vm4"), "vlan", "7")
        c.ok("uplink", "set", "up0", "rx-rate", "1gbit", "tx-rate", "2gbit")
        assert read(st) == HEADER + config(d)
        t.attach_wire(d, "wire", "up0", mac=WIRE)
        attach(d, t, "v1", "vm1")
        t.ok(f"send wire count=5 dst={MAC[1]} src={WIRE}")
        assert t.ok("recv v1 until=5")["packets"] == 5
        want_vnics, want_up = vnics(d), uplinks(d)
    except BaseException:
        d.stop()
        raise
    kill9(d)

    d = Daemon(tmp_path, extra=["--state", st])
    try:
        assert "loading state " + st in log(tmp_path)
        assert vnics(d) == want_vnics
        got_up = uplinks(d)
        for k in ("name", "rx_rate", "tx_rate", "tx_rate_auto"):
            assert got_up[0][k] == want_up[0][k]
        assert [v["name"] for v in want_vnics] == ["vm1", "vm2", "vm4"]
        # the guest re-attaches (QEMU's reconnect=1 does this by itself)
        t.ok("port del v1")
        t.ok("port del wire")
        t.attach_wire(d, "wire", "up0", mac=WIRE)
        attach(d, t, "v1", "vm1")
        t.ok(f"send wire count=20 dst={MAC[1]} src={WIRE}")
        r = t.ok("recv v1 until=20")
        assert r["packets"] == 20 and all(f["dst"] == MAC[1] for f in r["frames"])
        t.ok(f"send v1 count=15 dst={WIRE} src={MAC[1]}")
        r = t.ok("recv wire until=15")
        assert r["packets"] == 15 and all(f["src"] == MAC[1] for f in r["frames"])
        assert d.ctl.vnic_stats("vm1")["rx_packets"] == 20
        assert d.ctl.vnic_stats("vm1")["tx_packets"] == 15
    finally:
        d.stop()


def test_state_is_never_partial(tmp_path):
    """kill -9 in the middle of a burst of changes: the state loads, and
    holds every change that was acknowledged (at most one more)."""
    st = str(tmp_path / "fairnic.state")
    d = [Daemon(tmp_path, extra=["--state", st])]     # the one running now
    try:
        d[0].ctl.ok("vnic", "add", "vm1", "mac", MAC[1], "vhost-user", d[0].sock("vm1"))
        rnd = random.Random(10)
        base = 0
        for rounds in range(3):
            base = kill_during_burst(d, st, base, base + rnd.randint(50, 400))
    finally:
        if d[0].alive():
            d[0].stop()


def kill_during_burst(d, st, base, target):
    """Set rx-pps base+1, base+2, ... one at a time; kill -9 fairnicd once
    `target` is acknowledged; restart it (d[0]). @return the value loaded."""
    acked = [base]
    stop = threading.Event()

    def burst():
        conn = Ctl(d[0].ctl_path)
        try:
            for k in range(base + 1, base + 100000):
                if stop.is_set():
                    return
                r = conn.call("vnic", "set", "vm1", "rx-pps", str(1000 + k),
                              "rx-pps-burst", str(k % 50 + 40))
                if r is None or not r["ok"]:
                    return
                acked[0] = k
        except OSError:
            return
        finally:
            conn.close()

    th = threading.Thread(target=burst)
    th.start()
    try:
        wait_for(lambda: acked[0] >= target, 60, "changes acknowledged")
        kill9(d[0])
    finally:
        stop.set()
        th.join()
    last = acked[0]
    d[0] = Daemon(d[0].tmp, extra=["--state", st])
    v = vnic(d[0], "vm1")
    got = v["rx_pps"] - 1000
    assert last <= got <= last + 1, f"acknowledged {last}, state holds {got}"
    assert v["rx_pps_burst"] == got % 50 + 40
    assert read(st) == HEADER + config(d[0])
    return got


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_state_write_is_atomic_and_before_the_reply(tmp_path):
    """What a kill -9 cannot show (the page cache survives it, a power cut
    does not): the state is written to FILE.tmp, fsync'ed, renamed over
    FILE and the directory fsync'ed, all before the reply is sent."""
    st = str(tmp_path / "fairnic.state")
    d = Daemon(tmp_path, extra=["--state", st])
    trace = str(tmp_path / "strace.out")
    try:
        d.ctl.ok("vnic", "add", "vm1", "mac", MAC[1], "vhost-user", d.sock("vm1"))
        # the control thread is the main thread: its pid
        s = subprocess.Popen(["strace", "-q", "-e", "trace=openat,fsync,rename,sendto",
                              "-o", trace, "-p", str(d.proc.pid)],
                             stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: open(f"/proc/{d.proc.pid}/status").read().find(
                "TracerPid:\t0") < 0, 10, "strace attached")
            d.ctl.ok("vnic", "set", "vm1", "rx-rate", "10mbit")
        finally:
            s.send_signal(signal.SIGINT)
            s.wait(10)
    finally:
        d.stop()
    calls = [ln for ln in read(trace).splitlines()
             if st in ln or str(tmp_path) + '"' in ln or ln.startswith(("fsync", "sendto"))]
    seq = []
    for ln in calls:
        if ln.startswith("openat") and st + '.tmp"' in ln and "O_TRUNC" in ln:
            seq.append("open tmp")
        elif ln.startswith("openat") and "O_DIRECTORY" in ln:
            seq.append("open dir")
        elif ln.startswith("rename") and f'"{st}.tmp", "{st}"' in ln:
            seq.append("rename")
        elif ln.startswith("fsync") and "= 0" in ln:
            seq.append("fsync")
        elif ln.startswith("sendto") and 'ok\\":true' in ln:     # strace escapes the quotes
            seq.append("reply")
    assert seq == ["open tmp", "fsync", "rename", "open dir", "fsync", "reply"], calls


@pytest.mark.parametrize("bad,line,msg", [
    ("vnic add vm1 mac 52:54:00:zz:00:01 vhost-user {tmp}/vm1.sock\n", 3,
     'vnic add: invalid mac "52:54:00:zz:00:01" (expected e.g. 52:54:00:00:00:01)'),
    ("vnic add vm1 mac 52:54:00:00:00:01 vhost-user {tmp}/vm1.sock uplink up7\n", 3,
     'vnic add: no uplink named "up7" (see: uplink show)'),
    ("vnic add vm1 mac 52:54:00:00:00:01 vhost-user {tmp}/vm1.sock rx-rate 10mb", 3,
     'vnic add: invalid rate "10mb" for rx-rate (expected e.g. 10mbit, 1gbit, 500kbps)'),
])
def test_corrupt_state_stops_start_up(tmp_path, bad, line, msg):
    st = str(tmp_path / "fairnic.state")
    cfg = str(tmp_path / "fairnic.conf")
    write(cfg, f"vnic add vm9 mac {MAC[9]} vhost-user {tmp_path}/vm9.sock\n")
    text = "# fairnicd --state\nuplink set up0 rx-rate 1gbit\n" + bad.format(tmp=tmp_path)
    write(st, text)
    rc, out = run_failing(tmp_path, "--state", st, "--config", cfg)
    assert rc == 1, out
    assert f"fairnicd: {st}:{line}: {msg}\n" in out
    assert (f"fairnicd: state {st} not loaded, and left as it is: fix it, or remove it "
            "to start from --config\n") in out
    assert read(st) == text, "the bad state file is kept as it was"
    assert not os.path.exists(st + ".tmp")
    assert "vm9" not in out


def test_state_start_failures(tmp_path):
    # a state that cannot be written stops start-up
    st = f"{tmp_path}/no/such/dir/fairnic.state"
    rc, out = run_failing(tmp_path, "--state", st)
    assert rc == 1, out
    assert (f"fairnicd: state {st} not written: cannot create {st}.tmp: No such file "
            "or directory (the running configuration would not survive a restart)\n") in out
    # --config that fails at start: no state is written, the next start applies it again
    st = str(tmp_path / "fairnic.state")
    cfg = str(tmp_path / "fairnic.conf")
    write(cfg, f"vnic add vm1 mac {MAC[1]} vhost-user {tmp_path}/vm1.sock\n"
               "vnic set vm1 rx-rate 10xbit\n")
    rc, out = run_failing(tmp_path, "--state", st, "--config", cfg)
    assert rc == 1, out
    assert (f'fairnicd: {cfg}:2: vnic set: invalid rate "10xbit" for rx-rate (expected '
            "e.g. 10mbit, 1gbit, 500kbps)\n") in out
    assert not os.path.exists(st) and not os.path.exists(st + ".tmp")


def test_state_absent_applies_config_then_state_wins(tmp_path):
    st = str(tmp_path / "fairnic.state")
    cfg = str(tmp_path / "fairnic.conf")
    write(cfg, f"vnic add vm1 mac {MAC[1]} vhost-user {tmp_path}/vm1.sock rx-rate 10mbit\n"
               "uplink set up0 rx-rate 2gbit   # after the vNICs is fine\n")
    d = Daemon(tmp_path, config=cfg, extra=["--state", st])
    try:
        assert f"fairnicd: no state {st} yet: applying --config {cfg}" in log(tmp_path)
        assert read(st) == HEADER + (
            "uplink set up0 rx-rate 2Gbit\n"
            f"vnic add vm1 mac {MAC[1]} vhost-user {os.path.realpath(tmp_path)}/vm1.sock "
            "rx-rate 10Mbit\n")
        d.ctl.ok("vnic", "set", "vm1", "rx-rate", "20mbit")
        d.ctl.ok("vnic", "add", "vm2", "mac", MAC[2], "vhost-user", d.sock("vm2"))
        assert "rx-rate 20Mbit" in read(st) and "vnic add vm2 " in read(st)
    finally:
        d.stop()
    # an edited --config is not applied over an existing state
    with open(cfg, "a") as f:
        f.write(f"vnic add vm3 mac {MAC[3]} vhost-user {tmp_path}/vm3.sock\n")
    d = Daemon(tmp_path, config=cfg, extra=["--state", st])
    try:
        assert (f"fairnicd: loading state {st} (the running configuration at the last "
                f"change); --config {cfg} not applied") in log(tmp_path)
        assert [v["name"] for v in vnics(d)] == ["vm1", "vm2"]
        assert vnic(d, "vm1")["rx_rate"] == 20000000
        assert uplinks(d)[0]["rx_rate"] == 2000000000
    finally:
        d.stop()


def test_state_refuses_what_it_could_not_save(tmp_path):
    st = str(tmp_path / "fairnic.state")
    d = Daemon(tmp_path, extra=["--state", st])
    try:
        r = d.ctl.call("vnic", "add", "vm1", "mac", MAC[1], "vhost-user",
                       str(tmp_path / "a#b.sock"))
        assert r == {"ok": False, "error": f'vnic add vm1: vhost-user "{tmp_path}/a#b.sock" '
                     "cannot be saved in the --state file (it holds a blank or '#')"}
        assert vnics(d) == []
    finally:
        d.stop()


# ---- SIGHUP ----------------------------------------------------------------------

def test_sighup_reapplies_config(tmp_path, traffic):
    st = str(tmp_path / "fairnic.state")
    cfg = str(tmp_path / "fairnic.conf")
    s = lambda n: f"{tmp_path}/{n}.sock"      # noqa: E731
    write(cfg, f"vnic add vm1 mac {MAC[1]} vhost-user {s('vm1')} rx-rate 10mbit\n"
               f"vnic add vm2 mac {MAC[2]} vhost-user {s('vm2')} tx-pps 1000\n")
    d = Daemon(tmp_path, config=cfg, extra=["--state", st])
    try:
        d.ctl.ok("vnic", "add", "vm9", "mac", MAC[9], "vhost-user", d.sock("vm9"))  # live
        d.ctl.ok("vnic", "set", "vm2", "local", "off")       # live, a key not in the file
        attach(d, traffic, "v1", "vm1")
        write(cfg, "uplink set up0 rx-rate 2gbit\n"
                   f"vnic add vm1 mac {MAC[1]} vhost-user {s('vm1')} rx-rate 20mbit\n"
                   f"vnic add vm2 mac {MAC[2]} vhost-user {s('vm2')} tx-pps 1000\n"
                   f"vnic add vm3 mac {MAC[3]} vhost-user {s('vm3')}\n"
                   f"vnic add vm9 mac {MAC[9]} tap fnst9\n"
                   "vnic set nosuch rx-rate 1mbit\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "fairnicd: reload of" in log(tmp_path), 10, "the reload")
        assert d.alive()
        text = log(tmp_path)
        assert (f"fairnicd: reload: {cfg}:5: vnic add vm9: it exists with backend "
                f"vhost-user {os.path.realpath(tmp_path)}/vm9.sock: left as it is "
                "(delete it to add it with another)\n") in text
        assert f'fairnicd: reload: {cfg}:6: vnic set: no vnic named "nosuch"\n' in text
        assert ("fairnicd: reload: vnic vm1 changed: rx_rate 10000000 -> 20000000, "
                "rx_burst 12500 -> 25000\n") in text
        assert "fairnicd: reload: vnic vm3 added\n" in text
        assert "fairnicd: reload: uplink up0 changed: rx_rate 0 -> 2000000000\n" in text
        assert (f"fairnicd: reload of {cfg}: 1 vnic(s) added, 1 changed, 0 deleted, "
                "1 uplink(s) changed, 2 line(s) failed\n") in text
        assert "vnic vm2 changed" not in text
        v1, v2 = vnic(d, "vm1"), vnic(d, "vm2")
        assert v1["rx_rate"] == 20000000 and v1["rx_burst"] == 25000
        assert v1["connected"], "a vnic set, not a re-add: the guest stays"
        assert v2["tx_pps"] == 1000 and v2["local"] is False
        assert [v["name"] for v in vnics(d)] == ["vm1", "vm2", "vm9", "vm3"]
        assert vnic(d, "vm9")["backend"] == "vhost-user"
        assert uplinks(d)[0]["rx_rate"] == 2000000000
        assert read(st) == HEADER + config(d)
        assert "vnic add vm3 " in read(st)
        # `fairnicctl config reload` does the same; nothing left to change
        r = cli(d, "config", "reload")
        assert r.stdout == (f"{cfg}:5: vnic add vm9: it exists with backend vhost-user "
                            f"{os.path.realpath(tmp_path)}/vm9.sock: left as it is "
                            f"(delete it to add it with another)\n"
                            f'{cfg}:6: vnic set: no vnic named "nosuch"\n')
        assert (f"fairnicd: reload of {cfg}: 0 vnic(s) added, 0 changed, 0 deleted, "
                "0 uplink(s) changed, 2 line(s) failed\n") in log(tmp_path)
    finally:
        d.stop()


def test_sighup_without_config_is_harmless(daemon, tmp_path):
    d = daemon
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC[1], "vhost-user", d.sock("vm1"))
    d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "fairnicd was started without --config" in log(tmp_path), 10,
             "the SIGHUP answer")
    assert d.alive()
    assert ("fairnicd: SIGHUP: config reload: fairnicd was started without --config\n"
            in log(tmp_path))
    assert [v["name"] for v in vnics(d)] == ["vm1"]
