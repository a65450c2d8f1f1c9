#!/usr/bin/python3
"""A local stand-in for the Talos image factory (our own code; python3 stdlib http.server, threaded).

It implements the documented endpoints the way the factory behaves (../shared/design/talos.md):
  POST /schematics            YAML body, unknown fields rejected (400), 201 {"id","schematic"}; the id is the
                              sha256 of the canonical go-yaml text (4-space indent, overlay before customization)
  GET  /schematics/{id}       the canonical YAML or 404
  GET  /versions              JSON list incl. pre-releases of the newest minor
  GET  /version/{v}/extensions/official, /version/{v}/overlays/official
  GET|HEAD /image/{id}/{version}/{path}
                              disk images made with Debian's xz and zstd, kernel/initramfs/cmdline; Range ignored;
                              the first request of a (schematic, version, path) waits --build-delay before any header;
                              .sha256/.sha512/.sigstore.json -> 402 Payment Required
Test modes, switched at run time through GET /_control?key=value (and read through GET /_stats):
  redirect=1    GET of images answers 302 to a second server (the "CDN") that serves the bytes
  cut=N         bodies are cut (connection closed) after N bytes; 0 disables
  rate=B        bodies are sent at about B bytes/s; 0 = unthrottled
  schematic_answer=id-only   POST /schematics answers {"id"} only (factory <= 0.6)
  checksums=1   image .sha256 answered as an Enterprise factory would (2: with a wrong digest)
GET /_file/<schematic>/<version>/<path> returns the stand-in's file for an image path without counting it.
/_stats counts, per "<schematic>/<version>/<path>", GETs started ("gets") and bodies completed ("completed"), plus HEADs.
"""
import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import yaml

VERSIONS = ["v1.9.6", "v1.10.7", "v1.11.0", "v1.11.1", "v1.11.5", "v1.12.0-alpha.1", "v1.12.0-beta.0"]
EXTENSIONS = [
    {"name": "siderolabs/iscsi-tools", "ref": "ghcr.io/siderolabs/iscsi-tools:v0.2.0",
     "digest": "sha256:" + "1" * 64, "author": "Sidero Labs", "description": "iSCSI tools"},
    {"name": "siderolabs/util-linux-tools", "ref": "ghcr.io/siderolabs/util-linux-tools:2.41.1",
     "digest": "sha256:" + "2" * 64, "author": "Sidero Labs", "description": "util-linux tools"},
    {"name": "siderolabs/qemu-guest-agent", "ref": "ghcr.io/siderolabs/qemu-guest-agent:10.0.2",
     "digest": "sha256:" + "3" * 64, "author": "Sidero Labs", "description": "QEMU guest agent"},
    {"name": "siderolabs/nvidia-open-gpu-kernel-modules-lts", "ref": "ghcr.io/siderolabs/nvidia-open:570",
     "digest": "sha256:" + "4" * 64, "author": "Sidero Labs", "description": "NVIDIA open GPU modules"},
]
OVERLAYS = [
    {"name": "rpi_generic", "image": "siderolabs/sbc-raspberrypi",
     "ref": "ghcr.io/siderolabs/sbc-raspberrypi:v0.1.5", "digest": "sha256:" + "5" * 64},
    {"name": "rock64", "image": "siderolabs/sbc-rockchip",
     "ref": "ghcr.io/siderolabs/sbc-rockchip:v0.1.4", "digest": "sha256:" + "6" * 64},
]
SCHEMATIC_FIELDS = {"overlay": {"image", "name", "options"},
                    "customization": {"extraKernelArgs", "meta", "systemExtensions", "secureboot", "bootloader"}}
PLAIN_OK = re.compile(r"^[A-Za-z0-9/_.=,+-][A-Za-z0-9/_.=,:+ -]*$")


def go_yaml_scalar(s):
    if re.fullmatch(r"(true|false|null|~|yes|no|on|off|[-+]?[0-9][0-9_.eE+-]*)", s, re.I):
        return json.dumps(s)
    if PLAIN_OK.match(s) and not s.endswith(" ") and ": " not in s and not s.endswith(":"):
        return s
    return "'" + s.replace("'", "''") + "'"


