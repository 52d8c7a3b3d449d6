#!/usr/bin/python3
"""s3_edge.py — what the S3 harness refuses, checked in one process.

  /usr/bin/python3 tests/tools/s3_edge.py SUITE STATE_DIR

Run by tests/e2e/s3_harness.sh with the harness's environment (. DIR/env).
Prints "PASS SUITE/…" / "FAIL SUITE/…" lines: each case is a request signed
by botocore (tests/tools/s3_req.py send()) and the answer S3 gives to it.
"""
import json
import os
import re
import sys
import time
import base64
import hashlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3_req import send  # noqa: E402

SUITE, STATE = sys.argv[1], sys.argv[2]
NFAIL = 0


def expect(name, got, want):
    global NFAIL
    if got == want:
        print(f"PASS {SUITE}/{name}")
    else:
        NFAIL += 1
        print(f"FAIL {SUITE}/{name}\n    got {got!r}\n    want {want!r}")


def sc(r):
    return f"{r[0]} {r[1]}"


env = dict(os.environ)
tmp = dict(env, AWS_ACCESS_KEY_ID=env["S3TEST_TEMP_ACCESS_KEY_ID"],
           AWS_SECRET_ACCESS_KEY=env["S3TEST_TEMP_SECRET_ACCESS_KEY"],
           AWS_SESSION_TOKEN=env["S3TEST_TEMP_SESSION_TOKEN"])
env.pop("AWS_SESSION_TOKEN", None)

# ---- signatures and headers
expect("auth/equals-encoded", sc(send("PUT", "/lake/raw/run=2/k", "abc", env=env)), "200 -")
expect("auth/equals-signed-raw", sc(send("PUT", "/lake/raw/run=2/k", "abc", sign_raw_path=True, env=env)),
       "403 SignatureDoesNotMatch")
expect("auth/percent-path-raw-ok", sc(send("GET", "/lake/raw/run%3D2/k", sign_raw_path=True, env=env)), "200 -")
expect("auth/wrong-secret", sc(send("GET", "/lake/raw/run=2/k", env=dict(env, AWS_SECRET_ACCESS_KEY="x"))),
       "403 SignatureDoesNotMatch")
expect("auth/unknown-key", sc(send("GET", "/lake/raw/run=2/k", env=dict(env, AWS_ACCESS_KEY_ID="AKIANOPE"))),
       "403 InvalidAccessKeyId")
expect("auth/no-content-sha", sc(send("PUT", "/lake/raw/k", "abc", no_sha=True, env=env)), "400 InvalidRequest")
expect("auth/wrong-content-sha", sc(send("PUT", "/lake/raw/k", "abc", wrong_sha=True, env=env)),
       "400 XAmzContentSHA256Mismatch")
expect("auth/unsigned-amz-header",
       sc(send("PUT", "/lake/raw/k", "abc", unsigned_header="x-amz-meta-a:b", env=env)), "403 AccessDenied")
expect("auth/skew", sc(send("GET", "/lake/raw/run=2/k", skew=-1200, env=env)), "403 RequestTimeTooSkewed")
expect("auth/region", sc(send("GET", "/lake/raw/run=2/k", region="eu-west-1", env=env)),
       "400 AuthorizationHeaderMalformed")
expect("auth/query-order", sc(send("GET", "/lake?prefix=raw%2F&list-type=2&delimiter=%2F", env=env)), "200 -")
expect("auth/chunked-refused", sc(send("PUT", "/lake/raw/c", "abc", chunked=True, env=env)),
       "411 MissingContentLength")
md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
expect("auth/content-md5", sc(send("PUT", "/lake/raw/m", "abc", headers={"Content-MD5": md5}, env=env)),
       "400 BadDigest")
cks = base64.b64encode(hashlib.sha256(b"abc").digest()).decode()
r = send("PUT", "/lake/raw/m", "abc", headers={"x-amz-checksum-sha256": cks}, env=env)
expect("auth/checksum-sha256", (sc(r), r[3].get("x-amz-checksum-sha256")), ("200 -", cks))
expect("auth/checksum-crc32c-bad",
       sc(send("PUT", "/lake/raw/m", "abc", headers={"x-amz-checksum-crc32c": "AAAAAA=="}, env=env)),
       "400 BadDigest")
