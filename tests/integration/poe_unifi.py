#!/usr/bin/python3
"""mb-poe's UniFi driver against a fake UniFi OS controller (python http.server on 127.0.0.1):
login with a 429 back-off, CSRF token rotation, port_overrides read-modify-write that keeps other
ports' overrides and appends a missing entry, empty PUT replies, devmgr power-cycle, API-key mode,
and discover into state/poe/."""
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

SWITCH_MAC = "f4:e2:c6:50:60:bb"
PI_MAC = "dc:a6:32:01:02:05"
API_KEY = "k3y-for-tests"


class Controller:
    def __init__(self):
        self.lock = threading.Lock()
        self.csrf = "csrf-0"
        self.rotations = 0
        self.login_attempts = 0
        self.logins = 0
        self.devmgr = []
        self.puts = []
        self.errors = []
        self.device = {
            "_id": "dev123", "mac": SWITCH_MAC, "name": "usw-lite",
            "port_overrides": [{"port_idx": 1, "name": "uplink", "poe_mode": "off", "op_mode": "switch"},
                               {"port_idx": 3, "name": "pi-3", "poe_mode": "auto"}],
            "port_table": [{"port_idx": i, "poe_mode": "auto", "poe_enable": True, "poe_good": True,
                            "poe_power": "3.20"} for i in range(1, 9)],
        }
        self.device["port_table"][4]["last_connection"] = {"mac": PI_MAC}


C = Controller()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(n) or b"null")

    def authorised(self):
        if self.headers.get("X-API-Key") == API_KEY:
            return True
        if "TOKEN=session1" not in (self.headers.get("Cookie") or ""):
            C.errors.append(f"no cookie on {self.command} {self.path}")
            return False
        if self.command != "GET" and self.headers.get("X-Csrf-Token") != C.csrf:
            C.errors.append(f"stale csrf {self.headers.get('X-Csrf-Token')} != {C.csrf} on {self.command} {self.path}")
            return False
        return True

    def rotate(self):
        if self.headers.get("X-API-Key"):
            return {}
        C.rotations += 1
        C.csrf = f"csrf-{C.rotations}"
        return {"X-Updated-Csrf-Token": C.csrf}

    def handle_any(self):
        with C.lock:
            if self.path == "/" and self.command == "GET":
                return self.send_json(200, {})
            if self.path == "/api/auth/login" and self.command == "POST":
                C.login_attempts += 1
                b = self.body()
                if C.login_attempts == 1:
                    return self.send_json(429, {"error": "slow down"}, {"Retry-After": "1"})
                if b != {"username": "admin", "password": "pw"}:
                    return self.send_json(401, {"error": "bad credentials"})
                C.logins += 1
                C.csrf = "csrf-login"
                return self.send_json(200, {"username": "admin"},
                                      {"Set-Cookie": "TOKEN=session1; Path=/", "X-Csrf-Token": C.csrf})
            if not self.authorised():
                return self.send_json(401, {"meta": {"rc": "error", "msg": "api.err.LoginRequired"}, "data": []})
            base = "/proxy/network/api/s/default"
            hdrs = self.rotate()
            if self.command == "GET" and self.path == f"{base}/stat/device/{SWITCH_MAC}":
                return self.send_json(200, {"meta": {"rc": "ok"}, "data": [C.device]}, hdrs)
            if self.command == "PUT" and self.path == f"{base}/rest/device/dev123":
                b = self.body()
                C.puts.append(b)
                C.device["port_overrides"] = b["port_overrides"]
                for o in b["port_overrides"]:
                    for p in C.device["port_table"]:
                        if p["port_idx"] == o["port_idx"] and "poe_mode" in o:
                            p["poe_mode"] = o["poe_mode"]
                            p["poe_enable"] = p["poe_good"] = o["poe_mode"] != "off"
                return self.send_json(200, {"meta": {"rc": "ok"}, "data": []}, hdrs)  # UDM SE: empty data
            if self.command == "POST" and self.path == f"{base}/cmd/devmgr":
                C.devmgr.append(self.body())
                return self.send_json(200, {"meta": {"rc": "ok"}, "data": []}, hdrs)
            if self.command == "GET" and self.path == f"{base}/stat/sta":
                return self.send_json(200, {"meta": {"rc": "ok"}, "data": [
                    {"mac": "DC:A6:32:01:02:04", "sw_mac": SWITCH_MAC, "sw_port": 4},
                    {"mac": "aa:bb:cc:00:00:01", "sw_mac": "00:11:22:33:44:55", "sw_port": 2}]}, hdrs)
            return self.send_json(404, {"meta": {"rc": "error", "msg": "api.err.NotFound"}, "data": []}, hdrs)

    do_GET = do_POST = do_PUT = handle_any


