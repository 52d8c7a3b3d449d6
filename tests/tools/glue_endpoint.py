#!/usr/bin/python3
"""glue_endpoint.py — a local AWS Glue Data Catalog for the tests.

Speaks the JSON 1.1 protocol (POST /, Content-Type application/x-amz-json-1.1,
X-Amz-Target: AWSGlue.<Operation>) on 127.0.0.1, and checks every request the
way the real service would, with botocore (Debian's python3-botocore) as the
independent reference:

  - the operation exists in botocore's official Glue service model
    (service-2.json) and the body is valid for its input shape
    (botocore.validate.validate_parameters: required members, types, lengths,
    enums, unknown members) -> 400 InvalidInputException otherwise;
  - the SigV4 signature is recomputed with botocore.auth.SigV4Auth (service
    "glue", the region of the credential scope, the known secret) over the
    headers the request says it signed -> 403 InvalidSignatureException,
    UnrecognizedClientException (unknown key) or
    IncompleteSignatureException otherwise; x-amz-date within 15 minutes;
    the session token, when one is configured, must be sent and signed;
  - every answer is itself checked against the operation's output shape
    (a mistake here would otherwise pass unseen).

State is kept in memory: databases and tables (CreateDatabase, GetDatabase,
GetDatabases, CreateTable, GetTable, UpdateTable with SkipArchive and
VersionId, DeleteTable, GetTables with MaxResults/NextToken paging,
BatchDeleteTable, GetTableVersions).  Errors are the documented ones:
EntityNotFoundException, AlreadyExistsException, InvalidInputException,
ConcurrentModificationException (UpdateTable with a stale VersionId),
ResourceNumberLimitExceededException (more archived versions of a table
than --version-limit, Glue's 100 000 by default).

Faults on demand: --faults FILE names a JSON list read before every request,
e.g. [{"op": "UpdateTable", "error": "ThrottlingException", "status": 400,
"count": 2, "after": 0}]; a matching rule lets `after` matching calls through,
then answers that error `count` times (the file is rewritten as counts go down;
rules at 0 are dropped).  "op": "*" matches any operation.

Every call is appended to --log FILE as one JSON line:
  {"seq", "op", "request", "status", "error", "signed", "access_key"}.

Usage: glue_endpoint.py --port-file F --log F [--faults F] [--access-key K]
       [--secret-key S] [--session-token T] [--version-limit N]
The chosen port is written to --port-file once the server listens.
"""
import argparse
import base64
import datetime
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
import botocore.loaders
import botocore.model
import botocore.validate

MODEL = botocore.model.ServiceModel(
    botocore.loaders.create_loader().load_service_model("glue", "service-2"), "glue"
)
PREFIX = MODEL.metadata["targetPrefix"]  # AWSGlue


