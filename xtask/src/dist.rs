//! `cargo xtask dist`: builds the widget to wasm, runs wasm-bindgen (as a
//! library), drops the exports nothing calls ([`unused_exports`]), runs
//! wasm-opt, shortens the import and export names ([`short_names`]) and
//! writes `target/dist` as the collector serves it:
//! the loader with its placeholders substituted, content-hashed assets,
//! brotli and gzip copies, and `manifest.json` (layout in
//! docs/internal-contracts.md). Fails when a size budget is exceeded.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::sizes::{self, FileSize};
use crate::tools;

mod short_names;
mod unused_exports;

/// Whether `c` may continue a JavaScript identifier in the wasm-bindgen
/// glue (ASCII only: the glue's names are). Reading the glue's
/// `wasm.<name>` uses (which exports to keep) and renaming them must agree.
fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// The wasm-bindgen-cli-support version xtask links: the root manifest pins
/// it (`=0.2.130`) together with the widget's wasm-bindgen.
const BINDGEN_CRATE: &str = "wasm-bindgen-cli-support";
const PROFILE: &str = "wasm-release";
const TARGET: &str = "wasm32-unknown-unknown";
/// Stem of the generated files (`manyi_widget.js`, `manyi_widget_bg.wasm`).
const OUT_NAME: &str = "manyi_widget";

/// The wasm features Rust's default wasm32 target emits: binaryen's tools
/// reject or mangle the module without them.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
];

/// Flags for binaryen's wasm-opt besides [`WASM_FEATURES`]. `--converge`
/// repeats the passes until the module stops shrinking: about 0.8 KB brotli
/// for 5 s more build time (measured on the widget).
const WASM_OPT_FLAGS: &[&str] = &[
    "-Oz",
    "--converge",
    "--strip-debug",
    "--strip-producers",
    "--strip-target-features",
];

/// What [`build`] wrote.
#[derive(Debug)]
pub struct Built {
    /// Absolute path of the dist folder.
    pub dir: PathBuf,
    /// Brotli size of `manyi.js`.
    pub loader_brotli: u64,
    /// Brotli size of everything fetched on first load.
    pub first_load_brotli: u64,
}

impl Built {
    /// Fails when a size budget is exceeded, with the figures.
    pub fn check_budgets(&self) -> Result<()> {
        sizes::check_budgets(self.loader_brotli, self.first_load_brotli)
    }
}

/// `cargo xtask dist`: [`build`], then fail on exceeded size budgets.
pub fn dist() -> Result<PathBuf> {
    let built = build()?;
    built.check_budgets()?;
    Ok(built.dir)
}

/// A folder removed (with what it holds) when this is dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if self.0.exists()
            && let Err(e) = fs::remove_dir_all(&self.0)
        {
            eprintln!("warning: could not remove {}: {e}", self.0.display());
        }
    }
}