def canonical(doc):
    """go-yaml's text for the schematic struct (the fields our tests use)."""
    out = ""
    ov = doc.get("overlay") or {}
    if ov.get("image") or ov.get("name"):
        out += "overlay:\n"
        if ov.get("image"):
            out += "    image: %s\n" % go_yaml_scalar(ov["image"])
        if ov.get("name"):
            out += "    name: %s\n" % go_yaml_scalar(ov["name"])
    cust = doc.get("customization") or {}
    args = cust.get("extraKernelArgs") or []
    exts = ((cust.get("systemExtensions") or {}).get("officialExtensions")) or []
    if not args and not exts:
        return out + "customization: {}\n"
    out += "customization:\n"
    if args:
        out += "    extraKernelArgs:\n" + "".join("        - %s\n" % go_yaml_scalar(a) for a in args)
    if exts:
        out += "    systemExtensions:\n        officialExtensions:\n"
        out += "".join("            - %s\n" % go_yaml_scalar(e) for e in exts)
    return out


class Factory:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.schematics = {}
        for doc in ({}, {"overlay": {"image": "siderolabs/sbc-raspberrypi", "name": "rpi_generic"}}):
            text = canonical(doc)
            self.schematics[hashlib.sha256(text.encode()).hexdigest()] = text
        self.built = set()
        self.stats = {"gets": {}, "completed": {}, "heads": {}, "posts": 0}
        self.modes = {"redirect": 0, "cut": 0, "rate": args.rate, "schematic_answer": "full", "checksums": 0}
        self.workdir = tempfile.mkdtemp(prefix="mbt-talos-standin-")
        self.files = {}
        self.file_locks = {}
        self.redirects = {}

    def count(self, kind, path):
        with self.lock:
            self.stats[kind][path] = self.stats[kind].get(path, 0) + 1

    def raw_image(self, key):
        """The uncompressed image for a (schematic, version, platform-arch) key: pseudo-random but compressible."""
        name = os.path.join(self.workdir, hashlib.sha256(key.encode()).hexdigest()[:16] + ".raw")
        if self.args.image_file:
            return self.args.image_file
        if not os.path.exists(name):
            rng = random.Random(key)
            size = self.args.image_size
            with open(name + ".tmp", "wb") as f:
                written = 0
                while written < size:
                    n = min(65536, size - written)
                    block = rng.randbytes(n // 2) + bytes(n - n // 2) if rng.random() < 0.5 else bytes(n)
                    f.write(block)
                    written += n
            os.rename(name + ".tmp", name)
        return name

    def asset_file(self, schematic, version, path):
        """Path of the file for an image path, made on first use (xz / zstd from Debian)."""
        with self.lock:
            lk = self.file_locks.setdefault((schematic, version, path), threading.Lock())
        with lk:
            key = (schematic, version, path)
            if key in self.files:
                return self.files[key]
            m = re.fullmatch(r"(kernel|initramfs|cmdline)-(.+)", path)
            out = os.path.join(self.workdir, hashlib.sha256(repr(key).encode()).hexdigest()[:16])
            if path.startswith("kernel-"):
                with open(out, "wb") as f:
                    f.write(random.Random(repr(key)).randbytes(300_000))
            elif path.startswith("initramfs-") and path.endswith(".xz"):
                with open(out + ".cpio", "wb") as f:
                    f.write(random.Random(repr(key)).randbytes(200_000) + bytes(200_000))
                subprocess.run(["xz", "-1", "-T1", "-f", out + ".cpio"], check=True)
                os.rename(out + ".cpio.xz", out)
            elif path.startswith("cmdline-"):
                arch = "arm64" if "arm64" in path else "amd64"
                console = "console=ttyAMA0,115200" if arch == "arm64" else "console=ttyS0"
                with open(out, "w") as f:
                    f.write("talos.platform=metal %s init_on_alloc=1 slab_nomerge pti=on "
                            "talos.schematic=%s\n" % (console, schematic))
            else:
                m = re.fullmatch(r"([a-zA-Z-]+)-(amd64|arm64)\.(raw|qcow2)(\.(xz|zst))?", path)
                if not m:
                    return None
                raw = self.raw_image("%s/%s/%s-%s" % (schematic, version, m.group(1), m.group(2)))
                comp = m.group(5)
                if not comp:
                    out = raw
                elif comp == "xz":
                    with open(raw, "rb") as src, open(out, "wb") as dst:
                        subprocess.run(["xz", "-1", "-T2", "-c"], stdin=src, stdout=dst, check=True)
                else:
                    with open(raw, "rb") as src, open(out, "wb") as dst:
                        subprocess.run(["zstd", "-1", "-T2", "-q", "-c"], stdin=src, stdout=dst, check=True)
            self.files[key] = out
            return out


def make_handler(factory, role):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            if factory.args.verbose:
                sys.stderr.write("standin %s: %s\n" % (role, fmt % a))

        def reply(self, status, body=b"", ctype="application/json", extra=None):
            if isinstance(body, str):
                body = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def send_file(self, path, name, count_key):
            size = os.path.getsize(path)
            ctype = "application/x-xz" if name.endswith(".xz") else (
                "application/zstd" if name.endswith(".zst") else "application/octet-stream")
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(size))
            self.send_header("Content-Disposition", 'attachment; filename="%s"' % name)
            self.end_headers()
            if self.command == "HEAD":
                return
            try:
                self.send_body(path, count_key)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def send_body(self, path, count_key):
            cut = int(factory.modes["cut"])
            rate = int(factory.modes["rate"])
            sent = 0
            with open(path, "rb") as f:
                while True:
                    chunk = f.read(65536)
                    if not chunk:
                        break
                    if cut and sent + len(chunk) >= cut:
                        self.wfile.write(chunk[: max(0, cut - sent)])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    self.wfile.write(chunk)
                    sent += len(chunk)
                    if rate:
                        time.sleep(len(chunk) / rate)
            factory.count("completed", count_key)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            url = urlsplit(self.path)
            parts = [p for p in url.path.split("/") if p]
            if role == "cdn":
                target = factory.redirects.get(url.path)
                if not target:
                    return self.reply(404, "no such object\n", "text/plain")
                return self.send_file(target[0], target[1], target[2])
            if url.path == "/_control":
                for k, v in parse_qs(url.query).items():
                    factory.modes[k] = v[0] if k == "schematic_answer" else int(v[0])
                return self.reply(200, json.dumps(factory.modes))
            m = re.fullmatch(r"/_file/([0-9a-f]{64})/([^/]+)/([^/]+)", url.path)
            if m:  # the stand-in's own file for an image path, not counted (tests compare against it)
                f = factory.asset_file(m.group(1), m.group(2), m.group(3))
                if not f:
                    return self.reply(404, "unknown asset\n", "text/plain")
                with open(f, "rb") as fh:
                    return self.reply(200, fh.read(), "application/octet-stream")
            if url.path == "/_stats":
                with factory.lock:
                    return self.reply(200, json.dumps(factory.stats))
            if url.path == "/versions":
                return self.reply(200, json.dumps(VERSIONS))
            m = re.fullmatch(r"/version/([^/]+)/(extensions|overlays)/official", url.path)
            if m:
                if m.group(1) not in VERSIONS:
                    return self.reply(404, "version not found\n", "text/plain")
                return self.reply(200, json.dumps(EXTENSIONS if m.group(2) == "extensions" else OVERLAYS))
            m = re.fullmatch(r"/schematics/([0-9a-f]{64})", url.path)
            if m:
                text = factory.schematics.get(m.group(1))
                return self.reply(200, text, "application/yaml") if text else self.reply(404, "not found\n", "text/plain")
            if len(parts) >= 4 and parts[0] == "image":
                schematic, version, path = parts[1], parts[2], "/".join(parts[3:])
                if schematic not in factory.schematics:
                    return self.reply(404, "schematic not found\n", "text/plain")
                if version not in VERSIONS:
                    # The real factory answers 500 for "latest" (unparsed semver) and 404 for unknown versions.
                    return self.reply(500 if version == "latest" else 404, "bad version\n", "text/plain")
                if path.endswith(".sha256") and factory.modes["checksums"]:
                    f = factory.asset_file(schematic, version, path[:-7])
                    if not f:
                        return self.reply(404, "unknown asset\n", "text/plain")
                    digest = hashlib.sha256(open(f, "rb").read()).hexdigest()
                    if factory.modes["checksums"] == 2:
                        digest = "0" * 64
                    return self.reply(200, "%s  %s\n" % (digest, path[:-7]), "text/plain")
                if re.search(r"\.(sha256|sha512|sigstore\.json)$", path):
                    return self.reply(402, "checksums are an Enterprise feature\n", "text/plain")
                count_key = "%s/%s/%s" % (schematic, version, path)
                factory.count("heads" if self.command == "HEAD" else "gets", count_key)
                build_key = (schematic, version, path)
                with factory.lock:
                    first = build_key not in factory.built
                    factory.built.add(build_key)
                if first and factory.args.build_delay:
                    time.sleep(factory.args.build_delay)
                f = factory.asset_file(schematic, version, path)
                if f is None:
                    return self.reply(404, "unknown asset %s\n" % path, "text/plain")
                if self.command == "GET" and factory.modes["redirect"]:
                    token = "/cdn/%s/%s" % (hashlib.sha256(repr(build_key).encode()).hexdigest()[:20], path)
                    factory.redirects[token] = (f, path, count_key)
                    location = "http://127.0.0.1:%d%s" % (factory.cdn_port, token)
                    if factory.args.cdn_base:  # an external CDN (the benchmark's nginx) holding <path>
                        location = "%s/%s" % (factory.args.cdn_base, path)
                    return self.reply(302, "", "text/plain", {"Location": location})
                return self.send_file(f, path, count_key)
            return self.reply(404, "not found\n", "text/plain")

        def do_POST(self):
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8", "replace")
            if url.path != "/schematics" or role != "factory":
                return self.reply(404, "not found\n", "text/plain")
            with factory.lock:
                factory.stats["posts"] += 1
            try:
                doc = yaml.safe_load(body) or {}
                if not isinstance(doc, dict):
                    raise ValueError("schematic is not a mapping")
                for k, v in doc.items():
                    if k not in SCHEMATIC_FIELDS:
                        raise ValueError("field %s not found in type schematic.Schematic" % k)
                    for kk in (v or {}):
                        if kk not in SCHEMATIC_FIELDS[k]:
                            raise ValueError("field %s not found" % kk)
            except (ValueError, yaml.YAMLError) as e:
                return self.reply(400, json.dumps({"error": str(e)}))
            text = canonical(doc)
            sid = hashlib.sha256(text.encode()).hexdigest()
            factory.schematics[sid] = text
            answer = {"id": sid} if factory.modes["schematic_answer"] == "id-only" else {"id": sid, "schematic": text}
            return self.reply(201, json.dumps(answer))

    return Handler


