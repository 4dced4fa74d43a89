//! The marshal converters: round trips on generated items (proptest), DynamoDB's documented edge values, a
//! bounded run of the fuzz harness over arbitrary bytes and arbitrary JSON, and the `marshal`/`unmarshal` CLI.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::process::{Command, Stdio};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use proptest::prelude::*;
use serde_json::{Value, json};
use sourcelab::marshal::{self, Format, Item};

/// A DynamoDB number as JSON writes it: sign, up to 38 significant digits, an exponent that keeps it in range.
fn number() -> impl Strategy<Value = String> {
    (any::<bool>(), "[1-9][0-9]{0,20}", "[0-9]{0,17}", -100i32..100).prop_map(|(neg, int, frac, exp)| {
        let sign = if neg { "-" } else { "" };
        let frac = if frac.is_empty() { String::new() } else { format!(".{frac}") };
        let exp = if exp == 0 { String::new() } else { format!("e{exp:+}") };
        format!("{sign}{int}{frac}{exp}")
    })
}

fn leaf() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        any::<String>().prop_map(AttributeValue::S),
        number().prop_map(AttributeValue::N),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(|b| AttributeValue::B(Blob::new(b))),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null(true)),
        proptest::collection::btree_set(any::<String>(), 1..5)
            .prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
        proptest::collection::btree_set(any::<i64>(), 1..5)
            .prop_map(|s| AttributeValue::Ns(s.into_iter().map(|n| n.to_string()).collect())),
        proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 0..8), 1..4)
            .prop_map(|s: BTreeSet<Vec<u8>>| AttributeValue::Bs(s.into_iter().map(Blob::new).collect())),
    ]
}

fn value() -> impl Strategy<Value = AttributeValue> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(AttributeValue::L),
            proptest::collection::hash_map("[$A-Za-z_]{0,6}", inner, 0..6).prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    proptest::collection::hash_map("[$A-Za-z_ #.]{1,10}", value(), 0..8)
}

/// Arbitrary JSON, shaped often enough like DynamoDB JSON (type keys, tags) to get past the first check.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "-?[0-9]{1,45}(\\.[0-9]{1,5})?([eE][-+]?[0-9]{1,4})?"
            .prop_map(|n| serde_json::from_str(&n).unwrap_or(Value::Null)),
        any::<String>().prop_map(Value::String),
        "(NaN|Infinity|-?[0-9]{1,42}|[A-Za-z0-9+/=]{0,8}|)".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 5, |inner| {
        let key = prop_oneof![
            Just("S".to_string()),
            Just("N".to_string()),
            Just("B".to_string()),
            Just("BOOL".to_string()),
            Just("NULL".to_string()),
            Just("M".to_string()),
            Just("L".to_string()),
            Just("SS".to_string()),
            Just("NS".to_string()),
            Just("BS".to_string()),
            Just("$SS".to_string()),
            Just("$NS".to_string()),
            Just("$BS".to_string()),
            Just("$B".to_string()),
            Just("$M".to_string()),
            "[a-z]{1,3}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn marshal_json_round_trips_every_item(item in item()) {
        let m = marshal::item_to_marshal(&item).unwrap();
        let text = m.to_string();
        let back = marshal::item_from_marshal(&serde_json::from_str(&text).unwrap()).unwrap();
        prop_assert_eq!(back, item);
    }

    #[test]
    fn plain_json_round_trips_every_item(item in item()) {
        let p = marshal::item_to_plain(&item).unwrap();
        let text = p.to_string();
        let back = marshal::item_from_plain(&serde_json::from_str(&text).unwrap()).unwrap();
        prop_assert_eq!(&back, &item);
        // And the other way round: plain → marshal → plain is the identity.
        let m = marshal::to_marshal(&p).unwrap();
        prop_assert_eq!(marshal::to_plain(&m).unwrap(), p);
    }

    #[test]
    fn the_fuzz_harness_holds_on_arbitrary_json(doc in any_json()) {
        harness::check_value(&doc);
        harness::check_value(&json!({ "a": doc }));
    }

    #[test]
    fn the_fuzz_harness_holds_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        harness::check(&bytes);
    }
}

