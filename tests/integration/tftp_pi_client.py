#!/usr/bin/python3
"""mb-tftp against a scripted Raspberry Pi / EDK2 TFTP client (plain UDP sockets on loopback).

Covers: the Pi's tsize probe ended with ERROR 0 "Early terminate", EDK2's ERROR 8 probe, bursts of
probes from new source ports, duplicate ACKs (must not trigger DATA resends), a lost ACK (timeout
resend), a lost OACK (duplicate RRQ from the same port is answered by the same session), block
rollover past 65535 to 0, an exact multiple of blksize (empty last DATA), a client that never sends
the final ACK, foreign TIDs (ERROR 5), WRQ refused, unknown opcodes, traversal vectors (nothing
from outside the root), and per-device paths (<serial>/, <dashed-mac>/) with the rendered
RPI_EFI.fd and its exact tsize.
"""
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

MB_BIN = os.environ.get("MB_BIN", "build/tools")
FIXTURES = os.environ.get("MB_FIXTURES", "../shared/fixtures")
TOOL = os.path.join(MB_BIN, "mb-tftp")

failures = []


def check(cond, what):
    if cond:
        print(f"ok   {what}")
    else:
        print(f"FAIL {what}")
        failures.append(what)


def rrq(name, mode=b"octet", opts=(), opcode=1):
    if isinstance(name, str):
        name = name.encode()
    pkt = struct.pack("!H", opcode) + name + b"\0" + mode + b"\0"
    for k, v in opts:
        pkt += k.encode() + b"\0" + str(v).encode() + b"\0"
    return pkt


def ack(block):
    return struct.pack("!HH", 4, block & 0xFFFF)


def err(code, msg):
    return struct.pack("!HH", 5, code) + msg.encode() + b"\0"


def parse_oack(pkt):
    parts = pkt[2:].split(b"\0")
    return {parts[i].decode().lower(): parts[i + 1].decode() for i in range(0, len(parts) - 1, 2)}


class Client:
    def __init__(self, port, timeout=3.0):
        self.server = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(timeout)
        self.tid = None

    def send_request(self, pkt):
        self.sock.sendto(pkt, self.server)

    def recv(self, timeout=None):
        if timeout is not None:
            self.sock.settimeout(timeout)
        data, addr = self.sock.recvfrom(70000)
        return data, addr

    def send(self, pkt, to=None):
        self.sock.sendto(pkt, to or self.tid)

    def close(self):
        self.sock.close()

    def fetch(self, name, opts=(), mode=b"octet"):
        """A well-behaved download; returns (bytes, oack dict, packets received)."""
        self.send_request(rrq(name, mode, opts))
        data = bytearray()
        oack = {}
        blksize = 512
        window = 1
        expected = 1
        count = 0
        in_window = 0
        while True:
            pkt, addr = self.recv()
            count += 1
            self.tid = addr
            op = struct.unpack("!H", pkt[:2])[0]
            if op == 6:
                oack = parse_oack(pkt)
                blksize = int(oack.get("blksize", 512))
                window = int(oack.get("windowsize", 1))
                self.send(ack(0))
                continue
            if op == 5:
                raise RuntimeError(f"ERROR {struct.unpack('!H', pkt[2:4])[0]} {pkt[4:-1].decode(errors='replace')}")
            block = struct.unpack("!H", pkt[2:4])[0]
            if block != expected & 0xFFFF:
                continue
            data += pkt[4:]
            in_window += 1
            last = len(pkt) - 4 < blksize
            if last or in_window == window:
                self.send(ack(block))
                in_window = 0
            expected += 1
            if last:
                return bytes(data), oack, count


