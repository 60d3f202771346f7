//! axe-core audits in the real browser, shared by every test binary that
//! checks accessibility (the widget, the admin UI, the dashboard).
//!
//! axe-core comes from npm, pinned to [`AXE_VERSION`], installed into
//! `target/tools/axe` by the first test that needs it (node and npm are on
//! every machine that runs the browser tests). Its script is injected into
//! the page and run on the whole document or on one widget host element;
//! axe walks into the widget's open shadow root.

use crate::browser::Browser;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::path::Path;
use tokio::sync::OnceCell;

/// axe-core from npm, exactly this version. Bump deliberately: the install
/// notices a different version and reinstalls.
pub const AXE_VERSION: &str = "4.14.1";

/// Impacts that fail an audit.
const FAILING: &[&str] = &["serious", "critical"];

/// What axe audits.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// The whole page.
    Document,
    /// The widget host element showing this survey (`data-manyi-host`).
    WidgetHost(&'a str),
}

/// The source of `axe.min.js`, installed on first use (once per process:
/// the tests of one binary run in parallel).
pub async fn axe_source() -> Result<&'static str> {
    static SOURCE: OnceCell<String> = OnceCell::const_new();
    SOURCE
        .get_or_try_init(|| async {
            let prefix = crate::workspace_root().join("target/tools/axe");
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

/// Runs axe (WCAG 2 A/AA and best practices) on `scope` and returns every
/// violation as `{id, impact, help, nodes: [{target, summary}]}`.
pub async fn audit(browser: &Browser, scope: Scope<'_>) -> Result<Vec<Value>> {
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
    let host = match scope {
        Scope::Document => Value::Null,
        Scope::WidgetHost(survey) => json!(survey),
    };
    // chromedriver waits for a returned promise, so no async-script callback.
    let result = browser
        .client
        .execute(
            r#"
var scope = document;
if (arguments[0] !== null) {
  scope = document.querySelector('[data-manyi-host="' + arguments[0] + '"]');
  if (!scope) throw new Error('no widget host');
}
return axe.run(scope, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'best-practice'] } })
  .then(function (r) {
    return r.violations.map(function (v) {
      return { id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map(function (n) {
                 return { target: n.target, summary: n.failureSummary };
               }) };
    });
  });
"#,
            vec![host],
        )
        .await
        .context("axe.run")?;
    Ok(serde_json::from_value(result)?)
}

/// The serious and critical ones among `violations` (what fails an audit).
pub fn failing(violations: &[Value]) -> Vec<Value> {
    violations
        .iter()
        .filter(|v| FAILING.iter().any(|f| v["impact"] == json!(f)))
        .cloned()
        .collect()
}

/// Audits `scope` in its current state (`what`) and fails on any serious or
/// critical violation, listing them all; minor ones go to stderr.
pub async fn assert_accessible(browser: &Browser, scope: Scope<'_>, what: &str) -> Result<()> {
    let violations = audit(browser, scope).await?;
    let failing = failing(&violations);
    assert!(
        failing.is_empty(),
        "axe {AXE_VERSION} finds serious/critical violations on {what}: {}",
        serde_json::to_string_pretty(&failing)?
    );
    if !violations.is_empty() {
        eprintln!(
            "axe: minor violations ({what}): {}",
            serde_json::to_string(&violations)?
        );
    }
    Ok(())
}
