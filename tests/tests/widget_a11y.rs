//! An axe-core audit of the open widget in a real headless Chromium: no
//! `serious` or `critical` WCAG 2 A/AA or best-practice violation, inline
//! and as a modal overlay, with follow-ups, field errors and the thank-you
//! screen on screen.
//!
//! axe-core comes from npm, pinned to [`AXE_VERSION`], installed into
//! `target/tools/axe` by the first test that needs it (node and npm are on
//! every machine that runs the browser tests). Its script is injected into
//! the page and run on the widget's host element; axe walks into the open
//! shadow root.

use anyhow::{Context, Result, bail};
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, Device, find};
use manyi_tests::surveys::{self, AdminApi};
use manyi_tests::{DemoSession, open_demo};
use serde_json::{Value, json};
use std::path::Path;
use tokio::sync::OnceCell;

/// axe-core from npm, exactly this version. Bump deliberately: the install
/// notices a different version and reinstalls.
const AXE_VERSION: &str = "4.14.1";

/// Impacts that fail the audit.
const FAILING: &[&str] = &["serious", "critical"];

/// The source of `axe.min.js`, installed on first use (once per process:
/// the tests of this file run in parallel).
async fn axe_source() -> Result<&'static str> {
    static SOURCE: OnceCell<String> = OnceCell::const_new();
    SOURCE
        .get_or_try_init(|| async {
            let prefix = manyi_tests::workspace_root().join("target/tools/axe");
            let package = prefix.join("node_modules/axe-core");
            if installed_version(&package).as_deref() != Some(AXE_VERSION) {
                install_axe(&prefix).await?;
            }
            tokio::fs::read_to_string(package.join("axe.min.js"))
                .await
                .context("read axe.min.js")
        })
        .await
        .map(String::as_str)
}

/// The version in `<package>/package.json`, if installed.
fn installed_version(package: &Path) -> Option<String> {
    let manifest = std::fs::read_to_string(package.join("package.json")).ok()?;
    let manifest: Value = serde_json::from_str(&manifest).ok()?;
    manifest["version"].as_str().map(str::to_owned)
}

/// `npm install --prefix <prefix> axe-core@AXE_VERSION`.
async fn install_axe(prefix: &Path) -> Result<()> {
    std::fs::create_dir_all(prefix)?;
    let output = tokio::process::Command::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(prefix)
        .args(["--no-save", "--no-audit", "--no-fund", "--loglevel=error"])
        .arg(format!("axe-core@{AXE_VERSION}"))
        .kill_on_drop(true)
        .output()
        .await
        .context("run npm (node and npm are needed for the axe audit)")?;
    if !output.status.success() {
        bail!(
            "npm install axe-core@{AXE_VERSION} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Runs axe on the widget host showing `survey` and returns every
/// violation as `{id, impact, help, nodes: [{target, summary}]}`.
async fn audit(browser: &Browser, survey: &str) -> Result<Vec<Value>> {
    let loaded = browser
        .client
        .execute("return typeof window.axe;", vec![])
        .await?;
    if loaded != json!("object") {
        let source = axe_source().await?;
        browser
            .client
            .execute(&format!("{source}\n;return typeof window.axe;"), vec![])
            .await
            .context("inject axe.min.js")?;
    }
    let result = browser
        .client
        .execute(
            r#"
var host = document.querySelector('[data-manyi-host="' + arguments[0] + '"]');
if (!host) throw new Error('no widget host');
return axe.run(host, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'best-practice'] } })
  .then(function (r) {
    return r.violations.map(function (v) {
      return { id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map(function (n) {
                 return { target: n.target, summary: n.failureSummary };
               }) };
    });
  });
"#,
            vec![json!(survey)],
        )
        .await
        .context("axe.run")?;
    Ok(serde_json::from_value(result)?)
}

/// Audits the widget showing `survey` in its current state (`what`) and
/// fails on any serious or critical violation, listing every violation.
async fn assert_accessible(browser: &Browser, survey: &str, what: &str) -> Result<()> {
    let violations = audit(browser, survey).await?;
    let failing: Vec<&Value> = violations
        .iter()
        .filter(|v| FAILING.iter().any(|f| v["impact"] == json!(f)))
        .collect();
    assert!(
        failing.is_empty(),
        "axe {AXE_VERSION} finds serious/critical violations in the widget ({what}): {}",
        serde_json::to_string_pretty(&violations)?
    );
    if !violations.is_empty() {
        eprintln!(
            "axe: minor violations ({what}): {}",
            serde_json::to_string(&violations)?
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_inline_demo_survey_passes_axe_while_answering_with_errors_and_when_thanked()
-> Result<()> {
    // `_app` keeps the collector running until the end of the test.
    let DemoSession {
        app: _app,
        browser,
        widget,
    } = open_demo(Device::Desktop, "order=A11Y-INLINE&locale=zh-CN").await?;
    find(&widget, r#"[data-question="nps"] [role=radio]"#).await?;
    assert_accessible(&browser, "post-payment", "inline, as shown").await?;

    // A low score opens the follow-up; submitting without it shows errors.
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="2"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, r#"[data-question="reason"]"#).await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, r#"[data-question="reason"] [data-error]"#).await?;
    assert_accessible(&browser, "post-payment", "inline, follow-up with an error").await?;

    find(&widget, r#"[data-question="reason"] input[value="other"]"#)
        .await?
        .click()
        .await?;
    find(&widget, r#"[data-question="reason"] input[data-other]"#)
        .await?
        .send_keys("太慢")
        .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;
    assert_accessible(&browser, "post-payment", "inline, thank-you screen").await?;
    browser.close().await
}

#[tokio::test]
async fn a_template_shown_as_a_modal_passes_axe_in_every_locale() -> Result<()> {
    let app = TestApp::spawn().await?;
    // SERVQUAL: five labelled likert scales, CSAT, and the reasons
    // follow-up with "other".
    AdminApi::new(&app)?
        .publish_template("servqual-short", "servqual-short")
        .await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser.client.goto(&app.url("/demo?locale=en")).await?;
    for locale in ["zh-CN", "zh-TW", "en"] {
        let widget = surveys::show(
            &browser,
            json!({ "survey": "servqual-short", "orderId": format!("A11Y-{locale}"),
                    "customer": format!("c-{locale}"), "locale": locale, "mode": "modal" }),
        )
        .await?;
        find(&widget, ".mq-panel[role=dialog]").await?;
        find(
            &widget,
            r#"[data-question="overall"] [role=radio][data-value="1"]"#,
        )
        .await?
        .click()
        .await?;
        find(&widget, r#"[data-question="reasons"] input[data-other]"#).await?;
        assert_accessible(&browser, "servqual-short", &format!("modal, {locale}")).await?;
    }
    browser.close().await
}
