"""A real Linux guest's TCP through fairnic, end to end.

    peer.py (netns, 10.99.0.1) -- tap -- fairnicd uplink up0 (net_tap)
        -- vNIC g1 (vhost-user) -- QEMU virtio-net-pci -- Debian kernel +
        busybox initramfs (tests/guest/init, 10.99.0.2)

The guest pings the peer (ARP and ICMP both ways through fairnic), then
runs TCP rounds: it downloads 4 MiB of deterministic data, prints its
sha256 on the serial console, and uploads it back; the peer hashes what it
sent and what it got. Round 1 is unlimited; round 2 runs with
`rx-rate 20mbit` on g1 and the default shaping (a receive queue with
CoDel): TCP must get at least 85 % of the limit, and pings from the peer
meanwhile must all come back; round 3 runs the same with `rx-police on`,
measured for comparison.

Needs qemu-system-x86, a kernel image with virtio modules (linux-image-amd64)
and busybox-static (scripts/setup.sh installs them). The accelerator is chosen
by evidence (choose_accel): KVM only when a probe boot under KVM reaches the
kernel's first line within a deadline; `/dev/kvm` can exist on a nested
hypervisor that cannot run an ordinary guest. FAIRNIC_GUEST_ACCEL=kvm|tcg
forces one.
"""
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from fairnic import ROOT, Daemon, wait_for

GUEST_DIR = os.path.join(ROOT, "tests", "guest")
BUILD_INITRAMFS = os.path.join(GUEST_DIR, "build_initramfs.py")
PEER = os.path.join(GUEST_DIR, "peer.py")
QEMU = "qemu-system-x86_64"
BUSYBOX = "/bin/busybox"      # busybox-static: the guest's userland, and ping

GUEST_MAC = "52:54:00:00:00:42"
PEER_IP, GUEST_IP = "10.99.0.1", "10.99.0.2"
SIZE = 4 << 20
ROUNDS = 3
LIMITED_RATE = 20e6          # rounds 2 and 3: vnic set g1 rx-rate 20mbit
ECHOES = 20                  # pings from the peer during rounds 2 and 3
BOOT_TIMEOUT = 240           # TCG boot of a distribution kernel on a busy core
KVM_PROBE_TIMEOUT = 10       # KVM prints "Linux version" in well under a second
ROUND_TIMEOUT = 180

# virtio-net feature bits fairnicd must have turned off
VIRTIO_OFFLOADS = {"CSUM": 0, "GUEST_CSUM": 1, "GUEST_TSO4": 7, "GUEST_TSO6": 8,
                   "GUEST_UFO": 10, "HOST_TSO4": 11, "HOST_TSO6": 12, "HOST_UFO": 14}


def expected_payload(r):
    """What peer.py sends in round r."""
    return random.Random(1000 + r).randbytes(SIZE)


