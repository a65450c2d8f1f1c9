#!/usr/bin/python3
"""mb-talos serve against the local factory stand-in, with curl as the client: the seed URL, byte-exact
images decompressed from Debian xz/zstd output, checksums, Range/HEAD, 10 concurrent cold requests -> one
upstream download, a mid-stream cut -> truncated client + no cache entry, a 302 to a second server,
errors naming what is wrong, and first byte before the download ends on a slow first build."""
import hashlib
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from talos_factory_standin import Harness, decompress, header  # noqa: E402

DEFAULT_ID = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba"
RPI_ID = "ee21ef4a5ef808a9b7484cc0dda0f25075021691c8c09a276591eedb638ea1f9"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


h = Harness("serve", ["--build-delay", "1.5", "--image-size", str(6 << 20)])
try:
    h.start_serve()

    # 1. The seed URL: slow first build, rate-limited body -> first byte before the download ends.
    h.control(rate=3_000_000)
    seed = "/images/talos/v1.11.1/amd64/openstack.raw?extensions=qemu-guest-agent,iscsi-tools"
    rc, code, body, hdrs, t = h.curl(seed)
    check(rc == 0 and code == 200, "seed URL answers 200 (rc=%d code=%d %s)" % (rc, code, t["err"]))
    sid = header(hdrs, "X-Talos-Schematic")
    check(header(hdrs, "X-Talos-Version") == "v1.11.1", "version header")
    ref = decompress(h.reference(sid, "v1.11.1", "openstack-amd64.raw.xz"), "xz")
    check(body == ref and len(body) == 6 << 20, "openstack.raw is the stand-in's .raw.xz decompressed by xz(1)")
    check(t["first"] < t["total"] - 0.2, "first byte %.2fs before the download ended %.2fs" % (t["first"], t["total"]))
    check(t["first"] >= 1.4, "the client waited through the slow first build (%.2fs)" % t["first"])
    check(header(hdrs, "Transfer-Encoding") == "chunked", "a decompressed cold stream is chunked")

    # 2. Checksum sidecar in sha256sum format.
    rc, code, sbody, _, _ = h.curl(seed.replace("openstack.raw", "openstack.raw.sha256"))
    check(code == 200 and sbody.decode() == hashlib.sha256(ref).hexdigest() + "  openstack-amd64.raw\n",
          "the .sha256 is the sha256sum line of the served bytes")
    st = h.stats()
    check(st["gets"].get("%s/v1.11.1/openstack-amd64.raw.xz" % sid) == 1, "one upstream download so far")

    # 3. Range, If-Range and HEAD on the cached file.
    rc, code, part, hdrs, _ = h.curl(seed, "-r", "1000-1999")
    check(code == 206 and part == ref[1000:2000], "Range 1000-1999 -> 206 with those bytes")
    check(header(hdrs, "Content-Range") == "bytes 1000-1999/%d" % len(ref), "Content-Range")
    etag = header(hdrs, "ETag")
    check(etag == '"%s"' % hashlib.sha256(ref).hexdigest(), "ETag is the SHA-256")
    rc, code, part, _, _ = h.curl(seed, "-r", "-100", "-H", "If-Range: " + etag)
    check(code == 206 and part == ref[-100:], "suffix range with a matching If-Range")
    rc, code, part, _, _ = h.curl(seed, "-r", "0-9", "-H", 'If-Range: "other"')
    check(code == 200 and part == ref, "If-Range mismatch -> the whole file")
    rc, code, _, _, _ = h.curl(seed, "-r", "%d-" % (len(ref) + 5))
    check(code == 416, "unsatisfiable range -> 416")
    rc, code, part, hdrs, _ = h.curl(seed, "-I")
    check(code == 200 and header(hdrs, "Content-Length") == str(len(ref)), "HEAD from the cache")
    check(header(hdrs, "X-Talos-Cache") == "hit", "served from the cache")

    # 4. A compressed asset passes through; the Pi overlay gives the well-known schematic.
    h.control(rate=0)
    rc, code, body, hdrs, _ = h.curl("/images/talos/v1.11.1/arm64/metal-arm64.raw.xz?overlay=rpi_generic")
    check(code == 200 and header(hdrs, "X-Talos-Schematic") == RPI_ID, "rpi_generic -> schematic ee21ef...")
    check(body == h.reference(RPI_ID, "v1.11.1", "metal-arm64.raw.xz"), "metal-arm64.raw.xz byte-exact")
    check(header(hdrs, "Content-Type") == "application/x-xz", "xz content type")
    rc, code, body, hdrs, _ = h.curl("/images/talos/v1.11.1/arm64/metal.raw?overlay=rpi-generic&extensions=")
    check(code == 200 and body == decompress(h.reference(RPI_ID, "v1.11.1", "metal-arm64.raw.zst"), "zstd"),
          "metal.raw is the .raw.zst decompressed by zstd(1)")

    # 5. Ten concurrent cold requests -> one upstream download, ten identical answers.
    h.control(rate=4_000_000)
    url = "/images/talos/v1.11.5/arm64/metal.raw?extensions=iscsi-tools"
    results = [None] * 10

    def get(i):
        results[i] = h.curl(url)

    threads = [threading.Thread(target=get, args=(i,)) for i in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    sid = header(results[0][3], "X-Talos-Schematic")
    ref = decompress(h.reference(sid, "v1.11.5", "metal-arm64.raw.zst"), "zstd")
    check(all(r[0] == 0 and r[1] == 200 and r[2] == ref for r in results), "10 concurrent clients got identical images")
    check(h.stats()["gets"].get("%s/v1.11.5/metal-arm64.raw.zst" % sid) == 1,
          "10 concurrent cold requests -> 1 upstream download (%s)" % h.stats()["gets"])

    # 6. Upstream cut mid-body -> the client sees a truncated transfer; no cache entry, no .part.
    h.control(rate=2_000_000, cut=300_000)
    for cut_url, name in (("/images/talos/v1.11.0/amd64/nocloud.raw", "nocloud-amd64.raw"),
                          ("/images/talos/v1.11.0/amd64/nocloud.raw.xz", "nocloud-amd64.raw.xz")):
        rc, code, body, hdrs, t = h.curl(cut_url)
        check(rc != 0, "%s: curl reports the cut (rc=%d: %s)" % (name, rc, t["err"].strip()))
        leftovers = [os.path.join(d, f) for d, _, fs in os.walk(h.cache) for f in fs if f.startswith(name)]
        check(leftovers == [], "%s: no cache entry or .part left (%s)" % (name, leftovers))
    h.control(cut=0, rate=0)
    rc, code, body, hdrs, _ = h.curl("/images/talos/v1.11.0/amd64/nocloud.raw")
    check(code == 200 and body == decompress(h.reference(DEFAULT_ID, "v1.11.0", "nocloud-amd64.raw.xz"), "xz"),
          "after the cut the next request downloads again and succeeds")

    # 6b. An Enterprise-style upstream checksum is verified; a mismatch fails the download.
    h.control(checksums=1)
    rc, code, body, _, _ = h.curl("/images/talos/v1.10.7/amd64/aws.raw.xz")
    check(code == 200 and body == h.reference(DEFAULT_ID, "v1.10.7", "aws-amd64.raw.xz"), "upstream checksum matched")
    h.control(checksums=2)
    rc, code, body, _, t = h.curl("/images/talos/v1.10.7/amd64/aws.raw")
    check(rc != 0 or code != 200, "upstream checksum mismatch -> the client sees a failure (rc=%d code=%d)" % (rc, code))
    leftovers = [f for d, _, fs in os.walk(h.cache) for f in fs if f.startswith("aws-amd64.raw") and "xz" not in f]
    check(leftovers == [], "no cache entry for the mismatching download (%s)" % leftovers)
    h.control(checksums=0)

    # 7. A 302 to a second server ("CDN") is followed.
    h.control(redirect=1)
    rc, code, body, hdrs, _ = h.curl("/images/talos/v1.10.7/amd64/metal.raw.zst")
    check(code == 200 and body == h.reference(DEFAULT_ID, "v1.10.7", "metal-amd64.raw.zst"), "302 to the CDN followed")
    h.control(redirect=0)

    # 8. Errors name what is wrong; latest is the highest stable version.
    rc, code, body, _, _ = h.curl("/images/talos/v1.11.1/amd64/openstack.raw?extensions=iscsi-tools,no-such-ext")
    check(code == 400 and b"'no-such-ext'" in body, "unknown extension -> 400 naming it")
    rc, code, body, _, _ = h.curl("/images/talos/v1.11.1/arm64/metal.raw?overlay=rpi_9")
    check(code == 400 and b"'rpi_9'" in body, "unknown overlay -> 400 naming it")
    rc, code, body, _, _ = h.curl("/images/talos/v1.99.0/amd64/openstack.raw")
    check(code == 404 and b"v1.99.0" in body, "unknown version -> 404")
    rc, code, body, _, _ = h.curl("/images/talos/v1.11.1/riscv64/openstack.raw")
    check(code == 400 and b"riscv64" in body, "bad arch -> 400")
    rc, code, body, _, _ = h.curl("/images/talos/v1.11.1/amd64/openstack.raw.xz.xz")
    check(code == 400, "openstack.raw.xz.xz (the original project's bug) -> 400")
    rc, code, _, hdrs, _ = h.curl("/images/talos/latest/amd64/kernel")
    check(code == 200 and header(hdrs, "X-Talos-Version") == "v1.11.5", "latest = v1.11.5, not v1.12.0-alpha.1")
    rc, code, _, hdrs, _ = h.curl("/images/talos/v1.11.1/amd64/openstack.raw", "-X", "POST")
    check(code == 405, "POST -> 405")

    # 9. CLI verbs against the stand-in (POST answer with and without "schematic").
    r = h.mbtalos("schematic")
    check(r.stdout.strip() == DEFAULT_ID, "schematic -> the default ID")
    r = h.mbtalos("schematic", "--overlay", "rpi_generic")
    check(r.stdout.strip() == RPI_ID, "schematic --overlay rpi_generic -> ee21ef...")
    h.control(schematic_answer="id-only")
    online = h.mbtalos("schematic", "--extensions", "util-linux-tools,iscsi-tools").stdout.strip()
    offline = h.mbtalos("schematic", "--offline", "--extensions", "iscsi-tools,util-linux-tools").stdout.strip()
    check(online == offline and len(online) == 64, "201 with only an id accepted; local ID matches the factory's")
    r = h.mbtalos("schematic", "--extensions", "nope", check=False)
    check(r.returncode == 65 and "'nope'" in r.stderr, "schematic with an unknown extension -> exit 65 naming it")
    r = h.mbtalos("--json", "versions")
    check(json.loads(r.stdout)["latest"] == "v1.11.5", "versions --json reports latest")
    out = os.path.join(h.dir, "fetched.raw")
    r = h.mbtalos("fetch", "v1.11.1", "arm64", "--overlay", "rpi_generic", "--asset", "metal.raw", "-o", out, "--json")
    check(open(out, "rb").read() == decompress(h.reference(RPI_ID, "v1.11.1", "metal-arm64.raw.zst"), "zstd"),
          "fetch -o writes the decompressed image")

    # 10. iPXE: the script points at the route; kernel and initramfs come through the cache.
    r = h.mbtalos("--json", "ipxe", "v1.11.1", "arm64", "--overlay", "rpi_generic", "--url-base", h.base)
    boot = json.loads(r.stdout)
    check(boot["schematic"] == RPI_ID and boot["cmdline"].startswith("talos.platform=metal"),
          "ipxe: schematic and the factory's command line (%s)" % boot["cmdline"])
    for key, name in (("kernel_url", "kernel-arm64"), ("initramfs_url", "initramfs-arm64.xz")):
        rc, code, body, _, _ = h.curl(boot[key][len(h.base):])
        check(code == 200 and body == h.reference(RPI_ID, "v1.11.1", name), "ipxe: %s serves %s" % (key, name))
    script = h.mbtalos("ipxe", "v1.11.1", "arm64", "--overlay", "rpi_generic", "--url-base", h.base).stdout
    check(script.startswith("#!ipxe\n") and "\nkernel %s " % boot["kernel_url"] in script and
          "\ninitrd %s\n" % boot["initramfs_url"] in script, "ipxe: the script")
    boot2 = json.loads(h.mbtalos("--json", "ipxe", "v1.11.1", "arm64", "--overlay", "rpi_generic",
                                 "--url-base", h.base).stdout)
    check(boot2["kernel_file"].endswith("/kernel-arm64") and os.path.exists(boot2["kernel_file"]),
          "ipxe: the cached kernel file is reported")
finally:
    h.close(show_log=bool(failures) or sys.exc_info()[0] is not None)

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
