"""fairnicd --metrics (Prometheus text on GET /metrics) and the /fairnic/...
commands on DPDK's telemetry socket (docs/METRICS.md).

Traffic makes the counters non-zero (drops included), then, with nothing in
flight, a scrape and `stats` / `vnic show` / `uplink show` taken at the same
moment must agree on every value; the telemetry socket must give `stats`'s
own values too.
"""
import json
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from fairnic import FAIRNICD, Daemon, Traffic, wait_for
from test_datapath import OTHER, VM, WIRE, add_vnic, attach

# What `stats` shows per vNIC that is not a counter (FN_VNIC_GAUGES).
GAUGES = {"rx_queue_frames", "rx_queue_bytes", "rx_sojourn_us", "rx_sojourn_max_us",
          "rx_bps", "tx_bps", "rx_share", "tx_share", "rx_frames_per_notification",
          "rx_rate_pps", "rx_coalescing"}
# Keys of `vnic show` exported as fairnic_vnic_config_KEY.
CONFIG = ["rx_rate", "rx_burst", "rx_pps", "rx_pps_burst", "rx_min", "rx_weight",
          "rx_queue", "rx_police", "rx_coalesce_usecs", "rx_coalesce_frames",
          "rx_coalesce_adaptive", "tx_rate", "tx_burst", "tx_pps", "tx_pps_burst",
          "tx_min", "tx_weight", "local"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, method="GET", timeout=10):
    """(status, headers, body) of one request."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse(text):
    """{(name, frozenset(labels)): value}, HELP and TYPE lines apart."""
    samples, helps, types = {}, {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, h = line[7:].partition(" ")
            helps[name] = h
        elif line.startswith("# TYPE "):
            name, _, t = line[7:].partition(" ")
            types[name] = t
        else:
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            labels = {k: unescape(v) for k, v in LABEL.findall(m.group(2) or "")}
            key = (m.group(1), frozenset(labels.items()))
            assert key not in samples, f"duplicate sample {line!r}"
            samples[key] = float(m.group(3))
    return samples, helps, types


def num(v):
    """A JSON value as the exposition format gives it."""
    return float(int(v)) if isinstance(v, bool) else float(v)


class Metrics:
    def __init__(self, url):
        self.url = url

    def scrape(self):
        status, headers, body = http(self.url)
        assert status == 200, (status, body)
        assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        return body


def start(tmp_path, addr=None):
    port = free_port()
    addr = addr or f"127.0.0.1:{port}"
    d = Daemon(tmp_path, extra=["--metrics", addr])
    host = addr.rsplit(":", 1)[0]
    return d, Metrics(f"http://{host}:{addr.rsplit(':', 1)[1]}/metrics")


@pytest.fixture
def metered(tmp_path):
    d, m = start(tmp_path)
    t = Traffic()
    yield d, t, m
    t.close()
    assert d.stop() == 0, d.logtext()


def make_traffic(d, t):
    """vm1 policed (rate drops), vm2 shaped and sending (a spoof too), vm3
    with no guest; misses and runts on the wire. Returns what vm1 got."""
    add_vnic(d, 1, "rx-pps", "1000", "rx-pps-burst", "50", "rx-police", "on")
    add_vnic(d, 2, "rx-rate", "50mbit", "rx-min", "10mbit", "tx-weight", "3", "vlan", "7")
    add_vnic(d, 3, "local", "off")
    t.attach_wire(d, "wire", "up0", mac=WIRE)
    attach(d, t, 1)
    attach(d, t, 2)
    t.ok(f"send wire count=200 dst={VM[1]} src={WIRE} len=100")
    t.ok(f"send wire count=30 dst={VM[2]} src={WIRE} vlan=7")
    t.ok(f"send wire count=10 dst={VM[3]} src={WIRE}")
    t.ok(f"send wire count=7 dst={OTHER} src={WIRE}")
    t.ok("send wire count=3 hex=52540000000102000000")          # runts
    t.ok(f"send v2 count=5 dst={OTHER} src={VM[1]}")             # spoofed
    t.ok(f"send v2 count=12 dst={OTHER} src={VM[2]}")
    assert t.ok("recv v2 until=30")["packets"] == 30
    assert t.ok("recv wire until=12")["packets"] == 12
    got = t.ok("recv v1 ms=300")["packets"]
    wait_for(lambda: d.ctl.vnic_stats("vm3")["rx_drop_not_connected"] == 10, 5, "vm3 drops")
    wait_for(lambda: d.ctl.uplink_stats("up0")["rx_drop_malformed"] == 3, 5, "runts")
    return got


def quiesce(d):
    """No traffic in flight, and rates measured over a silent second (so
    that they do not depend on the instant they are read)."""
    def still():
        s = d.ctl.ok("stats")
        return all(v["rx_bps"] == 0 and v["tx_bps"] == 0 and v["rx_queue_frames"] == 0
                   for v in s["vnics"])
    wait_for(still, 10, "rates back to 0", interval=0.5)


def at_once(d, m):
    """A scrape and the control plane's view at the same moment."""
    text = m.scrape()
    return (text, d.ctl.ok("stats"), d.ctl.ok("vnic", "show")["vnics"],
            d.ctl.ok("uplink", "show")["uplinks"])


