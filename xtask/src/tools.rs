//! Locating, checking and installing the external tools the build needs
//! (cargo, rustup targets and components, node/npm, binaryen's wasm-opt,
//! Chromium and chromedriver), and running commands with readable failures.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// binaryen from npm, pinned exactly. Debian's binaryen (108) emits modules
/// that fail at start with current wasm-bindgen; 132 is the version measured
/// to work (see DESIGN.md, "Toolchain facts"). Bump deliberately: the install
/// below notices the change and reinstalls.
pub const BINARYEN_VERSION: &str = "132.0.0";

/// Where Debian's `chromium` and `chromium-driver` packages put their binaries.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// See [`CHROMIUM`].
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The workspace root (the folder holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // xtask lives in `<root>/xtask`; the path is baked in at compile time,
    // which is right because `cargo xtask` always rebuilds from this tree.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask's manifest dir has a parent: it sits inside the workspace")
        .to_path_buf()
}

/// `<root>/target`, honouring `CARGO_TARGET_DIR` when set.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// A `cargo` command using the same cargo that runs xtask, started in the root.
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root());
    cmd
}

/// Renders a command the way one would type it, for logs and error messages.
pub fn display(cmd: &Command) -> String {
    let mut line = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            line.push_str(&format!(
                "{}={} ",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    line.push_str(&cmd.get_program().to_string_lossy());
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Prints the command, runs it with inherited stdio and fails unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = display(cmd);
    println!("$ {shown}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Runs the command quietly and returns its stdout; fails unless it exits 0.
pub fn output(cmd: &mut Command) -> Result<String> {
    let shown = display(cmd);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !out.status.success() {
        bail!(
            "`{shown}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).with_context(|| format!("`{shown}` printed non-UTF-8"))
}

/// Whether `program --version` runs at all (the tool is on PATH and works).
pub fn exists(program: impl AsRef<OsStr>) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Installs the wasm32 target into the active toolchain when it is missing.
pub fn ensure_wasm_target() -> Result<()> {
    const TARGET: &str = "wasm32-unknown-unknown";
    if !exists("rustup") {
        bail!(
            "rustup not found: install it from https://rustup.rs, or add the \
             `{TARGET}` target to your toolchain by other means"
        );
    }
    let mut list = Command::new("rustup");
    list.current_dir(workspace_root())
        .args(["target", "list", "--installed"]);
    let installed = output(&mut list).context("listing installed rustup targets")?;
    if installed.lines().any(|line| line.trim() == TARGET) {
        return Ok(());
    }
    println!("the {TARGET} target is missing: installing it");
    let mut add = Command::new("rustup");
    add.current_dir(workspace_root())
        .args(["target", "add", TARGET]);
    run(&mut add).with_context(|| {
        format!("installing the {TARGET} target (try `rustup target add {TARGET}` yourself)")
    })
}

/// The nightly toolchain the widget's release build uses, pinned by date.
///
/// Only `cargo xtask dist` uses it: rebuilding the standard library with
/// `-Cpanic=immediate-abort` (see `dist.rs`) needs nightly flags and the
/// `rust-src` component. Everything else (host builds, clippy, tests) stays on
/// the stable toolchain of rust-toolchain.toml. The widget's wasm-bindgen is
/// pinned exactly, so the macro output does not depend on the compiler; bump
/// this date deliberately and re-measure (`cargo xtask dist` prints sizes).
/// Plain `wasm32-unknown-unknown` std is not needed: build-std compiles it,
/// and some nightlies do not ship it at all (2026-05-19 does not).
pub const WIDGET_NIGHTLY: &str = "nightly-2026-05-19";

/// Installs [`WIDGET_NIGHTLY`] with `rust-src` (minimal profile) when missing.
pub fn ensure_widget_nightly() -> Result<()> {
    if !exists("rustup") {
        bail!(
            "rustup not found: the widget's release build needs the {WIDGET_NIGHTLY} \
             toolchain with rust-src; install rustup from https://rustup.rs"
        );
    }
    let mut list = Command::new("rustup");
    list.current_dir(workspace_root()).args([
        "component",
        "list",
        "--installed",
        "--toolchain",
        WIDGET_NIGHTLY,
    ]);
    // Fails when the toolchain is not installed at all; both cases install.
    let has_src = output(&mut list)
        .is_ok_and(|installed| installed.lines().any(|line| line.trim() == "rust-src"));
    if has_src {
        return Ok(());
    }
    println!("{WIDGET_NIGHTLY} with rust-src is missing: installing it (minimal profile)");
    let mut install = Command::new("rustup");
    install.current_dir(workspace_root()).args([
        "toolchain",
        "install",
        WIDGET_NIGHTLY,
        "--profile",
        "minimal",
        "--component",
        "rust-src",
    ]);
    run(&mut install).with_context(|| {
        format!(
            "installing {WIDGET_NIGHTLY} (try `rustup toolchain install {WIDGET_NIGHTLY} \
             --profile minimal --component rust-src` yourself; needs static.rust-lang.org)"
        )
    })
}

/// A `cargo` command of [`WIDGET_NIGHTLY`], started in the root.
///
/// `rustup run` rather than the `CARGO` that runs xtask (that one is the
/// stable cargo) and rather than `cargo +toolchain` (which needs the rustup
/// proxy first on PATH); it overrides rust-toolchain.toml like `+toolchain`.
pub fn nightly_cargo() -> Command {
    let mut cmd = Command::new("rustup");
    cmd.current_dir(workspace_root())
        .args(["run", WIDGET_NIGHTLY, "cargo"]);
    cmd
}

/// Installs a rustup component (rustfmt, clippy) when `cargo <subcommand>` is missing.
pub fn ensure_component(subcommand: &str, component: &str) -> Result<()> {
    let mut probe = cargo();
    probe
        .args([subcommand, "--version"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if probe.status().is_ok_and(|status| status.success()) {
        return Ok(());
    }
    println!("`cargo {subcommand}` is missing: installing the {component} component");
    let mut add = Command::new("rustup");
    add.current_dir(workspace_root())
        .args(["component", "add", component]);
    run(&mut add).with_context(|| {
        format!("installing {component} (try `rustup component add {component}` yourself)")
    })
}

/// Checks that node and npm are on PATH.
pub fn ensure_node() -> Result<()> {
    for tool in ["node", "npm"] {
        if !exists(tool) {
            bail!(
                "`{tool}` not found: install Node.js 18 or newer with npm \
                 (`apt-get install -y nodejs npm`, or https://nodejs.org)"
            );
        }
    }
    Ok(())
}

/// Returns the path of binaryen's `wasm-opt` script (run it with `node`),
/// installing the pinned npm package under `target/tools/binaryen` when the
/// installed copy is missing or of another version.
pub fn wasm_opt() -> Result<PathBuf> {
    ensure_node().context("wasm-opt comes from the npm package `binaryen`")?;
    let prefix = target_dir().join("tools").join("binaryen");
    let package = prefix.join("node_modules").join("binaryen");
    let script = package.join("bin").join("wasm-opt");
    if installed_npm_version(&package).as_deref() == Some(BINARYEN_VERSION) && script.is_file() {
        return Ok(script);
    }
    fs::create_dir_all(&prefix).with_context(|| format!("creating {}", prefix.display()))?;
    let mut install = Command::new("npm");
    install
        .current_dir(workspace_root())
        .arg("install")
        .arg("--prefix")
        .arg(&prefix)
        .args(["--no-save", "--no-audit", "--no-fund", "--no-package-lock"])
        .arg(format!("binaryen@{BINARYEN_VERSION}"))
        .stdin(Stdio::null());
    run(&mut install).with_context(|| {
        format!(
            "installing binaryen {BINARYEN_VERSION} from npm (needs network access to \
             registry.npmjs.org; do not use Debian's binaryen, its wasm-opt breaks \
             wasm-bindgen output)"
        )
    })?;
    match installed_npm_version(&package) {
        Some(version) if version == BINARYEN_VERSION && script.is_file() => Ok(script),
        found => bail!(
            "npm finished but {} holds binaryen {found:?}, expected {BINARYEN_VERSION}",
            package.display()
        ),
    }
}

fn installed_npm_version(package: &Path) -> Option<String> {
    let text = fs::read_to_string(package.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("version")?.as_str().map(str::to_owned)
}

/// Checks for Debian's Chromium and chromedriver; installs them with apt-get
/// when running as root, otherwise says what to run.
pub fn ensure_chromium() -> Result<()> {
    let present = || Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file();
    if present() {
        return Ok(());
    }
    const INSTALL: &str = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver";
    if !is_root() {
        bail!(
            "browser tests need {CHROMIUM} and {CHROMEDRIVER}; install them as root with:\n  {INSTALL}"
        );
    }
    if !exists("apt-get") {
        bail!(
            "browser tests need {CHROMIUM} and {CHROMEDRIVER} (Debian's `chromium` and \
             `chromium-driver` packages), and apt-get is not available here"
        );
    }
    println!("Chromium or chromedriver missing: installing them with apt-get");
    let mut update = Command::new("apt-get");
    update.arg("update").stdin(Stdio::null());
    run(&mut update).context("apt-get update")?;
    let mut install = Command::new("apt-get");
    install
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "chromium", "chromium-driver"])
        .stdin(Stdio::null());
    run(&mut install).context("installing chromium and chromium-driver")?;
    if !present() {
        bail!("apt-get succeeded but {CHROMIUM} or {CHROMEDRIVER} is still missing");
    }
    Ok(())
}

/// Whether this process runs as uid 0 (Linux: read from /proc, no libc needed).
fn is_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().next())
            == Some("0")
    })
}
