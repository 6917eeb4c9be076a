"""The control plane of the real fairnicd: socket, CLI, config file, tap
backend, shutdown, the link-sharing keys, uplink capacities and admission
control, the documentation generated from the key table. Bad input must
get a clear error, change nothing, and leave the daemon serving."""
import json
import os
import re
import socket
import stat
import subprocess
import time

import pytest

from fairnic import FAIRNICCTL, FAIRNICD, ROOT, Daemon, wait_for

MAC1 = "52:54:00:00:00:01"


def cli(d, *args):
    return subprocess.run([FAIRNICCTL, "-s", d.ctl_path, *args], capture_output=True, text=True)


def test_socket_mode_0600(daemon):
    st = os.stat(daemon.ctl_path)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600


BAD_COMMANDS = [
    (["vnci", "show"], "unknown command"),
    (["vnic", "add", "x", "mac", "01:00:5e:00:00:01", "vhost-user", "/tmp/x.sock"], "mac"),
    (["vnic", "add", "x", "mac", "52:54:00:00:00:zz", "vhost-user", "/tmp/x.sock"], "mac"),
    (["vnic", "add", "x", "vhost-user", "/tmp/x.sock"], "mac"),
    (["vnic", "set", "vm1", "rx-rate", "10mbitz"], "rate"),
    (["vnic", "set", "vm1", "rx-rate", "-5mbit"], "rate"),
    (["vnic", "set", "vm1", "vlan", "4095"], "vlan"),
    (["vnic", "set", "vm1", "local", "maybe"], "local"),
    (["vnic", "set", "vm1", "uplink", "nosuch"], "nosuch"),
    (["vnic", "set", "nosuch", "rx-pps", "10"], "nosuch"),
    (["vnic", "set", "vm1", "rx-rate", "1mbit", "rx-burst", "100b"], "burst"),
    (["vnic", "set", "vm1"], ""),
    (["vnic", "del", "nosuch"], "nosuch"),
    (["stats", "nosuch"], "nosuch"),
    (["vnic", "add", "vm1", "mac", "52:54:00:00:00:09", "vhost-user", "/tmp/y.sock"], "exists"),
    # the link-sharing keys: each bad value named
    (["vnic", "set", "vm1", "rx-weight", "0"], "invalid weight \"0\" for rx-weight (expected a whole number in 1..10000)"),
    (["vnic", "set", "vm1", "tx-weight", "10001"], "invalid weight \"10001\" for tx-weight (expected a whole number in 1..10000)"),
    (["vnic", "set", "vm1", "rx-aqm", "red"], "invalid value \"red\" for rx-aqm (expected codel or tail)"),
    (["vnic", "set", "vm1", "rx-police", "maybe"], "invalid value \"maybe\" for rx-police (expected on or off)"),
    (["vnic", "set", "vm1", "rx-queue", "1000"], "vnic set vm1: rx-queue must be at least 1518b (one maximum frame)"),
    (["vnic", "set", "vm1", "rx-queue", "2gb"], "size \"2gb\" for rx-queue is too large (max 1gb)"),
    (["vnic", "set", "vm1", "rx-rate", "20mbit", "rx-min", "30mbit"], "vnic set vm1: rx-min 30Mbit is above rx-rate 20Mbit"),
    (["vnic", "set", "vm1", "tx-rate", "1mbit", "tx-min", "1.5mbit"], "vnic set vm1: tx-min 1.5Mbit is above tx-rate 1Mbit"),
    (["vnic", "set", "vm1", "tx-min", "fast"], "invalid rate \"fast\" for tx-min"),
    (["vnic", "set", "vm1", "tx-queue", "1mb"], "unknown key \"tx-queue\""),
    (["uplink", "set", "up0"], "nothing to set"),
    (["uplink", "set", "nosuch", "tx-rate", "1gbit"], "uplink set: no uplink named \"nosuch\""),
    (["uplink", "set", "up0", "rx-rate", "auto"], "invalid rate \"auto\" for rx-rate"),
    (["uplink", "set", "up0", "tx-min", "1gbit"], "unknown key \"tx-min\""),
    (["help", "--markdown"], "needs a topic"),
]


