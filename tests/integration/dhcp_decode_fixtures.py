#!/usr/bin/python3
"""`mb-dhcp decode` and `mb-dhcp replay` on the real firmware captures (../shared/fixtures/pcap):
every request is classified as the firmware it came from, and replay answers each class per
dhcp.md §7 (arm64 PXE → snp.efi, HTTP boot → HTTPClient + URL, iPXE → script URL, 4011 → ACK)."""
import json
import os
import subprocess
import sys

mb = os.path.join(os.environ["MB_BIN"], "mb-dhcp")
pcaps = os.path.join(os.environ["MB_FIXTURES"], "pcap")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args):
    r = subprocess.run([mb, "--json", *args], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr)
    check(r.returncode == 0, " ".join(args[:2]) + " exits 0")
    return json.loads(r.stdout or "[]")


expected = {
    "arm64-uefi-aavmf-firmware-only-pxe4-pxe6-httpboot.pcap": ["pxe", "pxe", "pxe", "http-boot"],
    "x86-bios-seabios-ipxe-rom-virtio.pcap": ["ipxe"],
    "x86-uefi-ovmf-ipxe-efirom-http.pcap": ["ipxe"],
    "x86-uefi-ovmf-pxe-tftp-ipxe-http.pcap": ["pxe", "pxe", "pxe", "ipxe", "ipxe", "ipxe"],
}
for name, classes in expected.items():
    path = os.path.join(pcaps, name)
    dec = run("decode", path)
    seen = []
    for e in dec:
        check("error" not in e, f"{name} frame {e['frame']} decodes")
        if e.get("class") and e["class"] not in seen[-1:]:
            seen.append(e["class"])
    # dedupe consecutive repeats for the expectation, too
    exp = [c for i, c in enumerate(classes) if i == 0 or classes[i - 1] != c]
    check(seen == exp, f"{name}: classes {seen} == {exp}")
    for e in dec:
        if e["src"].endswith(":68") and e["packet"]["op"] == "BOOTREQUEST" and "arch" not in e:
            check(False, f"{name} frame {e['frame']}: request without arch")

rep = run("replay", "--server-address", "10.77.0.2", "--http-base-url", "http://10.77.0.2:8080",
          os.path.join(pcaps, "arm64-uefi-aavmf-firmware-only-pxe4-pxe6-httpboot.pcap"))
by_class = {}
for e in rep:
    if e.get("answer"):
        by_class.setdefault(e["class"], e)
pxe, http = by_class.get("pxe"), by_class.get("http-boot")
check(pxe is not None and pxe["reply"]["file"] == "snp.efi" and
      pxe["reply"]["options"]["vendor-encapsulated-options"] == {"discovery-control": 8},
      "replay: arm64 PXE → snp.efi with 43 {6:08}")
check(http is not None and http["reply"]["options"].get("boot-file-name") == "http://10.77.0.2:8080/ipxe/snp.efi"
      and http["reply"]["options"].get("vendor-class-identifier") == "HTTPClient",
      "replay: arm64 HTTP boot → HTTPClient + absolute URL")
binl = [e for e in rep if e["dst"].endswith(":4011")]
check(binl and binl[0]["answer"] == "ACK" and binl[0]["destination"] == "unicast 10.77.0.147:4011",
      "replay: the 4011 REQUEST gets an ACK back to 4011")

rep = run("replay", "--server-address", "10.77.0.2", "--http-base-url", "http://10.77.0.2:8080",
          os.path.join(pcaps, "x86-bios-seabios-ipxe-rom-virtio.pcap"))
disc = [e for e in rep if e["type"] == "DISCOVER"][0]
check(disc["answer"] == "OFFER" and disc["reply"]["file"] == "http://10.77.0.2:8080/boot/52-54-00-77-00-10.ipxe",
      "replay: x86 iPXE ROM (arch 0, non-Pi MAC) → script URL, not the Pi menu")
check("vendor-encapsulated-options" not in disc["reply"]["options"], "replay: no option 43 for the iPXE ROM")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("all checks passed")
