//! Rentio, the DVD-rental company of lab 1: its schema and a deterministic generator for its rows.
//!
//! The course runs its SQL lab on MySQL's Sakila sample database. We ship our own data instead: the same fifteen
//! tables and keys (`data/rentio/schema.sql`) and the same row counts, filled by a seeded generator, so every
//! machine gets byte-for-byte the same database. The rows are believable and consistent: 16 named categories,
//! 1000 titled films with ratings, lengths and release years, two stores with one active manager each, and
//! rentals from May 2005 to February 2006 that rent a copy only while it is on the shelf, each with its payment,
//! and, as in the official data, five payments that belong to no rental (16,049 payments for 16,044 rentals).
//! To see the course's exact numbers, load the official dump instead (`sourcelab data sakila --from …`).

use std::fmt::Write as _;

/// Rentals, as in the official Sakila data: each has one payment.
pub const RENTALS: usize = 16044;
/// Payments, as in the official Sakila data: one per rental and five that belong to no rental.
pub const PAYMENTS: usize = 16049;

/// Rows per table, as in the official Sakila data.
pub const ROW_COUNTS: [(&str, usize); 15] = [
    ("actor", 200),
    ("address", 603),
    ("category", 16),
    ("city", 600),
    ("country", 109),
    ("customer", 599),
    ("film", 1000),
    ("film_actor", 5462),
    ("film_category", 1000),
    ("inventory", 4581),
    ("language", 6),
    ("payment", PAYMENTS),
    ("rental", RENTALS),
    ("staff", 2),
    ("store", 2),
];

/// The schema (MySQL / MariaDB DDL), from `data/rentio/schema.sql`.
pub const SCHEMA_SQL: &str = include_str!("../../data/rentio/schema.sql");

/// SplitMix64: tiny, fast and fixed forever, so the data never changes with a crate upgrade. `Rng(seed)`; the
/// labs' generators and the tests' random inputs all draw from it.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }
    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// One SQL value.
enum V {
    Int(i64),
    Str(String),
    Null,
    /// Money in cents, written as DECIMAL with two places.
    Cents(i64),
    /// Seconds since 2005-01-01 00:00:00, written as a DATETIME.
    Time(i64),
}

fn s(x: impl Into<String>) -> V {
    V::Str(x.into())
}