def test_bad_commands_change_nothing(daemon):
    d = daemon
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC1, "vhost-user", d.sock("vm1"), "rx-pps", "1000")
    d.ctl.ok("vnic", "add", "vm2", "mac", "52:54:00:00:00:02", "vhost-user", d.sock("vm2"))
    before = d.ctl.ok("vnic", "show")
    ubefore = d.ctl.ok("uplink", "show")
    for words, needle in BAD_COMMANDS:
        r = d.ctl.call(*words)
        assert r["ok"] is False, words
        assert "\n" not in r["error"] and needle.lower() in r["error"].lower(), (words, r["error"])
        # the same through the CLI: one line on stderr, non-zero exit
        p = cli(d, *words)
        assert p.returncode != 0 and p.stdout == "", (words, p)
        assert len(p.stderr.strip().splitlines()) == 1, (words, p.stderr)
    # a MAC already used in the same domain
    r = d.ctl.call("vnic", "set", "vm2", "mac", MAC1)
    assert not r["ok"] and "already used by vnic vm1" in r["error"]
    assert d.ctl.ok("vnic", "show") == before
    assert d.ctl.ok("uplink", "show") == ubefore
    assert d.alive()


def test_malformed_requests_on_the_socket(daemon):
    d = daemon
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC1, "vhost-user", d.sock("vm1"))
    before = d.ctl.ok("vnic", "show")
    for junk in ["this is not json", '{"vnic": "show"}', "[1, 2, 3]", '["vnic", null]', "[" * 5000]:
        s = socket.socket(socket.AF_UNIX)
        s.connect(d.ctl_path)
        s.sendall(junk.encode() + b"\n")
        r = json.loads(s.makefile().readline())
        assert r["ok"] is False and r["error"], junk
        s.close()
    # a line longer than 64 KiB is refused, not buffered forever
    s = socket.socket(socket.AF_UNIX)
    s.connect(d.ctl_path)
    s.sendall(b"x" * (70 * 1024))
    r = json.loads(s.makefile().readline())
    assert r["ok"] is False and "64 KiB" in r["error"]
    s.close()
    # a client that connects and vanishes mid-line
    s = socket.socket(socket.AF_UNIX)
    s.connect(d.ctl_path)
    s.sendall(b'["vnic", "sh')
    s.close()
    assert d.ctl.ok("vnic", "show") == before
    assert d.alive()


def test_cli_json_and_human_output(daemon):
    d = daemon
    p = cli(d, "vnic", "add", "vm1", "mac", MAC1, "vhost-user", d.sock("vm1"),
            "rx-rate", "10mbit", "rx-pps", "24000", "vlan", "100")
    assert p.returncode == 0, p.stderr
    j = json.loads(cli(d, "--json", "vnic", "show", "vm1").stdout)
    v = j["vnics"][0]
    assert (v["mac"], v["vlan"], v["rx_rate"], v["rx_pps"], v["uplink"]) == (MAC1, 100, 10_000_000, 24000, "up0")
    human = cli(d, "vnic", "show").stdout
    assert "vm1" in human and MAC1 in human and "10Mbit" in human
    st = json.loads(cli(d, "--json", "stats").stdout)
    keys = {"name", "mac", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_drop_rate",
            "rx_drop_queue_limit", "rx_drop_pool", "rx_drop_aqm", "rx_drop_guest_full",
            "rx_drop_not_connected", "tx_drop_spoof", "tx_drop_local_denied", "notifications",
            "rx_queue_frames", "rx_queue_bytes", "rx_sojourn_us", "rx_sojourn_max_us",
            "rx_bps", "tx_bps", "rx_share", "tx_share"}
    assert keys <= set(st["vnics"][0])
    assert "rx_drop_queue_full" not in st["vnics"][0]       # split into its causes
    v = st["vnics"][0]
    for k in ("rx_queue_frames", "rx_queue_bytes", "rx_sojourn_us", "rx_sojourn_max_us",
              "rx_bps", "tx_bps"):
        assert isinstance(v[k], int) and v[k] >= 0, (k, v[k])
    assert isinstance(v["rx_share"], float) and 0 <= v["rx_share"] <= 1
    ukeys = {"name", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_drop_no_vnic",
             "rx_drop_malformed"}
    assert ukeys <= set(st["uplinks"][0])
    table = cli(d, "stats").stdout
    assert "rx_drop_rate" in table and "vm1" in table and "rx_share" in table
    assert json.loads(cli(d, "--json", "uplink", "show").stdout)["uplinks"][0]["name"] == "up0"
    assert cli(d, "vnic", "del", "vm1").returncode == 0
    assert json.loads(cli(d, "--json", "vnic", "show").stdout)["vnics"] == []


