//! A small script of the kind a learner writes after lab 1: the helpers outside a notebook.
//!
//! It reads `.env` (written by `sourcelab up`), asks MariaDB which film categories earn the most, and records the
//! run in a table of its own with bound values, all in one transaction.
//!
//! Every line is a notebook cell's line: the helpers are plain blocking calls, so `main` needs no async runtime.
//! Run it with `cargo run --example rentio_report`.

use sourcelab::prelude::*;

fn main() -> Result<()> {
    let env = load_env()?;
    let db = Db::connect_mysql(&env)?;
    println!("connected to {db}");

    let revenue = db.query(
        "SELECT category.name AS category, SUM(payment.amount) AS revenue, COUNT(*) AS rentals \
             FROM payment JOIN rental ON rental.rental_id = payment.rental_id \
             JOIN inventory ON inventory.inventory_id = rental.inventory_id \
             JOIN film_category ON film_category.film_id = inventory.film_id \
             JOIN category ON category.category_id = film_category.category_id \
             GROUP BY category.name ORDER BY revenue DESC LIMIT 5",
    )?;
    println!("{revenue}");

    db.execute("CREATE TABLE IF NOT EXISTS report_runs (category VARCHAR(25), ran_at DATETIME)")?;
    let top = revenue.column("category").ok().and_then(|c| c.get(0).ok()).and_then(|v| v.get_str().map(str::to_string));
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let rows = vec![vec![SqlValue::from(top.unwrap_or_default()), SqlValue::from(now)]];
    let inserted = db.insert("report_runs", &["category", "ran_at"], &rows)?;
    println!("recorded {inserted} run(s) in report_runs");
    Ok(())
}
