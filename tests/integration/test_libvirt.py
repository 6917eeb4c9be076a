"""tools/fairnic-libvirt against the real fairnicd: a libvirt domain's
vhost-user interfaces and <bandwidth> become vNICs with exact values
(docs/LIBVIRT.md). The sample domains are tests/libvirt/*.xml, with their
socket directory /run/fairnic/ moved into the test's temporary directory."""
import os
import re
import shlex
import socket
import stat
import subprocess

from fairnic import FAIRNICCTL, ROOT

TOOL = os.path.join(ROOT, "tools", "fairnic-libvirt")
HOOK = os.path.join(ROOT, "dist", "libvirt-hook-qemu")
SAMPLES = os.path.join(ROOT, "tests", "libvirt")

WEB1_MAC = "52:54:00:3a:5e:01"
WEB1_ADDED = ("web1-0: added (mac 52:54:00:3a:5e:01, vhost-user {tmp}/web1.sock, "
              "rx-rate 100mbit rx-burst 128kb tx-rate 50mbit)\n")
NO_DAEMON = ("fairnic-libvirt: cannot reach fairnicd: {path} does not exist (is fairnicd "
             "running? --ctl PATH or $FAIRNIC_CTL name its control socket)\n")


def sample(tmp_path, name, edits=(), out=None):
    """tests/libvirt/NAME with its sockets in tmp_path and each (old, new)
    of edits applied (old must be there): the path of the copy."""
    with open(os.path.join(SAMPLES, name)) as f:
        text = f.read().replace("/run/fairnic/", f"{tmp_path}/")
    for old, new in edits:
        assert old in text, (name, old)
        text = text.replace(old, new)
    path = os.path.join(str(tmp_path), out or name)
    with open(path, "w") as f:
        f.write(text)
    return path


def tool(ctl, *args, stdin=None, env=None):
    return subprocess.run([TOOL, "--ctl", ctl, *args], capture_output=True, text=True,
                          input=stdin, env=env, timeout=60)


def vnics(d):
    return {v["name"]: v for v in d.ctl.ok("vnic", "show")["vnics"]}


def ok(p):
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p


# ------------------------------------------------------------------- apply

def test_apply_full_domain(daemon, tmp_path):
    d = daemon
    x = sample(tmp_path, "web1.xml")
    p = ok(tool(d.ctl_path, "apply", x))
    assert p.stdout == WEB1_ADDED.format(tmp=tmp_path)
    assert p.stderr == ""
    v = vnics(d)
    assert list(v) == ["web1-0"]
    v = v["web1-0"]
    assert (v["mac"], v["backend"], v["path"]) == (WEB1_MAC, "vhost-user", f"{tmp_path}/web1.sock")
    # inbound average='12500' burst='128', outbound average='6250'
    assert (v["rx_rate"], v["rx_burst"], v["rx_min"]) == (100_000_000, 131_072, 0)
    assert (v["tx_rate"], v["tx_burst"], v["tx_min"]) == (50_000_000, 62_500, 0)  # burst: 10 ms
    assert stat.S_ISSOCK(os.stat(f"{tmp_path}/web1.sock").st_mode)   # QEMU can connect


def test_units_exact_and_peak_warned(daemon, tmp_path):
    """kilo is 1000 in rates (average, floor) and 1024 in bursts, as tc
    reads libvirt's "%llukbps" and "%llukb"; peak is warned about."""
    d = daemon
    p = ok(tool(d.ctl_path, "apply", sample(tmp_path, "qos3.xml")))
    assert p.stdout == (f"qos3-net0: added (mac 52:54:00:00:03:03, vhost-user {tmp_path}/qos3.sock, "
                        "rx-rate 8mbit rx-burst 256kb rx-min 4mbit tx-rate 1mbit tx-burst 64kb)\n")
    v = vnics(d)["qos3-net0"]
    # <inbound average='1000' peak='5000' burst='256' floor='500'/>
    assert (v["rx_rate"], v["rx_burst"], v["rx_min"]) == (8_000_000, 262_144, 4_000_000)
    # <outbound average='125' peak='250' burst='64'/>
    assert (v["tx_rate"], v["tx_burst"], v["tx_min"]) == (1_000_000, 65_536, 0)
    assert p.stderr.splitlines() == [
        "fairnic-libvirt: warning: domain qos3, interface 1 (qos3-net0): <inbound peak='5000'> "
        "ignored: fairnic has one token bucket per direction, so rx-rate is the average (8mbit), "
        "a ceiling never exceeded, with rx-burst as its bucket",
        "fairnic-libvirt: warning: domain qos3, interface 1 (qos3-net0): <outbound peak='250'> "
        "ignored: fairnic has one token bucket per direction, so tx-rate is the average (1mbit), "
        "a ceiling never exceeded, with tx-burst as its bucket",
    ]


