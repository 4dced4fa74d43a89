//! Lab 3's data, generated here from a fixed seed: the ratings CSV, one streamed JSON record and two versions of a
//! logo image. `sourcelab data s3` writes them to `data/s3/`; a test checks the committed files are exactly what
//! this code makes, so anyone can see where every byte came from.
//!
//! The CSV has the course file's shape: 13 lower-case columns (customer, product and a 1–5 rating), every field in
//! double quotes except empty ones, CRLF line ends, many empty `state` and some empty `postalcode` values, a few
//! values with trailing spaces, and accented city names. Each (customer, product) pair appears once.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::rentio::Rng;

// The paths a cell also uses live in the notebook crate, once for both sides.
pub use sourcelab_notebook::ratings::{CSV_PATH, IMAGE_V1_PATH, IMAGE_V2_PATH, JSON_PATH};

/// Data rows in the ratings CSV (the course's file has the same count).
pub const RATING_ROWS: usize = 2532;
/// The CSV's header, in the course's column order.
pub const COLUMNS: [&str; 13] = [
    "city",
    "state",
    "postalcode",
    "country",
    "creditlimit",
    "productcode",
    "productline",
    "productscale",
    "quantityinstock",
    "buyprice",
    "msrp",
    "productrating",
    "customernumber",
];

/// (city, state, postal code, country); empty state or postal code as in many countries' addresses.
const PLACES: &[(&str, &str, &str, &str)] = &[
    ("Lisbon", "", "1100-142", "Portugal"),
    ("Porto", "", "4050-089", "Portugal"),
    ("Montréal", "Québec", "H2X 1Y4", "Canada"),
    ("Vancouver", "BC", "V6B 3K9", "Canada"),
    ("Auckland  ", "", "", "New Zealand"),
    ("Wellington", "", "6011", "New Zealand"),
    ("Lyon", "", "69002", "France"),
    ("Nantes", "", "44000", "France"),
    ("Marseille", "", "13001", "France"),
    ("Köln", "", "50667", "Germany"),
    ("München", "", "80331", "Germany"),
    ("Graz", "", "8010", "Austria"),
    ("Bergen", "", "5003", "Norway"),
    ("Århus", "", "8000", "Denmark"),
    ("Göteborg", "", "411 05", "Sweden"),
    ("Espoo", "", "02100", "Finland"),
    ("Sevilla", "", "41004", "Spain"),
    ("Valencia", "", "46002", "Spain"),
    ("Torino", "", "10121", "Italy"),
    ("Bologna", "", "40121", "Italy"),
    ("Leeds", "", "LS1 4AP", "UK"),
    ("Bristol", "", "BS1 5TR", "UK"),
    ("Cork", "", "", "Ireland"),
    ("Galway", "", "", "Ireland"),
    ("Ghent", "", "9000", "Belgium"),
    ("Utrecht", "", "3511 AB", "Netherlands"),
    ("Basel", "", "4051", "Switzerland"),
    ("Kraków", "", "31-008", "Poland"),
    ("Brno", "", "602 00", "Czech Republic"),
    ("Osaka", "Osaka", "530-0001", "Japan"),
    ("Singapore", "", "079903", "Singapore"),
    ("Perth", "WA", "6000", "Australia"),
    ("Hobart", "Tasmania", "7000", "Australia"),
    ("Portland", "OR", "97205", "USA"),
    ("Austin", "TX", "78701", "USA"),
    ("Madison", "WI", "53703", "USA"),
    ("Savannah", "GA", "31401", "USA"),
    ("Boulder", "CO", "80302", "USA"),
    ("Tucson", "AZ", "85701", "USA"),
    ("Burlington", "VT", "05401", "USA"),
    ("Asheville", "NC", "28801", "USA"),
    ("Santa Fe", "NM", "87501", "USA"),
    ("Ithaca", "NY", "14850", "USA"),
    ("Halifax", "Nova Scotia", "B3J 1S9", "Canada"),
    ("Durban", "", "4001", "South Africa"),
    ("Valparaíso", "", "", "Chile"),
    ("Rosario", "", "S2000", "Argentina"),
    ("Tallinn", "", "10111", "Estonia"),
];

