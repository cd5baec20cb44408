#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into corpus/NAME/ (run from anywhere;
make_seeds.sh adds the certificates).  The DNS messages come from tests/fakes/dnswire.py;
the signed rfc2136 replies use the key and request MAC of fuzz_rfc2136_tsig.c."""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
import dnswire as w  # noqa: E402

TYPES = ["TXT", "SOA", "NS", "A", "AAAA", "CNAME"]


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def dns():
    n = "_acme-challenge.example.test"
    z = "example.test"
    soa = w.rr(z, "SOA", w.soa("ns1." + z, "hostmaster." + z))
    q = lambda qn, t: w.question(qn, t)  # noqa: E731
    val = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
    msgs = {
        "txt": ("TXT", w.reply(1, q(n, "TXT"), an=[w.rr(w.PTR_Q, "TXT", w.txt(val)),
                                                      w.rr(w.PTR_Q, "TXT", w.txt("other", "split"))])),
        "txt-nodata": ("TXT", w.reply(2, q(n, "TXT"), ns=[soa])),
        "txt-nxdomain": ("TXT", w.reply(3, q(n, "TXT"), rcode=3, ns=[soa])),
        "txt-tc": ("TXT", w.reply(4, q(n, "TXT"), flags=w.QR | w.AA | w.TC)),
        "txt-referral": ("TXT", w.reply(5, q(n, "TXT"), flags=w.QR, ns=[w.rr("sub." + z, "NS", w.name("ns1.sub." + z))],
                                        ar=[w.rr("ns1.sub." + z, "A", w.a("192.0.2.1"))])),
        "servfail": ("TXT", w.reply(6, b"", rcode=2)),
        "soa": ("SOA", w.reply(7, q(z, "SOA"), an=[soa])),
        "soa-auth": ("SOA", w.reply(8, q(n, "SOA"), rcode=3, ns=[soa])),
        "ns": ("NS", w.reply(9, q(z, "NS"), an=[w.rr(w.PTR_Q, "NS", w.name("ns%d.%s" % (i, z))) for i in range(1, 4)])),
        "a": ("A", w.reply(10, q("ns1." + z, "A"), an=[w.rr(w.PTR_Q, "A", w.a("192.0.2.%d" % i)) for i in range(1, 6)])),
        "aaaa": ("AAAA", w.reply(11, q("ns1." + z, "AAAA"), an=[w.rr(w.PTR_Q, "AAAA", w.aaaa("2001:db8::53"))])),
        "cname": ("CNAME", w.reply(12, q(n, "CNAME"), an=[w.rr(w.PTR_Q, "CNAME", w.name("a.validation.test")),
                                                          w.rr("a.validation.test", "CNAME", w.name("b.validation.test"))])),
        "edns": ("TXT", w.reply(13, q(n, "TXT"), an=[w.rr(w.PTR_Q, "TXT", w.txt(val))],
                                ar=[b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)])),
    }
    for k, (t, m) in msgs.items():
        put("dns_answer", k, bytes([TYPES.index(t)]) + m)


SECRET = base64.b64decode("c2VjcmV0LWtleS1mb3ItdGhlLWZ1enotdGFyZ2V0cy0xMjM0NTY3ODkwYWI=")
REQ_MAC = b"0123456789abcdef0123456789abcdef"


def signed_reply(qid, rcode, error=0, alg="hmac-sha256", when=1767225600, mac_cut=None):
    """An UPDATE reply for example.test signed as a server answers a request with REQ_MAC."""
    zone = w.question("example.test", "SOA")
    head = struct.pack("!HHHHHH", qid, 0x8000 | (5 << 11) | rcode, 1, 0, 0, 0)
    body = zone
    tvars = (w.name("acme-key") + struct.pack("!HI", 255, 0) + w.name(alg) +
             struct.pack("!HIH", when >> 32, when & 0xFFFFFFFF, 300) + struct.pack("!HH", error, 0))
    mac = hmac.new(SECRET, struct.pack("!H", len(REQ_MAC)) + REQ_MAC + head + body + tvars, hashlib.sha256).digest()
    if mac_cut:
        mac = mac[:mac_cut]
    rdata = (w.name(alg) + struct.pack("!HIH", when >> 32, when & 0xFFFFFFFF, 300) + struct.pack("!H", len(mac)) +
             mac + struct.pack("!HHH", qid, error, 0))
    tsig = w.rr("acme-key", 250, rdata, ttl=0, rclass=255)
    head = struct.pack("!HHHHHH", qid, 0x8000 | (5 << 11) | rcode, 1, 0, 0, 1)
    return head + body + tsig


def tsig():
    put("rfc2136_tsig", "noerror", signed_reply(0x1234, 0))
    put("rfc2136_tsig", "refused", signed_reply(0x1235, 5))
    put("rfc2136_tsig", "badtime", signed_reply(0x1236, 9, error=18))
    put("rfc2136_tsig", "truncated-mac", signed_reply(0x1237, 0, mac_cut=16))
    put("rfc2136_tsig", "unsigned", struct.pack("!HHHHHH", 7, 0x8000 | (5 << 11) | 5, 1, 0, 0, 0) +
        w.question("example.test", "SOA"))
    upd = struct.pack("!HHHHHH", 9, 5 << 11, 1, 0, 1, 0) + w.question("example.test", "SOA") + \
        w.rr("_acme-challenge.example.test", "TXT", w.txt("value"))
    put("rfc2136_tsig", "sign-update", b"s" + upd)


def keyfile():
    k = 'key "acme-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' % base64.b64encode(SECRET).decode()
    put("rfc2136_keyfile", "tsig-keygen", k)
    put("rfc2136_keyfile", "ddns-confgen", "# comment\n" + k.replace("acme-key", "ddns-key.example.test") +
        '\n/* update-policy */\nzone "example.test" { update-policy { grant ddns-key.example.test name x TXT; }; };\n'
        "// end\n")
    put("rfc2136_keyfile", "two-keys", k + k.replace("acme-key", "other").replace("sha256", "sha512"))
    put("rfc2136_keyfile", "md5", k.replace("hmac-sha256", "hmac-md5.sig-alg.reg.int"))


def cloudflare():
    zid = "0123456789abcdef0123456789abcdef"
    env = lambda result, ok=True, errors=(), info=None: json.dumps(  # noqa: E731
        {"success": ok, "errors": list(errors), "messages": [], "result": result,
         **({"result_info": info} if info else {})})
    put("cloudflare", "zones", env([{"id": zid, "name": "example.test", "status": "active"},
                                     {"id": "00000000000000000000000000000bad", "name": "example.test",
                                      "status": "pending"}], info={"page": 1, "per_page": 50, "total_pages": 2}))
    put("cloudflare", "records", env([{"id": "abc123", "type": "TXT", "name": "_acme-challenge.example.test",
                                       "content": '"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"', "ttl": 120}],
                                     info={"total_pages": 1}))
    put("cloudflare", "created", env({"id": "def456", "type": "TXT", "name": "_acme-challenge.example.test"}))
    put("cloudflare", "errors", env(None, ok=False, errors=[
        {"code": 9109, "message": "Invalid access token"},
        {"code": 1000, "message": "x", "error_chain": [{"code": 81058, "message": "exists"}]}]))


def hook():
    put("hook_output", "lines", b"\x05+ nsupdate -k key\nupdate add _acme-challenge 60 TXT x\r\nsend\n\n\x1b[31mred\x1b[0m\n")
    put("hook_output", "long", b"\xff" + (b"certbot: waiting for propagation\n" * 200))
    put("hook_output", "partial", b"\x00no newline at the end\tTAB")
    put("hook_output", "auth-output", b"\x00  \r\n_acme-challenge.example.com\r\n\x00after a NUL\n\n")


def ini():
    put("ini", "rfc2136", "# Target DNS server\ndns_rfc2136_server = 192.0.2.1\ndns_rfc2136_port = 53\n"
        "dns_rfc2136_name = keyname.\n"
        "dns_rfc2136_secret = 4q4wM/2I180UXoMyN4INVhJNi8V9BCV+jMw2mXgZw/CSuxUT8C7NKKFs AmKd7ak51vWKgSl12ib86oQ==\n"
        "dns_rfc2136_algorithm = HMAC-SHA512\ndns_rfc2136_sign_query = false\n")
    put("ini", "cloudflare", "# Cloudflare API token used by Certbot\r\n"
        "dns_cloudflare_api_token = 0123456789abcdef0123456789abcdef01234567\r\n")
    put("ini", "globalkey", b"\xef\xbb\xbfdns_cloudflare_email = 'cloudflare@example.com' # quoted\n"
        b"dns_cloudflare_api_key = \"0123456789abcdef0123456789abcdef01234\"\n")
    put("ini", "broken", "[section]\nno equals sign\nkey = 'unterminated\nkey = 1\nkey = 2\n=\n")


def config():
    put("config", "full", "# /etc/acme-dns/acme-dns.conf\nserver = https://acme.example/dir  # the CA\n"
        "email = hostmaster@example.com\nagree-tos = yes\nkey-type = ec384\nprovider = rfc2136\n"
        "deploy-hook = /usr/bin/systemctl reload nginx\npreferred-chain = \"ISRG Root X1\"\n\n"
        "[provider rfc2136]\nserver = 192.0.2.53:53\ntsig-keyfile = /etc/acme-dns/tsig.key\n"
        "[ provider cloudflare ]\r\nzone-id = 'abc #1'\nempty =\n")
    put("config", "broken", b"\xef\xbb\xbfemail = a@b.c\nemail = d@e.f\n[provider]\n[other x]\nbogus = 1\n"
        b"agree-tos = maybe\neab-hmac-key = c2VjcmV0\nk = \"open\n=\n")


def curl_util():
    put("curl_util", "delay", b"\x10\x03120")
    put("curl_util", "date", b"\x40\x07Wed, 21 Oct 2026 07:28:00 GMT")
    put("curl_util", "junk", b"\x01\x00 12abc\r\n")


if __name__ == "__main__":
    dns()
    tsig()
    keyfile()
    cloudflare()
    hook()
    ini()
    config()
    curl_util()