def test_cli_cannot_connect(tmp_path):
    p = subprocess.run([FAIRNICCTL, "-s", str(tmp_path / "none.sock"), "vnic", "show"],
                       capture_output=True, text=True)
    # the documented exit status when the daemon cannot be reached
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "none.sock" in p.stderr


def test_config_file(tmp_path):
    cfg = tmp_path / "fairnic.conf"
    cfg.write_text(f"# two guests\nvnic add vm1 mac {MAC1} vhost-user {tmp_path}/vm1.sock rx-pps 24000\n\n"
                   f"vnic add vm2 mac 52:54:00:00:00:02 vhost-user {tmp_path}/vm2.sock local off  # trailing\n")
    d = Daemon(tmp_path, config=str(cfg))
    try:
        v = {x["name"]: x for x in d.ctl.ok("vnic", "show")["vnics"]}
        assert v["vm1"]["rx_pps"] == 24000 and v["vm2"]["local"] is False
    finally:
        d.stop()


def test_bad_config_file_refuses_to_start(tmp_path):
    cfg = tmp_path / "bad.conf"
    cfg.write_text(f"vnic add vm1 mac {MAC1} vhost-user {tmp_path}/vm1.sock\nvnic add vm2 mac nonsense tap t0\n")
    args = [FAIRNICD, "--ctl", str(tmp_path / "c.sock"),
            "--in-memory", "--file-prefix", "fndbad", "--no-pci", "--lcores", "0@0,1@1",
            "--config", str(cfg)]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "bad.conf:2:" in p.stderr and "mac" in p.stderr


def test_sigterm_removes_sockets(tmp_path):
    d = Daemon(tmp_path)
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC1, "vhost-user", d.sock("vm1"))
    assert os.path.exists(d.sock("vm1"))
    assert d.stop() == 0
    assert not os.path.exists(d.ctl_path) and not os.path.exists(d.sock("vm1"))


def _raw_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((ifname, 0))
    s.settimeout(5)
    return s


def test_tap_vnic(daemon, traffic):
    """A tap vNIC: the kernel side of the tap plays the guest."""
    d, t = daemon, traffic
    ifname = "fnt" + d.prefix[-6:]
    d.ctl.ok("vnic", "add", "c1", "mac", MAC1, "tap", ifname)
    wait_for(lambda: os.path.exists(f"/sys/class/net/{ifname}"), 10, "tap interface")
    subprocess.run(["ip", "link", "set", ifname, "up"], check=True)
    rx = _raw_socket(ifname)
    t.attach_wire(d, "wire", "up0", mac="02:00:00:00:00:fe")
    t.ok(f"send wire count=5 dst={MAC1} src=02:00:00:00:00:fe type=0x88b5")
    got = 0
    while got < 5:
        frame = rx.recv(2048)
        if frame[12:14] == b"\x88\xb5" and frame[:6] == bytes.fromhex(MAC1.replace(":", "")):
            got += 1
    # the "guest" answers through the tap; fairnicd takes it to the wire
    frame = bytes.fromhex("02000000 00fe".replace(" ", "")) + bytes.fromhex(MAC1.replace(":", "")) + \
        b"\x88\xb5" + bytes(50)
    for _ in range(3):
        rx.send(frame)
    r = t.ok("recv wire until=3")
    assert r["packets"] == 3 and r["frames"][0]["src"] == MAC1
    rx.close()
    d.ctl.ok("vnic", "del", "c1")
    wait_for(lambda: not os.path.exists(f"/sys/class/net/{ifname}"), 10, "tap removed")