def test_apply_twice_changes_nothing(daemon, tmp_path):
    d = daemon
    x = sample(tmp_path, "web1.xml")
    ok(tool(d.ctl_path, "apply", x))
    # a key the XML does not map, set by hand: a re-apply that sent rx-rate
    # again would reset it to its default (256 KiB)
    d.ctl.ok("vnic", "set", "web1-0", "rx-queue", "1mb")
    before = vnics(d)
    p = ok(tool(d.ctl_path, "apply", x))
    assert p.stdout == "web1-0: unchanged\n"
    assert vnics(d) == before
    assert before["web1-0"]["rx_queue"] == 1_048_576
    p = ok(tool(d.ctl_path, "--dry-run", "apply", x))
    assert p.stdout == "# web1-0: unchanged\n"


def test_changed_xml_updates(daemon, tmp_path):
    d = daemon
    ok(tool(d.ctl_path, "apply", sample(tmp_path, "web1.xml")))
    x = sample(tmp_path, "web1.xml", out="web1-new.xml", edits=[
        ("<inbound average='12500' burst='128'/>", "<inbound average='25000' floor='1250'/>"),
        ("<outbound average='6250'/>", "")])
    p = ok(tool(d.ctl_path, "apply", x))
    assert p.stdout == ("web1-0: updated (rx-rate 100mbit -> 200mbit, rx-burst 128kb -> "
                        "250000b (default), rx-min none -> 10mbit, tx-rate 50mbit -> unlimited, "
                        "tx-burst 62500b (default) -> 3036b (default))\n")
    v = vnics(d)["web1-0"]
    assert (v["mac"], v["path"]) == (WEB1_MAC, f"{tmp_path}/web1.sock")
    assert (v["rx_rate"], v["rx_burst"], v["rx_min"]) == (200_000_000, 250_000, 10_000_000)
    assert (v["tx_rate"], v["tx_burst"]) == (0, 3036)
    assert ok(tool(d.ctl_path, "apply", x)).stdout == "web1-0: unchanged\n"
    # and back: the burst given again
    p = ok(tool(d.ctl_path, "apply", sample(tmp_path, "web1.xml")))
    v = vnics(d)["web1-0"]
    assert (v["rx_rate"], v["rx_burst"], v["rx_min"], v["tx_rate"], v["tx_burst"]) == \
        (100_000_000, 131_072, 0, 50_000_000, 62_500)


def test_two_interfaces(daemon, tmp_path):
    d = daemon
    p = ok(tool(d.ctl_path, "apply", sample(tmp_path, "db2.xml")))
    assert p.stdout == (
        f"db2-front: added (mac 52:54:00:db:02:0a, vhost-user {tmp_path}/db2-front.sock, "
        "rx-rate 200mbit)\n"
        f"db2-1: added (mac 52:54:00:db:02:0b, vhost-user {tmp_path}/db2-back.sock)\n")
    v = vnics(d)
    assert sorted(v) == ["db2-1", "db2-front"]
    f, b = v["db2-front"], v["db2-1"]
    assert (f["mac"], f["path"], f["rx_rate"], f["rx_burst"], f["tx_rate"]) == \
        ("52:54:00:db:02:0a", f"{tmp_path}/db2-front.sock", 200_000_000, 250_000, 0)
    assert (b["mac"], b["path"], b["rx_rate"], b["rx_min"], b["tx_rate"]) == \
        ("52:54:00:db:02:0b", f"{tmp_path}/db2-back.sock", 0, 0, 0)


