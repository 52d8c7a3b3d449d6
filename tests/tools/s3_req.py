#!/usr/bin/python3
"""s3_req.py — hand-made S3 requests signed by botocore, for negative tests.

  /usr/bin/python3 tests/tools/s3_req.py METHOD PATH [options]

PATH is sent as given (e.g. /lake/run=1/x or /lake/run%3D1/x); the endpoint
and keys come from AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION.  Prints "STATUS CODE"
(CODE from an S3 error body, or "-") on stdout and the body on stderr; exits
0 whatever the status (the caller checks it).  tests/tools/s3_edge.py uses
send() the same way.

Options that break the request the way a buggy signer would:
  --body TEXT           the request body
  --sign-raw-path       sign the path exactly as sent (curl 7.88's bug: a key
                        with = signed as = instead of %3D); by default the
                        path is signed URI-encoded, as S3 wants
  --no-sha              send no x-amz-content-sha256
  --wrong-sha           x-amz-content-sha256 (signed) of another body
  --unsigned-header H:V add a header after signing
  --skip-token          neither send nor sign the session token
  --skew SECONDS        sign with a clock that far off
  --region R            sign for another region
"""
import argparse
import datetime
import hashlib
import http.client
import os
import sys
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree as ET

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def send(method, path, body=b"", headers=None, sign_raw_path=False, no_sha=False, wrong_sha=False,
         unsigned_header=None, skip_token=False, skew=0, region=None, env=None, chunked=False):
    """One request; returns (status, S3 error code or "-", body bytes, response headers)."""
    env = os.environ if env is None else env
    ep = urlsplit(env["AWS_ENDPOINT_URL_S3"])
    if isinstance(body, str):
        body = body.encode()
    raw_path, _, query = path.partition("?")
    signed_path = raw_path if sign_raw_path else quote(unquote(raw_path), safe="/~")
    token = None if skip_token else (env.get("AWS_SESSION_TOKEN") or None)
    creds = Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], token)
    url = f"http://{ep.netloc}{signed_path}" + (f"?{query}" if query else "")
    req = AWSRequest(method=method, url=url, data=body + (b"x" if wrong_sha else b""))
    req.headers["Host"] = ep.netloc
    for k, v in (headers or {}).items():
        req.headers[k] = v
    auth = S3SigV4Auth(creds, "s3", region or env.get("AWS_REGION", "us-east-1"))
    when = datetime.datetime.utcnow() + datetime.timedelta(seconds=skew)
    req.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
    auth._modify_request_before_signing(req)  # what add_auth does, with our clock
    if no_sha:
        del req.headers["X-Amz-Content-SHA256"]
    cr = auth.canonical_request(req)
    sig = auth.signature(auth.string_to_sign(req, cr), req)
    auth._inject_signature_to_request(req, sig)
    out = dict(req.headers.items())
    if unsigned_header:
        k, _, v = unsigned_header.partition(":")
        out[k] = v
    c = http.client.HTTPConnection(ep.hostname, ep.port, timeout=30)
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in out.items():
        c.putheader(k, v)
    if chunked:
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        c.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    else:
        c.putheader("Content-Length", str(len(body)))
        c.endheaders()
        if body:
            c.send(body)
    r = c.getresponse()
    data = r.read()
    c.close()
    code = "-"
    if r.status >= 300 and data:
        try:
            code = ET.fromstring(data).findtext("Code") or "-"
        except ET.ParseError:
            pass
    return r.status, code, data, dict(r.getheaders())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("method")
    ap.add_argument("path")
    ap.add_argument("--body", default="")
    ap.add_argument("--sign-raw-path", action="store_true")
    ap.add_argument("--no-sha", action="store_true")
    ap.add_argument("--wrong-sha", action="store_true")
    ap.add_argument("--unsigned-header")
    ap.add_argument("--skip-token", action="store_true")
    ap.add_argument("--skew", type=int, default=0)
    ap.add_argument("--region")
    a = ap.parse_args()
    status, code, data, _ = send(a.method, a.path, a.body, sign_raw_path=a.sign_raw_path, no_sha=a.no_sha,
                                 wrong_sha=a.wrong_sha, unsigned_header=a.unsigned_header,
                                 skip_token=a.skip_token, skew=a.skew, region=a.region)
    print(f"{status} {code}")
    sys.stderr.write(data.decode("utf-8", "replace") + "\n")


if __name__ == "__main__":
    main()
