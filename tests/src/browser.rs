//! Headless Chromium driven over WebDriver (chromedriver + fantoccini).
//!
//! Each [`Browser`] owns its chromedriver process (started on port 0) and a
//! fresh Chromium profile, so tests never share state or fixed ports. Lookups
//! inside the widget's shadow root poll until a condition holds or a deadline
//! passes; tests never sleep for a fixed time.

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::elements::{Element, ShadowRoot};
use fantoccini::{Client, ClientBuilder, Locator};
use std::future::Future;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a condition may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);
/// Poll interval while waiting for a condition.
const POLL: Duration = Duration::from_millis(50);

/// A headless Chromium session.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

/// Screen to emulate.
#[derive(Debug, Clone, Copy)]
pub enum Device {
    /// A 1280×900 desktop window.
    Desktop,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium.
    pub async fn start(device: Device) -> Result<Self> {
        let driver_bin =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut driver = Command::new(&driver_bin)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("start {driver_bin} (cargo xtask test installs Debian's chromium-driver)")
            })?;
        let port = read_driver_port(&mut driver).await?;

        let profile = tempfile::tempdir().context("chromium profile dir")?;
        let window = match device {
            Device::Desktop => "--window-size=1280,900",
        };
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            window.into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("open a Chromium session through chromedriver")?;
        Ok(Self {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    /// The widget's shadow root, once the loader has mounted it.
    pub async fn widget(&self) -> Result<ShadowRoot> {
        let host = self
            .client
            .wait()
            .at_most(DEADLINE)
            .for_element(Locator::Css("[data-manyi-host]"))
            .await
            .context("the widget host element never appeared")?;
        // The loader marks the host before it attaches the shadow root (so a
        // fallback can render into the same element): wait for the root.
        wait_for("the widget's open shadow root", || async {
            Ok(host.shadow_root().await.ok())
        })
        .await
    }

    /// Ends the session.
    pub async fn close(self) -> Result<()> {
        self.client.close().await.context("close browser")
    }
}

/// Waits for an element matching `css` inside the shadow root.
pub async fn find(root: &ShadowRoot, css: &str) -> Result<Element> {
    wait_for(&format!("`{css}` in the widget"), || async {
        Ok(root.find(Locator::Css(css)).await.ok())
    })
    .await
}

/// Waits until no element matches `css` inside the shadow root.
pub async fn gone(root: &ShadowRoot, css: &str) -> Result<()> {
    wait_for(&format!("`{css}` to disappear from the widget"), || async {
        let found = root
            .find_all(Locator::Css(css))
            .await
            .map_err(|e| anyhow!(e))?;
        Ok(found.is_empty().then_some(()))
    })
    .await
}

/// Polls `probe` until it yields a value or [`DEADLINE`] passes.
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = probe().await? {
            return Ok(v);
        }
        if start.elapsed() > DEADLINE {
            bail!("timed out after {DEADLINE:?} waiting for {what}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Reads chromedriver's stdout until it says which port it picked.
async fn read_driver_port(driver: &mut Child) -> Result<u16> {
    let stdout = driver.stdout.take().context("chromedriver stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let read = async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let port = rest.trim_end_matches('.').trim().parse::<u16>()?;
                // Keep draining stdout so chromedriver never blocks on a full pipe.
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return Ok(port);
            }
        }
        bail!("chromedriver exited before reporting its port")
    };
    tokio::time::timeout(DEADLINE, read)
        .await
        .context("chromedriver did not start in time")?
}