def test_other_interface_types_ignored(daemon, tmp_path):
    d = daemon
    x = sample(tmp_path, "mixed4.xml", edits=[("    <interface type='user'>", """\
    <interface type='vhostuser'>
      <mac address='52:54:00:4d:00:05'/>
      <source type='unix' path='/run/passt/mixed4.sock' mode='client'/>
      <backend type='passt'/>
      <model type='virtio'/>
    </interface>
    <interface type='user'>""")])
    p = ok(tool(d.ctl_path, "apply", x))
    assert p.stdout == (f"mixed4-0: added (mac 52:54:00:4d:00:03, vhost-user {tmp_path}/mixed4.sock, "
                        "tx-rate 20mbit tx-burst 32kb)\n")
    assert p.stderr.splitlines() == [
        "fairnic-libvirt: note: domain mixed4, interface 1 (type='network') ignored: not vhost-user",
        "fairnic-libvirt: note: domain mixed4, interface 2 (type='bridge') ignored: not vhost-user",
        "fairnic-libvirt: note: domain mixed4, interface 4 ignored: vhost-user with "
        "<backend type='passt'>, passt's socket, not fairnic's",
        "fairnic-libvirt: note: domain mixed4, interface 5 (type='user') ignored: not vhost-user",
    ]
    v = vnics(d)
    assert list(v) == ["mixed4-0"]
    v = v["mixed4-0"]
    assert (v["mac"], v["rx_rate"], v["rx_min"], v["tx_rate"], v["tx_burst"]) == \
        ("52:54:00:4d:00:03", 0, 0, 20_000_000, 32_768)


def test_missing_reconnect_noted(daemon, tmp_path):
    d = daemon
    x = sample(tmp_path, "web1.xml", edits=[("        <reconnect enabled='yes' timeout='1'/>\n", "")])
    p = ok(tool(d.ctl_path, "apply", x))
    assert p.stdout == WEB1_ADDED.format(tmp=tmp_path)
    assert p.stderr == ("fairnic-libvirt: note: domain web1, interface 1 (web1-0): no <reconnect "
                        "enabled='yes' timeout='1'/> in <source>: after a fairnicd restart this "
                        "guest's link stays down until QEMU is restarted\n")


def test_apply_from_stdin_and_env_socket(daemon, tmp_path):
    d = daemon
    with open(sample(tmp_path, "web1.xml")) as f:
        xml = f.read()
    env = dict(os.environ, FAIRNIC_CTL=d.ctl_path)
    p = subprocess.run([TOOL, "apply", "-"], input=xml, capture_output=True, text=True, env=env)
    assert p.returncode == 0 and p.stdout == WEB1_ADDED.format(tmp=tmp_path), p
    assert vnics(d)["web1-0"]["rx_rate"] == 100_000_000


def test_default_socket_is_fairnicctls():
    with open(os.path.join(ROOT, "src", "cli", "fairnicctl.c")) as f:
        m = re.search(r'#define FNC_DEFAULT_SOCK\s+"([^"]+)"', f.read())
    env = {k: v for k, v in os.environ.items() if k != "FAIRNIC_CTL"}
    p = subprocess.run([TOOL, "--help"], capture_output=True, text=True, env=env)
    assert p.returncode == 0
    assert f"(default: $FAIRNIC_CTL, else {m.group(1)})" in " ".join(p.stdout.split())


# ------------------------------------------------------------------ remove

def test_remove(daemon, tmp_path):
    d = daemon
    d.ctl.ok("vnic", "add", "other", "mac", "52:54:00:77:77:77", "vhost-user", d.sock("other"))
    x = sample(tmp_path, "db2.xml")
    ok(tool(d.ctl_path, "apply", x))
    p = ok(tool(d.ctl_path, "remove", x))
    assert p.stdout == "db2-front: removed\ndb2-1: removed\n"
    assert list(vnics(d)) == ["other"]
    assert not os.path.exists(f"{tmp_path}/db2-front.sock")
    p = ok(tool(d.ctl_path, "remove", x))      # idempotent
    assert p.stdout == "db2-front: not present\ndb2-1: not present\n"
    assert list(vnics(d)) == ["other"]


# ------------------------------------------------------------------ dry run