/// Runs the dist pipeline (see the module docs) and prints the size table,
/// without judging the sizes.
pub fn build() -> Result<Built> {
    let started = Instant::now();
    let root = tools::workspace_root();
    let target = tools::target_dir();
    // One work folder per run: engineers and CI steps sharing a target
    // folder may run dist at the same time, and the glue is rewritten in
    // place (two runs in one folder renamed the same glue twice).
    let work = target.join(format!("dist-work-{}", std::process::id()));
    // Removed however the run ends: a failed step used to leave its
    // work folder (one per process id) behind for good.
    let _clean_up = RemoveOnDrop(work.clone());
    let dist = target.join("dist");

    let mut timer = Timer::default();
    tools::ensure_widget_nightly().context("dist: the widget's nightly toolchain")?;
    build_widget().context("dist: building the widget for wasm32")?;
    timer.lap("cargo build (wasm-release, nightly build-std)");
    let raw_wasm = target
        .join(TARGET)
        .join(PROFILE)
        .join(format!("{OUT_NAME}.wasm"));
    check_bindgen_version(&root.join("Cargo.lock")).context("dist: wasm-bindgen versions")?;

    reset_dir(&work)?;
    let bindgen_dir = work.join("bindgen");
    run_bindgen(&raw_wasm, &bindgen_dir).context("dist: wasm-bindgen")?;
    timer.lap("wasm-bindgen");

    let glue_path = bindgen_dir.join(format!("{OUT_NAME}.js"));
    let used_wasm = work.join(format!("{OUT_NAME}.used.wasm"));
    unused_exports::strip(
        &glue_path,
        &bindgen_dir.join(format!("{OUT_NAME}_bg.wasm")),
        &used_wasm,
        WASM_FEATURES,
    )
    .context("dist: dropping unused exports (wasm-metadce)")?;
    timer.lap("wasm-metadce");

    let opt_wasm = work.join(format!("{OUT_NAME}.opt.wasm"));
    run_wasm_opt(&used_wasm, &opt_wasm).context("dist: wasm-opt")?;
    timer.lap("wasm-opt (incl. install check)");

    let short_wasm = work.join(format!("{OUT_NAME}.short.wasm"));
    short_names::apply(&glue_path, &opt_wasm, &short_wasm, WASM_FEATURES)
        .context("dist: short import and export names")?;
    timer.lap("short names");

    // Assemble in a staging folder, then swap it in: a failed build leaves
    // the previous dist intact, and no stale file survives a good one.
    let stage = work.join("dist");
    reset_dir(&stage.join("assets"))?;
    check_glue_syntax(&glue_path, &work).context("dist: the rewritten glue")?;
    let glue_js = fs::read(&glue_path).context("dist: reading the wasm-bindgen glue")?;
    let glue = write_hashed(&stage, "js", &glue_js).context("dist: writing the glue")?;
    let wasm_bytes = fs::read(&short_wasm).context("dist: reading the optimised wasm")?;
    let wasm = write_hashed(&stage, "wasm", &wasm_bytes).context("dist: writing the wasm")?;
    let snippets =
        copy_snippets(&bindgen_dir, &stage).context("dist: copying wasm-bindgen snippets")?;
    write_loader(&root, &stage, &glue, &wasm).context("dist: writing the loader")?;

    let mut files = vec![
        sizes::precompress(&stage, "manyi.js")?,
        sizes::precompress(&stage, &glue)?,
        sizes::precompress(&stage, &wasm)?,
    ];
    for snippet in &snippets {
        files.push(sizes::precompress(&stage, snippet)?);
    }
    // Everything above is fetched on first load (snippets are imported by the glue).
    let first_load_brotli: u64 = files.iter().map(|file| file.brotli).sum();
    let loader_brotli = files[0].brotli;
    write_manifest(&stage, &glue, &wasm, &files, first_load_brotli)
        .context("dist: writing manifest.json")?;
    sizes::precompress(&stage, "manifest.json")?;

    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("removing stale {}", dist.display()))?;
    }
    fs::rename(&stage, &dist)
        .with_context(|| format!("moving {} to {}", stage.display(), dist.display()))?;
    timer.lap("hash, compress, manifest");

    sizes::print_table(&files, first_load_brotli);
    println!(
        "dist written to {} in {:.1} s ({})",
        dist.display(),
        started.elapsed().as_secs_f64(),
        timer.laps.join(", ")
    );
    Ok(Built {
        dir: dist,
        loader_brotli,
        first_load_brotli,
    })
}

/// Records how long each part of the pipeline took, for the closing line.
#[derive(Debug)]
struct Timer {
    last: Instant,
    laps: Vec<String>,
}

impl Default for Timer {
    fn default() -> Self {
        Timer {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }
}

impl Timer {
    fn lap(&mut self, what: &str) {
        let now = Instant::now();
        self.laps
            .push(format!("{what} {:.1} s", (now - self.last).as_secs_f64()));
        self.last = now;
    }
}

/// Builds the widget with [`tools::WIDGET_NIGHTLY`], rebuilding the standard
/// library for it (`-Zbuild-std`) with `-Cpanic=immediate-abort`: a panic
/// becomes a bare `unreachable` trap, so the panic machinery and every panic
/// message and location (formatting code included) drop out of the module.
/// Measured at about 10 KB brotli of the first load. The wasm-release profile
/// already aborts on panic and the widget installs no panic hook, so the only
/// loss is the message a panic would have printed before the trap.
///
/// `-Zfmt-debug=none` makes every `{:?}` print nothing and
/// `-Zlocation-detail=none` drops file/line records: 3.5 KB brotli. Safe
/// because the widget shows no `Debug` output to anyone: validation errors
/// are displayed by code (`i18n::error_message`), never by their English
/// `message`, which is where manyi-shared uses `{:?}`.
fn build_widget() -> Result<()> {
    // MANYI_WIDGET_RUSTFLAGS: extra flags for size experiments (e.g. with
    // CARGO_TARGET_DIR set elsewhere so target/dist stays as it is).
    let extra = std::env::var("MANYI_WIDGET_RUSTFLAGS").unwrap_or_default();
    let mut cmd = tools::nightly_cargo();
    cmd.env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
        format!(
            "-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none \
             -Zlocation-detail=none {extra}"
        ),
    )
    .args([
        "build",
        "-p",
        "manyi-widget",
        "--lib",
        "--target",
        TARGET,
        "--profile",
        PROFILE,
        "-Zbuild-std=std,panic_abort",
    ]);
    tools::run(&mut cmd)
}

