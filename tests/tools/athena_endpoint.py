#!/usr/bin/python3
"""athena_endpoint.py — a local Amazon Athena endpoint for tests/e2e/athena.sh, on 127.0.0.1.

Run with Debian's /usr/bin/python3 (python3-botocore).  Every request is
checked as AWS would:
  * POST / with Content-Type application/x-amz-json-1.1 and
    X-Amz-Target AmazonAthena.<Operation>, the operation one of botocore's
    athena service-2.json;
  * the SigV4 signature recomputed with botocore.auth.SigV4Auth (service
    athena) over the request as received, key AKIDSTATIC / STATIC_SECRET;
  * the JSON body validated against the operation's input shape
    (botocore.validate.validate_parameters: required members, types,
    lengths such as ClientRequestToken's 32..128), and every answer this
    fake makes against the output shape (a fake bug is logged as such).
A failed check is answered as Athena would (403 InvalidSignatureException,
400 InvalidRequestException) and logged with "violation".

Behaviour (the documented API, not Athena's SQL: nothing is executed):
  StartQueryExecution  a ClientRequestToken seen before returns the same
                       QueryExecutionId (Athena's idempotency) and is logged
                       "replay"; else a new execution.
  GetQueryExecution    QUEUED, then RUNNING, then the end state, one step
                       per call; SUCCEEDED, or FAILED with StateChangeReason
                       and AthenaError, or RUNNING until stopped.
  StopQueryExecution   the execution becomes CANCELLED.
A successful CTAS (CREATE TABLE "db"."t" WITH (…external_location = '…') AS
…) copies --parquet into the location (file:// URLs, or s3:// through the S3
endpoint of AWS_ENDPOINT_URL_S3 with botocore's S3 client) under an Athena-like name; CREATE DATABASE / CREATE EXTERNAL
TABLE / DROP TABLE keep names, and a statement naming an unknown database or
table FAILS as Athena does (a user error).

Faults: --throttle N (the first N requests: 400 TooManyRequestsException),
--fail503 N (the first N: 503), --lose-start N (the first N
StartQueryExecution are processed, then the connection is reset before the
answer: the client's retry must bring the same token); SQL containing
nosuchcolumn (FAILED, user error, not retryable), internal_once (FAILED the
first time, ErrorCategory 1 Retryable true), slow_forever (RUNNING until
StopQueryExecution), poll_denied (GetQueryExecution refused with
AccessDeniedException; the query runs until StopQueryExecution).

Every request is logged as one JSON line to --log.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import socket
import struct
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.loaders
import botocore.model
import botocore.validate
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

STATIC_ID = "AKIDSTATIC"
STATIC_SECRET = "static-secret-do-not-print"

lock = threading.RLock()  # log() takes it too, also from inside a locked section
executions = {}  # id -> dict
tokens = {}  # ClientRequestToken -> id
databases = set()
tables = {}
counts = {"requests": 0, "starts": 0, "internal_once": False}
args = None
MODEL = botocore.model.ServiceModel(
    botocore.loaders.create_loader().load_service_model("athena", "service-2"), "athena")


def log(entry):
    entry["t"] = round(time.time(), 3)
    with lock, open(args.log, "a") as f:
        f.write(json.dumps(entry) + "\n")


def verify(handler, body):
    auth = handler.headers.get("Authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
    if not m:
        return "malformed Authorization"
    akid, day, region, service, signed, signature = m.groups()
    if akid != STATIC_ID:
        return "unknown access key %s" % akid
    if service != "athena":
        return "signed for service %s, not athena" % service
    amz_date = handler.headers.get("X-Amz-Date", "")
    headers = {}
    for name in signed.split(";"):
        v = handler.headers.get_all(name)
        if v is None:
            return "signed header %s missing" % name
        headers[name] = ",".join(v)
    req = AWSRequest(method=handler.command, url="http://%s%s" % (handler.headers["Host"], handler.path),
                     headers=headers, data=body)
    req.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(akid, STATIC_SECRET), "athena", region)
    cr = signer.canonical_request(req)
    if signer.signature(signer.string_to_sign(req, cr), req) != signature:
        return "SignatureDoesNotMatch (botocore canonical request: %r)" % cr
    return None


def now():
    return time.time()


def user_failure(reason):
    return {"State": "FAILED", "StateChangeReason": reason,
            "AthenaError": {"ErrorCategory": 2, "ErrorType": 1006, "Retryable": False,
                            "ErrorMessage": reason}}


QNAME = r'"([^"]+)"\."([^"]+)"'
BQNAME = r'`([^`]+)`\.`([^`]+)`'


def finish(e):
    """The end state of an execution: its effect on the fake's metastore."""
    sql = e["sql"].strip()
    if "nosuchcolumn" in sql:
        i = sql.find("nosuchcolumn")
        line = sql.count("\n", 0, i) + 1
        col = i - (sql.rfind("\n", 0, i) + 1) + 1
        return user_failure("COLUMN_NOT_FOUND: line %d:%d: Column 'nosuchcolumn' cannot be resolved "
                            "or requester is not authorized to access requested resources" % (line, col))
    if "internal_once" in sql and not counts["internal_once"]:
        counts["internal_once"] = True
        return {"State": "FAILED", "StateChangeReason": "GENERIC_INTERNAL_ERROR: Worker lost",
                "AthenaError": {"ErrorCategory": 1, "ErrorType": 401, "Retryable": True,
                                "ErrorMessage": "GENERIC_INTERNAL_ERROR: Worker lost"}}
    m = re.match(r"CREATE DATABASE IF NOT EXISTS `([^`]+)`$", sql)
    if m:
        databases.add(m.group(1))
        return {"State": "SUCCEEDED"}
    m = re.match(r"DROP TABLE IF EXISTS " + BQNAME + "$", sql)
    if m:
        tables.pop(m.groups(), None)
        return {"State": "SUCCEEDED"}
    m = re.match(r"CREATE EXTERNAL TABLE IF NOT EXISTS " + BQNAME + r" \((.*)\) STORED AS PARQUET "
                 r"LOCATION '([^']*)'$", sql, re.S)
    if m:
        if m.group(1) not in databases:
            return user_failure("FAILED: SemanticException [Error 10072]: Database does not exist: %s"
                                % m.group(1))
        tables[(m.group(1), m.group(2))] = m.group(4)
        return {"State": "SUCCEEDED"}
    m = re.match(r"CREATE TABLE " + QNAME + r" WITH \(format = 'PARQUET', write_compression = '(\w+)', "
                 r"external_location = '([^']*)'\) AS\n(.*)$", sql, re.S)
    if not m:
        return user_failure("the fake knows no such statement: %s" % sql[:100])
    db, name, codec, location, body = m.groups()
    if db not in databases:
        return user_failure("SCHEMA_NOT_FOUND: Schema '%s' does not exist" % db)
    if (db, name) in tables:
        return user_failure("TABLE_ALREADY_EXISTS: Table 'awsdatacatalog.%s.%s' already exists" % (db, name))
    for ref in re.findall(QNAME, body):
        if ref not in tables:
            return user_failure("TABLE_NOT_FOUND: Table 'awsdatacatalog.%s.%s' does not exist" % ref)
    if re.search(r"\b(raw|stage1|stage2)\.", body):
        return user_failure("SCHEMA_NOT_FOUND: a layer name reached Athena unrewritten")
    if location.startswith("s3://") and location.endswith("/"):
        return ctas_to_s3(db, name, codec, location, e)
    if not location.startswith("file://") or not location.endswith("/"):
        return user_failure("the fake writes only file://…/ or s3://…/ locations, not %s" % location)
    folder = location[len("file://"):]
    os.makedirs(folder, exist_ok=True)
    if os.listdir(folder):
        return user_failure("HIVE_PATH_ALREADY_EXISTS: Target directory for table '%s.%s' already "
                            "exists: %s. You may need to manually clean the data at location '%s' "
                            "before retrying." % (db, name, location, location))
    shutil.copyfile(args.parquet, os.path.join(folder, "%s_%s" % (e["id"], uuid.uuid4().hex[:8])))
    tables[(db, name)] = location
    e["codec"] = codec
    return {"State": "SUCCEEDED"}


