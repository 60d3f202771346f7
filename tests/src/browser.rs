//! Headless Chromium driven over WebDriver (chromedriver + fantoccini).
//!
//! Each [`Browser`] owns its chromedriver process (started on port 0) and a
//! fresh Chromium profile, so tests never share state or fixed ports. Lookups
//! inside the widget's shadow root poll until a condition holds or a deadline
//! passes; tests never sleep for a fixed time. Beyond WebDriver, tests
//! reach Chrome DevTools (network conditions, scripts run before the page)
//! through chromedriver's `goog/cdp/execute` endpoint ([`Browser::cdp`]).

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::{Element, ShadowRoot};
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
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

/// The user agent of WeChat's in-app browser on Android (what
/// [`Device::WeChatPhone`] sends).
pub const WECHAT_USER_AGENT: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240205.004; wv) \
AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.103 Mobile Safari/537.36 \
XWEB/1300289 MMWEBSDK/20240404 MMWEBID/1234 MicroMessenger/8.0.50.2701(0x28003252) WeChat/arm64 \
Weixin NetType/WIFI Language/zh_CN ABI/arm64";

/// Screen to emulate.
#[derive(Debug, Clone, Copy)]
pub enum Device {
    /// A 1280×900 desktop window.
    Desktop,
    /// A 360×640 touch phone inside WeChat (mobile emulation with
    /// [`WECHAT_USER_AGENT`]).
    WeChatPhone,
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
            Device::WeChatPhone => "--window-size=360,640",
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
        let mut options = json!({ "binary": chromium, "args": args });
        if let Device::WeChatPhone = device {
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": 360, "height": 640, "pixelRatio": 2.0,
                                   "mobile": true, "touch": true },
                "userAgent": WECHAT_USER_AGENT,
            });
        }
        caps.insert("goog:chromeOptions".into(), options);
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

    /// Runs a Chrome DevTools Protocol command on the current page.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        self.client
            .issue_cmd(Cdp {
                cmd: cmd.to_owned(),
                params,
            })
            .await
            .with_context(|| format!("CDP {cmd}"))
    }

    /// Cuts the page off the network (every request fails, `navigator.onLine`
    /// is false) or brings it back (the page gets an `online` event).
    pub async fn set_offline(&self, offline: bool) -> Result<()> {
        self.cdp("Network.enable", json!({})).await?;
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({ "offline": offline, "latency": 0,
                    "downloadThroughput": -1, "uploadThroughput": -1 }),
        )
        .await?;
        Ok(())
    }

    /// Makes every request whose URL matches one of `patterns` (`*`
    /// wildcards) fail as a network error; an empty list lifts the block.
    pub async fn block_urls(&self, patterns: &[&str]) -> Result<()> {
        self.cdp("Network.enable", json!({})).await?;
        self.cdp("Network.setBlockedURLs", json!({ "urls": patterns }))
            .await?;
        Ok(())
    }

    /// Runs `source` in every document loaded from now on, before its own
    /// scripts (e.g. to take a browser feature away).
    pub async fn before_each_page(&self, source: &str) -> Result<()> {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": source }),
        )
        .await?;
        Ok(())
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    pub async fn js(&self, script: &str) -> Result<Value> {
        self.client
            .execute(script, vec![])
            .await
            .with_context(|| format!("run script `{script}`"))
    }

    /// Presses keys one after the other on whatever has focus, as a
    /// keyboard would (WebDriver actions, not element-targeted typing).
    pub async fn press(&self, keys: &[Key]) -> Result<()> {
        let mut actions = KeyActions::new("keyboard".into());
        for &key in keys {
            actions = actions
                .then(KeyAction::Down { value: key.into() })
                .then(KeyAction::Up { value: key.into() });
        }
        self.client
            .perform_actions(actions)
            .await
            .context("press keys")
    }

    /// Presses Shift+Tab.
    pub async fn shift_tab(&self) -> Result<()> {
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down {
                value: Key::Shift.into(),
            })
            .then(KeyAction::Down {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Shift.into(),
            });
        self.client
            .perform_actions(actions)
            .await
            .context("press Shift+Tab")
    }

    /// What has keyboard focus: inside the widget `radio:<value>`,
    /// `dismiss`, `submit`, `panel`, `textarea`, `input:<value>`, …; on the
    /// host page `page:<tag>[#id][.class]`.
    pub async fn focused(&self) -> Result<String> {
        let v = self.js(FOCUSED_JS).await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Presses Tab (at most 40 times) until [`Browser::focused`] is `what`.
    pub async fn tab_to(&self, what: &str) -> Result<()> {
        for _ in 0..40 {
            if self.focused().await? == what {
                return Ok(());
            }
            self.press(&[Key::Tab]).await?;
        }
        bail!(
            "Tab never reached {what}; focus is on {}",
            self.focused().await?
        )
    }

    /// The `localStorage` keys of the page's origin starting with `prefix`.
    pub async fn storage_keys(&self, prefix: &str) -> Result<Vec<String>> {
        let v = self
            .client
            .execute(
                "var p = arguments[0], out = []; \
                 for (var i = 0; i < localStorage.length; i++) { \
                   var k = localStorage.key(i); if (k.indexOf(p) === 0) out.push(k); } \
                 return out;",
                vec![json!(prefix)],
            )
            .await
            .context("read localStorage")?;
        Ok(serde_json::from_value(v)?)
    }

    /// Ends the session.
    pub async fn close(self) -> Result<()> {
        self.client.close().await.context("close browser")
    }
}

/// Describes the focused element for [`Browser::focused`].
const FOCUSED_JS: &str = r#"
var h = document.querySelector('[data-manyi-host]');
var a = h && h.shadowRoot && h.shadowRoot.activeElement;
if (!a) {
  var p = document.activeElement;
  return 'page:' + (p ? p.tagName.toLowerCase() + (p.id ? '#' + p.id : '') +
    (p.className && typeof p.className == 'string' ? '.' + p.className.split(' ')[0] : '') : 'none');
}
if (a.getAttribute('role') == 'radio') return 'radio:' + a.getAttribute('data-value');
if (a.hasAttribute('data-dismiss')) return 'dismiss';
if (a.matches('button[type=submit]')) return 'submit';
if (a.classList.contains('mq-panel')) return 'panel';
if (a.tagName == 'INPUT') return 'input:' + a.value;
return a.tagName.toLowerCase();
"#;

/// `POST /session/{id}/goog/cdp/execute`: chromedriver's door to the
/// DevTools protocol of the session's current page.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Waits for an element matching `css` inside the shadow root.
pub async fn find(root: &ShadowRoot, css: &str) -> Result<Element> {
    wait_for(&format!("`{css}` in the widget"), || async {
        Ok(root.find(Locator::Css(css)).await.ok())
    })
    .await
}

/// Waits for a displayed element of the page (outside any shadow root).
pub async fn visible(client: &Client, css: &str) -> Result<Element> {
    wait_for(&format!("`{css}` shown on the page"), || async {
        match client.find(Locator::Css(css)).await {
            Ok(e) if e.is_displayed().await.unwrap_or(false) => Ok(Some(e)),
            _ => Ok(None),
        }
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
