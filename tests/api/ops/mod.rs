//! Operating the service: the database going away and coming back (`outage`), slow clients,
//! the connection cap and the rate limit through a real socket (`http_limits`), the real
//! binary's shutdown, settings and backups (`process`).

mod backup;
mod http_limits;
mod outage;
mod process;
mod proxy;

use std::net::SocketAddr;
use std::time::Duration;

use cadre_health::app::{AppState, Drain, ServeOptions, router, serve};
use cadre_health::auth::TokenKeys;
use cadre_health::config::Config;
use cadre_health::db;
use cadre_health::domain::Role;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::helpers::{TEST_SECRET, TestDatabase, test_config};

/// The real router served on a real socket (127.0.0.1, a free port), as `cadre-health serve`
/// serves it, over a fresh database.
pub struct Served {
    pub addr: SocketAddr,
    pub keys: TokenKeys,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Drain>>,
    _database: TestDatabase,
}

impl Served {
    pub async fn start(configure: impl FnOnce(&mut Config)) -> Served {
        let database = TestDatabase::create().await;
        let pool = db::connect(&database.url).await.expect("connect");
        db::migrate(&pool).await.expect("migrate");
        let mut config = test_config(&database.url);
        configure(&mut config);
        let options = ServeOptions::of(&config);
        let keys = TokenKeys::hs256(TEST_SECRET.as_bytes(), config.max_token_lifetime);
        let verifier = TokenKeys::hs256(TEST_SECRET.as_bytes(), config.max_token_lifetime);
        let state = AppState::new(pool, config, verifier)
            .await
            .expect("app state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router(state), options, async {
            let _ = stopped.await;
        }));
        Served {
            addr,
            keys,
            stop: Some(stop),
            server: Some(server),
            _database: database,
        }
    }

    pub fn token(&self, board: &str, role: Role, subject: &str) -> String {
        self.keys
            .issue(board, role, subject, Duration::from_secs(600))
            .expect("sign")
    }

    /// Stops accepting and waits for the drain.
    pub async fn stop(mut self) -> Drain {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.server
            .take()
            .expect("running")
            .await
            .expect("server task")
    }
}

/// A `POST /graphql` of `query`, as raw HTTP/1.1 bytes, closing the connection after it.
pub fn graphql_post(token: &str, query: &str) -> Vec<u8> {
    let body = json!({ "query": query }).to_string();
    format!(
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An answer read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Parses an HTTP/1.1 answer (the server closes the connection after it; the body is
    /// whole, not chunked, for every answer of this API).
    pub fn parse(raw: &[u8]) -> Option<Reply> {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n")?;
        let mut lines = head.lines();
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
        Some(Reply {
            status,
            headers,
            body,
        })
    }
}

/// Sends `request` on a new connection and reads the answer to the end of the connection,
/// failing the test if that takes longer than `within`.
pub async fn exchange(addr: SocketAddr, request: &[u8], within: Duration) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("send");
    let raw = read_to_close(&mut stream, within)
        .await
        .expect("an answer in time");
    Reply::parse(&raw).unwrap_or_else(|| panic!("not HTTP: {}", String::from_utf8_lossy(&raw)))
}

/// Reads until the server closes the connection (or resets it); `None` when it is still open
/// after `within`.
pub async fn read_to_close(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    let read = async {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok()?;
    Some(raw)
}
