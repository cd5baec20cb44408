#!/usr/bin/env python3
"""A small HTTP CONNECT proxy for the client's tests, which also speaks
SOCKS5 (RFC 1928, CONNECT without authentication) on the same port.

Prints its port on stdout.  Each CONNECT appends a line to --log:
"CONNECT host:port auth=yes|no", or "SOCKS5 host:port" for a SOCKS5 one.
With --auth user:password an HTTP request without those credentials gets
407.  Other methods get 405.
"""
import argparse
import base64
import select
import socket
import threading


def relay(a, b):
    socks = [a, b]
    try:
        while True:
            r, _, _ = select.select(socks, [], [], 60)
            if not r:
                return
            for s in r:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        data = c.recv(n - len(buf))
        if not data:
            raise OSError("closed")
        buf += data
    return buf


def socks5(c, args):
    _, nmethods = recv_exact(c, 2)
    if 0 not in recv_exact(c, nmethods):
        c.sendall(b"\x05\xff")
        c.close()
        return
    c.sendall(b"\x05\x00")
    ver, cmd, _, atyp = recv_exact(c, 4)
    if atyp == 1:
        host = socket.inet_ntoa(recv_exact(c, 4))
    elif atyp == 3:
        host = recv_exact(c, recv_exact(c, 1)[0]).decode()
    elif atyp == 4:
        host = socket.inet_ntop(socket.AF_INET6, recv_exact(c, 16))
    else:
        c.close()
        return
    port = int.from_bytes(recv_exact(c, 2), "big")
    with open(args.log, "a") as f:
        f.write("SOCKS5 %s:%d\n" % (host, port))
    if ver != 5 or cmd != 1:
        c.sendall(b"\x05\x07\x00\x01" + bytes(6))
        c.close()
        return
    try:
        up = socket.create_connection((host, port), timeout=10)
    except OSError:
        c.sendall(b"\x05\x05\x00\x01" + bytes(6))
        c.close()
        return
    c.sendall(b"\x05\x00\x00\x01" + bytes(6))
    relay(c, up)


def handle(c, args):
    try:
        first = c.recv(1, socket.MSG_PEEK)
        if first == b"\x05":
            socks5(c, args)
            return
    except OSError:
        c.close()
        return
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            data = c.recv(4096)
            if not data:
                c.close()
                return
            buf += data
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        hdrs = {}
        for ln in lines[1:]:
            k, v = ln.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        if method != "CONNECT":
            c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            c.close()
            return
        auth = hdrs.get("proxy-authorization")
        with open(args.log, "a") as f:
            f.write("CONNECT %s auth=%s\n" % (target, "yes" if auth else "no"))
        if args.auth and auth != "Basic " + base64.b64encode(args.auth.encode()).decode():
            # As real proxies do, the connection stays open for the next try.
            c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                      b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            continue
        break
    host, port = target.rsplit(":", 1)
    try:
        up = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
    except OSError:
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        c.close()
        return
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    relay(c, up)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--auth")
    args = ap.parse_args()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    print(ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c, args), daemon=True).start()


if __name__ == "__main__":
    main()
