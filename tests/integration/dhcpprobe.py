"""Crafted DHCP exchanges, run inside a client namespace.

    ip netns exec NS python3 dhcpprobe.py < spec.json > result.json

The spec is {"iface": IF, "server_mac": MAC, "timeout": s, "ops": [...]};
each op is one exchange and yields one result (same order):

  {"op": "dora", "mac", ["giaddr", "src_ip", "opt82" (hex), "flags",
   "lease_time"]}         -> {"offer": REPLY|null, "ack": REPLY|null}
  {"op": "discover", "mac", ...same keys}  -> {"replies": [REPLY...]}
  {"op": "request", "mac", ["ciaddr", "requested", "server_id", "giaddr",
   "src_ip", "dst_ip", "dst_mac", "opt82", "flags"]}
                          -> {"replies": [REPLY...]}
  {"op": "release", "mac", "ciaddr", "server_id", ["dst_ip"]} -> {}
  {"op": "arp", "ip", "src_ip"}             -> {"arp": {"hwsrc", "psrc"}|null}
  {"op": "ping", "ip", "src_ip", ["count"]} -> {"received": n} (ICMP echo)

Frames are built with scapy and sent/received on one AF_PACKET socket;
replies are decoded by hand (exact option bytes, for the option 82 echo
check). REPLY = {"eth_src", "eth_dst", "ip_src", "ip_dst", "sport",
"dport", "op", "xid", "flags", "ciaddr", "yiaddr", "siaddr", "giaddr",
"chaddr", "msg_type", "options": {code: hex}}.
"""

import ipaddress
import json
import random
import socket
import struct
import sys
import time

from scapy.all import ARP, BOOTP, DHCP, ICMP, IP, UDP, Ether, raw  # noqa: E402

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
MAGIC = b"\x63\x82\x53\x63"
MSG = {"discover": 1, "offer": 2, "request": 3, "decline": 4, "ack": 5,
       "nak": 6, "release": 7, "inform": 8}


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.replace("-", ":").split(":"))


def mac_str(b):
    return ":".join(f"{x:02x}" for x in b)


