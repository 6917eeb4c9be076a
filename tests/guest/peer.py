#!/usr/bin/env python3
"""The test guest's TCP peer, run inside the test's network namespace
(on the far side of fairnic's tap uplink). See tests/guest/init.

For each round r (1..ROUNDS), once the file DIR/go.r exists:
  5000: accept, send "r\\n", close            (tells the guest to start)
  5001: accept, send payload(r, SIZE), close  (the guest's download)
  5002: accept, read to EOF                   (the guest's upload)
then write DIR/result.r (JSON): the sha256 of what was sent and received.
DIR/ready is written once the ports listen. Errors go to DIR/peer.err.
"""
import argparse
import hashlib
import json
import os
import random
import socket
import sys
import time
import traceback


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--addr", default="10.99.0.1")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--size", type=int, default=2 << 20)
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    ls = {p: listener(a.addr, p) for p in (5000, 5001, 5002)}
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