@pytest.mark.parametrize("words", [["help"], ["vnic", "show"], ["uplink", "show"], ["stats"]])
def test_read_only_commands(daemon, words):
    assert daemon.ctl.call(*words)["ok"]


# ---- link-sharing keys, uplink capacities, admission control ----------------

NEW_KEYS_DEFAULTS = {"rx_min": 0, "tx_min": 0, "rx_weight": 1, "tx_weight": 1,
                     "rx_queue": 12_500_000, "rx_police": False, "rx_aqm": "codel"}


def vnic(d, name):
    return d.ctl.ok("vnic", "show", name)["vnics"][0]


def uplinks(d):
    return {u["name"]: u for u in d.ctl.ok("uplink", "show")["uplinks"]}


def test_new_keys_defaults_and_live_set(daemon):
    d = daemon
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC1, "vhost-user", d.sock("vm1"))
    v = vnic(d, "vm1")
    assert {k: v[k] for k in NEW_KEYS_DEFAULTS} == NEW_KEYS_DEFAULTS
    # each key live, one at a time: only it changes
    for words, key, want in [
            (["rx-min", "30mbit"], "rx_min", 30_000_000),
            (["tx-min", "1.5mbit"], "tx_min", 1_500_000),
            (["rx-weight", "5"], "rx_weight", 5),
            (["tx-weight", "10000"], "tx_weight", 10000),
            (["rx-queue", "1mb"], "rx_queue", 1 << 20),
            (["rx-police", "on"], "rx_police", True),
            (["rx-aqm", "tail"], "rx_aqm", "tail")]:
        before = vnic(d, "vm1")
        d.ctl.ok("vnic", "set", "vm1", *words)
        after = vnic(d, "vm1")
        assert after[key] == want, (words, after[key])
        assert {k: x for k, x in after.items() if k != key} == \
            {k: x for k, x in before.items() if k != key}, words
    # the human output: the limit lines, in the grammar's spelling
    human = cli(d, "vnic", "show", "vm1").stdout
    for frag in ["rx-min 30Mbit", "rx-weight 5", "rx-queue 1Mb", "rx-police on",
                 "rx-aqm tail", "tx-min 1.5Mbit", "tx-weight 10000", "rx-rate unlimited"]:
        assert frag in human, (frag, human)
    lines = human.splitlines()
    assert len(lines) == 4, human        # identity, the L3 guard, one line per direction
    assert lines[1].strip() == "ip any dhcp-server deny ra deny", human
    assert lines[2].strip().startswith("rx-rate") and lines[3].strip().startswith("tx-rate")
    # a new rx-rate without rx-queue: the queue follows (10 ms of it, >= 256 KiB)
    d.ctl.ok("vnic", "set", "vm1", "rx-rate", "1gbit")
    assert vnic(d, "vm1")["rx_queue"] == 1_250_000
    d.ctl.ok("vnic", "set", "vm1", "rx-rate", "2gbit", "rx-queue", "64kb")
    assert vnic(d, "vm1")["rx_queue"] == 65536
    d.ctl.ok("vnic", "set", "vm1", "rx-rate", "40mbit")
    assert vnic(d, "vm1")["rx_queue"] == 256 * 1024
    # a guarantee above a new ceiling is refused, and nothing changes
    before = vnic(d, "vm1")
    r = d.ctl.call("vnic", "set", "vm1", "rx-rate", "10mbit")
    assert r == {"ok": False, "error": "vnic set vm1: rx-min 30Mbit is above rx-rate 10Mbit"}
    assert vnic(d, "vm1") == before
    # an explicit rx-queue survives other keys
    d.ctl.ok("vnic", "set", "vm1", "rx-queue", "512kb")
    d.ctl.ok("vnic", "set", "vm1", "rx-pps", "1000", "tx-rate", "1gbit")
    assert vnic(d, "vm1")["rx_queue"] == 512 * 1024
    # everything back to the defaults
    d.ctl.ok("vnic", "set", "vm1", "rx-min", "0", "tx-min", "0", "rx-weight", "1",
             "tx-weight", "1", "rx-queue", "0", "rx-police", "off", "rx-aqm", "codel",
             "rx-rate", "0")
    v = vnic(d, "vm1")
    assert {k: v[k] for k in NEW_KEYS_DEFAULTS} == NEW_KEYS_DEFAULTS


