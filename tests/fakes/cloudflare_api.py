#!/usr/bin/env python3
"""A fake Cloudflare API v4 (zones and DNS records) for the acme-dns tests.

Written to Cloudflare's public API documentation: the response envelope
(success, errors, messages, result, result_info), page/per_page pagination,
API token (Authorization: Bearer) and global key (X-Auth-Email + X-Auth-Key)
authentication with Cloudflare's error codes, TXT quoting and TTL rules.
Every record created or deleted is applied to a real DNS zone with
`nsupdate -k KEYFILE` (RFC 2136), so an ACME server can validate for real.

Configuration (command line; no secret is ever given on it):
  --listen ADDR            address to bind (default 127.0.0.1); loopback only
  --port N                 port (default 0: any free port)
  --ready-file FILE        the port is written here once listening
  --tls-cert/--tls-key     serve HTTPS with this certificate (else plain HTTP)
  --zone SPEC              NAME=ID[,status=active|pending][,server=ADDR[:PORT]][,keyfile=FILE]
                           (repeatable); no server: the zone is not written through
  --dns-server ADDR[:PORT] default DNS server for zones without server=
  --tsig-keyfile FILE      default key file (BIND key statement) for nsupdate
  --tokens-file FILE       lines "TOKEN PERMS [ZONEIDS [LABEL]]": PERMS is a comma list of
                           zone:read, dns:read, dns:edit (or "all"); ZONEIDS a comma
                           list of zone ids or "*" (default); LABEL, when given, ends the
                           --log line of every request made with that token (so a test
                           sees which token each request used; never the token itself)
  --global-key-file FILE   lines "EMAIL KEY" (global API keys, all permissions)
  --zones-per-page N       default per_page of GET /zones (Cloudflare: 20)
  --max-per-page N         largest per_page honoured (forces pagination in tests)
  --inject KIND:COUNT[:METHOD[:PATH-SUBSTRING]]   failure injection at start (repeatable)
  --log FILE               one line per request: METHOD PATH STATUS (never headers)

Failure injection (also at run time): POST /__control with JSON
  {"inject": [{"kind": "429", "count": 2, "retry_after": 1, "method": "POST",
               "path": "/dns_records"}], "clear": true}
kinds: 429, 500, 502, 503, drop (close without an answer), malformed (truncated
JSON), oversized (2 MiB JSON), html (200 with an HTML page), 403 (code 10000).
GET /__records lists every record; GET /__stats counts requests; POST
/__reset clears records (and write-through deletes them).  The /__ paths
need no authentication and are never subject to injection.
"""

import argparse
import datetime
import http.server
import json
import os
import re
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import urllib.parse
import uuid

LOCK = threading.RLock()


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def err(code, message, chain=None):
    e = {"code": code, "message": message}
    if chain:
        e["error_chain"] = chain
    return e


class Zone:
    def __init__(self, name, zid, status="active", server=None, keyfile=None):
        self.name = name.lower().rstrip(".")
        self.id = zid
        self.status = status
        self.server = server
        self.keyfile = keyfile
        self.records = {}  # id -> record dict

    def public(self):
        return {
            "id": self.id, "name": self.name, "status": self.status, "paused": False,
            "type": "full", "development_mode": 0,
            "name_servers": ["ns1." + self.name, "ns2." + self.name],
            "account": {"id": "0" * 32, "name": "acme-dns test account"},
            "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
            "created_on": "2024-01-01T00:00:00.000000Z", "modified_on": now_iso(),
        }


class State:
    def __init__(self):
        self.zones = []
        self.tokens = {}      # token -> {"perms": set, "zones": set or None}
        self.keys = {}        # email -> key
        self.rules = []       # injection rules
        self.stats = {}
        self.zones_per_page = 20
        self.max_per_page = 50
        self.log = None

    def zone_by_id(self, zid):
        for z in self.zones:
            if z.id == zid:
                return z
        return None


STATE = State()


