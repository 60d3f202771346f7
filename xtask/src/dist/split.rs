//! Splits the linked widget module into a main module and lazily loaded
//! chunks with `wasm_split_cli_support` (the build side of the widget's
//! `#[wasm_split]` functions, see widget/src/split.rs), before wasm-bindgen,
//! as cargo-leptos does. The tool also writes a JS "link module": the
//! loaders the main module imports for each split function (fetch,
//! instantiate with the main module's memory, table and stack pointer,
//! call back into the table), importing `initSync` from the glue. Here
//! that code is appended to the glue instead ([`merge_into_glue`]): no
//! extra request, no import cycle between two content-hashed files.

use std::fs;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};

/// The module name the main module imports the chunk loaders from, and the
/// link module's file name in the work folder.
pub const LINK_NAME: &str = "./__wasm_split.js";
/// What the link module imports the glue as (the import is dropped when
/// the link code joins the glue).
pub const GLUE_PLACEHOLDER: &str = "./__manyi_glue__.js";

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

/// Splits `input` (linked with `--emit-relocs`) into `dir`.
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
    // Which files each split function needs (the shared `chunk_N` ones
    // first): the glue's loaders fetch them the same way.
    println!("wasm-split: {:?}", split.prefetch_map);
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

/// The glue with the link module's code appended (one file, one request,
/// no import cycle): the link module's import of the glue and the glue's
/// imports of the link module go, the loaders the main module imports
/// become plain constants of the glue, the main module's exports are read
/// under their new names (`{ b: memory }`: the chunks still import
/// `memory`) and each chunk is fetched by its shipped file name
/// (`chunks`: name in the link module → shipped name, both relative to
/// the glue).
pub fn merge_into_glue(
    glue: &str,
    link: &str,
    renames: &BTreeMap<String, String>,
    chunks: &[(String, String)],
) -> Result<String> {
    let mut out = String::with_capacity(glue.len() + link.len());
    let mut namespaces = Vec::new();
    let import_from = format!(" from \"{LINK_NAME}\"");
    for line in glue.split_inclusive('\n') {
        let namespace = line
            .trim_end()
            .trim_end_matches(';')
            .strip_suffix(import_from.as_str())
            .and_then(|head| head.strip_prefix("import * as "));
        match namespace {
            Some(name) => namespaces.push(format!("{name}.")),
            None => out.push_str(line),
        }
    }
    if namespaces.is_empty() {
        bail!("the glue does not import the split link module {LINK_NAME}");
    }
    for namespace in &namespaces {
        out = out.replace(namespace.as_str(), "");
    }
    if namespaces
        .iter()
        .any(|ns| out.contains(ns.trim_end_matches('.')))
    {
        bail!("the glue uses the link module's namespace other than as `ns.<loader>`");
    }
    let mut code = String::new();
    for line in link.lines().map(str::trim_start) {
        // Comments are for the readers of wasm_split_cli_support (as in the
        // loader, whole-line `//` comments and indentation are dropped; the
        // link code has no template literals or line continuations).
        if line.is_empty() || line.starts_with("//") || line.starts_with("import ") {
            continue;
        }
        if line.contains("} = initSync(") {
            let aliased: Vec<String> = shared_exports(line)?
                .iter()
                .map(|name| match renames.get(name) {
                    Some(new) => format!("{new}: {name}"),
                    None => name.clone(),
                })
                .collect();
            code.push_str(&format!(
                "const {{ {} }} = initSync(undefined, undefined);\n",
                aliased.join(", ")
            ));
            continue;
        }
        code.push_str(line.strip_prefix("export ").unwrap_or(line));
        code.push('\n');
    }
    for (from, to) in chunks {
        let quoted = format!("\"./{from}\"");
        if code.matches(&quoted).count() != 1 {
            bail!("the link module does not fetch {from} exactly once");
        }
        code = code.replace(&quoted, &format!("\"./{to}\""));
    }
    out.push_str(&code);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape `wasm_split_cli_support` 0.2.4 writes (abridged).
    const LINK: &str = r#"import { initSync } from "./__manyi_glue__.js";

let sharedImports = undefined;
function getSharedImports() {
    if (sharedImports === undefined) {
        sharedImports = { __wasm_split: {  } };
        const { __indirect_function_table, __wasm_split_shared0, memory,  } = initSync(undefined, undefined);
        Object.assign(sharedImports.__wasm_split, { __indirect_function_table, __wasm_split_shared0, memory,  });
    }
    return sharedImports;
}
function makeLoad(fetcher, deps) {
    // Memoize successes only
    return fetcher;
}
/* controls, deliver */
const __chunk_3 = makeLoad(() => {
    const src = fetch(new URL("./chunk_3.wasm", import.meta.url));
}, []);
export const __wasm_split_load_deliver = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_deliver.wasm", import.meta.url));
}, [__chunk_3]));
"#;

    const GLUE: &str = r#"import * as import1 from "./__wasm_split.js"