def test_dry_run_prints_commands_and_changes_nothing(daemon, tmp_path):
    d = daemon
    x = sample(tmp_path, "qos3.xml")
    p = ok(tool(d.ctl_path, "--dry-run", "apply", x))
    assert p.stdout == (
        f"fairnicctl -s {d.ctl_path} vnic add qos3-net0 mac 52:54:00:00:03:03 vhost-user "
        f"{tmp_path}/qos3.sock rx-rate 8mbit rx-burst 256kb rx-min 4mbit tx-rate 1mbit "
        "tx-burst 64kb\n")
    assert vnics(d) == {}
    # the printed commands, run by the real fairnicctl, are what apply does
    for line in p.stdout.splitlines():
        words = shlex.split(line)
        assert words[0] == "fairnicctl"
        r = subprocess.run([FAIRNICCTL, *words[1:]], capture_output=True, text=True)
        assert r.returncode == 0, r
    assert ok(tool(d.ctl_path, "apply", x)).stdout == "qos3-net0: unchanged\n"
    before = vnics(d)
    # an update and a removal, printed, not done
    x2 = sample(tmp_path, "qos3.xml", out="qos3-new.xml", edits=[
        ("<outbound average='125' peak='250' burst='64'/>", "<outbound average='250'/>")])
    p = ok(tool(d.ctl_path, "--dry-run", "apply", x2))
    assert p.stdout == f"fairnicctl -s {d.ctl_path} vnic set qos3-net0 tx-rate 2mbit\n"
    p = ok(tool(d.ctl_path, "--dry-run", "remove", x2))
    assert p.stdout == f"fairnicctl -s {d.ctl_path} vnic del qos3-net0\n"
    assert vnics(d) == before


def test_dry_run_without_daemon(tmp_path):
    ctl = f"{tmp_path}/nosuch.sock"
    p = ok(tool(ctl, "-n", "apply", sample(tmp_path, "web1.xml")))
    assert p.stdout == (f"fairnicctl -s {ctl} vnic add web1-0 mac {WEB1_MAC} vhost-user "
                        f"{tmp_path}/web1.sock rx-rate 100mbit rx-burst 128kb tx-rate 50mbit\n")
    assert p.stderr == ("fairnic-libvirt: note: " + NO_DAEMON.format(path=ctl)[17:-1] +
                        "; showing the commands for a fairnicd that has none of these vNICs\n")


# ------------------------------------------------------------------ errors