def self_test():
    """Run without arguments (as ctest does): check the stand-in's own answers against talos.md."""
    import urllib.request
    import signal  # noqa: F401
    args = argparse.Namespace(build_delay=0.0, image_size=1 << 16, image_file=None, rate=0, verbose=False,
                              cdn_base=None)
    factory = Factory(args)
    cdn = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(factory, "cdn"))
    factory.cdn_port = cdn.server_address[1]
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(factory, "factory"))
    for s in (cdn, server):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]

    def post(body):
        req = urllib.request.Request(base + "/schematics", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/yaml"})
        with urllib.request.urlopen(req) as r:
            assert r.status == 201, r.status
            return json.load(r)["id"]

    assert post("customization: {}\n") == "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba"
    assert post("overlay: {name: rpi_generic, image: siderolabs/sbc-raspberrypi}\n") == \
        "ee21ef4a5ef808a9b7484cc0dda0f25075021691c8c09a276591eedb638ea1f9"
    with urllib.request.urlopen(base + "/versions") as r:
        assert "v1.12.0-alpha.1" in json.load(r)
    try:
        urllib.request.urlopen(base + "/image/%s/v1.11.1/metal-amd64.raw.xz.sha256" %
                               "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba")
        raise AssertionError("no 402")
    except urllib.error.HTTPError as e:
        assert e.code == 402, e.code
    server.shutdown()
    cdn.shutdown()
    subprocess.run(["rm", "-rf", factory.workdir])
    print("stand-in self-test passed")


def main():
    if len(sys.argv) == 1:
        return self_test()
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write 'factory_port cdn_port' here when listening")
    ap.add_argument("--build-delay", type=float, default=0.0, help="seconds of silence before a first build answers")
    ap.add_argument("--image-size", type=int, default=4 << 20, help="bytes of each uncompressed disk image")
    ap.add_argument("--image-file", help="use this file as every uncompressed disk image")
    ap.add_argument("--rate", type=int, default=0, help="initial body rate in bytes/s (0 = unthrottled)")
    ap.add_argument("--cdn-base", help="redirect=1 sends clients to <cdn-base>/<path> instead of the built-in CDN")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    factory = Factory(args)
    ThreadingHTTPServer.daemon_threads = True
    cdn = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(factory, "cdn"))
    factory.cdn_port = cdn.server_address[1]
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(factory, "factory"))
    threading.Thread(target=cdn.serve_forever, daemon=True).start()
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d %d\n" % (server.server_address[1], factory.cdn_port))
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        subprocess.run(["rm", "-rf", factory.workdir])