/// Product lines with their share of products (in percent) and their usual scales.
const LINES: &[(&str, usize, &[&str])] = &[
    ("Classic Cars", 33, &["1:10", "1:12", "1:18", "1:24"]),
    ("Vintage Cars", 22, &["1:18", "1:24", "1:32"]),
    ("Motorcycles", 12, &["1:10", "1:12", "1:18"]),
    ("Planes", 11, &["1:24", "1:72", "1:700"]),
    ("Trucks and Buses", 10, &["1:12", "1:18", "1:50"]),
    ("Ships", 8, &["1:24", "1:72", "1:700"]),
    ("Trains", 4, &["1:18", "1:32", "1:50"]),
];

struct Customer {
    number: i64,
    place: usize,
    credit_cents: i64,
}

struct Product {
    code: String,
    line: usize,
    scale: &'static str,
    stock: i64,
    buy_cents: i64,
    msrp_cents: i64,
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn quoted(out: &mut String, v: &str) {
    if !v.is_empty() {
        out.push('"');
        out.push_str(v);
        out.push('"');
    }
}

/// The ratings CSV, as bytes (UTF-8, CRLF line ends).
pub fn ratings_csv() -> Vec<u8> {
    let mut rng = Rng(0x5EED_0003);
    let mut numbers: Vec<i64> = (103..500).collect();
    let customers: Vec<Customer> = (0..98)
        .map(|_| {
            let number = numbers.remove(rng.below(numbers.len()));
            Customer { number, place: rng.below(PLACES.len()), credit_cents: rng.range(0, 2300) * 10_000 }
        })
        .collect();
    let mut products = Vec::new();
    let mut codes = std::collections::HashSet::new();
    for (line, (_, share, scales)) in LINES.iter().enumerate() {
        for _ in 0..(109 * share).div_ceil(100) {
            let scale = *rng.pick(scales);
            let code = loop {
                let c = format!("S{}_{}", &scale[2..], rng.range(1000, 4999));
                if codes.insert(c.clone()) {
                    break c;
                }
            };
            let buy_cents = rng.range(1500, 10_400);
            products.push(Product {
                code,
                line,
                scale,
                stock: rng.range(15, 9999),
                buy_cents,
                msrp_cents: buy_cents + buy_cents * rng.range(40, 110) / 100,
            });
        }
    }
    products.truncate(109);
    let mut out = String::with_capacity(280_000);
    let header: Vec<String> = COLUMNS.iter().map(|c| format!("\"{c}\"")).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    let mut seen = std::collections::HashSet::new();
    let mut rows = 0;
    while rows < RATING_ROWS {
        let c = &customers[rng.below(customers.len())];
        let p = &products[rng.below(products.len())];
        if !seen.insert((c.number, p.code.clone())) {
            continue;
        }
        let (city, state, postal, country) = PLACES[c.place];
        let rating = match rng.below(100) {
            0..=8 => 1,
            9..=30 => 2,
            31..=64 => 3,
            65..=89 => 4,
            _ => 5,
        };
        for (i, v) in [city, state, postal, country].into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            quoted(&mut out, v);
        }
        let _ = write!(
            out,
            ",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{rating}\",\"{}\"\r\n",
            money(c.credit_cents),
            p.code,
            LINES[p.line].0,
            p.scale,
            p.stock,
            money(p.buy_cents),
            money(p.msrp_cents),
            c.number
        );
        rows += 1;
    }
    out.into_bytes()
}

