//! `GET /graphql/ws`: one live socket, `graphql-transport-ws`.
//!
//! async-graphql runs the protocol ([`async_graphql::http::WebSocket`]); this loop owns the
//! socket around it, because the close codes are ours to choose:
//!
//! | code | when |
//! |---|---|
//! | 4403 | `connection_init` without a valid token (missing, malformed, expired, a closed board), or the token expires while the socket is open (at its `exp`) |
//! | 4429 | the subscriber is too slow: a subscription fell `--live-buffer` events behind, or the socket did not answer a ping within `--live-ping-interval` (it is not being read) |
//! | 1001 | the server is shutting down |
//!
//! A write to the socket that does not complete within the ping interval (its buffers are
//! full: the client reads nothing) ends the connection without a close frame, which could not
//! be delivered anyway. So a subscriber holds at most `--live-buffer` events of the server's
//! memory and a socket's buffers, however slow it is.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_graphql::http::{WebSocketProtocols, WsMessage};
use async_graphql::{Data, ErrorExtensions};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, watch};

use crate::app::AppState;
use crate::auth::Viewer;
use crate::scope::Actor;

/// The token is missing or invalid, or has expired.
pub const CLOSE_FORBIDDEN: u16 = 4403;
/// The subscriber does not keep up.
pub const CLOSE_TOO_SLOW: u16 = 4429;
/// The server is shutting down.
pub const CLOSE_GOING_AWAY: u16 = 1001;

/// The only subprotocol served.
const PROTOCOL: &str = "graphql-transport-ws";

/// What a socket's subscriptions share once `connection_init` has been accepted: the viewer
/// (checked once, and again by its `exp`), the server's state, and the socket's limits.
pub struct LiveConnection {
    pub viewer: Viewer,
    pub actor: Actor,
    pub state: Arc<AppState>,
    subscriptions: AtomicUsize,
    too_slow: Arc<Notify>,
}

impl LiveConnection {
    /// A place for one more subscription on this socket, or `TOO_MANY_SUBSCRIPTIONS`.
    pub fn take_slot(self: &Arc<Self>) -> async_graphql::Result<SubscriptionSlot> {
        let max = self.state.live.config.live_max_subscriptions as usize;
        let taken = self.subscriptions.fetch_add(1, Ordering::AcqRel);
        let slot = SubscriptionSlot(self.clone());
        if taken >= max {
            return Err(async_graphql::Error::new(format!(
                "at most {max} subscriptions per connection"
            ))
            .extend_with(|_, e| e.set("code", "TOO_MANY_SUBSCRIPTIONS")));
        }
        Ok(slot)
    }

    /// Drops the whole socket with [`CLOSE_TOO_SLOW`]: one of its subscriptions fell behind.
    pub fn too_slow(&self) {
        self.too_slow.notify_one();
    }
}

/// Holds one subscription's place on its socket until the subscription ends.
pub struct SubscriptionSlot(Arc<LiveConnection>);

