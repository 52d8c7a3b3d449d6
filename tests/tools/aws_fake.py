#!/usr/bin/python3
"""aws_fake.py — local AWS endpoints for tests/e2e/aws_creds.sh, on 127.0.0.1.

One server plays every part, chosen by path:

  PUT  /latest/api/token                        IMDSv2 session token
  GET  /latest/meta-data/iam/security-credentials/[ROLE]   IMDSv2 role, credentials
  GET  /ecs/creds                               ECS container credentials
                                                (Authorization must be ECS_AUTH)
  GET  /ecs/once                                the same, once; then HTTP 500
  POST /sts/                                    STS AssumeRoleWithWebIdentity
                                                (the token must be WEB_TOKEN)
  anything else                                 a service request whose SigV4
                                                signature is checked with botocore

Credentials it hands out are numbered (AKIDISSUED0001, …), expire after
--ttl seconds, and their secrets hold "do-not-print" so the tests can grep
any output for a leak.  The static key AKIDSTATIC (secret STATIC_SECRET) is
also accepted.

Signature checks use botocore (python3-botocore): S3SigV4Auth for service s3,
SigV4Auth otherwise, over the request exactly as received (raw path and query,
the headers named in SignedHeaders, the body).  A bad signature is answered
403 SignatureDoesNotMatch, expired credentials 400 ExpiredToken.

Faults, by a path segment (counted per METHOD+path):
  fail503xN   the first N requests get 503 SlowDown (S3 XML)
  throttleN   the first N get 400 ThrottlingException (JSON)
  resetN      the first N have their connection reset (body unread)
  truncateN   the first N get half of the announced body, then a close
  always503   every request gets 503 SlowDown
  expiredN    the first N get 400 ExpiredToken (as if the token were revoked)
  slow        the answer comes after 30 s (interrupt tests)
  missing     404 NoSuchKey
JSON calls (X-Amz-Target): "Test.NotFound" answers 400
EntityNotFoundException; others echo the request.

Every request is logged as one JSON line to --log.
"""
import argparse
import datetime
import hashlib
import json
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ECS_AUTH = "ecs-auth-do-not-print"
WEB_TOKEN = "web-identity-do-not-print"
STATIC_ID = "AKIDSTATIC"
STATIC_SECRET = "static-secret-do-not-print"

lock = threading.Lock()
issued = {}  # akid -> (secret, token, expiry)
counts = {}
serial = [0]
args = None


