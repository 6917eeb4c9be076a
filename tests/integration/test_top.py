"""`fairnicctl top`: rates from the real daemon's counters, the sort, and
the full-screen view in a real terminal (tmux).

The flood: the wire sends 30 kpps of 64-byte frames, two thirds to vm1
(rx-pps 5000, tail drop on a 64 KiB queue: the excess is dropped as
rx_drop_queue_limit) and one third to vm2; vm3 sends 2 kpps to the wire.
So vm2 receives most, vm1 drops, vm3 only sends: every sort gives a
different order.
"""
import os
import re
import signal
import subprocess
import threading
import time
import uuid

import pytest

from fairnic import FAIRNICCTL, wait_for

WIRE = "02:00:00:00:00:fe"
OTHER = "02:00:00:00:00:ee"
VM = {1: "52:54:00:00:00:01", 2: "52:54:00:00:00:02", 3: "52:54:00:00:00:03"}
WIRE_PPS, VM1_LIMIT, VM3_PPS = 30000, 5000, 2000
FLOOD = (f"run ms=600000 tx=wire:dst={VM[1]}+{VM[1]}+{VM[2]}:src={WIRE}:len=64:pps={WIRE_PPS}"
         f" tx=v3:dst={OTHER}:src={VM[3]}:len=64:pps={VM3_PPS} rx=v1,v2,v3")
COLS = ["rx_pps", "rx_mbit", "tx_pps", "tx_mbit", "drops", "notif", "queue", "rx_share", "tx_share"]
PROMPT = "PROMPT$ "


def add_vnics(d):
    for n in VM:
        d.ctl.ok("vnic", "add", f"vm{n}", "mac", VM[n], "vhost-user", d.sock(f"vm{n}"))


@pytest.fixture
def flood(daemon, traffic):
    """Three guests attached (vm2 with interrupts on, so it gets
    notifications), the wire attached, and the flood running until the
    end of the test."""
    d, t = daemon, traffic
    add_vnics(d)
    # A 200 ms bucket: fairnicd shares its core on a busy host, and a
    # stall longer than the bucket would lose credit (as in test_datapath)
    d.ctl.ok("vnic", "set", "vm1", "rx-pps", str(VM1_LIMIT), "rx-pps-burst", "1000",
             "rx-aqm", "tail", "rx-queue", "64kb")
    t.attach_wire(d, "wire", "up0", mac=WIRE)
    for n in VM:
        t.attach(f"v{n}", d.sock(f"vm{n}"), mac=VM[n], intr=(n == 2))
        wait_for(lambda: d.ctl.ok("vnic", "show", f"vm{n}")["vnics"][0]["connected"],
                 10, f"vm{n} connected")
    # Not waited for: `run` answers when it ends. SIGTERM ends it.
    t.proc.stdin.write(FLOOD + "\n")
    t.proc.stdin.flush()
    wait_for(lambda: d.ctl.vnic_stats("vm1")["rx_drop_queue_limit"] > 1000, 10,
             "vm1's queue full and dropping")
    yield d, t
    t.proc.terminate()
    t.proc.wait(20)


def top(d, *args, timeout=60):
    return subprocess.run([FAIRNICCTL, "-s", d.ctl_path, "top", *args],
                          capture_output=True, text=True, timeout=timeout)


# ------------------------------------------------------- reading a frame

def num(s, binary=False):
    """A cell as a number: "12.3k" -> 12300.0; "-" -> None."""
    if s == "-":
        return None
    if s.startswith("<"):
        return float(s[1:]) / 2
    if s.endswith("%"):
        return float(s[:-1])
    m = re.fullmatch(r"([0-9.]+)([kKMGTP]?)", s)
    assert m, f"not a number: {s!r}"
    p = " kMGTP".index(m.group(2).replace("K", "k") or " ")
    return float(m.group(1)) * (1024 if binary else 1000) ** p