impl Drop for SubscriptionSlot {
    fn drop(&mut self) {
        self.0.subscriptions.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Where `connection_init` left the socket.
#[derive(Clone, Copy, PartialEq)]
enum Auth {
    Waiting,
    Refused,
    /// Accepted; the token's `exp` (seconds since the epoch).
    Until(u64),
}

/// `GET /graphql/ws`: upgrades to a live socket speaking `graphql-transport-ws`.
pub async fn graphql_ws(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let speaks = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    if !speaks {
        return (
            StatusCode::BAD_REQUEST,
            "use the graphql-transport-ws subprotocol",
        )
            .into_response();
    }
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    upgrade
        .protocols([PROTOCOL])
        .on_upgrade(move |socket| serve_socket(state, socket, request_id))
}

/// The token a `connection_init` payload carries: `{"Authorization": "Bearer …"}` (or
/// `authorization`), or a bare `{"token": "…"}`; as an `Authorization` header value.
fn authorization(payload: &serde_json::Value) -> Option<String> {
    let header = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(*k)?.as_str());
    match header {
        Some(header) => Some(header.to_owned()),
        None => Some(format!("Bearer {}", payload.get("token")?.as_str()?)),
    }
}

async fn serve_socket(state: Arc<AppState>, socket: WebSocket, request_id: Option<String>) {
    let hub = state.live.clone();
    let _open = hub.socket_opened();
    let mut closing = hub.closing();
    let ping_every = hub.config.live_ping_interval;
    let (mut sink, stream) = socket.split();

    // Whether the client has answered the last ping: a client that reads its socket does
    // (browsers and WebSocket libraries answer pings by themselves).
    let answered = Arc::new(AtomicBool::new(true));
    let input = {
        let answered = answered.clone();
        stream
            .take_while(|m| futures_util::future::ready(m.is_ok()))
            .filter_map(move |m| {
                let data = match m {
                    Ok(Message::Text(text)) => Some(axum::body::Bytes::from(text)),
                    Ok(Message::Binary(bytes)) => Some(bytes),
                    Ok(Message::Pong(_)) => {
                        answered.store(true, Ordering::Release);
                        None
                    }
                    _ => None,
                };
                futures_util::future::ready(data)
            })
    };

    let too_slow = Arc::new(Notify::new());
    let (auth_tx, mut auth) = watch::channel(Auth::Waiting);
    let init = {
        let (state, too_slow) = (state.clone(), too_slow.clone());
        move |payload: serde_json::Value| async move {
            let boards = state.boards.current();
            let verified = match authorization(&payload) {
                Some(header) => state.keys.viewer_until(Some(&header), &boards).await,
                None => Err(crate::error::AppError::Unauthenticated("no token")),
            };
            let (viewer, exp) = match verified {
                Ok(verified) => verified,
                Err(err) => {
                    tracing::info!(error = ?err, "live socket refused");
                    auth_tx.send_replace(Auth::Refused);
                    return Err(async_graphql::Error::new("Forbidden"));
                }
            };
            auth_tx.send_replace(Auth::Until(exp));
            let actor = Actor {
                subject: viewer.subject.clone(),
                board: viewer.board.code.clone(),
                role: viewer.role.as_str(),
                request_id,
            };
            let mut data = Data::default();
            data.insert(Arc::new(LiveConnection {
                viewer,
                actor,
                state,
                subscriptions: AtomicUsize::new(0),
                too_slow,
            }));
            Ok(data)
        }
    };
    let protocol = async_graphql::http::WebSocket::new(
        state.schema.clone(),
        input,
        WebSocketProtocols::GraphQLWS,
    )
    .on_connection_init(init);
    futures_util::pin_mut!(protocol);

    let far = tokio::time::Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
    let expiry = tokio::time::sleep_until(far);
    futures_util::pin_mut!(expiry);
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let (code, reason): (u16, String) = loop {
        tokio::select! {
            message = protocol.next() => match message {
                Some(WsMessage::Text(text)) => {
                    let sent = tokio::time::timeout(ping_every, sink.send(Message::Text(text.into())));
                    if !matches!(sent.await, Ok(Ok(()))) {
                        // Its buffers are full (or it has gone): no close frame would get through.
                        tracing::info!("live socket dropped: it does not read what it is sent");
                        return;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    if *auth.borrow() == Auth::Refused {
                        break (CLOSE_FORBIDDEN, "Forbidden".into());
                    }
                    break (code, reason);
                }
                None => return,
            },
            Ok(()) = auth.changed() => {
                if let Auth::Until(exp) = *auth.borrow() {
                    expiry.as_mut().reset(instant_of(exp));
                }
            }
            () = &mut expiry => break (CLOSE_FORBIDDEN, "Forbidden: the token has expired".into()),
            () = too_slow.notified() => break (CLOSE_TOO_SLOW, "subscriber too slow".into()),
            _ = pings.tick() => {
                if !answered.swap(false, Ordering::AcqRel) {
                    break (CLOSE_TOO_SLOW, "subscriber too slow: a ping went unanswered".into());
                }
                let sent = tokio::time::timeout(ping_every, sink.send(Message::Ping(Default::default())));
                if !matches!(sent.await, Ok(Ok(()))) {
                    return;
                }
            }
            () = shutting_down(&mut closing) => {
                break (CLOSE_GOING_AWAY, "server shutting down".into());
            }
        }
    };
    let close = Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(close)).await;
}

/// Completes when the server begins shutting down.
async fn shutting_down(closing: &mut watch::Receiver<bool>) {
    // (Not the guard `wait_for` returns: it is not `Send`.)
    let _ = closing.wait_for(|closing| *closing).await.map(|_| ());
}

/// The instant of `exp` (seconds since the epoch) on tokio's clock.
fn instant_of(exp: u64) -> tokio::time::Instant {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let left = Duration::from_secs(exp).saturating_sub(now);
    tokio::time::Instant::now() + left
}
