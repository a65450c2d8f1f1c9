#!/usr/bin/python3
"""mb-tftp throughput and concurrency against atftpd, dnsmasq's TFTP and tftpd-hpa, in one run.

Everything runs in a private network namespace (mbttftpbench, loopback only, deleted at exit), so
dnsmasq can have port 69 and nothing else on the machine sees the traffic. Needs root.

  1. Download time of a 4 MiB RPI_EFI.fd (mb-tftp renders it per device; the peers serve the same
     bytes as a static file) and a 50 MiB file at blksize 1468, without and with windowsize 4
     (atftp client; curl for the no-window case too). Median of N runs.
  2. 200 concurrent Pi-style clients (tsize probe + "Early terminate", then the transfer, from new
     ports) fetching config.txt, fixup4.dat, bcm2711-rpi-4-b.dtb and an overlay.
  3. Server capacity: N (default 8) atftp clients at once, each downloading the 50 MiB file with
     windowsize 4: aggregate MB/s (N x size / time until the last one finished) and the server's
     CPU seconds per GB sent. This measures the server rather than one client's lock-step speed.
     The clients run at nice 10 (--capacity-nice): in a lab they are other machines; at equal
     priority, 8 client processes would get 8 of every 9 CFS shares of this machine's CPUs and a
     single-threaded server could use at most 1/9 of the CPU time while all of them are runnable.
  4. Memory per live transfer of mb-tftp (RSS growth with 500 transfers held open).
  Also, for the lock-step atftp cases: server CPU (user + system, children included) per DATA block.
Prints median times with [min-max] over the runs, the load average per case, and ratios of the
medians peer/mb-tftp (> 1 means mb-tftp is faster).

Servers alternate within every run of a case (rotating order), and every server is fetched by the
same client, the same bytes, the same blksize, after the files were just written (page cache warm
for all). The column "mb static" is mb-tftp serving the rendered RPI_EFI.fd's bytes as a plain file.

Usage: bench/tftp/run.sh [--runs N] [--clients N] [--quick]   (installs/unpacks the peers first)
       bench/tftp/bench.py ...                                  (peers already there)
Env: MB_BIN (build/tools), MB_FIXTURES (../shared/fixtures), TFTPD_HPA (/opt/mb-peers/tftpd-hpa/usr/sbin/in.tftpd)
"""
import argparse
import filecmp
import functools
import json
import os
import resource
import selectors
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

NS = "mbttftpbench"
print = functools.partial(print, flush=True)
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
MB_BIN = os.environ.get("MB_BIN", os.path.join(SRC, "build", "tools"))
FIXTURES = os.environ.get("MB_FIXTURES", os.path.join(os.path.dirname(SRC), "shared", "fixtures"))
if not os.path.isdir(FIXTURES):
    FIXTURES = "/work/shared/fixtures"
TFTPD_HPA = os.environ.get("TFTPD_HPA", "/opt/mb-peers/tftpd-hpa/usr/sbin/in.tftpd")
MAC = "d8-3a-dd-5a-44-0c"


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, **kw)


def in_ns():
    """Re-exec this script inside the namespace."""
    return os.environ.get("MBT_IN_NS") == "1"


