//! `statistics(boardCode)`: exact answers on a hand-countable dataset, the same answers as an
//! independent computation over the demo data, and the scope rules.

mod demo;
mod exact;
mod fixture;
mod scope;

use serde_json::Value;

/// The keys of `cadreCounts(by: AGE_BAND)`, in their order.
pub const AGE_BANDS: [&str; 7] = [
    "UNDER_40",
    "40_TO_49",
    "50_TO_59",
    "60_TO_69",
    "70_TO_79",
    "80_AND_OVER",
    "DECEASED",
];

/// The `byBoard` rows of a statistic as (board code, row without its board), in order.
pub fn rows(stat: &Value) -> Vec<(String, Value)> {
    stat["byBoard"]
        .as_array()
        .expect("byBoard")
        .iter()
        .map(|cell| {
            let mut cell = cell.clone();
            let code = cell["board"]["code"].as_str().expect("code").to_owned();
            cell.as_object_mut().expect("object").remove("board");
            (code, cell)
        })
        .collect()
}

/// The row of `code`.
pub fn row(stat: &Value, code: &str) -> Value {
    rows(stat)
        .into_iter()
        .find(|(c, _)| c == code)
        .unwrap_or_else(|| panic!("no row for {code} in {stat}"))
        .1
}

/// The total, without its board.
pub fn total(stat: &Value) -> Value {
    let mut t = stat["total"].clone();
    t.as_object_mut().expect("object").remove("board");
    t
}

/// Asserts every row not named in `nonzero` equals `zero`.
pub fn others_are(stat: &Value, nonzero: &[&str], zero: &Value) {
    for (code, cell) in rows(stat) {
        if !nonzero.contains(&code.as_str()) {
            assert_eq!(&cell, zero, "row {code} should be all zeros");
        }
    }
}
