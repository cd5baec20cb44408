#!/usr/bin/env bash
# Write the seed corpora of the targets that read what a CA sends and what a run leaves in the
# state folder (corpus/acme, journal, settings, ari, cert_info) from the real thing: a test bed
# (tests/integration/bed.sh, BED_ID 249) issues through the fault front, which keeps every answer
# of Pebble (once without faults, once with the first challenge and finalize answers lost, for
# the CA's refusals); a run killed after present leaves its journal; issue and renew through the
# ARI front write settings.json and state.json; the certificates, as DER, seed cert_info.  The
# corpora are in the tree: run this only to make them again, as root, with a built acme-dns
# (ACME_DNS, default build/bin/acme-dns).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$here/../.." && pwd)
export ACME_DNS=${ACME_DNS:-$SRC/build/bin/acme-dns} BED_ID=${BED_ID:-249} PEBBLE_WFE_NONCEREJECT=30
# shellcheck source=../integration/bed.sh
. "$SRC/tests/integration/bed.sh"
# shellcheck source=../fakes/fault_front.sh
. "$SRC/tests/fakes/fault_front.sh"
# shellcheck source=../fakes/ari_front.sh
. "$SRC/tests/fakes/ari_front.sh"
D=$(bed_tmpdir)
bed_up "$D"
export FAULT_DUMP=$D/dump
mkdir -p "$FAULT_DUMP"
rfc2136=(--provider rfc2136 --provider-opt "server=$DNS_SERVER" --provider-opt "tsig-keyfile=$TSIG_KEYFILE")

fault_front_up "$D" 0 1
bed_acme "$D" --server "$FAULT_DIR_URL" "${rfc2136[@]}" -d example.test -d '*.example.test' \
    --deploy-hook "/bin/true deployed" >"$D/issue.log" 2>&1
fault_front_down "$D"
fault_front_up "$D" 100 1 lose '^/(chalZ|finalize-order)/' once
bed_acme "$D" --server "$FAULT_DIR_URL" "${rfc2136[@]}" -d www.example.test >"$D/lost.log" 2>&1
fault_front_down "$D"
(export ACME_DNS_TEST_KILL_AT=present; bed_acme "$D" "${rfc2136[@]}" -d sub.example.test -d '*.sub.example.test') \
    >"$D/kill.log" 2>&1 || true
mkdir -p "$D/journals"
cp "$D/state/journals/"*.json "$D/journals/"
bed_acme "$D" "${rfc2136[@]}" -d sub.example.test -d '*.sub.example.test' >"$D/recover.log" 2>&1
ari_front_up "$D"
ari_window 2026-02-01T00:00:00Z 2026-02-03T00:00:00Z 21600
bed_acme "$D" --server "$ARI_DIR_URL" "${rfc2136[@]}" -d ari.example.test --dns-resolver "$DNS_SERVER" >"$D/ari.log" 2>&1
bed_acme "$D" --server "$ARI_DIR_URL" renew >"$D/renew.log" 2>&1
id=$(sed -n 's/.*"cert_id": *"\([^"]*\)".*/\1/p' "$D/state/certs/ari.example.test/state.json")
printf '{"default": {"start": "2026-02-01T00:00:00Z", "end": "2026-02-03T00:00:00Z"}, "explanation": "https://ca.test/why", "retry_after": 3600}\n' \
    >"$ARI_WINDOWS"
curl -sf --cacert "$ACME_CA_BUNDLE" "${ARI_DIR_URL%/dir}/renewal-info/$id" >"$D/ari-reply.json"

python3 - "$D" "$here/corpus" <<'PY'
import glob, json, os, subprocess, sys
d, out = sys.argv[1], sys.argv[2]
def put(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
seen = {}
for body in sorted(glob.glob(os.path.join(d, "dump", "*.body"))):
    data = open(body, "rb").read()
    head = open(body[:-5] + ".headers").read()
    try:
        o = json.loads(data)
    except ValueError:
        o = None
    if isinstance(o, dict) and "newNonce" in o:
        kind = "directory"
    elif isinstance(o, dict) and "type" in o and "detail" in o:
        kind = "problem-" + o["type"].rsplit(":", 1)[-1]
    elif isinstance(o, dict) and "identifiers" in o:
        kind = "order-" + o.get("status", "")
    elif isinstance(o, dict) and "challenges" in o:
        kind = "authz-" + o.get("status", "") + ("-wildcard" if o.get("wildcard") else "")
    elif isinstance(o, dict) and "token" in o:
        kind = "challenge-" + o.get("status", "")
    elif isinstance(o, dict) and "key" in o:
        kind = "account"
    else:
        kind = None
    if kind and kind not in seen:
        seen[kind] = True
        put("acme", kind, data)
    for line in head.splitlines():
        k, _, v = line.partition(": ")
        if k.lower() in ("replay-nonce", "location", "link", "retry-after") and ("h-" + k.lower()) not in seen:
            seen["h-" + k.lower()] = True
            put("acme", "header-" + k.lower(), v)
for j in sorted(glob.glob(os.path.join(d, "journals", "*.json"))):
    data = open(j, "rb").read()
    put("journal", "journal", data)
    o = json.loads(data)
    put("journal", "legacy", json.dumps({"provider": o["provider"]["name"], "records": o["records"]}))
for name in ("example.test", "ari.example.test"):
    c = os.path.join(d, "state", "certs", name)
    put("settings", "settings-" + name, open(os.path.join(c, "settings.json"), "rb").read())
    put("settings", "state-" + name, open(os.path.join(c, "state.json"), "rb").read())
    der = subprocess.run(["openssl", "x509", "-in", os.path.join(c, "cert.pem"), "-outform", "DER"],
                         check=True, capture_output=True).stdout
    put("cert_info", "leaf-" + name, der)
c = os.path.join(d, "state", "certs", "example.test")
put("cert_info", "issuer", subprocess.run(["openssl", "x509", "-in", os.path.join(c, "chain.pem"), "-outform", "DER"],
                                          check=True, capture_output=True).stdout)
put("cert_info", "fullchain-pem", open(os.path.join(c, "fullchain.pem"), "rb").read())
put("ari", "reply", open(os.path.join(d, "ari-reply.json"), "rb").read())
put("ari", "reply-no-explanation", json.dumps({"suggestedWindow": {"start": "2026-02-01T00:00:00Z",
                                                                   "end": "2026-02-03T00:00:00Z"}}))
put("ari", "reply-fractional", json.dumps({"suggestedWindow": {"start": "2026-02-01T00:00:00.123456+01:00",
                                                               "end": "2026-02-03T00:00:00.5Z"}}))
print("seeds:", ", ".join("%s %d" % (t, len(os.listdir(os.path.join(out, t))))
                          for t in ("acme", "journal", "settings", "ari", "cert_info")))
PY
