//! The marshal fuzz harness, shared by the cargo-fuzz target (`fuzz/fuzz_targets/marshal.rs`) and the bounded
//! run inside the test suite (`tests/marshal.rs`): whatever the bytes, the converters never panic, and whatever
//! they accept converts back to exactly what they produced.

use serde_json::Value;
use sourcelab::marshal::{self, Format, Numbers};

/// Feeds `data` to every converter; panics only when a round-trip property breaks.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(doc) = serde_json::from_str::<Value>(text) else { return };
    check_value(&doc);
}

/// The properties on one JSON document, read as plain JSON and as DynamoDB JSON.
pub fn check_value(doc: &Value) {
    for format in [Format::Plain, Format::Marshal] {
        let _ = marshal::convert_document(doc, format, Numbers::AsGiven);
        let _ = marshal::convert_document(doc, format, Numbers::Canonical);
        let Ok(item) = marshal::item_from_json(doc, format) else { continue };
        let plain = marshal::item_to_plain(&item).expect("an accepted item converts to plain JSON");
        let typed = marshal::item_to_marshal(&item).expect("an accepted item converts to DynamoDB JSON");
        // DynamoDB JSON keeps every value's text: it reads back to the very same item.
        assert_eq!(marshal::item_from_marshal(&typed).expect("our DynamoDB JSON reads back"), item);
        // Plain JSON is canonical: through text and back, then to an item and back, it does not change.
        let reparsed: Value = serde_json::from_str(&plain.to_string()).expect("plain JSON text parses");
        let again = marshal::item_from_plain(&reparsed).expect("our plain JSON reads back");
        assert_eq!(marshal::item_to_plain(&again).expect("and converts again"), plain);
        if format == Format::Plain {
            assert_eq!(&plain, doc, "plain → item → plain is the identity");
        }
        // DynamoDB's spelling: accepted wherever the item was, and a fixed point (canonical twice = once).
        let canonical =
            marshal::canonical_item(item.clone()).expect("an accepted item's numbers have a canonical form");
        assert_eq!(marshal::canonical_item(canonical.clone()).expect("canonical again"), canonical);
        let canonical_typed = marshal::item_to_marshal(&canonical).expect("converts");
        assert_eq!(marshal::item_from_marshal(&canonical_typed).expect("a canonical item is accepted"), canonical);
    }
}
