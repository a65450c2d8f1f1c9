#!/usr/bin/python3
"""mb-tftp uploads (WRQ) into tftp.write_dirs, against real clients and a scripted one.

Real clients: tftp-hpa `put` (netascii and octet), atftp `--put` (blksize 1468, tsize), curl -T
(tsize, blksize, an exact multiple of the block size). Scripted (plain UDP): WRQ outside the write
directories, `..`, a symlinked directory, an existing file (ERROR 6 unless write_overwrite), a tsize
over tftp.write_max_bytes (ERROR 3 at once) and an upload that grows over it (ERROR 3, nothing
kept), a client that aborts with ERROR or vanishes (nothing left, not even the temp file), and no
partial file visible while an upload is in flight. Then write_overwrite: true replaces the file.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

MB_BIN = os.environ.get("MB_BIN", "build/tools")
TOOL = os.path.join(MB_BIN, "mb-tftp")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def wrq(name, mode=b"octet", opts=()):
    pkt = struct.pack("!H", 2) + name.encode() + b"\0" + mode + b"\0"
    for k, v in opts:
        pkt += k.encode() + b"\0" + str(v).encode() + b"\0"
    return pkt


def data(block, payload):
    return struct.pack("!HH", 3, block & 0xFFFF) + payload


def error_of(pkt):
    if pkt[:2] != b"\0\5":
        return None
    return struct.unpack("!H", pkt[2:4])[0], pkt[4:-1].decode(errors="replace")


class Client:
    def __init__(self, port):
        self.server = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(3)
        self.tid = None

    def request(self, pkt):
        self.sock.sendto(pkt, self.server)
        p, self.tid = self.sock.recvfrom(70000)
        return p

    def send(self, pkt):
        self.sock.sendto(pkt, self.tid)
        p, _ = self.sock.recvfrom(70000)
        return p

    def close(self):
        self.sock.close()


def start(root, work, extra=()):
    port_file = os.path.join(work, "port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    log = open(os.path.join(work, "server.log"), "a")
    proc = subprocess.Popen([TOOL, "--root", root, "--log-level", "debug", "serve", "--listen", "127.0.0.1",
                             "--port", "0", "--port-file", port_file, "--timeout-ms", "200", "--retries", "2",
                             *extra], stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(100):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return proc, int(open(port_file).read())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    print(open(os.path.join(work, "server.log")).read())
    raise SystemExit("mb-tftp did not start")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def leftovers(d):
    return [n for n in os.listdir(d) if n.startswith(".")]


def main():
    if not os.access(TOOL, os.X_OK):
        print(f"SKIP: {TOOL} not built", file=sys.stderr)
        return 77
    for c in ("tftp", "atftp", "curl"):
        if not shutil.which(c):
            print(f"FAIL: client {c} is not installed (packaging/extra-packages.txt)")
            return 1
    work = tempfile.mkdtemp(prefix="mbt-tftp-up-")
    root = os.path.join(work, "root")
    tftp = os.path.join(root, "tftp")
    up = os.path.join(tftp, "uploads")
    os.makedirs(os.path.join(up, "sub"))
    os.makedirs(os.path.join(tftp, "other"))
    os.makedirs(os.path.join(work, "outside"))
    os.symlink(os.path.join(work, "outside"), os.path.join(up, "link"))
    with open(os.path.join(root, "metal-boot.yaml"), "w") as f:
        f.write("tftp:\n  write_dirs: [uploads, /incoming/]\n  write_max_bytes: 2M\n")
    src = os.path.join(work, "src")
    os.makedirs(src)
    text = b"line one\nline two\n\nbare cr\r end\r\n" * 200
    blob = os.urandom(300001)
    exact = os.urandom(512 * 6)
    for name, content in (("text.txt", text), ("blob.bin", blob), ("exact.bin", exact),
                          ("big.bin", os.urandom(3 * 1024 * 1024))):
        with open(os.path.join(src, name), "wb") as f:
            f.write(content)

    proc, port = start(root, work)
    try:
        # tftp-hpa: netascii (its default) and octet.
        r = subprocess.run(["tftp", "-m", "netascii", "127.0.0.1", str(port), "-c", "put",
                            os.path.join(src, "text.txt"), "uploads/text.txt"], capture_output=True, timeout=30)
        got = open(os.path.join(up, "text.txt"), "rb").read() if os.path.exists(os.path.join(up, "text.txt")) else b""
        check(r.returncode == 0 and got == text, "tftp-hpa put netascii: stored with local line ends, identical")
        r = subprocess.run(["tftp", "-m", "octet", "127.0.0.1", str(port), "-c", "put",
                            os.path.join(src, "blob.bin"), "uploads/sub/blob.bin"], capture_output=True, timeout=30)
        got = open(os.path.join(up, "sub", "blob.bin"), "rb").read() if os.path.exists(os.path.join(up, "sub", "blob.bin")) else b""
        check(r.returncode == 0 and got == blob, "tftp-hpa put octet into a subdirectory: byte-identical")

        # atftp --put with blksize 1468 and tsize.
        r = subprocess.run(["atftp", "--put", "-l", os.path.join(src, "blob.bin"), "-r", "uploads/atftp.bin",
                            "--option", "blksize 1468", "--option", "tsize", "127.0.0.1", str(port)],
                           capture_output=True, timeout=30)
        p = os.path.join(up, "atftp.bin")
        check(r.returncode == 0 and os.path.exists(p) and open(p, "rb").read() == blob,
              f"atftp --put blksize 1468 tsize: byte-identical ({r.stderr.decode().strip()[-80:]})")

        # curl -T: tsize + blksize, and an exact multiple of 512 (empty last DATA).
        r = subprocess.run(["curl", "-sS", "--tftp-blksize", "1468", "-T", os.path.join(src, "blob.bin"),
                            f"tftp://127.0.0.1:{port}/uploads/curl.bin"], capture_output=True, timeout=30)
        p = os.path.join(up, "curl.bin")
        check(r.returncode == 0 and os.path.exists(p) and open(p, "rb").read() == blob,
              f"curl -T --tftp-blksize 1468: byte-identical ({r.stderr.decode().strip()[-80:]})")
        r = subprocess.run(["curl", "-sS", "-T", os.path.join(src, "exact.bin"),
                            f"tftp://127.0.0.1:{port}/incoming/exact.bin"], capture_output=True, timeout=30)
        check(not os.path.exists(os.path.join(tftp, "incoming")),
              "a write directory that does not exist is not created")
        check(r.returncode != 0, "curl -T into a missing write directory fails")
        os.makedirs(os.path.join(tftp, "incoming"))
        r = subprocess.run(["curl", "-sS", "--tftp-no-options", "-T", os.path.join(src, "exact.bin"),
                            f"tftp://127.0.0.1:{port}/incoming/exact.bin"], capture_output=True, timeout=30)
        p = os.path.join(tftp, "incoming", "exact.bin")
        check(r.returncode == 0 and os.path.exists(p) and open(p, "rb").read() == exact,
              "curl -T 6*512 bytes without options (empty last DATA): identical")

        # Refused requests: the right code and message, nothing created.
        cases = [
            ("notallowed.bin", 2, "Uploads are not allowed to this directory"),
            ("other/x.bin", 2, "Uploads are not allowed to this directory"),
            ("uploads", 2, "Uploads are not allowed to this directory"),
            ("uploads/../x.bin", 2, "'..' is not allowed"),
            ("uploads/link/x.bin", 2, "leaves the served directory"),
            ("uploads/nodir/x.bin", 1, "File not found"),
            ("uploads/blob2.bin", 3, "File too large"),
            ("uploads/text.txt", 6, "File already exists"),
            ("uploads/sub", 2, "not a regular file"),
        ]
        for name, code, msg in cases:
            c = Client(port)
            opts = [("tsize", 5 * 1024 * 1024)] if name == "uploads/blob2.bin" else []
            e = error_of(c.request(wrq(name, opts=opts)))
            check(e is not None and e[0] == code and msg in e[1], f"WRQ {name!r} refused with ERROR {code} ({e})")
            c.close()
        check(not os.path.exists(os.path.join(tftp, "notallowed.bin")) and not os.listdir(os.path.join(work, "outside"))
              and not os.path.exists(os.path.join(tftp, "x.bin")), "refused WRQs created nothing")
        check(open(os.path.join(up, "text.txt"), "rb").read() == text, "the existing file was not touched")

        # Growing over write_max_bytes without announcing it: ERROR 3, nothing kept.
        r = subprocess.run(["curl", "-sS", "--tftp-no-options", "-T", os.path.join(src, "big.bin"),
                            f"tftp://127.0.0.1:{port}/uploads/big.bin"], capture_output=True, timeout=60)
        check(r.returncode != 0 and not os.path.exists(os.path.join(up, "big.bin")) and not leftovers(up),
              f"upload over write_max_bytes refused, nothing left ({r.stderr.decode().strip()[-60:]})")

        # In flight: not visible; client ERROR: nothing left.
        c = Client(port)
        p = c.request(wrq("uploads/partial.bin"))
        check(p == b"\0\4\0\0", "WRQ without options gets ACK 0")
        p = c.send(data(1, b"a" * 512))
        check(p == b"\0\4\0\1", "DATA 1 ACKed")
        check(not os.path.exists(os.path.join(up, "partial.bin")), "no partial file visible during the upload")
        c.sock.sendto(struct.pack("!HH", 5, 0) + b"cancelled\0", c.tid)
        c.close()
        time.sleep(0.3)
        check(not os.path.exists(os.path.join(up, "partial.bin")) and not leftovers(up),
              f"client ERROR: nothing left ({leftovers(up)})")
        # Vanishing client: the server gives up after its retries and removes the temp file.
        c = Client(port)
        c.request(wrq("uploads/gone.bin", opts=[("blksize", 1024)]))
        c.send(struct.pack("!HH", 3, 1) + b"b" * 1024)
        c.close()
        time.sleep(2.0)  # 200 + 400 ms retries, then the end
        check(not os.path.exists(os.path.join(up, "gone.bin")) and not leftovers(up),
              f"client gone mid-upload: nothing left ({leftovers(up)})")
        # Lost ACK: the repeated DATA is ACKed again and not written twice.
        c = Client(port)
        c.request(wrq("uploads/dup.bin"))
        c.send(data(1, b"1" * 512))
        p = c.send(data(1, b"1" * 512))
        check(p == b"\0\4\0\1", "repeated DATA 1 is re-ACKed")
        p = c.send(data(2, b"22"))
        check(p == b"\0\4\0\2", "last DATA ACKed")
        c.close()
        time.sleep(0.1)
        check(open(os.path.join(up, "dup.bin"), "rb").read() == b"1" * 512 + b"22", "duplicate DATA written once")
    finally:
        stop(proc)

    # write_overwrite: true replaces an existing file.
    with open(os.path.join(root, "metal-boot.yaml"), "a") as f:
        f.write("  write_overwrite: true\n")
    proc, port = start(root, work)
    try:
        r = subprocess.run(["curl", "-sS", "-T", os.path.join(src, "exact.bin"),
                            f"tftp://127.0.0.1:{port}/uploads/text.txt"], capture_output=True, timeout=30)
        check(r.returncode == 0 and open(os.path.join(up, "text.txt"), "rb").read() == exact,
              "write_overwrite: true replaces the existing file")
    finally:
        stop(proc)
    if failures:
        print(open(os.path.join(work, "server.log")).read()[-4000:])
    shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