def txt_strings(content):
    """The character-strings of TXT content given quoted or not."""
    c = content.strip()
    if not c.startswith('"'):
        data = c.encode()
        return [data[i:i + 255] for i in range(0, max(len(data), 1), 255)] or [b""]
    out, i = [], 0
    while i < len(c):
        if c[i] == " ":
            i += 1
            continue
        if c[i] != '"':
            raise ValueError("text outside quotes")
        i += 1
        buf = bytearray()
        while i < len(c) and c[i] != '"':
            ch = c[i]
            if ch == "\\":
                i += 1
                if i >= len(c):
                    raise ValueError("dangling backslash")
                if c[i:i + 3].isdigit() and len(c[i:i + 3]) == 3:
                    buf.append(int(c[i:i + 3]))
                    i += 3
                    continue
                ch = c[i]
            buf += ch.encode()
            i += 1
        if i >= len(c):
            raise ValueError("unterminated quote")
        i += 1
        if len(buf) > 255:
            raise ValueError("character-string longer than 255 bytes")
        out.append(bytes(buf))
    if not out:
        raise ValueError("empty")
    return out


def zone_file_text(strings):
    parts = []
    for s in strings:
        t = ""
        for b in s:
            if b in (0x22, 0x5C):
                t += "\\" + chr(b)
            elif 0x20 <= b < 0x7F:
                t += chr(b)
            else:
                t += "\\%03d" % b
        parts.append('"' + t + '"')
    return " ".join(parts)