expect("auth/checksum-crc32c",  # crc32c("abc") = 0x364b3fb7
       sc(send("PUT", "/lake/raw/m", "abc", headers={"x-amz-checksum-crc32c": "Nks/tw=="}, env=env)), "200 -")

# ---- passed on to s3rver
send("PUT", "/lake/raw/h", "hello12345", env=env)
r = send("HEAD", "/lake/raw/h", env=env)
expect("object/head-length", (r[0], r[3].get("Content-Length")), (200, "10"))
r = send("GET", "/lake/raw/h", headers={"Range": "bytes=2-4"}, env=env)
expect("object/range", (r[0], r[2], r[3].get("Content-Range")), (206, b"llo", "bytes 2-4/10"))
expect("object/missing", sc(send("GET", "/lake/raw/none", env=env)), "404 NoSuchKey")

# ---- temporary credentials
expect("auth/temp-key", sc(send("GET", "/lake/raw/run=2/k", env=tmp)), "200 -")
expect("auth/temp-key-no-token", sc(send("GET", "/lake/raw/run=2/k", skip_token=True, env=tmp)),
       "403 InvalidAccessKeyId")
expect("auth/temp-key-bad-token", sc(send("GET", "/lake/raw/run=2/k", env=dict(tmp, AWS_SESSION_TOKEN="bad"))),
       "400 InvalidToken")
kp = os.path.join(STATE, "keys.json")
with open(kp) as f:
    keys = json.load(f)
saved = json.dumps(keys)
keys["keys"][tmp["AWS_ACCESS_KEY_ID"]]["expires"] = time.time() - 1
with open(kp + ".tmp", "w") as f:
    json.dump(keys, f)
os.replace(kp + ".tmp", kp)
expect("auth/temp-key-expired", sc(send("GET", "/lake/raw/run=2/k", env=tmp)), "400 ExpiredToken")
with open(kp + ".tmp", "w") as f:
    f.write(saved)
os.replace(kp + ".tmp", kp)
expect("auth/temp-key-renewed", sc(send("GET", "/lake/raw/run=2/k", env=tmp)), "200 -")

# ---- multipart
r = send("POST", "/lake/mp/two?uploads", env=env)
uid = re.search(rb"<UploadId>([^<]+)</UploadId>", r[2]).group(1).decode()
etags = []
for n in (1, 2):
    r = send("PUT", f"/lake/mp/two?partNumber={n}&uploadId={uid}", f"part {n}", env=env)
    etags.append(r[3].get("ETag"))


def complete(parts):
    xml = "<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in parts) + \
        "</CompleteMultipartUpload>"
    return sc(send("POST", f"/lake/mp/two?uploadId={uid}", xml, env=env))


expect("multipart/part-number", sc(send("PUT", f"/lake/mp/two?partNumber=0&uploadId={uid}", "x", env=env)),
       "400 InvalidArgument")
expect("multipart/entity-too-small", complete([(1, etags[0]), (2, etags[1])]), "400 EntityTooSmall")
expect("multipart/invalid-part", complete([(1, '"00"')]), "400 InvalidPart")
expect("multipart/missing-part", complete([(3, etags[0])]), "400 InvalidPart")
expect("multipart/part-order", complete([(2, etags[1]), (1, etags[0])]), "400 InvalidPartOrder")
expect("multipart/wrong-key", sc(send("PUT", f"/lake/mp/other?partNumber=1&uploadId={uid}", "x", env=env)),
       "404 NoSuchUpload")
expect("multipart/complete-last-only", complete([(2, etags[1])]), "200 -")
expect("multipart/completed-gone", sc(send("PUT", f"/lake/mp/two?partNumber=1&uploadId={uid}", "x", env=env)),
       "404 NoSuchUpload")
expect("multipart/content", send("GET", "/lake/mp/two", env=env)[2], b"part 2")
expect("multipart/abort-unknown", sc(send("DELETE", f"/lake/mp/two?uploadId={uid}", env=env)), "404 NoSuchUpload")
expect("multipart/unknown-id", sc(send("PUT", "/lake/mp/x?partNumber=1&uploadId=0123abcd", "x", env=env)),
       "404 NoSuchUpload")
expect("multipart/no-folder-made", os.path.exists(os.path.join(STATE, "data/lake/._S3rver_uploads/0123abcd")),
       False)

