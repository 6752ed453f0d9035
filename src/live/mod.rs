//! Live updates: GraphQL subscriptions over `graphql-transport-ws` at `GET /graphql/ws`.
//!
//! - [`LiveHub`]: the event bus. A recorded or corrected exam is announced by the records
//!   layer on the request's [`ScopedDb`](crate::scope::ScopedDb). On PostgreSQL the
//!   announcement is a `pg_notify` sent INSIDE the recording transaction (so an event exists
//!   if and only if the exam committed) and every instance hears it through `LISTEN`; on
//!   SQLite (one process) it goes into an in-process channel after the commit. Either way the
//!   hub hands each event to its subscribers through one bounded `tokio::sync::broadcast`.
//! - [`ExamEvent`]: what travels. IDs and tenant keys only, never a clinical value: each
//!   subscriber reads what it delivers again, as its own viewer, through the scoped path
//!   (`graphql/subscription.rs`).
//! - `socket.rs`: the socket: the token in `connection_init`, close codes, the ping that finds
//!   subscribers that stopped reading, shutdown.

mod socket;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast, oneshot, watch};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::scope::TenantKeys;

pub use socket::{
    CLOSE_FORBIDDEN, CLOSE_GOING_AWAY, CLOSE_TOO_SLOW, LiveConnection, SubscriptionSlot, graphql_ws,
};

/// The PostgreSQL channel events travel on.
pub const CHANNEL: &str = "cadre_health_live";

/// Settings of live updates.
#[derive(clap::Args, Debug, Clone)]
pub struct LiveConfig {
    /// Events held for subscribers (per server): a subscription that falls further behind
    /// than this is dropped with close code 4429.
    #[arg(
        long,
        env = "CADRE_HEALTH_LIVE_BUFFER",
        default_value_t = 256,
        value_parser = clap::value_parser!(u32).range(1..=65536),
        global = true
    )]
    pub live_buffer: u32,

    /// How often the server pings each live socket; a socket that has not answered the
    /// previous ping by the next one is not being read, and is closed with 4429.
    #[arg(
        long,
        env = "CADRE_HEALTH_LIVE_PING_INTERVAL",
        default_value = "15s",
        value_parser = crate::config::positive_duration,
        global = true
    )]
    pub live_ping_interval: Duration,

    /// Most subscriptions open at once on one socket.
    #[arg(
        long,
        env = "CADRE_HEALTH_LIVE_MAX_SUBSCRIPTIONS",
        default_value_t = 20,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub live_max_subscriptions: u32,
}

/// One recorded or corrected exam, as announced: IDs and tenant keys, never a clinical value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExamEvent {
    pub exam: Uuid,
    pub cadre: Uuid,
    /// The exam's (its cadre's) tenant keys.
    pub board: String,
    pub province: Option<String>,
    pub district: Option<String>,
    /// The campaigns' `(year, round)` whose coverage the write may have changed (the exam's
    /// campaign, and for a correction the one it left).
    pub rounds: Vec<(i32, i32)>,
}

impl ExamEvent {
    pub fn keys(&self) -> TenantKeys {
        TenantKeys {
            board: self.board.clone(),
            province: self.province.clone(),
            district: self.district.clone(),
        }
    }
}