def bad_cases(tmp_path):
    """(file, needle): each must fail with exit 1 and that message."""
    web1 = lambda *e: sample(tmp_path, "web1.xml", edits=e, out="bad.xml")   # noqa: E731
    qos3 = lambda *e: sample(tmp_path, "qos3.xml", edits=e, out="bad.xml")   # noqa: E731
    where = "domain web1, interface 1 (web1-0)"
    notxml = tmp_path / "network.xml"
    notxml.write_text("<network><name>default</name><forward mode='nat'/></network>\n")
    empty = tmp_path / "empty.xml"
    empty.write_text("\n")
    cases = [
        (lambda: os.path.join(SAMPLES, "broken.xml"),
         f"{SAMPLES}/broken.xml: not well-formed XML: mismatched tag: line 9, column 6"),
        (lambda: str(notxml), f"{notxml}: the root element is <network>, expected <domain>"),
        (lambda: str(empty), f"{empty}: empty input: expected a libvirt domain XML"),
        (lambda: f"{tmp_path}/nosuch.xml", f"{tmp_path}/nosuch.xml: cannot read: No such file or directory"),
        (lambda: web1(("<name>web1</name>", "")), f"{tmp_path}/bad.xml: the domain has no <name>"),
        (lambda: web1(("mode='client'", "mode='server'")),
         f"{where}: <source mode='server'> makes QEMU the vhost-user server, but fairnicd is "
         "the server of its vhost-user sockets (QEMU connects to them): set mode='client'"),
        (lambda: web1((" mode='client'", "")),
         f"{where}: <source> needs mode='client' (QEMU connects to fairnicd's socket), not no mode"),
        (lambda: web1(("      <mac address='52:54:00:3a:5e:01'/>\n", "")),
         f"{where}: no <mac address='...'/>: fairnic needs the guest's MAC"),
        (lambda: web1(("52:54:00:3a:5e:01", "52:54:00:3a:5e")),
         f"{where}: <mac address='52:54:00:3a:5e'> is not a MAC address"),
        (lambda: web1((f" path='{tmp_path}/web1.sock'", "")),
         f"{where}: <source> has no path attribute"),
        (lambda: web1((f"path='{tmp_path}/web1.sock'", "path='web1.sock'")),
         f"{where}: <source path='web1.sock'> is not an absolute path"),
        (lambda: web1(("average='12500'", "average='100mbit'")),
         f"{where}: <inbound average='100mbit'>: not a whole number; libvirt's average is a "
         "plain number of kilobytes per second (1 = 1000 bytes/s = 8000 bit/s), without a unit"),
        (lambda: web1(("burst='128'", "burst='128k'")),
         f"{where}: <inbound burst='128k'>: not a whole number; libvirt's burst is a plain "
         "number of kilobytes (1 = 1024 bytes), without a unit"),
        (lambda: web1(("average='6250'", "average='-6250'")),
         f"{where}: <outbound average='-6250'>: not a whole number"),
        (lambda: web1(("<outbound average='6250'/>", "<outbound average='6250' floor='100'/>")),
         f"{where}: <outbound floor='100'>: libvirt allows floor on <inbound> only"),
        (lambda: web1(("<outbound average='6250'/>", "<outbound peak='6250'/>")),
         f"{where}: <outbound> needs an average attribute (or, inbound, a floor), as libvirt does"),
        (lambda: web1(("average='12500' burst='128'", "floor='100' burst='128'")),
         f"{where}: <inbound>: peak and burst need an average attribute"),
        (lambda: web1(("burst='128'", "burst='1'")),
         f"{where}: <inbound burst='1'> is 1024 bytes, less than one maximum frame (1518 bytes)"),
        (lambda: web1(("average='12500'", "average='2000000000'")),
         f"{where}: <inbound average='2000000000'> is 16tbit, above fairnic's largest rate (10tbit)"),
        (lambda: web1(("<outbound average='6250'/>", "<outbound average='6250'/><outbound average='1'/>")),
         f"{where}: more than one <outbound> in <bandwidth>"),
        (lambda: qos3(("floor='500'", "floor='2000'")),
         "domain qos3, interface 1 (qos3-net0): <inbound floor='2000'> (16mbit) is above "
         "average='1000' (8mbit): a guarantee cannot be above the ceiling"),
        (lambda: qos3(("<target dev='qos3-net0'/>", "<target dev='qos3-a-name-longer-than-31-chars'/>")),
         "domain qos3, interface 1: <target dev='qos3-a-name-longer-than-31-chars'> cannot be a "
         "vNIC name (1..31 characters of A-Z a-z 0-9 _ . -)"),
        (lambda: web1(("<name>web1</name>", "<name>web 1</name>")),
         "domain web 1, interface 1: the vNIC name derived from the domain's name, 'web 1-0', "
         "is not a valid vNIC name (1..31 characters of A-Z a-z 0-9 _ . -): give the interface "
         "a <target dev='NAME'/> with a valid name"),
        (lambda: sample(tmp_path, "db2.xml", out="bad.xml",
                        edits=[("52:54:00:DB:02:0B", "52:54:00:db:02:0A")]),
         "domain db2, interface 2 (db2-1) and domain db2, interface 1 (db2-front) have the "
         "same MAC, 52:54:00:db:02:0a"),
    ]
    return cases


def test_bad_input_fails_and_changes_nothing(daemon, tmp_path):
    d = daemon
    d.ctl.ok("vnic", "add", "other", "mac", "52:54:00:77:77:77", "vhost-user", d.sock("other"),
             "rx-rate", "10mbit")
    before = vnics(d)
    for make, needle in bad_cases(tmp_path):
        x = make()
        for mode in ("apply", "--dry-run apply"):
            p = tool(d.ctl_path, *mode.split(), x)
            assert p.returncode == 1, (needle, p)
            assert p.stdout == "", (needle, p.stdout)
            err = p.stderr.splitlines()
            assert err and err[-1].startswith(f"fairnic-libvirt: {needle}"), (needle, p.stderr)
        assert vnics(d) == before, needle


def test_name_or_path_clash(daemon, tmp_path):
    d = daemon
    x = sample(tmp_path, "web1.xml")
    where = "domain web1, interface 1 (web1-0)"
    d.ctl.ok("vnic", "add", "web1-0", "mac", "52:54:00:99:99:99", "vhost-user", d.sock("web1"))
    before = vnics(d)
    p = tool(d.ctl_path, "apply", x)
    assert (p.returncode, p.stdout) == (1, "")
    assert p.stderr == (f"fairnic-libvirt: {where}: a vnic named web1-0 already exists and is not "
                        "this interface's: it has mac 52:54:00:99:99:99, the interface has "
                        f"{WEB1_MAC}. Remove it first (fairnicctl vnic del web1-0), or give the "
                        "interface another <target dev='NAME'/>\n")
    p = tool(d.ctl_path, "remove", x)         # not ours: left alone
    assert (p.returncode, p.stdout) == (1, "")
    assert p.stderr == (f"fairnic-libvirt: {where}: vnic web1-0 not removed: it is not this "
                        f"interface's (it has mac 52:54:00:99:99:99, the interface has {WEB1_MAC})\n")
    assert vnics(d) == before
    # the same MAC, another socket
    d.ctl.ok("vnic", "del", "web1-0")
    d.ctl.ok("vnic", "add", "web1-0", "mac", WEB1_MAC, "vhost-user", d.sock("elsewhere"))
    p = tool(d.ctl_path, "apply", x)
    assert p.returncode == 1
    assert (f"its socket is {tmp_path}/elsewhere.sock, the interface's is {tmp_path}/web1.sock"
            in p.stderr), p.stderr
    assert vnics(d)["web1-0"]["path"] == f"{tmp_path}/elsewhere.sock"