def expected(stats, shown, ushown):
    """Every sample the scrape must hold, from the control plane's JSON."""
    exp = {}

    def put(name, value, **labels):
        if value is not None:
            exp[(name, frozenset(labels.items()))] = num(value)

    uplink_of = {v["name"]: v["uplink"] for v in shown}
    for v in stats["vnics"]:
        lab = {"vnic": v["name"], "uplink": uplink_of[v["name"]]}
        for k, val in v.items():
            if k in ("name", "mac"):
                continue
            if k in GAUGES and k.endswith("_us"):
                put(f"fairnic_vnic_{k[:-3]}_seconds", None if val is None else val / 1e6, **lab)
            elif k in GAUGES:
                put(f"fairnic_vnic_{k}", val, **lab)
            elif k.startswith(("rx_drop_", "tx_drop_")):
                put(f"fairnic_vnic_{k[:2]}_drops_total", val, reason=k[8:], **lab)
            else:
                put(f"fairnic_vnic_{k}_total", val, **lab)
    for v in shown:
        lab = {"vnic": v["name"], "uplink": v["uplink"]}
        put("fairnic_vnic_connected", v["connected"], **lab)
        for k in CONFIG:
            put(f"fairnic_vnic_config_{k}", v[k], **lab)
        vlan = "none" if v["vlan"] is None else str(v["vlan"])
        put("fairnic_vnic_info", 1, mac=v["mac"], backend=v["backend"], vlan=vlan, **lab)
    for u in stats["uplinks"]:
        for k, val in u.items():
            if k == "name":
                continue
            if k.startswith(("rx_drop_", "tx_drop_")):
                put(f"fairnic_uplink_{k[:2]}_drops_total", val, uplink=u["name"], reason=k[8:])
            else:
                put(f"fairnic_uplink_{k}_total", val, uplink=u["name"])
    for u in ushown:
        put("fairnic_uplink_link_up", u["link"], uplink=u["name"])
        put("fairnic_uplink_link_speed_mbps", u["speed_mbps"], uplink=u["name"])
        for k in ("rx_rate", "tx_rate", "tx_rate_auto"):
            put(f"fairnic_uplink_config_{k}", u[k], uplink=u["name"])
    put("fairnic_pool_buffers", stats["pool"]["size"])
    put("fairnic_pool_buffers_in_use", stats["pool"]["in_use"])
    return exp


