//! Lab 8: the log readers on every format, with malformed lines kept and numbered (never a panic, never a lost
//! line); then for real — the web shop's logs after generated traffic, PostgreSQL's and MariaDB's logs after
//! refused logins, the checks, and a damaged copy.

mod common;

use sourcelab::frame::TableExt;
use std::io::Write as _;

use polars::prelude::DataFrame;
use sourcelab::{ErrorKind, check, lab8, logs};

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn strings(df: &DataFrame, column: &str) -> Vec<String> {
    let v = df.column_values(column).unwrap();
    v.as_array().unwrap().iter().map(|s| s.as_str().map_or(s.to_string(), str::to_string)).collect()
}

fn ints(df: &DataFrame, column: &str) -> Vec<i64> {
    let v = df.column_values(column).unwrap();
    v.as_array().unwrap().iter().map(|n| n.as_i64().unwrap_or(-1)).collect()
}

#[test]
fn the_access_log_reader_types_the_fields_and_keeps_bad_lines_with_their_numbers() {
    let f = file(concat!(
        "127.0.0.2 - - [06/May/2024:09:00:01 +0000] \"GET /products/3 HTTP/1.1\" 200 512 \"http://shop/\" \"Mozilla/5.0\"\n",
        "127.0.0.66 - bob [06/May/2024:09:00:02 +0200] \"POST /login HTTP/1.1\" 401 - \"-\" \"curl/8\"\n",
        "garbage \u{1}\u{0}\n",
        "127.0.0.3 - - [06/May/2024:09:00:03 +0000] \"GET /x HTTP/1.1\" 500 12\n",
        "127.0.0.3 - - [06/May/2024:09:00:03 +0000] \"GET /cut HTTP/1.1\" 20\n",
        "127.0.0.3 - - [31/Foo/2024:09:00:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n",
    ));
    let p = logs::read_access(f.path()).unwrap();
    assert_eq!(p.rows.height(), 3);
    assert_eq!(ints(&p.rows, "line"), [1, 2, 4]);
    assert_eq!(strings(&p.rows, "level"), ["info", "warn", "error"]);
    assert_eq!(ints(&p.rows, "status"), [200, 401, 500]);
    assert_eq!(strings(&p.rows, "user"), ["null", "bob", "null"], "\"-\" is no value");
    assert_eq!(ints(&p.rows, "bytes"), [512, -1, 12]);
    assert!(p.rows.column("time").unwrap().dtype().is_temporal());
    // +0200: two hours before UTC.
    assert_eq!(p.rows.value(1, "time").unwrap(), "2024-05-06 07:00:02 UTC");
    assert_eq!(ints(&p.unparsed, "line"), [3, 5, 6]);
    assert!(p.to_string().contains("3 entries, 3 unparsed"), "{p}");
}