def test_mac_clash_takes_back_the_run(daemon, tmp_path):
    """db2's second MAC belongs to another vNIC: fairnicd refuses it, and
    the first interface's vNIC, added by the same run, is deleted again."""
    d = daemon
    d.ctl.ok("vnic", "add", "other", "mac", "52:54:00:db:02:0b", "vhost-user", d.sock("other"))
    before = vnics(d)
    p = tool(d.ctl_path, "apply", sample(tmp_path, "db2.xml"))
    assert p.returncode == 1
    assert p.stderr == (
        "fairnic-libvirt: domain db2, interface 2 (db2-1): fairnicd refused `vnic add db2-1 mac "
        f"52:54:00:db:02:0b vhost-user {tmp_path}/db2-back.sock`: vnic add db2-1: mac "
        "52:54:00:db:02:0b is already used by vnic other on uplink up0 vlan none (the 1 "
        "change(s) already made by this run were taken back)\n")
    assert vnics(d) == before


def test_refused_update_restores_what_was_changed(daemon, tmp_path):
    """An update refused on the second interface (admission: the rx-min
    guarantees would exceed the uplink's rx-rate) puts the first one back
    as it was, rx-queue (reset by a new rx-rate) included."""
    d = daemon
    ok(tool(d.ctl_path, "apply", sample(tmp_path, "db2.xml")))
    d.ctl.ok("uplink", "set", "up0", "rx-rate", "300mbit")
    d.ctl.ok("vnic", "set", "db2-front", "rx-queue", "1mb")
    before = vnics(d)
    x = sample(tmp_path, "db2.xml", out="db2-new.xml", edits=[
        ("<inbound average='25000'/>", "<inbound average='12500' floor='12500'/>"),
        ("      <model type='virtio'/>\n    </interface>\n    <console",
         "      <model type='virtio'/>\n      <bandwidth><inbound floor='31250'/></bandwidth>\n"
         "    </interface>\n    <console")])
    p = tool(d.ctl_path, "apply", x)
    assert p.returncode == 1
    assert p.stdout == "db2-front: updated (rx-rate 200mbit -> 100mbit, rx-burst 250000b (default) " \
                       "-> 125000b (default), rx-min none -> 100mbit)\n"
    assert ("vnic set db2-1: rx-min 250Mbit would make the guarantees on uplink up0 add up to "
            "350Mbit, above its rx-rate 300Mbit (the 1 change(s) already made by this run were "
            "taken back)") in p.stderr, p.stderr
    assert vnics(d) == before
    assert before["db2-front"]["rx_queue"] == 1_048_576


def test_unreachable_daemon(tmp_path):
    x = sample(tmp_path, "web1.xml")
    ctl = f"{tmp_path}/nosuch.sock"
    for mode in ("apply", "remove"):
        p = tool(ctl, mode, x)
        assert (p.returncode, p.stdout) == (2, "")
        assert p.stderr == NO_DAEMON.format(path=ctl)
    # a socket file nobody listens on (a stopped fairnicd's)
    stale = f"{tmp_path}/stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    p = tool(stale, "apply", x)
    assert p.returncode == 2
    assert p.stderr.startswith(f"fairnic-libvirt: cannot reach fairnicd: nobody accepts "
                               f"connections on {stale}"), p.stderr


# -------------------------------------------------------------------- hook

def hook(ctl, xml, *args):
    return tool(ctl, "hook", "qemu", *args, stdin=xml)


