#!/usr/bin/python3
"""s3_proxy.py — a verifying S3 reverse proxy in front of s3rver, for the tests.

Run with Debian's /usr/bin/python3 (it needs python3-botocore).  Started and
stopped by scripts/s3_test_server.sh; docs/testing-s3.md describes it.

Every request is checked the way S3 checks it, with botocore as the
independent signer, before anything reaches s3rver (which checks only that
an access key exists):

  - AWS Signature V4 in the Authorization header, recomputed by botocore's
    S3SigV4Auth over the URI-encoded path (a key with `=` is signed as %3D,
    whatever the client sent), the decoded-and-re-encoded sorted query and
    exactly the headers named in SignedHeaders; `host` and every x-amz-*
    header present must be signed; credential scope date, region and service
    checked; the clock skew must stay under 15 minutes;
  - x-amz-content-sha256 is required and, when a hex hash, must match the
    body; Content-MD5 and x-amz-checksum-{sha256,sha1,crc32,crc32c} too;
  - unknown access keys → InvalidAccessKeyId; a temporary key (one with a
    token in keys.json) needs its x-amz-security-token, and an expired one
    gets ExpiredToken;
  - PUT and POST need a Content-Length (S3 refuses chunked requests).

Then it fills s3rver 3.7.1's gaps: ListObjects (v1 and v2, with delimiter,
paging and encoding-type=url) is answered from s3rver's data folder;
ListMultipartUploads, ListParts and AbortMultipartUpload are implemented
over that folder's uploads; UploadPart and Complete to an unknown upload id
get NoSuchUpload; Complete checks part order, part ETags and the 5 MiB
minimum part size.  Everything else is forwarded to s3rver.

Faults are read from STATE/faults.json (reloaded whenever it changes) and
counted in STATE/faults.fired.json; every request is one JSON line in
STATE/requests.log.  Credentials come from STATE/keys.json (reloaded too).
"""
import argparse
import base64
import datetime
import email.utils
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid
import zlib
from urllib.parse import quote, unquote, unquote_plus
from xml.etree import ElementTree as ET

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
OBJ_SUFFIX = "._S3rver_object"
UPLOADS_DIR = "._S3rver_uploads"
MAX_SKEW = 15 * 60
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection",
               "te", "upgrade"}


class S3Error(Exception):
    """An S3 error answer: HTTP status, S3 code, message, extra XML fields."""

    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class ReloadedJson:
    """A JSON file read again whenever its mtime or size changes."""

    def __init__(self, path, default):
        self.path, self.default = path, default
        self.stamp, self.value = None, default
        self.lock = threading.Lock()

    def get(self):
        """(value, changed) — changed is True when the file was (re)read."""
        with self.lock:
            try:
                st = os.stat(self.path)
                stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            except FileNotFoundError:
                stamp = None
            if stamp == self.stamp:
                return self.value, False
            self.stamp = stamp
            if stamp is None:
                self.value = self.default
            else:
                try:
                    with open(self.path, encoding="utf-8") as f:
                        text = f.read()
                    self.value = json.loads(text) if text.strip() else self.default
                except (OSError, ValueError) as e:
                    # A half-written file: keep going without it, say so once.
                    print(f"s3_proxy: cannot read {self.path}: {e}", file=sys.stderr)
                    self.value = self.default
            return self.value, True


# ---------------------------------------------------------------- checksums

def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC32C_TABLE = _crc32c_table()


try:  # Debian's python3-crc32c (installed by s3_test_server.sh): hardware CRC
    import crc32c as _crc32c_mod
except ImportError:
    _crc32c_mod = None


def crc32c(data):
    if _crc32c_mod is not None:
        return _crc32c_mod.crc32c(data)
    # Pure Python fallback: about 1 s per 8 MB on an idle machine.
    c = 0xFFFFFFFF
    t = CRC32C_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def checksum_b64(algo, body):
    if algo == "sha256":
        return base64.b64encode(hashlib.sha256(body).digest()).decode()
    if algo == "sha1":
        return base64.b64encode(hashlib.sha1(body).digest()).decode()
    if algo == "crc32":
        return base64.b64encode(struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)).decode()
    if algo == "crc32c":
        return base64.b64encode(struct.pack(">I", crc32c(body))).decode()
    return None


# ---------------------------------------------------------------- signing