fn write_value(out: &mut String, v: &V) {
    match v {
        V::Int(i) => {
            let _ = write!(out, "{i}");
        }
        V::Str(t) => {
            out.push('\'');
            for c in t.chars() {
                match c {
                    '\'' => out.push_str("''"),
                    '\\' => out.push_str("\\\\"),
                    c => out.push(c),
                }
            }
            out.push('\'');
        }
        V::Null => out.push_str("NULL"),
        V::Cents(c) => {
            let _ = write!(out, "{}.{:02}", c / 100, c % 100);
        }
        V::Time(t) => {
            let base =
                chrono::NaiveDate::from_ymd_opt(2005, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or_default();
            let when = base + chrono::Duration::seconds(*t);
            let _ = write!(out, "'{}'", when.format("%Y-%m-%d %H:%M:%S"));
        }
    }
}

/// A table's rows as INSERT statements of at most 500 rows each.
fn inserts(table: &str, columns: &[&str], rows: &[Vec<V>]) -> Vec<String> {
    rows.chunks(500)
        .map(|chunk| {
            let mut sql = format!("INSERT INTO {table} ({}) VALUES\n", columns.join(", "));
            for (i, row) in chunk.iter().enumerate() {
                sql.push_str(if i == 0 { "(" } else { ",\n(" });
                for (j, v) in row.iter().enumerate() {
                    if j > 0 {
                        sql.push_str(", ");
                    }
                    write_value(&mut sql, v);
                }
                sql.push(')');
            }
            sql
        })
        .collect()
}

const LANGUAGES: [&str; 6] = ["English", "Italian", "Japanese", "Mandarin", "French", "German"];
const CATEGORIES: [&str; 16] = [
    "Action",
    "Animation",
    "Children",
    "Classics",
    "Comedy",
    "Documentary",
    "Drama",
    "Family",
    "Foreign",
    "Games",
    "Horror",
    "Music",
    "New",
    "Sci-Fi",
    "Sports",
    "Travel",
];
const COUNTRIES: [&str; 109] = [
    "Afghanistan",
    "Algeria",
    "Angola",
    "Argentina",
    "Armenia",
    "Australia",
    "Austria",
    "Azerbaijan",
    "Bahrain",
    "Bangladesh",
    "Belarus",
    "Bolivia",
    "Brazil",
    "Brunei",
    "Bulgaria",
    "Cambodia",
    "Cameroon",
    "Canada",
    "Chad",
    "Chile",
    "China",
    "Colombia",
    "Congo",
    "Czechia",
    "Dominican Republic",
    "Ecuador",
    "Egypt",
    "Estonia",
    "Ethiopia",
    "Faroe Islands",
    "Finland",
    "France",
    "French Guiana",
    "Gambia",
    "Germany",
    "Greece",
    "Greenland",
    "Guatemala",
    "Holy See",
    "Hong Kong",
    "Hungary",
    "India",
    "Indonesia",
    "Iran",
    "Iraq",
    "Israel",
    "Italy",
    "Japan",
    "Kazakstan",
    "Kenya",
    "Kuwait",
    "Latvia",
    "Liechtenstein",
    "Lithuania",
    "Madagascar",
    "Malawi",
    "Malaysia",
    "Mexico",
    "Moldova",
    "Morocco",
    "Mozambique",
    "Myanmar",
    "Nauru",
    "Nepal",
    "Netherlands",
    "New Zealand",
    "Nigeria",
    "North Korea",
    "Oman",
    "Pakistan",
    "Paraguay",
    "Peru",
    "Philippines",
    "Poland",
    "Portugal",
    "Puerto Rico",
    "Romania",
    "Russia",
    "Saint Vincent",
    "Saudi Arabia",
    "Senegal",
    "Slovakia",
    "South Africa",
    "South Korea",
    "Spain",
    "Sri Lanka",
    "Sudan",
    "Sweden",
    "Switzerland",
    "Taiwan",
    "Tanzania",
    "Thailand",
    "Tonga",
    "Tunisia",
    "Turkey",
    "Turkmenistan",
    "Tuvalu",
    "Ukraine",
    "United Arab Emirates",
    "United Kingdom",
    "United States",
    "Venezuela",
    "Vietnam",
    "Virgin Islands",
    "Yemen",
    "Yugoslavia",
    "Zambia",
    "Uruguay",
    "Iceland",
];
const PLACE_START: [&str; 30] = [
    "Ash", "Bel", "Cal", "Dun", "El", "Fair", "Glen", "Hal", "Iver", "Jas", "Kings", "Lor", "Mar", "Nor", "Oak",
    "Port", "Quin", "Ros", "San", "Tor", "Ul", "Val", "West", "Yar", "Zel", "Bright", "Clear", "Stone", "River",
    "Silver",
];
const PLACE_END: [&str; 24] = [
    "ford", "ham", "ton", "bury", "field", "mouth", "wick", "dale", "mont", "ville", "stad", "burg", "haven", "port",
    "view", "crest", "more", "by", "gate", "well", "brook", "ridge", "moor", "shire",
];
const STREETS: [&str; 12] =
    ["Street", "Avenue", "Lane", "Way", "Drive", "Boulevard", "Parkway", "Place", "Road", "Loop", "Manor", "Court"];
const FIRST_NAMES: [&str; 48] = [
    "ADA", "ALAN", "ANNA", "BEN", "CARLA", "CHLOE", "DAN", "DIANA", "EDGAR", "ELLA", "FELIX", "FIONA", "GRACE", "HUGO",
    "IDA", "IVAN", "JADE", "JONAH", "KARA", "LEO", "LENA", "MAYA", "MILO", "NINA", "NOAH", "OLGA", "OSCAR", "PAULA",
    "PETER", "QUINN", "RAFAEL", "RITA", "RUBY", "SAM", "SOFIA", "TARA", "THEO", "UMA", "VERA", "VICTOR", "WANDA",
    "WILL", "XENA", "YARA", "YUSUF", "ZOE", "AMIR", "BELLA",
];
const LAST_NAMES: [&str; 50] = [
    "ABBOTT",
    "BARNES",
    "CASTRO",
    "DAVIES",
    "EVANS",
    "FISCHER",
    "GARCIA",
    "HOLMES",
    "INGRAM",
    "JENSEN",
    "KOWALSKI",
    "LARSEN",
    "MORENO",
    "NAKAMURA",
    "OKAFOR",
    "PATEL",
    "QUINTERO",
    "ROSSI",
    "SILVA",
    "TANAKA",
    "UNDERWOOD",
    "VARGAS",
    "WEBER",
    "XU",
    "YILMAZ",
    "ZIMMER",
    "ARCHER",
    "BOYLE",
    "CHEN",
    "DUBOIS",
    "ELLIS",
    "FORD",
    "GRANT",
    "HAYES",
    "IBARRA",
    "JOYCE",
    "KENT",
    "LOPEZ",
    "MARSH",
    "NOVAK",
    "OWENS",
    "PRICE",
    "REED",
    "SHAW",
    "TODD",
    "VANCE",
    "WARD",
    "YOUNG",
    "BLAKE",
    "COLE",
];
const TITLE_A: [&str; 40] = [
    "ABSENT", "AMBER", "ARCTIC", "BLIND", "BRAVE", "BROKEN", "CALM", "CRIMSON", "DARK", "DESERT", "DIGITAL",
    "ELECTRIC", "EMPTY", "FINAL", "FROZEN", "GOLDEN", "HIDDEN", "HOLLOW", "IRON", "JADE", "LAST", "LOST", "LUCKY",
    "MIDNIGHT", "NEON", "NOBLE", "OCEAN", "PAPER", "QUIET", "RAPID", "ROYAL", "SECRET", "SILENT", "SOLAR", "TIDAL",
    "TWIN", "VELVET", "WILD", "WINTER", "ZERO",
];
const TITLE_B: [&str; 40] = [
    "ALIBI", "ANTHEM", "BANDIT", "BRIDGE", "CANYON", "CIRCUS", "CODE", "COMET", "CROWN", "DANCER", "DIARY", "EMPIRE",
    "FALCON", "FORTUNE", "GARDEN", "HARBOR", "HUNTER", "ISLAND", "JOURNEY", "KINGDOM", "LANTERN", "LEGACY", "MIRROR",
    "MISSION", "ORCHARD", "PARADE", "PILOT", "PROMISE", "RIVER", "ROBOT", "SAGA", "SIGNAL", "SUMMIT", "TEMPLE",
    "THRONE", "TRAIN", "VOYAGE", "WALTZ", "WIZARD", "ZEPHYR",
];
const ADJECTIVES: [&str; 10] =
    ["Touching", "Thrilling", "Fanciful", "Quiet", "Epic", "Charming", "Stunning", "Brilliant", "Gritty", "Witty"];
const GENRES: [&str; 8] = ["Drama", "Story", "Tale", "Saga", "Documentary", "Reflection", "Portrait", "Adventure"];
const PEOPLE: [&str; 12] = [
    "Pilot",
    "Chef",
    "Detective",
    "Astronaut",
    "Teacher",
    "Pirate",
    "Robot",
    "Dentist",
    "Explorer",
    "Mechanic",
    "Poet",
    "Spy",
];
const VERBS: [&str; 8] = ["Outrace", "Rescue", "Befriend", "Outwit", "Find", "Confront", "Chase", "Forgive"];
const SETTINGS: [&str; 8] = [
    "in a Lighthouse",
    "in Ancient Rome",
    "on a Train",
    "in a Submarine",
    "at the Airport",
    "in the Desert",
    "on the Moon",
    "in a Jungle",
];
const FEATURES: [&str; 4] = ["Trailers", "Commentaries", "Deleted Scenes", "Behind the Scenes"];
const RATINGS: [&str; 5] = ["G", "PG", "PG-13", "R", "NC-17"];

/// Seconds from 2005-01-01 to 2006-02-15 04:00:00, when the catalogue was last touched.
const CATALOGUE_UPDATED: i64 = 410 * 86_400 + 4 * 3_600;
/// Rentals run from 2005-05-24 to 2006-02-14.
const FIRST_RENTAL: i64 = 143 * 86_400;
const LAST_RENTAL: i64 = 409 * 86_400;

/// Distributes `total` over `n` buckets, each in `lo..=hi`, deterministically.
fn spread(rng: &mut Rng, n: usize, total: usize, lo: usize, hi: usize) -> Vec<usize> {
    let mut counts: Vec<usize> = (0..n).map(|_| rng.range(lo as i64, hi as i64) as usize).collect();
    let mut sum: usize = counts.iter().sum();
    while sum != total {
        let i = rng.below(n);
        if sum < total && counts[i] < hi {
            counts[i] += 1;
            sum += 1;
        } else if sum > total && counts[i] > lo {
            counts[i] -= 1;
            sum -= 1;
        }
    }
    counts
}

fn unique_names(rng: &mut Rng, n: usize, make: impl Fn(&mut Rng) -> String) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let name = make(rng);
        if seen.insert(name.clone()) {
            out.push(name);
        }
    }
    out
}

