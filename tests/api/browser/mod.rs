//! Tests in a real browser: Debian's `chromium`, headless, driven over WebDriver
//! (`chromedriver`) with `fantoccini`. The real server listens on 127.0.0.1 (the same accept
//! loop `cadre-health serve` runs), and Chrome resolves no host but 127.0.0.1
//! (`--host-resolver-rules`), as on a board's network without internet. Every request a page
//! makes is read back from Chrome's performance log and must stay on the server's origin.
//!
//! Without `chromium` and `chromedriver` these tests print why and pass, except under CI
//! (`CI` set), where `.ci/run` installs both and a missing browser fails.

mod dashboard;
mod graphiql;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::Method;
use cadre_health::app::{ServeOptions, serve};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::helpers::TestApp;

/// The app served over a real socket on 127.0.0.1, until dropped.
pub struct Served {
    pub app: TestApp,
    pub addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl Served {
    pub async fn start(app: TestApp) -> Served {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (stop, stopped) = oneshot::channel::<()>();
        let options = ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 64,
            shutdown_grace: Duration::from_secs(1),
        };
        tokio::spawn(serve(listener, app.router(), options, async move {
            let _ = stopped.await;
        }));
        Served {
            app,
            addr,
            _stop: stop,
        }
    }

    /// `http://127.0.0.1:PORT`, the only origin a page may reach.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }
}

/// A headless Chromium driven through its own chromedriver, both ended when dropped.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// The chromedriver this test started, ended (by its own handle) with the test.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The first of `names` found on `PATH`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or `None` (with a message) on a machine
    /// without them. Under CI a missing browser is a failure: CI must run these tests.
    pub async fn launch() -> Option<Browser> {
        let driver = on_path(&["chromedriver"]);
        let chromium = on_path(&["chromium", "chromium-browser", "google-chrome"]);
        let (Some(driver), Some(chromium)) = (driver, chromium) else {
            let why = "browser tests need `chromium` and `chromedriver` on PATH \
                       (apt-get install -y chromium chromium-driver)";
            assert!(std::env::var_os("CI").is_none(), "{why}: CI must run them");
            eprintln!("SKIPPED: {why}");
            return None;
        };
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            probe.local_addr().expect("address").port()
        };
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(Driver)
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile directory");
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--lang=vi-VN",
                    "--window-size=1280,1024",
                    // No outbound network: nothing but the server resolves.
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        caps.insert(
            "goog:loggingPrefs".into(),
            json!({ "performance": "ALL", "browser": "ALL" }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let mut builder =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            builder.capabilities(caps.clone());
            match builder.connect(&webdriver).await {
                Ok(client) => break client,
                Err(err) if Instant::now() < deadline => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => panic!("start a browser session: {err}"),
            }
        };
        Some(Browser {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Runs `script` in the page (a function body: `return ...`).
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|err| panic!("{script}: {err}"))
    }

    /// Waits (at most `within`) until `script` returns something other than `null`/`false`,
    /// and returns it.
    pub async fn until(&self, what: &str, within: Duration, script: &str) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let value = self.js(script).await;
            if !(value.is_null() || value == Value::Bool(false)) {
                return value;
            }
            if Instant::now() > deadline {
                let page = self
                    .js("return document.body ? document.body.innerText.slice(0, 2000) : ''")
                    .await;
                let console = self.log("browser").await;
                panic!(
                    "waited {within:?} for {what}; the page shows: {page}\nconsole: {console:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The entries of one of chromedriver's logs (`performance`, `browser`) since the last call.
    pub async fn log(&self, kind: &str) -> Vec<Value> {
        let entries = self
            .client
            .issue_cmd(GetLog(kind.to_owned()))
            .await
            .expect("read the browser's log");
        entries.as_array().cloned().unwrap_or_default()
    }

    /// Every URL the pages asked for over the network (HTTP requests and sockets) since the
    /// last call, from the DevTools events in the performance log.
    pub async fn requested_urls(&self) -> Vec<String> {
        let mut urls = vec![];
        for entry in self.log("performance").await {
            let Some(message) = entry["message"].as_str() else {
                continue;
            };
            let Ok(event) = serde_json::from_str::<Value>(message) else {
                continue;
            };
            let event = &event["message"];
            let url = match event["method"].as_str() {
                Some("Network.requestWillBeSent") => &event["params"]["request"]["url"],
                Some("Network.webSocketCreated") => &event["params"]["url"],
                _ => continue,
            };
            if let Some(url) = url.as_str() {
                urls.push(url.to_owned());
            }
        }
        urls
    }

    /// Asserts every request since the last call stayed on `origin` (its `ws://` twin included)
    /// and that each of `expected` was among them (so an empty log cannot pass).
    pub async fn assert_stayed_on(&self, origin: &str, expected: &[&str]) {
        let urls = self.requested_urls().await;
        for path in expected {
            assert!(
                urls.iter().any(|u| u.ends_with(path)),
                "the performance log shows {path} among the requests: {urls:?}"
            );
        }
        let ws_origin = origin.replacen("http://", "ws://", 1);
        let outside: Vec<_> = urls
            .iter()
            // The browser's own pages (the blank tab it opens on) and inline data fetch nothing
            // over the network.
            .filter(|u| {
                !["data:", "blob:", "about:", "chrome:", "chrome-extension:"]
                    .iter()
                    .any(|local| u.starts_with(local))
            })
            .filter(|u| {
                !(u.starts_with(&format!("{origin}/")) || u.starts_with(&format!("{ws_origin}/")))
            })
            .collect();
        assert!(outside.is_empty(), "requests left the server: {outside:?}");
    }
}

/// chromedriver's `POST /session/{id}/se/log`, which fantoccini has no method for.
#[derive(Debug)]
struct GetLog(String);

impl WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(json!({ "type": self.0 }).to_string()))
    }
}

/// `n` as Vietnamese writes it: `1.234.567`.
pub fn vi_int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}