def run(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


@pytest.fixture
def kernel():
    """(kver, vmlinuz), or skip when the guest cannot be built."""
    missing = []
    if shutil.which(QEMU) is None:
        missing.append("qemu-system-x86")
    k = run(sys.executable, BUILD_INITRAMFS, "--find-kernel", check=False)
    if k.returncode != 0:
        missing.append("linux-image-amd64")
    if not os.path.exists(BUSYBOX):
        missing.append("busybox-static")
    if missing:
        pytest.skip("not installed: " + " ".join(missing) + " (scripts/setup.sh installs them)")
    return k.stdout.split()


def kvm_probe(vmlinuz, timeout=KVM_PROBE_TIMEOUT):
    """Boot the kernel under KVM until its first line ("Linux version ...")
    reaches the serial console. @return (usable, why)."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "/dev/kvm is absent or not accessible"
    args = [QEMU, "-machine", "pc,accel=kvm", "-cpu", "host", "-smp", "1", "-m", "128",
            "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
            "-kernel", vmlinuz, "-append", "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1"]
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = b""
    t0 = time.monotonic()
    try:
        os.set_blocking(p.stdout.fileno(), False)
        while time.monotonic() - t0 < timeout:
            chunk = p.stdout.read()
            if chunk:
                out += chunk
            if b"Linux version" in out:
                return True, f"a KVM probe boot printed the kernel's first line in " \
                             f"{time.monotonic() - t0:.1f}s"
            if p.poll() is not None:
                out += p.stdout.read() or b""
                last = out.decode(errors="replace").strip().splitlines()[-1:] or ["nothing"]
                return False, f"QEMU with KVM exited ({p.returncode}) during the probe: {last[0]}"
            time.sleep(0.05)
        text = " / ".join(l.strip() for l in out.decode(errors="replace").splitlines()
                          if l.strip() and not l.startswith("\x1b"))[-200:]
        return False, f"/dev/kvm exists but a KVM probe boot printed no kernel line in " \
                      f"{timeout}s (console: {text!r})"
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


def choose_accel(vmlinuz):
    """("kvm" | "tcg", why). FAIRNIC_GUEST_ACCEL=kvm|tcg forces one."""
    forced = os.environ.get("FAIRNIC_GUEST_ACCEL", "").strip().lower()
    if forced:
        assert forced in ("kvm", "tcg"), f"FAIRNIC_GUEST_ACCEL must be kvm or tcg, not {forced!r}"
        return forced, "forced by FAIRNIC_GUEST_ACCEL"
    usable, why = kvm_probe(vmlinuz)
    return ("kvm" if usable else "tcg"), why


class Guest:
    """QEMU with the serial console in a log file."""

    def __init__(self, tmp, sock, kver, vmlinuz, accel):
        self.tmp = tmp
        self.initrd = os.path.join(tmp, "initrd.gz")
        self.modules = run(sys.executable, BUILD_INITRAMFS, "--kver", kver,
                           "--out", self.initrd).stdout.split()
        self.kvm = accel == "kvm"
        self.log_path = os.path.join(tmp, "guest.log")
        # FAIRNIC_GUEST_VERBOSE=1: all kernel messages on the console
        quiet = "loglevel=7" if os.environ.get("FAIRNIC_GUEST_VERBOSE") else "quiet loglevel=4"
        append = (f"console=ttyS0 panic=-1 {quiet} fn_ip={GUEST_IP}/24 "
                  f"fn_peer={PEER_IP} fn_mac={GUEST_MAC} fn_size={SIZE} fn_rounds={ROUNDS}")
        args = [QEMU, "-machine", "pc,accel=" + ("kvm" if self.kvm else "tcg"),
                "-cpu", "host" if self.kvm else "max", "-smp", "1",
                "-m", "256", "-object", "memory-backend-memfd,id=mem,size=256M,share=on",
                "-numa", "node,memdev=mem",
                "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
                "-kernel", vmlinuz, "-initrd", self.initrd, "-append", append,
                "-chardev", f"socket,id=c0,path={sock}",
                "-netdev", "vhost-user,id=n0,chardev=c0",
                "-device", f"virtio-net-pci,netdev=n0,mac={GUEST_MAC},romfile="
                + ("" if self.kvm else ",vectors=0")]
        # vectors=0 (INTx instead of MSI-X) under TCG: QEMU 7.2 (Debian 12)
        # segfaults (SIGSEGV at address 0x28) as soon as the guest driver
        # starts a vhost-user virtio-net-pci device with MSI-X without KVM:
        # vhost_net_start -> virtio_pci_set_guest_notifiers ->
        # msix_set_vector_notifiers -> vector unmask indexes
        # proxy->vector_irqfd, which is only allocated with KVM irqfds.
        # QEMU stays off fairnicd's polling data-plane core (CPU 1, see Daemon).
        cpus = os.sched_getaffinity(0) - {1}
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        self.t0 = time.monotonic()

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def lines(self, tag):
        return [l.strip() for l in self.text().splitlines() if l.startswith("GUEST-" + tag)]

    def wait_line(self, tag, timeout, daemon, count=1):
        """The count-th line tagged GUEST-tag, waiting while QEMU and
        fairnicd live."""
        def found():
            got = self.lines(tag)
            if len(got) >= count:
                return got
            assert self.proc.poll() is None, f"QEMU exited ({self.proc.returncode}) " \
                f"before GUEST-{tag}:\n{self.text()[-4000:]}"
            assert daemon.alive(), "fairnicd died:\n" + daemon.logtext()
            return None
        try:
            return wait_for(found, timeout, f"GUEST-{tag}", interval=0.2)[count - 1]
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- guest console ---\n{self.text()[-4000:]}\n"
                                 f"--- fairnicd stats ---\n{json.dumps(daemon.ctl.stats())}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


@pytest.fixture
def guest_net(tmp_path):
    """A network namespace holding fairnicd's tap uplink as 10.99.0.1/24."""
    tag = uuid.uuid4().hex[:6]
    ns, tap = f"fnguest{tag}", f"fnup{tag}"
    d = None
    run("ip", "netns", "add", ns)
    try:
        d = Daemon(tmp_path, uplinks=(), extra=("--uplink", f"up0=net_tap0,iface={tap}"))
        wait_for(lambda: os.path.exists(f"/sys/class/net/{tap}"), 10, "tap uplink")
        run("ip", "link", "set", tap, "netns", ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "-n", ns, "addr", "add", f"{PEER_IP}/24", "dev", tap)
        run("ip", "-n", ns, "link", "set", tap, "up")
        yield d, ns, tap
    finally:
        if d is not None:
            d.stop()
        run("ip", "netns", "delete", ns, check=False)


def snmp_tcp(lines):
    """{counter: value} from the two "Tcp:" lines of /proc/net/snmp."""
    tcp = [l.split()[1:] for l in lines if l.split()[:1] == ["Tcp:"]]
    return dict(zip(tcp[0], map(int, tcp[1])))


def parse_result(line):
    # GUEST-RESULT r ok sha256=.. bytes=.. down_cs=.. up_cs=.. rc=a,b
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[3:])
    return {"round": int(f[1]), "status": f[2], "sha256": kv["sha256"], "bytes": int(kv["bytes"]),
            "down_s": int(kv["down_cs"]) / 100, "up_s": int(kv["up_cs"]) / 100}


