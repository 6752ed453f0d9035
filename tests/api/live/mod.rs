//! Live updates over a real socket: `GET /graphql/ws`, `graphql-transport-ws`, driven with
//! tokio-tungstenite against the router served on 127.0.0.1.

mod auth;
mod delivery;
mod instances;
mod slow;

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{Client, TestApp};

/// How long a test waits for something that should come.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A `graphql-transport-ws` client.
pub struct Ws {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What came off a socket.
#[derive(Debug)]
pub enum Got {
    /// A protocol message (`next`, `error`, `complete`, `connection_ack`, ...).
    Message(Value),
    /// A close frame with its code.
    Closed(u16),
    /// The connection ended without a close frame.
    Ended,
}

impl Ws {
    /// Connects to `addr` without initialising.
    pub async fn connect(addr: SocketAddr) -> Ws {
        let mut request = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("upgrade");
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        Ws { socket }
    }

    /// Connects and initialises with `payload`, expecting `connection_ack`.
    pub async fn open(addr: SocketAddr, payload: Value) -> Ws {
        let mut ws = Ws::connect(addr).await;
        ws.send(json!({"type": "connection_init", "payload": payload}))
            .await;
        match ws.next().await {
            Got::Message(m) if m["type"] == "connection_ack" => ws,
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    /// Connects as `board`/`role` of `app`.
    pub async fn open_as(app: &TestApp, addr: SocketAddr, board: &str, role: &str) -> Ws {
        let token = app.token(board, role);
        Ws::open(addr, json!({"Authorization": format!("Bearer {token}")})).await
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id, "type": "subscribe",
            "payload": {"query": query, "variables": variables},
        }))
        .await;
    }

    /// The next thing off the socket (pings are answered by tungstenite and skipped).
    pub async fn next(&mut self) -> Got {
        self.next_within(PATIENCE)
            .await
            .unwrap_or_else(|| panic!("nothing came within {PATIENCE:?}"))
    }

    /// The next thing off the socket within `wait`, or `None`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Got> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let read = tokio::time::timeout_at(deadline, self.socket.next()).await;
            let message = match read {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) => return Some(Got::Ended),
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Text(text) => {
                    return Some(Got::Message(serde_json::from_str(&text).expect("JSON")));
                }
                Message::Close(frame) => {
                    return Some(frame.map_or(Got::Ended, |f| Got::Closed(f.code.into())));
                }
                _ => {}
            }
        }
    }

    /// The payload of the next `next` message, failing on anything else.
    pub async fn event(&mut self) -> Value {
        match self.next().await {
            Got::Message(m) if m["type"] == "next" => m["payload"].clone(),
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// The close code the server ends the socket with, skipping what comes before it.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            match self.next().await {
                Got::Closed(code) => return Some(code),
                Got::Ended => return None,
                Got::Message(_) => {}
            }
        }
    }
}

/// Waits until `app`'s hub has `n` subscribers: a subscription starts on the server a moment
/// after the client sent it, and an event before that is not its business.
pub async fn subscribed(app: &TestApp, n: usize) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while app.live.subscribers() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {n} subscriptions started",
            app.live.subscribers()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The coverage subscription of the tests, with the board of each cell.
pub const COVERAGE: &str = "subscription($board: String) { coverageChanged(year: 2026, round: 1, boardCode: $board) \
    { total { board { code } eligible examined rate } changed { board { code } eligible examined rate } } }";

/// The exam subscription of the tests: the exam, its cadre and their boards.
pub const EXAMS: &str = "subscription($board: String) { examRecorded(boardCode: $board) \
    { id systolicMmhg board { code } cadre { id board { code } } } }";

/// Creates a campaign of `board` for 2026 round 1 through the API (enrolling its cohort) as
/// the central admin; returns its ID.
pub async fn campaign(app: &TestApp, board: &str) -> String {
    let body = app
        .as_board("TW", "admin")
        .data(&format!(
            "mutation {{ createExamCampaign(input: {{boardCode: \"{board}\", name: \"Đợt 1\", year: 2026, \
             round: 1, cohort: ALL, startsOn: \"2026-03-01\", endsOn: \"2026-04-30\"}}) {{ id }} }}"
        ))
        .await;
    body["createExamCampaign"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// Records an exam of `cadre` in `campaign` through the API as `client`; returns its ID.
pub async fn record(client: &Client<'_>, cadre: &str, campaign: Option<&str>) -> String {
    let body = client
        .query_with(
            "mutation($input: RecordHealthExamInput!) { recordHealthExam(input: $input) { id } }",
            json!({"input": {"cadreId": cadre, "exam": {
                "campaignId": campaign, "examinedOn": "2026-03-10", "kind": "PERIODIC",
                "systolicMmhg": 128, "diastolicMmhg": 82,
            }}}),
        )
        .await;
    assert!(body.get("errors").is_none(), "recording failed: {body}");
    body["data"]["recordHealthExam"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// `statistics(boardCode){examCoverage(2026, 1){total byBoard}}` as `client` sees it.
pub async fn coverage(client: &Client<'_>, board: &str) -> Value {
    client
        .data(&format!(
            "{{ statistics(boardCode: \"{board}\") {{ examCoverage(year: 2026, round: 1) \
             {{ total {{ board {{ code }} eligible examined rate }} byBoard {{ board {{ code }} eligible examined rate }} }} }} }}"
        ))
        .await["statistics"]["examCoverage"]
        .clone()
}