class ExactHeadersAuth(S3SigV4Auth):
    """botocore's S3 signer, told exactly which headers the client signed
    (botocore itself leaves out user-agent and expect, which a client may
    legitimately sign)."""

    def __init__(self, credentials, region, signed):
        super().__init__(credentials, "s3", region)
        self.signed = signed

    def headers_to_sign(self, request):
        from botocore.awsrequest import HTTPHeaders

        m = HTTPHeaders()
        for name in self.signed:
            m[name] = request.headers.get(name, "")
        return m


def parse_authorization(value):
    if not value.startswith("AWS4-HMAC-SHA256 "):
        if value.startswith("AWS "):
            raise S3Error(400, "InvalidRequest",
                          "Signature Version 2 is not accepted; use AWS4-HMAC-SHA256.")
        raise S3Error(400, "AuthorizationHeaderMalformed",
                      f"The authorization header is malformed: unknown algorithm in '{value[:40]}'.")
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    for need in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(need):
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          f"The authorization header is malformed: no {need}.")
    cred = fields["Credential"].split("/")
    if len(cred) != 5 or cred[4] != "aws4_request":
        raise S3Error(400, "AuthorizationHeaderMalformed",
                      f"The authorization header is malformed: Credential '{fields['Credential']}' "
                      "is not KEY/DATE/REGION/SERVICE/aws4_request.")
    return cred, fields["SignedHeaders"].split(";"), fields["Signature"]