#[test]
fn the_other_readers_parse_their_formats_and_keep_what_does_not_fit() {
    let app = file(concat!(
        "2024-05-06T09:00:00.100Z DEBUG cache: served / from the page cache\n",
        "2024-05-06T09:00:00.200Z ERROR payments: order 12: timed out\n",
        "2024-05-06T09:00:00.300Z LOUD nope: an unknown level\n",
        "no time at all\n",
    ));
    let p = logs::read_app(app.path()).unwrap();
    assert_eq!(strings(&p.rows, "level"), ["debug", "error"]);
    assert_eq!(strings(&p.rows, "component"), ["cache", "payments"]);
    assert_eq!(ints(&p.unparsed, "line"), [3, 4]);

    let auth = file(concat!(
        "2024-05-06T09:00:01.000Z shop sshd-style[42]: Failed password for admin from 127.0.0.66 port 51234\n",
        "2024-05-06T09:00:02.000Z shop sshd-style[42]: Accepted password for alice from 127.0.0.2 port 40000\n",
        "2024-05-06T09:00:03.000Z shop sshd-style[42]: Failed password for invalid user x from 127.0.0.66 port 9\n",
        "2024-05-06T09:00:04.000Z shop sshd-style[42]: session opened\n",
    ));
    let p = logs::read_auth(auth.path()).unwrap();
    assert_eq!(strings(&p.rows, "outcome"), ["failed", "accepted", "failed"]);
    assert_eq!(strings(&p.rows, "client"), ["127.0.0.66", "127.0.0.2", "127.0.0.66"]);
    assert_eq!(strings(&p.rows, "user"), ["admin", "alice", "x"]);
    assert_eq!(ints(&p.rows, "port"), [51234, 40000, 9]);
    assert_eq!(strings(&p.rows, "level"), ["warn", "info", "warn"]);
    assert_eq!(ints(&p.unparsed, "line"), [4]);

    let general = file(concat!(
        "/usr/sbin/mariadbd, Version: 10.11.19-MariaDB (Debian). started with:\n",
        "Tcp port: 3306  Unix socket: /tmp/m.sock\n",
        "Time\t\t    Id Command\tArgument\n",
        "241203  9:05:01\t    5 Connect\tlab@localhost on rentio using TCP/IP\n",
        "\t\t    5 Query\tSELECT title\n",
        "FROM film\n",
        "WHERE length > 100\n",
        "241203 10:00:00\t    6 Connect\tAccess denied for user 'lab'@'localhost' (using password: YES)\n",
        "\t\t    5 Quit\t\n",
        "\t\t    7 Query\tALTER USER 'lab'@'%' IDENTIFIED BY 'hunter2-s3cret'\n",
        "\t\t    7 Query\tSET PASSWORD FOR 'x' = PASSWORD('it''s-hunter3')\n",
    ));
    let p = logs::read_mariadb_general(general.path()).unwrap();
    assert_eq!(strings(&p.rows, "command"), ["Connect", "Query", "Connect", "Quit", "Query", "Query"]);
    let shown = format!("{}{}", p.rows, p.rows.rows().unwrap());
    assert!(!shown.contains("hunter2") && !shown.contains("hunter3"), "a password in the table: {shown}");
    assert_eq!(strings(&p.rows, "argument")[4], "ALTER USER 'lab'@'%' IDENTIFIED BY '***'");
    assert_eq!(strings(&p.rows, "argument")[5], "SET PASSWORD FOR 'x' = PASSWORD('***')");
    assert_eq!(strings(&p.rows, "argument")[1], "SELECT title\nFROM film\nWHERE length > 100", "one statement");
    assert_eq!(strings(&p.rows, "level")[..4], ["info", "info", "warn", "info"]);
    assert_eq!(ints(&p.rows, "thread"), [5, 5, 6, 5, 7, 7]);
    let times = strings(&p.rows, "time");
    assert_eq!(times[1], "2024-12-03 09:05:01 UTC", "an entry without a time has the one before");
    assert_eq!(p.unparsed.height(), 0, "the header is not a bad line");

    let pg = file(concat!(
        "2024-05-06 09:00:00.000 UTC [100] LOG:  database system is ready to accept connections\n",
        "2024-05-06 09:00:01.000 UTC [101] 127.0.0.1(5555) [unknown]@[unknown] LOG:  connection received: host=127.0.0.1 port=5555\n",
        "2024-05-06 09:00:01.010 UTC [101] 127.0.0.1(5555) postgres@ratings FATAL:  password authentication failed for user \"postgres\"\n",
        "2024-05-06 09:00:01.011 UTC [101] 127.0.0.1(5555) postgres@ratings DETAIL:  Connection matched pg_hba.conf line 1\n",
        "2024-05-06 09:00:02.000 UTC [102] 127.0.0.1(5556) lab@lab ERROR:  relation \"nope\" does not exist at character 15\n",
        "2024-05-06 09:00:02.001 UTC [102] 127.0.0.1(5556) lab@lab STATEMENT:  SELECT * FROM nope\n",
        "\tAND more\n",
        "2024-05-06 09:00:03.000 UTC [103] WEIRD:  unknown severity\n",
        "initdb noise\n",
    ));
    let p = logs::read_postgres(pg.path()).unwrap();
    assert_eq!(strings(&p.rows, "severity"), ["LOG", "LOG", "FATAL", "ERROR"]);
    assert_eq!(strings(&p.rows, "level"), ["info", "info", "fatal", "error"]);
    assert_eq!(strings(&p.rows, "client"), ["null", "127.0.0.1", "127.0.0.1", "127.0.0.1"]);
    assert_eq!(strings(&p.rows, "user"), ["null", "null", "postgres", "lab"], "[unknown] is no value");
    assert_eq!(ints(&p.rows, "client_port"), [-1, 5555, 5555, 5556]);
    let messages = strings(&p.rows, "message");
    assert!(messages[2].ends_with("DETAIL: Connection matched pg_hba.conf line 1"), "{}", messages[2]);
    assert!(messages[3].contains("STATEMENT: SELECT * FROM nope\nAND more"), "{}", messages[3]);
    assert_eq!(ints(&p.unparsed, "line"), [8, 9]);

    // All of them in one table, in time order; a table that is not a log is refused by name.
    let all = logs::combine(&[&p.rows, &logs::read_app(app.path()).unwrap().rows]).unwrap();
    assert_eq!(all.height(), 6);
    assert_eq!(strings(&all, "source")[..3], ["postgres", "app", "app"], "09:00:00.000, then .100 and .200");
    let e = logs::combine(&[&polars::prelude::df!("x" => [1]).unwrap()]).unwrap_err();
    assert!(e.to_string().contains("table 0 is not a parsed log"), "{e}");
    let e = logs::read_app("/nonexistent/shop.log").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("/nonexistent/shop.log"), "{e}");
}

