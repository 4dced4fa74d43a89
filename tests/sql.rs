//! SQL helpers against the stack's MariaDB and PostgreSQL: the Rentio data, faithful types, multi-statement
//! execution, transactions, CRUD with bound values, and names that could smuggle SQL.

mod common;

use polars::prelude::{AnyValue, DataType, TimeUnit};
use sourcelab::ErrorKind;
use sourcelab::sql::{Db, SqlValue};

fn mariadb() -> Db {
    Db::connect_mysql(&common::env()).unwrap()
}

fn postgres() -> Db {
    Db::connect_postgres(&common::env()).unwrap()
}

fn int(df: &polars::prelude::DataFrame, col: &str, row: usize) -> i64 {
    match df.column(col).unwrap().get(row).unwrap() {
        AnyValue::Int64(v) => v,
        AnyValue::Int32(v) => v.into(),
        AnyValue::UInt64(v) => v as i64,
        AnyValue::UInt32(v) => v.into(),
        other => panic!("{col}: not an integer: {other:?}"),
    }
}

#[test]
fn rentio_has_the_official_row_counts() {
    let db = mariadb();
    for (table, n) in sourcelab::rentio::ROW_COUNTS {
        let df = db.query(&format!("SELECT COUNT(*) AS n FROM {table}")).unwrap();
        assert_eq!(int(&df, "n", 0), n as i64, "{table}");
    }
    // As in the official data: 16,049 payments, five of them for no rental, the others one per rental.
    assert_eq!(sourcelab::rentio::PAYMENTS, 16049);
    let df = db.query("SELECT COUNT(*) AS n, COUNT(DISTINCT rental_id) AS rentals FROM payment").unwrap();
    assert_eq!((int(&df, "n", 0), int(&df, "rentals", 0)), (16049, 16044));
    let df = db.query("SELECT COUNT(*) AS n FROM payment WHERE rental_id IS NULL").unwrap();
    assert_eq!(int(&df, "n", 0), 5);
}

#[test]
fn rentio_answers_the_labs_questions_sensibly() {
    let db = mariadb();
    let ratings = db.query("SELECT rating, COUNT(film_id) AS films_count FROM film GROUP BY rating").unwrap();
    assert_eq!(ratings.height(), 5);
    let total: i64 = (0..5).map(|i| int(&ratings, "films_count", i)).sum();
    assert_eq!(total, 1000);

    let per_category = db
        .query(
            "SELECT category.name AS category, COUNT(film.film_id) AS films_count FROM film \
             JOIN film_category ON film.film_id = film_category.film_id \
             JOIN category ON film_category.category_id = category.category_id GROUP BY category.name ORDER BY films_count",
        )
        .unwrap();
    assert_eq!(per_category.height(), 16);

    let staff = db.query("SELECT first_name, last_name, email FROM staff WHERE active").unwrap();
    assert_eq!(staff.height(), 2);
    let staff_places = db
        .query(
            "SELECT country.country, city.city, address.address FROM address \
             JOIN staff ON staff.address_id = address.address_id JOIN city ON address.city_id = city.city_id \
             JOIN country ON city.country_id = country.country_id WHERE staff.active",
        )
        .unwrap();
    assert_eq!(staff_places.height(), 2);

    // A copy is never rented twice at once, every rental has its payment, and every rental is in 2005-2006.
    let overlaps = db
        .query(
            "SELECT COUNT(*) AS n FROM rental a JOIN rental b ON a.inventory_id = b.inventory_id \
             AND a.rental_id < b.rental_id AND b.rental_date < COALESCE(a.return_date, '9999-01-01')",
        )
        .unwrap();
    assert_eq!(int(&overlaps, "n", 0), 0);
    let unpaid = db
        .query("SELECT COUNT(*) AS n FROM rental r LEFT JOIN payment p ON p.rental_id = r.rental_id WHERE p.payment_id IS NULL")
        .unwrap();
    assert_eq!(int(&unpaid, "n", 0), 0);
    let years = db.query("SELECT MIN(YEAR(rental_date)) AS lo, MAX(YEAR(rental_date)) AS hi FROM rental").unwrap();
    assert_eq!((int(&years, "lo", 0), int(&years, "hi", 0)), (2005, 2006));
}