def parse_row(cols, line):
    f = line.split(None, len(cols) + 1)
    row = {"name": f[0]}
    for c, v in zip(cols, f[1:len(cols) + 1]):
        row[c] = num(v, binary=(c == "queue"))
    row["why"] = {}
    if len(f) > len(cols) + 1:
        for part in f[-1].split(", "):
            label, rate = part.rsplit(" ", 1)
            assert rate.endswith("/s"), part
            row["why"][label] = num(rate[:-2])
    return row


def parse(text):
    """Frames of `top` output (or a screen): [{"title", "uplink": [rows],
    "vnic": [rows]}], rows in the order shown."""
    frames, section, cols = [], None, None
    for line in text.split("\n"):
        if line.startswith("fairnicctl top"):
            frames.append({"title": line, "uplink": [], "vnic": []})
            section = None
        elif line.startswith(("UPLINK ", "VNIC ")):
            section = "uplink" if line.startswith("UPLINK") else "vnic"
            words = line.split()
            cols = [w.lower() for w in words[1:-3]]
            if words[-3:] != ["TOP", "DROP", "REASONS"] or cols != COLS:
                section = None          # a screen caught mid-redraw
                if frames:
                    frames[-1]["partial"] = True
        elif line.strip() == "" or line.startswith(("...", "keys:")):
            section = None
        elif section and frames:
            frames[-1][section].append(parse_row(cols, line))
    return frames


def rows(frame, section="vnic"):
    return {r["name"]: r for r in frame[section]}


def names(frame, section="vnic"):
    return [r["name"] for r in frame[section]]


def near(got, want, tol, what):
    assert got is not None and abs(got - want) <= tol * want, \
        f"{what}: {got} shown, {want:.0f} expected (+-{tol:.0%})"


# ------------------------------------------------------------ batch mode

def counters(d):
    s = d.ctl.stats()
    return time.monotonic(), {v["name"]: v for v in s["vnics"]}, {u["name"]: u for u in s["uplinks"]}


def drops(c):
    return sum(v for k, v in c.items() if k.startswith(("rx_drop_", "tx_drop_")) and v is not None)