def log(entry):
    with lock:
        with open(args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


def issue():
    with lock:
        serial[0] += 1
        n = serial[0]
    akid = "AKIDISSUED%04d" % n
    secret = "issued-secret-%d-do-not-print" % n
    token = "issued-token-%d-do-not-print" % n
    expiry = time.time() + args.ttl
    with lock:
        issued[akid] = (secret, token, expiry)
    iso = datetime.datetime.utcfromtimestamp(expiry).strftime("%Y-%m-%dT%H:%M:%SZ")
    return akid, secret, token, iso


def bump(key):
    with lock:
        counts[key] = counts.get(key, 0) + 1
        return counts[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def answer(self, status, body=b"", ctype="application/xml", extra=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        # S3 names its request id x-amz-request-id, the JSON services x-amzn-RequestId.
        if "x-amzn-RequestId" not in (extra or {}):
            self.send_header("x-amz-request-id", "REQ%06d" % bump("request-id"))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def s3_error(self, status, code, message):
        self.answer(status, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
                    "<Message>%s</Message><RequestId>XMLREQ1</RequestId></Error>" % (code, message))

    # ---------------------------------------------------------- IMDS
    def do_PUT(self):
        if self.path == "/latest/api/token":
            self.body()
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.answer(400, "missing ttl")
            log({"kind": "imds-token"})
            return self.answer(200, "imds-session-do-not-print", "text/plain")
        return self.service()

    def do_GET(self):
        p = self.path
        if p.startswith("/latest/meta-data/iam/security-credentials/"):
            if self.headers.get("X-aws-ec2-metadata-token") != "imds-session-do-not-print":
                return self.answer(401, "")
            role = p[len("/latest/meta-data/iam/security-credentials/"):]
            if role == "":
                return self.answer(200, "snaplake-role", "text/plain")
            if role != "snaplake-role":
                return self.answer(404, "")
            akid, secret, token, iso = issue()
            log({"kind": "imds-creds", "akid": akid})
            return self.answer(200, json.dumps({"Code": "Success", "Type": "AWS-HMAC",
                                                "AccessKeyId": akid, "SecretAccessKey": secret,
                                                "Token": token, "Expiration": iso}),
                               "application/json")
        if p == "/ecs/once" and bump("ecs-once") > 1:
            log({"kind": "ecs-fail"})
            return self.answer(500, "")
        if p in ("/ecs/creds", "/ecs/once"):
            if self.headers.get("Authorization") != ECS_AUTH:
                log({"kind": "ecs-denied"})
                return self.answer(401, "")
            akid, secret, token, iso = issue()
            log({"kind": "ecs-creds", "akid": akid})
            return self.answer(200, json.dumps({"AccessKeyId": akid, "SecretAccessKey": secret,
                                                "Token": token, "Expiration": iso,
                                                "RoleArn": "arn:aws:iam::1:role/x"}),
                               "application/json")
        return self.service()

    def do_POST(self):
        if self.path == "/sts/":
            form = urllib.parse.parse_qs(self.body().decode())
            ok = (form.get("Action") == ["AssumeRoleWithWebIdentity"]
                  and form.get("WebIdentityToken") == [WEB_TOKEN]
                  and form.get("RoleArn", [""])[0].startswith("arn:aws:iam::"))
            log({"kind": "sts", "ok": ok, "session": form.get("RoleSessionName", [""])[0]})
            if not ok:
                return self.answer(400, "<ErrorResponse><Error><Type>Sender</Type><Code>"
                                   "InvalidIdentityToken</Code><Message>bad token</Message>"
                                   "</Error><RequestId>STSREQ</RequestId></ErrorResponse>")
            akid, secret, token, iso = issue()
            return self.answer(200, "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                               "<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s"
                               "</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s"
                               "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
                               "</AssumeRoleWithWebIdentityResponse>" % (akid, secret, token, iso))
        return self.service()

    def do_DELETE(self):
        return self.service()

    def do_HEAD(self):
        return self.service()

    # ------------------------------------------------------ services
    def verify(self, body):
        """(ok, why, akid, service) for the request's SigV4 signature."""
        from botocore.auth import S3SigV4Auth, SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        auth = self.headers.get("Authorization", "")
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
        if not m:
            return False, "malformed Authorization", "", ""
        akid, day, region, service, signed, signature = m.groups()
        if akid == STATIC_ID:
            secret, token, expiry = STATIC_SECRET, None, None
        elif akid in issued:
            secret, token, expiry = issued[akid]
        else:
            return False, "InvalidAccessKeyId", akid, service
        if expiry is not None and time.time() > expiry:
            return False, "ExpiredToken", akid, service
        if token is not None and self.headers.get("X-Amz-Security-Token") != token:
            return False, "session token missing or wrong", akid, service
        if token is not None and "x-amz-security-token" not in signed.split(";"):
            return False, "session token not signed", akid, service
        amz_date = self.headers.get("X-Amz-Date", "")
        if not amz_date.startswith(day):
            return False, "X-Amz-Date does not match the scope", akid, service
        skew = abs(time.time() - datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
                   .replace(tzinfo=datetime.timezone.utc).timestamp())
        if skew > 900:
            return False, "RequestTimeTooSkewed", akid, service
        headers = {}
        for name in signed.split(";"):
            values = self.headers.get_all(name)
            if values is None:
                return False, "signed header %s missing" % name, akid, service
            headers[name] = ",".join(values)
        if service == "s3":
            sha = self.headers.get("x-amz-content-sha256")
            if not sha or "x-amz-content-sha256" not in signed.split(";"):
                return False, "x-amz-content-sha256 missing or unsigned", akid, service
            if sha != "UNSIGNED-PAYLOAD" and sha != hashlib.sha256(body).hexdigest():
                return False, "XAmzContentSHA256Mismatch", akid, service
        req = AWSRequest(method=self.command, url="http://%s%s" % (self.headers["Host"], self.path),
                         headers=headers, data=body)
        req.context["timestamp"] = amz_date
        cls = S3SigV4Auth if service == "s3" else SigV4Auth
        signer = cls(Credentials(akid, secret, token), service, region)
        cr = signer.canonical_request(req)
        expected = signer.signature(signer.string_to_sign(req, cr), req)
        if set(signed.split(";")) != set(signer.headers_to_sign(req).keys()):
            return False, "SignedHeaders differ from botocore's", akid, service
        if expected != signature:
            return False, "SignatureDoesNotMatch (botocore canonical request: %r)" % cr, akid, service
        return True, "", akid, service

    def service(self):
        path = self.path
        segments = urllib.parse.urlsplit(path).path.split("/")
        key = self.command + " " + path
        n = bump(key)
        for seg in segments:
            m = re.fullmatch(r"reset(\d+)", seg)
            if m and n <= int(m.group(1)):
                log({"kind": "request", "path": path, "fault": "reset", "n": n})
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
        body = self.body()
        ok, why, akid, service = self.verify(body)
        entry = {"kind": "request", "method": self.command, "path": path, "ok": ok, "akid": akid,
                 "service": service, "n": n, "target": self.headers.get("X-Amz-Target")}
        if not ok:
            entry["why"] = why
            log(entry)
            if why == "ExpiredToken":
                return self.s3_error(400, "ExpiredToken", "The provided token has expired.")
            return self.s3_error(403, "SignatureDoesNotMatch", why.replace("<", "&lt;"))
        for seg in segments:
            m = re.fullmatch(r"expired(\d+)", seg)
            if m and n <= int(m.group(1)):
                entry["fault"] = "expired"
                log(entry)
                return self.s3_error(400, "ExpiredToken", "The provided token has expired.")
            m = re.fullmatch(r"fail503x(\d+)", seg)
            if (m and n <= int(m.group(1))) or seg == "always503":
                entry["fault"] = "503"
                log(entry)
                return self.s3_error(503, "SlowDown", "Please reduce your request rate.")
            m = re.fullmatch(r"throttle(\d+)", seg)
            if m and n <= int(m.group(1)):
                entry["fault"] = "throttle"
                log(entry)
                return self.answer(400, json.dumps({"__type": "com.amazon.coral.availability#ThrottlingException",
                                                    "message": "Rate exceeded"}),
                                   "application/x-amz-json-1.1")
            m = re.fullmatch(r"truncate(\d+)", seg)
            if m and n <= int(m.group(1)):
                entry["fault"] = "truncate"
                log(entry)
                full = b"0123456789" * 20
                self.send_response(200)
                self.send_header("Content-Length", str(len(full)))
                self.end_headers()
                self.wfile.write(full[:len(full) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if seg == "slow":
                log(entry)
                time.sleep(30)
                return self.answer(200, "late")
            if seg == "missing":
                log(entry)
                return self.s3_error(404, "NoSuchKey", "The specified key does not exist.")
        log(entry)
        target = self.headers.get("X-Amz-Target")
        if target == "Test.NotFound":
            return self.answer(400, json.dumps({"__type": "com.amazonaws.glue#EntityNotFoundException",
                                                "message": "Table x not found"}),
                               "application/x-amz-json-1.1", {"x-amzn-RequestId": "JSONREQ1"})
        if target:
            return self.answer(200, json.dumps({"target": target, "echo": json.loads(body or b"{}")}),
                               "application/x-amz-json-1.1")
        if self.command == "PUT":
            return self.answer(200, "", extra={"ETag": '"%s"' % hashlib.md5(body).hexdigest()})
        return self.answer(200, "ok %s %s" % (self.command, path), "text/plain")


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ttl", type=float, default=3600)
    args = ap.parse_args()
    import botocore.auth  # noqa: F401  fail now, not at the first request
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
