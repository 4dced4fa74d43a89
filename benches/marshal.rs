//! Converter speed for benches/dynamo.sh: 100k generated items of mixed types (N whole and decimal, S, BOOL, NULL,
//! SS, L, M), converted plain → DynamoDB and back by sourcelab's marshal functions and by serde_dynamo (from and to
//! a Rust struct, the way serde_dynamo is meant to be used). Also writes the items as DynamoDB JSON lines, so the
//! Python side converts exactly the same items with boto3. Prints one `name items/s` line per measurement.
//! Usage: `marshal <items.jsonl to write>`.

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sourcelab::marshal::{self, Format};

const N: usize = 100_000;

#[derive(Serialize, Deserialize)]
struct Address {
    city: String,
    zip: String,
    floor: i64,
}

#[derive(Serialize, Deserialize)]
struct Customer {
    id: i64,
    name: String,
    price: f64,
    active: bool,
    #[serde(with = "serde_dynamo::string_set")]
    tags: Vec<String>,
    scores: Vec<i64>,
    address: Address,
    note: Option<String>,
}

fn customer(i: usize) -> Customer {
    let i = i as i64;
    Customer {
        id: i,
        name: format!("customer-{i}"),
        price: format!("{}.{:02}", i % 1000, i % 97 + 1).parse().unwrap_or(0.0),
        active: i % 2 == 0,
        tags: vec![format!("t{}", i % 7), format!("u{}", i % 5), "all".into()],
        scores: vec![i % 10, i % 100, i % 1000],
        address: Address { city: format!("City {}", i % 50), zip: format!("{}", i % 90000 + 10000), floor: i % 12 },
        note: if i % 3 == 0 { None } else { Some(format!("note {i}")) },
    }
}

/// The same customer as plain JSON in sourcelab's spelling (a set is `{"$SS": [...]}`).
fn plain(c: &Customer) -> Value {
    let price: Value = serde_json::from_str(&format!("{}", c.price)).unwrap();
    json!({
        "id": c.id, "name": c.name, "price": price, "active": c.active, "tags": {"$SS": c.tags},
        "scores": c.scores, "address": {"city": c.address.city, "zip": c.address.zip, "floor": c.address.floor},
        "note": c.note,
    })
}

fn rate(name: &str, start: Instant) {
    println!("{name} {:.0}", N as f64 / start.elapsed().as_secs_f64());
}

fn main() {
    let out = std::env::args().nth(1).expect("usage: marshal <items.jsonl>");
    let customers: Vec<Customer> = (0..N).map(customer).collect();
    let plains: Vec<Value> = customers.iter().map(plain).collect();

    let start = Instant::now();
    let items: Vec<marshal::Item> = plains.iter().map(|p| marshal::item_from_plain(p).unwrap()).collect();
    rate("sourcelab_plain_to_dynamodb", start);
    // By value, as serde_dynamo::from_item takes its item: strings move into the JSON.
    let owned = items.clone();
    let start = Instant::now();
    let back: Vec<Value> = owned.into_iter().map(|i| marshal::item_into_json(i, Format::Plain).unwrap()).collect();
    rate("sourcelab_dynamodb_to_plain", start);
    assert_eq!(back, plains);
    // By reference (Response::plain): the item is copied first.
    let start = Instant::now();
    let back: Vec<Value> = items.iter().map(|i| marshal::item_to_plain(i).unwrap()).collect();
    rate("sourcelab_dynamodb_to_plain_by_ref", start);
    assert_eq!(back, plains);

    let start = Instant::now();
    let sd_items: Vec<HashMap<String, AttributeValue>> =
        customers.iter().map(|c| serde_dynamo::to_item(c).unwrap()).collect();
    rate("serde_dynamo_struct_to_dynamodb", start);
    let start = Instant::now();
    let sd_back: Vec<Customer> = sd_items.into_iter().map(|i| serde_dynamo::from_item(i).unwrap()).collect();
    rate("serde_dynamo_dynamodb_to_struct", start);
    assert_eq!(sd_back.len(), N);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&out).unwrap());
    for i in &items {
        writeln!(f, "{}", marshal::item_to_marshal(i).unwrap()).unwrap();
    }
}