@pytest.mark.timing
def test_once_shows_rates_drops_and_uplink(flood):
    """One frame after two samples 2 s apart: the rates agree with the
    daemon's counters read around it, add up (what the wire brings is
    delivered or dropped), and match the rates sent and the limit."""
    d, t = flood
    t0, v0, u0 = counters(d)
    start = time.monotonic()
    r = top(d, "--once", "-d", "2")
    took = time.monotonic() - start
    t1, v1, u1 = counters(d)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert took >= 2.0, f"one frame after {took:.2f}s: not two samples 2 s apart"
    assert "\x1b" not in r.stdout, "escape sequences in output that is not a terminal"
    frames = parse(r.stdout)
    assert len(frames) == 1 and not frames[0].get("partial"), r.stdout
    f = frames[0]
    assert "vnics 3 (" in f["title"] and "uplinks 1" in f["title"], f["title"]
    assert names(f) == ["vm1", "vm2", "vm3"], r.stdout     # default sort: drops
    vm, up = rows(f), rows(f, "uplink")

    def ref(c0, c1, name, key):
        return (c1[name][key] - c0[name][key]) / (t1 - t0)

    # 1. what top shows is what the counters say over (nearly) its window
    # (the reference window is a little longer: a stall of the host at
    # its edges shows in one and not the other)
    for name, key, col in (("vm1", "rx_packets", "rx_pps"), ("vm2", "rx_packets", "rx_pps"),
                           ("vm3", "tx_packets", "tx_pps")):
        near(vm[name][col], ref(v0, v1, name, key), 0.15, f"{name} {col} vs counters")
    ref_drops = (drops(v1["vm1"]) - drops(v0["vm1"])) / (t1 - t0)
    near(vm["vm1"]["drops"], ref_drops, 0.15, "vm1 drops/s vs counters")
    near(up["up0"]["rx_pps"], ref(u0, u1, "up0", "rx_packets"), 0.15, "up0 rx_pps vs counters")
    near(up["up0"]["tx_pps"], ref(u0, u1, "up0", "tx_packets"), 0.15, "up0 tx_pps vs counters")

    # 2. within the frame, every frame from the wire is delivered or
    # dropped, whatever the host's load did to the rates (but for what
    # waits in the queues: a guest not served for 100 ms leaves 1000 of
    # vm2's frames there), two thirds of them for vm1
    offered = {n: vm[n]["rx_pps"] + vm[n]["drops"] for n in ("vm1", "vm2")}
    near(offered["vm1"] + offered["vm2"], up["up0"]["rx_pps"], 0.1, "wire = delivered + dropped")
    near(offered["vm1"], 2 * offered["vm2"], 0.1, "vm1 sent twice what vm2 is")

    # 3. the rates sent and the limit (the host is shared: a looser bound)
    near(vm["vm1"]["rx_pps"], VM1_LIMIT, 0.2, "vm1 rx_pps vs its rx-pps")
    near(up["up0"]["rx_pps"], WIRE_PPS, 0.25, "up0 rx_pps vs sent")
    near(up["up0"]["tx_pps"], VM3_PPS, 0.25, "up0 tx_pps vs sent")
    near(vm["vm3"]["tx_pps"], VM3_PPS, 0.25, "vm3 tx_pps vs sent")

    # vm1 drops the excess at its queue limit (a stalled guest may add a
    # few rx:guest_full), and its queue stands full
    assert vm["vm1"]["drops"] > 0.25 * offered["vm1"], vm["vm1"]
    assert list(vm["vm1"]["why"])[:1] == ["rx:queue_limit"], vm["vm1"]
    near(vm["vm1"]["why"]["rx:queue_limit"], vm["vm1"]["drops"], 0.1, "rx:queue_limit rate")
    assert vm["vm1"]["queue"] >= 32 * 1024, "vm1's 64 KiB queue stands full"
    near(vm["vm1"]["rx_mbit"], vm["vm1"]["rx_pps"] * 64 * 8 / 1e6, 0.02, "vm1 Mbit/s of 64-byte frames")
    # vm2 gets what it is sent, with notifications; vm3 only sends
    assert vm["vm2"]["drops"] <= 0.05 * vm["vm2"]["rx_pps"], vm["vm2"]   # a stalled guest
    assert vm["vm2"]["notif"] > 0 and vm["vm3"]["notif"] == 0
    assert vm["vm3"]["rx_pps"] == 0 and vm["vm3"]["drops"] == 0
    # the shares of what the guests receive
    assert vm["vm3"]["rx_share"] == 0
    near(vm["vm1"]["rx_share"] + vm["vm2"]["rx_share"], 100, 0.02, "rx shares")
    # the uplink has no notifications or queue of its own
    assert up["up0"]["drops"] is not None
    assert up["up0"]["notif"] is None and up["up0"]["queue"] is None


def test_sort_option_orders_rows(flood):
    d, _ = flood
    want = {
        "rx_pps": (["vm2", "vm1", "vm3"], "desc"),
        "RX_PPS": (["vm2", "vm1", "vm3"], "desc"),   # as the header spells it
        "tx_pps": (["vm3", "vm1", "vm2"], "desc"),   # ties (0) by name
        "drops": (["vm1", "vm2", "vm3"], "desc"),
        "name": (["vm1", "vm2", "vm3"], "asc"),
    }
    for col, (order, direction) in want.items():
        r = top(d, "-n", "1", "-d", "0.5", "--sort", col)
        assert r.returncode == 0, r.stderr
        f = parse(r.stdout)[0]
        assert names(f) == order, f"--sort {col}:\n{r.stdout}"
        assert f"sort {col.lower()} {direction}" in f["title"], f["title"]
    r = top(d, "-n", "1", "-d", "0.5", "-o", "rx_mbit")
    assert names(parse(r.stdout)[0]) == ["vm2", "vm1", "vm3"], r.stdout


