#!/usr/bin/python3
"""mb-http forwarding inspection callbacks to a real Ironic (http.inspection_forward_url).

A small fake Ironic (http.server in this process) records every forwarded request and answers
like Ironic's /v1/continue_inspection (202 {"uuid": ...}), or with a chosen error. Checks: the
body reaches Ironic byte-identical with Content-Type application/json, IPA gets Ironic's status
and body (202, then a 404 for an unknown node passed through), the inventory is still stored
locally, an unreachable Ironic gives 502 with a JSON error, an invalid body is refused (400)
without being forwarded, and http.max_body_bytes is applied on reload without a restart (413
above it, accepted and forwarded once raised).
"""
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

MB_BIN = os.environ.get("MB_BIN", "build/tools")
TOOL = os.path.join(MB_BIN, "mb-http")
failures = []
MAC = "dc:a6:32:01:02:03"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


class FakeIronic(http.server.BaseHTTPRequestHandler):
    received = []
    answer = (202, {"uuid": "1be26c0b-03f2-4d2e-ae87-c02d7f33c123"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        FakeIronic.received.append({"path": self.path, "body": body,
                                    "content_type": self.headers.get("Content-Type")})
        status, doc = FakeIronic.answer
        out = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def post(url, body):
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def inventory(mac=MAC, pad=0):
    doc = {
        "inventory": {
            "interfaces": [{"name": "end0", "mac_address": mac, "ipv4_address": "10.1.1.23", "has_carrier": True}],
            "cpu": {"model_name": "Cortex-A72", "count": 4, "architecture": "aarch64"},
            "memory": {"total": 8201547776, "physical_mb": 8192},
            "disks": [{"name": "/dev/mmcblk0", "size": 31914983424, "rotational": False}],
            "boot": {"current_boot_mode": "uefi", "pxe_interface": mac},
            "hostname": "pi-03",
        },
        "boot_interface": mac,
        "error": None,
        "padding": "p" * pad,
    }
    return json.dumps(doc).encode()


def write_config(root, forward, max_body):
    with open(os.path.join(root, "metal-boot.yaml.tmp"), "w") as f:
        f.write(f"http:\n  access_log: false\n  inspection_forward_url: {forward}\n  max_body_bytes: {max_body}\n")
    os.rename(os.path.join(root, "metal-boot.yaml.tmp"), os.path.join(root, "metal-boot.yaml"))


def main():
    if not os.access(TOOL, os.X_OK):
        print(f"SKIP: {TOOL} not built", file=sys.stderr)
        return 77
    work = tempfile.mkdtemp(prefix="mbt-http-fwd-")
    root = os.path.join(work, "root")
    os.makedirs(os.path.join(root, "devices"))
    with open(os.path.join(root, "devices", "dc-a6-32-01-02-03.yaml"), "w") as f:
        f.write("hostname: pi-03\n")
    ironic = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeIronic)
    threading.Thread(target=ironic.serve_forever, daemon=True).start()
    iport = ironic.server_address[1]
    forward = f"http://127.0.0.1:{iport}/v1/continue_inspection"
    write_config(root, forward, 1048576)
    log = open(os.path.join(work, "serve.log"), "w")
    ports = os.path.join(work, "ports")
    proc = subprocess.Popen([TOOL, "--root", root, "serve", "--listen", "127.0.0.1:0", "--log-port", "0",
                             "--port-file", ports], stdout=log, stderr=log)
    try:
        for _ in range(100):
            if os.path.exists(ports) and os.path.getsize(ports):
                break
            time.sleep(0.1)
        base = f"http://127.0.0.1:{int(open(ports).readline())}"

        body = inventory()
        status, reply = post(base + "/v1/continue_inspection", body)
        check(status == 202 and json.loads(reply) == FakeIronic.answer[1],
              f"IPA gets Ironic's answer (202 + node uuid): {status} {reply[:80]!r}")
        got = FakeIronic.received[-1] if FakeIronic.received else {}
        check(got.get("body") == body, "Ironic received the body byte-identical")
        check(got.get("path") == "/v1/continue_inspection" and got.get("content_type") == "application/json",
              f"forwarded to the configured path as JSON ({got.get('path')}, {got.get('content_type')})")
        stored = os.path.join(root, "state", "http", "inventory", "dc-a6-32-01-02-03.json")
        check(os.path.exists(stored) and json.load(open(stored)).get("inventory", {}).get("memory", {})
              .get("physical_mb") == 8192, "inventory also stored locally")

        status, reply = post(base + "/v1/continue", body)
        check(status == 202 and FakeIronic.received[-1]["body"] == body,
              "legacy /v1/continue is forwarded too (Ironic's status passed through)")

        FakeIronic.answer = (404, {"error_message": "Node not found"})
        status, reply = post(base + "/v1/continue_inspection", inventory("02:00:00:00:00:01"))
        check(status == 404 and b"Node not found" in reply, f"Ironic's 404 passed through: {status} {reply[:60]!r}")
        FakeIronic.answer = (202, {"uuid": "1be26c0b-03f2-4d2e-ae87-c02d7f33c123"})

        n = len(FakeIronic.received)
        status, reply = post(base + "/v1/continue_inspection", b'{"inventory": {"interfaces": [')
        check(status == 400 and len(FakeIronic.received) == n, "invalid JSON refused with 400, not forwarded")

        # Live reload of http.max_body_bytes (1 MiB now).
        big = inventory(pad=1536 * 1024)
        status, _ = post(base + "/v1/continue_inspection", big)
        check(status == 413 and len(FakeIronic.received) == n, f"1.5 MiB body over the 1 MiB limit: {status}")
        write_config(root, forward, 4194304)
        deadline = time.time() + 10
        while time.time() < deadline:
            status, _ = post(base + "/v1/continue_inspection", big)
            if status != 413:
                break
            time.sleep(0.2)
        check(status == 202 and FakeIronic.received[-1]["body"] == big,
              f"after raising max_body_bytes (no restart) the body is accepted and forwarded: {status}")
        write_config(root, forward, 1048576)
        deadline = time.time() + 10
        while time.time() < deadline:
            status, _ = post(base + "/v1/continue_inspection", big)
            if status == 413:
                break
            time.sleep(0.2)
        check(status == 413, f"lowered again: 413 ({status})")

        # Ironic down: 502 with a JSON error naming the URL.
        ironic.shutdown()
        ironic.server_close()
        status, reply = post(base + "/v1/continue_inspection", body)
        try:
            err = json.loads(reply).get("error", "")
        except ValueError:
            err = ""
        check(status == 502 and forward in err, f"Ironic unreachable: 502 with a JSON error ({status} {err[:80]})")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if failures:
            print(open(os.path.join(work, "serve.log")).read()[-3000:])
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
