//! A subscriber that stops reading is dropped with 4429 ("subscriber too slow") while the
//! others keep receiving; the server holds no more of its events than `--live-buffer`.

use std::time::Duration;

use serde_json::json;

use super::{EXAMS, Ws, record, subscribed};
use crate::helpers::TestApp;

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_dropped_with_4429() {
    let app = TestApp::spawn_with(|c| {
        c.live.live_ping_interval = Duration::from_millis(300);
    })
    .await;
    let cadre = app.add_cadre("412", "Nguyễn Văn Ân").await.to_string();
    let addr = app.listen().await;
    let mut slow = Ws::open_as(&app, addr, "40", "clinician").await;
    slow.subscribe("e", EXAMS, json!({})).await;
    let mut reader = Ws::open_as(&app, addr, "40", "clinician").await;
    reader.subscribe("e", EXAMS, json!({})).await;
    subscribed(&app, 2).await;

    // `slow` reads nothing from here on, so it answers no ping; `reader` reads everything.
    let writer = app.as_board("40", "clinician");
    let mut recorded = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(2);
    while tokio::time::Instant::now() < until {
        let exam = record(&writer, &cadre, None).await;
        let event = reader.event().await;
        assert_eq!(event["data"]["examRecorded"]["id"], exam);
        recorded.push(exam);
    }
    assert!(recorded.len() >= 2);
    subscribed(&app, 1).await;
    assert_eq!(app.live.subscribers(), 1, "the slow subscription is gone");
    // What it was sent before the drop is still in its socket, then the close frame.
    assert_eq!(slow.close_code().await, Some(4429));

    // The reader carries on.
    let exam = record(&writer, &cadre, None).await;
    assert_eq!(reader.event().await["data"]["examRecorded"]["id"], exam);
}

/// A subscription that falls `--live-buffer` events behind the bus is dropped with 4429.
#[tokio::test]
async fn a_subscription_further_behind_than_the_buffer_is_dropped_with_4429() {
    let app = TestApp::spawn_with(|c| c.live.live_buffer = 2).await;
    let cadres = [
        app.add_cadre("412", "Nguyễn Văn Ân").await.to_string(),
        app.add_cadre("412", "Phan Thị Lan").await.to_string(),
    ];
    let addr = app.listen().await;
    let mut ws = Ws::open_as(&app, addr, "40", "clinician").await;
    ws.subscribe("e", EXAMS, json!({})).await;
    subscribed(&app, 1).await;
    // Exams recorded in one request are announced together, faster than any subscriber reads
    // them again: ten at once overflow a buffer of two.
    let mut mutation = String::from("mutation {");
    for i in 0..10 {
        let cadre = &cadres[i % 2];
        mutation.push_str(&format!(
            " e{i}: recordHealthExam(input: {{cadreId: \"{cadre}\", exam: {{examinedOn: \"2026-03-10\", kind: ROUTINE}}}}) {{ id }}"
        ));
    }
    mutation.push_str(" }");
    let body = app.as_board("40", "clinician").query(&mutation).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(ws.close_code().await, Some(4429));
}
