#!/usr/bin/env python3
"""The test guest's TCP peer, run inside the test's network namespace
(on the far side of fairnic's tap uplink). See tests/guest/init.

For each round r (1..ROUNDS), once the file DIR/go.r exists:
  5000: accept, send "r\\n", close            (tells the guest to start)
  5001: accept, send payload(r, SIZE), close  (the guest's download)
  5002: accept, read to EOF                   (the guest's upload)
then write DIR/result.r (JSON): the sha256 of what was sent and received.
UDP 53: a tiny DNS server answering every A query with DNS_ANSWER (the
guest's UDP round trip: busybox nslookup), counted in DIR/dns.
DIR/ready is written once the ports listen. Errors go to DIR/peer.err.
"""
import argparse
import hashlib
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import traceback

DNS_ANSWER = "10.99.0.77"


def payload(r, size):
    """The deterministic data of round r (the test recomputes it)."""
    return random.Random(1000 + r).randbytes(size)


def write_json(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f)
    os.rename(path + ".tmp", path)


def listener(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4)
    return s


def dns_server(addr, d):
    """Answer A queries with DNS_ANSWER, other types with no answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    n = 0
    while True:
        q, src = s.recvfrom(512)
        if len(q) < 12:
            continue
        qid, _, qd = struct.unpack("!HHH", q[:6])
        end = 12
        while end < len(q) and q[end]:
            end += q[end] + 1
        question = q[12:end + 5]
        qtype = struct.unpack("!H", q[end + 1:end + 3])[0] if end + 3 <= len(q) else 0
        an = 1 if qtype == 1 else 0
        r = struct.pack("!HHHHHH", qid, 0x8180, 1, an, 0, 0) + question
        if an:
            r += struct.pack("!HHHIH", 0xc00c, 1, 1, 60, 4) + socket.inet_aton(DNS_ANSWER)
        s.sendto(r, src)
        n += 1
        write_json(os.path.join(d, "dns"), {"answered": n})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--addr", default="10.99.0.1")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--size", type=int, default=2 << 20)
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    ls = {p: listener(a.addr, p) for p in (5000, 5001, 5002)}
    threading.Thread(target=dns_server, args=(a.addr, a.dir), daemon=True).start()
    for s in ls.values():
        s.settimeout(a.timeout)
    write_json(os.path.join(a.dir, "ready"), {"pid": os.getpid()})
    for r in range(1, a.rounds + 1):
        deadline = time.monotonic() + a.timeout
        while not os.path.exists(os.path.join(a.dir, f"go.{r}")):
            if time.monotonic() > deadline:
                raise SystemExit(f"no go.{r} within {a.timeout}s")
            time.sleep(0.05)
        c, _ = ls[5000].accept()
        c.sendall(f"{r}\n".encode())
        c.close()

        data = payload(r, a.size)
        c, peer = ls[5001].accept()
        c.settimeout(a.timeout)
        c.sendall(data)
        c.close()           # the kernel still delivers what is queued

        c, _ = ls[5002].accept()
        c.settimeout(a.timeout)
        h, n = hashlib.sha256(), 0
        t0 = time.monotonic()
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            h.update(b)
            n += len(b)
        t_up = time.monotonic() - t0
        c.close()
        write_json(os.path.join(a.dir, f"result.{r}"), {
            "round": r, "guest": peer[0], "sent_sha256": hashlib.sha256(data).hexdigest(),
            "sent_bytes": len(data), "recv_sha256": h.hexdigest(), "recv_bytes": n,
            "up_s": t_up})
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BaseException:
        d = sys.argv[sys.argv.index("--dir") + 1] if "--dir" in sys.argv else "/tmp"
        with open(os.path.join(d, "peer.err"), "w") as f:
            traceback.print_exc(file=f)
        raise
