"""Just enough DNS wire format for the test fakes and the fuzz seeds (RFC 1035):
read a query's header and question, write replies with any records.  Names
are written uncompressed except for the owner of an answer equal to the
question name (a pointer to offset 12), as servers usually do."""
import socket
import struct

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "TXT": 16, "AAAA": 28, "OPT": 41, "TSIG": 250}
QR, AA, TC, RD, RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080


def name(n):
    """A presentation name ("a.b." or "a.b") in wire form."""
    out = b""
    for label in n.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_name(msg, pos):
    """(name, position after it); follows compression pointers (bounded)."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            hops += 1
            if hops > 64:
                raise ValueError("pointer loop")
            continue
        pos += 1
        if n == 0:
            break
        labels.append(msg[pos:pos + n].decode("latin-1"))
        pos += n
    return ".".join(labels).lower(), end if end is not None else pos


def parse_query(msg):
    """(id, flags, qname, qtype, question bytes) of a query; raises on junk."""
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1:
        raise ValueError("not one question")
    qname, pos = read_name(msg, 12)
    qtype = struct.unpack("!H", msg[pos:pos + 2])[0]
    return qid, flags, qname, qtype, msg[12:pos + 4]


def rr(owner, rtype, rdata, ttl=60, rclass=1):
    """One record; OWNER is wire bytes (name() or a pointer) or a string."""
    if isinstance(owner, str):
        owner = name(owner)
    return owner + struct.pack("!HHIH", TYPES.get(rtype, rtype) if isinstance(rtype, str) else rtype,
                               rclass, ttl, len(rdata)) + rdata


def txt(*strings):
    out = b""
    for s in strings:
        b = s.encode() if isinstance(s, str) else s
        out += bytes([len(b)]) + b
    return out


def a(addr):
    return socket.inet_aton(addr)


def aaaa(addr):
    return socket.inet_pton(socket.AF_INET6, addr)


def soa(mname, rname, serial=1):
    return name(mname) + name(rname) + struct.pack("!IIIII", serial, 60, 10, 600, 10)


PTR_Q = b"\xc0\x0c"  # a pointer to the question name


def reply(qid, question, flags=QR | AA, rcode=0, an=(), ns=(), ar=(), qdcount=1):
    """A whole message: header, QUESTION (wire bytes of the question
    section, b"" for none) and the three sections (lists of rr())."""
    head = struct.pack("!HHHHHH", qid, flags | rcode, qdcount if question else 0, len(an), len(ns), len(ar))
    return head + question + b"".join(an) + b"".join(ns) + b"".join(ar)


def question(qname, qtype):
    return name(qname) + struct.pack("!HH", TYPES.get(qtype, qtype) if isinstance(qtype, str) else qtype, 1)


def query(qid, qname, qtype, rd=False):
    return reply(qid, question(qname, qtype), flags=RD if rd else 0)