def test_scrape_matches_stats(metered):
    d, t, m = metered
    got1 = make_traffic(d, t)
    quiesce(d)
    text, stats, shown, ushown = at_once(d, m)
    samples, helps, types = parse(text)

    # the control plane's JSON, sample for sample: nothing more, nothing less
    exp = expected(stats, shown, ushown)
    assert set(samples) == set(exp), (set(samples) ^ set(exp))
    for key, v in exp.items():
        assert samples[key] == v, (key, samples[key], v)

    # and what the traffic did, exactly
    def s(name, **labels):
        return samples[(name, frozenset(labels.items()))]
    v1 = {"vnic": "vm1", "uplink": "up0"}
    v2 = {"vnic": "vm2", "uplink": "up0"}
    v3 = {"vnic": "vm3", "uplink": "up0"}
    assert s("fairnic_vnic_rx_packets_total", **v1) == got1
    assert 50 <= got1 < 200
    assert s("fairnic_vnic_rx_drops_total", reason="rate", **v1) == 200 - got1
    assert s("fairnic_vnic_rx_packets_total", **v2) == 30
    assert s("fairnic_vnic_tx_packets_total", **v2) == 12
    assert s("fairnic_vnic_tx_drops_total", reason="spoof", **v2) == 5
    assert s("fairnic_vnic_rx_drops_total", reason="not_connected", **v3) == 10
    assert s("fairnic_uplink_rx_drops_total", uplink="up0", reason="no_vnic") == 7
    assert s("fairnic_uplink_rx_drops_total", uplink="up0", reason="malformed") == 3
    assert s("fairnic_uplink_tx_packets_total", uplink="up0") == 12
    # every frame from the wire, the ones then dropped too
    assert s("fairnic_uplink_rx_packets_total", uplink="up0") == 200 + 30 + 10 + 7 + 3
    assert s("fairnic_vnic_connected", **v1) == 1 and s("fairnic_vnic_connected", **v3) == 0
    assert s("fairnic_vnic_config_rx_rate", **v2) == 50e6
    assert s("fairnic_vnic_config_rx_min", **v2) == 10e6
    assert s("fairnic_vnic_config_tx_weight", **v2) == 3
    assert s("fairnic_vnic_config_rx_pps", **v1) == 1000
    assert s("fairnic_vnic_config_rx_police", **v1) == 1
    assert s("fairnic_vnic_config_local", **v3) == 0
    assert s("fairnic_vnic_info", mac=VM[2], backend="vhost-user", vlan="7", **v2) == 1
    assert s("fairnic_uplink_link_up", uplink="up0") == 1
    assert s("fairnic_pool_buffers") == 65535

    # HELP from the same text as the docs; a TYPE for every family
    assert helps["fairnic_vnic_rx_packets_total"] == "frames delivered into the guest's receive queue"
    assert "spoof: the guest sent from a MAC that is not its own, or a tagged frame" \
        in helps["fairnic_vnic_tx_drops_total"]
    assert "rate: rx-police on: above rx-rate/rx-pps at arrival" in helps["fairnic_vnic_rx_drops_total"]
    families = {name for name, _ in samples}
    assert families == set(types)
    for name in families:
        assert types[name] == ("counter" if name.endswith("_total") else "gauge"), name

    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r


def test_rates_and_shares(metered):
    """rx_bps and the shares are exported as `stats` measures them."""
    d, t, m = metered
    for n in (1, 2):
        add_vnic(d, n)
    t.attach_wire(d, "wire", "up0", mac=WIRE)
    attach(d, t, 1)
    attach(d, t, 2)
    d.ctl.ok("stats")                               # the first rate snapshot
    t.ok(f"send wire count=300 dst={VM[1]} src={WIRE} len=1000")
    t.ok(f"send wire count=100 dst={VM[2]} src={WIRE} len=1000")
    assert t.ok("recv v1 until=300")["packets"] == 300
    assert t.ok("recv v2 until=100")["packets"] == 100
    time.sleep(1.1)                                 # the next snapshot is due
    samples, _, _ = parse(m.scrape())
    after = d.ctl.ok("stats")["vnics"]

    def s(name, n):
        return samples[(name, frozenset({"vnic": f"vm{n}", "uplink": "up0"}.items()))]
    bps1, bps2 = s("fairnic_vnic_rx_bps", 1), s("fairnic_vnic_rx_bps", 2)
    # 300 and 100 frames of 1000 bytes over 1.1 to 5 s
    assert 300 * 8000 / 5 < bps1 <= 300 * 8000 / 1.1
    assert bps1 == pytest.approx(3 * bps2, rel=0.01)
    assert s("fairnic_vnic_rx_share", 1) == pytest.approx(0.75, abs=0.01)
    assert s("fairnic_vnic_rx_share", 2) == pytest.approx(0.25, abs=0.01)
    # `stats` right after measures from the same snapshot, a little later
    assert 0.8 * bps1 <= after[0]["rx_bps"] <= bps1