/// One record of a recommendation stream: a session with its browse history and recommendations (nested JSON).
pub fn stream_record() -> Vec<u8> {
    let record = serde_json::json!({
        "session_id": "7c1f2a9e-4b8d-4e55-9a61-0d3b2f6c8e17",
        "customer_number": 311,
        "city": "Ghent",
        "country": "Belgium",
        "credit_limit": 81200,
        "browse_history": [
            {"product_code": "S18_2241", "quantity": "2", "in_shopping_cart": true},
            {"product_code": "S24_3310", "quantity": "1", "in_shopping_cart": false},
            {"product_code": "S50_1172", "quantity": "4", "in_shopping_cart": true}
        ],
        "recommended_items": [
            {"id": "S18_4409", "score": 0.8124},
            {"id": "S12_3050", "score": 0.7702},
            {"id": "S24_1937", "score": 0.6958},
            {"id": "S32_2205", "score": 0.6611},
            {"id": "S10_4417", "score": 0.6083}
        ],
        "similar_items": {
            "product_code": "S18_2241",
            "similar_items": [
                {"id": "S18_1984", "distance": 0.7034},
                {"id": "S12_2823", "distance": 0.7891},
                {"id": "S24_4048", "distance": 0.8102},
                {"id": "S18_3782", "distance": 0.8467},
                {"id": "S10_1678", "distance": 0.8893}
            ]
        }
    });
    let mut text = serde_json::to_string_pretty(&record).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

/// The logo, version 1 or 2: a bucket drawn in orange (v1) or a teal bucket with a wave (v2), 640×360 RGB PNG.
pub fn logo(version: u8) -> Vec<u8> {
    let (w, h) = (640usize, 360usize);
    let (bg, fg, accent): ([u8; 3], [u8; 3], [u8; 3]) = if version == 1 {
        ([250, 246, 238], [232, 122, 36], [120, 60, 20])
    } else {
        ([236, 246, 248], [22, 138, 150], [250, 190, 60])
    };
    let mut px = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f64, y as f64);
            // A bucket: a trapezoid narrowing downwards, with an elliptic rim.
            let top = 90.0;
            let bottom = 290.0;
            let half_top = 130.0;
            let half_bottom = 95.0;
            let t = (fy - top) / (bottom - top);
            let half = half_top + (half_bottom - half_top) * t;
            let in_body = (top..=bottom).contains(&fy) && (fx - 320.0).abs() <= half;
            let rim = ((fx - 320.0) / half_top).powi(2) + ((fy - top) / 22.0).powi(2);
            let color = if (0.78..=1.0).contains(&rim) {
                accent
            } else if rim < 0.78 {
                bg.map(|c| c.saturating_sub(40))
            } else if in_body {
                let wave = version == 2 && (fy - (200.0 + 18.0 * (fx / 40.0).sin())).abs() < 7.0;
                let band = version == 1 && ((fy - 190.0).abs() < 6.0 || (fy - 240.0).abs() < 6.0);
                if wave || band { accent } else { fg }
            } else {
                bg
            };
            px[(y * w + x) * 3..][..3].copy_from_slice(&color);
        }
    }
    png_rgb(w, h, &px)
}

/// 8-bit RGB pixels (`w` × `h`, row by row) as a PNG file, with the `png` crate's encoder.
fn png_rgb(w: usize, h: usize, px: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w as u32, h as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    // Writing to a Vec cannot fail, and the sizes match the pixels by construction.
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(px);
    }
    out
}

/// Every lab 3 file: (path under `data/s3/`, bytes).
pub fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![(CSV_PATH, ratings_csv()), (JSON_PATH, stream_record()), (IMAGE_V1_PATH, logo(1)), (IMAGE_V2_PATH, logo(2))]
}

/// The folder the files live in: `data/s3/` of the checkout.
pub fn data_dir() -> PathBuf {
    crate::home().join("data").join("s3")
}

/// Writes every file under `dir` (each through a temporary file, so none is ever half-written).
pub fn write_all(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (rel, bytes) in files() {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("create folder", parent, e))?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &bytes).map_err(|e| Error::io("write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io("rename into place", &path, e))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_files_are_what_the_generator_makes() {
        for (rel, bytes) in files() {
            let path = data_dir().join(rel);
            let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(committed == bytes, "{} differs from the generator: run `sourcelab data s3`", path.display());
        }
    }

    #[test]
    fn the_csv_has_the_courses_shape() {
        let csv = String::from_utf8(ratings_csv()).unwrap();
        let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
        assert_eq!(lines.len(), RATING_ROWS + 1);
        assert!(!csv.replace("\r\n", "").contains('\n'), "CRLF only");
        assert!(lines[0].starts_with("\"city\",\"state\",\"postalcode\""));
        let empty_state = lines[1..].iter().filter(|l| l.split(',').nth(1) == Some("")).count();
        let empty_postal = lines[1..].iter().filter(|l| l.split(',').nth(2) == Some("")).count();
        assert!(empty_state > 1000 && empty_postal > 50, "{empty_state} {empty_postal}");
        assert!(csv.contains("\"Auckland  \"") && csv.contains("\"Montréal\""));
        assert!(csv.contains("\"Trains\""));
    }

    #[test]
    fn the_images_are_pngs_and_differ() {
        let (a, b) = (logo(1), logo(2));
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n") && b.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_ne!(a, b);
    }
}
