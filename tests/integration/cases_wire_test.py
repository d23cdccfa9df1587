#!/usr/bin/python3
"""Every edge case of ../shared/cases, replayed over the wire.

A real leasewired (net_af_packet on a veth, netlab.py) serves the reference
configuration tests/data/cases-config.json; tools/lw-replay sends each
case's frames from the client namespace and captures the replies. Each
frame is checked against the outcome already decided for it in
tests/engine/cases_replay_test.cc (and docs/edge-cases.md): reply or not,
message type, yiaddr, where the reply goes (L2 / IP / UDP, RFC 2131 §4.1
as in the design brief's "Reply addressing"), fixed fields (RFC 2131
Table 3), lease times, option 54, options 61 (RFC 6842) and 82 (RFC 3046
§2.2, byte for byte and last) echoed. A frame without an expectation
fails the run, and so does a second reply to one request, a reply no
request explains, or a server that died, restarted or stopped answering
(a liveness probe follows every case).

What the engine test checks in the lease table (stored host names, offer
withdrawal, untouched records) cannot be seen on the wire and is left to
it; what can be seen (the address a later request gets) is checked here.

Harness conventions (cases/README.md):
  * each case gets a fresh lab and server (as each engine case gets a
    fresh Engine), with an empty lease directory;
  * time is compressed (--time-scale 0) except for cases whose outcome
    depends on leases expiring on the server's clock (LEA-03), which run
    on the pcap schedule;
  * [restart] is lw-replay's --restart-cmd: SIGTERM, the same command
    line and lease directory, wait for "serving";
  * wall-clock steps (LEA-04) run the server under libfaketime with only
    the wall clock faked (DONT_FAKE_MONOTONIC), its offset read from a
    file the --clock-step-cmd rewrites.

Needs root, the leasewired binary (--leasewired PATH, $LEASEWIRED, else the
newest build*/src/leasewired/leasewired), python3-scapy and libfaketime
(Debian package faketime). Missing pieces fail the run; nothing is skipped.

    sudo tests/integration/cases_wire_test.py --leasewired BIN [-v] [-k MAL_01]

$LW_CASES_LOG_DIR keeps each case's lw-replay JSON lines and server log.
"""

import glob
import ipaddress
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import netlab  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CASES_DIR = os.environ.get(
    "LW_CASES_DIR", os.path.normpath(os.path.join(ROOT, "..", "shared",
                                                  "cases")))
CONFIG = os.path.join(ROOT, "tests", "data", "cases-config.json")
REPLAY = os.path.join(ROOT, "tools", "lw-replay")
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"

SERVER_MAC = "02:00:00:00:00:01"   # cases/README.md section 0
SERVER_IP = "192.0.2.1"
RELAY_MAC = "02:00:00:00:00:02"    # every relayed frame comes from it
INFINITE = 0xffffffff
PORT_MTU = 1500

# Cases whose outcome needs the server's own clock to move on (60 s leases
# expire; LEA-03/d needs the reclaim at t = 125): the pcap schedule.
REAL_TIME = {"LEA-03"}
# Cases with a wall-clock step: their server runs under libfaketime. The
# others run the bare binary; a step there fails (no libfaketime).
CLOCK_STEPS = {"LEA-04"}


def find_binary():
    path = os.environ.get("LEASEWIRED")
    if path:
        return path
    # The newest build: an old build dir may predate the dataplane.
    found = [p for p in glob.glob(os.path.join(ROOT, "build*", "src",
                                               "leasewired", "leasewired"))
             if os.access(p, os.X_OK)]
    return max(found, key=os.path.getmtime) if found else None