#[test]
fn mariadb_types_come_back_faithfully() {
    let db = mariadb();
    db.execute(
        "DROP TABLE IF EXISTS typed; CREATE TABLE typed (ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, \
         i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, b BOOLEAN, f FLOAT, d DOUBLE, dec38 DECIMAL(38,10), \
         dt DATE, tm TIME, dtm DATETIME, ts TIMESTAMP NULL, y YEAR, e ENUM('G','PG'), st SET('a','b'), tx TEXT, bl BLOB, n INT)",
    )
    .unwrap();
    db.execute(
        "INSERT INTO typed VALUES (-128, 255, -32768, 65535, -2147483648, 4294967295, -9223372036854775808, \
         18446744073709551615, TRUE, 1.5, 2.25, 1234567890123456789012345678.0123456789, '2005-05-24', '22:53:30', \
         '2005-05-24 22:53:30', '2006-02-15 04:57:12', 2006, 'PG', 'a,b', 'text', x'00ff', NULL)",
    )
    .unwrap();
    let df = db.query("SELECT * FROM typed").unwrap();
    let dtypes: Vec<DataType> = df.dtypes();
    assert_eq!(
        &dtypes[..10],
        &[
            DataType::Int8,
            DataType::UInt8,
            DataType::Int16,
            DataType::UInt16,
            DataType::Int32,
            DataType::UInt32,
            DataType::Int64,
            DataType::UInt64,
            DataType::Boolean,
            DataType::Float32
        ]
    );
    assert_eq!(df.column("bu").unwrap().get(0).unwrap(), AnyValue::UInt64(u64::MAX));
    assert_eq!(df.column("bi").unwrap().get(0).unwrap(), AnyValue::Int64(i64::MIN));
    assert!(matches!(df.column("dec38").unwrap().dtype(), DataType::Decimal(_, 10)));
    assert_eq!(df.column("dec38").unwrap().get(0).unwrap().to_string(), "1234567890123456789012345678.0123456789");
    assert_eq!(df.column("dt").unwrap().dtype(), &DataType::Date);
    assert_eq!(df.column("tm").unwrap().dtype(), &DataType::Time);
    assert_eq!(df.column("dtm").unwrap().dtype(), &DataType::Datetime(TimeUnit::Microseconds, None));
    assert!(matches!(df.column("ts").unwrap().dtype(), DataType::Datetime(TimeUnit::Microseconds, Some(_))));
    assert_eq!(df.column("dtm").unwrap().get(0).unwrap().to_string(), "2005-05-24 22:53:30");
    assert_eq!(df.column("y").unwrap().get(0).unwrap(), AnyValue::UInt16(2006));
    assert_eq!(df.column("e").unwrap().get(0).unwrap().get_str(), Some("PG"));
    assert_eq!(df.column("st").unwrap().get(0).unwrap().get_str(), Some("a,b"));
    assert_eq!(df.column("bl").unwrap().dtype(), &DataType::Binary);
    assert_eq!(df.column("n").unwrap().get(0).unwrap(), AnyValue::Null);

    let empty = db.query("SELECT * FROM typed WHERE 1 = 0").unwrap();
    assert_eq!((empty.height(), empty.width()), (0, 22), "an empty result keeps its columns");
    db.execute("DROP TABLE typed").unwrap();
}

#[test]
fn postgres_types_come_back_faithfully() {
    let db = postgres();
    let df = db
        .query(
            "SELECT 1::int2 AS a, 2::int4 AS b, 3::int8 AS c, 1.5::float4 AS f, 12345678901234567890.123::numeric(38,3) AS n, \
             true AS t, 'x'::text AS s, DATE '2006-02-15' AS d, TIMESTAMP '2006-02-15 04:57:12' AS ts, NULL::int AS z",
        )
        .unwrap();
    assert_eq!(&df.dtypes()[..4], &[DataType::Int16, DataType::Int32, DataType::Int64, DataType::Float32]);
    // PostgreSQL sends NUMERIC in base-10000 groups: the value is exact, the scale may gain trailing zeros.
    let n = df.column("n").unwrap().get(0).unwrap().to_string();
    assert_eq!(n.trim_end_matches('0'), "12345678901234567890.123");
    assert_eq!(df.column("z").unwrap().get(0).unwrap(), AnyValue::Null);
}

#[test]
fn execute_reports_rows_affected_per_statement_like_the_labs_three_updates() {
    let db = mariadb();
    db.execute(
        "DROP TABLE IF EXISTS cc_exec; CREATE TABLE cc_exec (category_id INTEGER, name VARCHAR(25), last_update TIMESTAMP NULL); \
         INSERT INTO cc_exec VALUES (1,'Horror','2006-02-15 09:46:27'),(10,'Animation','2006-02-15 09:46:27'),(20,'Pop','2006-02-15 09:46:27')",
    )
    .unwrap();
    let counts = db
        .execute(
            "UPDATE cc_exec SET last_update = '2020-09-12 08:00:00'; \
             UPDATE cc_exec SET category_id = 2 WHERE name = 'Animation'; \
             UPDATE cc_exec SET name = 'Action' WHERE category_id = 1",
        )
        .unwrap();
    assert_eq!(counts, [3, 1, 1]);
    db.execute("DROP TABLE cc_exec").unwrap();
}