/// Sends `events` on the request's transaction `tx` (PostgreSQL): delivered to every listener
/// when, and only if, the transaction commits.
pub async fn notify(tx: &impl ConnectionTrait, events: &[ExamEvent]) -> AppResult<()> {
    for event in events {
        let payload = serde_json::to_string(event)
            .map_err(|e| AppError::Internal(format!("encoding a live event: {e}")))?;
        tx.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The event bus of one server, and the live sockets it serves.
pub struct LiveHub {
    events: broadcast::Sender<Arc<ExamEvent>>,
    backend: DatabaseBackend,
    /// Tells every live socket that the server is shutting down.
    closing: watch::Sender<bool>,
    /// Live sockets open now, and a wake-up when one closes.
    sockets: AtomicUsize,
    socket_closed: Notify,
    /// Stops the PostgreSQL listener when the hub goes.
    _stop_listening: Option<oneshot::Sender<()>>,
    pub config: LiveConfig,
}

impl LiveHub {
    /// The hub for `db`: on PostgreSQL it listens on [`CHANNEL`] with a connection of the pool
    /// (held for the server's life, re-established by sqlx if it breaks; events sent while it
    /// is down are lost, as `NOTIFY` keeps nothing for absent listeners).
    pub async fn start(db: &DatabaseConnection, config: LiveConfig) -> AppResult<LiveHub> {
        let (events, _) = broadcast::channel(config.live_buffer as usize);
        let backend = db.get_database_backend();
        let stop = if backend == DatabaseBackend::Postgres {
            let pool = db.get_postgres_connection_pool();
            let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool)
                .await
                .map_err(|e| AppError::Internal(format!("listening for live events: {e}")))?;
            listener
                .listen(CHANNEL)
                .await
                .map_err(|e| AppError::Internal(format!("listening for live events: {e}")))?;
            let (stop, stopped) = oneshot::channel();
            tokio::spawn(forward(listener, events.clone(), stopped));
            Some(stop)
        } else {
            None
        };
        Ok(LiveHub {
            events,
            backend,
            closing: watch::channel(false).0,
            sockets: AtomicUsize::new(0),
            socket_closed: Notify::new(),
            _stop_listening: stop,
            config,
        })
    }

    /// A new subscriber's receiver: every event from now on, up to `--live-buffer` behind.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ExamEvent>> {
        self.events.subscribe()
    }

    /// Hands `events`, committed by this process, to the subscribers. On PostgreSQL they
    /// already went out with the transaction (`NOTIFY`), and come back through `LISTEN`.
    pub fn publish_committed(&self, events: Vec<ExamEvent>) {
        if self.backend == DatabaseBackend::Postgres {
            return;
        }
        for event in events {
            // No subscriber: nobody to tell.
            let _ = self.events.send(Arc::new(event));
        }
    }

    /// Closes every live socket (close code 1001), as the server begins to shut down.
    pub fn shut_down(&self) {
        self.closing.send_replace(true);
    }

    /// Waits until every live socket has closed, or `within` has passed; `true` when they all did.
    pub async fn closed(&self, within: Duration) -> bool {
        let all_closed = async {
            loop {
                let notified = self.socket_closed.notified();
                if self.sockets.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(within, all_closed).await.is_ok()
    }

    /// Subscriptions listening to this server's bus now.
    pub fn subscribers(&self) -> usize {
        self.events.receiver_count()
    }

    /// Live sockets open now.
    pub fn open_sockets(&self) -> usize {
        self.sockets.load(Ordering::Acquire)
    }

    fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    fn socket_opened(self: &Arc<Self>) -> SocketGuard {
        self.sockets.fetch_add(1, Ordering::AcqRel);
        SocketGuard(self.clone())
    }
}

/// Counts a live socket while it is open.
struct SocketGuard(Arc<LiveHub>);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.0.sockets.fetch_sub(1, Ordering::AcqRel);
        self.0.socket_closed.notify_waiters();
    }
}

/// Forwards notifications from PostgreSQL to the subscribers of this server until `stop`.
async fn forward(
    mut listener: sea_orm::sqlx::postgres::PgListener,
    events: broadcast::Sender<Arc<ExamEvent>>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        let received = tokio::select! {
            received = listener.recv() => received,
            _ = &mut stop => return,
        };
        match received {
            Ok(notification) => match serde_json::from_str::<ExamEvent>(notification.payload()) {
                Ok(event) => {
                    let _ = events.send(Arc::new(event));
                }
                Err(err) => tracing::warn!(error = %err, "an unreadable live event was ignored"),
            },
            Err(sea_orm::sqlx::Error::PoolClosed) => return,
            Err(err) => {
                tracing::warn!(error = %err, "listening for live events failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
