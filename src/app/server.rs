//! The socket side of serving: connections accepted up to `--max-connections`, a client that
//! is slow to send its headers dropped after `--header-read-timeout` (slowloris), and on
//! shutdown a drain of the requests in flight within `--shutdown-grace`.
//!
//! `axum::serve` offers neither a header-read timeout nor a connection cap, so the accept loop
//! is hyper-util's server (what `axum::serve` runs inside) with those two set. The body-read
//! timeout is the handler's (`graphql_post`), the only one that reads a body.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::config::Config;

/// How the socket is served; [`ServeOptions::of`] reads them from the settings.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// Longest a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Longest the requests in flight may take to finish once shutdown has begun.
    pub shutdown_grace: Duration,
}

impl ServeOptions {
    pub fn of(config: &Config) -> Self {
        ServeOptions {
            header_read_timeout: config.header_read_timeout,
            max_connections: config.max_connections as usize,
            shutdown_grace: config.shutdown_grace,
        }
    }
}

/// How serving ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drain {
    /// Every connection finished its requests within the grace period.
    Clean,
    /// The grace period ran out with connections still open; they were cut.
    Cut,
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets the
/// requests in flight finish (idle kept-alive connections are closed at once) and returns once
/// they have, or once `options.shutdown_grace` has passed.
///
/// A connection must send its first byte within `options.header_read_timeout` (hyper-util's
/// HTTP/1-or-2 detection would wait for it forever), then each request's headers within the
/// same time, counted by hyper from the end of the previous answer: an idle kept-alive
/// connection is closed after it too.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> Drain {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    // Tells the connections still waiting for their first byte that serving is over.
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // At the cap, stop accepting: further clients wait in the listen queue.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let (builder, watcher, mut closing) =
            (builder.clone(), graceful.watcher(), closing_rx.clone());
        let first_byte_within = options.header_read_timeout;
        tokio::spawn(async move {
            // hyper's header-read timeout starts with the first byte: a client that connects
            // and sends nothing is let go after the same time here (or at shutdown).
            let mut probe = [0u8; 1];
            let first_byte = tokio::time::timeout(first_byte_within, stream.peek(&mut probe));
            let spoke = tokio::select! {
                peeked = first_byte => matches!(peeked, Ok(Ok(n)) if n > 0),
                _ = closing.wait_for(|closing| *closing) => false,
            };
            if spoke {
                // With upgrades: `/graphql/ws` turns the connection into a live socket, which
                // then lives on its own (`live/`, closed by the hub on shutdown).
                let connection = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .into_owned();
                if let Err(err) = watcher.watch(connection).await {
                    tracing::debug!(%peer, error = %err, "connection ended");
                }
            }
            drop(slot);
        });
    }
    let _ = closing_tx.send(true);
    drop(listener);
    let open = graceful.count();
    tracing::info!(
        connections = open,
        grace = ?options.shutdown_grace,
        "stopped accepting; finishing the requests in flight"
    );
    match tokio::time::timeout(options.shutdown_grace, graceful.shutdown()).await {
        Ok(()) => Drain::Clean,
        Err(_) => Drain::Cut,
    }
}
