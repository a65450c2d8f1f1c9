#!/usr/bin/python3
"""Every command-line option and verb of every built tool is documented in its man page, the
committed shell completions are exactly what the binary generates, and mb-config(5) documents
every configuration key. Fails with the list of what is missing."""
import json
import os
import re
import subprocess
import sys

BIN = os.environ["MB_BIN"]
SRC = os.environ["MB_SOURCE_DIR"]


def man_text(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"\\f[BIRP]|\\f\(..|\\f\[[A-Z]*\]", "", text)
    return text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")


def walk(spec, path=()):
    yield path, spec
    for sub in spec["subcommands"]:
        yield from walk(sub, path + (sub["name"],))


def main():
    tools = sorted(t for t in os.listdir(BIN) if t.startswith("mb-") and os.access(os.path.join(BIN, t), os.X_OK))
    if not tools:
        print("FAIL: no tools built in", BIN)
        return 1
    problems = []
    for tool in tools:
        exe = os.path.join(BIN, tool)
        done = subprocess.run([exe, "__complete", "spec"], capture_output=True)
        if done.returncode != 0:
            problems.append(f"{tool}: `{tool} __complete spec` failed (exit {done.returncode}): its main() must go "
                            "through mb::cli::run_tool (cli/tool.hpp) for the shared flags, config verbs and completions")
            continue
        spec = json.loads(done.stdout)
        page = os.path.join(SRC, "man", tool + ".1")
        if not os.path.exists(page):
            problems.append(f"{tool}: man/{tool}.1 is missing")
        else:
            text = man_text(page)
            for path, cmd in walk(spec):
                for verb in path:
                    if not re.search(r"(?<![\w-])" + re.escape(verb) + r"(?![\w-])", text):
                        problems.append(f"{tool}: verb '{' '.join(path)}' is not in man/{tool}.1")
                for opt in cmd["options"]:
                    for name in opt["names"]:
                        if name in ("--help", "-h", "--version"):
                            continue
                        if not re.search(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", text):
                            problems.append(f"{tool} {' '.join(path)}: option {name} is not in man/{tool}.1")
        for shell, name in (("bash", f"{tool}.bash"), ("zsh", f"_{tool}")):
            generated = subprocess.check_output([exe, "__complete", shell]).decode()
            committed_path = os.path.join(SRC, "completions", name)
            if not os.path.exists(committed_path):
                problems.append(f"{tool}: completions/{name} is missing (run make completions)")
            elif open(committed_path).read() != generated:
                problems.append(f"{tool}: completions/{name} is out of date (run make completions)")
        # Daemons (tools with a `serve` verb) ship a systemd unit (Type=notify) and a runit script.
        if any(sub["name"] == "serve" for sub in spec["subcommands"]):
            unit = os.path.join(SRC, "packaging", "systemd", tool + ".service")
            run = os.path.join(SRC, "packaging", "runit", tool, "run")
            if not os.path.exists(unit):
                problems.append(f"{tool}: packaging/systemd/{tool}.service is missing")
            elif "Type=notify" not in open(unit).read():
                problems.append(f"{tool}: packaging/systemd/{tool}.service is not Type=notify")
            if not os.access(run, os.X_OK):
                problems.append(f"{tool}: packaging/runit/{tool}/run is missing or not executable")
        # The generated bash completion must at least be valid bash.
        script = subprocess.check_output([exe, "__complete", "bash"])
        subprocess.run(["bash", "-n"], input=script, check=True)

    keys = json.loads(subprocess.check_output([os.path.join(BIN, tools[0]), "config", "keys", "--json"]))
    config_page = man_text(os.path.join(SRC, "man", "mb-config.5"))
    for k in keys:
        path = k["key"].replace("devices/<mac>.yaml.", "")
        if path not in config_page:
            problems.append(f"mb-config(5): key {path} is not documented (run make man)")

    for p in problems:
        print("FAIL:", p)
    print(f"{len(tools)} tools checked: {', '.join(tools)}; {len(keys)} config keys")
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