#[test]
fn the_shop_and_the_databases_write_what_happened_and_the_checks_agree() {
    let env = common::env();
    let files = lab8::setup(&env).unwrap();
    let before = logs::read_access(&files.access).unwrap().rows.height();
    let sent = lab8::traffic(&files.shop, 3, sourcelab::Progress::Quiet).unwrap();
    assert!(sent.requests > 50 && sent.guesses > 0 && sent.unanswered == 0, "{sent}");
    assert!(sent.by_status.contains_key(&401) && sent.by_status.contains_key(&200), "{sent}");
    // The access log has one line per answered request, from the shoppers' own addresses.
    let access = logs::read_access(&files.access).unwrap();
    assert_eq!(access.rows.height() - before, sent.requests as usize, "{sent}");
    assert_eq!(access.unparsed.height(), 0);
    let clients = access.rows.sql("SELECT DISTINCT client FROM self ORDER BY client").unwrap();
    let clients = strings(&clients, "client");
    assert!(clients.contains(&lab8::ATTACKER.to_string()) && clients.contains(&"127.0.0.2".to_string()), "{clients:?}");
    // The security log: the attacker on top.
    let auth = logs::read_auth(&files.auth).unwrap();
    let sql =
        "SELECT client, COUNT(*) AS failures FROM self WHERE outcome = 'failed' GROUP BY client ORDER BY failures DESC";
    let by_client = auth.rows.sql(sql).unwrap();
    assert_eq!(strings(&by_client, "client")[0], lab8::ATTACKER);
    check::lab8_ex4(&auth.rows, &by_client).unwrap();
    let wrong =
        auth.rows.sql("SELECT client, COUNT(*) AS failures FROM self GROUP BY client ORDER BY failures DESC").unwrap();
    assert!(check::lab8_ex4(&auth.rows, &wrong).is_err(), "accepted logins are not failures");
    // Refused database logins, in each server's own log.
    assert_eq!(lab8::failed_logins(&env, 2).unwrap(), 4);
    let pg = logs::read_postgres(&files.postgres).unwrap();
    let fatal = pg.rows.sql("SELECT \"user\", client FROM self WHERE severity = 'FATAL' AND message LIKE 'password authentication failed%'",
    )
    .unwrap();
    assert!(fatal.height() >= 2 && strings(&fatal, "user").contains(&"lab".to_string()), "{fatal}");
    let refused = pg.rows.sql("SELECT \"user\", COUNT(*) AS failures FROM self WHERE severity = 'FATAL' AND message LIKE 'password authentication failed%' GROUP BY \"user\" ORDER BY failures DESC").unwrap();
    check::lab8_ex2(&pg.rows, &refused).unwrap();
    let general = logs::read_mariadb_general(&files.mariadb).unwrap();
    let denied = general.rows.sql("SELECT argument FROM self WHERE level = 'warn'").unwrap();
    assert!(strings(&denied, "argument").iter().any(|a| a.contains("Access denied for user 'lab'")), "{denied}");
    let films = general
        .rows
        .sql("SELECT thread, argument FROM self WHERE command IN ('Query', 'Execute') AND argument LIKE '%film%'")
        .unwrap();
    assert!(films.height() >= 1, "lab8::setup queries the film table");
    check::lab8_ex1(&general.rows, &films).unwrap();
    let reversed = films.sql("SELECT * FROM self ORDER BY thread DESC, argument DESC").unwrap();
    if films.height() > 1 && strings(&films, "argument") != strings(&reversed, "argument") {
        assert!(check::lab8_ex1(&general.rows, &reversed).is_err(), "log order matters");
    }
    // Levels over every source.
    let all = logs::combine(&[&general.rows, &pg.rows, &access.rows, &auth.rows]).unwrap();
    let per_level = all.sql("SELECT level, COUNT(*) AS lines FROM self GROUP BY level ORDER BY lines DESC").unwrap();
    check::lab8_ex5(&all, &per_level).unwrap();
    let ascending = per_level.sql("SELECT * FROM self ORDER BY lines").unwrap();
    assert!(check::lab8_ex5(&all, &ascending).unwrap_err().to_string().contains("ordered by lines"));
    // A damaged copy reads: the good lines all there, the bad ones kept with their numbers.
    let damaged = logs::read_access(lab8::damaged_copy(&files.access).unwrap()).unwrap();
    assert_eq!(damaged.rows.height(), access.rows.height() - 1);
    assert_eq!(damaged.unparsed.height(), 2);
    let lines = ints(&damaged.unparsed, "line");
    assert_eq!(lines[0] as usize, access.rows.height() / 2 + 1);
    assert_eq!(lines[1] as usize, access.rows.height() + 1);
    // Bad input: a URL that is not the shop's.
    let e = lab8::traffic("nowhere", 1, sourcelab::Progress::Quiet).unwrap_err();
    assert!(e.to_string().contains("is not http://IP:PORT"), "{e}");
}