def setup_tree(work):
    root = os.path.join(work, "root")
    tftp = os.path.join(root, "tftp")
    shutil.copytree(os.path.join(FIXTURES, "rpi4", "boot"), tftp)
    os.makedirs(os.path.join(root, "firmware"))
    os.makedirs(os.path.join(root, "devices"))
    shutil.copy(os.path.join(FIXTURES, "efi", "RPI_EFI-v1.40.fd"), os.path.join(root, "firmware", "RPI_EFI.fd"))
    # Without BootNext: mb-tftp consumes a BootNext after the first complete RPI_EFI.fd transfer
    # (a one-time boot), which would change the rendered bytes between runs.
    with open(os.path.join(FIXTURES, "efi", "pi4-d83add5a440c.vars.json")) as f:
        store = json.load(f)
    store["variables"] = [v for v in store["variables"] if v.get("name") != "BootNext"]
    with open(os.path.join(root, "firmware", MAC + ".json"), "w") as f:
        json.dump(store, f, indent=1)
    with open(os.path.join(root, "devices", MAC + ".yaml"), "w") as f:
        f.write("serial: 5b154510\n")
    with open(os.path.join(tftp, "initrd50.img"), "wb") as f:
        f.write(os.urandom(50 * 1024 * 1024))
    # The peers serve the rendered image as a static file with the same bytes.
    rendered = subprocess.run([os.path.join(MB_BIN, "mb-tftp"), "--root", root, "--log-level", "warn", "render", MAC,
                               "RPI_EFI.fd"], check=True, capture_output=True).stdout
    os.makedirs(os.path.join(tftp, "static"))
    with open(os.path.join(tftp, "static", "RPI_EFI.fd"), "wb") as f:
        f.write(rendered)
    peer = os.path.join(work, "peer")
    shutil.copytree(tftp, peer)
    os.makedirs(os.path.join(peer, MAC))
    with open(os.path.join(peer, MAC, "RPI_EFI.fd"), "wb") as f:
        f.write(rendered)
    # The Pi-style clients use the serial prefix; the peers get a copy of the files there.
    for name in Pi.FILES:
        dst = os.path.join(peer, "5b154510", name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(os.path.join(tftp, name), dst)
    for d in (root, peer, work):
        os.chmod(d, 0o755)
    for base, dirs, files in os.walk(work):
        for x in dirs:
            os.chmod(os.path.join(base, x), 0o755)
        for x in files:
            os.chmod(os.path.join(base, x), 0o644)
    return root, tftp, peer, rendered


def start_servers(work, root, peer, servers, args):
    # tftpd-hpa binds every address of the namespace (-a :PORT): with an explicit address its
    # getaddrinfo(AI_ADDRCONFIG) fails when only loopback is configured.
    logs = open(os.path.join(work, "servers.log"), "w")
    port_file = os.path.join(work, "mb.port")
    servers["mb-tftp"] = (subprocess.Popen([os.path.join(MB_BIN, "mb-tftp"), "--root", root, "--log-level", "info" if args.server_log else "warn", "serve",
                                            "--listen", "127.0.0.1", "--port", "6901", "--port-file", port_file],
                                           stderr=logs), 6901)
    servers["atftpd"] = (subprocess.Popen(["atftpd", "--daemon", "--no-fork", "--port", "6902", "--bind-address",
                                           "127.0.0.1", "--maxthread", "1000", "--logfile", "/dev/null", "--user",
                                           "nobody", "--group", "nogroup", peer], stderr=logs), 6902)
    servers["dnsmasq"] = (subprocess.Popen(["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
                                            "--listen-address=127.0.0.1", "--bind-interfaces", "--enable-tftp",
                                            f"--tftp-root={peer}", "--tftp-max=1000", "--quiet-tftp",
                                            "--user=root", "--pid-file=" + os.path.join(work, "dnsmasq.pid")],
                                           stderr=logs), 69)
    if os.access(TFTPD_HPA, os.X_OK):
        servers["tftpd-hpa"] = (subprocess.Popen([TFTPD_HPA, "-L", "-a", ":6904", "-B", "1468", "-u", "nobody",
                                                  "-s", peer], stderr=logs), 6904)
    else:
        print(f"note: tftpd-hpa not found at {TFTPD_HPA} (apt-get download tftpd-hpa && dpkg-deb -x ...)",
              file=sys.stderr)
    time.sleep(1.0)
    for name, (p, _) in servers.items():
        if p.poll() is not None:
            raise SystemExit(f"{name} did not start (see {work}/servers.log)")


def fetch_time(client, port, remote, out, window):
    if client == "curl":
        cmd = ["curl", "-sS", "--tftp-blksize", "1468", "-o", out, f"tftp://127.0.0.1:{port}/{remote}"]
    else:
        cmd = ["atftp", "--option", "blksize 1468", "--option", "tsize"]
        if window:
            cmd += ["--option", f"windowsize {window}"]
        cmd += ["-g", "-r", remote, "-l", out, "127.0.0.1", str(port)]
    # A blocking wait, with a timer thread for the time limit: subprocess.run(timeout=...) polls
    # the child with sleeps of up to 50 ms, which quantised every download time to ~50 ms steps
    # (all servers "0.115 s" for the 4 MiB lock-step rows).
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    limit = threading.Timer(60, p.kill)
    limit.start()
    rc = p.wait()
    dt = time.monotonic() - t0
    limit.cancel()
    return dt if rc == 0 else None


# ---- Pi-style concurrent clients --------------------------------------------------------------------

class Pi:
    FILES = ["config.txt", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "overlays/upstream-pi4.dtbo"]

    def __init__(self, sel, port, prefix):
        self.sel, self.port, self.prefix = sel, port, prefix
        self.queue = [(f, probe) for f in self.FILES for probe in (True, False)]
        self.sock = None
        self.done = False
        self.failed = 0
        self.bytes = 0
        self.retransmits = 0
        self.next()

    def next(self):
        if self.sock:
            self.sel.unregister(self.sock)
            self.sock.close()
            self.sock = None
        if not self.queue:
            self.done = True
            return
        self.name, self.probe = self.queue.pop(0)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.sel.register(self.sock, selectors.EVENT_READ, self)
        self.expected = 1
        self.deadline = time.monotonic() + 2.0
        self.tries = 0
        self.send_rrq()

    def send_rrq(self):
        pkt = b"\0\1" + f"{self.prefix}/{self.name}".encode() + b"\0octet\0tsize\0" + b"0\0blksize\0" + b"1468\0"
        self.sock.sendto(pkt, ("127.0.0.1", self.port))
        self.last = pkt
        self.to = ("127.0.0.1", self.port)

    def on_readable(self):
        try:
            pkt, addr = self.sock.recvfrom(2000)
        except BlockingIOError:
            return
        self.deadline = time.monotonic() + 2.0
        op = pkt[1]
        if op == 6:
            if self.probe:
                self.sock.sendto(b"\0\5\0\0Early terminate\0", addr)
                self.next()
                return
            self.last = b"\0\4\0\0"
            self.to = addr
            self.sock.sendto(self.last, addr)
        elif op == 3:
            block = struct.unpack("!H", pkt[2:4])[0]
            if block == self.expected & 0xFFFF:
                self.bytes += len(pkt) - 4
                self.expected += 1
            self.last = b"\0\4" + pkt[2:4]
            self.to = addr
            self.sock.sendto(self.last, addr)
            if len(pkt) - 4 < 1468 and block == (self.expected - 1) & 0xFFFF:
                self.next()
        elif op == 5:
            self.failed += 1
            self.next()

    def on_timeout(self):
        self.retransmits += 1
        self.tries += 1
        if self.tries > 5:
            self.failed += 1
            self.next()
            return
        self.sock.sendto(self.last, self.to)
        self.deadline = time.monotonic() + 2.0


def pi_storm(port, n):
    """Returns (seconds, failed transfers, bytes received, client retransmissions, client CPU s)."""
    sel = selectors.DefaultSelector()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    pis = [Pi(sel, port, "5b154510") for _ in range(n)]
    left = sum(1 for p in pis if not p.done)
    last_check = t0
    # The client must not be the bottleneck: no per-iteration scan of all clients (that cost
    # O(clients) Python work per select and made this case measure the client); timeouts are
    # checked every 50 ms.
    while left:
        for key, _ in sel.select(timeout=0.05):
            p = key.data
            p.on_readable()
            if p.done:
                left -= 1
        now = time.monotonic()
        if now - last_check >= 0.05:
            last_check = now
            for p in pis:
                if not p.done and now > p.deadline:
                    p.on_timeout()
                    if p.done:
                        left -= 1
        if now - t0 > 120:
            break
    dt = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return dt, sum(p.failed for p in pis), sum(p.bytes for p in pis), sum(p.retransmits for p in pis), cpu


def cpu_seconds(pid):
    """User + system CPU of a server and its reaped children (tftpd-hpa forks per request)."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Server CPU seconds between start() and stop(). `children`: the server forks a process per
    transfer and ignores SIGCHLD (tftpd-hpa), so their CPU never reaches its cutime; a thread then
    samples the children every 10 ms and keeps the last value seen of each (a child's last <= 10 ms
    are missed)."""

    def __init__(self, pid, children=False):
        self.pid, self.children = pid, children
        self.seen = {}
        self.stop_event = threading.Event()

    def _sample(self):
        try:
            kids = open(f"/proc/{self.pid}/task/{self.pid}/children").read().split()
        except OSError:
            return
        for k in kids:
            try:
                self.seen[k] = cpu_seconds(int(k))
            except (OSError, IndexError, ValueError):
                pass

    def _loop(self):
        while not self.stop_event.wait(0.01):
            self._sample()

    def start(self):
        self.base = cpu_seconds(self.pid)
        if self.children:
            self._sample()
            self.seen_base = dict(self.seen)
            self.thread = threading.Thread(target=self._loop, daemon=True)
            self.thread.start()
        return self

    def stop(self):
        total = cpu_seconds(self.pid) - self.base
        if self.children:
            self._sample()
            self.stop_event.set()
            self.thread.join()
            total += sum(v - self.seen_base.get(k, 0.0) for k, v in self.seen.items())
        return total


def capacity_run(port, remote, n, work, source, nice):
    """N atftp clients (windowsize 4) started together, at niceness `nice`. Returns (seconds until
    the last finished, downloads that failed or differ, client CPU seconds)."""
    outs = [os.path.join(work, f"capacity{i}.bin") for i in range(n)]
    for o in outs:
        if os.path.exists(o):
            os.unlink(o)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    procs = [subprocess.Popen(["atftp", "--option", "blksize 1468", "--option", "tsize", "--option", "windowsize 4",
                               "-g", "-r", remote, "-l", o, "127.0.0.1", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=(lambda: os.nice(nice)) if nice else None) for o in outs]
    limits = [threading.Timer(180, p.kill) for p in procs]
    for t in limits:
        t.start()
    rcs = [p.wait() for p in procs]
    dt = time.monotonic() - t0
    for t in limits:
        t.cancel()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    failed = 0
    for rc, o in zip(rcs, outs):
        if rc != 0 or not filecmp.cmp(o, source, shallow=False):
            failed += 1
        if os.path.exists(o):
            os.unlink(o)
    return dt, failed, (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)


def spread(v, fmt="{:.3f}"):
    """'median [min-max]' of a list of numbers."""
    if not v:
        return "failed"
    return f"{fmt.format(statistics.median(v))} [{fmt.format(min(v))}-{fmt.format(max(v))}]"


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    return 0


def held_transfers(port, n):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(2)
        s.sendto(b"\0\1RPI_EFI.fd\0octet\0blksize\0" + b"1468\0", ("127.0.0.1", port))
        socks.append(s)
    held = 0
    for s in socks:
        try:
            pkt, addr = s.recvfrom(2000)
            s.sendto(b"\0\4\0\0", addr)  # accept the OACK, then never ACK DATA 1
            held += 1
        except socket.timeout:
            pass
    return socks, held


def main_in_ns(args):
    sh("ip", "link", "set", "lo", "up")
    work = tempfile.mkdtemp(prefix="mbt-tftp-bench-")
    os.chmod(work, 0o755)
    servers = {}
    try:
        root, tftp, peer, rendered = setup_tree(work)
        start_servers(work, root, peer, servers, args)
        out = os.path.join(work, "out.bin")
        cases = [("RPI_EFI.fd 4 MiB (rendered)", f"{MAC}/RPI_EFI.fd", rendered),
                 ("initrd 50 MiB", "initrd50.img", None)]
        results = {}
        # Columns: each server, plus mb-tftp serving the rendered bytes as a static file (same
        # process) to show that rendering costs nothing per transfer.
        columns = {name: (proc, port) for name, (proc, port) in servers.items()}
        static_remote = "static/RPI_EFI.fd"
        for label, remote, expect in (cases if not args.storm_only else []):
            for client, window in (("curl", 0), ("atftp", 0), ("atftp", 4)):
                if args.case and args.case not in f"{label}, {client} w{window}":
                    continue
                runs = args.runs if "4 MiB" in label else max(1, args.runs // 2)
                cols = dict(columns)
                if expect is not None:
                    cols = {"mb-tftp": columns["mb-tftp"], "mb static": columns["mb-tftp"],
                            **{n: v for n, v in columns.items() if n != "mb-tftp"}}
                times = {name: [] for name in cols}
                cpu = {name: 0.0 for name in cols}
                size = len(expect) if expect is not None else os.path.getsize(os.path.join(tftp, remote))
                blocks = size // 1468 + 1
                # Servers alternate within each run (rotating order), so that load from other work
                # on the machine falls on all of them alike.
                names = list(cols)
                for r in range(runs):
                    for name in names[r % len(names):] + names[:r % len(names)]:
                        proc, port = cols[name]
                        if os.path.exists(out):
                            os.unlink(out)
                        meter = CpuMeter(proc.pid, children=name == "tftpd-hpa").start()
                        t = fetch_time(client, port, static_remote if name == "mb static" else remote, out, window)
                        cpu[name] += meter.stop()
                        if t is not None and expect is not None and open(out, "rb").read() != expect:
                            t = None
                        if t is not None:
                            times[name].append(t)
                row = {name: statistics.median(v) if v else None for name, v in times.items()}
                cpu_row = {name: c * 1e6 / (blocks * runs) for name, c in cpu.items()}
                key = f"{label}, {client}" + (f" windowsize {window}" if window else "")
                results[key] = row
                print(f"{key:44} " + "  ".join(f"{n}={spread(v)}s" for n, v in times.items()) +
                      f"  (load {os.getloadavg()[0]:.2f})")
                # Server CPU per DATA block: the per-block cost, far less sensitive to scheduling
                # noise than wall time on a loaded machine.
                print(f"{'  server CPU per block':44} " + "  ".join(f"{n}={v:.1f}us" for n, v in cpu_row.items()))
        if not args.storm_only and (not args.case or args.case in "capacity") and args.capacity > 0:
            # Server capacity: many windowed 50 MiB downloads at once, servers alternated run by run.
            remote = "initrd50.img"
            source = os.path.join(tftp, remote)
            size = os.path.getsize(source)
            names = list(servers)
            cap = {name: [] for name in names}
            cap_cpu = {name: [] for name in names}
            cap_client = {name: [] for name in names}
            cap_failed = {name: 0 for name in names}
            cap_busy = {name: [] for name in names}
            for r in range(max(1, args.runs // 2)):
                for name in names[r % len(names):] + names[:r % len(names)]:
                    proc, port = servers[name]
                    meter = CpuMeter(proc.pid, children=name == "tftpd-hpa").start()
                    dt, failed, client_cpu = capacity_run(port, remote, args.capacity, work, source,
                                                          args.capacity_nice)
                    server_cpu = meter.stop()
                    cap_failed[name] += failed
                    if failed:
                        continue
                    total = args.capacity * size
                    cap[name].append(total / dt / 1e6)
                    cap_cpu[name].append(server_cpu / (total / 1e9))
                    cap_client[name].append(client_cpu / (total / 1e9))
                    cap_busy[name].append((server_cpu + client_cpu) / dt)
            key = f"capacity: {args.capacity} x 50 MiB, atftp w4" + (f", nice {args.capacity_nice}" if args.capacity_nice else "")
            print(f"{key:44} " + "  ".join(f"{n}={spread(v, '{:.0f}')}MB/s" for n, v in cap.items()) +
                  f"  (load {os.getloadavg()[0]:.2f})")
            print(f"{'  server CPU s per GB':44} " + "  ".join(f"{n}={spread(v, '{:.2f}')}" for n, v in cap_cpu.items()))
            print(f"{'  client CPU s per GB (all clients)':44} " +
                  "  ".join(f"{n}={spread(v, '{:.2f}')}" for n, v in cap_client.items()))
            # Below the machine's CPU count: time spent waiting (wake-ups, scheduling), not computing.
            print(f"{'  CPUs busy (server + clients CPU / wall)':44} " +
                  "  ".join(f"{n}={spread(v, '{:.2f}')}" for n, v in cap_busy.items()) + f"  (of {os.cpu_count()})")
            print(f"{'  failed or differing downloads':44} " + "  ".join(f"{n}={v}" for n, v in cap_failed.items()))
            # Ratios as times (peer / mb-tftp): 1 / throughput, and CPU per GB.
            results[key] = {n: 1 / statistics.median(v) if v else None for n, v in cap.items()}
            results[key + ", server CPU/GB"] = {n: statistics.median(v) if v else None for n, v in cap_cpu.items()}
        storm = {}
        tries = {name: [] for name in servers}
        storm_cpu = {name: [] for name in servers}
        names = list(servers)
        for r in range(max(1, args.runs // 2) if not args.case else 0):
            for name in names[r % len(names):] + names[:r % len(names)]:
                proc, port = servers[name]
                meter = CpuMeter(proc.pid, children=name == "tftpd-hpa").start()
                tries[name].append(pi_storm(port, args.clients))
                storm_cpu[name].append(meter.stop())
        for name, t in tries.items():
            if not t:
                continue
            times = sorted(x[0] for x in t)
            storm[name] = (statistics.median(times), sum(x[1] for x in t), t[0][2], sum(x[3] for x in t),
                           sum(x[4] for x in t) / len(t), times)
        key = f"{args.clients} concurrent Pi-style clients"
        if storm:
            print(f"{key:44} " + "  ".join(f"{n}={spread(v[5])}s" for n, v in storm.items()) +
                  f"  (load {os.getloadavg()[0]:.2f})")
            print(f"{'  failed transfers':44} " + " ".join(f"{n}={v[1]}" for n, v in storm.items()))
            print(f"{'  bytes received':44} " + " ".join(f"{n}={v[2]}" for n, v in storm.items()))
            print(f"{'  client retransmissions (2 s timeouts)':44} " + " ".join(f"{n}={v[3]}" for n, v in storm.items()))
            print(f"{'  client CPU per run (mean)':44} " + " ".join(f"{n}={v[4]:.3f}s" for n, v in storm.items()))
            print(f"{'  server CPU per run':44} " + "  ".join(f"{n}={spread(storm_cpu[n])}s" for n in storm))

        print("\nratios peer time / mb-tftp time (> 1: mb-tftp faster)")
        for key, row in list(results.items()) + ([(key, {n: v[0] for n, v in storm.items()})] if storm else []):
            mb = row.get("mb-tftp")
            ratios = []
            for name, v in row.items():
                if name == "mb-tftp":
                    continue
                if name == "mb static":
                    ratios.append(f"static/rendered {v / mb:5.2f}x" if v and mb else "static/rendered n/a")
                    continue
                ratios.append(f"{name} {v / mb:5.2f}x" if v and mb else f"{name}   n/a")
            print(f"  {key:44} " + ", ".join(ratios))

        mb_pid = servers["mb-tftp"][0].pid
        base = rss_kib(mb_pid)
        socks, held = held_transfers(servers["mb-tftp"][1], args.held)
        time.sleep(0.3)
        grown = rss_kib(mb_pid)
        print(f"\nmb-tftp memory: anonymous RSS {base} KiB idle, {grown} KiB with {held} live transfers "
              f"-> {(grown - base) * 1024 / max(held, 1):.0f} bytes per transfer (plus one socket each in the kernel)")
        for s in socks:
            s.close()
    finally:
        if args.server_log:
            with open(os.path.join(work, "servers.log")) as f:
                print("\n--- server log ---\n" + f.read())
        for name, (p, _) in servers.items():
            p.terminate()
        for name, (p, _) in servers.items():
            try:
                p.wait(timeout=8)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--held", type=int, default=500)
    ap.add_argument("--capacity", type=int, default=8,
                    help="concurrent 50 MiB windowsize-4 downloads in the capacity case (0: skip it)")
    ap.add_argument("--capacity-nice", type=int, default=10,
                    help="niceness of the capacity case's clients: they stand in for other machines, so they "
                         "should not take the server's CPU share on this one (0: same priority)")
    ap.add_argument("--quick", action="store_true", help="1 run per case, 50 clients")
    ap.add_argument("--storm-only", action="store_true", help="only the concurrent Pi-style clients")
    ap.add_argument("--case", help="only the single-client cases whose '<label>, <client> w<window>' contains this "
                                   "('capacity': only the capacity case)")
    ap.add_argument("--server-log", action="store_true", help="print the servers' log at the end")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.clients, args.held, args.capacity = 1, 50, 200, 4
    if in_ns():
        return main_in_ns(args)
    if os.geteuid() != 0:
        raise SystemExit("bench needs root (network namespace)")
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    sh("ip", "netns", "add", NS)
    try:
        env = dict(os.environ, MBT_IN_NS="1", MB_BIN=MB_BIN, MB_FIXTURES=FIXTURES)
        return subprocess.run(["ip", "netns", "exec", NS, sys.executable, os.path.abspath(__file__), *sys.argv[1:]],
                              env=env).returncode
    finally:
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main() or 0)