/// wasm-bindgen refuses (or worse, misreads) a module made by another version
/// of the macro crate, so compare the lock file's two entries up front.
fn check_bindgen_version(lock_path: &Path) -> Result<()> {
    let lock = fs::read_to_string(lock_path)
        .with_context(|| format!("reading {}", lock_path.display()))?;
    let macro_versions = locked_versions(&lock, "wasm-bindgen");
    let cli_versions = locked_versions(&lock, BINDGEN_CRATE);
    match (macro_versions.as_slice(), cli_versions.as_slice()) {
        ([widget], [xtask]) if widget == xtask => Ok(()),
        ([widget], [xtask]) => bail!(
            "Cargo.lock has wasm-bindgen {widget} (the widget) but {BINDGEN_CRATE} {xtask} \
             (xtask): pin both to the same exact version in the root Cargo.toml \
             [workspace.dependencies] and run `cargo update -p wasm-bindgen -p {BINDGEN_CRATE}`"
        ),
        _ => bail!(
            "expected exactly one wasm-bindgen and one {BINDGEN_CRATE} in Cargo.lock, found \
             {macro_versions:?} and {cli_versions:?}: pin both to the same exact version in \
             the root Cargo.toml [workspace.dependencies]"
        ),
    }
}

/// Versions of package `name` in a Cargo.lock (a `[[package]]` block's
/// `name = ".."` line is followed by its `version = ".."` line).
fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines().map(str::trim);
    let mut versions = Vec::new();
    while let Some(line) = lines.next() {
        if line == wanted
            && let Some(version) = lines
                .next()
                .and_then(|next| next.strip_prefix("version = \""))
                .and_then(|rest| rest.strip_suffix('"'))
        {
            versions.push(version.to_owned());
        }
    }
    versions
}

fn run_bindgen(input: &Path, out_dir: &Path) -> Result<()> {
    if !input.is_file() {
        bail!(
            "{} not found after the build: is manyi-widget a cdylib?",
            input.display()
        );
    }
    println!(
        "wasm-bindgen (library) {} -> {}",
        input.display(),
        out_dir.display()
    );
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(input)
        .web(true)?
        .typescript(false)
        .out_name(OUT_NAME)
        // The loader always passes the hashed wasm URL to `init`; the default
        // (`manyi_widget_bg.wasm` next to the glue) does not exist in dist.
        .omit_default_module_path(true)
        .generate(out_dir)
}

fn run_wasm_opt(input: &Path, output: &Path) -> Result<()> {
    let script = tools::wasm_opt()?;
    let mut cmd = Command::new("node");
    cmd.arg(&script)
        .args(WASM_OPT_FLAGS)
        .args(WASM_FEATURES)
        .arg(input)
        .arg("-o")
        .arg(output);
    tools::run(&mut cmd)
}

/// Writes `assets/manyi_widget.<16 hex of sha256>.<ext>` and returns that
/// path relative to the dist folder.
fn write_hashed(dist: &Path, ext: &str, bytes: &[u8]) -> Result<String> {
    let hash = hex::encode(Sha256::digest(bytes));
    let name = format!("assets/{OUT_NAME}.{}.{ext}", &hash[..16]);
    let path = dist.join(&name);
    fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(name)
}

/// Copies `snippets/` (inline JS from `#[wasm_bindgen(inline_js)]` or
/// `module = ".."`) to `assets/snippets/`, where the glue's relative imports
/// find it. Returns the copied files relative to the dist folder.
fn copy_snippets(bindgen_dir: &Path, dist: &Path) -> Result<Vec<String>> {
    let mut copied = Vec::new();
    let from = bindgen_dir.join("snippets");
    if from.is_dir() {
        copy_tree(
            &from,
            &dist.join("assets").join("snippets"),
            "assets/snippets",
            &mut copied,
        )?;
    }
    if !copied.is_empty() {
        println!(
            "note: wasm-bindgen snippets are not content-hashed and cost extra requests: {}",
            copied.join(", ")
        );
    }
    Ok(copied)
}