def nsupdate(zone, lines):
    """Apply update LINES to ZONE's DNS server; returns an error text or None."""
    if not zone.server:
        return None
    host, _, port = zone.server.partition(":") if zone.server.count(":") == 1 else (zone.server, "", "")
    script = "server %s %s\nzone %s\n%s\nsend\n" % (host, port or "53", zone.name, "\n".join(lines))
    cmd = ["nsupdate"]
    if zone.keyfile:
        cmd += ["-k", zone.keyfile]
    try:
        p = subprocess.run(cmd, input=script.encode(), capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "nsupdate failed: %s" % e
    if p.returncode != 0:
        return "nsupdate failed: %s" % (p.stderr.decode(errors="replace").strip()[:300])
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "cloudflare-fake"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet; our own log has no headers
        pass

    # ---------------------------------------------------------------- output
    def send_json(self, status, obj, extra_headers=None):
        body = json.dumps(obj).encode()
        self.send_raw(status, body, "application/json", extra_headers)

    def send_raw(self, status, body, ctype, extra_headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.note(status)

    def envelope(self, status, result=None, errors=None, result_info=None, messages=None):
        obj = {"success": not errors, "errors": errors or [], "messages": messages or [],
               "result": result}
        if result_info is not None:
            obj["result_info"] = result_info
        self.send_json(status, obj)

    def fail(self, status, *errors):
        self.envelope(status, None, list(errors))

    def note(self, status):
        if self.path.startswith("/__"):
            return  # control requests are neither counted nor logged
        with LOCK:
            key = "%s %d" % (self.command, status)
            STATE.stats[key] = STATE.stats.get(key, 0) + 1
            STATE.stats["total"] = STATE.stats.get("total", 0) + 1
            if STATE.log:
                with open(STATE.log, "a") as f:
                    label = getattr(self, "token_label", None)
                    f.write("%s %s %d%s\n" % (self.command, self.path.split("?")[0], status,
                                               " " + label if label else ""))

    # ----------------------------------------------------------------- input
    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 1 << 20:
            raise ValueError("body too large")
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def dispatch(self):
        try:
            body = self.read_body()
        except ValueError:
            self.fail(413, err(6007, "Malformed JSON in request body"))
            return
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if path.startswith("/__"):
            self.control(path, body)
            return
        if self.inject(path):
            return
        prefix = "/client/v4"
        if path.startswith(prefix):
            path = path[len(prefix):]
        who = self.authenticate()
        if who is None:
            return
        m_zones = re.fullmatch(r"/zones/?", path)
        m_recs = re.fullmatch(r"/zones/([^/]+)/dns_records/?", path)
        m_rec = re.fullmatch(r"/zones/([^/]+)/dns_records/([^/]+)/?", path)
        if m_zones and self.command == "GET":
            self.list_zones(who, query)
        elif m_recs and self.command in ("GET", "POST"):
            zone = self.zone_access(who, m_recs.group(1), self.command == "POST")
            if zone is None:
                return
            if self.command == "GET":
                self.list_records(zone, query)
            else:
                self.create_record(zone, body)
        elif m_rec and self.command in ("GET", "DELETE"):
            zone = self.zone_access(who, m_rec.group(1), self.command == "DELETE")
            if zone is None:
                return
            self.one_record(zone, m_rec.group(2))
        elif m_recs or m_rec or m_zones:
            self.fail(405, err(10405, "Method not allowed for this route"))
        else:
            self.fail(400, err(7003, "Could not route to %s, perhaps your object identifier is invalid?"
                               % path), err(7000, "No route for that URI"))

    # ------------------------------------------------------------- injection
    def inject(self, path):
        rule = None
        with LOCK:
            for r in STATE.rules:
                if r["count"] <= 0:
                    continue
                if r.get("method") and r["method"] != self.command:
                    continue
                if r.get("path") and r["path"] not in path:
                    continue
                r["count"] -= 1
                rule = dict(r)
                break
        if not rule:
            return False
        kind = str(rule["kind"])
        if kind == "429":
            self.send_json(429, {"success": False, "errors": [err(971, "Please wait and consider throttling your request speed")],
                                 "messages": [], "result": None},
                           {"Retry-After": str(rule.get("retry_after", 1))})
        elif kind in ("500", "503"):
            self.send_json(int(kind), {"success": False, "errors": [err(10001, "Internal server error")],
                                       "messages": [], "result": None})
        elif kind == "502":
            self.send_raw(502, b"<html><head><title>502 Bad Gateway</title></head><body>"
                               b"<center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center>"
                               b"</body></html>", "text/html")
        elif kind == "drop":
            self.note(0)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        elif kind == "malformed":
            self.send_raw(200, b'{"success": true, "errors": [], "result": [{"id": "', "application/json")
        elif kind == "oversized":
            blob = {"success": True, "errors": [], "messages": [{"code": 0, "message": "x" * (2 << 20)}],
                    "result": []}
            self.send_json(200, blob)
        elif kind == "html":
            self.send_raw(200, b"<html><body>captive portal</body></html>", "text/html")
        elif kind == "403":
            self.fail(403, err(10000, "Authentication error"))
        else:
            self.fail(500, err(10001, "unknown injected failure %s" % kind))
        return True

    def control(self, path, body):
        if path == "/__control" and self.command == "POST":
            try:
                req = json.loads(body or b"{}")
            except ValueError:
                self.send_json(400, {"ok": False, "error": "bad JSON"})
                return
            with LOCK:
                if req.get("clear"):
                    STATE.rules.clear()
                for r in req.get("inject", []):
                    STATE.rules.append({"kind": str(r["kind"]), "count": int(r.get("count", 1)),
                                        "method": r.get("method"), "path": r.get("path"),
                                        "retry_after": int(r.get("retry_after", 1))})
                rules = [dict(r) for r in STATE.rules if r["count"] > 0]
            self.send_json(200, {"ok": True, "rules": rules})
        elif path == "/__records" and self.command == "GET":
            with LOCK:
                out = [dict(r, zone_name=z.name) for z in STATE.zones for r in z.records.values()]
            self.send_json(200, out)
        elif path == "/__stats" and self.command == "GET":
            with LOCK:
                self.send_json(200, dict(STATE.stats))
        elif path == "/__reset" and self.command == "POST":
            with LOCK:
                for z in STATE.zones:
                    for r in list(z.records.values()):
                        nsupdate(z, ["update delete %s. TXT %s" % (r["name"], zone_file_text(txt_strings(r["content"])))])
                    z.records.clear()
                STATE.rules.clear()
            self.send_json(200, {"ok": True})
        else:
            self.send_json(404, {"ok": False})

    # ------------------------------------------------------------------ auth
    def authenticate(self):
        """Returns {"perms": set, "zones": set|None} or None after answering."""
        auth = self.headers.get("Authorization")
        email = self.headers.get("X-Auth-Email")
        key = self.headers.get("X-Auth-Key")
        if auth is not None:
            m = re.fullmatch(r"Bearer ([A-Za-z0-9_\-]{1,200})", auth.strip())
            if not m:
                self.fail(400, err(6003, "Invalid request headers", [err(6111, "Invalid format for Authorization header")]))
                return None
            t = STATE.tokens.get(m.group(1))
            if t is None:
                self.fail(403, err(9109, "Invalid access token"))
                return None
            self.token_label = t.get("label")
            return t
        if email is None and key is None:
            self.fail(400, err(6003, "Invalid request headers",
                               [err(6102, "No X-Auth-Email header"), err(6103, "Invalid format for X-Auth-Key header")]))
            return None
        if not email or not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
            self.fail(400, err(6003, "Invalid request headers", [err(6102, "Invalid format for X-Auth-Email header")]))
            return None
        if not key or not re.fullmatch(r"[0-9a-f]{37}", key):
            self.fail(400, err(6003, "Invalid request headers", [err(6103, "Invalid format for X-Auth-Key header")]))
            return None
        if STATE.keys.get(email) != key:
            self.fail(403, err(9103, "Unknown X-Auth-Key or X-Auth-Email"))
            return None
        return {"perms": {"zone:read", "dns:read", "dns:edit"}, "zones": None}

    def zone_access(self, who, zid, write):
        if not re.fullmatch(r"[0-9a-f]{32}", zid):
            self.fail(400, err(7003, "Could not route to /zones/%s/dns_records, perhaps your object identifier is invalid?" % zid),
                      err(7000, "No route for that URI"))
            return None
        zone = STATE.zone_by_id(zid)
        in_scope = zone is not None and (who["zones"] is None or zid in who["zones"])
        if zone is None:
            self.fail(400, err(1003, "Invalid or missing zone id."))
            return None
        need = "dns:edit" if write else None
        ok = in_scope and (("dns:edit" in who["perms"]) if write else
                           ("dns:read" in who["perms"] or "dns:edit" in who["perms"]))
        if not ok:
            self.fail(403, err(10000, "Authentication error"))
            return None
        del need
        return zone

    # ------------------------------------------------------------ pagination
    def paginate(self, items, query, default):
        def num(name, dflt, lo):
            v = query.get(name, [str(dflt)])[0]
            if not v.isdigit() or int(v) < lo:
                return None
            return int(v)
        page = num("page", 1, 1)
        per_page = num("per_page", default, 1)
        if page is None or per_page is None:
            self.fail(400, err(1004, "Invalid pagination parameters"))
            return None
        per_page = min(per_page, STATE.max_per_page)
        total = len(items)
        pages = max(1, (total + per_page - 1) // per_page)
        chunk = items[(page - 1) * per_page: page * per_page]
        return chunk, {"page": page, "per_page": per_page, "count": len(chunk),
                       "total_count": total, "total_pages": pages}

    # ----------------------------------------------------------------- zones
    def list_zones(self, who, query):
        if "zone:read" not in who["perms"]:
            self.fail(403, err(9109, "Unauthorized to access requested resource"))
            return
        name = query.get("name", [None])[0]
        status = query.get("status", [None])[0]
        with LOCK:
            zs = [z for z in STATE.zones if who["zones"] is None or z.id in who["zones"]]
            if name is not None:
                zs = [z for z in zs if z.name == name.lower().rstrip(".")]
            if status:
                zs = [z for z in zs if z.status == status]
            items = [z.public() for z in zs]
        res = self.paginate(items, query, STATE.zones_per_page)
        if res:
            self.envelope(200, res[0], result_info=res[1])

    # --------------------------------------------------------------- records
    @staticmethod
    def fqdn(zone, name):
        n = (name or "").strip().lower().rstrip(".")
        if n in ("@", ""):
            return zone.name
        if n == zone.name or n.endswith("." + zone.name):
            return n
        return n + "." + zone.name

    def list_records(self, zone, query):
        want_type = query.get("type", [None])[0]
        want_name = query.get("name", [None])[0]
        want_content = query.get("content", [None])[0]
        with LOCK:
            recs = list(zone.records.values())
        if want_type:
            recs = [r for r in recs if r["type"] == want_type.upper()]
        if want_name:
            full = self.fqdn(zone, want_name)
            recs = [r for r in recs if r["name"] == full]
        if want_content is not None:
            def same(r):
                if r["content"] == want_content:
                    return True
                try:
                    return txt_strings(r["content"]) == txt_strings(want_content)
                except ValueError:
                    return False
            recs = [r for r in recs if same(r)]
        recs.sort(key=lambda r: r["created_on"])
        res = self.paginate(recs, query, 100)
        if res:
            self.envelope(200, res[0], result_info=res[1])

    def create_record(self, zone, body):
        try:
            req = json.loads(body or b"")
            if not isinstance(req, dict):
                raise ValueError
        except ValueError:
            self.fail(400, err(9207, "Request body is invalid."))
            return
        rtype = str(req.get("type", "")).upper()
        name = req.get("name")
        content = req.get("content")
        ttl = req.get("ttl", 1)
        if rtype != "TXT":
            self.fail(400, err(1004, "DNS Validation Error", [err(9000, "this fake supports TXT records only")]))
            return
        if not isinstance(name, str) or not name or len(name) > 255:
            self.fail(400, err(1004, "DNS Validation Error", [err(9005, "Record name is invalid")]))
            return
        full = self.fqdn(zone, name)
        if not (full == zone.name or full.endswith("." + zone.name)) or not re.fullmatch(r"[a-z0-9_*.\-]+", full):
            self.fail(400, err(1004, "DNS Validation Error", [err(9005, "Record name is invalid")]))
            return
        if not isinstance(content, str) or len(content) > 2048:
            self.fail(400, err(1004, "DNS Validation Error", [err(9009, "Content for TXT record is invalid")]))
            return
        try:
            strings = txt_strings(content)
        except ValueError:
            self.fail(400, err(1004, "DNS Validation Error", [err(9009, "Content for TXT record is invalid")]))
            return
        if not isinstance(ttl, int) or isinstance(ttl, bool) or not (ttl == 1 or 60 <= ttl <= 86400):
            self.fail(400, err(1004, "DNS Validation Error",
                               [err(9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.")]))
            return
        with LOCK:
            for r in zone.records.values():
                if r["type"] == "TXT" and r["name"] == full and txt_strings(r["content"]) == strings:
                    self.fail(400, err(81058, "An identical record already exists."))
                    return
            problem = nsupdate(zone, ["update add %s. %d TXT %s" % (full, 300 if ttl == 1 else ttl,
                                                                     zone_file_text(strings))])
            if problem:
                sys.stderr.write("cloudflare fake: %s\n" % problem)
                self.fail(500, err(10001, "Internal server error (DNS write-through failed)"))
                return
            stamp = now_iso()
            rec = {"id": uuid.uuid4().hex, "zone_id": zone.id, "zone_name": zone.name, "name": full,
                   "type": "TXT", "content": content, "proxiable": False, "proxied": False,
                   "ttl": ttl, "locked": False, "settings": {}, "meta": {"auto_added": False, "source": "primary"},
                   "comment": req.get("comment"), "tags": req.get("tags", []),
                   "created_on": stamp, "modified_on": stamp}
            zone.records[rec["id"]] = rec
        self.envelope(200, rec)

    def one_record(self, zone, rid):
        with LOCK:
            rec = zone.records.get(rid)
            if rec is None:
                self.fail(404, err(81044, "Record does not exist."))
                return
            if self.command == "GET":
                self.envelope(200, rec)
                return
            problem = nsupdate(zone, ["update delete %s. TXT %s" % (rec["name"], zone_file_text(txt_strings(rec["content"])))])
            if problem:
                sys.stderr.write("cloudflare fake: %s\n" % problem)
                self.fail(500, err(10001, "Internal server error (DNS write-through failed)"))
                return
            del zone.records[rid]
        self.envelope(200, {"id": rid})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, tls_ctx):
        self.tls_ctx = tls_ctx
        family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.address_family = family
        super().__init__(addr, handler)

    def finish_request(self, request, client_address):
        # Runs in the request's own thread: a slow TLS handshake blocks no one else.
        if self.tls_ctx:
            request.settimeout(10)
            try:
                request = self.tls_ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
            request.settimeout(None)
        try:
            super().finish_request(request, client_address)
        finally:
            if request is not None and self.tls_ctx:
                try:
                    request.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        pass  # dropped connections (injected or by clients) are expected


def parse_args(argv):
    ap = argparse.ArgumentParser(description="fake Cloudflare API v4 for tests")
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--zone", action="append", default=[])
    ap.add_argument("--dns-server")
    ap.add_argument("--tsig-keyfile")
    ap.add_argument("--tokens-file")
    ap.add_argument("--global-key-file")
    ap.add_argument("--zones-per-page", type=int, default=20)
    ap.add_argument("--max-per-page", type=int, default=50)
    ap.add_argument("--inject", action="append", default=[])
    ap.add_argument("--log")
    return ap.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    if not (a.listen.startswith("127.") or a.listen in ("::1", "localhost")):
        sys.exit("cloudflare fake: listens on loopback addresses only")
    STATE.zones_per_page = a.zones_per_page
    STATE.max_per_page = max(1, a.max_per_page)
    STATE.log = a.log
    for spec in a.zone:
        head, *opts = spec.split(",")
        name, _, zid = head.partition("=")
        kw = dict(o.split("=", 1) for o in opts)
        if not re.fullmatch(r"[0-9a-f]{32}", zid):
            sys.exit("cloudflare fake: zone id of %s must be 32 hex digits" % name)
        STATE.zones.append(Zone(name, zid, kw.get("status", "active"),
                                kw.get("server", a.dns_server), kw.get("keyfile", a.tsig_keyfile)))
    if a.tokens_file:
        with open(a.tokens_file) as f:
            for line in f:
                parts = line.split()
                if not parts or parts[0].startswith("#"):
                    continue
                perms = parts[1] if len(parts) > 1 else "all"
                perms = {"zone:read", "dns:read", "dns:edit"} if perms == "all" else set(perms.split(","))
                zones = None if len(parts) < 3 or parts[2] == "*" else set(parts[2].split(","))
                STATE.tokens[parts[0]] = {"perms": perms, "zones": zones,
                                          "label": parts[3] if len(parts) > 3 else None}
    if a.global_key_file:
        with open(a.global_key_file) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    STATE.keys[parts[0]] = parts[1]
    for spec in a.inject:
        p = spec.split(":", 3)
        STATE.rules.append({"kind": p[0], "count": int(p[1]) if len(p) > 1 else 1,
                            "method": p[2] if len(p) > 2 and p[2] else None,
                            "path": p[3] if len(p) > 3 and p[3] else None, "retry_after": 1})
    ctx = None
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
    srv = Server((a.listen, a.port), Handler, ctx)
    port = srv.server_address[1]
    if a.ready_file:
        tmp = a.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.ready_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