import * as import2 from "./__wasm_split.js"

function __wbg_get_imports() {
    const import0 = {
        q: import1.__wasm_split_load_deliver,
        a: function() {},
    };
    return {
        "a": import0,
    };
}
function initSync(module) {
    if (wasm !== undefined) return wasm;
}
"#;

    fn renames() -> BTreeMap<String, String> {
        [("memory", "b"), ("__indirect_function_table", "c")]
            .into_iter()
            .map(|(old, new)| (old.to_owned(), new.to_owned()))
            .collect()
    }

    fn chunks() -> Vec<(String, String)> {
        vec![
            ("chunk_3.wasm".into(), "manyi_widget.chunk_3.00.wasm".into()),
            (
                "split_deliver.wasm".into(),
                "manyi_widget.split_deliver.11.wasm".into(),
            ),
        ]
    }

    #[test]
    fn reads_the_exports_the_chunks_need() {
        assert_eq!(
            shared_exports(LINK).unwrap(),
            [
                "__indirect_function_table",
                "__wasm_split_shared0",
                "memory"
            ]
        );
        assert!(shared_exports("export const x = 1;").is_err());
    }

    #[test]
    fn the_link_code_joins_the_glue_with_renamed_exports_and_shipped_chunk_names() {
        let glue = merge_into_glue(GLUE, LINK, &renames(), &chunks()).unwrap();
        // No module imports the link module or the glue any more.
        assert!(!glue.contains("import * as"), "{glue}");
        assert!(!glue.contains("import {"), "{glue}");
        assert!(!glue.contains("__manyi_glue__"), "{glue}");
        // The main module's loader import reads the glue's own constant.
        assert!(
            glue.contains("        q: __wasm_split_load_deliver,\n"),
            "{glue}"
        );
        assert!(glue.contains("\nconst __wasm_split_load_deliver = wrapAsyncCb("));
        // Renamed exports handed over under the names the chunks import.
        assert!(glue.contains(
            "const { c: __indirect_function_table, __wasm_split_shared0, b: memory } = \
             initSync(undefined, undefined);\n"
        ));
        assert!(
            glue.contains("new URL(\"./manyi_widget.split_deliver.11.wasm\", import.meta.url)")
        );
        assert!(glue.contains("new URL(\"./manyi_widget.chunk_3.00.wasm\", import.meta.url)"));
        // Whole-line comments and indentation of the link code are dropped.
        assert!(!glue.contains("Memoize"));
        assert!(glue.contains("\nreturn fetcher;\n"));
    }

    #[test]
    fn a_chunk_the_link_code_does_not_fetch_fails() {
        let mut chunks = chunks();
        chunks.push(("split_gone.wasm".into(), "x.wasm".into()));
        let err = merge_into_glue(GLUE, LINK, &renames(), &chunks).unwrap_err();
        assert!(err.to_string().contains("split_gone.wasm"), "{err}");
    }

    #[test]
    fn a_glue_that_does_not_import_the_link_module_fails() {
        let err = merge_into_glue("const a = 1;\n", LINK, &renames(), &chunks()).unwrap_err();
        assert!(err.to_string().contains("does not import"), "{err}");
    }
}
