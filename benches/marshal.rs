//! Converter speed for benches/dynamo.sh: 100k generated items of mixed types (N whole and decimal, S, BOOL, NULL,
//! SS, L, M), converted plain → DynamoDB and back by sourcelab's marshal functions and by serde_dynamo (from and to
//! a Rust struct, the way serde_dynamo is meant to be used). Also writes the items as DynamoDB JSON lines, so the
//! Python side converts exactly the same items with boto3. Each converter runs in 5 rounds, taken in turn; prints
//! one `name items/s` line per converter, the median of its rounds.
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

/// Runs `convert` once and returns its rate in items/s; `convert` returns what it made, dropped after the clock.
fn rate<T>(convert: impl FnOnce() -> Vec<T>) -> f64 {
    let start = Instant::now();
    let made = convert();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(made.len(), N);
    N as f64 / secs
}

const ROUNDS: usize = 5;

fn main() {
    let out = std::env::args().nth(1).expect("usage: marshal <items.jsonl>");
    let customers: Vec<Customer> = (0..N).map(customer).collect();
    let plains: Vec<Value> = customers.iter().map(plain).collect();
    let items: Vec<marshal::Item> = plains.iter().map(|p| marshal::item_from_plain(p).unwrap()).collect();
    let sd_items: Vec<HashMap<String, AttributeValue>> =
        customers.iter().map(|c| serde_dynamo::to_item(c).unwrap()).collect();
    // Both directions give back what went in.
    assert_eq!(items.iter().map(|i| marshal::item_to_plain(i).unwrap()).collect::<Vec<_>>(), plains);
    assert_eq!(
        sd_items.iter().map(|i| serde_dynamo::from_item::<_, Customer>(i.clone()).unwrap().id).sum::<i64>(),
        (0..N as i64).sum::<i64>()
    );

    // Rounds in turn, so machine noise hits every converter alike; each rate is the median of its rounds.
    let mut rates: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut add = |name: &'static str, r: f64| match rates.iter_mut().find(|(n, _)| *n == name) {
        Some((_, v)) => v.push(r),
        None => rates.push((name, vec![r])),
    };
    for _ in 0..ROUNDS {
        add(
            "sourcelab_plain_to_dynamodb",
            rate(|| plains.iter().map(|p| marshal::item_from_plain(p).unwrap()).collect()),
        );
        add(
            "serde_dynamo_struct_to_dynamodb",
            rate(|| {
                customers
                    .iter()
                    .map(|c| serde_dynamo::to_item::<_, HashMap<String, AttributeValue>>(c).unwrap())
                    .collect()
            }),
        );
        // By value, as serde_dynamo::from_item takes its item: strings move into the JSON.
        let owned = items.clone();
        add(
            "sourcelab_dynamodb_to_plain",
            rate(|| owned.into_iter().map(|i| marshal::item_into_json(i, Format::Plain).unwrap()).collect()),
        );
        let owned = sd_items.clone();
        add(
            "serde_dynamo_dynamodb_to_struct",
            rate(|| owned.into_iter().map(|i| serde_dynamo::from_item::<_, Customer>(i).unwrap()).collect()),
        );
        // By reference (Response::plain): the item is copied first.
        add(
            "sourcelab_dynamodb_to_plain_by_ref",
            rate(|| items.iter().map(|i| marshal::item_to_plain(i).unwrap()).collect()),
        );
    }
    for (name, mut v) in rates {
        v.sort_by(f64::total_cmp);
        println!("{name} {:.0}", v[v.len() / 2]);
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(&out).unwrap());
    for i in &items {
        writeln!(f, "{}", marshal::item_to_marshal(i).unwrap()).unwrap();
    }
}