def test_linux_guest_tcp(tmp_path, kernel, guest_net, capsys):
    kver, vmlinuz = kernel
    accel, why = choose_accel(vmlinuz)
    with capsys.disabled():     # shown in the test log whether the test passes or not
        print(f"\nguest accelerator: {accel} ({why})")
    d, ns, tap = guest_net
    tmp = str(tmp_path)
    sock = d.sock("g1")
    # the L3 guard on, as on a multi-tenant host: the guest's own IPv4
    # address and an IPv6 one (so its EUI-64 link-local address is allowed)
    d.ctl.ok("vnic", "add", "g1", "mac", GUEST_MAC, "vhost-user", sock,
             "ip", f"{GUEST_IP},fd00:99::2")

    peer = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, PEER, "--dir", tmp,
                             "--addr", PEER_IP, "--rounds", str(ROUNDS), "--size", str(SIZE)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    g = None
    try:
        wait_for(lambda: os.path.exists(os.path.join(tmp, "ready")) or peer.poll() is not None,
                 20, "peer listening")
        assert peer.poll() is None, "peer failed: " + open(os.path.join(tmp, "peer.err")).read()

        g = Guest(tmp, sock, kver, vmlinuz, accel)
        print(f"guest: kernel {kver}, {accel} ({why}), modules {g.modules}")
        # boot, NIC up, offloads off, ARP + ICMP to the peer
        g.wait_line("PING", BOOT_TIMEOUT, d)
        boot_s = time.monotonic() - g.t0
        assert d.ctl.ok("vnic", "show", "g1")["vnics"][0]["connected"]
        assert g.lines("PING")[-1].startswith("GUEST-PING ok"), g.text()
        assert not g.lines("ERROR"), g.lines("ERROR")
        # the DNS question follows the pings: wait for its line
        g.wait_line("UDP", BOOT_TIMEOUT, d)
        assert g.lines("UDP")[-1].startswith("GUEST-UDP ok"), g.text()
        bits = g.lines("FEATURES")[-1].split()[1]
        on = [n for n, b in VIRTIO_OFFLOADS.items() if b < len(bits) and bits[b] == "1"]
        assert not on, f"offload features negotiated: {on} ({bits})"
        assert bits[5] == "1", "VIRTIO_NET_F_MAC not negotiated"
        # and the other way: the namespace pings the guest
        p = run("ip", "netns", "exec", ns, BUSYBOX, "ping", "-c", "2", "-W", "2", GUEST_IP,
                check=False)
        assert p.returncode == 0, p.stdout + p.stderr

        results = {}
        echoes = {}
        for r in range(1, ROUNDS + 1):
            if r >= 2:
                d.ctl.ok("stats", "reset", "g1")
                d.ctl.ok("vnic", "set", "g1", "rx-rate", "20mbit",
                         "rx-police", "off" if r == 2 else "on")
            open(os.path.join(tmp, f"go.{r}"), "w").close()
            pinger = None
            if r >= 2:      # small echoes beside the download, through the same queue
                pinger = subprocess.Popen(["ip", "netns", "exec", ns, BUSYBOX, "ping", "-c",
                                           str(ECHOES), "-i", "0.05", "-W", "2", GUEST_IP],
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            res = parse_result(g.wait_line("RESULT", ROUND_TIMEOUT, d, count=r))
            if pinger is not None:
                out = pinger.communicate(timeout=30)[0]
                got = [l for l in out.splitlines() if "packets received" in l]
                echoes[r] = int(got[0].split(",")[1].split()[0]) if got else 0
            rpath = os.path.join(tmp, f"result.{r}")
            wait_for(lambda: os.path.exists(rpath) or peer.poll() is not None, 30,
                     f"peer result {r}")
            assert os.path.exists(rpath), open(os.path.join(tmp, "peer.err")).read()
            with open(rpath) as f:
                pres = json.load(f)
            st = d.ctl.vnic_stats("g1")
            want = hashlib.sha256(expected_payload(r)).hexdigest()
            print(f"round {r}: guest {res}, peer up {pres['up_s']:.2f}s, g1 {st}")
            # what the guest got (download) and what came back (upload)
            assert res["status"] == "ok" and res["bytes"] == SIZE, res
            assert pres["sent_sha256"] == want
            assert res["sha256"] == want, "guest received different data"
            assert pres["recv_bytes"] == SIZE and pres["recv_sha256"] == want, \
                "peer received different data"
            # fairnic saw it all, and never dropped a guest frame
            assert st["rx_packets"] > SIZE // 1500 and st["tx_packets"] > SIZE // 1500, st
            for c in ("tx_drop_spoof", "tx_drop_malformed", "tx_drop_local_denied",
                      "tx_drop_uplink_full", "tx_drop_no_uplink", "tx_drop_ip_spoof",
                      "tx_drop_arp_spoof", "tx_drop_nd_spoof", "tx_drop_dhcp_server",
                      "tx_drop_ra", "tx_drop_l3_malformed"):
                assert st[c] == 0, (c, st)
            results[r] = (res, st)

        # round 2: shaped to 20 Mbit/s, TCP gets >= 85 % of it and no echo is lost;
        # round 3: policed, for comparison (TCP meets drops in bursts)
        rates = {r: SIZE * 8 / results[r][0]["down_s"] for r in (1, 2, 3)}
        for r, how in ((2, "shaped (default)"), (3, "policed (rx-police on)")):
            st = results[r][1]
            drops = {k: v for k, v in st.items() if k.startswith("rx_drop_") and v}
            print(f"round {r}, {how}: {rates[r] / 1e6:.1f} Mbit/s goodput "
                  f"({100 * rates[r] / LIMITED_RATE:.0f}% of 20 Mbit/s), echoes {echoes[r]}/{ECHOES}, "
                  f"drops {drops}")
        print(f"round 1, unlimited: {rates[1] / 1e6:.1f} Mbit/s")
        assert LIMITED_RATE * 0.85 <= rates[2] <= LIMITED_RATE * 1.1, rates
        assert echoes[2] == ECHOES, echoes
        assert rates[3] <= LIMITED_RATE * 1.1, rates
        assert results[3][1]["rx_drop_rate"] > 0 or rates[3] >= LIMITED_RATE * 0.85, results[3][1]

        # the guest powers off by itself
        g.wait_line("DONE", 30, d)
        wait_for(lambda: g.proc.poll() is not None, 30, "QEMU exit")
        # checksums: each side's kernel verified every segment it got
        guest_tcp = snmp_tcp([l.split(None, 1)[1] for l in g.lines("SNMP")])
        peer_tcp = snmp_tcp(run("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").stdout
                            .splitlines())
        print(f"boot to first ping {boot_s:.1f}s; TCP guest {guest_tcp}; peer {peer_tcp}")
        assert guest_tcp["InCsumErrors"] == 0 and guest_tcp["InErrs"] == 0, guest_tcp
        assert peer_tcp["InCsumErrors"] == 0 and peer_tcp["InErrs"] == 0, peer_tcp
        u = d.ctl.uplink_stats("up0")
        assert u["rx_packets"] > 0 and u["tx_packets"] > 0 and u["tx_drop_full"] == 0, u
    finally:
        if g is not None:
            g.stop()
        if peer.poll() is None:
            peer.kill()
        peer.wait()