def test_new_keys_at_add(daemon):
    d = daemon
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC1, "vhost-user", d.sock("vm1"),
             "rx-rate", "100mbit", "rx-min", "10mbit", "tx-min", "20mbit", "rx-weight", "3",
             "tx-weight", "4", "rx-queue", "300kb", "rx-police", "on", "rx-aqm", "tail")
    v = vnic(d, "vm1")
    assert (v["rx_min"], v["tx_min"], v["rx_weight"], v["tx_weight"], v["rx_queue"],
            v["rx_police"], v["rx_aqm"]) == (10_000_000, 20_000_000, 3, 4, 300 * 1024, True, "tail")
    # a refused add leaves no vNIC behind
    r = d.ctl.call("vnic", "add", "vm2", "mac", "52:54:00:00:00:02", "vhost-user", d.sock("vm2"),
                   "tx-rate", "10mbit", "tx-min", "20mbit")
    assert not r["ok"] and r["error"] == "vnic add vm2: tx-min 20Mbit is above tx-rate 10Mbit"
    assert [x["name"] for x in d.ctl.ok("vnic", "show")["vnics"]] == ["vm1"]
    assert not os.path.exists(d.sock("vm2"))


def test_uplink_set_and_show(daemon):
    d = daemon
    u = uplinks(d)["up0"]
    # the test uplinks are net_vhost ports: they report 10 Gbit/s
    assert u["speed_mbps"] == 10000
    assert (u["rx_rate"], u["tx_rate"], u["tx_rate_auto"]) == (0, 10_000_000_000, True)
    human = cli(d, "uplink", "show").stdout
    assert "rx-rate unlimited tx-rate 10Gbit (auto)" in human, human
    d.ctl.ok("uplink", "set", "up0", "tx-rate", "1gbit", "rx-rate", "2.5gbit")
    u = uplinks(d)["up0"]
    assert (u["rx_rate"], u["tx_rate"], u["tx_rate_auto"]) == (2_500_000_000, 1_000_000_000, False)
    human = cli(d, "uplink", "show").stdout
    assert "rx-rate 2.5Gbit tx-rate 1Gbit" in human and "(auto)" not in human, human
    # one key at a time: the other keeps its value
    assert cli(d, "uplink", "set", "up0", "rx-rate", "0").returncode == 0
    u = uplinks(d)["up0"]
    assert (u["rx_rate"], u["tx_rate"], u["tx_rate_auto"]) == (0, 1_000_000_000, False)
    d.ctl.ok("uplink", "set", "up0", "tx-rate", "0")
    u = uplinks(d)["up0"]
    assert (u["tx_rate"], u["tx_rate_auto"]) == (0, False)
    assert "tx-rate unlimited" in cli(d, "uplink", "show").stdout
    # auto: back to the link speed
    d.ctl.ok("uplink", "set", "up0", "tx-rate", "auto")
    u = uplinks(d)["up0"]
    assert (u["rx_rate"], u["tx_rate"], u["tx_rate_auto"]) == (0, 10_000_000_000, True)
    # the help says so
    assert "auto" in cli(d, "help").stdout and "link speed" in cli(d, "help", "keys").stdout


