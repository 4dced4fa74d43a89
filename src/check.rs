//! Exercise checks: each lab's check cells call one function here.
//!
//! A check returns [`Passed`] (its Display is a one-line "✓ …") or an [`Error`] whose message says what was
//! expected, what came back, and a hint. In a notebook the cell then shows either the tick or the red message; in
//! the headless runs the error fails the cell, so a solution notebook with a wrong answer fails its tests.
//! Checks test shape and meaning (columns, row counts, totals), not one dataset's exact values, so they pass on
//! the generated Rentio data and on the official Sakila dump alike.

use std::fmt;

use polars::prelude::{AnyValue, DataFrame};

use crate::error::{Error, ErrorKind, Result};
use crate::sql::Db;

/// A passed check; shows as `✓ <what>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed(String);

impl fmt::Display for Passed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "✓ {}", self.0)
    }
}

impl Passed {
    /// Prints the tick in a notebook (evcxr shows this when a `Passed` ends a cell).
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/plain\n{self}\nEVCXR_END_CONTENT");
    }
}

fn fail(exercise: &str, expected: impl fmt::Display, got: impl fmt::Display, hint: &str) -> Error {
    Error::new(ErrorKind::Input, format!("check {exercise}"), format!("expected {expected}, got {got}")).hint(hint)
}

fn columns(df: &DataFrame) -> Vec<String> {
    df.get_column_names().iter().map(|c| c.to_string()).collect()
}

/// The result has exactly these columns, in this order.
fn expect_columns(exercise: &str, df: &DataFrame, want: &[&str], hint: &str) -> Result<()> {
    let got = columns(df);
    if got != want {
        return Err(fail(exercise, format!("columns {want:?}"), format!("{got:?}"), hint));
    }
    Ok(())
}

fn expect_rows(exercise: &str, df: &DataFrame, want: usize, hint: &str) -> Result<()> {
    if df.height() != want {
        return Err(fail(exercise, format!("{want} rows"), format!("{} rows", df.height()), hint));
    }
    Ok(())
}

/// A check on a result's columns and row count only.
fn shape(exercise: &str, df: &DataFrame, want: &[&str], rows: usize, hint: &str, passed: &str) -> Result<Passed> {
    expect_columns(exercise, df, want, hint)?;
    expect_rows(exercise, df, rows, hint)?;
    Ok(Passed(format!("{exercise}: {passed}")))
}

fn as_i64(v: AnyValue<'_>) -> Option<i64> {
    match v {
        AnyValue::Int8(x) => Some(x.into()),
        AnyValue::Int16(x) => Some(x.into()),
        AnyValue::Int32(x) => Some(x.into()),
        AnyValue::Int64(x) => Some(x),
        AnyValue::UInt8(x) => Some(x.into()),
        AnyValue::UInt16(x) => Some(x.into()),
        AnyValue::UInt32(x) => Some(x.into()),
        AnyValue::UInt64(x) => i64::try_from(x).ok(),
        _ => None,
    }
}

fn ints(df: &DataFrame, col: &str) -> Vec<i64> {
    df.column(col).map(|c| (0..c.len()).filter_map(|i| c.get(i).ok().and_then(as_i64)).collect()).unwrap_or_default()
}

fn strs(df: &DataFrame, col: &str) -> Vec<String> {
    df.column(col)
        .map(|c| (0..c.len()).filter_map(|i| c.get(i).ok().and_then(|v| v.get_str().map(str::to_string))).collect())
        .unwrap_or_default()
}

/// Exercise 1: `category_copy` exists with `category_id` (integer), `name` (VARCHAR(25)), `last_update` (TIMESTAMP).
pub async fn lab1_ex1(db: &Db) -> Result<Passed> {
    let hint = "CREATE TABLE category_copy (category_id INTEGER, name VARCHAR(25), last_update TIMESTAMP)";
    let cols = db.describe("category_copy").await.map_err(|e| e.hint(hint))?;
    let got: Vec<String> =
        strs(&cols, "column").into_iter().zip(strs(&cols, "type")).map(|(c, t)| format!("{c} {t}")).collect();
    let want = ["category_id int(11)", "name varchar(25)", "last_update timestamp"];
    if got != want {
        return Err(fail("exercise 1", format!("{want:?}"), format!("{got:?}"), hint));
    }
    Ok(Passed("exercise 1: category_copy has the three columns".into()))
}

/// Exercise 2: title, length and release year of 4 films.
pub fn lab1_ex2(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 2",
        df,
        &["title", "length", "release_year"],
        4,
        "SELECT title, length, release_year FROM film LIMIT 4",
        "4 films with title, length and release year",
    )
}

/// Exercise 3: every column of `store`.
pub fn lab1_ex3(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 3",
        df,
        &["store_id", "manager_staff_id", "address_id", "last_update"],
        2,
        "SELECT * FROM store",
        "both stores, all columns",
    )
}

/// Exercise 4: name and email of the active staff.
pub fn lab1_ex4(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 4",
        df,
        &["first_name", "last_name", "email"],
        2,
        "SELECT first_name, last_name, email FROM staff WHERE active",
        "the 2 active staff members",
    )
}

