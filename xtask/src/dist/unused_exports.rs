//! Drops the WebAssembly exports the widget never calls, and their glue.
//!
//! Leptos' `csr` feature always enables `server_fn/browser`, which links
//! `wasm-streams`, whose `#[wasm_bindgen]` classes (`IntoUnderlyingSource`,
//! `IntoUnderlyingSink`, `IntoUnderlyingByteSource`) become exports of the
//! module. Exports are roots, so neither the linker nor wasm-opt may remove
//! them or the stream code behind them (~6.5 KB of wasm, 1.6 KB brotli),
//! although the widget never streams anything. Here the classes are cut out
//! of the wasm-bindgen glue, and binaryen's `wasm-metadce` keeps exactly the
//! exports the remaining glue reads (`wasm.<name>`), dropping the rest and
//! everything only they reached.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::tools;

/// Prefix of the glue classes that wrap `wasm-streams`' exported structs.
const UNUSED_CLASS_PREFIX: &str = "IntoUnderlying";

/// Rewrites the glue at `glue_path` without the unused classes, then writes
/// to `output` the module `input` reduced to the exports that glue reads.
/// `features` are the wasm-opt feature flags the module needs.
pub fn strip(glue_path: &Path, input: &Path, output: &Path, features: &[&str]) -> Result<()> {
    let glue = fs::read_to_string(glue_path)
        .with_context(|| format!("reading {}", glue_path.display()))?;
    let glue = drop_classes(&glue, UNUSED_CLASS_PREFIX)?;
    fs::write(glue_path, &glue).with_context(|| format!("writing {}", glue_path.display()))?;

    let exports = read_exports(&glue);
    if !exports.contains("mount") || !exports.contains("memory") {
        bail!("the wasm-bindgen glue no longer reads `wasm.mount` and `wasm.memory`: {exports:?}");
    }
    let graph_path = output.with_extension("graph.json");
    fs::write(&graph_path, graph(&exports).to_string())
        .with_context(|| format!("writing {}", graph_path.display()))?;

    let metadce = tools::wasm_opt()?.with_file_name("wasm-metadce");
    let mut cmd = Command::new("node");
    cmd.arg(&metadce)
        .args(features)
        .arg(input)
        .arg("--graph-file")
        .arg(&graph_path)
        .arg("-o")
        .arg(output);
    // metadce prints every removed item ("unused: …"); only failure matters.
    tools::output(&mut cmd).map(drop)
}

/// The glue without every `export class <prefix>…` block, its
/// `Symbol.dispose` line and its `FinalizationRegistry`, and without the
/// `__wbindgen_enum_*` tables only those classes used. Fails when a class
/// name is still mentioned afterwards: wasm-bindgen's output changed shape
/// and this function needs updating (a dangling reference would break the
/// widget at load time, never silently).
fn drop_classes(glue: &str, prefix: &str) -> Result<String> {
    let mut names = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    let mut lines = glue.lines().peekable();
    while let Some(line) = lines.next() {
        let class = line
            .strip_prefix("export class ")
            .and_then(|rest| rest.strip_suffix(" {"))
            .filter(|name| name.starts_with(prefix));
        if let Some(name) = class {
            names.push(name.to_owned());
            // The class body ends at the first closing brace in column 0.
            for body in lines.by_ref() {
                if body == "}" {
                    break;
                }
            }
            continue;
        }
        let registry = line
            .strip_prefix("const ")
            .and_then(|rest| rest.split(' ').next())
            .is_some_and(|name| name.starts_with(prefix) && name.ends_with("Finalization"));
        if registry {
            // `const XFinalization = (typeof …)` continues on `? …` and
            // `: …` lines: skip exactly those (never a following statement,
            // should a later wasm-bindgen write it on one line).
            while lines.peek().is_some_and(|next| {
                let next = next.trim_start();
                next.starts_with('?') || next.starts_with(':')
            }) {
                lines.next();
            }
            continue;
        }
        if line
            .strip_prefix("if (Symbol.dispose) ")
            .is_some_and(|rest| rest.starts_with(prefix))
        {
            continue;
        }
        kept.push(line);
    }
    let mut text = kept.join("\n");
    text.push('\n');
    let text = drop_unused_enums(&text);
    if let Some(name) = names.iter().find(|name| text.contains(name.as_str())) {
        bail!("the wasm-bindgen glue still mentions {name} after removing its class");
    }
    Ok(text)
}