#[test]
fn dynamodbs_documented_edge_values() {
    let ok = [
        "1E-130",
        "-1E-130",
        "9.9999999999999999999999999999999999999E+125",
        "-9.9999999999999999999999999999999999999E+125",
        "99999999999999999999999999999999999999",
        "0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
    ];
    for n in ok {
        // Every digit survives; only the exponent's spelling changes (`E+125` → `e+125`).
        let p = marshal::to_plain(&json!({ "n": { "N": n } })).unwrap_or_else(|e| panic!("{n}: {e}"));
        let spelled = n.replace('E', "e").replace("e1", "e+1");
        assert_eq!(p["n"].to_string(), spelled);
        assert_eq!(marshal::to_marshal(&p).unwrap(), json!({ "n": { "N": spelled } }));
    }
    let refused = [
        ("1E+126", "Number overflow"),
        ("-1E+126", "Number overflow"),
        ("1E-131", "Number underflow"),
        ("999999999999999999999999999999999999999", "more than 38 significant digits"),
        ("NaN", "cannot be converted to a numeric value: NaN"),
        ("Infinity", "cannot be converted to a numeric value: Infinity"),
    ];
    for (n, want) in refused {
        let e = marshal::to_plain(&json!({ "n": { "N": n } })).unwrap_err().to_string();
        assert!(e.contains(want), "{n}: {e}");
    }
    // The same limits hold for plain JSON numbers, which never go through f64.
    let big: Value = serde_json::from_str(r#"{"n": 1E+126}"#).unwrap();
    assert!(marshal::to_marshal(&big).unwrap_err().to_string().contains("Number overflow"));
    let exact: Value = serde_json::from_str(r#"{"n": 0.1000000000000000000000000000000000001}"#).unwrap();
    assert_eq!(marshal::to_marshal(&exact).unwrap()["n"]["N"], "0.1000000000000000000000000000000000001");
}

#[test]
fn every_type_has_its_spelling_both_ways() {
    let mut item: Item = HashMap::new();
    item.insert("s".into(), AttributeValue::S("text".into()));
    item.insert("n".into(), AttributeValue::N("-1.5e+3".into()));
    item.insert("b".into(), AttributeValue::B(Blob::new(vec![0u8, 1, 2])));
    item.insert("t".into(), AttributeValue::Bool(true));
    item.insert("z".into(), AttributeValue::Null(true));
    item.insert("m".into(), AttributeValue::M(HashMap::from([("k".to_string(), AttributeValue::N("1".into()))])));
    item.insert("l".into(), AttributeValue::L(vec![AttributeValue::S("a".into()), AttributeValue::Bool(false)]));
    item.insert("ss".into(), AttributeValue::Ss(vec!["a".into(), "b".into()]));
    item.insert("ns".into(), AttributeValue::Ns(vec!["1".into(), "2.5".into()]));
    item.insert("bs".into(), AttributeValue::Bs(vec![Blob::new(vec![1u8]), Blob::new(vec![2u8])]));
    let m = marshal::item_to_marshal(&item).unwrap();
    assert_eq!(
        m,
        json!({"b": {"B": "AAEC"}, "bs": {"BS": ["AQ==", "Ag=="]}, "l": {"L": [{"S": "a"}, {"BOOL": false}]},
               "m": {"M": {"k": {"N": "1"}}}, "n": {"N": "-1.5e+3"}, "ns": {"NS": ["1", "2.5"]}, "s": {"S": "text"},
               "ss": {"SS": ["a", "b"]}, "t": {"BOOL": true}, "z": {"NULL": true}})
    );
    let p = marshal::item_to_plain(&item).unwrap();
    assert_eq!(
        p.to_string(),
        r#"{"b":{"$B":"AAEC"},"bs":{"$BS":["AQ==","Ag=="]},"l":["a",false],"m":{"k":1},"n":-1.5e+3,"ns":{"$NS":[1,2.5]},"s":"text","ss":{"$SS":["a","b"]},"t":true,"z":null}"#
    );
    assert_eq!(marshal::item_from_plain(&p).unwrap(), item);
    assert_eq!(marshal::item_from_marshal(&m).unwrap(), item);
}

fn cli(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sourcelab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn the_cli_converts_items_and_batch_files_both_ways() {
    // A batch-write data file → plain → back, identical.
    let file = sourcelab::home().join("data/dynamodb/ProductCatalog.json");
    let (ok, plain, err) = cli(&["unmarshal", file.to_str().unwrap()], "");
    assert!(ok, "{err}");
    let plain: Value = serde_json::from_str(&plain).unwrap();
    let first = &plain["de-c2w1-dynamodb-ProductCatalog"][0]["PutRequest"]["Item"];
    assert_eq!(first["Id"], json!(101));
    let (ok, back, err) = cli(&["marshal", "-"], &plain.to_string());
    assert!(ok, "{err}");
    let back: Value = serde_json::from_str(&back).unwrap();
    assert_eq!(back, marshal::read_json(&file).unwrap());

    // One item from stdin.
    let (ok, out, _) = cli(&["marshal"], r#"{"Id": 12345678901234567890123456789012345678, "tags": {"$SS": ["x"]}}"#);
    assert!(ok);
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out, json!({"Id": {"N": "12345678901234567890123456789012345678"}, "tags": {"SS": ["x"]}}));

    // Bad input: the JSON path in a batch file, the line of a syntax error; nothing on stdout.
    let (ok, out, err) = cli(&["unmarshal"], r#"{"T": [{"PutRequest": {"Item": {"a": {"SS": []}}}}]}"#);
    assert!(!ok && out.is_empty());
    assert!(err.contains("convert stdin: at $[\"T\"][0].PutRequest.Item.a.SS: One or more parameter values were invalid: An string set  may not be empty"), "{err}");
    let (ok, out, err) = cli(&["marshal"], "{\n\"a\": 1,\n}");
    assert!(!ok && out.is_empty());
    assert!(err.contains("read JSON from stdin: line 3"), "{err}");
    let (ok, _, err) = cli(&["marshal", "/no/such/file.json"], "");
    assert!(!ok && err.contains("read /no/such/file.json"), "{err}");
}

#[test]
fn format_is_chosen_by_the_caller() {
    let doc = json!({"Id": {"N": "1"}});
    // The same JSON read as plain is a map with a key "N".
    let plain = marshal::item_from_json(&doc, Format::Plain).unwrap();
    assert!(matches!(plain.get("Id"), Some(AttributeValue::M(_))));
    let typed = marshal::item_from_json(&doc, Format::Marshal).unwrap();
    assert_eq!(typed.get("Id"), Some(&AttributeValue::N("1".into())));
}
