#!/usr/bin/env python3
"""A faulty network and CA between acme-dns and Pebble, for the retry tests.

It passes requests to the real Pebble behind it as the ARI front does (ari_front.py: same
proxying, Host kept so that Pebble names its URLs after this front), but a given share of them
(--rate PERCENT) meets a fault, one of --faults (comma-separated):

  drop    the connection is closed without an answer; Pebble never sees the request
  lose    Pebble acts on the request, then the connection is closed: the answer is lost (when
          Pebble refuses the request instead, a badNonce say, its answer goes through, logged as
          "lose-refused", and with --once the next request for the path meets the fault)
  delay   the request waits 0.05 .. --delay-max seconds before it goes to Pebble
  5xx     an answer of our own, and Pebble never sees the request: 500 with a problem
          document (serverInternal), 502 with an HTML page (a load balancer's), or 503 with a
          problem document and Retry-After: 1

--dump DIR writes every answer passed on into DIR (N-METHOD-PATH.body and .headers): the real
answers of Pebble that the fuzz targets' seed corpora are made of (tests/fuzz/make_seeds_bed.sh).
--paths REGEX limits the faults to the requests whose path it matches (Python re.search), and
--once to the first request for each path.
The faults come from a random generator seeded with --seed and drawn in the order the requests
arrive, so a run is reproducible as far as that order is.  Every request is logged to --log as
"N METHOD PATH FAULT STATUS" (FAULT "-" for none; STATUS 0 when no answer was sent).  Options
as ari_front.py's: --listen, --port, --ready-file, --tls-cert/--tls-key, --upstream,
--upstream-ca.
"""

import json
import os
import random
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ari_front  # noqa: E402

KINDS = ("drop", "lose", "delay", "5xx")


class Faults:
    """The seeded sequence of faults: every request draws the same four numbers."""

    def __init__(self, rate, kinds, seed, delay_max):
        self.rate, self.kinds, self.delay_max = rate, kinds, delay_max
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.n = 0

    def draw(self):
        with self.lock:
            self.n += 1
            roll, pick, delay, sub = (self.rng.random(), self.rng.randrange(len(self.kinds)),
                                      self.rng.uniform(0.05, self.delay_max), self.rng.randrange(3))
            return self.n, (self.kinds[pick] if roll * 100 < self.rate else "-"), delay, sub


class FaultFront(ari_front.Front):
    fault = ("?", "-")

    def record(self, status):
        with self.server.lock, open(self.server.args.log, "a") as f:
            f.write("%d %s %s %s %d\n" % (self.fault[0], self.command, self.path, self.fault[1], status))

    def reply(self, status, headers, body):
        if self.server.args.dump:
            name = "%04d-%s-%s" % (self.fault[0] if isinstance(self.fault[0], int) else 0, self.command,
                                   "".join(c if c.isalnum() else "_" for c in self.path.split("/")[1])[:40])
            with open(os.path.join(self.server.args.dump, name + ".body"), "wb") as f:
                f.write(body)
            with open(os.path.join(self.server.args.dump, name + ".headers"), "w") as f:
                f.write("".join("%s: %s\n" % (k, v) for k, v in [("Status", status)] + list(headers)))
        super().reply(status, headers, body)

    def server_error(self, sub):
        if sub == 0:
            doc = {"type": "urn:ietf:params:acme:error:serverInternal", "detail": "fault front: internal error"}
            return 500, [("Content-Type", "application/problem+json")], json.dumps(doc).encode()
        if sub == 1:
            return 502, [("Content-Type", "text/html")], b"<html><body>502 Bad Gateway</body></html>\n"
        doc = {"type": "urn:ietf:params:acme:error:serverInternal", "detail": "fault front: try again later"}
        return 503, [("Content-Type", "application/problem+json"), ("Retry-After", "1")], json.dumps(doc).encode()

    def lost(self):
        self.record(0)
        self.close_connection = True

    def spent(self):
        with self.server.lock:
            self.server.seen.add(self.path)

    def faulty(self):
        n, kind, delay, sub = self.server.faults.draw()
        if self.server.paths and not self.server.paths.search(self.path):
            kind = "-"
        with self.server.lock:
            if self.server.once and self.path in self.server.seen:
                kind = "-"
        self.fault = (n, kind)
        body = self.read_body()
        if kind == "drop":
            self.spent()
            return self.lost()
        if kind == "5xx":
            self.spent()
            return self.reply(*self.server_error(sub))
        if kind == "delay":
            time.sleep(delay)
        answer = self.exchange(body)
        if kind == "lose" and answer[0] < 400:
            self.spent()
            return self.lost()
        if kind == "lose":
            self.fault = (n, "lose-refused")
        else:
            self.spent()
        self.reply(*answer)

    def do_GET(self):
        self.faulty()

    def do_HEAD(self):
        self.faulty()

    def do_POST(self):
        self.faulty()


def main():
    p = ari_front.arguments(__doc__.split("\n")[0])
    p.add_argument("--rate", type=float, default=20.0, help="percent of the requests that meet a fault")
    p.add_argument("--faults", default=",".join(KINDS))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--delay-max", type=float, default=1.0)
    p.add_argument("--paths", default="", help="only requests whose path matches this regular expression")
    p.add_argument("--once", action="store_true", help="only the first request for each path")
    p.add_argument("--dump", default="", help="write every answer passed on into this folder")
    a = p.parse_args()
    kinds = tuple(k for k in a.faults.split(",") if k)
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        p.error("--faults: give some of %s (not %s)" % (",".join(KINDS), ",".join(bad)))
    a.windows = a.replaces_log = None
    paths = re.compile(a.paths) if a.paths else None
    ari_front.serve(a, FaultFront, faults=Faults(a.rate, kinds, a.seed, a.delay_max), paths=paths, once=a.once,
                    seen=set())
    return 0


if __name__ == "__main__":
    sys.exit(main())
