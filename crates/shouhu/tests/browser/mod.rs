//! A small WebDriver harness for the browser tests: Debian's Chromium, headless, at a phone's
//! width, driven through a chromedriver started on a free port for each test.
//!
//! When Chromium or chromedriver is missing the tests are skipped with a note, except under
//! `CI=true`, where they fail (`.ci/run` installs both when a `tests/browser*` file exists).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// A phone in portrait: the width of most Android and iPhone screens in CSS pixels.
pub const PHONE: (u32, u32) = (390, 844);

/// How long a page, an element or a download may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(15);

/// Debian's binaries; `SHOUHU_CHROMIUM` and `SHOUHU_CHROMEDRIVER` point elsewhere.
fn binary(var: &str, debian: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| debian.to_owned())
}

/// A directory removed when the browser goes.
struct Dir(PathBuf);

impl Dir {
    fn new(what: &str) -> Self {
        let name = format!(
            "shouhu-{what}-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// chromedriver as a child process; killed (after its session is ended) when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One headless Chromium session against the app at `base`.
pub struct Browser {
    pub client: Client,
    base: String,
    session_id: String,
    /// Where Chromium saves downloads.
    pub downloads: PathBuf,
    /// Scratch space of the test (screenshots).
    pub scratch: PathBuf,
    // Dropped after the session is ended in `Drop` below, in declaration order.
    driver: Driver,
    _profile: Dir,
    _downloads: Dir,
}

fn missing(what: &str) -> Option<Browser> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{what} is required for the browser tests under CI=true; \
             install Debian's `chromium chromium-driver`"
        );
    }
    eprintln!("note: {what} not found; skipping this browser test");
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A blocking HTTP/1.1 request to chromedriver, for `Drop` (no runtime there): (status, body).
/// chromedriver keeps connections open, so the body is read by its `Content-Length`.
fn raw_http(port: u16, method: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )
    .ok()?;
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head, length) = loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        received.extend_from_slice(&chunk[..n]);
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).into_owned();
            received.drain(..end + 4);
            let length = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (head, length);
        }
    };
    while received.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..n]);
    }
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, String::from_utf8_lossy(&received).into_owned()))
}

