#!/usr/bin/env python3
"""Writes the wire fuzzer's seed corpus from the edge-case captures.

For every frame of packets.json (../shared/cases, see its README.md) this
writes two seeds into tests/fuzz/corpus/:

  <case>-<label>.bin          the Ethernet frame (frame_hex)
  <case>-<label>-payload.bin  its UDP payload, the BOOTP/DHCP message
                              (payload_hex)

The fuzzer reads every input both as a frame and as a payload, so both
kinds of seed reach both parsers.

It also writes one seed per case into tests/fuzz/engine_corpus/ for the
engine fuzzer: the case's payloads as records of
[seconds since the previous packet: 1][ingress: 1][length: 2, big endian]
[payload], in the order of the capture. Run it again after the cases change and
commit the result; it only writes, so remove seeds of deleted cases by hand.

Usage: tools/make-fuzz-corpus.py [--packets PATH] [--out DIR]
"""

import argparse
import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PACKETS = os.path.join(REPO, os.pardir, "shared", "cases",
                               "packets.json")
DEFAULT_OUT = os.path.join(REPO, "tests", "fuzz", "corpus")
ENGINE_OUT = os.path.join(REPO, "tests", "fuzz", "engine_corpus")
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", default=DEFAULT_PACKETS,
                        help="packets.json of the edge cases")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help="corpus directory to write")
    args = parser.parse_args()

    with open(args.packets, encoding="utf-8") as f:
        entries = json.load(f)
    if not isinstance(entries, list) or not entries:
        sys.exit(f"{args.packets}: expected a non-empty JSON array")

    os.makedirs(args.out, exist_ok=True)
    written = 0
    total = 0
    for entry in entries:
        name = f"{entry['case']}-{entry['label']}"
        if not SAFE_NAME.match(name):
            sys.exit(f"unsafe seed name {name!r}")
        for suffix, key in (("", "frame_hex"), ("-payload", "payload_hex")):
            data = bytes.fromhex(entry[key])
            write(os.path.join(args.out, f"{name}{suffix}.bin"), data)
            written += 1
            total += len(data)
    print(f"wrote {written} seeds ({total} octets) to {args.out}")

    os.makedirs(ENGINE_OUT, exist_ok=True)
    cases = {}
    for entry in entries:
        cases.setdefault(entry["case"], []).append(entry)
    for case, frames in cases.items():
        record = bytearray()
        previous = 0.0
        for entry in frames:
            payload = bytes.fromhex(entry["payload_hex"])
            dt = max(0, min(255, int(round(entry["t"] - previous))))
            previous = entry["t"]
            ingress = 0 if entry["ip_src"] == "0.0.0.0" else 1
            record += bytes([dt, ingress]) + len(payload).to_bytes(2, "big")
            record += payload
        write(os.path.join(ENGINE_OUT, f"{case}.bin"), bytes(record))
    print(f"wrote {len(cases)} engine seeds to {ENGINE_OUT}")


if __name__ == "__main__":
    main()