def test_uplink_capacity_per_uplink(daemon2):
    d = daemon2
    d.ctl.ok("uplink", "set", "up1", "tx-rate", "100mbit")
    u = uplinks(d)
    assert u["up0"]["tx_rate"] == 10_000_000_000 and u["up0"]["tx_rate_auto"]
    assert u["up1"]["tx_rate"] == 100_000_000 and not u["up1"]["tx_rate_auto"]


def _state(d):
    return d.ctl.ok("vnic", "show"), d.ctl.ok("uplink", "show")


def test_admission_control(daemon2):
    d = daemon2
    d.ctl.ok("uplink", "set", "up0", "tx-rate", "1gbit", "rx-rate", "100mbit")
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC1, "vhost-user", d.sock("vm1"), "tx-min", "600mbit")
    d.ctl.ok("vnic", "add", "vm3", "mac", "52:54:00:00:00:03", "vhost-user", d.sock("vm3"))
    d.ctl.ok("vnic", "add", "vm4", "mac", "52:54:00:00:00:04", "vhost-user", d.sock("vm4"),
             "uplink", "up1", "tx-min", "700mbit")
    refused = [
        (["vnic", "set", "vm3", "tx-min", "600mbit"],
         "vnic set vm3: tx-min 600Mbit would make the guarantees on uplink up0 add up to "
         "1.2Gbit, above its tx-rate 1Gbit"),
        (["vnic", "add", "vm5", "mac", "52:54:00:00:00:05", "vhost-user", d.sock("vm5"),
          "tx-min", "401mbit"],
         "vnic add vm5: tx-min 401Mbit would make the guarantees on uplink up0 add up to "
         "1001Mbit, above its tx-rate 1Gbit"),
        (["vnic", "set", "vm3", "rx-min", "100.5mbit"],
         "vnic set vm3: rx-min 100.5Mbit would make the guarantees on uplink up0 add up to "
         "100.5Mbit, above its rx-rate 100Mbit"),
        # moving a vNIC brings its guarantee along
        (["vnic", "set", "vm4", "uplink", "up0"],
         "vnic set vm4: tx-min 700Mbit would make the guarantees on uplink up0 add up to "
         "1.3Gbit, above its tx-rate 1Gbit"),
        (["uplink", "set", "up0", "tx-rate", "500mbit"],
         "uplink set up0: tx-rate 500Mbit is below the tx-min guarantees of its vnics (600Mbit)"),
        (["uplink", "set", "up0", "rx-rate", "1gbit", "tx-rate", "599mbit"],
         "uplink set up0: tx-rate 599Mbit is below the tx-min guarantees of its vnics (600Mbit)"),
    ]
    for words, msg in refused:
        before = _state(d)
        r = d.ctl.call(*words)
        assert r == {"ok": False, "error": msg}, (words, r)
        assert _state(d) == before, words
        p = cli(d, *words)
        assert p.returncode == 1 and p.stderr == f"fairnicctl: {msg}\n", p
        assert _state(d) == before, words
    assert not os.path.exists(d.sock("vm5"))
    # exactly at the capacity is fine; so is unlimited
    d.ctl.ok("vnic", "set", "vm3", "tx-min", "400mbit")
    d.ctl.ok("uplink", "set", "up0", "tx-rate", "1gbit")
    before = _state(d)
    r = d.ctl.call("uplink", "set", "up0", "rx-rate", "10mbit", "tx-rate", "999mbit")
    assert not r["ok"] and "tx-rate 999Mbit is below the tx-min guarantees of its vnics (1Gbit)" in r["error"]
    assert _state(d) == before
    d.ctl.ok("uplink", "set", "up0", "tx-rate", "0")
    d.ctl.ok("vnic", "set", "vm4", "uplink", "up0")
    assert vnic(d, "vm4")["uplink"] == "up0"
    r = d.ctl.call("uplink", "set", "up0", "tx-rate", "auto")
    assert r["ok"], r        # 1.7 Gbit of guarantees under the 10G link
    r = d.ctl.call("vnic", "set", "vm3", "tx-min", "9gbit")
    assert not r["ok"] and "add up to 10.3Gbit, above its tx-rate 10Gbit" in r["error"], r
    # no capacity (0 = unlimited): nothing to check against
    before = _state(d)
    r = d.ctl.call("vnic", "set", "vm1", "rx-min", "5gbit")
    assert not r["ok"] and "above its rx-rate 100Mbit" in r["error"]
    assert _state(d) == before
    d.ctl.ok("uplink", "set", "up0", "rx-rate", "0")
    d.ctl.ok("vnic", "set", "vm1", "rx-min", "5gbit")
    assert vnic(d, "vm1")["rx_min"] == 5_000_000_000
    assert d.alive()