/// Every INSERT statement for the fifteen tables, in an order that satisfies the foreign keys
/// (stores and staff reference each other, so the loader turns key checks off around them).
pub fn data_sql() -> Vec<String> {
    let mut rng = Rng(0x5EED_2005_0524);
    let mut out = Vec::new();
    let at = V::Time;

    let rows: Vec<Vec<V>> =
        LANGUAGES.iter().enumerate().map(|(i, l)| vec![V::Int(i as i64 + 1), s(*l), at(CATALOGUE_UPDATED)]).collect();
    out.extend(inserts("language", &["language_id", "name", "last_update"], &rows));
    let rows: Vec<Vec<V>> =
        CATEGORIES.iter().enumerate().map(|(i, c)| vec![V::Int(i as i64 + 1), s(*c), at(CATALOGUE_UPDATED)]).collect();
    out.extend(inserts("category", &["category_id", "name", "last_update"], &rows));
    let rows: Vec<Vec<V>> =
        COUNTRIES.iter().enumerate().map(|(i, c)| vec![V::Int(i as i64 + 1), s(*c), at(CATALOGUE_UPDATED)]).collect();
    out.extend(inserts("country", &["country_id", "country", "last_update"], &rows));

    let cities = unique_names(&mut rng, 600, |r| format!("{}{}", r.pick(&PLACE_START), r.pick(&PLACE_END)));
    let rows: Vec<Vec<V>> = cities
        .iter()
        .enumerate()
        .map(|(i, c)| vec![V::Int(i as i64 + 1), s(c.clone()), V::Int(rng.range(1, 109)), at(CATALOGUE_UPDATED)])
        .collect();
    out.extend(inserts("city", &["city_id", "city", "country_id", "last_update"], &rows));

    let streets = unique_names(&mut rng, 603, |r| {
        format!("{} {}{} {}", r.range(1, 1999), r.pick(&PLACE_START), r.pick(&PLACE_END), r.pick(&STREETS))
    });
    let rows: Vec<Vec<V>> = streets
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let postal = if rng.chance(4) { s("") } else { s(format!("{:05}", rng.range(1000, 99999))) };
            let district = format!("{}{}", rng.pick(&PLACE_START), rng.pick(&PLACE_END));
            vec![
                V::Int(i as i64 + 1),
                s(a.clone()),
                if rng.chance(2) { s("") } else { V::Null },
                s(district),
                V::Int(rng.range(1, 600)),
                postal,
                s(format!("{}", rng.range(100_000_000_000, 999_999_999_999))),
                at(CATALOGUE_UPDATED),
            ]
        })
        .collect();
    out.extend(inserts(
        "address",
        &["address_id", "address", "address2", "district", "city_id", "postal_code", "phone", "last_update"],
        &rows,
    ));

    let actors = unique_names(&mut rng, 200, |r| format!("{} {}", r.pick(&FIRST_NAMES), r.pick(&LAST_NAMES)));
    let rows: Vec<Vec<V>> = actors
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (first, last) = n.split_once(' ').unwrap_or((n, ""));
            vec![V::Int(i as i64 + 1), s(first), s(last), at(CATALOGUE_UPDATED)]
        })
        .collect();
    out.extend(inserts("actor", &["actor_id", "first_name", "last_name", "last_update"], &rows));

    let mut titles = unique_names(&mut rng, 1000, |r| format!("{} {}", r.pick(&TITLE_A), r.pick(&TITLE_B)));
    titles.sort(); // film ids follow the alphabet, as in the course's catalogue
    let mut film_rate = Vec::with_capacity(1000);
    let mut film_duration = Vec::with_capacity(1000);
    let rows: Vec<Vec<V>> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let rate = *rng.pick(&[99i64, 299, 499]);
            let duration = rng.range(3, 7);
            film_rate.push(rate);
            film_duration.push(duration);
            let description = format!(
                "A {} {} of a {} And a {} who must {} a {} {}",
                rng.pick(&ADJECTIVES),
                rng.pick(&GENRES),
                rng.pick(&PEOPLE),
                rng.pick(&PEOPLE),
                rng.pick(&VERBS),
                rng.pick(&PEOPLE),
                rng.pick(&SETTINGS)
            );
            let features: Vec<&str> = FEATURES.iter().copied().filter(|_| rng.chance(45)).collect();
            vec![
                V::Int(i as i64 + 1),
                s(t.clone()),
                s(description),
                V::Int(2006),
                V::Int(1),
                V::Null,
                V::Int(duration),
                V::Cents(rate),
                V::Int(rng.range(46, 185)),
                V::Cents(rng.range(9, 29) * 100 + 99),
                s(*rng.pick(&RATINGS)),
                if features.is_empty() { V::Null } else { s(features.join(",")) },
                at(CATALOGUE_UPDATED),
            ]
        })
        .collect();
    out.extend(inserts(
        "film",
        &[
            "film_id",
            "title",
            "description",
            "release_year",
            "language_id",
            "original_language_id",
            "rental_duration",
            "rental_rate",
            "length",
            "replacement_cost",
            "rating",
            "special_features",
            "last_update",
        ],
        &rows,
    ));

    // film_actor: every film has 1 to 10 actors, 5462 pairs in all.
    let per_film = spread(&mut rng, 1000, 5462, 1, 10);
    let mut pairs: Vec<(i64, i64)> = Vec::with_capacity(5462);
    for (film, n) in per_film.iter().enumerate() {
        let mut cast = std::collections::BTreeSet::new();
        while cast.len() < *n {
            cast.insert(rng.range(1, 200));
        }
        pairs.extend(cast.into_iter().map(|a| (a, film as i64 + 1)));
    }
    pairs.sort();
    let rows: Vec<Vec<V>> = pairs.iter().map(|(a, f)| vec![V::Int(*a), V::Int(*f), at(CATALOGUE_UPDATED)]).collect();
    out.extend(inserts("film_actor", &["actor_id", "film_id", "last_update"], &rows));

    let rows: Vec<Vec<V>> =
        (1..=1000).map(|f| vec![V::Int(f), V::Int(rng.range(1, 16)), at(CATALOGUE_UPDATED)]).collect();
    out.extend(inserts("film_category", &["film_id", "category_id", "last_update"], &rows));

    // Two stores, each managed by its one active staff member; staff and stores reference each other.
    out.push("SET FOREIGN_KEY_CHECKS = 0".into());
    let staff = [("NORA", "LINDQVIST", 3), ("TOMAS", "OKONJO", 4)];
    let rows: Vec<Vec<V>> = staff
        .iter()
        .enumerate()
        .map(|(i, (first, last, address))| {
            let id = i as i64 + 1;
            let user = format!("{}{}", &first[..1], last).to_lowercase();
            vec![
                V::Int(id),
                s(*first),
                s(*last),
                V::Int(*address),
                V::Null,
                s(format!("{}.{}@rentio-staff.example", first.to_lowercase(), last.to_lowercase())),
                V::Int(id),
                V::Int(1),
                s(user),
                V::Null,
                at(CATALOGUE_UPDATED),
            ]
        })
        .collect();
    out.extend(inserts(
        "staff",
        &[
            "staff_id",
            "first_name",
            "last_name",
            "address_id",
            "picture",
            "email",
            "store_id",
            "active",
            "username",
            "password",
            "last_update",
        ],
        &rows,
    ));
    let rows: Vec<Vec<V>> = (1..=2).map(|i| vec![V::Int(i), V::Int(i), V::Int(i), at(CATALOGUE_UPDATED)]).collect();
    out.extend(inserts("store", &["store_id", "manager_staff_id", "address_id", "last_update"], &rows));
    out.push("SET FOREIGN_KEY_CHECKS = 1".into());

    let customers = unique_names(&mut rng, 599, |r| format!("{} {}", r.pick(&FIRST_NAMES), r.pick(&LAST_NAMES)));
    let created = 409 * 86_400 + 22 * 3_600; // 2006-02-14 22:00
    let rows: Vec<Vec<V>> = customers
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (first, last) = n.split_once(' ').unwrap_or((n, ""));
            vec![
                V::Int(i as i64 + 1),
                V::Int(rng.range(1, 2)),
                s(first),
                s(last),
                s(format!("{}.{}@rentio-customer.example", first.to_lowercase(), last.to_lowercase())),
                V::Int(i as i64 + 5),
                V::Int(if rng.chance(3) { 0 } else { 1 }),
                at(created),
                at(CATALOGUE_UPDATED),
            ]
        })
        .collect();
    out.extend(inserts(
        "customer",
        &[
            "customer_id",
            "store_id",
            "first_name",
            "last_name",
            "email",
            "address_id",
            "active",
            "create_date",
            "last_update",
        ],
        &rows,
    ));

    // inventory: 4581 copies; 42 films have none, the rest 2 to 8 spread over the two stores.
    let stocked: Vec<i64> = {
        let mut ids: Vec<i64> = (1..=1000).collect();
        let mut skip = std::collections::BTreeSet::new();
        while skip.len() < 42 {
            skip.insert(rng.range(1, 1000));
        }
        ids.retain(|f| !skip.contains(f));
        ids
    };
    let copies = spread(&mut rng, stocked.len(), 4581, 2, 8);
    let mut inventory: Vec<(i64, i64)> = Vec::with_capacity(4581); // (film, store)
    for (film, n) in stocked.iter().zip(&copies) {
        let first_store = rng.range(1, 2);
        for c in 0..*n {
            inventory.push((*film, if c % 2 == 0 { first_store } else { 3 - first_store }));
        }
    }
    let rows: Vec<Vec<V>> = inventory
        .iter()
        .enumerate()
        .map(|(i, (f, st))| vec![V::Int(i as i64 + 1), V::Int(*f), V::Int(*st), at(CATALOGUE_UPDATED)])
        .collect();
    out.extend(inserts("inventory", &["inventory_id", "film_id", "store_id", "last_update"], &rows));

    // rentals: 16,044 in time order; a copy is rented only when back on the shelf; the last ones are still out.
    let mut free_at = vec![0i64; inventory.len()];
    let step = (LAST_RENTAL - FIRST_RENTAL) / RENTALS as i64;
    let mut rentals = Vec::with_capacity(RENTALS);
    let mut payments = Vec::with_capacity(PAYMENTS);
    for r in 0..RENTALS as i64 {
        let when = FIRST_RENTAL + r * step + rng.range(0, step.max(1) - 1);
        let mut item = rng.below(inventory.len());
        while free_at[item] > when {
            item = (item + 1) % inventory.len();
        }
        let (film, store) = inventory[item];
        let days_out = rng.range(1, 9);
        let back = when + days_out * 86_400 + rng.range(0, 86_399);
        let still_out = r >= RENTALS as i64 - 183;
        free_at[item] = if still_out { i64::MAX } else { back };
        let customer = rng.range(1, 599);
        let staff_id = store;
        let f = (film - 1) as usize;
        let late_days = (days_out - film_duration[f]).max(0);
        let amount = film_rate[f] + late_days * 100;
        rentals.push(vec![
            V::Int(r + 1),
            at(when),
            V::Int(item as i64 + 1),
            V::Int(customer),
            if still_out { V::Null } else { at(back) },
            V::Int(staff_id),
            at(if still_out { when } else { back }),
        ]);
        payments.push(vec![
            V::Int(r + 1),
            V::Int(customer),
            V::Int(staff_id),
            V::Int(r + 1),
            V::Cents(amount),
            at(when),
            at(when),
        ]);
    }
    // Five payments with no rental (rental_id NULL), as the official data has: credits settled at the counter.
    for p in RENTALS as i64..PAYMENTS as i64 {
        let when = FIRST_RENTAL + rng.range(0, LAST_RENTAL - FIRST_RENTAL);
        payments.push(vec![
            V::Int(p + 1),
            V::Int(rng.range(1, 599)),
            V::Int(rng.range(1, 2)),
            V::Null,
            V::Cents([99, 199, 399][rng.below(3)]),
            at(when),
            at(when),
        ]);
    }
    out.extend(inserts(
        "rental",
        &["rental_id", "rental_date", "inventory_id", "customer_id", "return_date", "staff_id", "last_update"],
        &rentals,
    ));
    out.extend(inserts(
        "payment",
        &["payment_id", "customer_id", "staff_id", "rental_id", "amount", "payment_date", "last_update"],
        &payments,
    ));
    out
}