# ---- batched delete
body = "<Delete><Object><Key>raw/m</Key></Object></Delete>"
expect("delete/needs-md5", sc(send("POST", "/lake?delete", body, env=env)), "400 InvalidRequest")
md5 = base64.b64encode(hashlib.md5(body.encode()).digest()).decode()
r = send("POST", "/lake?delete", body, headers={"Content-MD5": md5}, env=env)
expect("delete/batch", (sc(r), b"<Deleted>" in r[2]), ("200 -", True))
expect("delete/gone", sc(send("GET", "/lake/raw/m", env=env)), "404 NoSuchKey")

# ---- listing details (the aws CLI checks the common cases)
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def listing(path):
    from xml.etree import ElementTree as ET
    r = send("GET", path, env=env)
    doc = ET.fromstring(r[2])
    return (doc, [e.text for e in doc.iter(NS + "Key")],
            [e.text for e in doc.iter(NS + "Prefix") if e.text and e.text != doc.findtext(NS + "Prefix")])


_, ks, ps = listing("/lake?list-type=2&prefix=t%2Fa%2F&delimiter=%2F")
expect("list/delimiter-prefix", (ks, ps), (["t/a/x.txt"], ["t/a/b/"]))
got_k, got_p, marker, pages = [], [], "", 0
while pages < 20:
    doc, ks, ps = listing("/lake?prefix=t%2F&delimiter=%2F&max-keys=1" + (f"&marker={marker}" if marker else ""))
    pages += 1
    got_k += ks
    got_p += [p for p in ps if p.count("/") == 2]
    if doc.findtext(NS + "IsTruncated") != "true":
        break
    marker = doc.findtext(NS + "NextMarker").replace("/", "%2F").replace("=", "%3D").replace(" ", "%20")
expect("list/v1-paging-delimiter", (got_k, got_p, pages),
       (["t/a-b", "t/top.txt"], ["t/a/", "t/run=1/", "t/z/"], 5))
doc, ks, _ = listing("/lake?list-type=2&prefix=t%2Frun&encoding-type=url")
expect("list/encoding-url", ks, ["t/run%3D1/a%20b.txt"])
doc, ks, _ = listing("/lake?list-type=2&max-keys=0")
expect("list/max-keys-0", (ks, doc.findtext(NS + "IsTruncated")), ([], "false"))
r = send("GET", "/lake?uploads", env=env)
expect("list/no-uploads-left", (r[0], b"<Upload>" in r[2]), (200, False))
r = send("GET", "/nobucket?list-type=2", env=env)
expect("list/no-bucket", sc(r), "404 NoSuchBucket")

# ---- the faults the aws CLI does not show
fired_path = os.path.join(STATE, "faults.fired.json")


def faults(doc):
    with open(os.path.join(STATE, "faults.json.tmp"), "w") as f:
        json.dump({"faults": doc}, f)
    os.replace(os.path.join(STATE, "faults.json.tmp"), os.path.join(STATE, "faults.json"))


def fired(name):
    try:
        with open(fired_path) as f:
            return json.load(f).get(name, 0)
    except FileNotFoundError:
        return 0


faults([{"name": "edge-delay", "kind": "delay", "seconds": 1, "method": "HEAD"}])
t0 = time.time()
r = send("HEAD", "/lake/raw/run=2/k", env=env)
expect("faults/delay", (r[0], time.time() - t0 >= 1, fired("edge-delay")), (200, True, 1))
faults([{"name": "edge-down", "kind": "fail_all_after", "nth": 2, "method": "PUT", "path": "^/lake/f/"}])
got = [sc(send("PUT", f"/lake/f/{i}", "x", env=env)) for i in range(3)]
expect("faults/fail-all-after", got, ["200 -", "500 InternalError", "500 InternalError"])
expect("faults/fail-all-other-paths", sc(send("PUT", "/lake/g/1", "x", env=env)), "200 -")
expect("faults/fail-all-counted", fired("edge-down"), 2)
faults([{"name": "edge-503", "kind": "error", "status": 503, "code": "ServiceUnavailable", "nth": 2,
         "times": 2, "method": "GET", "path": "^/lake/g/1$"}])
got = [sc(send("GET", "/lake/g/1", env=env)) for i in range(4)]
expect("faults/nth-times", got, ["200 -", "503 ServiceUnavailable", "503 ServiceUnavailable", "200 -"])
faults([])
expect("faults/cleared", sc(send("PUT", "/lake/f/9", "x", env=env)), "200 -")
sys.exit(1 if NFAIL else 0)
