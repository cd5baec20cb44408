#!/usr/bin/env python3
"""An HTTPS server that speaks only HTTP/1.1, for the client's tests.

Prints its port on stdout, then serves until killed.  It counts TLS
connections; GET /count answers {"connections": N, "requests": M}.
Paths (see do_request): /cl/N, /chunked/N, /close, /headers, /date, /eof,
/big, /bigchunked, /hang, /echo, /head, /204, /continue, /longline,
/manyheaders, /drop-next, /close-after.
"""
import argparse
import email.utils
import json
import socket
import ssl
import threading
import time

lock = threading.Lock()
stats = {"connections": 0, "requests": 0}


def read_head(conn, buf):
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, buf
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def send(conn, status, headers, body=b"", reason="OK"):
    out = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for k, v in headers:
        out += "%s: %s\r\n" % (k, v)
    conn.sendall(out.encode("latin-1") + b"\r\n" + body)


def chunked(conn, body, sizes, headers=()):
    send(conn, 200, [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")] + list(headers))
    i = k = 0
    while i < len(body):
        n = sizes[k % len(sizes)]
        k += 1
        part = body[i:i + n]
        i += n
        ext = ';name=value;x="q"' if k % 2 else ""
        conn.sendall(b"%x%s\r\n" % (len(part), ext.encode()) + part + b"\r\n")
    conn.sendall(b"0\r\nX-Trailer: yes\r\n\r\n")


def pattern(n):
    return bytes((ord("a") + i % 26) for i in range(n))


def do_request(conn, method, path, hdrs, body, state):
    """Answer one request; returns False when the connection must end."""
    with lock:
        stats["requests"] += 1
    if path == "/count":
        with lock:
            b = json.dumps(stats).encode()
        send(conn, 200, [("Content-Type", "application/json"), ("Content-Length", len(b))], b)
    elif path.startswith("/cl/"):
        b = pattern(int(path[4:]))
        send(conn, 200, [("Content-Length", len(b))], b)
    elif path.startswith("/chunked/"):
        chunked(conn, pattern(int(path[9:])), [1, 7, 1000, 3, 4096, 65536])
    elif path == "/close":
        b = b"bye"
        send(conn, 200, [("Content-Length", len(b)), ("Connection", "close")], b)
        return False
    elif path == "/headers":
        b = b'{"type":"x"}'
        send(conn, 201, [("Content-Length", len(b)), ("Location", "https://localhost/acct/1"),
                         ("Replay-Nonce", "nonce-123"), ("content-type", "application/problem+json"),
                         ("Retry-After", "7")], b)
    elif path == "/date":
        when = email.utils.formatdate(time.time() + 120, usegmt=True)
        send(conn, 200, [("Content-Length", 0), ("Retry-After", when)])
    elif path == "/eof":
        send(conn, 200, [("Connection", "close")], b"until the end")
        return False
    elif path == "/big":
        n = (4 << 20) + 1
        send(conn, 200, [("Content-Length", n)], pattern(1000))
        return False
    elif path == "/bigchunked":
        try:
            chunked(conn, pattern((4 << 20) + 100), [65536])
        except OSError:
            pass
        return False
    elif path == "/hang":
        try:
            conn.settimeout(30)
            conn.recv(1)
        except OSError:
            pass
        return False
    elif path == "/echo":
        b = json.dumps({"method": method, "path": path, "headers": hdrs,
                        "body": body.decode("latin-1")}).encode()
        send(conn, 200, [("Content-Type", "application/json"), ("Content-Length", len(b))], b)
    elif path == "/head":
        send(conn, 200, [("Content-Length", 100)], b"" if method == "HEAD" else pattern(100))
    elif path == "/204":
        send(conn, 204, [])
    elif path == "/continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n")
        send(conn, 200, [("Content-Length", 2), ("Location", "/final")], b"ok")
    elif path == "/longline":
        send(conn, 200, [("Content-Length", 0), ("X-Long", "x" * 9000)])
    elif path == "/manyheaders":
        send(conn, 200, [("Content-Length", 0)] + [("X-H%d" % i, "y" * 1000) for i in range(80)])
    elif path == "/drop-next":
        state["drop"] = True
        send(conn, 200, [("Content-Length", 2)], b"ok")
    elif path == "/close-after":
        send(conn, 200, [("Content-Length", 2)], b"ok")
        return False
    else:
        send(conn, 404, [("Content-Length", 0)], reason="Not Found")
    return True


def serve(raw, ctx):
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError):
        raw.close()
        return
    with lock:
        stats["connections"] += 1
    buf = b""
    state = {}
    try:
        while True:
            head, buf = read_head(conn, buf)
            if head is None:
                break
            lines = head.split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            hdrs = {}
            for ln in lines[1:]:
                k, v = ln.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
            n = int(hdrs.get("content-length", "0"))
            while len(buf) < n:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            body, buf = buf[:n], buf[n:]
            if state.get("drop"):
                break  # read the request, close without an answer
            if not do_request(conn, method, path, hdrs, body, state):
                break
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--no-alpn", action="store_true")
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if not a.no_alpn:
        ctx.set_alpn_protocols(["http/1.1"])
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, 0))
    ls.listen(64)
    print(ls.getsockname()[1], flush=True)
    while True:
        raw, _ = ls.accept()
        threading.Thread(target=serve, args=(raw, ctx), daemon=True).start()


if __name__ == "__main__":
    main()
