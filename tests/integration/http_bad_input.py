#!/usr/bin/python3
"""mb-http under hostile input over loopback: malformed requests, header floods, slowloris,
oversized and truncated bodies, smuggling-style framing, traversal, a connection flood. Every
answer must be the right 4xx (or a close), the server must stay up and never write a partial
inventory file."""
import os
import socket
import subprocess
import sys
import tempfile
import time

MB_HTTP = os.path.join(os.environ["MB_BIN"], "mb-http")
failures = []


def check(name, cond, detail=""):
    if not cond:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name}: {detail}", file=sys.stderr)


def raw(port, data, timeout=5.0, read=True):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if data:
            s.sendall(data)
        if not read:
            return b""
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def status(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def main():
    work = tempfile.mkdtemp(prefix="mbt-http-bad.")
    root = os.path.join(work, "root")
    os.makedirs(os.path.join(root, "devices"))
    os.makedirs(os.path.join(root, "http"))
    with open(os.path.join(root, "metal-boot.yaml"), "w") as f:
        f.write("server:\n  address: 10.1.1.1\nhttp:\n  access_log: false\n  max_header_bytes: 8192\n"
                "  header_timeout_ms: 1000\n  idle_timeout_ms: 1000\n  body_timeout_ms: 1500\n"
                "  max_body_bytes: 65536\n  max_connections: 200\n")
    with open(os.path.join(root, "devices", "dc-a6-32-01-02-03.yaml"), "w") as f:
        f.write("hostname: pi-03\n")
    with open(os.path.join(root, "http", "ok.txt"), "w") as f:
        f.write("fine\n")
    ports = os.path.join(work, "ports")
    log = open(os.path.join(work, "serve.log"), "w")
    proc = subprocess.Popen([MB_HTTP, "--root", root, "serve", "--listen", "127.0.0.1:0", "--log-port", "0",
                             "--port-file", ports], stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            if os.path.exists(ports) and os.path.getsize(ports) > 0:
                break
            time.sleep(0.1)
        port = int(open(ports).read().split()[0])
        udp = int(open(ports).read().split()[1])

        def alive(name):
            r = raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            check(f"{name}: still serving", status(r) == 200 and r.endswith(b"ok\n"), r[:80])

        cases = [
            ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64) + b"\r\n\r\n", 400),
            ("no version", b"GET /\r\n\r\n", 400),
            ("bad version", b"GET / HTTP/9.9\r\n\r\n", 505),
            ("space in target", b"GET /a b HTTP/1.1\r\n\r\n", (400, 505)),
            ("bad header name", b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 400),
            ("obs-fold (folded, then no such file)", b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 404),
            ("two content-lengths", b"POST /v1/continue HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
            ("negative length", b"POST /v1/continue HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
            ("TE + CL", b"POST /v1/continue HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("unknown TE", b"POST /v1/continue HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            ("bad chunk", b"POST /v1/continue HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("traversal", b"GET /../../etc/passwd HTTP/1.1\r\n\r\n", 400),
            ("encoded traversal", b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n\r\n", 400),
            ("encoded NUL", b"GET /ok.txt%00.efi HTTP/1.1\r\n\r\n", 400),
            ("bad escape", b"GET /%zz HTTP/1.1\r\n\r\n", 400),
            ("raw NUL in target", b"GET /ok\x00.txt HTTP/1.1\r\n\r\n", 400),
            ("oversized body", b"POST /v1/continue HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n", 413),
            ("oversized chunked", b"POST /v1/continue HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n20000\r\n" +
             b"a" * 0x20000 + b"\r\n0\r\n\r\n", 413),
            ("header flood", b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"y" * 50) for i in range(400)) +
             b"\r\n", 431),
            ("huge target", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 431),
            ("invalid JSON inventory", b"POST /v1/continue HTTP/1.1\r\nContent-Length: 8\r\n\r\n{\"invent", 400),
            ("inventory not object", b"POST /v1/continue HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]", 400),
            ("unknown device", b'POST /v1/continue HTTP/1.1\r\nContent-Length: 62\r\n\r\n'
             b'{"inventory":{"interfaces":[{"mac_address":"02:00:00:00:00:01"}]}}'[:62 + 44], 0),
            ("method on script", b"DELETE /boot/dc-a6-32-01-02-03.ipxe HTTP/1.1\r\n\r\n", 405),
        ]
        for name, data, want in cases:
            r = raw(port, data)
            if want:
                ok = status(r) in want if isinstance(want, tuple) else status(r) == want
                check(name, ok, f"want {want}, got {r[:60]!r}")
            alive(name)

        # Slowloris: one header byte at a time must be cut off by header_timeout (1 s).
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        start = time.time()
        closed = False
        try:
            s.sendall(b"GET / HTTP/1.1\r\n")
            for _ in range(60):
                s.sendall(b"X")
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        s.close()
        check("slowloris closed", closed and time.time() - start < 4, f"closed={closed} after {time.time() - start:.1f}s")

        # Slow body: headers complete, body never finishes within body_timeout.
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /v1/continue HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"inv")
        start = time.time()
        try:
            got = s.recv(100)
        except ConnectionResetError:
            got = b""  # timed-out connections are reset (SO_LINGER 0), not closed with a FIN
        check("slow body closed", got == b"" and time.time() - start < 4, repr(got))
        s.close()

        # A truncated body (client goes away) leaves no inventory file behind.
        inv = b'{"inventory":{"interfaces":[{"mac_address":"dc:a6:32:01:02:03"}]}}'
        raw(port, b"POST /v1/continue HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(inv) + inv[:20], read=False)
        time.sleep(0.3)
        invdir = os.path.join(root, "state", "http", "inventory")
        check("no partial inventory", not os.path.exists(invdir) or os.listdir(invdir) == [],
              str(os.listdir(invdir) if os.path.exists(invdir) else ""))
        r = raw(port, b"POST /v1/continue HTTP/1.1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(inv) + inv)
        check("valid inventory", status(r) == 200 and b'"uuid":"pi-03"' in r, r[:120])
        check("only final files", sorted(os.listdir(invdir)) == ["dc-a6-32-01-02-03.json"], str(os.listdir(invdir)))

        # Connection flood beyond max_connections: the server sheds and recovers.
        socks = []
        for _ in range(300):
            try:
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except OSError:
                break
        for c in socks:
            c.close()
        time.sleep(0.3)
        alive("connection flood")

        # UDP log flood with junk: no crash, lines stored.
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(500):
            u.sendto(os.urandom(i % 300) + b"\n<7>line %d\n" % i, ("127.0.0.1", udp))
        u.close()
        time.sleep(0.5)
        alive("udp flood")
        logf = os.path.join(root, "state", "http", "logs", "127.0.0.1.log")
        logs = os.listdir(os.path.dirname(logf)) if os.path.exists(os.path.dirname(logf)) else []
        stored = open(logf, "rb").read() if os.path.exists(logf) else b""
        check("udp lines stored", stored.count(b" line ") >= 100, f"{logs} {stored[-200:]!r}")
        check("process alive", proc.poll() is None, "mb-http exited")
    finally:
        proc.terminate()
        rc = proc.wait(timeout=10)
        check("graceful exit", rc == 0, f"exit {rc}")
        log.close()
        if failures:
            print(open(os.path.join(work, "serve.log")).read()[-3000:], file=sys.stderr)
        subprocess.run(["rm", "-rf", work])
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