class GlueError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Catalog:
    """Databases and tables, as Glue keeps them (names folded to lowercase)."""

    def __init__(self, version_limit):
        self.lock = threading.Lock()
        self.databases = {}  # name -> {"Name", ..., "CreateTime"}
        self.tables = {}  # (db, name) -> {"table": {...}, "versions": [..]}
        self.version_limit = version_limit

    def db(self, name):
        d = self.databases.get(name.lower())
        if d is None:
            raise GlueError("EntityNotFoundException", f"Database {name} not found.")
        return d

    def table(self, db, name):
        self.db(db)
        t = self.tables.get((db.lower(), name.lower()))
        if t is None:
            raise GlueError("EntityNotFoundException", f"Table {name} not found.")
        return t

    # ---- operations: request dict -> response dict
    def CreateDatabase(self, r):
        inp = r["DatabaseInput"]
        name = inp["Name"].lower()
        if name in self.databases:
            raise GlueError("AlreadyExistsException", f"Database already exists.")
        d = dict(inp, Name=name, CreateTime=time.time(), CatalogId="123456789012")
        self.databases[name] = d
        return {}

    def GetDatabase(self, r):
        return {"Database": self.db(r["Name"])}

    def GetDatabases(self, r):
        return {"DatabaseList": [self.databases[k] for k in sorted(self.databases)]}

    def _table_out(self, db, t):
        return dict(t["table"], DatabaseName=db.lower())

    def CreateTable(self, r):
        db = r["DatabaseName"]
        self.db(db)
        inp = r["TableInput"]
        key = (db.lower(), inp["Name"].lower())
        if key in self.tables:
            raise GlueError("AlreadyExistsException", f"Table already exists.")
        now = time.time()
        table = dict(inp, Name=key[1], CreateTime=now, UpdateTime=now, VersionId="1",
                     CatalogId="123456789012", IsRegisteredWithLakeFormation=False)
        self.tables[key] = {"table": table, "versions": []}
        return {}

    def GetTable(self, r):
        t = self.table(r["DatabaseName"], r["Name"])
        return {"Table": self._table_out(r["DatabaseName"], t)}

    def UpdateTable(self, r):
        db = r["DatabaseName"]
        inp = r["TableInput"]
        t = self.table(db, inp["Name"])
        old = t["table"]
        if "VersionId" in r and r["VersionId"] != old["VersionId"]:
            raise GlueError("ConcurrentModificationException",
                            f"Update table failed due to concurrent modifications: version "
                            f"{r['VersionId']} is not the current {old['VersionId']}.")
        if not r.get("SkipArchive", False):
            # Glue archives the previous version; past the limit updates fail.
            if len(t["versions"]) + 1 > self.version_limit:
                raise GlueError("ResourceNumberLimitExceededException",
                                "Number of table versions exceeds the limit.")
            t["versions"].append(old)
        t["table"] = dict(inp, Name=old["Name"], CreateTime=old["CreateTime"],
                          UpdateTime=time.time(), VersionId=str(int(old["VersionId"]) + 1),
                          CatalogId=old["CatalogId"], IsRegisteredWithLakeFormation=False)
        return {}

    def DeleteTable(self, r):
        self.table(r["DatabaseName"], r["Name"])
        del self.tables[(r["DatabaseName"].lower(), r["Name"].lower())]
        return {}

    def BatchDeleteTable(self, r):
        db = r["DatabaseName"]
        self.db(db)
        errors = []
        for name in r["TablesToDelete"]:
            key = (db.lower(), name.lower())
            if key in self.tables:
                del self.tables[key]
            else:
                errors.append({"TableName": name, "ErrorDetail": {
                    "ErrorCode": "EntityNotFoundException",
                    "ErrorMessage": f"Table {name} not found."}})
        return {"Errors": errors}

    def GetTables(self, r):
        db = r["DatabaseName"]
        self.db(db)
        names = sorted(k[1] for k in self.tables if k[0] == db.lower())
        if r.get("Expression"):
            rx = re.compile(r["Expression"].replace("*", ".*"))
            names = [n for n in names if rx.fullmatch(n)]
        start = 0
        if r.get("NextToken"):
            try:
                start = int(base64.b64decode(r["NextToken"]).decode())
            except Exception:
                raise GlueError("InvalidInputException", "Invalid NextToken.")
        size = r.get("MaxResults", 100)
        page = names[start:start + size]
        out = {"TableList": [self._table_out(db, self.tables[(db.lower(), n)]) for n in page]}
        if start + size < len(names):
            out["NextToken"] = base64.b64encode(str(start + size).encode()).decode()
        return out

    def GetTableVersions(self, r):
        t = self.table(r["DatabaseName"], r["TableName"])
        versions = t["versions"] + [t["table"]]
        return {"TableVersions": [{"Table": dict(v, DatabaseName=r["DatabaseName"].lower()),
                                   "VersionId": v["VersionId"]} for v in versions]}


def check_signature(handler, body, opts):
    """SigV4 of the request, recomputed by botocore; GlueError when wrong.
    Returns the access key id."""
    h = handler.headers
    auth = h.get("Authorization", "")
    m = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,"
                     r"\s*SignedHeaders=([a-z0-9;\-]+),\s*Signature=([0-9a-f]{64})", auth)
    if not m:
        raise GlueError("IncompleteSignatureException",
                        f"Authorization header malformed: {auth[:80]!r}", 403)
    key, day, region, service, signed, signature = m.groups()
    if key != opts.access_key:
        raise GlueError("UnrecognizedClientException",
                        "The security token included in the request is invalid.", 403)
    if service != "glue":
        raise GlueError("InvalidSignatureException",
                        f"Credential should be scoped to correct service: 'glue', not {service!r}.",
                        403)
    amz_date = h.get("X-Amz-Date", "")
    if not amz_date.startswith(day):
        raise GlueError("InvalidSignatureException", "Date in Credential scope does not match "
                        "X-Amz-Date.", 403)
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc)
    if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 900:
        raise GlueError("InvalidSignatureException", "Signature expired.", 403)
    names = signed.split(";")
    for need in ("host", "x-amz-date", "x-amz-target"):
        if need not in names:
            raise GlueError("InvalidSignatureException", f"{need} is not signed.", 403)
    if opts.session_token:
        if h.get("X-Amz-Security-Token") != opts.session_token:
            raise GlueError("UnrecognizedClientException",
                            "The security token included in the request is invalid.", 403)
        if "x-amz-security-token" not in names:
            raise GlueError("InvalidSignatureException", "x-amz-security-token is not signed.",
                            403)
    headers = {}
    for n in names:
        values = h.get_all(n)
        if not values:
            raise GlueError("InvalidSignatureException", f"signed header {n} is absent.", 403)
        headers[n] = ",".join(values)
    req = botocore.awsrequest.AWSRequest(method=handler.command,
                                         url=f"http://{h.get('Host')}{handler.path}",
                                         headers=headers, data=body)
    req.context["timestamp"] = amz_date
    creds = botocore.credentials.Credentials(opts.access_key, opts.secret_key,
                                             opts.session_token or None)
    signer = botocore.auth.SigV4Auth(creds, "glue", region)
    canonical = signer.canonical_request(req)
    expected = signer.signature(signer.string_to_sign(req, canonical), req)
    if expected != signature:
        raise GlueError("InvalidSignatureException",
                        "The request signature we calculated does not match the signature you "
                        f"provided.  The canonical request was: {canonical!r}", 403)
    return key


