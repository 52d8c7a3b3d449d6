#!/usr/bin/python3
"""s3_req.py — one hand-made S3 request, signed by botocore, for negative tests.

  /usr/bin/python3 tests/tools/s3_req.py METHOD PATH [options]

PATH is sent as given (e.g. /lake/run=1/x or /lake/run%3D1/x); the endpoint
and keys come from AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION.  Prints the status
line "STATUS CODE" (CODE from an S3 error body, or "-"), then the body on
stderr.  Exit 0 whatever the status (the caller checks it).

Options that break the request the way a buggy signer would:
  --body TEXT          the request body
  --sign-raw-path      sign the path exactly as sent (curl 7.88's bug: a key
                       with = is signed as = instead of %3D); by default the
                       path is signed URI-encoded, as S3 wants
  --no-sha             send no x-amz-content-sha256
  --wrong-sha          x-amz-content-sha256 of another body
  --unsigned-header H:V  add an x-amz-* header after signing
  --skip-token         do not send (nor sign) the session token
"""
import argparse
import http.client
import os
import sys
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree as ET

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
import hashlib


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
    a = ap.parse_args()
    ep = urlsplit(os.environ["AWS_ENDPOINT_URL_S3"])
    body = a.body.encode()
    raw_path, _, query = a.path.partition("?")
    signed_path = raw_path if a.sign_raw_path else quote(unquote(raw_path), safe="/~")
    token = None if a.skip_token else (os.environ.get("AWS_SESSION_TOKEN") or None)
    creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], token)
    url = f"http://{ep.netloc}{signed_path}" + (f"?{query}" if query else "")
    req = AWSRequest(method=a.method, url=url, data=body)
    req.headers["Host"] = ep.netloc
    S3SigV4Auth(creds, "s3", os.environ.get("AWS_REGION", "us-east-1")).add_auth(req)
    headers = dict(req.headers.items())
    if a.no_sha:
        # Re-sign without the header: botocore's S3 signer always adds it.
        from botocore.auth import SigV4Auth
        req = AWSRequest(method=a.method, url=url, data=body)
        req.headers["Host"] = ep.netloc
        SigV4Auth(creds, "s3", os.environ.get("AWS_REGION", "us-east-1")).add_auth(req)
        headers = {k: v for k, v in req.headers.items() if k.lower() != "x-amz-content-sha256"}
    if a.wrong_sha:
        other = hashlib.sha256(body + b"x").hexdigest()
        req = AWSRequest(method=a.method, url=url, data=body + b"x")
        req.headers["Host"] = ep.netloc
        S3SigV4Auth(creds, "s3", os.environ.get("AWS_REGION", "us-east-1")).add_auth(req)
        headers = dict(req.headers.items())
        assert headers["X-Amz-Content-SHA256"] == other
    if a.unsigned_header:
        k, _, v = a.unsigned_header.partition(":")
        headers[k] = v
    headers["Content-Length"] = str(len(body))
    c = http.client.HTTPConnection(ep.hostname, ep.port, timeout=30)
    c.putrequest(a.method, a.path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        c.putheader(k, v)
    c.endheaders()
    if body:
        c.send(body)
    r = c.getresponse()
    data = r.read()
    code = "-"
    if r.status >= 300 and data:
        try:
            code = ET.fromstring(data).findtext("Code") or "-"
        except ET.ParseError:
            pass
    print(f"{r.status} {code}")
    sys.stderr.write(data.decode("utf-8", "replace") + "\n")


if __name__ == "__main__":
    main()