impl Browser {
    /// Starts chromedriver and a headless Chromium sized like a phone, speaking Chinese.
    /// `None` when they are not installed (outside CI).
    pub async fn start(base: &str) -> Option<Browser> {
        let chromium = binary("SHOUHU_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = binary("SHOUHU_CHROMEDRIVER", "/usr/bin/chromedriver");
        for path in [&chromium, &chromedriver] {
            if !Path::new(path).exists() {
                return missing(path);
            }
        }
        let port = free_port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}"));
        let driver = Driver { child, port };
        let started = Instant::now();
        loop {
            let ready = tokio::task::spawn_blocking(move || raw_http(port, "GET", "/status"))
                .await
                .expect("status probe")
                .is_some_and(|(status, body)| status == 200 && body.contains("\"ready\":true"));
            if ready {
                break;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "chromedriver did not answer /status on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let profile = Dir::new("chromium-profile");
        let downloads = Dir::new("chromium-downloads");
        let scratch = profile.0.join("scratch");
        std::fs::create_dir_all(&scratch).expect("scratch dir");
        let (width, height) = PHONE;
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--accept-lang=zh-CN,zh".to_owned(),
            format!("--user-data-dir={}", profile.0.join("data").display()),
            format!("--window-size={width},{height}"),
        ];
        let options = json!({
            "binary": chromium,
            "args": args,
            "prefs": {
                "intl.accept_languages": "zh-CN,zh",
                "download.default_directory": downloads.0.display().to_string(),
                "download.prompt_for_download": false,
                "download.directory_upgrade": true,
                "safebrowsing.enabled": false,
            },
        });
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".to_owned(), json!("chrome"));
        caps.insert("goog:chromeOptions".to_owned(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("chromium session via chromedriver: {e}"));
        let session_id = client
            .session_id()
            .await
            .expect("session id")
            .expect("a session");
        let browser = Browser {
            client,
            base: base.trim_end_matches('/').to_owned(),
            session_id,
            downloads: downloads.0.clone(),
            scratch,
            driver,
            _profile: profile,
            _downloads: downloads,
        };
        // The download prefs are not always honoured headless; DevTools says it again.
        browser
            .cdp(
                "Browser.setDownloadBehavior",
                json!({
                    "behavior": "allow",
                    "downloadPath": browser.downloads.display().to_string(),
                }),
            )
            .await;
        // Desktop Chromium keeps windows at least ~500px wide whatever --window-size says; a
        // phone's viewport is emulated instead, meta viewport and all.
        browser
            .cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({
                    "width": width,
                    "height": height,
                    "deviceScaleFactor": 1,
                    "mobile": true,
                }),
            )
            .await;
        browser.goto("/").await;
        let viewport = browser.js("return window.innerWidth;").await;
        assert_eq!(
            viewport,
            json!(width),
            "the page is laid out at a phone's width"
        );
        Some(browser)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A DevTools command through chromedriver; its result.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let url = format!(
            "http://127.0.0.1:{}/session/{}/goog/cdp/execute",
            self.driver.port, self.session_id
        );
        let response = reqwest::Client::new()
            .post(url)
            .json(&json!({ "cmd": cmd, "params": params }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("DevTools {cmd}: {e}"));
        let status = response.status();
        let body: Value = response.json().await.expect("DevTools answer");
        assert!(status.is_success(), "DevTools {cmd} failed: {body}");
        body["value"].clone()
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path (with query) of the page shown.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the page's path satisfies `pred`; the path.
    pub async fn wait_for_path(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let path = self.path().await;
            if pred(&path) {
                return path;
            }
            if started.elapsed() > PATIENCE {
                let text = self.text().await;
                panic!("expected {what}, still on {path}:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// The link whose visible text is exactly `text`.
    pub async fn link(&self, text: &str) -> Element {
        self.client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("no link {text:?}: {e}"))
    }

    pub async fn click_link(&self, text: &str) {
        let link = self.link(text).await;
        assert!(
            link.is_displayed().await.expect("displayed"),
            "link {text:?} is hidden"
        );
        link.click()
            .await
            .unwrap_or_else(|e| panic!("click {text:?}: {e}"));
    }

    /// Types into the field matched by `css`, as keystrokes.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.ok();
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Types an ISO date (`2015-03-01`) into a date field, digit by digit as a person would.
    /// Chromium lays the field out in its own locale (Debian's package without
    /// `chromium-l10n` is en-US: mm/dd/yyyy), the locale `Intl` reports, so the segments are
    /// typed in that order. Month and day move on by themselves after two digits; the year
    /// takes up to six, so → moves on from it.
    pub async fn type_date(&self, css: &str, iso: &str) {
        let order = self
            .js("return new Intl.DateTimeFormat(undefined, \
                 {year: 'numeric', month: '2-digit', day: '2-digit'}) \
                 .formatToParts(new Date(2015, 2, 1)) \
                 .filter(p => p.type !== 'literal').map(p => p.type);")
            .await;
        let order: Vec<String> = serde_json::from_value(order).expect("date parts");
        let (year, rest) = iso.split_once('-').expect("an ISO date");
        let (month, day) = rest.split_once('-').expect("an ISO date");
        let mut keys = String::new();
        for (i, part) in order.iter().enumerate() {
            match part.as_str() {
                "year" => {
                    keys.push_str(year);
                    if i + 1 < order.len() {
                        keys.push('\u{e014}'); // ArrowRight
                    }
                }
                "month" => keys.push_str(month),
                "day" => keys.push_str(day),
                other => panic!("unexpected date part {other}"),
            }
        }
        let field = self.find(css).await;
        field
            .send_keys(&keys)
            .await
            .unwrap_or_else(|e| panic!("type a date into {css}: {e}"));
        assert_eq!(
            self.value(css).await,
            iso,
            "the date typed into {css} (field order {order:?})"
        );
    }

    /// The current value of a form field.
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// Chooses the option of a select by its visible text.
    pub async fn choose(&self, css: &str, label: &str) {
        self.find(css)
            .await
            .select_by_label(label)
            .await
            .unwrap_or_else(|e| panic!("choose {label:?} in {css}: {e}"));
    }

    /// Chooses the first option of a select that has a value (after "please choose"); its text.
    pub async fn choose_first(&self, css: &str) -> String {
        let select = self.find(css).await;
        let option = select
            .find(Locator::Css("option:not([value=''])"))
            .await
            .unwrap_or_else(|e| panic!("{css} offers nothing to choose: {e}"));
        let label = option.text().await.expect("option text");
        option
            .click()
            .await
            .unwrap_or_else(|e| panic!("choose {label:?} in {css}: {e}"));
        assert!(
            option.is_selected().await.expect("selected"),
            "{label:?} was not chosen in {css}"
        );
        label
    }

    /// Ticks a checkbox by clicking it (once; it must start unticked).
    pub async fn tick(&self, css: &str) {
        let box_ = self.find(css).await;
        assert!(
            !box_.is_selected().await.expect("selected"),
            "{css} was already ticked"
        );
        box_.click()
            .await
            .unwrap_or_else(|e| panic!("tick {css}: {e}"));
        assert!(
            box_.is_selected().await.expect("selected"),
            "{css} did not tick"
        );
    }

    /// Opens the `<details>` whose `<summary>` reads `title`, by tapping the summary if closed.
    pub async fn open_section(&self, title: &str) {
        let xpath = format!("//details[summary[normalize-space(.)='{title}']]");
        let details = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no section {title:?}: {e}"));
        if details.attr("open").await.expect("open attr").is_none() {
            details
                .find(Locator::Css("summary"))
                .await
                .expect("summary")
                .click()
                .await
                .unwrap_or_else(|e| panic!("open section {title:?}: {e}"));
        }
        assert!(
            details.attr("open").await.expect("open attr").is_some(),
            "section {title:?} did not open"
        );
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .text()
            .await
            .expect("body text")
    }

    /// Runs `script` in the page; its result.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// How far the page is wider than the layout viewport, in CSS pixels (0 when nothing
    /// overflows). A phone would zoom out or scroll sideways to show the rest.
    pub async fn horizontal_overflow(&self) -> i64 {
        self.js("const root = document.documentElement; \
             return root.scrollWidth - root.clientWidth;")
            .await
            .as_i64()
            .expect("a number")
    }

    /// A PNG of the whole page at the window's width, saved at `path`.
    pub async fn screenshot(&self, path: &Path) {
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let width = size["width"].as_f64().expect("width");
        let height = size["height"].as_f64().expect("height");
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Waits for one finished download; its path.
    pub async fn downloaded(&self) -> PathBuf {
        let started = Instant::now();
        loop {
            let done: Vec<PathBuf> = std::fs::read_dir(&self.downloads)
                .expect("downloads dir")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            let partial = done.iter().any(|p| {
                p.extension().is_some_and(|e| e == "crdownload")
                    || p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(".com.google"))
            });
            if !partial && done.len() == 1 {
                return done[0].clone();
            }
            assert!(
                done.len() <= 1 || partial,
                "more than one download: {done:?}"
            );
            assert!(
                started.elapsed() < PATIENCE,
                "no finished download in {} (found {done:?})",
                self.downloads.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver close Chromium; killing chromedriver alone
        // would leave it running. Blocking is fine: this is the end of a test.
        let path = format!("/session/{}", self.session_id);
        let _ = raw_http(self.driver.port, "DELETE", &path);
    }
}
