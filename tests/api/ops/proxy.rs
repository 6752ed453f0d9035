//! A TCP proxy the test owns, between the app and PostgreSQL, to cut the database off and
//! bring it back: `refuse` is a stopped server (connections closed, new ones refused),
//! `blackhole` an unreachable one (connections closed, new ones accepted and never answered).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Up,
    Blackhole,
}

#[derive(Default)]
struct Links {
    /// The forwarding tasks; aborting one closes both its sockets.
    pipes: Vec<AbortHandle>,
    /// Connections accepted while blackholed, held unanswered.
    held: Vec<TcpStream>,
}

pub struct Proxy {
    pub addr: SocketAddr,
    target: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    links: Arc<Mutex<Links>>,
    acceptor: Option<AbortHandle>,
}

impl Proxy {
    /// A proxy on 127.0.0.1 (a free port) forwarding to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let mut proxy = Proxy {
            addr,
            target,
            mode: Arc::new(Mutex::new(Mode::Up)),
            links: Arc::default(),
            acceptor: None,
        };
        proxy.accept_on(listener);
        proxy
    }

    fn accept_on(&mut self, listener: TcpListener) {
        let (target, mode, links) = (self.target, self.mode.clone(), self.links.clone());
        let acceptor = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let current = *mode.lock().expect("mode");
                if current == Mode::Blackhole {
                    links.lock().expect("links").held.push(client);
                    continue;
                }
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links.lock().expect("links").pipes.push(pipe.abort_handle());
            }
        });
        self.acceptor = Some(acceptor.abort_handle());
    }

    /// Closes every connection through the proxy.
    fn cut_links(&self) {
        let mut links = self.links.lock().expect("links");
        for pipe in links.pipes.drain(..) {
            pipe.abort();
        }
        links.held.clear();
    }

    /// The database stops: open connections are closed and new ones refused.
    pub fn refuse(&mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.abort();
        }
        self.cut_links();
    }

    /// The database becomes unreachable: open connections are closed, and new ones are
    /// accepted and never answered.
    pub fn blackhole(&mut self) {
        *self.mode.lock().expect("mode") = Mode::Blackhole;
        self.cut_links();
    }

    /// The database is back on the same address.
    pub async fn restore(&mut self) {
        *self.mode.lock().expect("mode") = Mode::Up;
        self.links.lock().expect("links").held.clear();
        if self.acceptor.is_none() {
            // The aborted acceptor's listener closes as its task ends; retry until the port
            // is free again.
            let mut tries = 0;
            let listener = loop {
                match TcpListener::bind(self.addr).await {
                    Ok(listener) => break listener,
                    Err(err) if tries < 100 => {
                        tries += 1;
                        let _ = err;
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    }
                    Err(err) => panic!("rebinding the proxy: {err}"),
                }
            };
            self.accept_on(listener);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.abort();
        }
        self.cut_links();
    }
}

/// `postgres://user@host:port/db?x` with its host and port replaced by `addr`, and the
/// address it named.
pub async fn through(url: &str, addr: SocketAddr) -> (String, SocketAddr) {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), authority),
    };
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    let target = tokio::net::lookup_host(&host)
        .await
        .expect("resolve the database host")
        .next()
        .expect("an address");
    (format!("{scheme}://{user}{addr}{tail}"), target)
}
