#!/usr/bin/python3
"""A hostile CA at the HTTP level, for the HTTPS client's tests (HTTP/1.1 by
hand, HTTP/2 through Debian's python3-h2, hence /usr/bin/python3).

  hostile_https.py --cert FILE --key FILE [--addr 127.0.0.1]

Prints two ports on one line, "H1PORT H2PORT": the first offers HTTP/1.1 only
(ALPN), the second HTTP/2 only.  Paths:
  HTTP/1.1: /stream    200 without a length, bytes without end
            /chunkext  chunked, endless chunks of one byte with an 8 KiB extension
            /trickle   Content-Length 1000, one byte a second
            /huge      Content-Length of 10 GB, then bytes without end
            /hang      reads the request, never answers
            /500       HTTP 500 with an HTML body
            /drop      Content-Length 1000, 100 bytes, then the connection closes
            /badjson   200 application/json that is not JSON
            /bighead   a 1 MB header line
  HTTP/2:   /stream    endless DATA frames of one byte and 255 bytes of padding
            /hang      reads the request, never answers
Runs until killed; each connection in its own thread.
"""
import argparse
import select
import socket
import ssl
import threading
import time

import h2.config
import h2.connection
import h2.events


def send_head(conn, status, headers, reason="OK"):
    out = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for k, v in headers:
        out += "%s: %s\r\n" % (k, v)
    conn.sendall(out.encode("latin-1") + b"\r\n")


def h1(conn):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = conn.recv(65536)
        if not d:
            return
        buf += d
    path = buf.split(b" ", 2)[1].decode()
    if path == "/stream":
        send_head(conn, 200, [("Content-Type", "application/json"), ("Connection", "close")])
        block = b"x" * 16384
        while True:
            conn.sendall(block)
    elif path == "/chunkext":
        send_head(conn, 200, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
        chunk = b"1;ext=" + b"e" * 8192 + b"\r\nx\r\n"
        while True:
            conn.sendall(chunk)
    elif path == "/trickle":
        send_head(conn, 200, [("Content-Type", "application/json"), ("Content-Length", 1000)])
        while True:
            conn.sendall(b" ")
            time.sleep(1)
    elif path == "/huge":
        send_head(conn, 200, [("Content-Type", "application/json"), ("Content-Length", 10 << 30)])
        block = b"x" * 16384
        while True:
            conn.sendall(block)
    elif path == "/hang":
        time.sleep(3600)
    elif path == "/500":
        body = b"<html><body>Internal Server Error</body></html>"
        send_head(conn, 500, [("Content-Type", "text/html"), ("Content-Length", len(body))], "Internal Server Error")
        conn.sendall(body)
    elif path == "/drop":
        send_head(conn, 200, [("Content-Type", "application/json"), ("Content-Length", 1000)])
        conn.sendall(b"{" + b" " * 99)
    elif path == "/badjson":
        body = b'{"newNonce": "https://127.0.0.1/nonce", "newAccount": '
        send_head(conn, 200, [("Content-Type", "application/json"), ("Content-Length", len(body))])
        conn.sendall(body)
    elif path == "/bighead":
        send_head(conn, 200, [("Content-Type", "application/json"), ("X-Big", "y" * (1 << 20)),
                              ("Content-Length", 2)])
        conn.sendall(b"{}")
    else:
        send_head(conn, 404, [("Content-Length", 0)], "Not Found")


def h2serve(conn):
    c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    c.initiate_connection()
    conn.sendall(c.data_to_send())
    streams = []
    while True:
        if streams:  # stream while the peer's window allows, reading its frames in between
            r, _, _ = select.select([conn], [], [], 0)
        else:
            r = [conn]
        if r:
            d = conn.recv(65536)
            if not d:
                return
            for ev in c.receive_data(d):
                if isinstance(ev, h2.events.RequestReceived):
                    path = dict(ev.headers).get(b":path", b"").decode()
                    if path == "/stream":
                        c.send_headers(ev.stream_id, [(":status", "200"), ("content-type", "application/json")])
                        streams.append(ev.stream_id)
                    elif path != "/hang":
                        c.send_headers(ev.stream_id, [(":status", "404")], end_stream=True)
        for sid in streams:
            if c.local_flow_control_window(sid) >= 257:
                c.send_data(sid, b"x", pad_length=255)
            else:
                time.sleep(0.01)
        out = c.data_to_send()
        if out:
            conn.sendall(out)


def serve(raw, ctx, fn):
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
        fn(conn)
    except (OSError, ssl.SSLError, h2.exceptions.H2Error):
        pass
    finally:
        raw.close()


def listener(addr, cert, key, alpn, fn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols([alpn])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, 0))
    ls.listen(64)

    def loop():
        while True:
            raw, _ = ls.accept()
            threading.Thread(target=serve, args=(raw, ctx, fn), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return ls.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--addr", default="127.0.0.1")
    a = ap.parse_args()
    p1 = listener(a.addr, a.cert, a.key, "http/1.1", h1)
    p2 = listener(a.addr, a.cert, a.key, "h2", h2serve)
    print(p1, p2, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
