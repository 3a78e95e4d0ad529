#!/usr/bin/env bash
# Upload and download one 20 MB file through gunicorn (one sync worker) on a fresh demo
# instance; prints the time of each and the worker's peak memory (VmHWM, Linux) before and
# after, and checks the download is the uploaded file; then times the daily integrity check
# over every stored file. The upload streams: Werkzeug spools
# the request body to a temporary file, caseflow copies it in 64 KB chunks into the storage
# root while hashing, so the peak should not grow by the file's size.
#   bash bench/documents.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "${master:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export CASEFLOW_ENV=development CASEFLOW_INSTANCE_PATH="$work/instance" CASEFLOW_TODAY=2025-10-15
export RATELIMIT_ENABLED=false
.venv/bin/caseflow db upgrade >/dev/null 2>&1
.venv/bin/caseflow demo >/dev/null
python3 - "$work/big.pdf" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as file:
    file.write(b"%PDF-1.4\n")
    file.write(os.urandom(20_000_000 - 9))
PY
port=5088
.venv/bin/gunicorn -w 1 -b "127.0.0.1:$port" --timeout 120 'caseflow:create_app()' >"$work/gunicorn.log" 2>&1 &
master=$!
sleep 4
worker=$(pgrep -P "$master" | head -1)
base="http://127.0.0.1:$port"
jar="$work/cookies"
csrf() { curl -s -c "$jar" -b "$jar" "$base$1" | grep -o 'name="csrf_token" type="hidden" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
token=$(csrf /login)
curl -s -o /dev/null -c "$jar" -b "$jar" \
  -d "email=leitung@example.org&password=caseflow-demo&csrf_token=$token" "$base/login"
token=$(csrf /engagements/4/dokumente)
echo "worker peak memory before:         $(grep VmHWM "/proc/$worker/status" | tr -s ' \t' ' ')"
curl -s -o /dev/null -c "$jar" -b "$jar" \
  -w "upload:   HTTP %{http_code}, %{time_total} s, %{size_upload} bytes\n" \
  -F "csrf_token=$token" -F kind=bericht -F milestone_id= -F title=Messung \
  -F "files=@$work/big.pdf;filename=Abschlussbericht – Messung.pdf" "$base/engagements/4/dokumente"
echo "worker peak memory after upload:   $(grep VmHWM "/proc/$worker/status" | tr -s ' \t' ' ')"
# The demo has documents of its own: the one measured is the one titled "Messung".
document=$(.venv/bin/python - <<'PY'
from sqlalchemy import select
from caseflow import create_app
from caseflow.documents.models import Document
from caseflow.extensions import db
with create_app().app_context():
    print(db.session.scalar(select(Document.id).where(Document.title == "Messung")))
PY
)
curl -s -o "$work/back.pdf" -c "$jar" -b "$jar" \
  -w "download: HTTP %{http_code}, %{time_total} s, %{size_download} bytes\n" \
  "$base/engagements/4/dokumente/$document/fassung/1"
echo "worker peak memory after download: $(grep VmHWM "/proc/$worker/status" | tr -s ' \t' ' ')"
cmp "$work/big.pdf" "$work/back.pdf" && echo "the download is the uploaded file"
# The daily integrity check (documents_integrity) over the demo's files and the 20 MB one.
.venv/bin/python - <<'PY'
import time
from sqlalchemy import func, select
from caseflow import clock, create_app
from caseflow.documents.integrity import check_documents
from caseflow.documents.models import DocumentVersion
from caseflow.documents.sweeps import storage_root
from caseflow.extensions import db
with create_app().app_context():
    size = db.session.scalar(select(func.sum(DocumentVersion.size)))
    started = time.perf_counter()
    checked = check_documents(db.session, clock.now(), storage_root())
    seconds = time.perf_counter() - started
    db.session.rollback()
    print(
        f"integrity check: {checked.files} files, {size / 1e6:.1f} MB in {seconds:.3f} s "
        f"({size / 1e6 / seconds:.0f} MB/s), {checked.damaged} damaged"
    )
PY