def take_fault(path, op):
    """The first fault rule matching op (its count taken down), or None."""
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read()
    rules = json.loads(text) if text.strip() else []
    hit, changed = None, False
    for rule in rules:
        if rule.get("count", 1) > 0 and rule.get("op", "*") in ("*", op):
            if rule.get("after", 0) > 0:  # let this many matching calls through first
                rule["after"] -= 1
                changed = True
                continue
            hit = dict(rule)
            rule["count"] = rule.get("count", 1) - 1
            break
    if hit or changed:
        with open(path + ".tmp", "w") as f:
            json.dump([r for r in rules if r.get("count", 1) > 0], f)
        os.replace(path + ".tmp", path)
    return hit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: the JSON log records the calls
        pass

    def answer(self, status, obj, error=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", f"req-{self.server.seq}")
        if error:
            self.send_header("x-amzn-ErrorType", f"{error}:")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(404, {"__type": "UnknownOperationException", "message": "POST only"},
                    "UnknownOperationException")

    def do_POST(self):
        srv = self.server
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        target = self.headers.get("X-Amz-Target", "")
        op = target[len(PREFIX) + 1:] if target.startswith(PREFIX + ".") else ""
        entry = {"op": op or target, "request": None, "status": 200, "error": None,
                 "signed": False, "access_key": None}
        try:
            with srv.catalog.lock:
                srv.seq += 1
                entry["seq"] = srv.seq
            entry["access_key"] = check_signature(self, body, srv.opts)
            entry["signed"] = True
            ctype = self.headers.get("Content-Type", "")
            if ctype != "application/x-amz-json-1.1":
                raise GlueError("InvalidInputException",
                                f"Content-Type must be application/x-amz-json-1.1, not {ctype!r}")
            if op not in MODEL.operation_names:
                raise GlueError("UnknownOperationException", f"unknown target {target!r}")
            try:
                params = json.loads(body or b"{}")
            except ValueError as e:
                raise GlueError("SerializationException", f"body is not JSON: {e}")
            entry["request"] = params
            model = MODEL.operation_model(op)
            try:
                botocore.validate.validate_parameters(params, model.input_shape)
            except botocore.exceptions.ParamValidationError as e:
                raise GlueError("InvalidInputException", f"{op}: {e}")
            fault = take_fault(srv.opts.faults, op)
            if fault:
                raise GlueError(fault["error"], fault.get("message", "Rate exceeded"),
                                fault.get("status", 400))
            fn = getattr(srv.catalog, op, None)
            if fn is None:
                raise GlueError("InternalServiceException",
                                f"{op} is valid but this test endpoint does not implement it", 500)
            with srv.catalog.lock:
                out = fn(params)
            try:
                botocore.validate.validate_parameters(out, model.output_shape)
            except botocore.exceptions.ParamValidationError as e:
                raise GlueError("InternalServiceException", f"endpoint bug: answer invalid: {e}",
                                500)
            self.answer(200, out)
        except GlueError as e:
            entry["status"], entry["error"] = e.status, e.code
            entry["message"] = e.message
            self.answer(e.status, {"__type": e.code, "Message": e.message}, e.code)
        except Exception as e:  # an endpoint bug: say so, loudly, as a 500
            import traceback
            traceback.print_exc()
            entry["status"], entry["error"] = 500, "InternalServiceException"
            entry["message"] = f"endpoint bug: {e!r}"
            self.answer(500, {"__type": "InternalServiceException", "Message": entry["message"]},
                        "InternalServiceException")
        with srv.log_lock:
            with open(srv.opts.log, "a") as f:
                f.write(json.dumps(entry, default=str) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--faults")
    ap.add_argument("--access-key", default="AKIDGLUETEST")
    ap.add_argument("--secret-key", default="glue-test-secret")
    ap.add_argument("--session-token", default="")
    ap.add_argument("--version-limit", type=int, default=100000)
    opts = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.opts, srv.catalog, srv.seq = opts, Catalog(opts.version_limit), 0
    srv.log_lock = threading.Lock()
    with open(opts.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(opts.port_file + ".tmp", opts.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
