#!/usr/bin/python3
"""The mb-talos cache across requests and restarts, with curl as the client and the factory stand-in:
LRU eviction under a small talos.max_cache_size that spares a file being served, a warm restart served
without any upstream download, a corrupted entry detected at start and fetched again, a killed download
leaving no .part behind, and the `cache list|verify|prune` verbs."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from talos_factory_standin import Harness, decompress, header  # noqa: E402

DEFAULT_ID = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba"
SIZE = 16 << 20  # larger than loopback socket buffers, so a slow client keeps the file open
failures = []

# GET base+path with a 64 KiB receive buffer at about `rate` bytes/s; the body goes to `out`.
SLOW_CLIENT = """
import socket, sys, time, urllib.parse
base, path, out, rate = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlsplit(base)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.connect((u.hostname, u.port))
s.sendall(("GET %s HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n" % (path, u.netloc)).encode())
data, start = bytearray(), time.time()
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
    ahead = len(data) / rate - (time.time() - start)
    if ahead > 0:
        time.sleep(ahead)
head, _, body = bytes(data).partition(b"\\r\\n\\r\\n")
open(out, "wb").write(body)
sys.exit(0 if head.startswith(b"HTTP/1.1 200") else 1)
"""


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def names(h):
    return sorted(e["version"] + "/" + e["name"] for e in json.loads(h.mbtalos("--json", "cache", "list").stdout))


h = Harness("cache", ["--image-size", str(SIZE)], {"max_cache_size": str(40 << 20)})
try:
    h.start_serve()
    A = "/images/talos/v1.11.0/amd64/metal.raw"
    B = "/images/talos/v1.11.1/amd64/metal.raw"
    C = "/images/talos/v1.11.5/amd64/metal.raw"
    ref = {u: decompress(h.reference(DEFAULT_ID, u.split("/")[3], "metal-amd64.raw.zst"), "zstd") for u in (A, B, C)}
    up = {u: "%s/%s/metal-amd64.raw.zst" % (DEFAULT_ID, u.split("/")[3]) for u in (A, B, C)}

    for u in (A, B):
        rc, code, body, _, _ = h.curl(u)
        check(code == 200 and body == ref[u], "cold %s byte-exact" % u)
    time.sleep(2.3)  # past the hand-out grace

    # A slow client keeps A open; B is used after it, so A is the least recently used entry. Its
    # receive buffer is pinned small: with curl, loopback autotuning (tcp_rmem up to 32 MiB here)
    # can take the whole file at once and the server closes it long before C's commit.
    slow_out = os.path.join(h.dir, "slow.raw")
    slow = subprocess.Popen([sys.executable, "-c", SLOW_CLIENT, h.base, A, slow_out, str(2 << 20)])
    time.sleep(0.5)
    rc, code, body, _, _ = h.curl(B)
    check(code == 200 and body == ref[B], "B from the cache")
    time.sleep(2.3)
    rc, code, body, _, _ = h.curl(C)  # 3 x 16 MiB > 40 MiB: one must go
    check(code == 200 and body == ref[C], "cold C byte-exact")
    time.sleep(0.3)
    listed = names(h)
    check(listed == ["v1.11.0/metal-amd64.raw", "v1.11.5/metal-amd64.raw"],
          "B evicted, A kept while being served (%s)" % listed)
    slow.wait(timeout=30)
    check(slow.returncode == 0 and open(slow_out, "rb").read() == ref[A], "the slow client got all of A")
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(h.cache) for f in fs
                if not f.endswith(".sha256"))
    check(total <= 40 << 20, "cache within budget: %d bytes" % total)
    rc, code, body, _, _ = h.curl(B)
    check(body == ref[B] and h.stats()["gets"].get(up[B]) == 2, "evicted B is downloaded again")

    # Warm restart: served from disk, no upstream download.
    h.stop_serve()
    before = dict(h.stats()["gets"])
    h.start_serve()
    rc, code, body, hdrs, _ = h.curl(B)
    check(code == 200 and body == ref[B] and header(hdrs, "X-Talos-Cache") == "hit", "warm restart serves B from disk")
    check(h.stats()["gets"] == before, "no upstream download after the restart")

    # Corruption is detected at start (verify_on_start) and the entry fetched again.
    h.stop_serve()
    path = os.path.join(h.cache, "v1.11.1", DEFAULT_ID, "metal-amd64.raw")
    with open(path, "r+b") as f:
        f.seek(12345)
        byte = f.read(1)
        f.seek(12345)
        f.write(bytes([byte[0] ^ 0xFF]))
    h.start_serve()
    check(not os.path.exists(path), "the corrupt entry was dropped at start")
    rc, code, body, hdrs, _ = h.curl(B)
    check(body == ref[B] and header(hdrs, "X-Talos-Cache") == "miss" and h.stats()["gets"][up[B]] == before[up[B]] + 1,
          "the corrupt entry was fetched again")

    # A download killed mid-way leaves a .part that the next start removes.
    h.control(rate=500_000)
    slow = subprocess.Popen(["curl", "-sS", "-o", "/dev/null", h.base + "/images/talos/v1.10.7/amd64/metal.raw"],
                            stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    parts = [f for d, _, fs in os.walk(h.cache) for f in fs if f.endswith(".part")]
    check(parts == ["metal-amd64.raw.part"], "a running download writes a .part (%s)" % parts)
    h.stop_serve(9)
    slow.wait(timeout=10)
    h.control(rate=0)
    h.start_serve()
    parts = [f for d, _, fs in os.walk(h.cache) for f in fs if f.endswith(".part")]
    check(parts == [], "the next start removed the stale .part")
    h.stop_serve()

    # cache verify finds a corrupt file (exit 65) and removes it; prune obeys --max-size.
    with open(os.path.join(h.cache, "v1.11.5", DEFAULT_ID, "metal-amd64.raw"), "r+b") as f:
        f.truncate(1000)
    r = h.mbtalos("--json", "cache", "verify", check=False)
    report = json.loads(r.stdout)
    check(r.returncode == 65 and len(report["bad"]) == 1 and report["bad"][0]["version"] == "v1.11.5",
          "cache verify reports the truncated entry (exit %d)" % r.returncode)
    check(names(h) == ["v1.11.1/metal-amd64.raw"], "and removed it (%s)" % names(h))
    r = h.mbtalos("cache", "verify")
    check(r.returncode == 0 and ": OK" in r.stdout, "a clean cache verifies")
    r = h.mbtalos("--json", "cache", "prune", "--max-size", "0")
    check(len(json.loads(r.stdout)["evicted"]) == 1 and names(h) == [], "prune --max-size 0 empties the cache")
finally:
    h.close(show_log=bool(failures) or sys.exc_info()[0] is not None)

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