def test_config_file_uplink_set_and_new_keys(tmp_path):
    cfg = tmp_path / "fairnic.conf"
    cfg.write_text("uplink set up0 tx-rate 1gbit rx-rate 2gbit  # the wire\n"
                   f"vnic add vm1 mac {MAC1} vhost-user {tmp_path}/vm1.sock tx-min 600mbit "
                   "rx-weight 7 rx-queue 1mb rx-aqm tail rx-police on\n"
                   f"vnic add vm2 mac 52:54:00:00:00:02 vhost-user {tmp_path}/vm2.sock tx-min 400mbit\n"
                   "uplink set up1 tx-rate auto\n")
    d = Daemon(tmp_path, uplinks=("up0", "up1"), config=str(cfg))
    try:
        u = uplinks(d)
        assert (u["up0"]["rx_rate"], u["up0"]["tx_rate"], u["up0"]["tx_rate_auto"]) == \
            (2_000_000_000, 1_000_000_000, False)
        assert (u["up1"]["tx_rate"], u["up1"]["tx_rate_auto"]) == (10_000_000_000, True)
        v = vnic(d, "vm1")
        assert (v["tx_min"], v["rx_weight"], v["rx_queue"], v["rx_aqm"], v["rx_police"]) == \
            (600_000_000, 7, 1 << 20, "tail", True)
    finally:
        d.stop()


def test_config_file_admission_refused(tmp_path):
    cfg = tmp_path / "bad.conf"
    cfg.write_text("uplink set up0 tx-rate 1gbit\n"
                   f"vnic add vm1 mac {MAC1} vhost-user {tmp_path}/vm1.sock tx-min 600mbit\n"
                   f"vnic add vm2 mac 52:54:00:00:00:02 vhost-user {tmp_path}/vm2.sock tx-min 600mbit\n")
    args = [FAIRNICD, "--ctl", str(tmp_path / "c.sock"), "--uplink",
            f"up0=net_vhost0,iface={tmp_path}/up0.sock,queues=1",
            "--in-memory", "--file-prefix", "fndbadadm", "--no-pci", "--lcores", "0@0,1@1",
            "--config", str(cfg)]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert ("bad.conf:3: vnic add vm2: tx-min 600Mbit would make the guarantees on uplink up0 "
            "add up to 1.2Gbit, above its tx-rate 1Gbit") in p.stderr, p.stderr


# ---- generated documentation ------------------------------------------------