/// Removes `const __wbindgen_enum_X = [...];` lines whose table nothing else
/// mentions.
fn drop_unused_enums(glue: &str) -> String {
    let mut text = String::with_capacity(glue.len());
    for line in glue.split_inclusive('\n') {
        let unused = line
            .strip_prefix("const __wbindgen_enum_")
            .and_then(|rest| rest.split(' ').next())
            .is_some_and(|name| glue.matches(&format!("__wbindgen_enum_{name}")).count() == 1);
        if !unused {
            text.push_str(line);
        }
    }
    text
}

/// The module exports the glue reads: every `wasm.<identifier>`.
fn read_exports(glue: &str) -> BTreeSet<String> {
    glue.match_indices("wasm.")
        .filter(|(at, _)| {
            // `wasm.` as its own word, not the tail of e.g. `__wbg_wasm.`.
            !glue[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| super::is_ident_char(c) || c == '.')
        })
        .map(|(at, _)| {
            glue[at + "wasm.".len()..]
                .chars()
                .take_while(|c| super::is_ident_char(*c))
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// wasm-metadce's reachability graph: one root (the glue) reaching each
/// export in `exports`. Exports not in the graph are removed.
fn graph(exports: &BTreeSet<String>) -> serde_json::Value {
    let mut nodes = vec![serde_json::json!({
        "name": "glue",
        "root": true,
        "reaches": exports.iter().map(|e| format!("export:{e}")).collect::<Vec<_>>(),
    })];
    nodes.extend(
        exports
            .iter()
            .map(|e| serde_json::json!({ "name": format!("export:{e}"), "export": e })),
    );
    serde_json::Value::Array(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape wasm-bindgen 0.2.130 emits (shortened).
    const GLUE: &str = r#"export class IntoUnderlyingSink {
    free() {
        wasm.__wbg_intounderlyingsink_free(ptr, 0);
    }
    write(chunk) {
        const ret = wasm.intounderlyingsink_write(this.__wbg_ptr, chunk);
        return __wbindgen_enum_ReadableStreamType[ret];
    }
}
if (Symbol.dispose) IntoUnderlyingSink.prototype[Symbol.dispose] = IntoUnderlyingSink.prototype.free;

export function mount(root, config_json) {
    const ret = wasm.mount(root, ptr0, len0);
}
const __wbindgen_enum_ReadableStreamType = ["bytes"];
const __wbindgen_enum_Kept = ["a"];
const IntoUnderlyingSinkFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_intounderlyingsink_free(ptr, 1));
function getMemory() { return new Uint8Array(wasm.memory.buffer, __wbindgen_enum_Kept); }
"#;

    #[test]
    fn drops_the_classes_their_registries_and_their_enums_only() {
        let glue = drop_classes(GLUE, UNUSED_CLASS_PREFIX).unwrap();
        assert_eq!(
            glue,
            "\nexport function mount(root, config_json) {\n    const ret = wasm.mount(root, \
             ptr0, len0);\n}\nconst __wbindgen_enum_Kept = [\"a\"];\nfunction getMemory() { \
             return new Uint8Array(wasm.memory.buffer, __wbindgen_enum_Kept); }\n"
        );
        assert_eq!(
            read_exports(&glue).into_iter().collect::<Vec<_>>(),
            ["memory", "mount"]
        );
    }

    #[test]
    fn reads_every_export_the_glue_uses() {
        assert_eq!(
            read_exports(GLUE).into_iter().collect::<Vec<_>>(),
            [
                "__wbg_intounderlyingsink_free",
                "intounderlyingsink_write",
                "memory",
                "mount"
            ]
        );
    }

    #[test]
    fn a_registry_written_on_one_line_takes_no_following_statement_with_it() {
        let glue = "const IntoUnderlyingSinkFinalization = new FinalizationRegistry(() => {});\n\
                    function kept() {}\n";
        assert_eq!(
            drop_classes(glue, UNUSED_CLASS_PREFIX).unwrap(),
            "function kept() {}\n"
        );
    }

    #[test]
    fn a_leftover_mention_of_a_dropped_class_fails() {
        let glue = format!("{GLUE}const s = IntoUnderlyingSink.__wrap(1);\n");
        let err = drop_classes(&glue, UNUSED_CLASS_PREFIX).unwrap_err();
        assert!(err.to_string().contains("IntoUnderlyingSink"), "{err}");
    }

    #[test]
    fn the_graph_roots_the_glue_and_names_each_export() {
        let exports: BTreeSet<String> = ["memory".to_owned(), "mount".to_owned()].into();
        assert_eq!(
            graph(&exports),
            serde_json::json!([
                { "name": "glue", "root": true, "reaches": ["export:memory", "export:mount"] },
                { "name": "export:memory", "export": "memory" },
                { "name": "export:mount", "export": "mount" },
            ])
        );
    }
}