if __name__ == "__main__":
    main()


class Harness:
    """Test helper: a stand-in factory plus `mb-talos serve` on loopback in a private temporary tree."""

    def __init__(self, name, standin_args=(), talos_settings=None):
        import shutil  # noqa: F401
        self.bin = os.path.join(os.environ.get("MB_BIN", "build/tools"), "mb-talos")
        if not os.access(self.bin, os.X_OK):
            print("SKIP: %s not built" % self.bin)
            sys.exit(77)
        for tool in ("curl", "xz", "zstd"):
            if subprocess.run(["which", tool], capture_output=True).returncode != 0:
                print("FAIL: %s is needed (packaging/extra-packages.txt)" % tool)
                sys.exit(1)
        self.dir = tempfile.mkdtemp(prefix="mbt-talos-%s-" % name)
        self.root = os.path.join(self.dir, "root")
        os.makedirs(self.root)
        self.cache = os.path.join(self.dir, "cache")
        port_file = os.path.join(self.dir, "ports")
        self.standin = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--port-file", port_file]
                                        + list(standin_args))
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        self.factory_port, self.cdn_port = map(int, open(port_file).read().split())
        self.factory = "http://127.0.0.1:%d" % self.factory_port
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.base = "http://127.0.0.1:%d" % self.port
        settings = {"enabled": "true", "base_url": '"%s"' % self.factory, "cache_directory": '"%s"' % self.cache,
                    "max_cache_size": "10737418240 # 10GB", "default_extensions": "[]"}
        settings.update(talos_settings or {})
        with open(os.path.join(self.root, "metal-boot.yaml"), "w") as f:
            f.write("talos:\n" + "".join("  %s: %s\n" % kv for kv in settings.items()))
        self.serve_proc = None

    def mbtalos(self, *args, check=True):
        r = subprocess.run([self.bin, "--root", self.root] + list(args), capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("mb-talos %s -> %d: %s" % (" ".join(args), r.returncode, r.stderr))
        return r

    def start_serve(self):
        self.serve_log = open(os.path.join(self.dir, "serve.log"), "a")
        self.serve_proc = subprocess.Popen([self.bin, "--root", self.root, "serve", "--listen", "127.0.0.1:%d" % self.port],
                                           stderr=self.serve_log)
        import socket
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("mb-talos serve did not start: " + open(self.serve_log.name).read())

    def stop_serve(self, sig=15):
        if self.serve_proc:
            self.serve_proc.send_signal(sig)
            self.serve_proc.wait(timeout=20)
            self.serve_proc = None

    def curl(self, url, *args):
        """curl the serve URL; returns (rc, http_code, body bytes, headers text, timing dict)."""
        out = os.path.join(self.dir, "curl.%d.out" % threading.get_ident())
        hdr = out + ".h"
        r = subprocess.run(["curl", "-sS", "--max-time", "50", "-o", out, "-D", hdr, "-w",
                            "%{http_code} %{time_starttransfer} %{time_total}"] + list(args) + [self.base + url],
                           capture_output=True, text=True, timeout=60)
        code, first, total = r.stdout.split()
        body = open(out, "rb").read() if os.path.exists(out) else b""
        headers = open(hdr).read() if os.path.exists(hdr) else ""
        for p in (out, hdr):
            if os.path.exists(p):
                os.unlink(p)
        return r.returncode, int(code), body, headers, {"first": float(first), "total": float(total), "err": r.stderr}

    def standin_get(self, path):
        import urllib.request
        with urllib.request.urlopen(self.factory + path, timeout=60) as r:
            return r.read()

    def stats(self):
        return json.loads(self.standin_get("/_stats"))

    def control(self, **kw):
        self.standin_get("/_control?" + "&".join("%s=%s" % kv for kv in kw.items()))

    def reference(self, schematic, version, path):
        return self.standin_get("/_file/%s/%s/%s" % (schematic, version, path))

    def serve_log_tail(self, lines=40):
        try:
            return "".join(open(os.path.join(self.dir, "serve.log")).readlines()[-lines:])
        except OSError:
            return ""

    def close(self, show_log=False):
        if show_log:
            sys.stdout.write("--- mb-talos serve log (tail) ---\n" + self.serve_log_tail())
        try:
            self.stop_serve(9)
        except Exception:
            pass
        self.standin.terminate()
        self.standin.wait(timeout=10)
        subprocess.run(["rm", "-rf", self.dir])


def header(headers, name):
    for line in headers.splitlines():
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


def decompress(data, codec):
    return subprocess.run([codec, "-dc"], input=data, capture_output=True, check=True).stdout