def test_readme_key_table_is_generated():
    """The README's key table is `fairnicctl help keys --markdown`, verbatim."""
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    m = re.search(r"<!-- generated: fairnicctl help keys --markdown -->\n(.*?)<!-- end generated -->",
                  readme, re.S)
    assert m, "README lacks the generated key table"
    p = subprocess.run([FAIRNICCTL, "help", "keys", "--markdown"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == ""
    assert m.group(1) == p.stdout, "README's key table differs from `fairnicctl help keys --markdown`"
    # and that table has a row for every key the grammar takes
    for key in re.findall(r"^\| `([a-z-]+)` \|", p.stdout, re.M):
        r = subprocess.run([FAIRNICCTL, "vnic", "set", "x", key], capture_output=True, text=True)
        if r.returncode and "unknown key" in r.stderr:
            r = subprocess.run([FAIRNICCTL, "uplink", "set", "x", key], capture_output=True, text=True)
        assert "unknown key" not in r.stderr, (key, r.stderr)


def test_readme_counter_tables_are_generated():
    """The README's counter tables are `fairnicctl help counters --markdown`,
    verbatim: the counters' help text is written once, in fn_counters.h."""
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    m = re.search(r"<!-- generated: fairnicctl help counters --markdown -->\n(.*?)<!-- end generated -->",
                  readme, re.S)
    assert m, "README lacks the generated counter tables"
    p = subprocess.run([FAIRNICCTL, "help", "counters", "--markdown"], capture_output=True, text=True)
    assert p.returncode == 0 and m.group(1) == p.stdout, \
        "README's counter tables differ from `fairnicctl help counters --markdown`"


def test_help_counters_names_every_stat(daemon):
    """Everything `stats` returns is explained by `help counters`."""
    d = daemon
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC1, "vhost-user", d.sock("vm1"))
    st = d.ctl.ok("stats")
    p = subprocess.run([FAIRNICCTL, "help", "counters", "--markdown"], capture_output=True, text=True)
    assert p.returncode == 0
    vnic_part, uplink_part = p.stdout.split("Per uplink")
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", vnic_part, re.M))
    assert set(st["vnics"][0]) - {"name", "mac"} == documented
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", uplink_part, re.M))
    assert set(st["uplinks"][0]) - {"name"} == documented
    # the daemon answers help topics the same way
    assert d.ctl.ok("help", "counters", "--markdown") == p.stdout
    assert d.ctl.ok("help", "keys") == cli(d, "help", "keys").stdout


def test_stats_rates_and_shares(daemon, traffic):
    """rx_bps over at least a second, and the share of its uplink: two tap
    vNICs receive 3 and 1 frames of the same size per round."""
    d, t = daemon, traffic
    names = {}
    for i, n in ((1, "c1"), (2, "c2")):
        ifname = f"fn{n}" + d.prefix[-6:]
        mac = f"52:54:00:00:00:0{i}"
        d.ctl.ok("vnic", "add", n, "mac", mac, "tap", ifname)
        wait_for(lambda: os.path.exists(f"/sys/class/net/{ifname}"), 10, "tap interface")
        subprocess.run(["ip", "link", "set", ifname, "up"], check=True)
        names[n] = mac
    t.attach_wire(d, "wire", "up0", mac="02:00:00:00:00:fe")
    d.ctl.ok("stats", "reset")
    s0 = {v["name"]: v for v in d.ctl.ok("stats")["vnics"]}
    assert s0["c1"]["rx_bps"] == 0 and s0["c1"]["rx_share"] == 0.0
    t0 = time.monotonic()
    for _ in range(3):
        t.ok(f"send wire count=300 dst={names['c1']} src=02:00:00:00:00:fe type=0x88b5")
    t.ok(f"send wire count=300 dst={names['c2']} src=02:00:00:00:00:fe type=0x88b5")
    wait_for(lambda: d.ctl.ok("stats", "c2")["vnics"][0]["rx_packets"] >= 300 and
             d.ctl.ok("stats", "c1")["vnics"][0]["rx_packets"] >= 900, 10, "frames delivered")
    time.sleep(max(0.0, 1.1 - (time.monotonic() - t0)))
    st = {v["name"]: v for v in d.ctl.ok("stats")["vnics"]}
    elapsed = time.monotonic() - t0
    c1, c2 = st["c1"], st["c2"]
    # measured from the snapshot taken at the first read (>= 1 s ago)
    assert 0 < c1["rx_bps"] <= c1["rx_bytes"] * 8 / 1.0
    assert c1["rx_bps"] >= c1["rx_bytes"] * 8 / (elapsed + 0.5)
    assert abs(c1["rx_share"] - 0.75) < 0.01 and abs(c2["rx_share"] - 0.25) < 0.01, (c1, c2)
    assert c1["tx_bps"] == 0 and c1["tx_share"] == 0.0
    # stats reset: measured afresh
    d.ctl.ok("stats", "reset", "c1")
    assert d.ctl.ok("stats", "c1")["vnics"][0]["rx_bps"] == 0