def test_hook_lifecycle(daemon, tmp_path):
    """libvirt's qemu hook calls, in the order of a domain's life: the
    vNIC exists from prepare on, is gone after stopped; stdout stays empty
    (libvirt reads it as the XML on migrate and restore)."""
    d = daemon
    with open(sample(tmp_path, "web1.xml")) as f:
        xml = f.read()
    calls = [
        ("prepare begin -", ["web1-0"], WEB1_ADDED.format(tmp=tmp_path)),
        ("start begin -", ["web1-0"], "web1-0: unchanged\n"),
        ("started begin -", ["web1-0"], ""),
        ("migrate begin -", ["web1-0"], ""),
        ("restore begin -", ["web1-0"], ""),
        ("reconnect begin -", ["web1-0"], "web1-0: unchanged\n"),
        ("stopped end -", [], "web1-0: removed\n"),
        ("release end shutdown", [], "web1-0: not present\n"),
    ]
    for args, present, err in calls:
        p = hook(d.ctl_path, xml, "web1", *args.split())
        assert (p.returncode, p.stdout, p.stderr) == (0, "", err), (args, p)
        assert list(vnics(d)) == present, args
    p = tool(d.ctl_path, "hook", "lxc", "web1", "prepare", "begin", "-", stdin=xml)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    assert vnics(d) == {}


def test_hook_failures(tmp_path):
    """Without fairnicd, prepare fails (libvirt then refuses to start the
    domain and logs our stderr); reconnect never fails (libvirt would kill
    the running guest); a domain without vhost-user interfaces needs no
    fairnicd at all."""
    ctl = f"{tmp_path}/nosuch.sock"
    with open(sample(tmp_path, "web1.xml")) as f:
        xml = f.read()
    reason = NO_DAEMON.format(path=ctl)[len("fairnic-libvirt: "):]
    p = hook(ctl, xml, "web1", "prepare", "begin", "-")
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == f"fairnic-libvirt: web1 prepare begin: {reason}"
    p = hook(ctl, xml, "web1", "reconnect", "begin", "-")
    assert (p.returncode, p.stdout) == (0, "")
    assert p.stderr == f"fairnic-libvirt: web1 reconnect begin: {reason}"
    with open(sample(tmp_path, "mixed4.xml", edits=[("type='vhostuser'", "type='ethernet'")])) as f:
        plain = f.read()
    for op in ("prepare begin -", "stopped end -"):
        p = hook(ctl, plain, "mixed4", *op.split())
        assert (p.returncode, p.stdout, p.stderr) == (0, "", ""), (op, p)
    # an XML error stops the start, with the reason
    p = hook(ctl, xml.replace("mode='client'", "mode='server'"), "web1", "prepare", "begin", "-")
    assert p.returncode == 1 and p.stdout == ""
    assert "web1 prepare begin: domain web1, interface 1 (web1-0): <source mode='server'>" in p.stderr


def test_hook_script(daemon, tmp_path):
    """dist/libvirt-hook-qemu, run as libvirt runs it: minimal
    environment, domain XML on stdin."""
    d = daemon
    with open(sample(tmp_path, "web1.xml")) as f:
        xml = f.read()
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "FAIRNIC_CTL": d.ctl_path,
           "FAIRNIC_LIBVIRT": TOOL}

    def run(args, inp=xml, e=env):
        return subprocess.run([HOOK, *args.split()], input=inp, capture_output=True, text=True,
                              env=e, timeout=60)
    p = run("web1 prepare begin -")
    assert (p.returncode, p.stdout) == (0, ""), p
    v = vnics(d)
    assert list(v) == ["web1-0"] and v["web1-0"]["rx_rate"] == 100_000_000
    p = run("web1 migrate begin -")
    assert (p.returncode, p.stdout) == (0, ""), p
    p = run("web1 release end shutdown")
    assert (p.returncode, p.stdout) == (0, ""), p
    assert vnics(d) == {}
    # the tool missing: refuse the domains that need it, only those
    gone = dict(env, FAIRNIC_LIBVIRT=f"{tmp_path}/nosuch")
    p = run("web1 prepare begin -", e=gone)
    assert (p.returncode, p.stdout) == (1, "")
    assert p.stderr == (f"libvirt-hook-qemu: {tmp_path}/nosuch is missing: cannot give web1 "
                        "its fairnic vNICs\n")
    p = run("plain prepare begin -", inp=xml.replace("type='vhostuser'", "type='network'"), e=gone)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    p = run("web1 stopped end -", e=gone)
    assert (p.returncode, p.stdout) == (0, "")
