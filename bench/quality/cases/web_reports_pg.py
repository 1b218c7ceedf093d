"""Merchant reporting endpoints (Flask + psycopg2): dashboards read from the reporting replica,
report schedules written to the primary, and dispute exports uploaded to the finance bucket."""
import csv
import io
import logging
import os
import subprocess
import tempfile

import psycopg2
import psycopg2.extras
from flask import Flask, Response, jsonify, request

app = Flask(__name__)
logger = logging.getLogger(__name__)
EXPORT_BUCKET = "gs://finance-exports"

replica = psycopg2.connect(os.environ["REPORTS_REPLICA_DSN"], connect_timeout=5)
replica.set_session(readonly=True, autocommit=True)
conn = psycopg2.connect(os.environ["REPORTS_PRIMARY_DSN"], connect_timeout=5)


@app.get("/reports/merchants/top")
def top_merchants():
    with replica.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute("SELECT id, name, gmv_cents FROM merchants WHERE active ORDER BY gmv_cents DESC LIMIT 50")
        merchants = cur.fetchall()
        for merchant in merchants:
            cur.execute(  # expect: n-plus-one-query -- one COUNT query per fetched merchant: 50 extra round trips to the replica on every dashboard load
                "SELECT count(*) AS n FROM disputes WHERE merchant_id = %s AND status = 'open'",
                (merchant["id"],),
            )
            merchant["open_disputes"] = cur.fetchone()["n"]
    return jsonify(merchants)


@app.get("/reports/merchants/disputes")
def open_disputes():
    ids = [int(x) for x in request.args.getlist("merchant_id")]
    with replica.cursor() as cur:
        cur.execute(
            "SELECT merchant_id, count(*) FROM disputes WHERE merchant_id = ANY(%s) AND status = 'open' GROUP BY merchant_id",
            (ids,),
        )
        counts = dict(cur.fetchall())
    return jsonify({str(i): counts.get(i, 0) for i in ids})  # quiet: one grouped query for every merchant; .get() here is a dict lookup


@app.post("/reports/schedules")
def create_schedule():
    body = request.get_json(force=True)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO report_schedules (merchant_id, cron, email) VALUES (%s, %s, %s) RETURNING id",
            (body["merchant_id"], body["cron"], body["email"]),
        )
        schedule_id = cur.fetchone()[0]
    conn.commit()  # expect: transaction-without-rollback -- conn is module-level and shared by every request of this worker: a failed INSERT (bad cron, unknown merchant) leaves it in an aborted transaction and every later request fails with InFailedSqlTransaction until the worker restarts
    return jsonify(id=schedule_id), 201


@app.delete("/reports/schedules/<int:schedule_id>")
def delete_schedule(schedule_id):
    try:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM report_schedules WHERE id = %s", (schedule_id,))
            deleted = cur.rowcount
        conn.commit()  # quiet: the handler rolls the shared connection back before re-raising
    except psycopg2.Error:  # quiet: rollback then bare raise: the error still reaches Flask
        conn.rollback()
        raise
    if not deleted:
        return jsonify(error="no such schedule"), 404
    return "", 204


@app.post("/reports/schedules/<int:schedule_id>/pause")
def pause_schedule(schedule_id):
    with conn:  # psycopg2: commits on success, rolls back on error
        with conn.cursor() as cur:
            cur.execute("UPDATE report_schedules SET paused = true WHERE id = %s", (schedule_id,))
            updated = cur.rowcount
    return ("", 204) if updated else (jsonify(error="no such schedule"), 404)


def _dispute_rows(merchant_id: int) -> list:
    with replica.cursor() as cur:
        cur.execute(
            "SELECT id, opened_at, amount_cents, reason, status FROM disputes WHERE merchant_id = %s ORDER BY opened_at",
            (merchant_id,),
        )
        return cur.fetchall()


def _to_csv(rows: list) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "opened_at", "amount_cents", "reason", "status"])
    writer.writerows(rows)
    return out.getvalue()


@app.get("/reports/merchants/<int:merchant_id>/disputes.csv")
def disputes_csv(merchant_id):
    try:
        body = _to_csv(_dispute_rows(merchant_id))
    except:  # expect: bare-except -- also catches SystemExit and KeyboardInterrupt (gunicorn stops a worker with sys.exit on SIGINT/SIGQUIT): the worker answers 500 and carries on serving instead of exiting
        logger.exception("dispute export failed for merchant %s", merchant_id)
        return jsonify(error="export failed"), 500
    return Response(body, mimetype="text/csv")


@app.post("/reports/merchants/<int:merchant_id>/disputes/export")
def export_disputes(merchant_id):
    body = _to_csv(_dispute_rows(merchant_id))
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
        fh.write(body)
    dest = f"{EXPORT_BUCKET}/disputes/{merchant_id}.csv"
    try:
        subprocess.run(["gsutil", "-q", "cp", fh.name, dest], check=True, capture_output=True, text=True, timeout=120)  # quiet: a timeout is set and both failure modes are answered 502 below
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        logger.error("upload of %s failed: %s", dest, exc)  # expect: lost-traceback-log -- CalledProcessError's text is only "returned non-zero exit status 1": gsutil's stderr (AccessDenied, bucket not found) is captured but never logged, so the 502 cannot be diagnosed
        return jsonify(error="export upload failed"), 502
    finally:
        os.unlink(fh.name)
    return jsonify(uri=dest), 201