def start_server(root, extra=()):
    port_file = os.path.join(root, "..", "port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    log = open(os.path.join(root, "..", "server.log"), "w")
    proc = subprocess.Popen([TOOL, "--root", root, "--log-level", "debug", "serve", "--listen", "127.0.0.1",
                             "--port", "0", "--port-file", port_file, "--timeout-ms", "400", "--retries", "3",
                             *extra], stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(100):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return proc, int(open(port_file).read())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    print(open(os.path.join(root, "..", "server.log")).read())
    raise SystemExit("mb-tftp did not start")


def main():
    if not os.access(TOOL, os.X_OK):
        print(f"SKIP: {TOOL} not built", file=sys.stderr)
        return 77
    work = tempfile.mkdtemp(prefix="mbt-tftp-pi-")
    root = os.path.join(work, "root")
    tftp = os.path.join(root, "tftp")
    os.makedirs(os.path.join(root, "firmware"))
    os.makedirs(os.path.join(root, "devices"))
    shutil.copytree(os.path.join(FIXTURES, "rpi4", "boot"), tftp)
    shutil.copy(os.path.join(FIXTURES, "efi", "RPI_EFI-v1.40.fd"), os.path.join(root, "firmware", "RPI_EFI.fd"))
    shutil.copy(os.path.join(FIXTURES, "efi", "pi4-d83add5a440c.vars.json"),
                os.path.join(root, "firmware", "d8-3a-dd-5a-44-0c.json"))
    with open(os.path.join(root, "devices", "d8-3a-dd-5a-44-0c.yaml"), "w") as f:
        f.write("serial: 5b154510\nhostname: pi-a\n")
    os.makedirs(os.path.join(tftp, "sub"))
    with open(os.path.join(tftp, "sub", "x"), "w") as f:
        f.write("x")
    with open(os.path.join(work, "secret"), "w") as f:
        f.write("SECRET-OUTSIDE-ROOT")
    os.symlink(os.path.join(work, "secret"), os.path.join(tftp, "escape"))
    rnd = os.urandom(1468 * 3)
    with open(os.path.join(tftp, "exact1468.bin"), "wb") as f:
        f.write(rnd)
    wrap = os.urandom(8 * 65536 + 100)  # 65,549 blocks at blksize 8: crosses the 16-bit block number
    with open(os.path.join(tftp, "wrap.bin"), "wb") as f:
        f.write(wrap)
    start4 = open(os.path.join(tftp, "start4.elf"), "rb").read()

    proc, port = start_server(root)
    try:
        # 1. Pi tsize probe + Early terminate, then the real transfer from a new port.
        c = Client(port)
        c.send_request(rrq("5b154510/start4.elf", opts=[("tsize", 0), ("blksize", 1468)]))
        pkt, addr = c.recv()
        check(pkt[:2] == b"\0\6", "probe gets an OACK")
        o = parse_oack(pkt)
        check(o.get("tsize") == str(len(start4)), f"OACK tsize is the exact size ({o.get('tsize')})")
        check(o.get("blksize") == "1468", "blksize 1468 granted")
        check(list(o.keys()) == ["blksize", "tsize"], "OACK lists accepted options in stable order")
        c.tid = addr
        c.send(err(0, "Early terminate"))
        c.close()
        c = Client(port)
        data, oack, _ = c.fetch("5b154510/start4.elf", [("tsize", 0), ("blksize", 1468)])
        check(data == start4, "serial-prefixed start4.elf comes from the shared root, byte-identical")
        c.close()

        # 2. EDK2 probe: ERROR 8 after OACK; windowsize 4 granted.
        c = Client(port)
        c.send_request(rrq("RPI_EFI.fd", opts=[("blksize", 1468), ("windowsize", 4), ("tsize", 0)]))
        pkt, addr = c.recv()
        check(parse_oack(pkt).get("windowsize") == "4", "windowsize 4 granted to EDK2")
        c.tid = addr
        c.send(err(8, "User aborted the transfer"))
        c.close()

        # 3. A burst of probes, each from a new source port, all answered.
        clients = [Client(port) for _ in range(30)]
        for cl in clients:
            cl.send_request(rrq("config.txt", opts=[("tsize", 0), ("blksize", 1024)]))
        answered = 0
        for cl in clients:
            pkt, addr = cl.recv()
            if pkt[:2] == b"\0\6":
                answered += 1
            cl.tid = addr
            cl.send(err(0, "Early terminate"))
            cl.close()
        check(answered == 30, f"30 concurrent probes from new ports answered ({answered})")

        # 4. Duplicate ACKs must not trigger DATA resends (Sorcerer's Apprentice).
        c = Client(port)
        c.send_request(rrq("start4.elf", opts=[("blksize", 1024)]))
        pkt, addr = c.recv()
        c.tid = addr
        c.send(ack(0))
        pkt, _ = c.recv()
        check(struct.unpack("!H", pkt[2:4])[0] == 1, "DATA 1 after ACK 0")
        c.send(ack(1))
        pkt, _ = c.recv()
        check(struct.unpack("!H", pkt[2:4])[0] == 2, "DATA 2 after ACK 1")
        for _ in range(5):
            c.send(ack(1))  # re-ACK, as a post-2021 EEPROM does
        extra = []
        c.sock.settimeout(0.25)
        try:
            while True:
                p, _ = c.sock.recvfrom(70000)
                extra.append(p)
        except socket.timeout:
            pass
        check(extra == [], f"no DATA sent in reply to 5 duplicate ACKs ({len(extra)} packets)")

        # 5. Lost ACK: the server resends DATA 2 after its timeout (400 ms here).
        t0 = time.monotonic()
        pkt, _ = c.recv(timeout=3)
        dt = time.monotonic() - t0
        check(struct.unpack("!H", pkt[2:4])[0] == 2 and dt < 1.5, f"DATA 2 resent after the timeout ({dt:.2f} s)")
        c.send(err(0, "done"))
        c.close()

        # 6. Lost OACK: the same port repeats its RRQ; the same session answers (same TID).
        c = Client(port)
        req = rrq("fixup4.dat", opts=[("tsize", 0), ("blksize", 1468)])
        c.send_request(req)
        p1, a1 = c.recv()
        c.send_request(req)
        p2, a2 = c.recv()
        check(p1 == p2 and p1[:2] == b"\0\6" and a1 == a2, "duplicate RRQ answered with the OACK from the same TID")
        c.tid = a1
        c.send(ack(0))
        data = bytearray()
        while True:
            p, _ = c.recv()
            data += p[4:]
            c.send(ack(struct.unpack("!H", p[2:4])[0]))
            if len(p) - 4 < 1468:
                break
        check(bytes(data) == open(os.path.join(tftp, "fixup4.dat"), "rb").read(), "fixup4.dat after lost OACK intact")
        c.close()

        # 7. Exact multiple of blksize ends with an empty DATA.
        c = Client(port)
        data, _, count = c.fetch("exact1468.bin", [("blksize", 1468), ("tsize", 0)])
        check(data == rnd and count == 1 + 4, f"3 x 1468 bytes: 3 full DATA + empty DATA 4 ({count - 1} DATA)")
        c.close()

        # 8. Rollover: 65,549 blocks at blksize 8, wire block numbers wrap 65535 -> 0.
        c = Client(port, timeout=5)
        c.send_request(rrq("wrap.bin", opts=[("blksize", 8), ("windowsize", 16)]))
        data = bytearray()
        saw_zero_after_wrap = False
        expected = 1
        got_in_window = 0
        window = 1
        while True:
            p, addr = c.recv()
            c.tid = addr
            if p[:2] == b"\0\6":
                window = int(parse_oack(p).get("windowsize", 1))
                c.send(ack(0))
                continue
            b = struct.unpack("!H", p[2:4])[0]
            if b != expected & 0xFFFF:
                continue
            if expected == 65536 and b == 0:
                saw_zero_after_wrap = True
            data += p[4:]
            got_in_window += 1
            last = len(p) - 4 < 8
            if last or got_in_window == window:
                c.send(ack(b))
                got_in_window = 0
            expected += 1
            if last:
                break
        check(bytes(data) == wrap and saw_zero_after_wrap, f"{expected - 1} blocks, wrapped to 0, byte-identical")
        c.close()

        # 9. Client that never sends the final ACK: the server retries, then ends quietly.
        c = Client(port)
        c.send_request(rrq("sub/x"))
        p, addr = c.recv()
        resends = 0
        c.sock.settimeout(2.5)
        try:
            while True:
                c.sock.recvfrom(100)
                resends += 1
        except socket.timeout:
            pass
        check(resends == 3, f"final DATA resent 3 times without an ACK ({resends})")
        c.close()

        # 10. Foreign TID gets ERROR 5; the transfer continues.
        c = Client(port)
        c.send_request(rrq("start4.elf"))
        p, addr = c.recv()
        intruder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        intruder.bind(("127.0.0.1", 0))
        intruder.settimeout(2)
        intruder.sendto(ack(1), addr)
        ip, _ = intruder.recvfrom(100)
        check(ip[:4] == b"\0\5\0\5", "foreign TID gets ERROR 5")
        intruder.close()
        c.tid = addr
        c.send(ack(1))
        p, _ = c.recv()
        check(struct.unpack("!H", p[2:4])[0] == 2, "transfer continues after a foreign TID")
        c.send(err(0, "stop"))
        c.close()

        # 10b. ICMP port unreachable: the client takes DATA 1 and closes its socket. The first
        # retransmission (400 ms) bounces; the server must end the transfer then, not after the
        # whole retry schedule (400+800+1600+3200 ms) as "timed-out".
        log_path = os.path.join(work, "server.log")
        c = Client(port)
        gone_port = c.sock.getsockname()[1]
        c.send_request(rrq("start4.elf"))
        p, addr = c.recv()
        closed_at = time.monotonic()
        c.close()
        line = ""
        while time.monotonic() - closed_at < 8 and not line:
            time.sleep(0.05)
            for ln in open(log_path).read().splitlines():
                if f"to 127.0.0.1:{gone_port} " in ln and ("unreachable" in ln or "timed-out" in ln):
                    line = ln
        elapsed = time.monotonic() - closed_at
        check("unreachable" in line and elapsed < 1.6,
              f"closed client port ends the transfer at the first bounce ({elapsed:.2f} s: {line.strip()[-90:]})")
        check("1 retransmits" in line or "0 retransmits" in line, "no retransmissions after the ICMP error")

        # 11. WRQ refused, unknown opcode and bad mode refused.
        c = Client(port)
        c.send_request(rrq("upload.bin", opcode=2))
        p, _ = c.recv()
        check(p[:4] == b"\0\5\0\2", "WRQ refused with ERROR 2")
        c.send_request(struct.pack("!H", 9) + b"junk")
        p, _ = c.recv()
        check(p[:4] == b"\0\5\0\4", "unknown opcode gets ERROR 4")
        c.send_request(rrq("config.txt", mode=b"binary"))
        p, _ = c.recv()
        check(p[:4] == b"\0\5\0\4", "unknown mode gets ERROR 4")
        check(not os.path.exists(os.path.join(tftp, "upload.bin")), "no file created by WRQ")
        c.close()

        # 12. Traversal vectors: refused, error text has no server path, nothing from outside.
        vectors = {
            "../x": 2, "..\\x": 2, "sub/../x": 2, "/../../etc/passwd": 2, "escape": 2,
            "x" * 600: 2, "/etc/passwd": 1, "sub/\x01x": 2,
        }
        for name, code in vectors.items():
            c = Client(port)
            c.send_request(rrq(name))
            p, _ = c.recv()
            msg = p[4:-1].decode(errors="replace")
            label = name if len(name) < 40 else f"{len(name)}-byte name"
            check(p[:2] == b"\0\5" and struct.unpack("!H", p[2:4])[0] == code and root not in msg and
                  "SECRET" not in msg, f"{label!r} refused with ERROR {code} ({msg})")
            c.close()
        # NUL inside the name: the name ends at the first NUL, the rest is taken as the mode.
        c = Client(port)
        c.send_request(b"\0\1escape\0../secret\0octet\0")
        p, _ = c.recv()
        check(p[:2] == b"\0\5", "NUL inside the name is refused")
        c.close()

        # 13. Per-device: dashed-MAC prefix and serial prefix get the rendered RPI_EFI.fd. The
        # fixture's variables carry BootNext, which the first completed boot consumes (mb-tftp
        # removes it from the JSON): render what each fetch should get right before it.
        base = open(os.path.join(root, "firmware", "RPI_EFI.fd"), "rb").read()
        for prefix in ("d8-3a-dd-5a-44-0c", "5b154510"):
            want = subprocess.run([TOOL, "--root", root, "render", "d8:3a:dd:5a:44:0c", "RPI_EFI.fd"],
                                  capture_output=True, check=True).stdout
            check(len(want) == len(base), "rendered image has the base size")
            c = Client(port)
            data, oack, _ = c.fetch(f"{prefix}/RPI_EFI.fd", [("tsize", 0), ("blksize", 1468), ("windowsize", 4)])
            check(data == want and oack.get("tsize") == str(len(want)),
                  f"{prefix}/RPI_EFI.fd is the rendered image with exact tsize (sha256 {hashlib.sha256(data).hexdigest()[:12]})")
            c.close()
            # the server consumes BootNext once it has the final ACK, which may be after fetch()
            # returned: wait for it, or the next render would still include BootNext
            vars_json = os.path.join(root, "firmware", "d8-3a-dd-5a-44-0c.json")
            deadline = time.time() + 5
            while "BootNext" in open(vars_json).read() and time.time() < deadline:
                time.sleep(0.02)
            check("BootNext" not in open(vars_json).read(), "the completed transfer consumed BootNext")
        c = Client(port)
        data, _, _ = c.fetch("deadbeef/RPI_EFI.fd", [("tsize", 0)])
        check(data == base, "unknown serial prefix falls back to the shared (base) image")
        c.close()
        # 14. Single-port mode: every transfer answered from the listening port; a packet from an
        # unknown TID gets ERROR 5; a duplicate RRQ is answered by the same session.
        proc.terminate()
        proc.wait(timeout=10)
        proc, port = start_server(root, ["--single-port"])
        c = Client(port)
        c.send_request(rrq("fixup4.dat", opts=[("tsize", 0), ("blksize", 1468)]))
        p1, a1 = c.recv()
        check(a1[1] == port and p1[:2] == b"\0\6", "single-port: OACK comes from the listening port")
        c.send_request(rrq("fixup4.dat", opts=[("tsize", 0), ("blksize", 1468)]))
        p2, _ = c.recv()
        check(p2 == p1, "single-port: duplicate RRQ answered with the same OACK")
        c.tid = a1
        c.send(ack(0))
        data = bytearray()
        while True:
            p, addr = c.recv()
            check(addr[1] == port, "single-port: DATA from the listening port") if len(data) == 0 else None
            data += p[4:]
            c.send(ack(struct.unpack("!H", p[2:4])[0]))
            if len(p) - 4 < 1468:
                break
        check(bytes(data) == open(os.path.join(tftp, "fixup4.dat"), "rb").read(), "single-port: file intact")
        c.close()
        stray = Client(port)
        stray.send(ack(3), ("127.0.0.1", port))
        p, _ = stray.recv()
        check(p[:4] == b"\0\5\0\5", "single-port: ACK from an unknown TID gets ERROR 5")
        stray.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if failures:
            print(open(os.path.join(work, "server.log")).read()[-4000:])
        shutil.rmtree(work, ignore_errors=True)
    if proc.returncode not in (0, -15):
        failures.append(f"server exit code {proc.returncode}")
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
