"""The control plane of the real fairnicd: socket, CLI, config file, tap
backend, shutdown. Bad input must get a clear error, change nothing, and
leave the daemon serving."""
import json
import os
import socket
import stat
import subprocess

import pytest

from fairnic import FAIRNICCTL, FAIRNICD, Daemon, wait_for

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
]


def test_bad_commands_change_nothing(daemon):
    d = daemon
    d.ctl.ok("vnic", "add", "vm1", "mac", MAC1, "vhost-user", d.sock("vm1"), "rx-pps", "1000")
    d.ctl.ok("vnic", "add", "vm2", "mac", "52:54:00:00:00:02", "vhost-user", d.sock("vm2"))
    before = d.ctl.ok("vnic", "show")
    for words, needle in BAD_COMMANDS:
        r = d.ctl.call(*words)
        assert r["ok"] is False, words
        assert "\n" not in r["error"] and needle in r["error"].lower(), (words, r["error"])
        # the same through the CLI: one line on stderr, non-zero exit
        p = cli(d, *words)
        assert p.returncode != 0 and p.stdout == "", (words, p)
        assert len(p.stderr.strip().splitlines()) == 1, (words, p.stderr)
    # a MAC already used in the same domain
    r = d.ctl.call("vnic", "set", "vm2", "mac", MAC1)
    assert not r["ok"] and "already used by vnic vm1" in r["error"]
    assert d.ctl.ok("vnic", "show") == before
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
            "rx_drop_queue_full", "tx_drop_spoof", "tx_drop_local_denied", "notifications"}
    assert keys <= set(st["vnics"][0])
    ukeys = {"name", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_drop_no_vnic",
             "rx_drop_malformed"}
    assert ukeys <= set(st["uplinks"][0])
    table = cli(d, "stats").stdout
    assert "rx_drop_rate" in table and "vm1" in table
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
