"""Python side of benches/sql_to_frame.sh: the 1M-row table, and one timed read with ConnectorX or pandas.

Usage: sql_to_frame.py setup ENV | connectorx ENV SQL | pandas ENV SQL   (prints "rows seconds")
"""
import sys
import time
import urllib.parse

from envfile import settings


def uri(env, driver):
    pw = urllib.parse.quote(env["DBPASSWORD"], safe="")
    return f"{driver}://{env['DBUSER']}:{pw}@{env['DBHOST']}:{env['DBPORT']}/{env['DBNAME']}"


def main():
    mode, env = sys.argv[1], settings(sys.argv[2])
    if mode == "setup":
        import pymysql
        con = pymysql.connect(host=env["DBHOST"], port=int(env["DBPORT"]), user=env["DBUSER"],
                              password=env["DBPASSWORD"], database=env["DBNAME"])
        with con.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                        "AND table_name = 'bench_mixed'")
            if cur.fetchone()[0] == 0:
                cur.execute(
                    "CREATE TABLE bench_mixed AS SELECT seq AS id, CAST(seq % 1000 AS SIGNED) AS small, "
                    "CAST(seq % 200 AS UNSIGNED) AS tiny_u, seq * 1.5e0 AS ratio, CONCAT('customer-', seq) AS name, "
                    "CAST(seq % 100000 / 100 AS DECIMAL(10,2)) AS amount, "
                    "DATE_ADD('2005-01-01', INTERVAL seq % 3650 DAY) AS day, "
                    "TIMESTAMP('2005-01-01') + INTERVAL seq SECOND AS happened, "
                    "IF(seq % 7 = 0, NULL, seq % 2 = 0) AS flag FROM seq_1_to_1000000")
        con.commit()
        return
    sql = sys.argv[3]
    start = time.perf_counter()
    if mode == "connectorx":
        import polars
        df = polars.read_database_uri(sql, uri(env, "mysql"), engine="connectorx")
        rows = df.height
    else:
        import pandas
        import sqlalchemy
        engine = sqlalchemy.create_engine(uri(env, "mysql+pymysql"))
        with engine.connect() as con:
            rows = len(pandas.read_sql(sqlalchemy.text(sql), con))
    print(rows, f"{time.perf_counter() - start:.3f}")


main()
