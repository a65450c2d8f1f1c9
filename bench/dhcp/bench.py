#!/usr/bin/python3
"""mb-dhcp vs dnsmasq under perfdhcp (kea-admin), in network namespaces created here.

perfdhcp runs as a relay (giaddr = its address, source port 67), so both servers select the pool
by giaddr and answer to giaddr:67. For each server and offered rate: achieved 4-way exchanges/s,
drop ratio, p99 of DISCOVER-OFFER and REQUEST-ACK (from `perfdhcp -x t` timestamps). The best rate
with < 1 % drops is compared as a ratio. Also: proxy-mode replies/s for Pi DISCOVERs (DO only),
and each server's RSS after 10,000 leases. Leases are persisted by both servers (mb-dhcp: atomic
rewrite coalesced every 100 ms; dnsmasq: its lease file).

    sudo bench/dhcp/bench.py [--duration 5] [--rates 500,1000,2000,4000,8000] [--mb-dhcp PATH]
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TAG = "mbtdhcpb%d" % (os.getpid() % 100000)
S, C = TAG + "s", TAG + "c"
PI_OPTS = ["-o", "60," + b"PXEClient:Arch:00000:UNDI:002001".hex(), "-o", "93,0000", "-o", "94,010201",
           "-b", "mac=dc:a6:32:00:00:01"]


def sh(*a, check=True):
    return subprocess.run(list(a), check=check, capture_output=True, text=True)


def setup():
    sh("ip", "netns", "add", S)
    sh("ip", "netns", "add", C)
    sh("ip", "link", "add", TAG + "a", "type", "veth", "peer", "name", TAG + "b")
    sh("ip", "link", "set", TAG + "a", "netns", S)
    sh("ip", "link", "set", TAG + "b", "netns", C)
    sh("ip", "-n", S, "addr", "add", "10.99.0.1/16", "dev", TAG + "a")
    sh("ip", "-n", C, "addr", "add", "10.99.0.2/16", "dev", TAG + "b")
    for ns, dev in ((S, TAG + "a"), (C, TAG + "b")):
        sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")


def cleanup():
    for ns in (S, C):
        for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", ns, check=False)


def supports(exe, flag):
    """Whether `exe serve` knows `flag` (to compare against older builds)."""
    out = subprocess.run([exe, "serve", "--help"], capture_output=True, text=True).stdout
    return flag in out


class Server:
    def __init__(self, kind, tmp, mb_dhcp, mode="full"):
        self.kind, self.tmp = kind, tmp
        d = tempfile.mkdtemp(dir=tmp)
        if kind == "mb-dhcp":
            args = [mb_dhcp, "--root", d, "--log-level", "warn", "serve", "--mode", mode, "-i", TAG + "a",
                    "--pool", "10.99.0.0/16,10.99.1.0,10.99.250.255,10.99.0.1", "--lease-time", "3600",
                    "--http-base-url", "http://10.99.0.1:8080", "--no-learn"]
            if supports(mb_dhcp, "--no-ping-check"):  # dnsmasq runs with --no-ping too
                args.append("--no-ping-check")
        else:
            args = ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=" + TAG + "a",
                    "--bind-interfaces", "--dhcp-range=10.99.1.0,10.99.250.255,255.255.0.0,1h", "--no-ping",
                    "--dhcp-authoritative", "--dhcp-lease-max=200000", "--quiet-dhcp",
                    "--dhcp-leasefile=" + d + "/dnsmasq.leases", "--pid-file="]
        self.log = open(os.path.join(d, "log"), "w")
        self.p = subprocess.Popen(["ip", "netns", "exec", S] + args, stdout=self.log, stderr=subprocess.STDOUT)
        time.sleep(0.8)

    def pid(self):
        # the server process is the child of `ip netns exec` (exec'd in place: same pid)
        return self.p.pid

    def rss_kib(self):
        for line in open(f"/proc/{self.pid()}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        fields = open(f"/proc/{self.pid()}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def perfdhcp(args):
    r = subprocess.run(["ip", "netns", "exec", C, "perfdhcp", "-4", "-l", "10.99.0.2", "-x", "t"] + args +
                       ["10.99.0.1"], capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    res = {"rate": 0.0, "sent": 0, "drops": 0, "p99": {}}
    m = re.search(r"Rate: ([0-9.]+)", out)
    if m:
        res["rate"] = float(m.group(1))
    for sec in re.split(r"\*\*\*Statistics for: ", out)[1:]:
        name = sec.split("*")[0]
        sent = re.search(r"sent packets: (\d+)", sec)
        drops = re.search(r"drops: (\d+)", sec)
        if sent:
            res["sent"] += int(sent.group(1))
        if drops:
            res["drops"] += int(drops.group(1))
        res.setdefault("names", []).append(name)
    for block in re.split(r"\*\*\*Timestamps for packets: ", out)[1:]:
        name = block.split("*")[0]
        lat = []
        for m in re.finditer(r"sent / received: ([0-9.]+) / ([0-9.]+)", block):
            lat.append((float(m.group(2)) - float(m.group(1))) * 1000)
        lat.sort()
        if lat:
            res["p99"][name] = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    res["drop_ratio"] = res["drops"] / res["sent"] if res["sent"] else 1.0
    return res


def cpu_per_reply(cpu, r):
    """Server CPU (user+sys) per answered request in microseconds: a figure that depends far less
    on what else runs on the machine than the drop rate does."""
    answered = r["sent"] - r["drops"]
    return f"{1e6 * cpu / answered:.0f} us/reply" if answered > 0 else "-"


def fmt_p99(p):
    return " ".join(f"{k.split('-')[0][:3]}:{v:.2f}ms" for k, v in p.items())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rates", default="100,250,500,1000,2000,4000,8000")
    ap.add_argument("--proxy-rates", default="5000,10000,20000")
    ap.add_argument("--parts", default="full,proxy,rss", help="which measurements to run")
    ap.add_argument("--mb-dhcp", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "../../build/tools/mb-dhcp"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (network namespaces)")
    for t in ("perfdhcp", "dnsmasq"):
        if not shutil.which(t):
            sys.exit(f"{t} missing (packages kea-admin, dnsmasq)")
    tmp = tempfile.mkdtemp(prefix="mbtdhcp-bench-")
    rates = [int(x) for x in a.rates.split(",")]
    best = {}
    try:
        setup()
        parts = a.parts.split(",")
        if "full" not in parts:
            rates = []
        print(f"full mode: perfdhcp relay DORA, {a.duration} s per rate, 50,000 distinct clients, /16 pool")
        print(f"{'server':9} {'offered':>8} {'achieved':>9} {'drops':>7}  p99")
        for kind in ("dnsmasq", "mb-dhcp"):
            for rate in rates:
                srv = Server(kind, tmp, a.mb_dhcp)
                r = perfdhcp(["-r", str(rate), "-R", "50000", "-p", str(a.duration)])
                cpu = srv.cpu_seconds()
                srv.stop()
                print(f"{kind:9} {rate:8} {r['rate']:9.1f} {100 * r['drop_ratio']:6.2f}%  {fmt_p99(r['p99'])}  "
                      f"server CPU {100 * cpu / a.duration:.0f}% ({cpu_per_reply(cpu, r)})", flush=True)
                if r["drop_ratio"] < 0.01:
                    best[kind] = (r["rate"], r["p99"])
                else:
                    break
        print("\nproxy mode (mb-dhcp): Pi DISCOVERs, DISCOVER-OFFER only")
        best_proxy = 0.0
        for rate in [int(x) for x in a.proxy_rates.split(",")] if "proxy" in parts else []:
            srv = Server("mb-dhcp", tmp, a.mb_dhcp, mode="proxy")
            r = perfdhcp(["-i", "-r", str(rate), "-R", "50000", "-p", str(a.duration)] + PI_OPTS)
            cpu = srv.cpu_seconds()
            srv.stop()
            print(f"proxy     {rate:8} {r['rate']:9.1f} {100 * r['drop_ratio']:6.2f}%  {fmt_p99(r['p99'])}  "
                  f"server CPU {100 * cpu / a.duration:.0f}% ({cpu_per_reply(cpu, r)}; perfdhcp sent "
                  f"{r['sent'] / a.duration:.0f}/s)", flush=True)
            if r["drop_ratio"] < 0.01:
                best_proxy = r["rate"]
            else:
                break
        print("\nRSS after 10,000 leases")
        rss = {}
        for kind in ("dnsmasq", "mb-dhcp") if "rss" in parts else ():
            srv = Server(kind, tmp, a.mb_dhcp)
            perfdhcp(["-r", "1000", "-R", "10000", "-n", "10000"])
            time.sleep(0.5)
            rss[kind] = srv.rss_kib()
            srv.stop()
            print(f"{kind:9} {rss[kind] / 1024:.1f} MiB")
        print("\nsummary")
        if "dnsmasq" in best and "mb-dhcp" in best:
            print(f"best rate at <1% drops: mb-dhcp {best['mb-dhcp'][0]:.0f}/s, dnsmasq {best['dnsmasq'][0]:.0f}/s, "
                  f"ratio {best['mb-dhcp'][0] / best['dnsmasq'][0]:.2f}x")
        else:
            print(f"best rate at <1% drops: {best}")
        print(f"proxy mode: {best_proxy:.0f} replies/s at <1% drops")
        if rss.get("dnsmasq"):
            print(f"RSS after 10,000 leases: mb-dhcp {rss['mb-dhcp'] / 1024:.1f} MiB, dnsmasq "
                  f"{rss['dnsmasq'] / 1024:.1f} MiB, ratio {rss['mb-dhcp'] / rss['dnsmasq']:.2f}x")
    finally:
        cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
