#!/usr/bin/env python3
"""A stand-in for a CA with ACME Renewal Information (ARI, RFC 9773), for the
acme-dns renewal tests.

Debian 12's Pebble (2.4) does not offer ARI: its directory has no
`renewalInfo`.  This small HTTPS front stands in for a CA that does.  It
passes every request through to the real Pebble behind it, unchanged (the
Host header included, so Pebble names its own URLs after the front and every
later request comes through here too), and adds only what ARI needs:

  - GET of the directory: the answer gains "renewalInfo": "BASE/renewal-info";
  - GET /renewal-info/CERTID: a RenewalInfo object whose suggested window the
    test controls (--windows FILE, read on every request):
        {"default": {"start": RFC3339, "end": RFC3339},
         "ids": {"CERTID": {"start": ..., "end": ...}},
         "retry_after": SECONDS, "explanation": URL}
    an absent window (no default, id not listed) is a 404;
  - POST /order-plz: the "replaces" member of the JWS payload, when present,
    is written to --replaces-log (one line each) before the order is passed
    on (Pebble 2.4 ignores the member);

and, standing in for certificate profiles (Pebble 2.4 has none either):

  - GET of the directory: "meta" gains "profiles" when --profiles FILE (read
    on every request) holds a non-empty JSON object {"NAME": "description"};
  - POST /order-plz: the "profile" member of each new order, or "-" when it
    has none, is written to --profiles-log (one line each).

Every request is logged to --log as "METHOD PATH STATUS".  Options: --listen
ADDR, --port N (0: any free one), --ready-file FILE (the port, once
listening), --tls-cert/--tls-key, --upstream https://ADDR:PORT, --upstream-ca
FILE (Pebble's HTTPS CA).
"""

import argparse
import base64
import http.client
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
       "content-length"}


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Front(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    local = threading.local()

    def log_message(self, fmt, *args):  # quiet: --log has what matters
        pass

    def record(self, status):
        with self.server.lock, open(self.server.args.log, "a") as f:
            f.write("%s %s %d\n" % (self.command, self.path, status))

    def upstream(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            a = self.server.args
            c = http.client.HTTPSConnection(a.up_host, a.up_port, context=self.server.up_ctx, timeout=30)
            self.local.conn = c
        return c

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.record(status)

    def renewal_info(self):
        cert_id = self.path[len("/renewal-info/"):]
        try:
            with open(self.server.args.windows) as f:
                ctl = json.load(f)
        except (OSError, ValueError):
            ctl = {}
        win = ctl.get("ids", {}).get(cert_id) or ctl.get("default")
        if "." not in cert_id or not win:
            body = json.dumps({"type": "urn:ietf:params:acme:error:malformed",
                               "detail": "no renewal information for %s" % cert_id}).encode()
            return self.reply(404, [("Content-Type", "application/problem+json")], body)
        doc = {"suggestedWindow": {"start": win["start"], "end": win["end"]}}
        if ctl.get("explanation"):
            doc["explanationURL"] = ctl["explanation"]
        headers = [("Content-Type", "application/json"), ("Retry-After", str(ctl.get("retry_after", 21600)))]
        self.reply(200, headers, json.dumps(doc).encode())

    def note_order(self, body):
        try:
            payload = json.loads(b64url_decode(json.loads(body)["payload"]))
        except (ValueError, KeyError, TypeError):
            return
        if not isinstance(payload, dict):
            return
        a = self.server.args
        if "replaces" in payload and a.replaces_log:
            with self.server.lock, open(a.replaces_log, "a") as f:
                f.write("%s\n" % payload["replaces"])
        if getattr(a, "profiles_log", None):
            with self.server.lock, open(a.profiles_log, "a") as f:
                f.write("%s\n" % payload.get("profile", "-"))

    def profiles(self):
        path = getattr(self.server.args, "profiles", None)
        if not path:
            return None
        try:
            with open(path) as f:
                p = json.load(f)
        except (OSError, ValueError):
            return None
        return p if isinstance(p, dict) and p else None

    def exchange(self, body):
        """Pass this request (BODY: its body or None) to Pebble: (status, headers, data)."""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        for attempt in (1, 2):
            c = self.upstream()
            try:
                c.request(self.command, self.path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, OSError):
                c.close()
                self.local.conn = None
                if attempt == 2:
                    return 502, [("Content-Type", "text/plain")], b"Pebble did not answer\n"
        out = [(k, v) for k, v in r.getheaders() if k.lower() not in HOP]
        if self.command == "GET" and self.path == "/dir" and r.status == 200 and self.server.args.windows:
            d = json.loads(data)
            d["renewalInfo"] = "https://%s/renewal-info" % self.headers["Host"]
            profiles = self.profiles()
            if profiles:
                d.setdefault("meta", {})["profiles"] = profiles
            data = json.dumps(d, indent=2).encode()
        return r.status, out, data

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else None

    def forward(self):
        body = self.read_body()
        if self.command == "POST" and self.path == "/order-plz" and body:
            self.note_order(body)
        self.reply(*self.exchange(body))

    def do_GET(self):
        if self.path.startswith("/renewal-info/") and self.server.args.windows:
            return self.renewal_info()
        self.forward()

    def do_HEAD(self):
        self.forward()

    def do_POST(self):
        self.forward()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(a, handler, **extra):
    """Serve HANDLER over HTTPS as the arguments A say (listen, port, ready_file, tls_cert, tls_key,
    upstream, upstream_ca, log; windows and replaces_log may be None: no ARI) until interrupted.
    EXTRA become attributes of the server, which the handler reaches as self.server."""
    hostport = a.upstream.split("://", 1)[1].rstrip("/")
    a.up_host, a.up_port = hostport.rsplit(":", 1)[0], int(hostport.rsplit(":", 1)[1])
    srv = Server((a.listen, a.port), handler)
    srv.args = a
    srv.lock = threading.Lock()
    srv.up_ctx = ssl.create_default_context(cafile=a.upstream_ca)
    for k, v in extra.items():
        setattr(srv, k, v)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.tls_cert, a.tls_key)
    ctx.set_alpn_protocols(["http/1.1"])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(a.ready_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(a.ready_file + ".tmp", a.ready_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


def arguments(description):
    """The options every front takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--ready-file", required=True)
    p.add_argument("--tls-cert", required=True)
    p.add_argument("--tls-key", required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--upstream-ca", required=True)
    p.add_argument("--log", required=True)
    return p


def main():
    p = arguments(__doc__.split("\n")[0])
    p.add_argument("--windows", required=True)
    p.add_argument("--replaces-log", required=True)
    p.add_argument("--profiles", help="JSON object NAME: description, the directory's meta.profiles")
    p.add_argument("--profiles-log", help="the profile of each new order, one a line ('-': none)")
    serve(p.parse_args(), Front)
    return 0


if __name__ == "__main__":
    sys.exit(main())