async fn category_copy(db: &Db) -> Result<(Vec<i64>, Vec<String>, Vec<String>)> {
    let df = db
        .query("SELECT category_id, name, CAST(last_update AS CHAR) AS last_update FROM category_copy ORDER BY category_id")
        .await?;
    Ok((ints(&df, "category_id"), strs(&df, "name"), strs(&df, "last_update")))
}

/// Exercise 5: three rows inserted into `category_copy`.
pub async fn lab1_ex5(db: &Db, inserted: &[u64]) -> Result<Passed> {
    let hint = "INSERT INTO category_copy VALUES (1,'Horror','2006-02-15 09:46:27'), (10,'Animation',…), (20,'Pop',…)";
    let (ids, names, _) = category_copy(db).await?;
    if inserted != [3] || ids != [1, 10, 20] || names != ["Horror", "Animation", "Pop"] {
        return Err(fail(
            "exercise 5",
            "[3] rows inserted: 1 Horror, 10 Animation, 20 Pop",
            format!("{inserted:?}: {ids:?} {names:?}"),
            hint,
        ));
    }
    Ok(Passed("exercise 5: 3 rows inserted".into()))
}

/// Exercise 6: the three UPDATEs (3, 1 and 1 rows).
pub async fn lab1_ex6(db: &Db, updated: &[u64]) -> Result<Passed> {
    let hint = "three statements: set every last_update to '2020-09-12 08:00:00'; set category_id = 2 where name is \
                'Animation'; set name = 'Action' where category_id = 1";
    let (ids, names, stamps) = category_copy(db).await?;
    let ok = updated == [3, 1, 1]
        && ids == [1, 2, 20]
        && names == ["Action", "Animation", "Pop"]
        && stamps.iter().all(|s| s == "2020-09-12 08:00:00");
    if !ok {
        return Err(fail(
            "exercise 6",
            "[3, 1, 1] rows changed: 1 Action, 2 Animation, 20 Pop, all at 2020-09-12 08:00:00",
            format!("{updated:?}: {ids:?} {names:?} {stamps:?}"),
            hint,
        ));
    }
    Ok(Passed("exercise 6: 3, 1 and 1 rows updated".into()))
}

/// Exercise 7: the row with `category_id` 20 deleted.
pub async fn lab1_ex7(db: &Db, deleted: &[u64]) -> Result<Passed> {
    let hint = "DELETE FROM category_copy WHERE category_id = 20";
    let (ids, _, _) = category_copy(db).await?;
    if deleted != [1] || ids != [1, 2] {
        return Err(fail("exercise 7", "[1] row deleted, ids [1, 2] left", format!("{deleted:?}, ids {ids:?}"), hint));
    }
    Ok(Passed("exercise 7: 1 row deleted".into()))
}

/// Exercise 8: aliases `film_title`, `film_length`, `film_release_year`, 10 rows.
pub fn lab1_ex8(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 8",
        df,
        &["film_title", "film_length", "film_release_year"],
        10,
        "SELECT title AS film_title, length AS film_length, release_year AS film_release_year FROM film LIMIT 10",
        "10 films under their new names",
    )
}

/// Exercise 9: city, address and district of 5 addresses (a join of address and city).
pub fn lab1_ex9(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 9",
        df,
        &["city", "address", "district"],
        5,
        "SELECT city, address, district FROM address JOIN city ON address.city_id = city.city_id LIMIT 5",
        "5 addresses with their city",
    )
}

/// Exercise 10: country, city and address of the active staff (three joins).
pub fn lab1_ex10(df: &DataFrame) -> Result<Passed> {
    shape(
        "exercise 10",
        df,
        &["country", "city", "address"],
        2,
        "join address, staff, city and country; keep WHERE staff.active",
        "where the 2 active staff members live",
    )
}

/// Exercise 11: films per rating: 5 ratings, 1000 films in all.
pub fn lab1_ex11(df: &DataFrame) -> Result<Passed> {
    let hint = "SELECT rating, COUNT(film_id) AS films_count FROM film GROUP BY rating";
    expect_columns("exercise 11", df, &["rating", "films_count"], hint)?;
    expect_rows("exercise 11", df, 5, hint)?;
    let total: i64 = ints(df, "films_count").iter().sum();
    if total != 1000 {
        return Err(fail("exercise 11", "counts adding up to 1000 films", total, hint));
    }
    Ok(Passed("exercise 11: 5 ratings, 1000 films".into()))
}

/// Exercise 12: films per category, ascending: 16 categories, 1000 films.
pub fn lab1_ex12(df: &DataFrame) -> Result<Passed> {
    let hint = "join film, film_category and category; GROUP BY category.name ORDER BY films_count";
    expect_columns("exercise 12", df, &["category", "films_count"], hint)?;
    expect_rows("exercise 12", df, 16, hint)?;
    let counts = ints(df, "films_count");
    if counts.windows(2).any(|w| w[0] > w[1]) {
        return Err(fail("exercise 12", "counts in ascending order", format!("{counts:?}"), hint));
    }
    if counts.iter().sum::<i64>() != 1000 {
        return Err(fail("exercise 12", "counts adding up to 1000 films", counts.iter().sum::<i64>(), hint));
    }
    Ok(Passed("exercise 12: 16 categories, smallest first".into()))
}
