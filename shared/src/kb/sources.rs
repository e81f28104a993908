//! Inputs of a knowledge base: labelled examples / overrides (dev-set JSONL format) and
//! knowledge-pack entries (see `knowledge/README.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: {what}")]
    Line { path: PathBuf, line: usize, what: String },
}

/// One labelled record: an example or an analyst override.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labeled {
    pub raw: String,
    pub class_uid: u32,
    #[serde(default)]
    pub activity_id: Option<i64>,
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identify {
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
}

/// One knowledge-pack entry: how a product's event type maps to OCSF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackEntry {
    pub product: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub log_type: String,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub identify: Identify,
    pub class_uid: u32,
    #[serde(default)]
    pub activity_id: Option<i64>,
    #[serde(default)]
    pub notes: String,
    /// How to pick the activity from the record when `activity_id` is null.
    #[serde(default)]
    pub activity_rule: Option<ActivityRule>,
    /// The platform the event runs on (`windows`, `linux`, ...); extension classes need it.
    #[serde(default)]
    pub platform: Option<String>,
}

/// How the engine picks the activity of a pack line whose `activity_id` is null
/// (`knowledge/README.md`, "Machine-applicable activities"): a field's value looked up in a
/// table, or the verb leading a field's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityRule {
    /// The record field whose value is looked up in `values`.
    #[serde(default)]
    pub field: Option<String>,
    /// Value (ASCII case ignored) → activity id.
    #[serde(default)]
    pub values: BTreeMap<String, i64>,
    /// The activity when `field` is present with a value `values` does not list.
    #[serde(default)]
    pub default: Option<i64>,
    /// The record field whose leading verb names the activity (`eventName`: `DeleteBucket`).
    #[serde(default)]
    pub verb: Option<String>,
}

/// One row of the product-identity table (`knowledge/products.jsonl`): what belongs to one
/// vendor's one log-producing product line, so that an evaluation can remove all of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductIdentity {
    pub product_id: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub name: String,
    /// `product` strings of the pack lines that are this product's.
    #[serde(default)]
    pub pack: Vec<String>,
    /// `source` values of the example records that are this product's.
    #[serde(default)]
    pub examples: Vec<String>,
    /// `source` names of labelled dev-set records of this product.
    #[serde(default)]
    pub dev: Vec<String>,
}

/// Everything read from a set of input files, with where each came from.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    pub examples: Vec<Labeled>,
    pub pack: Vec<PackEntry>,
    pub products: Vec<ProductIdentity>,
}

/// Reads JSONL files, or every `*.jsonl` under a directory (sorted, recursively). Lines with
/// a `raw` field are labelled examples; lines with `product` are pack entries; lines with
/// `product_id` are rows of the product-identity table.
pub fn read_paths(paths: &[PathBuf]) -> Result<Inputs, SourceError> {
    let mut inputs = Inputs::default();
    for p in paths {
        for file in jsonl_files(p)? {
            read_file(&file, &mut inputs)?;
        }
    }
    Ok(inputs)
}

fn jsonl_files(p: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let meta = std::fs::metadata(p).map_err(|source| SourceError::Io { path: p.into(), source })?;
    if meta.is_file() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut out = Vec::new();
    let rd = std::fs::read_dir(p).map_err(|source| SourceError::Io { path: p.into(), source })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            out.extend(jsonl_files(&e)?);
        } else if e.extension().is_some_and(|x| x == "jsonl") {
            out.push(e);
        }
    }
    Ok(out)
}

fn read_file(path: &Path, inputs: &mut Inputs) -> Result<(), SourceError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| SourceError::Io { path: path.into(), source })?;
    parse_jsonl(&text, path, inputs)
}

/// Parses JSONL text (from a file or an S3 object); `path` names it in errors.
pub fn parse_jsonl(text: &str, path: &Path, inputs: &mut Inputs) -> Result<(), SourceError> {
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |what: String| SourceError::Line { path: path.into(), line: i + 1, what };
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| err(format!("not valid JSON: {e}")))?;
        if v.get("raw").is_some() {
            let l: Labeled = serde_json::from_value(v)
                .map_err(|e| err(format!("not a labelled example: {e}")))?;
            inputs.examples.push(l);
        } else if v.get("product").is_some() {
            let p: PackEntry = serde_json::from_value(v)
                .map_err(|e| err(format!("not a knowledge-pack entry: {e}")))?;
            inputs.pack.push(p);
        } else if v.get("product_id").is_some() {
            let p: ProductIdentity = serde_json::from_value(v)
                .map_err(|e| err(format!("not a product-identity row: {e}")))?;
            inputs.products.push(p);
        } else {
            return Err(err("neither a labelled example (`raw`), a knowledge-pack entry (`product`) nor a product-identity row (`product_id`)".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_kinds_and_names_bad_lines() {
        let mut inputs = Inputs::default();
        let text = "{\"raw\":\"x\",\"class_uid\":3002,\"activity_id\":1,\"source\":\"s\",\"extra\":1}\n\n{\"product\":\"P\",\"class_uid\":4001,\"identify\":{\"fields\":[\"a\"]}}\n";
        parse_jsonl(text, Path::new("f.jsonl"), &mut inputs).unwrap();
        assert_eq!(inputs.examples[0].class_uid, 3002);
        assert_eq!(inputs.pack[0].identify.fields, vec!["a"]);
        let e = parse_jsonl("{\"raw\":1}\n", Path::new("g.jsonl"), &mut inputs)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("g.jsonl:1:"), "{e}");
        let e =
            parse_jsonl("\n{oops\n", Path::new("h.jsonl"), &mut inputs).unwrap_err().to_string();
        assert!(e.starts_with("h.jsonl:2: not valid JSON"), "{e}");
    }
}
