#!/usr/bin/env bash
# SQL → DataFrame on MariaDB, side by side in one run: sourcelab's `Db::query` (release build) against ConnectorX
# (polars.read_database_uri) and pandas.read_sql with PyMySQL, on (a) rental ⋈ payment ⋈ customer (~16k rows) and
# (b) a generated table of 1M rows of mixed types. Reports rows/s (median of 3 runs after one warm-up) and peak RSS.
# Needs the local stack (bash scripts/labs.sh or `sourcelab up`).
source "$(dirname "$0")/../scripts/common.sh"
PY="$ROOT/.sourcelab/venv/bin/python"
ENV_FILE="$ROOT/.sourcelab/local.env"
step "bench packages (connectorx, polars, pandas, pymysql, sqlalchemy)"
"$PY" -m pip install -q connectorx pyarrow polars pandas pymysql sqlalchemy
"$PY" "$ROOT/benches/sql_to_frame.py" setup "$ENV_FILE"
step "release build of the Rust side"
BIN=$(cargo build --release --bench sql_query --message-format=json 2>/dev/null \
  | "$PY" -c 'import json,sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable") and m["target"]["name"] == "sql_query"][-1])')
JOIN="SELECT r.rental_id, r.rental_date, r.inventory_id, r.return_date, p.amount, p.payment_date, c.first_name, c.last_name, c.email FROM rental r JOIN payment p ON p.rental_id = r.rental_id JOIN customer c ON c.customer_id = r.customer_id"
MIXED="SELECT * FROM bench_mixed"
measure() { # tool sql -> "rows/s peak_MB"
  local tool=$1 sql=$2 runs=() rss=0 out
  for i in 0 1 2 3; do
    if [ "$tool" = sourcelab ]; then
      out=$( { /usr/bin/time -f "RSS %M" "$BIN" "$ENV_FILE" "$sql"; } 2>&1 )
    else
      out=$( { /usr/bin/time -f "RSS %M" "$PY" "$ROOT/benches/sql_to_frame.py" "$tool" "$ENV_FILE" "$sql"; } 2>&1 )
    fi
    local rows secs kb
    read -r rows secs < <(echo "$out" | grep -E '^[0-9]+ [0-9.]+$')
    kb=$(echo "$out" | sed -n 's/^RSS //p')
    [ "$i" -gt 0 ] && runs+=("$rows $secs") && [ "$kb" -gt "$rss" ] && rss=$kb
  done
  printf '%s\n' "${runs[@]}" | sort -k2 -n | sed -n 2p | awk -v mb=$((rss / 1024)) '{printf "%10.0f rows/s  %6d MB peak  (%d rows, median %.3f s)", $1/$2, mb, $1, $2}'
}
for q in JOIN MIXED; do
  echo "== ${q} =="
  for tool in sourcelab connectorx pandas; do
    printf '%-11s %s\n' "$tool" "$(measure $tool "${!q}")"
  done
done