def parse_dhcp(frame):
    """Decodes an Ethernet/IPv4/UDP DHCP frame, or returns None."""
    if len(frame) < 14 + 20 + 8 + 240 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0x0F) * 4
    if frame[14 + 9] != 17:
        return None
    ip = frame[14:14 + ihl]
    udp = frame[14 + ihl:14 + ihl + 8]
    sport, dport = struct.unpack("!HH", udp[:4])
    if not ({sport, dport} & {67, 68}):
        return None
    b = frame[14 + ihl + 8:]
    if len(b) < 240 or b[236:240] != MAGIC:
        return None
    opts = {}
    i = 240
    while i < len(b):
        code = b[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(b):
            break
        length = b[i + 1]
        opts[code] = opts.get(code, "") + b[i + 2:i + 2 + length].hex()
        i += 2 + length
    msg_type = int(opts[53][:2], 16) if opts.get(53) else None
    return {
        "eth_dst": mac_str(frame[0:6]), "eth_src": mac_str(frame[6:12]),
        "ip_src": socket.inet_ntoa(ip[12:16]),
        "ip_dst": socket.inet_ntoa(ip[16:20]),
        "sport": sport, "dport": dport,
        "op": b[0], "xid": struct.unpack("!I", b[4:8])[0],
        "flags": struct.unpack("!H", b[10:12])[0],
        "ciaddr": socket.inet_ntoa(b[12:16]),
        "yiaddr": socket.inet_ntoa(b[16:20]),
        "siaddr": socket.inet_ntoa(b[20:24]),
        "giaddr": socket.inet_ntoa(b[24:28]),
        "chaddr": mac_str(b[28:34]),
        "msg_type": msg_type,
        "options": {str(k): v for k, v in opts.items()},
    }


class Probe:
    def __init__(self, iface, server_mac, timeout):
        self.iface = iface
        self.server_mac = server_mac
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        self.sock.bind((iface, 0))
        self.my_mac = mac_str(self.sock.getsockname()[4][:6])

    def send(self, pkt):
        self.sock.send(raw(pkt))

    def collect(self, match, window, first_only=True):
        """Frames accepted by match() within window seconds."""
        got = []
        deadline = time.monotonic() + window
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return got
            self.sock.settimeout(left)
            try:
                frame, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                return got
            if addr[2] == PACKET_OUTGOING:
                continue
            r = match(frame)
            if r is not None:
                got.append(r)
                if first_only:
                    return got

    def dhcp_frame(self, op, xid):
        mtype = MSG[op["type"]]
        mac = op["mac"]
        giaddr = op.get("giaddr", "0.0.0.0")
        relayed = giaddr != "0.0.0.0"
        src_ip = op.get("src_ip", giaddr if relayed else "0.0.0.0")
        dst_ip = op.get("dst_ip", op.get("server_ip") if relayed else
                        "255.255.255.255")
        dst_mac = op.get("dst_mac", self.server_mac if relayed or
                         dst_ip != "255.255.255.255" else "ff:ff:ff:ff:ff:ff")
        src_mac = op.get("src_mac", self.my_mac)
        sport = 67 if relayed else 68
        options = [("message-type", mtype)]
        if op.get("requested"):
            options.append(("requested_addr", op["requested"]))
        if op.get("server_id"):
            options.append(("server_id", op["server_id"]))
        if op.get("lease_time"):
            options.append(("lease_time", op["lease_time"]))
        if mtype in (1, 3):
            options.append(("param_req_list", [1, 3, 6, 15, 51, 54, 58, 59]))
        if op.get("opt82"):
            options.append((82, bytes.fromhex(op["opt82"])))
        options.append("end")
        return (Ether(src=src_mac, dst=dst_mac) /
                IP(src=src_ip, dst=dst_ip, ttl=64) /
                UDP(sport=sport, dport=67) /
                BOOTP(op=1, xid=xid, flags=op.get("flags", 0),
                      hops=1 if relayed else 0,
                      ciaddr=op.get("ciaddr", "0.0.0.0"), giaddr=giaddr,
                      chaddr=mac_bytes(mac) + b"\x00" * 10) /
                DHCP(options=options))

    def exchange(self, op, xid, window=None, all_replies=False):
        def match(frame):
            r = parse_dhcp(frame)
            if r and r["op"] == 2 and r["xid"] == xid:
                return r
            return None
        self.send(self.dhcp_frame(op, xid))
        return self.collect(match, window or self.timeout,
                            first_only=not all_replies)

    def run(self, op):
        kind = op["op"]
        xid = op.get("xid", random.getrandbits(32))
        if kind == "dora":
            offers = self.exchange(dict(op, type="discover"), xid)
            if not offers or offers[0]["msg_type"] != MSG["offer"]:
                return {"offer": offers[0] if offers else None, "ack": None}
            offer = offers[0]
            sid = ipaddress.IPv4Address(bytes.fromhex(
                offer["options"]["54"])).compressed
            acks = self.exchange(dict(op, type="request",
                                      requested=offer["yiaddr"],
                                      server_id=sid), xid)
            return {"offer": offer, "ack": acks[0] if acks else None}
        if kind in ("discover", "request"):
            replies = self.exchange(dict(op, type=kind), xid,
                                    window=op.get("window"),
                                    all_replies=op.get("all", False))
            return {"replies": replies}
        if kind == "release":
            self.send(self.dhcp_frame(dict(
                op, type="release", src_ip=op["ciaddr"],
                dst_ip=op.get("dst_ip", op["server_id"]),
                dst_mac=self.server_mac), xid))
            return {}
        if kind == "arp":
            self.send(Ether(src=self.my_mac, dst="ff:ff:ff:ff:ff:ff") /
                      ARP(op=1, hwsrc=self.my_mac, psrc=op["src_ip"],
                          pdst=op["ip"]))

            def match(frame):
                if frame[12:14] != b"\x08\x06" or len(frame) < 42:
                    return None
                a = ARP(frame[14:42])
                if a.op == 2 and a.psrc == op["ip"]:
                    return {"hwsrc": a.hwsrc, "psrc": a.psrc,
                            "eth_dst": mac_str(frame[0:6])}
                return None
            got = self.collect(match, self.timeout)
            return {"arp": got[0] if got else None}
        if kind == "ping":
            ident = random.getrandbits(16)
            got = 0
            for seq in range(op.get("count", 3)):
                self.send(Ether(src=self.my_mac, dst=self.server_mac) /
                          IP(src=op["src_ip"], dst=op["ip"]) /
                          ICMP(type=8, id=ident, seq=seq) / b"leasewire")

                def match(frame, seq=seq):
                    if frame[12:14] != b"\x08\x00":
                        return None
                    p = Ether(frame)
                    if (ICMP in p and p[ICMP].type == 0 and
                            p[ICMP].id == ident and p[ICMP].seq == seq and
                            p[IP].src == op["ip"]):
                        return True
                    return None
                got += len(self.collect(match, self.timeout))
            return {"received": got}
        raise ValueError(f"unknown op {kind}")


def main():
    spec = json.load(sys.stdin)
    probe = Probe(spec["iface"], spec["server_mac"], spec.get("timeout", 2))
    results = []
    for op in spec["ops"]:
        op.setdefault("server_ip", spec.get("server_ip"))
        results.append(probe.run(op))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