def test_frames_are_printed_one_after_another(daemon):
    """-n N: N frames, each with rates (two samples for the first),
    plain text; --once is -n 1."""
    d = daemon
    add_vnics(d)
    start = time.monotonic()
    r = top(d, "-n", "3", "-d", "0.3")
    took = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout
    frames = parse(r.stdout)
    assert len(frames) == 3, r.stdout
    assert took >= 0.9, f"3 frames in {took:.2f}s: fewer than 4 samples 0.3 s apart"
    for f in frames:
        assert names(f) == ["vm1", "vm2", "vm3"] and names(f, "uplink") == ["up0"], f
        for row in f["vnic"] + f["uplink"]:
            assert row["rx_pps"] == 0 and row["drops"] == 0, row   # known, idle
        assert "rates after" not in f["title"]
    r = top(d, "-n", "1", "-d", "0.2")
    assert r.returncode == 0 and len(parse(r.stdout)) == 1, r.stdout


def test_daemon_going_away(daemon, tmp_path):
    """No daemon, or one that goes away: one clear line, exit status 2."""
    d = daemon
    add_vnics(d)
    p = subprocess.Popen([FAIRNICCTL, "-s", d.ctl_path, "top", "-n", "100000", "-d", "0.2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = []
    reader = threading.Thread(target=lambda: out.extend(p.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any(line.startswith("VNIC") for line in out) or p.poll() is not None,
                 10, "a first frame")
        assert p.poll() is None, p.stderr.read()
        d.stop()
        rc = p.wait(15)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err = p.stderr.read()
    reader.join(10)
    assert rc == 2, (rc, err)
    assert err.startswith("fairnicctl: ") and d.ctl_path in err and err.count("\n") == 1, err

    start = time.monotonic()
    r = subprocess.run([FAIRNICCTL, "-s", str(tmp_path / "none.sock"), "top", "--once"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "is fairnicd running?" in r.stderr, r
    assert r.stdout == ""
    assert time.monotonic() - start < 1.0, "waited for a second sample of nothing"


@pytest.mark.parametrize("args, msg", [
    (["--sort", "bogus"], 'unknown column "bogus"'),
    (["-d", "0"], "-d 0: seconds from 0.1 to 3600"),
    (["-d", "fast"], "-d fast: seconds"),
    (["-n", "0"], "-n 0: a number of frames"),
    (["--once", "extra"], 'unexpected argument "extra"'),
    (["--frobnicate"], "unknown option --frobnicate"),
    (["--sort"], "--sort needs a value"),
])
def test_bad_options(tmp_path, args, msg):
    """Refused before any connection (the socket does not exist: that
    would be status 2)."""
    r = subprocess.run([FAIRNICCTL, "-s", str(tmp_path / "none.sock"), "top", *args],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1, r
    assert msg in r.stderr, r.stderr


def test_help(tmp_path):
    r = subprocess.run([FAIRNICCTL, "top", "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and r.stdout.startswith("Usage: fairnicctl [-s SOCK] top"), r
    for col in COLS + ["name"]:
        assert col in r.stdout
    r = subprocess.run([FAIRNICCTL, "--help"], capture_output=True, text=True, timeout=10)
    assert "top [-d SECONDS] [-n N|--once] [--sort COLUMN]" in r.stdout


# ------------------------------------------------------- a real terminal

SGR = re.compile(r"\x1b\[([0-9;]*)m")


def styles(screen):
    """{first word of each line: its SGR state} from `capture-pane -e`,
    whose attributes carry over from one line to the next."""
    st, out = {"bold": False, "fg": None, "rev": False}, {}
    for line in screen.split("\n"):
        i, seen = 0, False
        while i < len(line):
            m = SGR.match(line, i)
            if m:
                ps = m.group(1).split(";")
                j = 0
                while j < len(ps):
                    p = int(ps[j] or 0)
                    if p == 0:
                        st = {"bold": False, "fg": None, "rev": False}
                    elif p == 1:
                        st["bold"] = True
                    elif p == 22:
                        st["bold"] = False
                    elif p == 7:
                        st["rev"] = True
                    elif p == 27:
                        st["rev"] = False
                    elif 30 <= p <= 37 or 90 <= p <= 97:
                        st["fg"] = p
                    elif p == 39:
                        st["fg"] = None
                    elif p in (38, 48):
                        j += 2 if ps[j + 1:j + 2] == ["5"] else 4
                    j += 1
                i = m.end()
                continue
            if not seen and not line[i].isspace():
                seen = True
                out.setdefault(SGR.sub("", line[i:]).split()[0], dict(st))
            i += 1
    return out


class Tmux:
    """A tmux server of our own (-L), one window running a bare bash."""

    def __init__(self, width=160, height=40):
        self.server = "fnctop-" + uuid.uuid4().hex[:8]
        try:
            self.run("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height),
                     f"env -u NO_COLOR PS1='{PROMPT}' bash --norc --noprofile")
            self.wait(lambda s: PROMPT.strip() in s, "the shell's prompt")
        except BaseException:
            self.close()        # the fixture's teardown does not run
            raise

    def run(self, *args):
        return subprocess.run(["tmux", "-L", self.server, *args], check=True,
                              capture_output=True, text=True, timeout=10).stdout

    def screen(self, escapes=False):
        return self.run("capture-pane", "-p", "-t", "t", *(["-e"] if escapes else []))

    def keys(self, *keys):
        self.run("send-keys", "-t", "t", *keys)

    def type(self, line):
        self.run("send-keys", "-t", "t", "-l", line)
        self.keys("Enter")

    def wait(self, cond, what, timeout=20):
        last = [""]

        def check():
            last[0] = self.screen()
            return cond(last[0])
        try:
            v = wait_for(check, timeout, what, interval=0.05)
            return last[0] if v is True else v
        except AssertionError as e:
            raise AssertionError(f"{e}; the screen:\n{last[0]}") from None

    def close(self):
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def tmux():
    t = Tmux()
    yield t
    t.close()


def on_screen(s):
    """The top screen: its title on the first line, and a frame with rates."""
    f = parse(s)
    return s.startswith("fairnicctl top") and f and f[-1]["vnic"] and \
        not f[-1].get("partial") and \
        "rates after" not in f[-1]["title"] and f[-1]


def order_is(want, sort):
    def cond(s):
        f = on_screen(s)
        return f if f and f"sort {sort}" in f["title"] and names(f) == want else None
    return cond


def test_screen_keys_highlight_resize_quit(flood, tmux, tmp_path):
    d, _ = flood
    before, after = tmp_path / "stty.before", tmp_path / "stty.after"
    tmux.type(f"stty -g >{before}; {FAIRNICCTL} -s {d.ctl_path} top -d 0.5 --sort name;"
              f" echo rc=$?; stty -g >{after}")
    f = tmux.wait(order_is(["vm1", "vm2", "vm3"], "name asc"), "the screen sorted by name")
    assert names(f, "uplink") == ["up0"]
    assert tmux.screen().split("\n")[1].startswith("keys: ")

    # the dropping vNIC in bold red, the others not (vm2 may lose a frame
    # or two on a loaded host: then it is dropping too); the header in
    # reverse video
    esc = tmux.screen(escapes=True)
    st, vm = styles(esc), rows(parse(SGR.sub("", esc))[-1])
    assert vm["vm1"]["drops"] > 0 and st["vm1"]["bold"] and st["vm1"]["fg"] == 31, st
    for name in ("vm2", "vm3", "up0"):
        if name == "up0" or vm[name]["drops"] == 0:
            assert not (st[name]["bold"] or st[name]["fg"]), (name, st)
    assert st["VNIC"]["rev"] and st["UPLINK"]["rev"], st

    tmux.keys(">")                       # next column: rx_pps
    tmux.wait(order_is(["vm2", "vm1", "vm3"], "rx_pps desc"), "> to sort by rx_pps")
    tmux.keys("r")
    tmux.wait(order_is(["vm3", "vm1", "vm2"], "rx_pps asc"), "r to reverse")
    tmux.keys("d")
    tmux.wait(order_is(["vm1", "vm2", "vm3"], "drops desc"), "d to sort by drops")
    tmux.keys("P")
    tmux.wait(order_is(["vm3", "vm1", "vm2"], "tx_pps desc"), "P to sort by tx_pps")
    tmux.keys("Left")                    # the column before: rx_mbit
    tmux.wait(order_is(["vm2", "vm1", "vm3"], "rx_mbit desc"), "<- to sort by rx_mbit")

    # smaller than the frame: still the title first, nothing wrapped, and
    # a line saying what does not fit
    tmux.run("resize-window", "-t", "t", "-x", "60", "-y", "8")

    def fits(s):
        lines = s.rstrip("\n").split("\n")
        return s.startswith("fairnicctl top") and len(lines) <= 8 and \
            all(len(line) < 60 for line in lines) and "more vnics" in s
    tmux.wait(fits, "the frame cut to 60x8")
    tmux.run("resize-window", "-t", "t", "-x", "160", "-y", "40")
    tmux.wait(order_is(["vm2", "vm1", "vm3"], "rx_mbit desc"), "the whole frame again")

    tmux.keys("q")
    s = tmux.wait(lambda s: "rc=0" in s and s.rstrip().endswith(PROMPT.strip()),
                  "top to quit and the prompt")
    assert "RX_PPS" not in s, "the alternate screen was not left"
    assert after.read_text() == before.read_text(), "terminal modes not restored"


def top_pid(tmux):
    shell = tmux.run("display-message", "-p", "-t", "t", "#{pane_pid}").strip()
    with open(f"/proc/{shell}/task/{shell}/children") as f:
        kids = f.read().split()
    return int(kids[0]) if kids else None


def test_screen_restored_on_signals_and_daemon_loss(daemon, tmux, tmp_path):
    d = daemon
    add_vnics(d)
    before = tmp_path / "stty.before"
    tmux.type(f"stty -g >{before}")
    wait_for(lambda: before.exists() and before.read_text(), 10, "stty -g")
    cmd = f"{FAIRNICCTL} -s {d.ctl_path} top -d 0.3"

    def restored(n, rc, extra=""):
        after = tmp_path / f"stty.after{n}"
        tmux.wait(lambda s: top_pid(tmux) is None and s.rstrip().endswith(PROMPT.strip()),
                  "top gone and the prompt back")
        tmux.type(f"echo rc=$?; stty -g >{after}")
        s = tmux.wait(lambda s: f"rc={rc}" in s, f"the shell to see rc={rc}")
        wait_for(lambda: after.exists() and after.read_text(), 10, "stty -g")
        assert after.read_text() == before.read_text(), f"terminal modes not restored ({n})"
        assert "RX_PPS" not in s, "the alternate screen was not left"
        assert extra in s
        tmux.type("clear")
        tmux.wait(lambda s: s.strip() == PROMPT.strip(), "a clear screen")

    # Ctrl-C: SIGINT, the terminal restored, then killed by the signal
    tmux.type(cmd)
    tmux.wait(on_screen, "the screen")
    tmux.keys("C-c")
    restored(1, 130)

    # SIGTERM
    tmux.type(cmd)
    tmux.wait(on_screen, "the screen")
    os.kill(top_pid(tmux), signal.SIGTERM)
    restored(2, 143)

    # the daemon goes away: its error, printed once the screen is gone
    tmux.type(cmd)
    tmux.wait(on_screen, "the screen")
    d.stop()
    restored(3, 2, f"fairnicctl: cannot connect to {d.ctl_path}")
