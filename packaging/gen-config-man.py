#!/usr/bin/python3
"""Regenerates the key reference of man/mb-config.5 from the schema itself.

Usage: packaging/gen-config-man.py BUILD/tools/mb-<any tool> man/mb-config.5

The text between the '.\\" BEGIN KEYS' and '.\\" END KEYS' markers is replaced with one entry per
key from `<tool> config keys --json` (path, type, allowed values, default, meaning)."""
import json
import subprocess
import sys


def roff(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + line) if line.startswith((".", "'")) else line for line in text.split("\n"))


def main():
    tool, page = sys.argv[1], sys.argv[2]
    keys = json.loads(subprocess.check_output([tool, "config", "keys", "--json"]))
    out = []
    section = None
    for k in keys:
        top = "DEVICE RECORDS" if k["key"].startswith("devices/") else "SETTINGS"
        if top != section:
            section = top
            out.append(".SS " + ("Device records: devices/<mac>.yaml" if top == "DEVICE RECORDS" else "Settings: metal-boot.yaml"))
        path = k["key"].replace("devices/<mac>.yaml.", "")
        out.append(".TP")
        meta = k["type"]
        if k["check"]:
            meta += ", " + k["check"]
        if k["type"] not in ("section", "list of sections") and k["default"] not in (None, "", [], {}):
            meta += ", default " + json.dumps(k["default"])
        out.append("\\fB" + roff(path) + "\\fR (" + roff(meta) + ")")
        out.append(roff(k["doc"]))
    text = open(page).read()
    begin = text.index('.\\" BEGIN KEYS\n') + len('.\\" BEGIN KEYS\n')
    end = text.index('.\\" END KEYS')
    open(page, "w").write(text[:begin] + "\n".join(out) + "\n" + text[end:])


if __name__ == "__main__":
    main()