fn copy_tree(from: &Path, to: &Path, rel: &str, copied: &mut Vec<String>) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut entries = fs::read_dir(from)
        .with_context(|| format!("listing {}", from.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("listing {}", from.display()))?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let (src, dst, rel) = (entry.path(), to.join(&name), format!("{rel}/{name}"));
        if src.is_dir() {
            copy_tree(&src, &dst, &rel, copied)?;
        } else {
            fs::copy(&src, &dst).with_context(|| format!("copying {}", src.display()))?;
            copied.push(rel);
        }
    }
    Ok(())
}

/// Copies `widget/loader/manyi.js` to `manyi.js`, replacing its placeholders
/// with the hashed asset paths (relative to the collector root).
fn write_loader(root: &Path, dist: &Path, glue: &str, wasm: &str) -> Result<()> {
    let source = root.join("widget").join("loader").join("manyi.js");
    let text = fs::read_to_string(&source).with_context(|| {
        format!(
            "reading the loader {} (the widget crate provides it)",
            source.display()
        )
    })?;
    for placeholder in ["__MANYI_GLUE__", "__MANYI_WASM__"] {
        if !text.contains(placeholder) {
            bail!(
                "{} lacks the placeholder {placeholder} (see docs/internal-contracts.md)",
                source.display()
            );
        }
    }
    let text = compact_loader(
        &text
            .replace("__MANYI_GLUE__", glue)
            .replace("__MANYI_WASM__", wasm),
    );
    let out = dist.join("manyi.js");
    fs::write(&out, text).with_context(|| format!("writing {}", out.display()))
}

/// Parses the glue with node (`--check`, as an ES module) after the
/// rewrites above: a rewrite that broke its syntax fails the build here, not
/// the widget in a customer's browser.
fn check_glue_syntax(glue: &Path, work: &Path) -> Result<()> {
    let copy = work.join("glue-check.mjs");
    fs::copy(glue, &copy).with_context(|| format!("copying {}", glue.display()))?;
    let mut node = Command::new("node");
    node.arg("--check").arg(&copy);
    tools::run(&mut node).context("node --check: the glue is not valid JavaScript")
}

/// The loader as shipped: without indentation and whole-line `//`
/// comments, which are for its readers, not for phones (about 5 % of its
/// brotli size). Nothing else is touched — the loader has no template
/// literals or line continuations, so no line's meaning depends on its
/// leading blanks — so no JS minifier is needed in the build.
fn compact_loader(source: &str) -> String {
    source
        .lines()
        .map(str::trim_start)
        .filter(|line| !line.is_empty() && !line.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn write_manifest(
    dist: &Path,
    glue: &str,
    wasm: &str,
    files: &[FileSize],
    first_load_brotli: u64,
) -> Result<()> {
    let sizes: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .map(|file| {
            (
                file.name.clone(),
                serde_json::json!({ "raw": file.raw, "gzip": file.gzip, "brotli": file.brotli }),
            )
        })
        .collect();
    let manifest = serde_json::json!({
        "loader": "manyi.js",
        "glue": glue,
        "wasm": wasm,
        "sizes": sizes,
        "first_load_brotli": first_load_brotli,
    });
    let mut text = serde_json::to_string_pretty(&manifest).context("serialising the manifest")?;
    text.push('\n');
    let path = dist.join("manifest.json");
    fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

fn reset_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_loader_keeps_code_and_drops_indentation_and_comment_lines() {
        let source =
            "/*! manyi */\n(function () {\n  // why\n\n  var a = 'x // y';\n    f(a);\n})();\n";
        assert_eq!(
            super::compact_loader(source),
            "/*! manyi */\n(function () {\nvar a = 'x // y';\nf(a);\n})();"
        );
    }

    use super::*;

    const LOCK: &str = r#"
[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "wasm-bindgen-cli-support"
version = "0.2.130"
"#;

    #[test]
    fn locked_versions_reads_exact_package_names_only() {
        assert_eq!(locked_versions(LOCK, "wasm-bindgen"), ["0.2.130"]);
        assert_eq!(locked_versions(LOCK, BINDGEN_CRATE), ["0.2.130"]);
        assert!(locked_versions(LOCK, "wasm-bindgen-futures").is_empty());
    }

    #[test]
    fn the_workspace_lock_pins_matching_bindgen_versions() {
        check_bindgen_version(&tools::workspace_root().join("Cargo.lock")).unwrap();
    }
}