def test_scraping_during_traffic_loses_nothing(metered):
    """Scrapes read counters only: a flood of scrapes while frames flow
    leaves every frame delivered and counted."""
    d, t, m = metered
    add_vnic(d, 1)
    t.attach_wire(d, "wire", "up0", mac=WIRE)
    attach(d, t, 1)
    stop, scrapes = threading.Event(), []

    def scraper():
        while not stop.is_set():
            scrapes.append(m.scrape())
    th = threading.Thread(target=scraper)
    th.start()
    try:
        for _ in range(4):
            t.ok(f"send wire count=500 dst={VM[1]} src={WIRE}")
            assert t.ok("recv v1 until=500")["packets"] == 500
    finally:
        stop.set()
        th.join()
    assert len(scrapes) >= 2
    samples, _, _ = parse(m.scrape())
    lab = frozenset({"vnic": "vm1", "uplink": "up0"}.items())
    assert samples[("fairnic_vnic_rx_packets_total", lab)] == 2000
    assert d.ctl.vnic_stats("vm1")["rx_packets"] == 2000


def test_http_paths_methods_and_limits(metered):
    d, t, m = metered
    base = m.url[:-len("/metrics")]
    assert http(base + "/")[0] == 404
    assert http(base + "/metric")[0] == 404
    assert http(base + "/metrics/x")[0] == 404
    status, headers, _ = http(m.url, "POST")
    assert status == 405 and headers["Allow"] == "GET"
    assert http(m.url, "DELETE")[0] == 405
    assert http(m.url + "?x=1")[0] == 200          # the query is not the path

    # 16 connections at once: the 17th waits unserved until one closes
    host, port = base[len("http://"):].rsplit(":", 1)
    idle = [socket.create_connection((host, int(port))) for _ in range(16)]
    try:
        time.sleep(0.5)
        with pytest.raises(OSError):            # timed out
            http(m.url, timeout=2)
    finally:
        for s in idle:
            s.close()
    assert http(m.url)[0] == 200

    # an idle connection is closed after the 10 s timeout
    with socket.create_connection((host, int(port))) as s:
        s.settimeout(20)
        t0 = time.monotonic()
        assert s.recv(100) == b""
        assert 8 <= time.monotonic() - t0 <= 15


def test_ipv6(tmp_path):
    d, m = start(tmp_path, f"[::1]:{free_port()}")
    try:
        d.ctl.ok("vnic", "add", "vm1", "mac", VM[1], "vhost-user", d.sock("vm1"))
        samples, _, _ = parse(m.scrape())
        lab = frozenset({"vnic": "vm1", "uplink": "up0"}.items())
        assert samples[("fairnic_vnic_rx_packets_total", lab)] == 0
        assert samples[("fairnic_vnic_config_rx_weight", lab)] == 1
        assert "metrics on http://[::1]:" in d.logtext()
    finally:
        assert d.stop() == 0