def amz_timestamp(headers):
    v = headers.get("x-amz-date")
    if v:
        try:
            t = datetime.datetime.strptime(v, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise S3Error(403, "AccessDenied", f"X-Amz-Date '{v}' is not in the form YYYYMMDDTHHMMSSZ.")
        return v, t
    v = headers.get("date")
    if v:
        try:
            t = email.utils.parsedate_to_datetime(v)
        except (TypeError, ValueError):
            raise S3Error(403, "AccessDenied", f"Date '{v}' cannot be parsed.")
        return t.strftime("%Y%m%dT%H%M%SZ"), t
    raise S3Error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header.")


# ---------------------------------------------------------------- the proxy

class Proxy:
    def __init__(self, args):
        self.args = args
        self.state = args.state_dir
        self.data = args.data_dir
        up = args.upstream.split("//", 1)[-1]
        self.up_host, _, p = up.partition(":")
        self.up_port = int(p or 80)
        self.keys = ReloadedJson(os.path.join(self.state, "keys.json"), {"keys": {}})
        self.faults = ReloadedJson(os.path.join(self.state, "faults.json"), {"faults": []})
        self.fired_path = os.path.join(self.state, "faults.fired.json")
        self.log_path = os.path.join(self.state, "requests.log")
        self.lock = threading.Lock()  # guards matched, fired, the log file
        self.matched = {}
        self.fired = {}
        try:
            with open(self.fired_path, encoding="utf-8") as f:
                self.fired = json.load(f)
        except (OSError, ValueError):
            pass

    # ---- faults

    def fault_list(self):
        value, changed = self.faults.get()
        faults = value.get("faults", []) if isinstance(value, dict) else value
        with self.lock:
            if changed:
                self.matched = {}  # a new fault file starts counting afresh
        out = []
        for i, f in enumerate(faults or []):
            f = dict(f)
            f.setdefault("name", f"{f.get('kind', 'fault')}{i}")
            out.append(f)
        return out

    def pick_fault(self, method, path, query):
        """The fault that fires for this request, if any (counted)."""
        for f in self.fault_list():
            m = f.get("method", "*")
            if m != "*" and method not in m.upper().split("|"):
                continue
            if f.get("path") and not re.search(f["path"], path):
                continue
            if f.get("query") and not re.search(f["query"], query):
                continue
            with self.lock:
                n = self.matched.get(f["name"], 0) + 1
                self.matched[f["name"]] = n
                nth = int(f.get("nth", 1))
                times = int(f.get("times", 1))
                if f.get("kind") == "fail_all_after":
                    hit = n >= nth
                else:
                    hit = nth <= n and (times <= 0 or n < nth + times)
                if not hit:
                    continue
                self.fired[f["name"]] = self.fired.get(f["name"], 0) + 1
                tmp = self.fired_path + ".tmp"
                with open(tmp, "w", encoding="utf-8") as fh:
                    json.dump(self.fired, fh, indent=1, sort_keys=True)
                os.replace(tmp, self.fired_path)
            return f
        return None

    def log(self, rec):
        line = json.dumps(rec, sort_keys=True)
        with self.lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    # ---- authentication

    def verify(self, h, path, query_pairs):
        """Check the request's signature; returns the access key id."""
        headers = h.headers
        if any(k in ("X-Amz-Algorithm", "X-Amz-Signature") for k, _ in query_pairs):
            raise S3Error(403, "AccessDenied", "Presigned URLs are not supported by the test harness.")
        authz = headers.get("authorization")
        if not authz:
            raise S3Error(403, "AccessDenied", "Anonymous access is not allowed: sign the request.")
        cred, signed, signature = parse_authorization(authz)
        key_id, date, region, service = cred[0], cred[1], cred[2], cred[3]
        keys, _ = self.keys.get()
        entry = keys.get("keys", {}).get(key_id)
        if entry is None:
            raise S3Error(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist in our records.",
                          AWSAccessKeyId=key_id)
        stamp, t = amz_timestamp(headers)
        skew = abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
        if skew > MAX_SKEW:
            raise S3Error(403, "RequestTimeTooSkewed",
                          "The difference between the request time and the current time is too large.",
                          RequestTime=stamp, MaxAllowedSkewMilliseconds=str(MAX_SKEW * 1000))
        if date != stamp[:8]:
            raise S3Error(403, "SignatureDoesNotMatch",
                          f"Credential date {date} does not match the request date {stamp[:8]}.")
        if region != self.args.region:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          f"The authorization header is malformed; the region '{region}' is wrong; "
                          f"expecting '{self.args.region}'", Region=self.args.region)
        if service != "s3":
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          f"The authorization header is malformed; the service '{service}' is wrong; "
                          "expecting 's3'")
        if "host" not in signed:
            raise S3Error(403, "AccessDenied", "The host header must be signed (SignedHeaders has no host).")
        unsigned = sorted({k.lower() for k in headers.keys()
                           if k.lower().startswith("x-amz-") and k.lower() not in signed})
        if unsigned:
            raise S3Error(403, "AccessDenied",
                          "There were headers present in the request which were not signed",
                          HeadersNotSigned=", ".join(unsigned))
        sha = headers.get("x-amz-content-sha256")
        if not sha:
            raise S3Error(400, "InvalidRequest",
                          "Missing required header for this request: x-amz-content-sha256")
        if sha.startswith("STREAMING-"):
            raise S3Error(501, "NotImplemented",
                          f"x-amz-content-sha256: {sha} (aws-chunked) is not supported by the test harness.")
        if sha != "UNSIGNED-PAYLOAD" and not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise S3Error(400, "InvalidArgument",
                          f"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-… or a lower-case hex "
                          f"SHA-256, not '{sha}'")
        token = entry.get("token")
        given = headers.get("x-amz-security-token")
        if token:
            if not given:
                raise S3Error(403, "InvalidAccessKeyId",
                              "The AWS Access Key Id you provided does not exist in our records "
                              "(a temporary key needs its x-amz-security-token).", AWSAccessKeyId=key_id)
            if given != token:
                raise S3Error(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
            exp = entry.get("expires")
            if exp is not None and time.time() >= float(exp):
                raise S3Error(400, "ExpiredToken", "The provided token has expired.")
        elif given:
            raise S3Error(400, "InvalidToken",
                          "The provided token is malformed or otherwise invalid (this key takes no token).")
        # The canonical request S3 builds: the path URI-encoded from its
        # decoded form (S3 does not normalise . or //), the query decoded
        # then re-encoded and sorted by botocore.
        canon_path = quote(unquote(path), safe="/~")
        host = headers.get("host", "")
        req = AWSRequest(method=h.command, url=f"http://{host}{canon_path}",
                         params=[(k, v) for k, v in query_pairs])
        for name in signed:
            vals = headers.get_all(name) or []
            req.headers[name] = ",".join(" ".join(v.split()) for v in vals)
        req.context["timestamp"] = stamp
        auth = ExactHeadersAuth(Credentials(key_id, entry.get("secret", ""), token), region, signed)
        cr = auth.canonical_request(req)
        sts = auth.string_to_sign(req, cr)
        want = auth.signature(sts, req)
        if not hmac.compare_digest(want, signature):
            raise S3Error(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you provided. "
                          "Check your key and signing method.",
                          AWSAccessKeyId=key_id, StringToSign=sts, SignatureProvided=signature,
                          CanonicalRequest=cr)
        return key_id

    @staticmethod
    def check_body(headers, body):
        sha = headers.get("x-amz-content-sha256", "")
        if re.fullmatch(r"[0-9a-f]{64}", sha) and hashlib.sha256(body).hexdigest() != sha:
            raise S3Error(400, "XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does not match what was computed.",
                          ClientComputedContentSHA256=sha,
                          S3ComputedContentSHA256=hashlib.sha256(body).hexdigest())
        md5 = headers.get("content-md5")
        if md5 is not None:
            if base64.b64encode(hashlib.md5(body).digest()).decode() != md5.strip():
                raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
        echo = {}
        for algo in ("sha256", "sha1", "crc32", "crc32c"):
            v = headers.get(f"x-amz-checksum-{algo}")
            if v is None:
                continue
            got = checksum_b64(algo, body)
            if got != v.strip():
                raise S3Error(400, "BadDigest",
                              f"The {algo.upper()} you specified did not match the calculated checksum.")
            echo[f"x-amz-checksum-{algo}"] = got
        return echo

    # ---- the data folder (s3rver's FilesystemStore layout)

    def bucket_dir(self, bucket):
        d = os.path.join(self.data, bucket)
        if not bucket or "/" in bucket or bucket.startswith(".") or not os.path.isdir(d):
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)
        return d

    def objects(self, bucket, prefix):
        """Sorted [(key, size, mtime, etag)] of the bucket's objects under prefix."""
        root = self.bucket_dir(bucket)
        out = []
        # Start the walk at the deepest folder the prefix names.
        base = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = os.path.join(root, base) if base else root
        if not os.path.isdir(start):
            return out
        for d, dirs, files in os.walk(start):
            if d == root and UPLOADS_DIR in dirs:
                dirs.remove(UPLOADS_DIR)
            for fn in files:
                if not fn.endswith(OBJ_SUFFIX):
                    continue
                full = os.path.join(d, fn)
                key = os.path.relpath(full, root)[: -len(OBJ_SUFFIX)]
                if not key.startswith(prefix):
                    continue
                try:
                    st = os.stat(full)
                    try:
                        with open(full + ".md5", encoding="ascii") as f:
                            md5 = f.read().strip()
                    except FileNotFoundError:
                        with open(full, "rb") as f:
                            md5 = hashlib.md5(f.read()).hexdigest()
                except FileNotFoundError:
                    continue  # deleted while listing
                out.append((key, st.st_size, st.st_mtime, f'"{md5}"'))
        out.sort(key=lambda o: o[0].encode("utf-8"))
        return out

    def uploads(self, bucket):
        """Sorted [(key, upload_id, initiated)] of the bucket's unfinished uploads."""
        root = os.path.join(self.bucket_dir(bucket), UPLOADS_DIR)
        out = []
        try:
            ids = os.listdir(root)
        except FileNotFoundError:
            return out
        for uid in ids:
            try:
                with open(os.path.join(root, uid, "key"), encoding="utf-8") as f:
                    key = f.read()
                initiated = os.stat(os.path.join(root, uid, "key")).st_mtime
            except (FileNotFoundError, NotADirectoryError):
                continue  # a part written after an abort, or not an upload
            out.append((key, uid, initiated))
        out.sort(key=lambda u: (u[0].encode("utf-8"), u[2], u[1]))
        return out

    def upload_dir(self, bucket, key, uid):
        d = os.path.join(self.bucket_dir(bucket), UPLOADS_DIR, uid)
        try:
            if "/" in uid or uid.startswith(".") or not uid:
                raise FileNotFoundError
            with open(os.path.join(d, "key"), encoding="utf-8") as f:
                if f.read() != key:
                    raise FileNotFoundError
        except FileNotFoundError:
            raise S3Error(404, "NoSuchUpload",
                          "The specified upload does not exist. The upload ID may be invalid, or the "
                          "upload may have been aborted or completed.", UploadId=uid)
        return d


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def xml_doc(root):
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def sub(parent, tag, text=None):
    e = ET.SubElement(parent, tag)
    if text is not None:
        e.text = str(text)
    return e


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "snaplake-s3-harness"
    proxy = None  # set in main

    def log_message(self, fmt, *args):  # requests go to requests.log instead
        pass

    def do_GET(self):
        self.handle_s3()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    # ---- plumbing

    def send_xml(self, status, body, headers=None):
        self.status = status
        self.send_response(status)
        self.send_header("x-amz-request-id", self.request_id)
        self.send_header("Content-Type", "application/xml")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_s3_error(self, e):
        root = ET.Element("Error")
        sub(root, "Code", e.code)
        sub(root, "Message", e.message)
        for k, v in e.extra.items():
            sub(root, k, v)
        sub(root, "Resource", self.path.split("?", 1)[0])
        sub(root, "RequestId", self.request_id)
        self.error_code = e.code
        self.send_xml(e.status, xml_doc(root))

    def read_body(self, limit=None):
        n = int(self.headers.get("content-length") or 0)
        if limit is not None:
            n = min(n, limit)
        buf = bytearray()
        while len(buf) < n:
            chunk = self.rfile.read(min(1 << 20, n - len(buf)))
            if not chunk:
                raise ConnectionError("client closed the connection mid-body")
            buf += chunk
        return bytes(buf)

    def drain(self):
        """Read what is left of the body so the connection can be reused."""
        if self.body is None:
            n = int(self.headers.get("content-length") or 0)
            if n > (256 << 20):
                self.close_connection = True
                return
            self.body = self.read_body()

    def reset_connection(self):
        # SO_LINGER 0: close() sends a TCP RST, as a dropped connection does.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    # ---- the request

    def handle_s3(self):
        p = self.proxy
        self.request_id = uuid.uuid4().hex[:16].upper()
        self.status, self.body, self.error_code, self.fault = None, None, None, None
        raw_path, _, raw_query = self.path.partition("?")
        path = unquote(raw_path)
        pairs = []
        for item in raw_query.split("&") if raw_query else []:
            k, _, v = item.partition("=")
            pairs.append((unquote_plus(k), unquote_plus(v)))
        q = {}
        for k, v in pairs:
            q.setdefault(k, v)
        key_id = None
        t0 = time.time()
        try:
            try:
                if self.command in ("PUT", "POST") and "content-length" not in self.headers:
                    self.close_connection = True
                    raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
                key_id = p.verify(self, raw_path, pairs)
                f = p.pick_fault(self.command, path, raw_query)
                self.fault = f["name"] if f else None
                if f and self.apply_fault_before(f):
                    return
                self.body = self.read_body()
                echo = p.check_body(self.headers, self.body)
                self.route(path, q, raw_query, echo, f)
            except S3Error as e:
                try:
                    self.drain()
                except (ConnectionError, OSError):
                    self.close_connection = True
                    return
                self.send_s3_error(e)
        except (ConnectionError, BrokenPipeError, socket.timeout) as e:
            self.close_connection = True
            self.error_code = self.error_code or type(e).__name__
        finally:
            p.log({"time": iso(t0), "ms": int((time.time() - t0) * 1000), "method": self.command,
                   "path": path, "query": raw_query, "status": self.status, "error": self.error_code,
                   "key_id": key_id, "bytes_in": len(self.body) if self.body is not None else None,
                   "fault": self.fault, "request_id": self.request_id})

    def apply_fault_before(self, f):
        """Faults that answer instead of s3rver; True when the request is done."""
        kind = f.get("kind")
        if kind == "delay":
            time.sleep(float(f.get("seconds", 1)))
            return False
        if kind == "slowdown":
            raise S3Error(503, "SlowDown", "Please reduce your request rate. (injected by the test harness)")
        if kind == "fail_all_after":
            raise S3Error(int(f.get("status", 500)), f.get("code", "InternalError"),
                          "We encountered an internal error. Please try again. (injected by the test harness)")
        if kind == "error":
            raise S3Error(int(f.get("status", 500)), f.get("code", "InternalError"),
                          f.get("message", "injected by the test harness"))
        if kind == "reset":
            n = int(self.headers.get("content-length") or 0)
            part = int(f.get("bytes", n // 2))
            try:
                self.body = self.read_body(limit=part)
            except ConnectionError:
                pass
            self.status = "reset"
            self.reset_connection()
            return True
        if kind == "truncate":
            return False  # applied to the response in forward()
        raise S3Error(500, "InternalError", f"test harness: unknown fault kind '{kind}' in faults.json")

    # ---- routing: the gaps first, then s3rver

    def route(self, path, q, raw_query, echo, fault):
        parts = path.lstrip("/").split("/", 1)
        bucket = parts[0]
        key = parts[1] if len(parts) > 1 else ""
        m = self.command
        if bucket and not key:
            if m == "POST" and "delete" in q:
                self.check_delete_objects()
            if m == "GET" and "uploads" in q:
                return self.list_uploads(bucket, q)
            if m == "GET" and not (set(q) & {"acl", "cors", "location", "website", "policy", "versioning",
                                              "lifecycle", "tagging", "versions", "logging",
                                              "notification", "encryption", "replication",
                                              "object-lock", "publicAccessBlock", "analytics",
                                              "metrics", "inventory", "requestPayment",
                                              "accelerate", "ownershipControls"}):
                return self.list_objects(bucket, q)
        if bucket and key and "uploadId" in q:
            d = self.proxy.upload_dir(bucket, key, q["uploadId"])
            if m == "DELETE":
                shutil.rmtree(d, ignore_errors=True)
                self.status = 204
                self.send_response(204)
                self.send_header("x-amz-request-id", self.request_id)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if m == "GET":
                return self.list_parts(bucket, key, q, d)
            if m == "PUT":
                pn = q.get("partNumber", "")
                if not pn.isdigit() or not 1 <= int(pn) <= 10000:
                    raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, "
                                  "inclusive", ArgumentName="partNumber", ArgumentValue=pn)
            if m == "POST":
                self.check_complete(d)
        return self.forward(echo, fault)

    def forward(self, echo, fault):
        headers = {}
        for k, v in self.headers.items():
            lk = k.lower()
            if lk in HOP_HEADERS or lk in ("authorization", "x-amz-security-token"):
                continue
            headers[k] = v
        conn = http.client.HTTPConnection(self.proxy.up_host, self.proxy.up_port, timeout=120)
        try:
            conn.request(self.command, self.path, body=self.body if self.body else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        self.status = resp.status
        if resp.status >= 400:
            try:
                self.error_code = ET.fromstring(data).findtext("Code")
            except ET.ParseError:
                pass
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in HOP_HEADERS or k.lower() in ("content-length", "date", "server"):
                continue
            self.send_header(k, v)
        if resp.status < 300:
            for k, v in echo.items():
                self.send_header(k, v)
        if fault and fault.get("kind") == "truncate":
            # Promise more than is sent, then drop the connection.
            keep = int(fault.get("bytes", len(data) // 2))
            self.send_header("Content-Length", str(max(len(data), keep + 1) + int(fault.get("extra", 0))))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data[:keep])
            self.wfile.flush()
            self.status = f"{resp.status}-truncated"
            self.close_connection = True
            return
        if self.command == "HEAD":
            # No body, but the length of the one a GET would return.
            self.send_header("Content-Length", resp.getheader("Content-Length", "0"))
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # ---- ListObjects (v1 and v2)

    def list_objects(self, bucket, q):
        p = self.proxy
        v2 = q.get("list-type") == "2"
        prefix = q.get("prefix", "")
        delim = q.get("delimiter", "")
        mk = q.get("max-keys", "1000")
        if not re.fullmatch(r"\d+", mk):
            raise S3Error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range",
                          ArgumentName="max-keys", ArgumentValue=mk)
        max_keys = min(int(mk), 1000)
        enc = q.get("encoding-type")
        if enc not in (None, "url"):
            raise S3Error(400, "InvalidArgument", "Invalid Encoding Method specified in Request",
                          ArgumentName="encoding-type", ArgumentValue=enc)
        if v2:
            token = q.get("continuation-token")
            if token is not None:
                try:
                    marker = base64.urlsafe_b64decode(token.encode()).decode("utf-8")
                    if not marker.startswith("snaplake-harness:"):
                        raise ValueError
                    marker = marker[len("snaplake-harness:"):]
                except (ValueError, UnicodeDecodeError):
                    raise S3Error(400, "InvalidArgument", "The continuation token provided is incorrect",
                                  ArgumentName="continuation-token")
            else:
                marker = q.get("start-after", "")
        else:
            marker = q.get("marker", "")
        entries = []  # (name, object or None for a common prefix)
        truncated = False
        last_cp = None
        mb = marker.encode("utf-8")
        for o in p.objects(bucket, prefix) if max_keys > 0 else []:
            k = o[0]
            if marker and k.encode("utf-8") <= mb:
                continue
            if delim:
                i = k.find(delim, len(prefix))
                if i >= 0:
                    cp = k[: i + len(delim)]
                    if cp == last_cp or cp == marker:
                        continue
                    if len(entries) >= max_keys:
                        truncated = True
                        break
                    entries.append((cp, None))
                    last_cp = cp
                    continue
            if len(entries) >= max_keys:
                truncated = True
                break
            entries.append((k, o))
        e = (lambda s: quote(s, safe="/")) if enc == "url" else (lambda s: s)
        root = ET.Element("ListBucketResult", xmlns=S3_NS)
        sub(root, "Name", bucket)
        sub(root, "Prefix", e(prefix))
        if v2:
            if "start-after" in q:
                sub(root, "StartAfter", e(q["start-after"]))
            if "continuation-token" in q:
                sub(root, "ContinuationToken", q["continuation-token"])
            if truncated:
                tok = base64.urlsafe_b64encode(("snaplake-harness:" + entries[-1][0]).encode()).decode()
                sub(root, "NextContinuationToken", tok)
            sub(root, "KeyCount", len(entries))
        else:
            sub(root, "Marker", e(marker))
            if truncated and delim:
                sub(root, "NextMarker", e(entries[-1][0]))
        sub(root, "MaxKeys", mk)
        if delim:
            sub(root, "Delimiter", e(delim))
        if enc:
            sub(root, "EncodingType", enc)
        sub(root, "IsTruncated", "true" if truncated else "false")
        owner = (not v2) or q.get("fetch-owner") == "true"
        for name, o in entries:
            if o is None:
                continue
            c = sub(root, "Contents")
            sub(c, "Key", e(name))
            sub(c, "LastModified", iso(o[2]))
            sub(c, "ETag", o[3])
            sub(c, "Size", o[1])
            if owner:
                ow = sub(c, "Owner")
                sub(ow, "ID", "123456789000")
                sub(ow, "DisplayName", "S3rver")
            sub(c, "StorageClass", "STANDARD")
        for name, o in entries:
            if o is None:
                sub(sub(root, "CommonPrefixes"), "Prefix", e(name))
        self.status = 200
        self.send_xml(200, xml_doc(root))

    # ---- multipart uploads

    def list_uploads(self, bucket, q):
        prefix = q.get("prefix", "")
        delim = q.get("delimiter", "")
        mu = q.get("max-uploads", "1000")
        if not re.fullmatch(r"\d+", mu):
            raise S3Error(400, "InvalidArgument", "max-uploads must be an integer",
                          ArgumentName="max-uploads", ArgumentValue=mu)
        max_up = min(int(mu), 1000)
        km, um = q.get("key-marker", ""), q.get("upload-id-marker", "")
        enc = q.get("encoding-type")
        e = (lambda s: quote(s, safe="/")) if enc == "url" else (lambda s: s)
        ups = self.proxy.uploads(bucket)
        if km:
            if um:
                pos = next((i + 1 for i, u in enumerate(ups) if u[0] == km and u[1] == um), None)
                ups = ups[pos:] if pos is not None else [u for u in ups if u[0] > km]
            else:
                ups = [u for u in ups if u[0].encode() > km.encode()]
        entries, last_cp, truncated = [], None, False
        for u in ups if max_up > 0 else []:
            if not u[0].startswith(prefix):
                continue
            cp = None
            if delim:
                i = u[0].find(delim, len(prefix))
                if i >= 0:
                    cp = u[0][: i + len(delim)]
                    if cp == last_cp:
                        continue
            if len(entries) >= max_up:
                truncated = True
                break
            entries.append((cp, u))
            last_cp = cp or last_cp
        root = ET.Element("ListMultipartUploadsResult", xmlns=S3_NS)
        sub(root, "Bucket", bucket)
        sub(root, "KeyMarker", e(km))
        sub(root, "UploadIdMarker", um)
        if truncated:
            cp, u = entries[-1]
            sub(root, "NextKeyMarker", e(cp or u[0]))
            sub(root, "NextUploadIdMarker", "" if cp else u[1])
        if enc:
            sub(root, "EncodingType", enc)
        sub(root, "Prefix", e(prefix))
        if delim:
            sub(root, "Delimiter", e(delim))
        sub(root, "MaxUploads", mu)
        sub(root, "IsTruncated", "true" if truncated else "false")
        for cp, u in entries:
            if cp:
                continue
            x = sub(root, "Upload")
            sub(x, "Key", e(u[0]))
            sub(x, "UploadId", u[1])
            for tag in ("Initiator", "Owner"):
                o = sub(x, tag)
                sub(o, "ID", "123456789000")
                sub(o, "DisplayName", "S3rver")
            sub(x, "StorageClass", "STANDARD")
            sub(x, "Initiated", iso(u[2]))
        for cp, u in entries:
            if cp:
                sub(sub(root, "CommonPrefixes"), "Prefix", e(cp))
        self.status = 200
        self.send_xml(200, xml_doc(root))

    @staticmethod
    def parts_of(d):
        """{part number: (etag without quotes, size, mtime)} of an upload folder."""
        out = {}
        for fn in os.listdir(d):
            if not fn.isdigit():
                continue
            full = os.path.join(d, fn)
            try:
                with open(full + ".md5", encoding="ascii") as f:
                    md5 = f.read().strip()
                st = os.stat(full)
            except FileNotFoundError:
                continue  # still being written
            out[int(fn)] = (md5, st.st_size, st.st_mtime)
        return out

    def list_parts(self, bucket, key, q, d):
        parts = self.parts_of(d)
        mp = q.get("max-parts", "1000")
        max_parts = min(int(mp), 1000) if mp.isdigit() else 1000
        marker = int(q.get("part-number-marker", "0") or 0)
        nums = [n for n in sorted(parts) if n > marker]
        shown, truncated = nums[:max_parts], len(nums) > max_parts
        root = ET.Element("ListPartsResult", xmlns=S3_NS)
        sub(root, "Bucket", bucket)
        sub(root, "Key", key)
        sub(root, "UploadId", q["uploadId"])
        sub(root, "PartNumberMarker", marker)
        if shown:
            sub(root, "NextPartNumberMarker", shown[-1])
        sub(root, "MaxParts", mp)
        sub(root, "IsTruncated", "true" if truncated else "false")
        for n in shown:
            x = sub(root, "Part")
            sub(x, "PartNumber", n)
            sub(x, "LastModified", iso(parts[n][2]))
            sub(x, "ETag", f'"{parts[n][0]}"')
            sub(x, "Size", parts[n][1])
        self.status = 200
        self.send_xml(200, xml_doc(root))

    def check_delete_objects(self):
        """S3 wants a checksum on DeleteObjects and at most 1000 keys; s3rver asks neither."""
        if "content-md5" not in self.headers and not any(
                k.lower().startswith("x-amz-checksum-") for k in self.headers.keys()):
            raise S3Error(400, "InvalidRequest",
                          "Missing required header for this request: Content-MD5 (or x-amz-checksum-*)")
        try:
            doc = ET.fromstring(self.body or b"")
        except ET.ParseError:
            raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed")
        n = sum(1 for e in doc.iter() if e.tag.split("}")[-1] == "Object")
        if n == 0 or n > 1000:
            raise S3Error(400, "MalformedXML", f"DeleteObjects takes 1 to 1000 keys, not {n}")

    def check_complete(self, d):
        """What S3 checks in CompleteMultipartUpload and s3rver does not."""
        try:
            doc = ET.fromstring(self.body or b"")
        except ET.ParseError:
            raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate "
                          "against our published schema")
        ns = ""
        if doc.tag.startswith("{"):
            ns = doc.tag.split("}")[0] + "}"
        if doc.tag != ns + "CompleteMultipartUpload":
            raise S3Error(400, "MalformedXML", f"Expected CompleteMultipartUpload, not {doc.tag}")
        listed = []
        for part in doc.findall(ns + "Part"):
            n, etag = part.findtext(ns + "PartNumber"), part.findtext(ns + "ETag")
            if n is None or not n.strip().isdigit() or etag is None:
                raise S3Error(400, "MalformedXML", "Each Part needs a PartNumber and an ETag")
            listed.append((int(n), etag.strip().strip('"')))
        if not listed:
            raise S3Error(400, "MalformedXML", "The XML you provided did not list any part")
        nums = [n for n, _ in listed]
        if nums != sorted(nums) or len(set(nums)) != len(nums):
            raise S3Error(400, "InvalidPartOrder",
                          "The list of parts was not in ascending order. Parts must be ordered by part number.")
        have = self.parts_of(d)
        for i, (n, etag) in enumerate(listed):
            if n not in have or have[n][0] != etag:
                raise S3Error(400, "InvalidPart",
                              "One or more of the specified parts could not be found. The part may not have "
                              "been uploaded, or the specified entity tag may not match the part's entity tag.",
                              PartNumber=n, ETag=etag)
            if i < len(listed) - 1 and have[n][1] < self.proxy.args.min_part_size:
                raise S3Error(400, "EntityTooSmall",
                              "Your proposed upload is smaller than the minimum allowed object size.",
                              ProposedSize=have[n][1], MinSizeAllowed=self.proxy.args.min_part_size,
                              PartNumber=n, ETag=etag)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="listen port (0: any free one)")
    ap.add_argument("--upstream", required=True, help="s3rver's http://127.0.0.1:PORT")
    ap.add_argument("--data-dir", required=True, help="s3rver's --directory")
    ap.add_argument("--state-dir", required=True,
                    help="keys.json, faults.json, faults.fired.json, requests.log, proxy.port")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--min-part-size", type=int, default=5 * 1024 * 1024)
    args = ap.parse_args()
    Handler.proxy = Proxy(args)
    srv = Server(("127.0.0.1", args.port), Handler)
    port = srv.server_address[1]
    tmp = os.path.join(args.state_dir, "proxy.port.tmp")
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, os.path.join(args.state_dir, "proxy.port"))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
