#!/usr/bin/python3
"""Lock-step TFTP turnaround: wall time, server CPU and client CPU per DATA block, servers alternated.

Each round downloads the same file once from every server (atftp client, blksize 1468, no
windowsize, loopback), in a rotating order, so that load from other work on the machine falls on
all servers alike; prints the median wall time per block over the rounds and the server CPU
(user + system) per block over all rounds. Servers: mb-tftp in one or more configurations
(--mb NAME='extra serve flags'), atftpd and tftpd-hpa (when found), and with --floor the yardstick
floor_server.c (per block: wait for the ACK by a blocking recv, or poll/epoll_wait + recv; one
send; nothing else).

Usage: bench/tftp/lockstep.py [--rounds N] [--size BYTES] [--mb NAME='[@BINARY] FLAGS' ...] [--window N]
                              [--client atftp|curl] [--floor] [--pin-server CPU] [--pin-client CPU]
Env: MB_BIN (build/tools), TFTPD_HPA (/opt/mb-peers/tftpd-hpa/usr/sbin/in.tftpd)
"""
import argparse
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MB_BIN = os.environ.get("MB_BIN", os.path.join(HERE, "..", "..", "build", "tools"))
TFTPD_HPA = os.environ.get("TFTPD_HPA", "/opt/mb-peers/tftpd-hpa/usr/sbin/in.tftpd")


sys.path.insert(0, HERE)
from bench import CpuMeter  # noqa: E402  (tftpd-hpa forks per transfer: its children are sampled)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--size", type=int, default=4_000_000)
    ap.add_argument("--window", type=int, default=0)
    ap.add_argument("--client", choices=["atftp", "curl"], default="atftp")
    ap.add_argument("--mb", action="append", default=[],
                    help="NAME=FLAGS: an mb-tftp configuration ('@/path/to/mb-tftp' first: another build)")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--pin-server", type=int, help="run every server on this CPU only")
    ap.add_argument("--pin-client", type=int, help="run the client on this CPU only")
    ap.add_argument("--floor", action="store_true",
                    help="also floor_server.c: the least work per block any server can do (a yardstick)")
    args = ap.parse_args()
    variants = [v.split("=", 1) for v in args.mb] or [["mb-tftp", ""]]
    work = tempfile.mkdtemp(prefix="mb-bench-lockstep-")
    procs = {}
    try:
        root = os.path.join(work, "root")
        os.makedirs(os.path.join(root, "tftp"))
        data = os.urandom(args.size)
        with open(os.path.join(root, "tftp", "f.bin"), "wb") as f:
            f.write(data)
        for base, dirs, files in os.walk(work):
            os.chmod(base, 0o755)
            for x in files:
                os.chmod(os.path.join(base, x), 0o644)
        log = open(os.path.join(work, "servers.log"), "w")
        port = 31000 + os.getpid() % 2000
        for name, flags in variants:
            port += 1
            flags = shlex.split(flags)
            binary = flags.pop(0)[1:] if flags and flags[0].startswith("@") else os.path.join(MB_BIN, "mb-tftp")
            procs[name] = (subprocess.Popen([binary, "--root", root, "--log-level", "warn", "serve", "--listen",
                                             "127.0.0.1", "--port", str(port), *flags], stderr=log), port)
        if not args.no_peers:
            port += 1
            procs["atftpd"] = (subprocess.Popen(["atftpd", "--daemon", "--no-fork", "--port", str(port),
                                                 "--bind-address", "127.0.0.1", "--logfile", "/dev/null",
                                                 os.path.join(root, "tftp")], stderr=log), port)
            if os.access(TFTPD_HPA, os.X_OK):
                port += 1
                procs["tftpd-hpa"] = (subprocess.Popen([TFTPD_HPA, "-L", "-a", f"127.0.0.1:{port}", "-B", "1468",
                                                        "-s", os.path.join(root, "tftp")], stderr=log), port)
        if args.floor:
            binary = os.path.join(work, "floor_server")
            subprocess.run(["cc", "-O2", "-o", binary, os.path.join(HERE, "floor_server.c")], check=True)
            for wait in ("recv", "poll", "epoll"):
                port += 1
                procs[f"floor, {wait}"] = (subprocess.Popen([binary, str(port), os.path.join(root, "tftp", "f.bin"), wait],
                                                            stderr=log), port)
        if args.pin_server is not None:
            for p, _ in procs.values():
                os.sched_setaffinity(p.pid, {args.pin_server})
        time.sleep(0.5)
        for name, (p, _) in procs.items():
            if p.poll() is not None:
                raise SystemExit(f"{name} did not start (see {work}/servers.log)")
        out = os.path.join(work, "out.bin")
        blocks = args.size // 1468 + 1
        walls = {n: [] for n in procs}
        cpu = {n: 0.0 for n in procs}
        client_cpu = {n: 0.0 for n in procs}
        names = list(procs)
        cmd_opts = ["--option", "blksize 1468"] + (["--option", f"windowsize {args.window}"] if args.window else [])
        for r in range(args.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                proc, port = procs[name]
                meter = CpuMeter(proc.pid, children=name == "tftpd-hpa").start()
                ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.monotonic()
                if args.client == "curl":
                    cmd = ["curl", "-sS", "--tftp-blksize", "1468", "-o", out, f"tftp://127.0.0.1:{port}/f.bin"]
                else:
                    cmd = ["atftp", *cmd_opts, "-g", "-r", "f.bin", "-l", out, "127.0.0.1", str(port)]
                if args.pin_client is not None:
                    cmd = ["taskset", "-c", str(args.pin_client), *cmd]
                rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
                dt = time.monotonic() - t0
                cpu[name] += meter.stop()
                ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                client_cpu[name] += (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
                if rc != 0 or open(out, "rb").read() != data:
                    print(f"{name}: download failed or differs", file=sys.stderr)
                    continue
                walls[name].append(dt)
        pins = "" if args.pin_server is None and args.pin_client is None else \
            f", server on CPU {args.pin_server}, client on CPU {args.pin_client}"
        print(f"{args.client} {'windowed' if args.window else 'lock-step'} {args.size} bytes, blksize 1468{f', windowsize {args.window}' if args.window else ''}{pins}, "
              f"{args.rounds} rounds; load {os.getloadavg()[0]:.2f}")
        for name in names:
            w = sorted(walls[name])
            if not w:
                print(f"  {name:22} failed")
                continue
            print(f"  {name:22} median {statistics.median(w) * 1e6 / blocks:6.1f} us/block "
                  f"(p25 {w[len(w) // 4] * 1e6 / blocks:6.1f}, best {w[0] * 1e6 / blocks:6.1f}, "
                  f"worst {w[-1] * 1e6 / blocks:6.1f}), "
                  f"server CPU {cpu[name] * 1e6 / (blocks * args.rounds):5.1f} us/block, "
                  f"client CPU {client_cpu[name] * 1e6 / (blocks * args.rounds):5.1f} us/block")
    finally:
        for p, _ in procs.values():
            p.terminate()
        for p, _ in procs.values():
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