def main():
    binary = os.path.join(os.environ["MB_BIN"], "mb-poe")
    if not os.path.isfile(binary):
        binary = os.path.join(os.environ["MB_BIN"], "mb-poe", "mb-poe")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    lab = tempfile.mkdtemp(prefix="mbtpoe-unifi.")
    try:
        root = os.path.join(lab, "root")
        os.makedirs(os.path.join(root, "devices"))
        with open(os.path.join(root, "metal-boot.yaml"), "w") as f:
            f.write(f"""poe:
  cycle_delay_ms: 100
  settle_timeout_ms: 2000
  poll_ms: 100
  switches:
    - {{name: usw, driver: unifi, unifi: {{url: "{url}", username: admin, password: pw, device_mac: "{SWITCH_MAC}"}}}}
    - {{name: uswkey, driver: unifi, unifi: {{url: "{url}", api_key: "{API_KEY}", device_mac: "{SWITCH_MAC}"}}}}
    - {{name: bad, driver: unifi, unifi: {{url: "{url}", username: admin, password: wrong, device_mac: "{SWITCH_MAC}", style: unifi-os}}}}
    - {{name: gone, driver: unifi, unifi: {{url: "http://127.0.0.1:1", api_key: x, device_mac: "{SWITCH_MAC}", timeout_ms: 500}}}}
""")
        with open(os.path.join(root, "devices", "dc-a6-32-01-02-05.yaml"), "w") as f:
            f.write("power:\n  switch: usw\n  port: 5\n")
        with open(os.path.join(root, "devices", "dc-a6-32-01-02-04.yaml"), "w") as f:
            f.write("hostname: pi-4\n")
        env = dict(os.environ, MB_ROOT=root)

        def run(*args, rc=0):
            p = subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=60)
            if p.returncode != rc:
                sys.exit(f"FAIL: mb-poe {' '.join(args)} exited {p.returncode}, expected {rc}: {p.stderr}")
            return p

        # off by MAC: login (after one 429), RMW appends port 5, keeps ports 1 and 3 unchanged
        run("off", PI_MAC)
        assert C.login_attempts == 2 and C.logins == 1, (C.login_attempts, C.logins)
        put = C.puts[-1]["port_overrides"]
        assert {"port_idx": 1, "name": "uplink", "poe_mode": "off", "op_mode": "switch"} in put, put
        assert {"port_idx": 3, "name": "pi-3", "poe_mode": "auto"} in put, put
        assert {"port_idx": 5, "poe_mode": "off"} in put, put
        assert len(put) == 3, put
        st = json.loads(run("--json", "status", PI_MAC).stdout)
        assert st["power"] == "off" and st["admin_enabled"] is False, st
        # on: the existing entry is modified in place, not duplicated
        run("on", "usw:5")
        put = C.puts[-1]["port_overrides"]
        assert [o for o in put if o["port_idx"] == 5] == [{"port_idx": 5, "poe_mode": "auto"}], put
        assert len(put) == 3, put
        st = json.loads(run("--json", "status", "usw:5").stdout)
        assert st["power"] == "on" and st["watts"] == 3.2, st
        # cycle of a powered port = devmgr power-cycle (no override change)
        n_puts = len(C.puts)
        run("cycle", "usw:5")
        assert C.devmgr[-1] == {"cmd": "power-cycle", "mac": SWITCH_MAC, "port_idx": 5}, C.devmgr
        assert len(C.puts) == n_puts
        # cycle of an unpowered port = off, delay, on through port_overrides
        run("off", "usw:6")
        run("cycle", "usw:6")
        assert len(C.devmgr) == 1, C.devmgr
        assert C.puts[-1]["port_overrides"][-1] == {"port_idx": 6, "poe_mode": "auto"}, C.puts[-1]
        # API key mode: no login, no CSRF
        logins = C.logins
        st = json.loads(run("--json", "status", "uswkey:3").stdout)
        assert st["power"] == "on" and C.logins == logins, st
        # errors: refused login, unreachable controller, no such port
        p = run("status", "bad:3", rc=69)
        assert "refused" in p.stderr, p.stderr
        p = run("status", "gone:3", rc=69)
        assert "gone" in p.stderr, p.stderr
        p = run("status", "usw:20", rc=65)
        assert "port_idx 20" in p.stderr, p.stderr
        # discover: stat/sta (sw_mac/sw_port) and port_table last_connection, written to state/poe
        p = run("--json", "discover", "usw", "--write")
        found = [json.loads(line) for line in p.stdout.splitlines()]
        macs = {(d["mac"], d["port"]) for d in found}
        assert ("dc:a6:32:01:02:04", "4") in macs and (PI_MAC, "5") in macs, found
        with open(os.path.join(root, "state", "poe", "devices", "dc-a6-32-01-02-04.json")) as f:
            learned = json.load(f)
        assert learned["power"] == {"switch": "usw", "port": 4}, learned
        st = json.loads(run("--json", "status", "dc:a6:32:01:02:04").stdout)
        assert st["port"] == "4", st
        assert not C.errors, C.errors
        assert C.rotations > 3
        print("PASS: mb-poe UniFi driver")
    finally:
        srv.shutdown()
        shutil.rmtree(lab)


if __name__ == "__main__":
    main()
