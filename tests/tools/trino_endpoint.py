#!/usr/bin/python3
"""trino_endpoint.py — a local Trino coordinator for tests/e2e/trino.sh, on 127.0.0.1.

It follows Trino's documented client protocol (trino.io/docs/current/develop/
client-protocol.html) and checks what the client sends:

  POST /v1/statement        the SQL as the body; X-Trino-User required (else 400
                            as Trino answers), X-Trino-Catalog / -Source /
                            -Session recorded.  Answer: QueryResults with
                            stats.state QUEUED and a nextUri.
  GET  <nextUri>            only the URI handed out last for that query (a
                            replayed or invented one is 404 and logged as a
                            protocol violation); QUEUED -> RUNNING -> FINISHED
                            (or FAILED with `error`), each with a new nextUri
                            until the last answer, which has none.
  DELETE <nextUri>          cancels the query (any nextUri it handed out for
                            that query): 204, logged as "cancel".

The SQL is not executed.  The fake keeps schemas and tables by name (CREATE
SCHEMA [IF NOT EXISTS], CREATE TABLE [IF NOT EXISTS] … WITH (external_location
= '…'), CTAS, DROP TABLE [IF EXISTS]) and answers a statement naming an
unknown schema or table ("cat"."schema"."table") with Trino's USER_ERROR
SCHEMA_NOT_FOUND / TABLE_NOT_FOUND.  For a CTAS it copies --parquet (a
prepared file) into the external_location folder (file:// only) under a
Trino-like name without extension, and answers one row: --rows.

Faults:
  --fail503 N                the first N requests (any method) get 503
  SQL containing nosuchcolumn  FAILED, USER_ERROR COLUMN_NOT_FOUND located at
                             the word (line/column of the statement)
  SQL containing internal_once FAILED the first time, INTERNAL_ERROR
                             (GENERIC_INTERNAL_ERROR); then as usual
  SQL containing slow_forever  RUNNING until cancelled
  SQL containing poll_refused  once RUNNING, every GET is 403 (the query runs
                             on until cancelled)

Every request is logged as one JSON line to --log.
"""
import argparse
import json
import os
import re
import shutil
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
queries = {}  # id -> dict(state, token, sql, steps, error, rows, cancelled)
schemas = set()
tables = {}  # full lower-case name -> location
seen = {"requests": 0, "internal_once": False}
args = None


def log(entry):
    entry["t"] = round(time.time(), 3)
    with lock, open(args.log, "a") as f:
        f.write(json.dumps(entry) + "\n")


def location_of(sql, word):
    i = sql.find(word)
    line = sql.count("\n", 0, i) + 1
    col = i - (sql.rfind("\n", 0, i) + 1) + 1
    return line, col


def user_error(name, code, message, line=1, col=1):
    return {"message": message, "errorCode": code, "errorName": name, "errorType": "USER_ERROR",
            "errorLocation": {"lineNumber": line, "columnNumber": col},
            "failureInfo": {"type": "io.trino.spi.TrinoException", "message": message}}


QNAME = r'"([^"]+)"\."([^"]+)"\."([^"]+)"'


