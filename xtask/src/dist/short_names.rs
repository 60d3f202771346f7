//! Gives the module's imports and exports short names, in the wasm and in
//! the glue alike.
//!
//! wasm-bindgen names each import after the JS it calls plus a 16-hex hash
//! (`__wbg_querySelector_1555c239948f2bf0`) and each closure shim after its
//! full Rust type (up to 340 characters), and every name is written twice:
//! in the wasm's import/export sections and in the glue. The hashes are
//! random, so brotli cannot shrink them. binaryen's
//! `--minify-imports-and-exports-and-modules` renames them all (`a`, `b`, …,
//! and the import module to one short name) and prints the mapping, which
//! is then applied to the glue: 1.9 KB brotli off the wasm, 0.5 KB off the
//! glue (measured on the widget).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::tools;

/// The module name wasm-bindgen's glue gives its imports object.
const GLUE_MODULE: &str = "./manyi_widget_bg.js";

/// Renames the imports and exports of `input` into `output` and rewrites
/// the glue at `glue_path` to match. `features` are wasm-opt's feature flags.
pub fn apply(glue_path: &Path, input: &Path, output: &Path, features: &[&str]) -> Result<()> {
    let mut cmd = Command::new("node");
    cmd.arg(tools::wasm_opt()?)
        .args(features)
        .arg("--minify-imports-and-exports-and-modules")
        .arg(input)
        .arg("-o")
        .arg(output);
    let printed = tools::output(&mut cmd)?;
    let renames = Renames::parse(&printed)?;
    let module = imported_module(output)?;

    let glue = fs::read_to_string(glue_path)
        .with_context(|| format!("reading {}", glue_path.display()))?;
    let glue = renames.rewrite(&glue, &module)?;
    fs::write(glue_path, glue).with_context(|| format!("writing {}", glue_path.display()))
}

/// What binaryen renamed: import name → new name, export name → new name.
#[derive(Debug, Default, PartialEq)]
struct Renames {
    imports: BTreeMap<String, String>,
    exports: BTreeMap<String, String>,
}

impl Renames {
    /// Reads binaryen's report: a JSON object with `imports` as
    /// `[module, old, new]` triples and `exports` as `[old, new]` pairs.
    fn parse(printed: &str) -> Result<Self> {
        // wasm-opt may print other lines; the report is the JSON object.
        let start = printed
            .find('{')
            .context("no rename report from wasm-opt")?;
        let end = printed
            .rfind('}')
            .context("no rename report from wasm-opt")?;
        let report: Value = serde_json::from_str(&printed[start..=end])
            .context("reading wasm-opt's rename report")?;
        let mut renames = Renames::default();
        for item in report["imports"]
            .as_array()
            .context("no `imports` in the report")?
        {
            match item.as_array().map(Vec::as_slice) {
                Some(
                    [
                        Value::String(module),
                        Value::String(old),
                        Value::String(new),
                    ],
                ) if module == GLUE_MODULE => {
                    renames.imports.insert(old.clone(), new.clone());
                }
                _ => bail!("unexpected import rename {item} (only {GLUE_MODULE} is expected)"),
            }
        }
        for item in report["exports"]
            .as_array()
            .context("no `exports` in the report")?
        {
            match item.as_array().map(Vec::as_slice) {
                Some([Value::String(old), Value::String(new)]) => {
                    renames.exports.insert(old.clone(), new.clone());
                }
                _ => bail!("unexpected export rename {item}"),
            }
        }
        Ok(renames)
    }

    /// The glue with every import key, every `wasm.<export>` and the import
    /// module renamed. Fails unless each import key occurs exactly once and
    /// each export at least once: a glue of another shape would otherwise
    /// break at load time.
    fn rewrite(&self, glue: &str, module: &str) -> Result<String> {
        let mut text = glue.to_owned();
        for (old, new) in &self.imports {
            let (from, to) = (format!("\n        {old}: "), format!("\n        {new}: "));
            match text.matches(&from).count() {
                1 => text = text.replacen(&from, &to, 1),
                n => bail!("the glue defines import {old} {n} times, expected once"),
            }
        }
        for (old, new) in &self.exports {
            let (renamed, count) =
                replace_member(&text, &format!("wasm.{old}"), &format!("wasm.{new}"));
            if count == 0 {
                bail!("the glue never reads export {old}");
            }
            text = renamed;
        }
        let (from, to) = (
            format!("\"{GLUE_MODULE}\": import0"),
            format!("\"{module}\": import0"),
        );
        match text.matches(&from).count() {
            1 => Ok(text.replacen(&from, &to, 1)),
            n => bail!("the glue names its imports object {n} times, expected once"),
        }
    }
}

