#!/usr/bin/python3
"""mb-dhcp against crafted firmware clients, in network namespaces this test creates.

Scapy sends the byte-exact DISCOVERs of a Pi 4 EEPROM, EDK2 arm64/x64 UEFI PXE, EDK2 HTTP boot,
iPXE and an x86 BIOS PXE ROM with a non-Pi MAC (dhcp.md §10), plus a relayed DISCOVER (giaddr,
hops 1) and the Pi's REQUEST without option 60. Every reply is decoded with tshark and checked
against dhcp.md §2.2/§3/§4/§5/§7. A second lab runs mb-dhcp in proxy mode next to dnsmasq as the
address server on one bridge and checks that a Pi gets both offers and a plain client only dnsmasq's.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GOLDEN_43 = "0601030a0400505845091400001152617370626572727920506920426f6f74ff"
PI_97 = "00525069341131c00032010203cdab3412"
TAG = "mbtdhcp%d" % (os.getpid() % 100000)


def skip(msg):
    print("SKIP: " + msg, file=sys.stderr)
    sys.exit(77)


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)


# ---------------------------------------------------------------------------------------------
# client side: runs inside the client namespace (re-executed with --client)

def client_main(spec_path, out_dir):
    from scapy.all import BOOTP, DHCP, IP, UDP, Ether, conf, mac2str, srp, wrpcap
    conf.checkIPaddr = False
    conf.verb = 0
    spec = json.load(open(spec_path))
    iface = spec["iface"]
    results = {}
    for case in spec["cases"]:
        name, mac = case["name"], case["mac"]
        opts = []
        for code, value in case["options"]:
            if code == "message-type":
                opts.append(("message-type", value))
            else:
                opts.append((code, bytes.fromhex(value)))
        opts.append("end")
        bootp = BOOTP(chaddr=mac2str(mac), xid=case["xid"], flags=case.get("flags", 0),
                      giaddr=case.get("giaddr", "0.0.0.0"), hops=case.get("hops", 0))
        if case.get("udp"):  # a relay (giaddr:67) or an EDK2 BINL request (4011 → 4011): plain UDP
            import socket
            bind, sport, to, dport = case["udp"]
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((bind, sport))
            s.settimeout(3)
            bootp.ciaddr = case.get("ciaddr", "0.0.0.0")
            s.sendto(bytes(bootp / DHCP(options=opts)), (to, dport))
            frames = []
            try:
                data, src = s.recvfrom(4096)
                frames.append(Ether() / IP(src=src[0], dst=bind) / UDP(sport=src[1], dport=sport) / data)
            except socket.timeout:
                pass
        else:
            pkt = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
                   UDP(sport=68, dport=67) / bootp / DHCP(options=opts))
            ans, _ = srp(pkt, iface=iface, timeout=case.get("timeout", 2), multi=True)
            frames = [r for _, r in ans]
        path = os.path.join(out_dir, name + ".pcap")
        if frames:
            wrpcap(path, frames)
        results[name] = len(frames)
    json.dump(results, open(os.path.join(out_dir, "results.json"), "w"))


# ---------------------------------------------------------------------------------------------
# checks: tshark decodes what came back

FIELDS = ["eth.dst", "ip.src", "ip.dst", "udp.srcport", "udp.dstport", "dhcp.ip.your", "dhcp.ip.server",
          "dhcp.ip.relay", "dhcp.hops", "dhcp.flags", "dhcp.file", "dhcp.option.type", "dhcp.option.value",
          "udp.payload"]


def tshark_replies(path):
    if not os.path.exists(path):
        return []
    out = sh("tshark", "-r", path, "-T", "fields", *sum([["-e", f] for f in FIELDS], []), "-E", "separator=|",
             "-E", "occurrence=a", "-E", "aggregator=;").stdout
    replies = []
    for line in out.splitlines():
        vals = line.split("|")
        r = dict(zip(FIELDS, vals))
        types = [int(t) for t in r["dhcp.option.type"].split(";") if t]
        values = r["dhcp.option.value"].split(";")
        # tshark lists END (255) without a value: pair the values with the other types in order
        opts = {}
        vi = 0
        for t in types:
            if t == 255:
                continue
            opts[t] = values[vi] if vi < len(values) else ""
            vi += 1
        r["types"] = types
        r["opts"] = opts
        replies.append(r)
    return replies


FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def text(hexstr):
    return bytes.fromhex(hexstr).decode("latin-1")


def opt60(s):
    return s.encode().hex()


def wire_option_codes(payload_hex):
    """Option codes in wire order up to and including END; a PAD shows up as 0."""
    b = bytes.fromhex(payload_hex)
    i, codes = 240, []
    while i < len(b):
        codes.append(b[i])
        if b[i] == 255:
            break
        if b[i] == 0:
            i += 1
            continue
        i += 2 + b[i + 1]
    return codes, len(b)


def common_reply_checks(name, r):
    codes, size = wire_option_codes(r["udp.payload"])
    check(codes[0] == 53, f"{name}: option 53 first")
    check(codes[-1] == 255, f"{name}: option 255 last")
    check(0 not in codes, f"{name}: no PAD option")
    check(size <= 576, f"{name}: reply of {size} bytes fits 576")


# ---------------------------------------------------------------------------------------------
# lab plumbing

class Lab:
    def __init__(self, tmp):
        self.tmp = tmp
        self.namespaces = []
        self.procs = []

    def ns(self, name):
        full = f"{TAG}{name}"
        sh("ip", "netns", "add", full)
        self.namespaces.append(full)
        sh("ip", "-n", full, "link", "set", "lo", "up")
        return full

    def start(self, ns, args, log):
        f = open(log, "w")
        p = subprocess.Popen(["ip", "netns", "exec", ns] + args, stdout=f, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def wait_log(self, log, needle, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if os.path.exists(log) and needle in open(log).read():
                return True
            time.sleep(0.1)
        return False

    def run_client(self, ns, iface, server, cases, name):
        out = os.path.join(self.tmp, name)
        os.makedirs(out, exist_ok=True)
        spec = os.path.join(out, "spec.json")
        json.dump({"iface": iface, "server": server, "cases": cases}, open(spec, "w"))
        r = subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", os.path.abspath(__file__), "--client",
                            spec, out], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            raise RuntimeError("client failed")
        return out

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
        for n in self.namespaces:
            for pid in sh("ip", "netns", "pids", n, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", n, check=False)


def discover_cases():
    pxe_bios = opt60("PXEClient:Arch:00000:UNDI:002001")
    return [
        {"name": "pi4", "mac": "dc:a6:32:01:02:03", "xid": 0x26F30339, "flags": 0,
         "options": [["message-type", "discover"], [55, "2b3c424380818283848586 87".replace(" ", "")],
                     [93, "0000"], [94, "010201"], [60, pxe_bios], [97, PI_97]]},
        {"name": "arm64_uefi", "mac": "52:54:00:77:00:30", "xid": 0x6293ACE8, "flags": 0x8000,
         "options": [["message-type", "discover"], [57, "05c0"], [93, "000b"], [94, "010300"],
                     [60, opt60("PXEClient:Arch:00011:UNDI:003000")],
                     [97, "00dec0b07a000000408000000000000030"]]},
        {"name": "x64_uefi", "mac": "52:54:00:77:00:20", "xid": 0xE245FF37, "flags": 0x8000,
         "options": [["message-type", "discover"], [57, "05c0"], [93, "0007"], [94, "010300"],
                     [60, opt60("PXEClient:Arch:00007:UNDI:003000")]]},
        {"name": "http_boot", "mac": "52:54:00:77:00:31", "xid": 0x6293ACE9, "flags": 0x8000,
         "options": [["message-type", "discover"], [93, "0013"], [94, "010300"],
                     [60, opt60("HTTPClient:Arch:00019:UNDI:003000")]]},
        {"name": "ipxe", "mac": "dc:a6:32:01:02:03", "xid": 0x0A0B0C0D, "flags": 0,
         "options": [["message-type", "discover"], [77, "69505845"], [175, "130101240101"], [93, "000b"],
                     [94, "01030a"], [60, opt60("PXEClient:Arch:00011:UNDI:003010")]]},
        {"name": "bios_nonpi", "mac": "52:54:00:77:00:10", "xid": 0x3922591C, "flags": 0,
         "options": [["message-type", "discover"], [93, "0000"], [94, "010201"], [60, pxe_bios]]},
        {"name": "relayed", "mac": "52:54:00:77:00:40", "xid": 0x01020304, "udp": ["10.98.0.1", 67, "10.99.0.1", 67],
         "giaddr": "10.98.0.1", "hops": 1,
         "options": [["message-type", "discover"], [93, "0007"], [60, opt60("PXEClient:Arch:00007:UNDI:003000")]]},
    ]


def full_mode_lab(mb_dhcp, tmp):
    lab = Lab(tmp)
    try:
        srv, cli = lab.ns("s"), lab.ns("c")
        sh("ip", "link", "add", f"{TAG}a", "type", "veth", "peer", "name", f"{TAG}b")
        sh("ip", "link", "set", f"{TAG}a", "netns", srv)
        sh("ip", "link", "set", f"{TAG}b", "netns", cli)
        sh("ip", "-n", srv, "addr", "add", "10.99.0.1/16", "dev", f"{TAG}a")
        sh("ip", "-n", srv, "link", "set", f"{TAG}a", "up")
        sh("ip", "-n", cli, "addr", "add", "10.99.0.2/16", "dev", f"{TAG}b")
        sh("ip", "-n", cli, "addr", "add", "10.98.0.1/24", "dev", f"{TAG}b")
        sh("ip", "-n", cli, "link", "set", f"{TAG}b", "up")
        sh("ip", "-n", srv, "route", "add", "10.98.0.0/24", "via", "10.99.0.2")
        # a second served interface on another subnet
        sh("ip", "link", "add", f"{TAG}x", "type", "veth", "peer", "name", f"{TAG}y")
        sh("ip", "link", "set", f"{TAG}x", "netns", srv)
        sh("ip", "link", "set", f"{TAG}y", "netns", cli)
        sh("ip", "-n", srv, "addr", "add", "10.97.0.1/24", "dev", f"{TAG}x")
        sh("ip", "-n", srv, "link", "set", f"{TAG}x", "up")
        sh("ip", "-n", cli, "link", "set", f"{TAG}y", "up")
        root = os.path.join(tmp, "root")
        os.makedirs(root)
        log = os.path.join(tmp, "full.log")
        lab.start(srv, [mb_dhcp, "--root", root, "--log-level", "debug", "serve", "--mode", "full",
                        "-i", f"{TAG}a", "-i", f"{TAG}x", "--pool", "10.99.0.0/16,10.99.0.10,10.99.0.200,10.99.0.1",
                        "--pool", "10.97.0.0/24,10.97.0.50,10.97.0.60,10.97.0.1",
                        "--pool", "10.98.0.0/24,10.98.0.100,10.98.0.150,10.98.0.1", "--lease-time", "600",
                        "--http-base-url", "http://10.99.0.1:8080", "--capture", os.path.join(tmp, "server.pcap")],
                  log)
        if not lab.wait_log(log, "serving in full mode"):
            print(open(log).read())
            check(False, "mb-dhcp started")
            return
        time.sleep(0.5)  # DAD on the veth
        out = lab.run_client(cli, f"{TAG}b", "10.99.0.1", discover_cases(), "full")
        R = {c["name"]: tshark_replies(os.path.join(out, c["name"] + ".pcap")) for c in discover_cases()}
        for name, replies in R.items():
            check(len(replies) == 1, f"{name}: exactly one reply (got {len(replies)})")
        if any(len(r) != 1 for r in R.values()):
            print(open(log).read())
            return
        R = {k: v[0] for k, v in R.items()}
        for name, r in R.items():
            common_reply_checks(name, r)
            check(r["opts"].get(53) == "02", f"{name}: OFFER")
            check(r["opts"].get(54) == "0a630001", f"{name}: server id 10.99.0.1")
            check(r["opts"].get(51) == "00000258", f"{name}: lease time 600")

        pi = R["pi4"]
        check(pi["opts"].get(43) == GOLDEN_43, "pi4: option 43 is dnsmasq's golden Pi menu")
        check(pi["opts"].get(60) == opt60("PXEClient"), "pi4: option 60 PXEClient")
        check(pi["opts"].get(97) == PI_97, "pi4: option 97 echoed")
        check(text(pi["opts"].get(66, "")) == "10.99.0.1", "pi4: option 66 is the TFTP address as text")
        check(pi["dhcp.ip.server"] == "10.99.0.1", "pi4: siaddr = TFTP server")
        check(pi["dhcp.ip.your"].startswith("10.99.0."), "pi4: yiaddr from the pool")
        check(pi["eth.dst"] == "dc:a6:32:01:02:03" and pi["ip.dst"] == pi["dhcp.ip.your"],
              "pi4: unicast to yiaddr at L2 chaddr (broadcast flag clear)")
        check(pi["dhcp.file"] == "", "pi4: file empty")

        for name, nbp in (("arm64_uefi", "snp.efi"), ("x64_uefi", "ipxe.efi")):
            r = R[name]
            check(r["opts"].get(43) == "060108ff", f"{name}: option 43 = 06 01 08 ff")
            check(r["opts"].get(60) == opt60("PXEClient"), f"{name}: option 60 PXEClient")
            check(r["dhcp.file"] == nbp, f"{name}: file {nbp}")
            check(r["dhcp.ip.server"] == "10.99.0.1", f"{name}: siaddr")
            check(r["eth.dst"] == "ff:ff:ff:ff:ff:ff" and r["ip.dst"] == "255.255.255.255",
                  f"{name}: broadcast (flag set)")
        check(R["arm64_uefi"]["opts"].get(97) == "00dec0b07a000000408000000000000030", "arm64_uefi: 97 echoed")

        h = R["http_boot"]
        url = "http://10.99.0.1:8080/ipxe/snp.efi"
        check(h["opts"].get(60) == opt60("HTTPClient"), "http_boot: option 60 HTTPClient")
        check(text(h["opts"].get(67, "")) == url, "http_boot: option 67 absolute URL")
        check(h["dhcp.file"] == url, "http_boot: file absolute URL")
        check(43 not in h["opts"], "http_boot: no option 43")

        i = R["ipxe"]
        check(i["dhcp.file"] == "http://10.99.0.1:8080/boot/dc-a6-32-01-02-03.ipxe", "ipxe: file = script URL")
        check(43 not in i["opts"], "ipxe: no Pi menu for iPXE on a Pi MAC")
        check(i["opts"].get(175) == "b00101", "ipxe: 175 no-pxedhcp in full mode")

        b = R["bios_nonpi"]
        check(b["opts"].get(43) == "060108ff", "bios_nonpi: option 43 is NOT the Pi menu")
        check(b["dhcp.file"] == "undionly.kpxe", "bios_nonpi: undionly.kpxe")

        rl = R["relayed"]
        check(rl["ip.src"] == "10.99.0.1" and rl["udp.srcport"] == "67", "relayed: reply from server port 67")
        check(rl["dhcp.ip.relay"] == "10.98.0.1" and rl["dhcp.hops"] == "1", "relayed: giaddr and hops echoed")
        check(rl["dhcp.ip.your"].startswith("10.98.0.1") and rl["dhcp.ip.your"] != "10.98.0.1",
              "relayed: address from the giaddr's pool")
        check(rl["opts"].get(3) == "0a620001", "relayed: router of the giaddr's pool")

        # the second interface answers from its own address and pool
        second = lab.run_client(cli, f"{TAG}y", "10.97.0.1", [dict(discover_cases()[0], name="pi4_if2")], "if2")
        r2 = tshark_replies(os.path.join(second, "pi4_if2.pcap"))
        check(len(r2) == 1 and r2[0]["opts"].get(54) == "0a610001" and r2[0]["dhcp.ip.your"].startswith("10.97.0.")
              and r2[0]["opts"].get(43) == GOLDEN_43, "second interface: offer from 10.97.0.1 out of its own pool")

        # a flood of garbage: dropped with rate-limited log lines, the server keeps answering
        flood = ("import os, socket\n"
                 "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                 "good = bytes.fromhex('0101060000000001' + '00' * 228 + '63825363')\n"
                 "for i in range(3000):\n"
                 "    junk = [os.urandom(i % 700), good[:200 + i % 40], good + bytes([60, 200]) + b'x' * (i % 50),\n"
                 "            b'\\x02' + good[1:] + b'\\xff', good[:236] + b'\\x01\\x02\\x03\\x04'][i % 5]\n"
                 "    s.sendto(junk, ('10.99.0.1', 67))\n")
        sh("ip", "netns", "exec", cli, "/usr/bin/python3", "-c", flood)
        time.sleep(0.5)
        logtext = open(log).read()
        dropped = logtext.count("dropped malformed packet")
        check(1 <= dropped <= 20, f"garbage flood: {dropped} rate-limited log lines for 2400 malformed packets")

        # the Pi's REQUEST carries no option 60 (rpi-eeprom#82): ACK it, with the menu again
        req = [{"name": "pi_request", "mac": "dc:a6:32:01:02:03", "xid": 0x26F30339, "flags": 0,
                "options": [["message-type", "request"], [50, "".join("%02x" % int(x) for x in
                                                                       pi["dhcp.ip.your"].split("."))],
                            [54, "0a630001"], [97, PI_97]]},
               {"name": "wrong_addr", "mac": "52:54:00:77:00:55", "xid": 0x55, "flags": 0,
                "options": [["message-type", "request"], [50, "0a6300fa"], [54, "0a630001"]]},
               {"name": "other_server", "mac": "52:54:00:77:00:20", "xid": 0xE245FF37, "flags": 0x8000,
                "timeout": 1, "options": [["message-type", "request"], [50, "0a630014"], [54, "0a6300fe"]]}]
        out2 = lab.run_client(cli, f"{TAG}b", "10.99.0.1", req, "full_req")
        a = tshark_replies(os.path.join(out2, "pi_request.pcap"))
        check(len(a) == 1 and a[0]["opts"].get(53) == "05", "pi_request: ACK to the Pi REQUEST without 60")
        if a:
            check(a[0]["opts"].get(43) == GOLDEN_43, "pi_request: ACK repeats the Pi menu")
            check(a[0]["dhcp.ip.your"] == pi["dhcp.ip.your"], "pi_request: ACK for the offered address")
        n = tshark_replies(os.path.join(out2, "wrong_addr.pcap"))
        check(len(n) == 1 and n[0]["opts"].get(53) == "06", "wrong_addr: NAK for an address never offered")
        check(not tshark_replies(os.path.join(out2, "other_server.pcap")), "other_server: REQUEST for another server ignored")

        time.sleep(0.5)
        leases = open(os.path.join(root, "state/dhcp/dnsmasq.leases")).read()
        check(f"dc:a6:32:01:02:03 {pi['dhcp.ip.your']}" in leases, "lease persisted in dnsmasq format")
        learned = os.path.join(root, "state/dhcp/devices/dc-a6-32-01-02-03.json")
        deadline = time.time() + 5
        while not os.path.exists(learned) and time.time() < deadline:
            time.sleep(0.2)
        if os.path.exists(learned):
            j = json.load(open(learned)).get("observed", {})
            check(j.get("serial") == "1234abcd" and j.get("revision") == "c03111", "learned Pi serial and revision")
        else:
            check(False, "learned state written")
        # our own capture decodes with tshark and with mb-dhcp decode
        cap = sh("tshark", "-r", os.path.join(tmp, "server.pcap"), "-Y", "dhcp").stdout
        check(cap.count("DHCP") >= 16, "serve --capture recorded requests and replies")
        dec = json.loads(sh(mb_dhcp, "--json", "decode", os.path.join(tmp, "server.pcap")).stdout)
        classes = {e.get("class") for e in dec if e.get("class")}
        check({"pi-bootloader", "pxe", "http-boot", "ipxe"} <= classes, "decode of our capture classifies clients")
    finally:
        lab.cleanup()


def proxy_with_dnsmasq_lab(mb_dhcp, tmp):
    if not shutil.which("dnsmasq"):
        check(False, "dnsmasq installed")
        return
    lab = Lab(tmp)
    try:
        srv, prx, cli = lab.ns("S"), lab.ns("P"), lab.ns("C")
        sh("ip", "-n", srv, "link", "add", "br0", "type", "bridge")
        for peer_ns, a, b in ((prx, f"{TAG}p", f"{TAG}q"), (cli, f"{TAG}c", f"{TAG}d")):
            sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
            sh("ip", "link", "set", a, "netns", srv)
            sh("ip", "link", "set", b, "netns", peer_ns)
            sh("ip", "-n", srv, "link", "set", a, "master", "br0")
            sh("ip", "-n", srv, "link", "set", a, "up")
            sh("ip", "-n", peer_ns, "link", "set", b, "up")
        sh("ip", "-n", srv, "addr", "add", "10.99.0.1/16", "dev", "br0")
        sh("ip", "-n", srv, "link", "set", "br0", "up")
        sh("ip", "-n", prx, "addr", "add", "10.99.0.3/16", "dev", f"{TAG}q")
        dlog, plog = os.path.join(tmp, "dnsmasq.log"), os.path.join(tmp, "proxy.log")
        lab.start(srv, ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=br0",
                        "--bind-interfaces", "--dhcp-range=10.99.1.10,10.99.1.100,255.255.0.0,1h", "--no-ping",
                        "--dhcp-authoritative", "--log-dhcp", f"--dhcp-leasefile={tmp}/dnsmasq.leases",
                        "--pid-file="], dlog)
        lab.start(prx, [mb_dhcp, "--root", os.path.join(tmp, "proot"), "serve", "--mode", "proxy",
                        "-i", f"{TAG}q", "--proxy-4011", "--http-base-url", "http://10.99.0.3:8080"], plog)
        sh("ip", "-n", cli, "addr", "add", "10.99.0.50/16", "dev", f"{TAG}d")
        if not lab.wait_log(plog, "serving in proxy mode") or not lab.wait_log(dlog, "DHCP, IP range"):
            print(open(plog).read(), open(dlog).read())
            check(False, "dnsmasq and mb-dhcp started")
            return
        time.sleep(1.0)  # bridge forwarding
        cases = [c for c in discover_cases() if c["name"] == "pi4"]
        cases[0]["timeout"] = 3
        cases.append({"name": "plain", "mac": "52:54:00:77:00:99", "xid": 0x77, "flags": 0x8000, "timeout": 3,
                      "options": [["message-type", "discover"]]})
        # EDK2 in BINL mode: REQUEST from and to UDP 4011, unicast to the proxy (dhcp.md §3)
        cases.append({"name": "binl", "mac": "52:54:00:77:00:30", "xid": 0xC0BEE225, "ciaddr": "10.99.0.50",
                      "udp": ["10.99.0.50", 4011, "10.99.0.3", 4011],
                      "options": [["message-type", "request"], [93, "000b"], [94, "010300"],
                                  [60, opt60("PXEClient:Arch:00011:UNDI:003000")]]})
        out = lab.run_client(cli, f"{TAG}d", "10.99.0.1", cases, "proxy")
        replies = tshark_replies(os.path.join(out, "pi4.pcap"))
        by_src = {r["ip.src"]: r for r in replies}
        check(set(by_src) == {"10.99.0.1", "10.99.0.3"}, f"pi4 in proxy lab: offers from dnsmasq and mb-dhcp ({sorted(by_src)})")
        d, p = by_src.get("10.99.0.1"), by_src.get("10.99.0.3")
        if d:
            check(d["dhcp.ip.your"].startswith("10.99.1."), "dnsmasq offers the address")
        if p:
            common_reply_checks("proxy pi4", p)
            check(p["dhcp.ip.your"] == "0.0.0.0", "proxy offer has yiaddr 0")
            check(p["opts"].get(43) == GOLDEN_43, "proxy offer carries the golden Pi menu")
            check(p["opts"].get(60) == opt60("PXEClient") and p["opts"].get(97) == PI_97, "proxy offer: 60 and 97")
            check(p["dhcp.ip.server"] == "10.99.0.3" and p["opts"].get(54) == "0a630003", "proxy offer: siaddr/54 ours")
            check(p["ip.dst"] == "255.255.255.255", "proxy offer is broadcast")
            check(51 not in p["opts"] and 1 not in p["opts"], "proxy offer has no lease options")
        binl = tshark_replies(os.path.join(out, "binl.pcap"))
        check(len(binl) == 1 and binl[0]["opts"].get(53) == "05" and binl[0]["udp.srcport"] == "4011" and
              binl[0]["dhcp.file"] == "snp.efi" and binl[0]["opts"].get(60) == opt60("PXEClient"),
              "BINL REQUEST on 4011: ACK from 4011 with the arm64 boot file")
        plain = tshark_replies(os.path.join(out, "plain.pcap"))
        check([r["ip.src"] for r in plain] == ["10.99.0.1"], "plain client: only dnsmasq answers")
    finally:
        lab.cleanup()


def main():
    if os.geteuid() != 0:
        skip("needs root for network namespaces (CI runs as root)")
    mb_bin = os.environ.get("MB_BIN")
    if not mb_bin:
        skip("MB_BIN not set")
    mb_dhcp = os.path.join(mb_bin, "mb-dhcp")
    for tool in ("tshark",):
        if not shutil.which(tool):
            print(f"FAIL: {tool} missing", file=sys.stderr)
            sys.exit(1)
    try:
        import scapy  # noqa: F401
    except ImportError:
        print("FAIL: python3-scapy missing", file=sys.stderr)
        sys.exit(1)
    r = sh("ip", "netns", "add", TAG + "probe", check=False)
    if r.returncode != 0:
        skip("kernel lacks network namespaces: " + r.stderr.strip())
    sh("ip", "netns", "del", TAG + "probe")
    tmp = tempfile.mkdtemp(prefix="mbtdhcp-")
    ok = False
    try:
        os.makedirs(os.path.join(tmp, "full"))
        full_mode_lab(mb_dhcp, os.path.join(tmp, "full"))
        os.makedirs(os.path.join(tmp, "proxy"))
        proxy_with_dnsmasq_lab(mb_dhcp, os.path.join(tmp, "proxy"))
        ok = True
    finally:
        if FAILURES or not ok:
            print(f"logs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        client_main(sys.argv[2], sys.argv[3])
    else:
        main()
