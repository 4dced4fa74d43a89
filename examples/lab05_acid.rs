//! `05_acid.ipynb` as a script: every code cell, in order, against the sourcelab library.
//! Written by `sourcelab script notebooks/05_acid.ipynb`; run it with the stack up (`sourcelab up`).

use sourcelab::prelude::*;

#[rustfmt::skip] // the cells as they are written
fn main() -> Result<()> {
    // cell 1
    let env = load_env()?;
    let db = acid::setup(&env)?;
    // cell 2
    sourcelab::show!(db.query("SELECT * FROM account")?);
    // cell 3
    sourcelab::show!(db.query("SELECT * FROM product")?);
    // cell 4
    let credit = "UPDATE account SET balance = balance + 120 WHERE owner = 'alice'";
    let debit = "UPDATE account SET balance = balance - 120 WHERE owner = 'bob'";
    db.execute(credit)?;
    sourcelab::show!(db.execute(debit).unwrap_err());
    // cell 5
    sourcelab::show!(db.query("SELECT owner, balance FROM account")?);
    // cell 6
    acid::restock(&db)?;
    sourcelab::show!(db.transaction(&[credit, debit]).unwrap_err());
    // cell 7
    sourcelab::show!(db.query("SELECT owner, balance FROM account")?);
    // cell 8
    acid::restock(&db)?;
    // BEGIN SOLUTION: // db.transaction(&[…])?;
    db.transaction(&["UPDATE account SET balance = balance - 30 WHERE owner = 'alice'",
                     "UPDATE account SET balance = balance + 30 WHERE owner = 'bob'"])?;
    // END SOLUTION
    sourcelab::show!(check::lab5_ex1(&db)?);
    // cell 9
    sourcelab::show!(db.execute("UPDATE product SET stock = stock - 2 WHERE id = 3").unwrap_err());
    // cell 10
    sourcelab::show!(db.execute("INSERT INTO purchase (customer_id, product_id, quantity) VALUES (99, 1, 1)").unwrap_err());
    // cell 11
    sourcelab::show!(db.query("SELECT (SELECT stock FROM product WHERE id = 3) AS signed_copies, (SELECT COUNT(*) FROM purchase) AS purchases")?);
    // cell 12
    // BEGIN SOLUTION: // db.execute("ALTER TABLE purchase …")?;
    db.execute("ALTER TABLE purchase ADD CONSTRAINT quantity_positive CHECK (quantity >= 1)")?;
    // END SOLUTION
    sourcelab::show!(check::lab5_ex2(&db)?);
    // cell 13
    acid::restock(&db)?;
    let a = db.session("A")?;
    let b = db.session("B")?;
    println!("{a}\n{b}");
    // cell 14
    a.begin()?;
    b.begin()?;
    let seen_a = a.query("SELECT stock FROM product WHERE id = 2")?.value(0, "stock")?.as_i64().unwrap_or(0);
    let seen_b = b.query("SELECT stock FROM product WHERE id = 2")?.value(0, "stock")?.as_i64().unwrap_or(0);
    println!("A read {seen_a}, B read {seen_b}");
    // cell 15
    a.execute(&format!("UPDATE product SET stock = {} WHERE id = 2", seen_a - 1))?;
    a.commit()?;
    b.execute(&format!("UPDATE product SET stock = {} WHERE id = 2", seen_b - 1))?;
    b.commit()?;
    // cell 16
    sourcelab::show!(Session::timeline(&[&a, &b])?);
    // cell 17
    sourcelab::show!(db.query("SELECT stock FROM product WHERE id = 2")?);
    // cell 18
    let read =
        // BEGIN SOLUTION
        "SELECT stock FROM product WHERE id = 2 FOR UPDATE"
        // END SOLUTION
    ;
    sourcelab::show!(check::lab5_ex3(&db, read)?);
    // cell 19
    acid::restock(&db)?;
    let (a, b) = (db.session("A")?, db.session("B")?);
    // cell 20
    a.begin()?;
    let seen_a = a.query(read)?.value(0, "stock")?.as_i64().unwrap_or(0);
    b.begin()?;
    b.submit(read)?;
    println!("A read {seen_a}; B waits for A's lock: {}", b.busy());
    // cell 21
    a.execute(&format!("UPDATE product SET stock = {} WHERE id = 2", seen_a - 1))?;
    a.commit()?;
    let seen_b = b.wait()?.value(0, "stock")?.as_i64().unwrap_or(0);
    b.execute(&format!("UPDATE product SET stock = {} WHERE id = 2", seen_b - 1))?;
    b.commit()?;
    // cell 22
    sourcelab::show!(Session::timeline(&[&a, &b])?);
    // cell 23
    sourcelab::show!(db.query("SELECT stock FROM product WHERE id = 2")?);
    // cell 24
    let (a, b) = (db.session("A")?, db.session("B")?);
    b.isolation("READ UNCOMMITTED")?;
    a.begin()?;
    a.execute("UPDATE account SET balance = balance - 100 WHERE owner = 'alice'")?;
    sourcelab::show!(Session::views(&[&a, &b], "SELECT owner, balance FROM account WHERE owner = 'alice'")?);
    // cell 25
    a.rollback()?;
    sourcelab::show!(Session::views(&[&a, &b], "SELECT owner, balance FROM account WHERE owner = 'alice'")?);
    // cell 26
    b.isolation("READ COMMITTED")?;
    a.begin()?;
    a.execute("UPDATE account SET balance = balance - 100 WHERE owner = 'alice'")?;
    sourcelab::show!(Session::views(&[&a, &b], "SELECT owner, balance FROM account WHERE owner = 'alice'")?);
    // cell 27
    a.rollback()?;
    // cell 28
    let balance = "SELECT balance FROM account WHERE owner = 'alice'";
    let (a, b) = (db.session("A")?, db.session("B")?);
    b.isolation("READ COMMITTED")?;
    // cell 29
    b.begin()?;
    let first = b.query(balance)?.value(0, "balance")?;
    a.execute("UPDATE account SET balance = balance + 25 WHERE owner = 'alice'")?;
    println!("READ COMMITTED: B read {first}, then {}", b.query(balance)?.value(0, "balance")?);
    b.commit()?;
    // cell 30
    b.isolation("REPEATABLE READ")?;
    b.begin()?;
    let first = b.query(balance)?.value(0, "balance")?;
    a.execute("UPDATE account SET balance = balance + 25 WHERE owner = 'alice'")?;
    println!("REPEATABLE READ: B read {first}, then {}", b.query(balance)?.value(0, "balance")?);
    b.commit()?;
    // cell 31
    sourcelab::show!(Session::timeline(&[&a, &b])?);
    // cell 32
    let take_one =
        // BEGIN SOLUTION
        "UPDATE product SET stock = stock - 1 WHERE id = 3 AND stock > 0"
        // END SOLUTION
    ;
    sourcelab::show!(check::lab5_ex4(&db, take_one)?);
    // cell 33
    acid::restock(&db)?;
    let (a, b) = (db.session("buyer A")?, db.session("buyer B")?);
    a.begin()?;
    b.begin()?;
    println!("A: {:?}", a.execute(take_one)?);
    b.submit(take_one)?;
    // cell 34
    a.commit()?;
    println!("B: {}", b.wait()?.value(0, "rows_affected")?);
    b.commit()?;
    sourcelab::show!(Session::timeline(&[&a, &b])?);
    // cell 35
    let c = db.session("C")?;
    // BEGIN SOLUTION: // c.isolation("…")?;
    c.isolation("REPEATABLE READ")?;
    // END SOLUTION
    sourcelab::show!(check::lab5_ex5(&c)?);
    // cell 36
    let (a, b) = (db.session("A")?, db.session("B")?);
    a.execute("INSERT INTO ledger (note) VALUES ('committed before the crash')")?;
    b.begin()?;
    b.execute("INSERT INTO ledger (note) VALUES ('still open at the crash')")?;
    sourcelab::show!(Session::views(&[&a, &b], "SELECT id, note FROM ledger")?);
    // cell 37
    sourcelab::show!(acid::crash(&db)?);
    // cell 38
    sourcelab::show!(db.query("SELECT id, note FROM ledger")?);
    // cell 39
    sourcelab::show!(b.commit().unwrap_err());
    // cell 40
    sourcelab::show!(Db::connect_mysql(&env)?.query("SELECT COUNT(*) AS films FROM film")?);
    // cell 41
    let ddb = Dynamo::connect(&env)?;
    ddb.delete_tables_starting_with(acid::DYNAMO_PREFIX)?;
    ddb.create_table(&TableSpec::new(acid::DYNAMO_TABLE).hash("owner", "S"))?;
    ddb.put_item(acid::DYNAMO_TABLE, &json!({"owner": {"S": "alice"}, "balance": {"N": "100"}}), &json!({}))?;
    ddb.put_item(acid::DYNAMO_TABLE, &json!({"owner": {"S": "bob"}, "balance": {"N": "50"}}), &json!({}))?;
    // cell 42
    let bob = json!({"owner": {"S": "bob"}});
    let debit_120 = json!({"UpdateExpression": "SET balance = balance - :amount", "ConditionExpression": "balance >= :amount",
                           "ExpressionAttributeValues": {":amount": {"N": "120"}}});
    sourcelab::show!(ddb.update_item(acid::DYNAMO_TABLE, &bob, &debit_120).unwrap_err());
    // cell 43
    let transfer = json!([
        {"Update": {"TableName": acid::DYNAMO_TABLE, "Key": {"owner": {"S": "alice"}}, "UpdateExpression": "SET balance = balance + :amount",
                    "ExpressionAttributeValues": {":amount": {"N": "120"}}}},
        {"Update": {"TableName": acid::DYNAMO_TABLE, "Key": bob, "UpdateExpression": "SET balance = balance - :amount",
                    "ConditionExpression": "balance >= :amount", "ExpressionAttributeValues": {":amount": {"N": "120"}}}}]);
    sourcelab::show!(ddb.transact_write(&transfer, &dynamo::new_token("acid-transfer")).unwrap_err());
    // cell 44
    sourcelab::show!(ddb.scan(acid::DYNAMO_TABLE, &json!({}))?);
    // cell 45
    // BEGIN SOLUTION: // ddb.transact_write(&json!([…]), "a token of your own")?;
    let move_30 = json!([
        {"Update": {"TableName": acid::DYNAMO_TABLE, "Key": {"owner": {"S": "alice"}}, "UpdateExpression": "SET balance = balance - :amount",
                    "ConditionExpression": "balance >= :amount", "ExpressionAttributeValues": {":amount": {"N": "30"}}}},
        {"Update": {"TableName": acid::DYNAMO_TABLE, "Key": bob, "UpdateExpression": "SET balance = balance + :amount",
                    "ExpressionAttributeValues": {":amount": {"N": "30"}}}}]);
    ddb.transact_write(&move_30, &dynamo::new_token("acid-move-30"))?;
    // END SOLUTION
    sourcelab::show!(check::lab5_ex6(&ddb)?);
    // cell 46
    let alice = json!({"owner": {"S": "alice"}});
    let strong = ddb.get_item(acid::DYNAMO_TABLE, &alice, &json!({"ConsistentRead": true, "ReturnConsumedCapacity": "TOTAL"}))?;
    let eventual = ddb.get_item(acid::DYNAMO_TABLE, &alice, &json!({"ReturnConsumedCapacity": "TOTAL"}))?;
    println!("strong:   balance {}, {} read unit(s)", strong.item()?["balance"], strong.capacity_units());
    println!("eventual: balance {}, {} read unit(s)", eventual.item()?["balance"], eventual.capacity_units());
    // cell 47
    sourcelab::show!(account::costs(&env, 5)?);
    // cell 48
    sourcelab::show!(account::cleanup(&env, 5)?);
    Ok(())
}