/// `text` with each `from` not followed by an identifier character replaced
/// by `to`, and how many were replaced (`wasm.mount` but not `wasm.mounted`).
fn replace_member(text: &str, from: &str, to: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        let whole = !after.chars().next().is_some_and(super::is_ident_char);
        out.push_str(&rest[..at]);
        if whole {
            out.push_str(to);
            count += 1;
        } else {
            out.push_str(from);
        }
        rest = after;
    }
    out.push_str(rest);
    (out, count)
}

/// The one module name the renamed wasm imports from (binaryen picks it and
/// does not report it), read by node's own WebAssembly implementation.
fn imported_module(wasm: &Path) -> Result<String> {
    let script = "const fs = require('fs'); \
        const m = new WebAssembly.Module(fs.readFileSync(process.argv[1])); \
        const names = new Set(WebAssembly.Module.imports(m).map((i) => i.module)); \
        console.log(JSON.stringify([...names]));";
    let mut cmd = Command::new("node");
    cmd.arg("-e").arg(script).arg(wasm);
    let printed = tools::output(&mut cmd)?;
    let modules: Vec<String> =
        serde_json::from_str(printed.trim()).context("reading the renamed module's imports")?;
    match modules.as_slice() {
        [module] => Ok(module.clone()),
        _ => bail!("the renamed wasm imports from {modules:?}, expected one module"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"[wasm-opt] something
{
 "imports": [
  ["./manyi_widget_bg.js", "__wbg_querySelector_1555c239948f2bf0", "a"],
  ["./manyi_widget_bg.js", "__wbg_query_0000000000000000", "$"]
 ],
"exports": [
  ["memory", "b"],
  ["mount", "c"]
 ]
}
"#;

    const GLUE: &str = "function __wbg_get_imports() {
    const import0 = {
        __wbg_querySelector_1555c239948f2bf0: function(arg0) {
            return arg0.querySelector(wasm.mounted);
        },
        __wbg_query_0000000000000000: function() { return handleError(function (arg0) {
        }, arguments); },
    };
    return {
        \"./manyi_widget_bg.js\": import0,
    };
}
export function mount(root) { wasm.mount(root); return new Uint8Array(wasm.memory.buffer); }
";

    #[test]
    fn reads_binaryens_report() {
        let renames = Renames::parse(REPORT).unwrap();
        assert_eq!(renames.imports["__wbg_querySelector_1555c239948f2bf0"], "a");
        assert_eq!(renames.imports["__wbg_query_0000000000000000"], "$");
        assert_eq!(renames.exports["memory"], "b");
        assert_eq!(renames.exports["mount"], "c");
    }

    #[test]
    fn renames_import_keys_exports_and_the_module_only() {
        let renames = Renames::parse(REPORT).unwrap();
        let glue = renames.rewrite(GLUE, "z").unwrap();
        assert_eq!(
            glue,
            "function __wbg_get_imports() {
    const import0 = {
        a: function(arg0) {
            return arg0.querySelector(wasm.mounted);
        },
        $: function() { return handleError(function (arg0) {
        }, arguments); },
    };
    return {
        \"z\": import0,
    };
}
export function mount(root) { wasm.c(root); return new Uint8Array(wasm.b.buffer); }
"
        );
    }

    #[test]
    fn a_name_the_glue_lacks_fails() {
        let mut renames = Renames::parse(REPORT).unwrap();
        renames.exports.insert("gone".into(), "d".into());
        let err = renames.rewrite(GLUE, "z").unwrap_err();
        assert!(err.to_string().contains("never reads export gone"), "{err}");

        let mut renames = Renames::parse(REPORT).unwrap();
        renames.imports.insert("__wbg_missing_1".into(), "e".into());
        let err = renames.rewrite(GLUE, "z").unwrap_err();
        assert!(err.to_string().contains("__wbg_missing_1 0 times"), "{err}");
    }

    #[test]
    fn an_unknown_import_module_fails() {
        let report = r#"{"imports": [["env", "f", "a"]], "exports": []}"#;
        assert!(Renames::parse(report).is_err());
    }
}