/// Creates the fifteen tables and fills them, unless the database `db` already has payments (the last table
/// filled). Leftovers of an interrupted load are dropped first; a failed load drops what it created.
/// Returns whether it loaded.
pub fn load_if_empty(db: &crate::sql::Db) -> crate::Result<bool> {
    if db.has_table("payment")? && db.query("SELECT 1 AS one FROM payment LIMIT 1")?.height() > 0 {
        return Ok(false);
    }
    db.execute(&drop_sql())?;
    // One script, so one connection: the key-check switch around stores and staff is per session.
    let script = format!("{SCHEMA_SQL}\n{};", data_sql().join(";\n"));
    if let Err(e) = db.execute(&script) {
        let _ = db.execute(&drop_sql());
        return Err(e);
    }
    Ok(true)
}

/// Drops the fifteen Rentio tables (and nothing else).
pub fn drop_sql() -> String {
    let names: Vec<&str> = ROW_COUNTS.iter().map(|(t, _)| *t).collect();
    format!("SET FOREIGN_KEY_CHECKS = 0; DROP TABLE IF EXISTS {}; SET FOREIGN_KEY_CHECKS = 1", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_in(sql: &[String], table: &str) -> usize {
        let prefix = format!("INSERT INTO {table} (");
        sql.iter().filter(|s| s.starts_with(&prefix)).map(|s| s.matches("\n(").count()).sum()
    }

    #[test]
    fn the_generator_gives_the_official_row_counts() {
        let sql = data_sql();
        for (table, n) in ROW_COUNTS {
            assert_eq!(rows_in(&sql, table), n, "{table}");
        }
    }

    #[test]
    fn five_payments_belong_to_no_rental_and_every_rental_has_one() {
        let sql = data_sql();
        let rows: Vec<&str> = sql
            .iter()
            .filter(|s| s.starts_with("INSERT INTO payment ("))
            .flat_map(|s| s.split_once("VALUES\n").unwrap().1.split(",\n"))
            .collect();
        let rental = |row: &&str| row.trim_matches(['(', ')']).split(", ").nth(3).unwrap().to_string();
        assert_eq!(rows.len(), PAYMENTS);
        assert_eq!(rows.iter().filter(|r| rental(r) == "NULL").count(), PAYMENTS - RENTALS);
        let mut rentals: Vec<String> = rows.iter().map(rental).filter(|r| r != "NULL").collect();
        rentals.sort();
        rentals.dedup();
        assert_eq!(rentals.len(), RENTALS);
    }

    #[test]
    fn the_generator_is_deterministic() {
        let a = data_sql();
        assert_eq!(a, data_sql());
        assert_eq!(crate::short_hash(&a.concat()), crate::short_hash(&data_sql().concat()));
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        write_value(&mut out, &s("it's a \\ test"));
        assert_eq!(out, "'it''s a \\\\ test'");
    }
}