def load_jsonc(path):
    """JSON with // and /* */ comments (docs/configuration.md)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        else:
            out.append(c)
        i += 1
    return json.loads("".join(out))


# ---------------------------------------------------------------------------
# Requests, parsed by hand (overload and RFC 3396 joining included: the
# echo of 61 in MAL-05/b comes from the `file` field).

def ip_of(b):
    return socket.inet_ntoa(bytes(b))


def raw_options(area):
    """(code, value) in order up to END; stops at an overrun."""
    i = 0
    while i < len(area):
        code = area[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= len(area):
            return
        n = area[i + 1]
        if i + 2 + n > len(area):
            return
        yield code, bytes(area[i + 2:i + 2 + n])
        i += 2 + n


class Request:
    def __init__(self, frame_hex):
        f = bytes.fromhex(frame_hex)
        l3 = 14
        l4 = l3 + (f[l3] & 0x0f) * 4
        ulen = struct.unpack_from("!H", f, l4 + 4)[0]
        p = f[l4 + 8:l4 + ulen]
        self.eth_src = ":".join(f"{x:02x}" for x in f[6:12])
        self.htype, self.hlen = p[1], p[2]
        self.xid = struct.unpack_from("!I", p, 4)[0]
        self.flags = struct.unpack_from("!H", p, 10)[0]
        self.ciaddr = ip_of(p[12:16])
        self.giaddr = ip_of(p[24:28])
        self.chaddr_field = p[28:44].hex()
        self.options = {}
        areas = [p[240:]]
        first = dict(raw_options(p[240:]))
        overload = first.get(52, b"\0")[0] if len(first.get(52, b"")) == 1 \
            else 0
        if overload in (1, 3):
            areas.append(p[108:236])
        if overload in (2, 3):
            areas.append(p[44:108])
        for area in areas:
            for code, value in raw_options(area):
                if code == 52 and area is not areas[0]:
                    continue  # RFC 2132 §9.3: only in `options`
                self.options[code] = self.options.get(code, b"") + value

    def max_message_size(self):
        v = self.options.get(57)
        return struct.unpack("!H", v)[0] if v and len(v) == 2 else 576


# ---------------------------------------------------------------------------
# Expectations: one entry per frame of packets.json, the same decisions as
# tests/engine/cases_replay_test.cc's Expectations(). The engine's
# "wire drop", "drop" and "silent" all mean no reply on the wire.

S1_POOL = ("192.0.2.100", "192.0.2.199")
S2_POOL = ("198.51.100.100", "198.51.100.199")


class Want:
    """One allowed outcome of a frame."""

    def __init__(self, kind, yi=None, route=None, note=""):
        self.kind = kind        # None (no reply), OFFER, ACK, INFORM, NAK
        self.yi = yi            # None: 0.0.0.0; "x.y.z.w"; (lo, hi); "offer"
        self.route = route      # ("yiaddr", mac) | ("to", ip, mac, port)
        #                         | ("broadcast",)
        self.flag = None        # None: B copied from the request
        self.lease = 3600
        self.server_id = SERVER_IP
        self.has = ()
        self.note = note

    def with_(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)
        return self


def none(note="no reply"):
    return Want(None, note=note)


def offer(yi, route):
    return Want("OFFER", yi, route)


def ack(yi, route):
    return Want("ACK", yi, route)


def inform_ack(route):
    return Want("INFORM", None, route)


def nak(route):
    return Want("NAK", None, route)


def to_yiaddr(mac):
    return ("yiaddr", mac)


def to(ip, mac, port=68):
    return ("to", ip, mac, port)


def to_relay(giaddr, port=67):
    return ("to", giaddr, RELAY_MAC, port)


BROADCAST = ("broadcast",)


def expectations():
    """{frame id: ([allowed Want], extra check or None)}"""
    t = {}

    def add(fid, allowed, extra=None):
        assert fid not in t, f"duplicate expectation {fid}"
        t[fid] = (allowed if isinstance(allowed, list) else [allowed], extra)

    # MAL-01 / MAL-02: truncated options dropped; the probes answered.
    add("MAL-01/a", none("option overrun: dropped"))
    add("MAL-01/b", none("option overrun: dropped"))
    add("MAL-01/c", offer(S1_POOL, to_yiaddr("02:00:00:01:01:01")))
    add("MAL-02/a", none("option overrun: dropped"))
    add("MAL-02/b", none("option overrun: dropped"))
    add("MAL-02/c", offer(S1_POOL, to_yiaddr("02:00:00:01:02:01")))

    # MAL-04: no END accepted; data after END ignored.
    add("MAL-04/a", offer(S1_POOL, to_yiaddr("02:00:00:01:04:01")))
    add("MAL-04/b", offer(S1_POOL, to_yiaddr("02:00:00:01:04:01")),
        lambda r, run: ["option 50 after END was honoured"]
        if r["yiaddr"] == "192.0.2.99" else [])

    # MAL-05: option overload.
    add("MAL-05/a0", offer("192.0.2.150", to_yiaddr("02:00:00:01:05:01")))
    add("MAL-05/a", ack("192.0.2.150", to_yiaddr("02:00:00:01:05:01")))
    add("MAL-05/b", ack("192.0.2.150", to_yiaddr("02:00:00:01:05:01")))
    add("MAL-05/c", offer(S1_POOL, to_yiaddr("02:00:00:01:05:02"))
        .with_(has=(1, 3, 6, 15)))
    add("MAL-05/d", none("overload 4: malformed_request"))

    # MAL-06: RFC 3396 joining.
    add("MAL-06/a", offer(S1_POOL, to_yiaddr("02:00:00:01:06:01"))
        .with_(has=(1, 3, 6, 15)))
    add("MAL-06/b", none("two 53 instances: bad_message_type"))
    add("MAL-06/c", offer(S1_POOL, to_yiaddr("02:00:00:01:06:01")),
        lambda r, run: ["offered MAL-05's reserved 192.0.2.150"]
        if r["yiaddr"] == "192.0.2.150" else [])

    # MAL-08: empty / all-NUL host name ignored.
    add("MAL-08/a", offer(S1_POOL, to_yiaddr("02:00:00:01:08:01")))
    add("MAL-08/b", offer(S1_POOL, to_yiaddr("02:00:00:01:08:01")))

    # MAL-10: large requests.
    for label in "abc":
        add(f"MAL-10/{label}", offer(S1_POOL,
                                     to_yiaddr("02:00:00:01:0a:01")))

    # MAL-12: hlen > 16 dropped; IPoIB keyed on 61, broadcast.
    add("MAL-12/a", none("hlen 17: bad_hardware_address"))
    add("MAL-12/b", none("hlen 255: bad_hardware_address"))
    add("MAL-12/c", offer(S1_POOL, BROADCAST))
    add("MAL-12/d", offer(S1_POOL, BROADCAST),
        lambda r, run: ["two IPoIB clients got the same address"]
        if r["yiaddr"] == run.yiaddr.get("c") else [])

    # MAL-13 / MAL-14: not for a server; BOOTP off.
    for fid in ("MAL-13/a", "MAL-13/b", "MAL-13/c", "MAL-13/d", "MAL-14/a",
                "MAL-14/b"):
        add(fid, none("not a request a server answers"))

    # CLI-01: identity by 61, else chaddr; MAC reservation.
    add("CLI-01/a", offer("192.0.2.151", to_yiaddr("02:00:00:02:01:01")))
    add("CLI-01/b", ack("192.0.2.151", to_yiaddr("02:00:00:02:01:01")))
    add("CLI-01/c", ack("192.0.2.151", to("192.0.2.151",
                                          "02:00:00:02:01:01")))
    add("CLI-01/d", offer("192.0.2.151", to_yiaddr("02:00:00:02:01:01")))

    # CLI-02: option 61 forms; short ones ignored (or the frame dropped).
    add("CLI-02/a", offer(S1_POOL, to_yiaddr("02:00:00:02:02:01")))
    add("CLI-02/b", offer(S1_POOL, to_yiaddr("02:00:00:02:02:02")))
    add("CLI-02/c", offer(S1_POOL, to_yiaddr("02:00:00:02:02:03")))
    add("CLI-02/d", [offer(S1_POOL, to_yiaddr("02:00:00:02:02:04"))
                     .with_(note="61 ignored, keyed on chaddr"),
                     none("dropped")])
    add("CLI-02/e", [offer(S1_POOL, to_yiaddr("02:00:00:02:02:05"))
                     .with_(note="61 ignored, keyed on chaddr"),
                     none("dropped")])

    # CLI-04: DISCOVER with ciaddr: OFFER unicast to ciaddr:68.
    add("CLI-04/a", offer("192.0.2.152", to("192.0.2.152",
                                            "02:00:00:02:04:01")))

    # CLI-05: exactly one NAK, addressed per §4.1 / §4.3.2.
    add("CLI-05/a", nak(BROADCAST))
    add("CLI-05/b", nak(to_relay("198.51.100.1")).with_(flag=True))
    add("CLI-05/c", nak(BROADCAST))

    # CLI-06: unknown INIT-REBOOT silent; the lease survives a restart.
    add("CLI-06/a", none("unknown client, not authoritative: silent"))
    add("CLI-06/b0", offer("192.0.2.157", to_yiaddr("02:00:00:02:06:02")))
    add("CLI-06/b1", ack("192.0.2.157", to_yiaddr("02:00:00:02:06:02")))
    add("CLI-06/b2", ack("192.0.2.157", to_yiaddr("02:00:00:02:06:02")))

    # CLI-08: REQUEST naming another server: no reply.
    add("CLI-08/a", offer("192.0.2.153", to_yiaddr("02:00:00:02:08:01")))
    add("CLI-08/b", none("another server's REQUEST: not_for_us"))
    add("CLI-08/c", none("another server's REQUEST: not_for_us"))

    # CLI-09: RENEWING / REBINDING.
    to_154 = to("192.0.2.154", "02:00:00:02:09:01")
    add("CLI-09/a0", offer("192.0.2.154", to_yiaddr("02:00:00:02:09:01")))
    add("CLI-09/a1", ack("192.0.2.154", to_yiaddr("02:00:00:02:09:01")))
    add("CLI-09/b", ack("192.0.2.154", to_154))
    add("CLI-09/c", ack("192.0.2.154", to_154))
    add("CLI-09/d", ack("192.0.2.154", to_154))
    add("CLI-09/e", none("unknown client, not authoritative: silent"))
    add("CLI-09/f", nak(BROADCAST))

    # CLI-11: RELEASE only by the holder of ciaddr; never answered.
    add("CLI-11/a0", offer("192.0.2.158", to_yiaddr("02:00:00:02:0b:01")))
    add("CLI-11/a1", ack("192.0.2.158", to_yiaddr("02:00:00:02:0b:01")))
    add("CLI-11/b", none("RELEASE from another client: ignored"))
    add("CLI-11/c", ack("192.0.2.158", to("192.0.2.158",
                                          "02:00:00:02:0b:01")))
    add("CLI-11/f", none("RELEASE of another address: ignored"))
    add("CLI-11/d", none("RELEASE: no reply"))
    add("CLI-11/e", none("duplicate RELEASE: no reply"))

    # CLI-12: INFORM: ACK without lease times, never NAK.
    add("CLI-12/a", inform_ack(to("192.0.2.50", "02:00:00:02:0c:01"))
        .with_(has=(1, 3, 6, 15)))
    add("CLI-12/b", [inform_ack(to("198.51.100.77", RELAY_MAC))
                     .with_(has=(1, 3), note="unicast to ciaddr:68"),
                     inform_ack(to_relay("198.51.100.1"))
                     .with_(has=(1, 3), note="to giaddr:67")])
    add("CLI-12/c", inform_ack(to_relay("198.51.100.1"))
        .with_(flag=True, has=(1, 3)))
    add("CLI-12/d", none("INFORM from 0.0.0.0 without ciaddr: dropped"))
    add("CLI-12/e", inform_ack(to("192.0.2.151", "02:00:00:02:0c:01")))

    # CLI-14: odd host names never stop an OFFER; 12 never echoed dirty.
    for i, label in enumerate("abcde"):
        add(f"CLI-14/{label}",
            offer(S1_POOL, to_yiaddr(f"02:00:00:02:0e:0{i + 1}")),
            clean_hostname_echo)

    # REL-01: 82 echoed in every reply; all to giaddr:67.
    s2_relay = to_relay("198.51.100.1")
    add("REL-01/a", offer("198.51.100.150", s2_relay))
    add("REL-01/b", ack("198.51.100.150", s2_relay))
    add("REL-01/c", ack("198.51.100.150", s2_relay))
    add("REL-01/d", nak(s2_relay).with_(flag=True))
    add("REL-01/e", ack("198.51.100.150", s2_relay))

    # REL-02: binary circuit-id / remote-id echoed whole.
    add("REL-02/a", offer(S2_POOL, s2_relay))
    add("REL-02/b", ack("offer", s2_relay))

    # REL-04: relayed replies go to giaddr:67, B copied.
    add("REL-04/a", offer(S2_POOL, s2_relay).with_(flag=True))
    for label in "bcd":
        add(f"REL-04/{label}", offer("offer", s2_relay).with_(flag=True))

    # REL-05: RFC 8357 relay source port.
    add("REL-05/a", offer(S2_POOL, to_relay("198.51.100.1", 6767)))
    add("REL-05/b", offer("offer", s2_relay))
    add("REL-05/c", [offer("offer", s2_relay)
                     .with_(note="not honoured: port 67"),
                     offer("offer", to_relay("198.51.100.1", 6767))
                     .with_(note="honoured: port 6767")])

    # REL-07: RFC 5107 server identifier override.
    s3_relay = to_relay("10.255.0.1")
    add("REL-07/a", offer("203.0.113.150", s3_relay)
        .with_(server_id="203.0.113.1"))
    add("REL-07/b", ack("203.0.113.150", s3_relay)
        .with_(server_id="203.0.113.1"))
    add("REL-07/c", ack("203.0.113.150", s3_relay)
        .with_(server_id="203.0.113.1"))
    add("REL-07/d", [none("override not remembered: foreign server-id"),
                     ack("203.0.113.150", s3_relay)
                     .with_(server_id="203.0.113.1",
                            note="stored override accepted")])

    # REL-08: 82 with giaddr 0 untrusted by default: dropped.
    add("REL-08/a", none("82 with giaddr 0: untrusted_relay_info"))
    add("REL-08/b", none("82 with giaddr 0: untrusted_relay_info"))

    # LEA-01: lease time policy; infinite reservation.
    add("LEA-01/a", offer(S1_POOL, to_yiaddr("02:00:00:04:01:01"))
        .with_(lease=86400))
    add("LEA-01/b", ack("offer", to_yiaddr("02:00:00:04:01:01"))
        .with_(lease=86400))
    add("LEA-01/c0", offer("192.0.2.162", to_yiaddr("02:00:00:04:01:03"))
        .with_(lease=INFINITE))
    add("LEA-01/c1", ack("192.0.2.162", to_yiaddr("02:00:00:04:01:03"))
        .with_(lease=INFINITE))
    add("LEA-01/d", offer(S1_POOL, to_yiaddr("02:00:00:04:01:04"))
        .with_(lease=86400))

    # LEA-03: exhaustion, the expiry instant, reclaiming (60 s leases).
    s4_relay = to_relay("100.64.0.1")
    add("LEA-03/a0", offer("100.64.0.2", s4_relay).with_(lease=60))
    add("LEA-03/a1", ack("100.64.0.2", s4_relay).with_(lease=60))
    add("LEA-03/b", none("pool exhausted: no OFFER, no NAK"))
    add("LEA-03/c", ack("100.64.0.2", s4_relay).with_(lease=60))
    add("LEA-03/d", offer("100.64.0.2", s4_relay).with_(lease=60))

    # LEA-04: wall-clock steps change no lifetime; leases survive restart.
    add("LEA-04/a0", offer("192.0.2.163", to_yiaddr("02:00:00:04:04:01")))
    add("LEA-04/a1", ack("192.0.2.163", to_yiaddr("02:00:00:04:04:01")))
    add("LEA-04/b", ack("192.0.2.163", to("192.0.2.163",
                                          "02:00:00:04:04:01")))
    add("LEA-04/c", ack("192.0.2.163", to_yiaddr("02:00:00:04:04:01")))
    return t


def clean_hostname_echo(r, run):
    """CLI-14: option 12, if sent back, is a clean host name."""
    o = r["options"].get("12")
    if o is None:
        return []
    v = bytes.fromhex(o["hex"])
    ok = v and not v.endswith(b".") and all(
        chr(c).isascii() and (chr(c).isalnum() or chr(c) in "-.") for c in v)
    return [] if ok else [f"option 12 echoed unsanitised: {o['hex']}"]


# ---------------------------------------------------------------------------
# Checking one reply against one Want (tests/engine Evaluate(), on the wire).

def in_range(ip, lo, hi):
    a = ipaddress.IPv4Address(ip)
    return ipaddress.IPv4Address(lo) <= a <= ipaddress.IPv4Address(hi)


def evaluate(want, q, replies, run):
    """Failures (strings) of `replies` to request `q` as outcome `want`."""
    if want.kind is None:
        return [f"expected no reply, got {len(replies)}: " +
                ", ".join(f"{r['kind']} yiaddr {r['yiaddr']} to "
                          f"{r['ip']['dst']}:{r['udp']['dport']}"
                          for r in replies)] if replies else []
    if not replies:
        return [f"no reply; expected {want.kind}"]
    e = []
    if len(replies) > 1:
        e.append(f"{len(replies)} replies to one request: " +
                 ", ".join(r["kind"] for r in replies))
    r = replies[0]
    mt = {"OFFER": "OFFER", "ACK": "ACK", "INFORM": "ACK", "NAK": "NAK"}
    if r["kind"] != mt[want.kind]:
        return e + [f"reply is {r['kind']}; expected {want.kind}"]
    # Who sent it.
    if r["l2"]["src"] != SERVER_MAC:
        e.append(f"L2 source {r['l2']['src']}; expected {SERVER_MAC}")
    if r["ip"]["src"] != SERVER_IP or r["udp"]["sport"] != 67:
        e.append(f"from {r['ip']['src']}:{r['udp']['sport']}; expected "
                 f"{SERVER_IP}:67")
    # Fixed header, RFC 2131 Table 3.
    if r["op"] != 2:
        e.append(f"op {r['op']}")
    if int(r["xid"], 16) != q.xid:
        e.append(f"xid {r['xid']} not copied")
    if (r["htype"], r["hlen"]) != (q.htype, q.hlen):
        e.append(f"htype/hlen {r['htype']}/{r['hlen']} not copied")
    if r["chaddr_field"] != q.chaddr_field:
        e.append(f"chaddr {r['chaddr_field']} not copied")
    if r["giaddr"] != q.giaddr:
        e.append(f"giaddr {r['giaddr']}; request had {q.giaddr}")
    want_b = q.flags & 0x8000 != 0 if want.flag is None else want.flag
    want_flags = (q.flags & 0x7fff) | (0x8000 if want_b else 0)
    if int(r["flags"], 16) != want_flags:
        e.append(f"flags {r['flags']}; expected 0x{want_flags:04x}")
    sid = r["options"].get("54", {}).get("decoded")
    if sid != [want.server_id]:
        e.append(f"option 54 {sid}; expected {want.server_id}")
    want_ci = q.ciaddr if want.kind in ("ACK", "INFORM") else "0.0.0.0"
    if r["ciaddr"] != want_ci:
        e.append(f"ciaddr {r['ciaddr']}; expected {want_ci}")
    # yiaddr.
    yi = r["yiaddr"]
    if want.yi is None:
        if yi != "0.0.0.0":
            e.append(f"yiaddr {yi}; expected 0.0.0.0")
    elif want.yi == "offer":
        if yi != run.last_offer:
            e.append(f"yiaddr {yi}; expected the offered {run.last_offer}")
    elif isinstance(want.yi, tuple):
        if not in_range(yi, *want.yi):
            e.append(f"yiaddr {yi} outside {want.yi[0]} - {want.yi[1]}")
    elif yi != want.yi:
        e.append(f"yiaddr {yi}; expected {want.yi}")
    if want.kind == "NAK":
        if r["siaddr"] != "0.0.0.0" or r["sname"] or r["file"]:
            e.append("NAK with siaddr/sname/file set")
        extra = set(r["option_order"]) - {53, 54, 56, 61, 82}
        if extra:
            e.append(f"NAK carries options {sorted(extra)} (Table 3)")
    # Lease times.
    opts = r["options"]

    def u32(code):
        d = opts.get(str(code), {}).get("decoded")
        return d if isinstance(d, int) else None
    lt, t1, t2 = u32(51), u32(58), u32(59)
    if want.kind in ("OFFER", "ACK"):
        if lt != want.lease:
            e.append(f"option 51 {lt}; expected {want.lease}")
        if want.lease == INFINITE:
            if t1 not in (None, INFINITE) or t2 not in (None, INFINITE) or \
                    (t1 is None) != (t2 is None):
                e.append(f"infinite lease with T1 {t1}, T2 {t2}")
        else:
            if t1 != want.lease // 2:
                e.append(f"option 58 {t1}; expected {want.lease // 2}")
            if t2 != want.lease * 875 // 1000:
                e.append(f"option 59 {t2}; expected "
                         f"{want.lease * 875 // 1000}")
    elif any(str(c) in opts for c in (51, 58, 59)):
        e.append("lease time options in a reply that must not have them")
    # RFC 6842: 61 echoed unaltered (below 2 octets it may be left out).
    cid = q.options.get(61)
    echo = opts.get("61", {}).get("hex")
    if cid is None and echo is not None:
        e.append("option 61 in the reply, none sent")
    elif cid is not None and (len(cid) >= 2 or echo is not None) and \
            echo != cid.hex():
        e.append(f"option 61 {echo} not echoed unaltered ({cid.hex()})")
    # RFC 3046 §2.2: 82 echoed whole and last.
    rai = q.options.get(82)
    rai_echo = opts.get("82", {}).get("hex")
    if rai is None and rai_echo is not None:
        e.append("option 82 in the reply, none sent")
    elif rai is not None:
        if rai_echo != rai.hex():
            e.append(f"option 82 {rai_echo} not echoed byte for byte "
                     f"({rai.hex()})")
        elif r["option_order"][-1] != 82:
            e.append("option 82 is not the last option")
    for code in want.has:
        if str(code) not in opts:
            e.append(f"option {code} missing")
    # Size: RFC 1542 §2.1 minimum; option 57 (RFC 2132 §9.10); port MTU.
    limit = min(q.max_message_size(), PORT_MTU) - 28
    size = r["size"]["bootp"]
    if not 300 <= size <= limit:
        e.append(f"BOOTP size {size} outside [300, {limit}]")
    if r["size"]["ip"] > PORT_MTU:
        e.append(f"IP datagram of {r['size']['ip']} octets")
    # Addressing, RFC 2131 §4.1 (design brief "Reply addressing").
    if want.route[0] == "yiaddr":
        dst = (want.route[1], yi, 68)
    elif want.route[0] == "to":
        dst = want.route[2], want.route[1], want.route[3]
    else:
        dst = ("ff:ff:ff:ff:ff:ff", "255.255.255.255", 68)
    got = (r["l2"]["dst"], r["ip"]["dst"], r["udp"]["dport"])
    if got != dst:
        e.append("sent to {} {}:{}; expected {} {}:{}".format(*got, *dst))
    return e


# ---------------------------------------------------------------------------
# The lab side of harness steps: lw-replay's hooks talk to the test over a
# Unix socket (a filesystem path works across network namespaces).

HOOK_CLIENT = (
    "import socket,sys,os\n"
    "s=socket.socket(socket.AF_UNIX)\n"
    "s.settimeout(90)\n"
    "s.connect(sys.argv[1])\n"
    "s.sendall(('%s %s\\n'%(sys.argv[2],os.environ['LW_CLOCK_OFFSET']))"
    ".encode())\n"
    "r=s.recv(4096).decode()\n"
    "print(r)\n"
    "sys.exit(0 if r.startswith('ok') else 1)\n")


class CaseServer:
    """leasewired for one case: its lab, restarts and wall-clock offset."""

    def __init__(self, lab, binary, config, faketime):
        self.lab = lab
        self.config = config
        self.clock_file = lab.path("faketime")
        self.faketime = faketime
        self.set_clock(0)
        if faketime:
            # A thin wrapper, so netlab starts (and restarts) the binary
            # under libfaketime: wall clock only, offset from a file.
            wrapper = lab.path("leasewired-faketime")
            with open(wrapper, "w", encoding="utf-8") as f:
                f.write("#!/bin/sh\n"
                        f"export LD_PRELOAD={LIBFAKETIME}\n"
                        f"export FAKETIME_TIMESTAMP_FILE={self.clock_file}\n"
                        "export FAKETIME_CACHE_DURATION=1\n"
                        "export DONT_FAKE_MONOTONIC=1\n"
                        f"exec {os.path.abspath(binary)} \"$@\"\n")
            os.chmod(wrapper, 0o755)
            binary = wrapper
        self.srv = lab.start_leasewired(binary, config)
        self.restarts = 0
        self.sock_path = lab.path("hook.sock")
        self._listener = socket.socket(socket.AF_UNIX)
        self._listener.bind(self.sock_path)
        self._listener.listen(4)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self.errors = []

    def set_clock(self, offset):
        with open(self.clock_file, "w", encoding="utf-8") as f:
            f.write(f"{offset:+d}\n")

    def hook(self, action):
        return (f"/usr/bin/python3 -c {sh_quote(HOOK_CLIENT)} "
                f"{self.sock_path} {action}")

    def _serve(self):
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with conn:
                line = conn.makefile().readline().split()
                try:
                    action, offset = line[0], int(line[1])
                    if offset and not self.faketime:
                        raise RuntimeError("a wall-clock step needs "
                                           "libfaketime (package faketime)")
                    if action == "restart":
                        # README: stop, step the clock, start.
                        status = self.srv.stop()
                        if status != 0:
                            raise RuntimeError(f"exit status {status} on "
                                               "SIGTERM")
                        self.set_clock(offset)
                        self.srv = self.lab.restart(self.srv)
                        self.restarts += 1
                    elif action == "clock":
                        self.set_clock(offset)
                        time.sleep(1.5)  # FAKETIME_CACHE_DURATION
                    else:
                        raise RuntimeError(f"unknown hook {action}")
                    conn.sendall(b"ok\n")
                except Exception as ex:  # noqa: BLE001 - reported below
                    self.errors.append(f"{action}: {ex}")
                    conn.sendall(f"error {ex}\n".encode())

    def close(self):
        self._listener.close()


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


# ---------------------------------------------------------------------------
# The tests.

def load_corpus():
    with open(os.path.join(CASES_DIR, "packets.json"), encoding="utf-8") as f:
        return json.load(f)


class Run:
    """What one case has seen so far (for "offer" and cross-frame checks)."""

    def __init__(self):
        self.last_offer = None
        self.yiaddr = {}


class CasesWireTest(unittest.TestCase):
    binary = None
    config = None
    corpus = None

    @classmethod
    def setUpClass(cls):
        netlab.require_root()
        cls.binary = find_binary()
        if not cls.binary or not os.access(cls.binary, os.X_OK):
            raise RuntimeError("no leasewired binary: set LEASEWIRED or "
                               "build it in build*/ (ninja leasewired)")
        if subprocess.run(["/usr/bin/python3", "-c", "import scapy"],
                          check=False).returncode != 0:
            raise RuntimeError("python3-scapy is missing "
                               "(tools/install-deps.sh demo)")
        cls.config = load_jsonc(CONFIG)
        cls.corpus = load_corpus()

    def test_every_frame_has_an_expectation(self):
        table = expectations()
        frames = {f"{p['case']}/{p['label']}" for p in self.corpus}
        self.assertEqual(len(frames), len(self.corpus), "duplicate frames")
        self.assertFalse(sorted(frames - set(table)),
                         "frames without an expectation")
        self.assertFalse(sorted(set(table) - frames),
                         "expectations for frames not in packets.json")

    def replay_case(self, case):
        frames = [p for p in self.corpus if p["case"] == case]
        self.assertTrue(frames, f"no frames for {case}")
        table = expectations()
        missing = [f"{case}/{p['label']}" for p in frames
                   if f"{case}/{p['label']}" not in table]
        self.assertFalse(missing, "frames without an expectation")
        faketime = case in CLOCK_STEPS
        if faketime and not os.path.exists(LIBFAKETIME):
            self.fail(f"{case} steps the wall clock: needs {LIBFAKETIME} "
                      "(Debian package faketime)")
        with netlab.Lab(server_mac=SERVER_MAC) as lab:
            server = CaseServer(lab, self.binary, self.config, faketime)
            try:
                records = self._run_replay(lab, server, case)
            finally:
                server.close()
            alive = server.srv.running()
            log = server.srv.log()
            status = server.srv.stop() if alive else server.srv.returncode
        keep = os.environ.get("LW_CASES_LOG_DIR")
        if keep:
            with open(os.path.join(keep, case + ".server.log"), "w",
                      encoding="utf-8") as f:
                f.write(log)
        failures = self._check(case, frames, table, records)
        failures += [f"harness step: {x}" for x in server.errors]
        if not alive:
            failures.append(f"leasewired died (status {status})")
        elif status != 0:
            failures.append(f"leasewired exited {status} on SIGTERM")
        if failures:
            self.fail(f"{case}:\n  " + "\n  ".join(failures) +
                      "\n--- leasewired log (tail) ---\n" + log[-4000:])

    def _run_replay(self, lab, server, case):
        scale = "1" if case in REAL_TIME else "0"
        argv = ["/usr/bin/python3", REPLAY, "--iface", lab.client_if,
                "--cases-dir", CASES_DIR, "--case", case, "--json",
                "--time-scale", scale, "--timeout", "1.0",
                "--liveness-probe", "--max-duration", "400",
                "--restart-cmd", server.hook("restart"),
                "--clock-step-cmd", server.hook("clock")]
        res = lab.client_run(argv, check=False, timeout=450)
        keep = os.environ.get("LW_CASES_LOG_DIR")
        if keep:  # lw-replay's JSON lines, for a look after the run
            os.makedirs(keep, exist_ok=True)
            with open(os.path.join(keep, case + ".jsonl"), "w",
                      encoding="utf-8") as f:
                f.write(res.stdout)
        records = []
        for line in res.stdout.splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        if res.returncode != 0:
            self.fail(f"lw-replay exited {res.returncode}\nstdout tail:\n"
                      f"{res.stdout[-3000:]}\nstderr:\n{res.stderr[-3000:]}")
        return records

    def _check(self, case, frames, table, records):
        failures = []
        replies = {}
        sent = set()
        for rec in records:
            if rec["type"] == "reply":
                replies.setdefault(rec["frame"], []).append(rec)
            elif rec["type"] == "sent":
                sent.add(rec["frame"])
            elif rec["type"] == "unmatched":
                failures.append(f"reply matching no request (after "
                                f"{rec['after']}): {rec['kind']} xid "
                                f"{rec.get('xid')}")
            elif rec["type"] == "step" and rec.get("rc") != 0:
                failures.append(f"step {rec.get('action')} before "
                                f"{rec['frame']} failed: {rec.get('error')}"
                                f" {rec.get('output', '')}")
        run = Run()
        for p in frames:
            fid = f"{case}/{p['label']}"
            if fid not in sent:
                failures.append(f"{fid}: not sent")
                continue
            q = Request(p["frame_hex"])
            got = replies.get(fid, [])
            allowed, extra = table[fid]
            errors = []
            matched = None
            for want in allowed:
                e = evaluate(want, q, got, run)
                if not e:
                    matched = want
                    break
                errors.append(f"as {want.kind or 'no reply'}"
                              f"{' (' + want.note + ')' if want.note else ''}"
                              f": " + "; ".join(e))
            if matched is None:
                failures.append(f"{fid} ({p['note']}): " +
                                " | ".join(errors))
            elif len(allowed) > 1:
                print(f"[ choice ] {fid}: {matched.note}", file=sys.stderr)
            if got and extra:
                failures += [f"{fid}: {x}" for x in extra(got[0], run)]
            if got:
                run.yiaddr[p["label"]] = got[0]["yiaddr"]
                if got[0]["kind"] == "OFFER":
                    run.last_offer = got[0]["yiaddr"]
        probe = replies.get("liveness/probe", [])
        if not probe or probe[0]["kind"] != "OFFER":
            failures.append("liveness probe after the case: no OFFER")
        return failures


def _add_case_tests():
    try:
        cases = list(dict.fromkeys(p["case"] for p in load_corpus()))
    except OSError as ex:
        def test_corpus(self, ex=ex):
            self.fail(f"cannot read the cases corpus: {ex}")
        CasesWireTest.test_corpus = test_corpus
        return
    for case in cases:
        def test(self, case=case):
            self.replay_case(case)
        test.__doc__ = f"{case} over the wire"
        setattr(CasesWireTest, "test_" + case.replace("-", "_"), test)


_add_case_tests()

if __name__ == "__main__":
    # --leasewired PATH, as clients_test.py takes it (CMake passes it).
    if "--leasewired" in sys.argv:
        i = sys.argv.index("--leasewired")
        os.environ["LEASEWIRED"] = sys.argv[i + 1]
        del sys.argv[i:i + 2]
    unittest.main()
