//! Precompression (brotli, gzip) of dist files, the size table and the size
//! budgets. The widget ships to phones on slow links: every 10 KB of brotli
//! costs about 0.2 s there (DESIGN.md), so the budgets fail the build.
//!
//! Two first-load figures matter. [`FIRST_LOAD_TARGET`] is the product's
//! budget (60 KB brotli, the widget issue); the widget does not meet it yet
//! (about 98 KB: see the widget issue's notes for where the bytes are), so the
//! table prints it as NOT MET rather than hiding it. [`FIRST_LOAD_CEILING`] is a
//! ratchet that fails the build today: the widget may only shrink from here.
//! Lower the ceiling as the widget shrinks; once the target is met the ceiling
//! becomes the target.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// The product's first-load budget (loader + glue + wasm, brotli): not met yet.
pub const FIRST_LOAD_TARGET: u64 = 60 * 1024;
/// The enforced ratchet on the first load (brotli): the build fails above it.
/// 98.5 KB measured (100,865 B: loader 1.9 + glue 4.4 + wasm 92.2) after
/// the keyed `<For>`, the wasm-streams exports, the wasm `BTreeMap`s and the
/// long import/export names went; about 0.5 KB of room.
pub const FIRST_LOAD_CEILING: u64 = 99 * 1024;
/// The loader alone, brotli-compressed: it is on every host page.
pub const LOADER_BUDGET: u64 = 2 * 1024;

/// One dist file and its sizes in bytes.
#[derive(Debug, Clone)]
pub struct FileSize {
    /// Path relative to the dist folder, with `/` separators.
    pub name: String,
    /// Uncompressed size.
    pub raw: u64,
    /// gzip level 9.
    pub gzip: u64,
    /// brotli quality 11, window 22.
    pub brotli: u64,
}

/// Brotli at quality 11 with a 2^22 window: what the collector serves.
pub fn brotli(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 3);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(data).context("brotli compression")?;
        writer.flush().context("brotli compression")?;
    }
    Ok(out)
}

/// gzip at level 9.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
    encoder.write_all(data).context("gzip compression")?;
    encoder.finish().context("gzip compression")
}

/// Writes `<file>.br` and `<file>.gz` next to `dist/<name>` and returns its sizes.
pub fn precompress(dist: &Path, name: &str) -> Result<FileSize> {
    let path = dist.join(name);
    let data = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let br = brotli(&data).with_context(|| format!("compressing {}", path.display()))?;
    let gz = gzip(&data).with_context(|| format!("compressing {}", path.display()))?;
    for (ext, bytes) in [("br", &br), ("gz", &gz)] {
        let out = dist.join(format!("{name}.{ext}"));
        fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(FileSize {
        name: name.to_owned(),
        raw: data.len() as u64,
        gzip: gz.len() as u64,
        brotli: br.len() as u64,
    })
}

/// Prints the size table, with the first-load total as its last line.
pub fn print_table(files: &[FileSize], first_load_brotli: u64) {
    let width = files
        .iter()
        .map(|file| file.name.len())
        .max()
        .unwrap_or(0)
        .max("first load (brotli)".len());
    println!();
    println!(
        "{:<width$}  {:>10}  {:>10}  {:>10}",
        "file", "raw", "gzip", "brotli"
    );
    for file in files {
        println!(
            "{:<width$}  {:>10}  {:>10}  {:>10}",
            file.name,
            kb(file.raw),
            kb(file.gzip),
            kb(file.brotli)
        );
    }
    println!(
        "{:<width$}  {:>10}  {:>10}  {:>10}   enforced ceiling {}",
        "first load (brotli)",
        "",
        "",
        kb(first_load_brotli),
        kb(FIRST_LOAD_CEILING)
    );
    let verdict = if first_load_brotli <= FIRST_LOAD_TARGET {
        "met"
    } else {
        "NOT MET"
    };
    println!(
        "first-load target {} (widget issue): {verdict}, {} over",
        kb(FIRST_LOAD_TARGET),
        kb(first_load_brotli.saturating_sub(FIRST_LOAD_TARGET))
    );
    println!();
}

/// Fails when the first load is over the enforced ceiling or the loader over
/// its budget, with the figures.
pub fn check_budgets(loader_brotli: u64, first_load_brotli: u64) -> Result<()> {
    let mut over = Vec::new();
    if first_load_brotli > FIRST_LOAD_CEILING {
        over.push(format!(
            "first load is {first_load_brotli} bytes brotli ({}), ceiling {FIRST_LOAD_CEILING} ({})",
            kb(first_load_brotli),
            kb(FIRST_LOAD_CEILING)
        ));
    }
    if loader_brotli > LOADER_BUDGET {
        over.push(format!(
            "loader manyi.js is {loader_brotli} bytes brotli ({}), budget {LOADER_BUDGET} ({})",
            kb(loader_brotli),
            kb(LOADER_BUDGET)
        ));
    }
    if !over.is_empty() {
        bail!("size budget exceeded: {}", over.join("; "));
    }
    Ok(())
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_copies_decompress_to_the_original() {
        let data = b"manyi manyi manyi manyi manyi manyi".repeat(50);
        let br = brotli(&data).unwrap();
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
        assert_eq!(back, data);

        let gz = gzip(&data).unwrap();
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn budgets_pass_at_the_limit_and_fail_one_byte_over() {
        assert!(check_budgets(LOADER_BUDGET, FIRST_LOAD_CEILING).is_ok());
        let err = check_budgets(LOADER_BUDGET, FIRST_LOAD_CEILING + 1).unwrap_err();
        let over = format!("first load is {} bytes", FIRST_LOAD_CEILING + 1);
        assert!(err.to_string().contains(&over), "{err}");
        let err = check_budgets(LOADER_BUDGET + 1, 0).unwrap_err();
        assert!(err.to_string().contains("loader manyi.js is 2049 bytes"));
    }
}