def execute(q):
    """The statement's effect on the fake metastore: (error or None, rows)."""
    sql = q["sql"]
    s = sql.strip()
    if "nosuchcolumn" in sql:
        line, col = location_of(sql, "nosuchcolumn")
        return user_error("COLUMN_NOT_FOUND", 47,
                          "line %d:%d: Column 'nosuchcolumn' cannot be resolved" % (line, col),
                          line, col), None
    if "internal_once" in sql and not seen["internal_once"]:
        seen["internal_once"] = True
        return {"message": "Worker node crashed", "errorCode": 65536,
                "errorName": "GENERIC_INTERNAL_ERROR", "errorType": "INTERNAL_ERROR"}, None
    m = re.match(r'CREATE SCHEMA (IF NOT EXISTS )?"([^"]+)"\."([^"]+)"$', s)
    if m:
        schemas.add((m.group(2) + "." + m.group(3)).lower())
        return None, None
    m = re.match(r'DROP TABLE (IF EXISTS )?' + QNAME + r'$', s)
    if m:
        name = ".".join(m.groups()[1:]).lower()
        if name not in tables and not m.group(1):
            return user_error("TABLE_NOT_FOUND", 46, "Table '%s' does not exist" % name), None
        tables.pop(name, None)
        return None, None
    m = re.match(r'CREATE TABLE (IF NOT EXISTS )?' + QNAME, s)
    if not m:
        return user_error("NOT_SUPPORTED", 13, "the fake knows no such statement: %s" % s[:80]), None
    name = ".".join(m.groups()[1:]).lower()
    schema = name.rsplit(".", 1)[0]
    if schema not in schemas:
        return user_error("SCHEMA_NOT_FOUND", 36, "Schema '%s' does not exist" % schema), None
    if name in tables and not m.group(1):
        return user_error("TABLE_ALREADY_EXISTS", 43, "Table '%s' already exists" % name), None
    loc = re.search(r"external_location = '([^']*)'", s)
    if not loc:
        return user_error("NOT_SUPPORTED", 13, "no external_location"), None
    ctas = re.search(r"\) AS\n", s)
    if ctas:
        body = s[ctas.end():]
        for ref in re.findall(QNAME, body):
            r = ".".join(ref).lower()
            if r not in tables:
                return user_error("TABLE_NOT_FOUND", 46, "Table '%s' does not exist" % r), None
        if re.search(r'\b(raw|stage1|stage2)\.', body):
            return user_error("SCHEMA_NOT_FOUND", 36,
                              "a layer name reached Trino unrewritten: %s" % body[:120]), None
        folder = loc.group(1)
        if not folder.startswith("file://"):
            return user_error("NOT_SUPPORTED", 13, "the fake writes only file:// locations"), None
        folder = folder[len("file://"):]
        os.makedirs(folder, exist_ok=True)
        if os.listdir(folder):
            return {"message": "Target directory for table '%s' already exists: %s" % (name, folder),
                    "errorCode": 16777231, "errorName": "HIVE_PATH_ALREADY_EXISTS",
                    "errorType": "EXTERNAL"}, None
        shutil.copyfile(args.parquet, os.path.join(
            folder, "%s_00000_%s" % (time.strftime("%Y%m%d_%H%M%S"), uuid.uuid4().hex[:8])))
        tables[name] = loc.group(1)
        return None, args.rows
    tables[name] = loc.group(1)
    return None, None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def answer(self, status, doc=None):
        body = json.dumps(doc).encode() if doc is not None else b""
        self.send_response(status)
        if doc is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (an interrupt): it may DELETE next

    def base(self):
        return "http://%s" % self.headers["Host"]

    def doc(self, qid, q):
        d = {"id": qid, "infoUri": "%s/ui/query.html?%s" % (self.base(), qid),
             "stats": {"state": q["state"], "queued": q["state"] == "QUEUED",
                       "scheduled": q["state"] != "QUEUED", "nodes": 1, "totalSplits": 0},
             "warnings": []}
        if q["state"] in ("QUEUED", "RUNNING"):
            q["token"] += 1
            kind = "queued" if q["state"] == "QUEUED" else "executing"
            q["next"] = "/v1/statement/%s/%s/%s/%d" % (kind, qid, uuid.uuid4().hex[:6], q["token"])
            q["issued"].add(q["next"])
            d["nextUri"] = self.base() + q["next"]
        if q["state"] == "FAILED":
            d["error"] = q["error"]
        if q["state"] == "FINISHED" and q["rows"] is not None:
            d["columns"] = [{"name": "rows", "type": "bigint",
                             "typeSignature": {"rawType": "bigint", "arguments": []}}]
            d["data"] = [[q["rows"]]]
            d["updateType"] = "CREATE TABLE"
            d["updateCount"] = q["rows"]
        return d

    def fault(self, entry):
        with lock:
            seen["requests"] += 1
            n = seen["requests"]
        if n <= args.fail503:
            entry["fault"] = "503"
            log(entry)
            self.answer(503, None)
            return True
        return False

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        sql = self.rfile.read(n).decode()
        entry = {"method": "POST", "path": self.path, "user": self.headers.get("X-Trino-User"),
                 "catalog": self.headers.get("X-Trino-Catalog"),
                 "source": self.headers.get("X-Trino-Source"),
                 "session": self.headers.get("X-Trino-Session"), "sql": sql}
        if self.fault(entry):
            return
        if self.path != "/v1/statement":
            entry["violation"] = "POST to %s" % self.path
            log(entry)
            return self.answer(404, {"message": "not found"})
        if not self.headers.get("X-Trino-User"):
            entry["violation"] = "no X-Trino-User"
            log(entry)
            return self.answer(400, None)
        if not sql.strip():
            entry["violation"] = "empty statement"
            log(entry)
            return self.answer(400, None)
        qid = "%s_%05d_%s" % (time.strftime("%Y%m%d_%H%M%S"), len(queries), uuid.uuid4().hex[:5])
        q = {"state": "QUEUED", "token": 0, "sql": sql, "error": None, "rows": None, "next": None,
             "issued": set()}
        with lock:
            queries[qid] = q
        entry["query"] = qid
        log(entry)
        self.answer(200, self.doc(qid, q))

    def lookup(self, entry, any_issued=False):
        """GET: only the nextUri handed out last; DELETE: any the query had
        (a client interrupted mid-GET cancels with the URI it was reading)."""
        m = re.match(r"/v1/statement/(queued|executing)/([^/]+)/", self.path)
        q = queries.get(m.group(2)) if m else None
        if not q or (q["next"] != self.path and not (any_issued and self.path in q["issued"])):
            entry["violation"] = "unknown or stale nextUri"
            log(entry)
            self.answer(404, {"message": "unknown nextUri"})
            return None, None
        entry["query"] = m.group(2)
        return m.group(2), q

    def do_GET(self):
        entry = {"method": "GET", "path": self.path}
        if self.fault(entry):
            return
        qid, q = self.lookup(entry)
        if not q:
            return
        if "poll_refused" in q["sql"] and q["state"] == "RUNNING":
            # A proxy in front of the coordinator refusing the client
            # mid-query: the query runs on until cancelled.
            entry["fault"] = "403"
            log(entry)
            self.answer(403, {"message": "Forbidden"})
            return
        if q["state"] == "QUEUED":
            q["state"] = "RUNNING"
        elif q["state"] == "RUNNING":
            if "slow_forever" in q["sql"]:
                time.sleep(0.2)
            else:
                with lock:
                    error, rows = execute(q)
                q["state"] = "FAILED" if error else "FINISHED"
                q["error"], q["rows"] = error, rows
        entry["state"] = q["state"]
        log(entry)
        self.answer(200, self.doc(qid, q))

    def do_DELETE(self):
        entry = {"method": "DELETE", "path": self.path, "kind": "cancel"}
        qid, q = self.lookup(entry, any_issued=True)
        if not q:
            return
        q["state"] = "CANCELED"
        log(entry)
        self.answer(204, None)


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--parquet", required=True)
    ap.add_argument("--rows", type=int, default=0)
    ap.add_argument("--fail503", type=int, default=0)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