#[test]
fn a_failed_transaction_changes_nothing() {
    let db = mariadb();
    db.execute("DROP TABLE IF EXISTS tx_t; CREATE TABLE tx_t (id INT PRIMARY KEY, v INT)").unwrap();
    db.execute("INSERT INTO tx_t VALUES (1, 10)").unwrap();
    let err = db.transaction(&["UPDATE tx_t SET v = 99 WHERE id = 1", "INSERT INTO tx_t VALUES (1, 0)"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert!(err.to_string().contains("Duplicate entry"), "{err}");
    assert!(err.to_string().contains("rolled back"), "{err}");
    let df = db.query("SELECT v FROM tx_t WHERE id = 1").unwrap();
    assert_eq!(int(&df, "v", 0), 10);
    assert_eq!(db.transaction(&["UPDATE tx_t SET v = 11 WHERE id = 1"]).unwrap(), [1]);
    db.execute("DROP TABLE tx_t").unwrap();
}

#[test]
fn crud_helpers_bind_values_and_refuse_bad_names() {
    for db in [mariadb(), postgres()] {
        db.execute("DROP TABLE IF EXISTS crud_t").unwrap();
        db.execute("CREATE TABLE crud_t (id INTEGER, name VARCHAR(80))").unwrap();
        let evil = "x'); DROP TABLE crud_t; --";
        let rows = vec![vec![SqlValue::from(1), SqlValue::from(evil)], vec![SqlValue::from(2), SqlValue::Null]];
        assert_eq!(db.insert("crud_t", &["id", "name"], &rows).unwrap(), 2);
        let back = db.query("SELECT name FROM crud_t WHERE id = 1").unwrap();
        assert_eq!(back.column("name").unwrap().get(0).unwrap().get_str(), Some(evil), "stored as text, not run");
        assert_eq!(db.update_where("crud_t", &[("name", "two".into())], "id", 2.into()).unwrap(), 1);
        assert_eq!(db.delete_where("crud_t", "name", evil.into()).unwrap(), 1);
        let err = db.delete_where("crud_t; DROP TABLE crud_t", "id", 1.into()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Input);
        assert!(err.to_string().contains("only letters, digits and _"), "{err}");
        let err = db.insert("crud_t", &["id", "name"], &[vec![SqlValue::from(3)]]).unwrap_err();
        assert!(err.to_string().contains("row 1 has 1 values for 2 columns"), "{err}");
        assert_eq!(db.query("SELECT COUNT(*) AS n FROM crud_t").unwrap().height(), 1, "the table survived");
        let cols = db.describe("crud_t").unwrap();
        assert_eq!(cols.height(), 2);
        assert_eq!(db.describe("no_such_table").unwrap_err().kind(), ErrorKind::NotFound);
        db.execute("DROP TABLE crud_t").unwrap();
    }
}

#[test]
fn a_postgres_syntax_error_names_the_position() {
    let db = postgres();
    let err = db.query("SELECT 1 FORM nowhere").unwrap_err();
    assert!(err.to_string().contains("syntax error") && err.to_string().contains("at character"), "{err}");
}

#[test]
fn a_sql_file_and_a_csv_load_into_postgres() {
    let db = postgres();
    let home = sourcelab::home();
    db.run_file(home.join("data/postgres/ratings_table.sql")).unwrap();
    let loaded = db.copy_csv("ratings_training", home.join("data/s3/csv/ratings_ml_training_dataset.csv")).unwrap();
    assert_eq!(loaded, sourcelab::ratings::RATING_ROWS as u64);
    let df =
        db.query("SELECT COUNT(*) AS n, COUNT(DISTINCT customernumber) AS customers FROM ratings_training").unwrap();
    assert_eq!(int(&df, "n", 0), sourcelab::ratings::RATING_ROWS as i64);
    // Trailing spaces and accents arrive as they are in the file; empty fields become NULL.
    let df =
        db.query("SELECT COUNT(*) AS n FROM ratings_training WHERE city = 'Auckland  ' AND state IS NULL").unwrap();
    assert!(int(&df, "n", 0) > 0);

    // A bad row: the server names its line, and COPY loads nothing.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "city,state,postalcode,country,creditlimit,productcode,productline,productscale,quantityinstock,buyprice,msrp,productrating,customernumber\nLyon,,69002,France,1.00,S1,Ships,1:10,5,1.00,2.00,3,1\nLyon,,69002,France,1.00,S2,Ships,1:10,five,1.00,2.00,3,1\n").unwrap();
    db.execute("TRUNCATE ratings_training").unwrap();
    let e = db.copy_csv("ratings_training", &bad).unwrap_err().to_string();
    assert!(e.contains("copy") && e.contains("bad.csv") && e.contains("line 3"), "{e}");
    let df = db.query("SELECT COUNT(*) AS n FROM ratings_training").unwrap();
    assert_eq!(int(&df, "n", 0), 0, "nothing half-loaded");
    // A file that is not there, and a name that could smuggle SQL.
    let e = db.copy_csv("ratings_training", dir.path().join("missing.csv")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(db.copy_csv("ratings_training; DROP TABLE x", &bad).is_err());
    // The run_file error names the file.
    let broken = dir.path().join("broken.sql");
    std::fs::write(&broken, "CREATE TABLE;").unwrap();
    let e = db.run_file(&broken).unwrap_err().to_string();
    assert!(e.starts_with(&format!("run {}", broken.display())), "{e}");
    db.execute("DROP TABLE ratings_training").unwrap();
}