def ctas_to_s3(db, name, codec, location, e):
    """The CTAS result into an S3 location, through the S3 endpoint the
    environment names (the tests' s3rver behind its verifying proxy), with
    botocore's own S3 client: an independent writer, as Athena is."""
    import botocore.config
    import botocore.session
    bucket, _, prefix = location[len("s3://"):].partition("/")
    s3 = botocore.session.get_session().create_client(
        "s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1",
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(s3={"addressing_style": "path"}))
    if s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0):
        return user_failure("HIVE_PATH_ALREADY_EXISTS: Target directory for table '%s.%s' already "
                            "exists: %s." % (db, name, location))
    with open(args.parquet, "rb") as f:
        s3.put_object(Bucket=bucket, Key="%s%s_%s" % (prefix, e["id"], uuid.uuid4().hex[:8]),
                      Body=f.read())
    tables[(db, name)] = location
    e["codec"] = codec
    return {"State": "SUCCEEDED"}


def execution_doc(e):
    status = {"State": e["state"], "SubmissionDateTime": e["submitted"]}
    if e["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
        status["CompletionDateTime"] = now()
    if e.get("end"):
        for k in ("StateChangeReason", "AthenaError"):
            if k in e["end"] and e["state"] == "FAILED":
                status[k] = e["end"][k]
    return {"QueryExecution": {
        "QueryExecutionId": e["id"], "Query": e["sql"],
        "StatementType": "DDL" if not e["sql"].startswith("CREATE TABLE \"") else "DML",
        "ResultConfiguration": {"OutputLocation": e["output"] + e["id"] + ".csv"},
        "Status": status, "WorkGroup": e["workgroup"],
        "Statistics": {"EngineExecutionTimeInMillis": 100, "DataScannedInBytes": 0},
        "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def answer(self, status, doc, entry, op=None):
        if op is not None and status == 200:
            try:
                botocore.validate.validate_parameters(doc, MODEL.operation_model(op).output_shape)
            except Exception as ex:  # the fake's own answer breaks the model: say so
                entry["fake_bug"] = str(ex)
        log(entry)
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def error(self, status, code, message, entry):
        entry["error"] = code
        return self.answer(status, {"__type": code, "Message": message}, entry)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        target = self.headers.get("X-Amz-Target", "")
        op = target.split(".", 1)[1] if target.startswith("AmazonAthena.") else None
        entry = {"op": op, "target": target}
        with lock:
            counts["requests"] += 1
            nreq = counts["requests"]
        why = verify(self, body)
        if why:
            entry["violation"] = why
            return self.error(403, "InvalidSignatureException", why, entry)
        if self.path != "/" or self.headers.get("Content-Type") != "application/x-amz-json-1.1":
            entry["violation"] = "path %s, Content-Type %s" % (self.path, self.headers.get("Content-Type"))
            return self.error(400, "InvalidRequestException", entry["violation"], entry)
        if op not in MODEL.operation_names:
            entry["violation"] = "unknown target %s" % target
            return self.error(400, "UnknownOperationException", entry["violation"], entry)
        try:
            params = json.loads(body or b"{}")
            botocore.validate.validate_parameters(params, MODEL.operation_model(op).input_shape)
        except Exception as ex:
            entry["violation"] = "invalid request: %s" % ex
            return self.error(400, "InvalidRequestException", str(ex), entry)
        entry["params"] = params
        if nreq <= args.fail503:
            entry["fault"] = "503"
            return self.error(503, "ServiceUnavailable", "Service unavailable", entry)
        if nreq <= args.fail503 + args.throttle:
            entry["fault"] = "throttle"
            return self.error(400, "TooManyRequestsException", "Rate exceeded", entry)
        return getattr(self, op)(params, entry)

    def StartQueryExecution(self, p, entry):
        with lock:
            token = p.get("ClientRequestToken")
            if token in tokens:
                entry["replay"] = tokens[token]
                return self.answer(200, {"QueryExecutionId": tokens[token]}, entry, "StartQueryExecution")
            qid = str(uuid.uuid4())
            executions[qid] = {"id": qid, "sql": p["QueryString"], "state": "QUEUED", "steps": 0,
                               "submitted": now(), "workgroup": p.get("WorkGroup", "primary"),
                               "output": p.get("ResultConfiguration", {}).get("OutputLocation", "")}
            tokens[token] = qid
            counts["starts"] += 1
            lose = counts["starts"] <= args.lose_start
        entry["execution"] = qid
        if lose:
            entry["fault"] = "lost answer"
            log(entry)
            # A reset: RST instead of an answer.  shutdown() reaches the fd
            # even while rfile/wfile still hold it (close() alone does not).
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        return self.answer(200, {"QueryExecutionId": qid}, entry, "StartQueryExecution")

    def GetQueryExecution(self, p, entry):
        with lock:
            e = executions.get(p["QueryExecutionId"])
            if not e:
                return self.error(400, "InvalidRequestException",
                                  "QueryExecution %s was not found" % p["QueryExecutionId"], entry)
            if "poll_denied" in e["sql"] and e["state"] in ("QUEUED", "RUNNING"):
                # A policy that allows StartQueryExecution but not
                # GetQueryExecution: the query runs on unseen.
                e["state"] = "RUNNING"
                return self.error(400, "AccessDeniedException",
                                  "User is not authorized to perform: athena:GetQueryExecution",
                                  entry)
            if e["state"] == "QUEUED":
                e["state"] = "RUNNING"
            elif e["state"] == "RUNNING" and "slow_forever" not in e["sql"]:
                e["end"] = finish(e)
                e["state"] = e["end"]["State"]
            entry["state"] = e["state"]
            doc = execution_doc(e)
        return self.answer(200, doc, entry, "GetQueryExecution")

    def StopQueryExecution(self, p, entry):
        with lock:
            e = executions.get(p["QueryExecutionId"])
            if e and e["state"] in ("QUEUED", "RUNNING"):
                e["state"] = "CANCELLED"
        entry["kind"] = "stop"
        return self.answer(200, {}, entry, "StopQueryExecution")

    def __getattr__(self, name):
        if name in MODEL.operation_names:
            return lambda p, entry: self.error(400, "InvalidRequestException",
                                               "the fake does not implement %s" % name, entry)
        raise AttributeError(name)


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--parquet", required=True)
    ap.add_argument("--throttle", type=int, default=0)
    ap.add_argument("--fail503", type=int, default=0)
    ap.add_argument("--lose-start", type=int, default=0)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