@pytest.mark.parametrize("value,why", [
    ("localhost:9469", '"localhost" is not an IPv4 address'),
    ("::1:9469", '"::1" is not an IPv4 address'),
    ("[127.0.0.1]:9469", '"127.0.0.1" is not an IPv6 address'),
    ("127.0.0.1", "want IPV4:PORT or [IPV6]:PORT"),
    ("127.0.0.1:0", "want IPV4:PORT or [IPV6]:PORT"),
    ("127.0.0.1:65536", "want IPV4:PORT or [IPV6]:PORT"),
    ("127.0.0.1:94x", "want IPV4:PORT or [IPV6]:PORT"),
    ("[::1]9469", "want IPV4:PORT or [IPV6]:PORT"),
    ("", "want IPV4:PORT or [IPV6]:PORT"),
])
def test_bad_metrics_value_stops_start_up(tmp_path, value, why):
    r = subprocess.run([FAIRNICD, "--ctl", str(tmp_path / "ctl.sock"), "--metrics", value],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r
    assert f'fairnicd: --metrics: bad value "{value}": {why}' in r.stderr, r.stderr
    assert not (tmp_path / "ctl.sock").exists()


def test_port_taken_stops_start_up(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        with pytest.raises(AssertionError):
            Daemon(tmp_path, extra=["--metrics", f"127.0.0.1:{port}"])
    log = open(tmp_path / "fairnicd.log").read()
    assert f"fairnicd: --metrics 127.0.0.1:{port}: cannot listen: Address already in use" in log
    assert not (tmp_path / "ctl.sock").exists()


class Telemetry:
    """A client of DPDK's telemetry socket (what dpdk-telemetry.py does)."""

    def __init__(self, prefix):
        path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.connect(path)
        hello = json.loads(self.s.recv(16384))
        self.max = hello["max_output_len"]

    def __call__(self, cmd):
        self.s.send(cmd.encode())
        reply = json.loads(self.s.recv(self.max))
        return reply[cmd.split(",")[0]]

    def close(self):
        self.s.close()


def tel_value(v):
    """A `stats` JSON value as telemetry gives it (true/false as 1/0)."""
    return int(v) if isinstance(v, bool) else v


def test_telemetry_gives_the_same_stats(metered):
    d, t, m = metered
    make_traffic(d, t)
    quiesce(d)
    tel = Telemetry(d.prefix)
    try:
        for n in (1, 2, 3):
            got = tel(f"/fairnic/stats,vm{n}")
            want = d.ctl.vnic_stats(f"vm{n}")
            shown = d.ctl.ok("vnic", "show", f"vm{n}")["vnics"][0]
            assert set(got) == set(want) | {"uplink", "connected"}, set(got) ^ set(want)
            for k, v in want.items():
                if isinstance(v, float):
                    assert float(got[k]) == v, (k, got[k], v)
                else:
                    assert got[k] == tel_value(v), (k, got[k], v)
            assert got["uplink"] == "up0" and got["connected"] == int(shown["connected"])
        assert tel("/fairnic/stats,vm2")["tx_drop_spoof"] == 5
        assert tel("/fairnic/stats,vm3")["rx_drop_not_connected"] == 10
        assert tel("/fairnic/stats,nope") is None

        stats = d.ctl.ok("stats")
        assert tel("/fairnic/stats") == {"pool_size": 65535,
                                         "pool_in_use": stats["pool"]["in_use"],
                                         "vnics": 3, "uplinks": ["up0"]}
        up = tel("/fairnic/uplink_stats,up0")
        want = dict(d.ctl.uplink_stats("up0"))
        shown = d.ctl.ok("uplink", "show")["uplinks"][0]
        for k in ("link", "speed_mbps", "rx_rate", "tx_rate", "tx_rate_auto"):
            want[k] = tel_value(shown[k])
        assert up == want
        assert up["rx_drop_no_vnic"] == 7
        assert tel("/fairnic/uplink_stats,nope") is None

        assert tel("/fairnic/vnics") == ["vm1", "vm2", "vm3"]
        assert tel("/fairnic/vnics,1") == ["vm2", "vm3"]
        assert tel("/fairnic/vnics,3") == []
        assert tel("/fairnic/vnics,x") is None
    finally:
        tel.close()


def test_telemetry_vnic_list_pages(tmp_path):
    """More names than fit one reply: pages from FIRST give each once."""
    d = Daemon(tmp_path, extra=["--max-vnics", "700"])
    tel = None
    try:
        names = [f"vnic-with-a-much-longer-na-{i:04d}" for i in range(600)]   # 31 chars
        for i, name in enumerate(names):
            d.ctl.ok("vnic", "add", name, "mac", f"52:54:00:00:{i >> 8:02x}:{i & 255:02x}",
                     "vhost-user", d.sock(f"s{i}"))
        tel = Telemetry(d.prefix)
        got, pages = [], 0
        while len(got) < len(names):
            page = tel(f"/fairnic/vnics,{len(got)}")
            assert page, f"empty page at {len(got)}"
            assert len(json.dumps({"/fairnic/vnics": page})) <= tel.max
            got += page
            pages += 1
        assert got == names and pages >= 2
    finally:
        if tel:
            tel.close()
        assert d.stop() == 0
