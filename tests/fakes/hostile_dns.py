#!/usr/bin/env python3
"""Hostile authoritative name servers for the propagation check's tests, with a
resolver that names them.

  hostile_dns.py --zone ZONE --resolver ADDR [--big-ns PREFIX] [--alt ADDR]
                 MODE@ADDR [MODE@ADDR ...]

The resolver (UDP and TCP on ADDR:53) serves ZONE: its SOA, its NS set
(ns1.ZONE ... nsN.ZONE, one per MODE@ADDR, plus big.ZONE with --big-ns), the
A record of each nsK.ZONE, and for big.ZONE a 64 KB answer of about 4,000 A
records PREFIX.150.1, PREFIX.150.2 ... (truncated over UDP, whole over TCP).
Other names: NXDOMAIN with the SOA.

Each MODE@ADDR is a name server on ADDR:53 (UDP and TCP) that never serves
the records:
  tc        every UDP reply has TC=1; over TCP it reads the query and never answers
  tctc      every UDP reply has TC=1; over TCP it answers with TC=1 again
  silent    never answers (UDP); accepts TCP and never answers
  wrongid   answers with another message ID
  wrongaddr answers with the right ID, but from --alt ADDR
  big       answers every query with 64 KB of TXT records that are not ours
Prints "ready" once every socket is bound; runs until killed.
"""
import argparse
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnswire as w  # noqa: E402

held = []  # TCP connections kept open without an answer


def big_a(prefix, qid, q):
    an = []
    size = 12 + len(q)
    i = 0
    while size + 16 <= 65535:
        an.append(w.rr(w.PTR_Q, "A", w.a("%s.%d.%d" % (prefix, 150 + i // 250, 1 + i % 250))))
        size += 16
        i += 1
    return w.reply(qid, q, an=an)


def big_txt(qid, q):
    an = []
    size = 12 + len(q)
    i = 0
    while True:
        r = w.rr(w.PTR_Q, "TXT", w.txt("not-our-value-%06d" % i))
        if size + len(r) > 65000:
            break
        an.append(r)
        size += len(r)
        i += 1
    return w.reply(qid, q, an=an)


class Resolver:
    def __init__(self, zone, servers, big_prefix):
        self.zone = zone
        self.servers = servers
        self.big = big_prefix

    def answer(self, msg):
        qid, _, qname, qtype, q = w.parse_query(msg)
        z = self.zone
        soa = w.rr(z, "SOA", w.soa("ns1." + z, "hostmaster." + z))
        names = {"ns%d.%s" % (i + 1, z): addr for i, (_, addr) in enumerate(self.servers)}
        if qname == z and qtype == w.TYPES["SOA"]:
            return w.reply(qid, q, an=[soa])
        if qname == z and qtype == w.TYPES["NS"]:
            ns = [w.rr(w.PTR_Q, "NS", w.name(n)) for n in names]
            if self.big:
                ns.append(w.rr(w.PTR_Q, "NS", w.name("big." + z)))
            return w.reply(qid, q, an=ns)
        if qname in names and qtype == w.TYPES["A"]:
            return w.reply(qid, q, an=[w.rr(w.PTR_Q, "A", w.a(names[qname]))])
        if qname == "big." + z and self.big and qtype == w.TYPES["A"]:
            return big_a(self.big, qid, q)
        if qname == z or qname in names or qname == "big." + z:
            return w.reply(qid, q, ns=[soa])  # NODATA
        if qname.endswith("." + z):
            return w.reply(qid, q, rcode=3, ns=[soa])  # NXDOMAIN
        return w.reply(qid, q, rcode=5)  # REFUSED


def udp_reply_limit(msg):
    """The client's EDNS buffer size, or 512."""
    return 1232 if len(msg) > 12 and msg[11] > 0 else 512


def serve_resolver_udp(sock, res):
    while True:
        msg, peer = sock.recvfrom(65535)
        try:
            out = res.answer(msg)
        except (ValueError, IndexError, struct.error):
            continue
        if len(out) > udp_reply_limit(msg):
            qid, _, _, _, q = w.parse_query(msg)
            out = w.reply(qid, q, flags=w.QR | w.AA | w.TC)
        sock.sendto(out, peer)


def read_tcp_msg(conn):
    buf = b""
    while len(buf) < 2:
        d = conn.recv(2 - len(buf))
        if not d:
            return None
        buf += d
    n = struct.unpack("!H", buf)[0]
    msg = b""
    while len(msg) < n:
        d = conn.recv(n - len(msg))
        if not d:
            return None
        msg += d
    return msg


def serve_tcp(lsock, handle):
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=tcp_conn, args=(conn, handle), daemon=True).start()


def tcp_conn(conn, handle):
    try:
        while True:
            msg = read_tcp_msg(conn)
            if msg is None:
                break
            out = handle(msg)
            if out is None:  # never answer: keep the connection open
                held.append(conn)
                return
            conn.sendall(struct.pack("!H", len(out)) + out)
    except OSError:
        pass
    conn.close()


def hostile_udp(sock, mode, alt):
    while True:
        msg, peer = sock.recvfrom(65535)
        try:
            qid, _, _, _, q = w.parse_query(msg)
        except (ValueError, IndexError, struct.error):
            continue
        if mode in ("tc", "tctc"):
            sock.sendto(w.reply(qid, q, flags=w.QR | w.AA | w.TC), peer)
        elif mode == "wrongid":
            sock.sendto(w.reply(qid ^ 0x5555, q, an=[w.rr(w.PTR_Q, "TXT", w.txt("x"))]), peer)
        elif mode == "wrongaddr":
            alt.sendto(w.reply(qid, q, an=[w.rr(w.PTR_Q, "TXT", w.txt("x"))]), peer)
        elif mode == "big":
            sock.sendto(big_txt(qid, q), peer)
        # silent: nothing


def hostile_tcp(mode):
    def handle(msg):
        qid, _, _, _, q = w.parse_query(msg)
        if mode == "tctc":
            return w.reply(qid, q, flags=w.QR | w.AA | w.TC)
        if mode == "big":
            return big_txt(qid, q)
        return None
    return handle


def bind(addr, kind):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zone", required=True)
    ap.add_argument("--resolver", required=True)
    ap.add_argument("--big-ns", default="")
    ap.add_argument("--alt", default="")
    ap.add_argument("servers", nargs="*")
    a = ap.parse_args()
    servers = [tuple(s.split("@", 1)) for s in a.servers]
    res = Resolver(a.zone.rstrip(".").lower(), servers, a.big_ns)
    threads = []
    u, t = bind(a.resolver, socket.SOCK_DGRAM), bind(a.resolver, socket.SOCK_STREAM)
    threads += [(serve_resolver_udp, (u, res)), (serve_tcp, (t, res.answer))]
    alt = bind(a.alt, socket.SOCK_DGRAM) if a.alt else None
    for mode, addr in servers:
        if mode not in ("tc", "tctc", "silent", "wrongid", "wrongaddr", "big"):
            sys.exit("unknown mode " + mode)
        threads.append((hostile_udp, (bind(addr, socket.SOCK_DGRAM), mode, alt)))
        threads.append((serve_tcp, (bind(addr, socket.SOCK_STREAM), hostile_tcp(mode))))
    for fn, args in threads:
        threading.Thread(target=fn, args=args, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
