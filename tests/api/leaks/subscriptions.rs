//! The leak hunt over live updates: random viewers subscribe, exams are recorded all over the
//! tree, and every event delivered to a viewer (the exam, its cadre, every board in it, every
//! coverage cell) lies in that viewer's scope; each viewer also gets exactly the events of its
//! subtree, no fewer (a subscriber that silently missed its own events would hide the check).

use std::collections::BTreeMap;
use std::time::Duration;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::fixtures::{Owner, board_keys};
use crate::helpers::TestApp;
use crate::live::{COVERAGE, EXAMS, Ws, campaign, record, subscribed};

/// Boards of three provinces and some of their districts.
const BOARDS: [&str; 10] = [
    "TW", "01", "001", "002", "40", "412", "414", "79", "760", "761",
];

/// Whether a record keyed `keys` lies in the scope of `viewer`'s board (keys `of`).
fn in_scope(of: &Owner, keys: &Owner) -> bool {
    match (&of.province, &of.district) {
        (None, _) => true,
        (Some(p), None) => keys.province.as_ref() == Some(p),
        (Some(_), Some(d)) => keys.district.as_ref() == Some(d),
    }
}

/// Every board code anywhere in `value` (objects with `board { code }` and the like).
fn board_codes(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(code)) = map.get("board").and_then(|b| b.get("code")) {
                out.push(code.clone());
            }
            map.values().for_each(|v| board_codes(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| board_codes(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_live_event_ever_leaves_the_viewers_scope() {
    let app = TestApp::spawn().await;
    let mut keys = BTreeMap::new();
    for board in BOARDS {
        keys.insert(board, board_keys(&app.db, board).await);
    }
    let seed = std::env::var("LEAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("live leak hunt: LEAK_SEED={seed}");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    // A cadre on every board but the centre's, two on a few.
    let mut cadres: Vec<(&str, String)> = Vec::new();
    for (i, board) in BOARDS.iter().skip(1).enumerate() {
        for n in 0..(1 + i % 2) {
            let id = app.add_cadre(board, &format!("Cán bộ {i} {n}")).await;
            cadres.push((board, id.to_string()));
        }
    }
    let campaign = campaign(&app, "TW").await;
    let addr = app.listen().await;

    // Random viewers: a board, a role, a subscription, sometimes a board code (theirs or below).
    struct Subscriber {
        board: &'static str,
        what: &'static str,
        ws: Ws,
        expected: usize,
    }
    let mut subscribers = Vec::new();
    for _ in 0..12 {
        let board = *BOARDS.choose(&mut rng).expect("a board");
        let exams = rng.random_bool(0.5);
        let role = if exams {
            *["clinician", "admin"].choose(&mut rng).expect("a role")
        } else {
            *["analyst", "clinician", "admin"]
                .choose(&mut rng)
                .expect("a role")
        };
        let mut ws = Ws::open_as(&app, addr, board, role).await;
        let (query, what) = if exams {
            (EXAMS, "examRecorded")
        } else {
            (COVERAGE, "coverageChanged")
        };
        ws.subscribe("s", query, json!({})).await;
        subscribers.push(Subscriber {
            board,
            what,
            ws,
            expected: 0,
        });
    }
    subscribed(&app, subscribers.len()).await;

    let writer = app.as_board("TW", "admin");
    for _ in 0..15 {
        let (board, cadre) = cadres.choose(&mut rng).expect("a cadre");
        record(&writer, cadre, Some(&campaign)).await;
        for s in subscribers.iter_mut() {
            if in_scope(&keys[s.board], &keys[board]) {
                s.expected += 1;
            }
        }
    }
    for s in subscribers.iter_mut() {
        for _ in 0..s.expected {
            let event = s.ws.event().await;
            let payload = &event["data"][s.what];
            assert!(event.get("errors").is_none(), "{event}");
            let mut codes = Vec::new();
            board_codes(payload, &mut codes);
            assert!(!codes.is_empty(), "{payload}");
            for code in codes {
                let at = match keys.get(code.as_str()) {
                    Some(k) => k.clone(),
                    None => board_keys(&app.db, &code).await,
                };
                assert!(
                    in_scope(&keys[s.board], &at),
                    "LEAK_SEED={seed}: {} got board {code}: {payload}",
                    s.board
                );
            }
        }
        let extra = s.ws.next_within(Duration::from_millis(200)).await;
        assert!(
            extra.is_none(),
            "LEAK_SEED={seed}: {} got more than its subtree's {} events: {extra:?}",
            s.board,
            s.expected
        );
    }
}
