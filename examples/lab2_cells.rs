//! Lab 2's first steps as a script: the cells of `notebooks/02_dynamodb.ipynb`, pasted into `main` unchanged.
//!
//! In the notebook these lines run against the thin notebook crate; here they run against the library itself,
//! with the same names and the same results. Run it with `cargo run --example lab2_cells` (after `sourcelab up`).

use sourcelab::prelude::*;

fn main() -> Result<()> {
    let env = load_env()?;
    let ddb = Dynamo::connect(&env)?;
    const PREFIX: &str = "example-lab2-cells";
    ddb.delete_tables_starting_with(PREFIX)?;

    let catalog = format!("{PREFIX}-ProductCatalog");
    let created = ddb.create_table(&TableSpec::new(&catalog).hash("Id", "N").capacity(10, 5))?;
    println!("{}", created["TableStatus"]);
    for (table, item) in dynamo::file_items(dynamo::data_file("ProductCatalog"))? {
        ddb.put_item(&table.replace("de-c2w1-dynamodb", PREFIX), &item, &json!({}))?;
    }
    let book = ddb.get_item(&catalog, &json!({"Id": {"N": "101"}}), &json!({}))?;
    println!("{book}");
    let products = ddb.scan(&catalog, &json!({}))?;
    println!("{} products; the first as plain JSON: {:#}", products.len(), products.plain()?[0]);
    ddb.delete_table(&catalog)?;
    Ok(())
}
