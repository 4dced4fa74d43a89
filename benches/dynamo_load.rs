//! Bulk load for benches/dynamo.sh: 10k items into a fresh moto table with `Dynamo::batch_write`. Prints
//! `sourcelab_batch_write items/s`. Usage: `dynamo_load <env file>`.

use std::time::Instant;

use serde_json::{Value, json};
use sourcelab::config::EnvFile;
use sourcelab::dynamo::{Dynamo, Progress, TableSpec, batch_requests};

const N: usize = 10_000;

fn main() -> sourcelab::Result<()> {
    let env = EnvFile::load(std::env::args().nth(1).expect("usage: dynamo_load <env file>"))?;
    let ddb = Dynamo::connect(&env)?;
    let table = "bench-load-sourcelab";
    ddb.delete_tables_starting_with(table)?;
    ddb.create_table(&TableSpec::new(table).hash("pk", "S"))?;
    let items: Vec<Value> = (0..N)
        .map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("item-{i}")}, "n": {"N": i.to_string()}, "name": {"S": format!("customer-{i}")}, "tags": {"SS": ["a", "b"]}}}}))
        .collect();
    let requests = batch_requests(&json!({ table: items }))?;
    let start = Instant::now();
    let report = ddb.batch_write(requests, Progress::Quiet)?;
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(report.total(), N);
    assert_eq!(ddb.scan_all(table, &json!({}))?.items.len(), N, "every item is in the table");
    println!("sourcelab_batch_write {:.0}", N as f64 / secs);
    ddb.delete_table(table)?;
    Ok(())
}
