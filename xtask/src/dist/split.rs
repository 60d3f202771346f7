//! Splits the linked widget module into a main module and lazily loaded
//! chunks (`wasm_split_cli_support`), before wasm-bindgen.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The module name the main module imports the chunk loaders from, and the
/// link module's file name in the work folder.
pub const LINK_NAME: &str = "./__wasm_split.js";
/// What the link module imports the glue as; replaced by the glue's hashed
/// name once it is known.
pub const GLUE_PLACEHOLDER: &str = "./__MANYI_SPLIT_GLUE__.js";

/// What [`run`] wrote.
#[derive(Debug)]
pub struct Split {
    /// The main module, for wasm-bindgen.
    pub main: PathBuf,
    /// The chunks.
    pub chunks: Vec<PathBuf>,
    /// The JS link module.
    pub link: PathBuf,
}

/// Splits `input` into `dir`.
pub fn run(input: &Path, dir: &Path) -> Result<Split> {
    let bytes = fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let main = dir.join("main.wasm");
    let mut opts = wasm_split_cli_support::Options::new(&bytes);
    opts.output_dir = dir;
    opts.main_out_path = &main;
    opts.link_name = LINK_NAME;
    opts.main_module = GLUE_PLACEHOLDER;
    let split = wasm_split_cli_support::transform(opts)
        .map_err(|err| anyhow::anyhow!("{err:?}"))
        .context("wasm_split_cli_support::transform")?;
    println!("split prefetch map: {:?}", split.prefetch_map);
    Ok(Split {
        main,
        chunks: split.split_modules,
        link: dir.join(LINK_NAME),
    })
}

/// The main module's exports the link module hands to the chunks: the
/// names in its `const { a, b, } = initSync(undefined, undefined);`.
pub fn shared_exports(link: &str) -> Result<Vec<String>> {
    let line = link
        .lines()
        .find(|line| line.contains("} = initSync("))
        .context("the split link module reads no exports from the glue (`} = initSync(`)")?;
    let inner = line
        .split_once('{')
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(inner, _)| inner)
        .context("unexpected shape of the link module's initSync line")?;
    Ok(inner
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The link module with the main module's exports read under their new
/// names (`{ b: memory }`: the chunks still import `memory`), each chunk
/// fetched by its shipped file name and the glue imported as `glue`.
pub fn finish_link(
    link: &str,
    renames: &std::collections::BTreeMap<String, String>,
    chunks: &[(String, String)],
    glue: &str,
) -> Result<String> {
    let mut out = String::with_capacity(link.len());
    for line in link.split_inclusive('\n') {
        if line.contains("} = initSync(") {
            let names = shared_exports(line)?;
            let aliased: Vec<String> = names
                .iter()
                .map(|name| match renames.get(name) {
                    Some(new) => format!("{new}: {name}"),
                    None => name.clone(),
                })
                .collect();
            out.push_str(&format!(
                "        const {{ {} }} = initSync(undefined, undefined);\n",
                aliased.join(", ")
            ));
        } else {
            out.push_str(line);
        }
    }
    for (from, to) in chunks {
        let quoted = format!("\"./{from}\"");
        if out.matches(&quoted).count() != 1 {
            anyhow::bail!("the link module does not fetch {from} exactly once");
        }
        out = out.replace(&quoted, &format!("\"./{to}\""));
    }
    if out.matches(GLUE_PLACEHOLDER).count() != 1 {
        anyhow::bail!("the link module does not import {GLUE_PLACEHOLDER} exactly once");
    }
    Ok(out.replace(GLUE_PLACEHOLDER, &format!("./{glue}")))
}
