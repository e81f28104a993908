//! What an OCSF version allows, read from that version's schema export: per class and
//! object, each attribute's JSON kind, enum, range, profile gate and requirement, and the
//! `at_least_one` / `just_one` constraints. These are exactly the facts the JSON Schema
//! that PyPI `ocsf-json-schema` generates from the same export checks, so an event that
//! satisfies this model satisfies that validator (regular expressions aside, which the
//! versions share for the types our events use).
//!
//! Both export layouts are read: 1.0–1.7 (`types`, attribute `profile`) and 1.8
//! (`dictionary.types`, attribute `profiles`). Nothing here is written per version.

use std::collections::{BTreeSet, HashMap};

use crate::event::fasthash::FastMap;
use std::sync::Arc;

use regex::Regex;

use serde_json::Value;

/// A JSON kind, as the generated JSON Schema checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Int,
    Num,
    Str,
    /// `json_t`: anything.
    Any,
    Obj,
}

#[derive(Debug, Clone)]
pub(crate) struct Attr {
    pub kind: Kind,
    /// The OCSF type name (`timestamp_t`, `ip_t`, ...), for "unknown" defaults.
    pub type_name: String,
    pub object: Option<String>,
    /// 64-bit (`long_t` and the types built on it, `timestamp_t` among them).
    pub wide: bool,
    pub is_array: bool,
    /// Integer enum ids, sorted (empty: no enum).
    pub int_enum: Vec<i64>,
    pub str_enum: Vec<String>,
    pub range: Option<(f64, f64)>,
    pub max_len: Option<usize>,
    /// The type's pattern (`hostname_t`, `email_t`, ...); a pattern this engine cannot
    /// compile is not checked.
    pub pattern: Option<Arc<Regex>>,
    /// The attribute exists only when the event declares one of these (empty: always).
    pub profiles: Vec<String>,
    pub required: bool,
}

impl Attr {
    pub fn allows_int(&self, v: i64) -> bool {
        (self.int_enum.is_empty() || self.int_enum.binary_search(&v).is_ok())
            && self.range.is_none_or(|(lo, hi)| (lo..=hi).contains(&(v as f64)))
    }

    /// The enum's "Other" (99), else its "Unknown" (0).
    pub fn allows_str(&self, s: &str) -> bool {
        (self.str_enum.is_empty() || self.str_enum.iter().any(|e| e == s))
            // Bytes bound characters: count them only when the bytes exceed the limit.
            && self.max_len.is_none_or(|m| s.len() <= m || s.chars().count() <= m)
            && self.pattern.as_ref().is_none_or(|p| p.is_match(s))
    }

    pub fn fallback_id(&self) -> Option<i64> {
        [99, 0].into_iter().find(|id| self.int_enum.binary_search(id).is_ok())
    }
}

/// A class or an object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub caption: String,
    pub attrs: FastMap<String, Attr>,
    /// Attributes required whatever the profiles, by name (filled when missing).
    pub required: Vec<String>,
    pub at_least_one: Vec<Vec<String>>,
    pub just_one: Vec<Vec<String>>,
}

impl Node {
    /// An object that defines no attributes (`object`) accepts any members.
    pub fn is_open(&self) -> bool {
        self.attrs.is_empty()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TargetClass {
    pub node: Node,
    pub category_uid: i64,
    pub category_name: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct TargetSchema {
    pub version: String,
    // Looked up once per nested object of every event: the fast hasher, not SipHash.
    pub classes: FastMap<u32, TargetClass>,
    pub objects: FastMap<String, Node>,
    /// Every profile name the version knows.
    pub profiles: BTreeSet<String>,
}

impl TargetSchema {
    pub fn parse(root: &Value) -> Result<TargetSchema, String> {
        let version = root
            .get("version")
            .and_then(Value::as_str)
            .ok_or("the export has no string `version`")?
            .to_string();
        // 1.8 keeps types under `dictionary.types.attributes`, earlier exports under `types`.
        let types = root
            .get("dictionary")
            .and_then(|d| d.get("types"))
            .and_then(|t| t.get("attributes"))
            .or_else(|| root.get("types"))
            .and_then(Value::as_object)
            .ok_or("the export has no type table (`types` or `dictionary.types`)")?;
        let mut profiles = BTreeSet::new();
        if let Some(p) = root.get("profiles").and_then(Value::as_object) {
            profiles.extend(p.keys().cloned());
        }
        let mut patterns = Patterns::default();
        let mut classes = FastMap::default();
        for (key, c) in entries(root.get("classes")) {
            let uid = c
                .get("uid")
                .and_then(Value::as_u64)
                .and_then(|u| u32::try_from(u).ok())
                .ok_or_else(|| format!("class `{key}` has no uid"))?;
            for p in c.get("profiles").and_then(Value::as_array).into_iter().flatten() {
                if let Some(p) = p.as_str() {
                    profiles.insert(p.to_string());
                }
            }
            let node = node(c, types, &mut profiles, &mut patterns)
                .map_err(|e| format!("class `{key}`: {e}"))?;
            let category_uid = c.get("category_uid").and_then(Value::as_i64).unwrap_or(0);
            let category_name = c.get("category_name").and_then(Value::as_str).map(String::from);
            classes.insert(uid, TargetClass { node, category_uid, category_name });
        }
        if classes.is_empty() {
            return Err("the export has no classes".into());
        }
        let mut objects = FastMap::default();
        for (name, o) in entries(root.get("objects")) {
            let n = node(o, types, &mut profiles, &mut patterns)
                .map_err(|e| format!("object `{name}`: {e}"))?;
            objects.insert(name.clone(), n);
        }
        Ok(TargetSchema { version, classes, objects, profiles })
    }
}

fn entries(v: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    v.and_then(Value::as_object).into_iter().flat_map(|m| m.iter())
}

/// Each type's pattern, compiled once.
#[derive(Default)]
struct Patterns(HashMap<String, Option<Arc<Regex>>>);

impl Patterns {
    fn get(&mut self, type_name: &str, def: &Value) -> Option<Arc<Regex>> {
        self.0
            .entry(type_name.to_string())
            .or_insert_with(|| {
                let p = def.get("regex").and_then(Value::as_str)?;
                regex::RegexBuilder::new(p).size_limit(1 << 22).build().ok().map(Arc::new)
            })
            .clone()
    }
}

fn node(
    v: &Value,
    types: &serde_json::Map<String, Value>,
    profiles: &mut BTreeSet<String>,
    patterns: &mut Patterns,
) -> Result<Node, String> {
    let mut attrs = FastMap::default();
    for (name, a) in entries(v.get("attributes")) {
        let attr = attr(a, types, patterns).map_err(|e| format!("attribute `{name}`: {e}"))?;
        profiles.extend(attr.profiles.iter().cloned());
        attrs.insert(name.clone(), attr);
    }
    let list = |kind: &str| -> Vec<Vec<String>> {
        v.get("constraints")
            .and_then(|c| c.get(kind))
            .and_then(Value::as_array)
            .map(|names| vec![names.iter().filter_map(|n| n.as_str().map(String::from)).collect()])
            .unwrap_or_default()
    };
    let mut required: Vec<String> = attrs
        .iter()
        .filter(|(_, a): &(&String, &Attr)| a.required && a.profiles.is_empty())
        .map(|(n, _)| n.clone())
        .collect();
    required.sort();
    Ok(Node {
        caption: v.get("caption").and_then(Value::as_str).unwrap_or_default().to_string(),
        attrs,
        required,
        at_least_one: list("at_least_one"),
        just_one: list("just_one"),
    })
}

fn attr(
    a: &Value,
    types: &serde_json::Map<String, Value>,
    patterns: &mut Patterns,
) -> Result<Attr, String> {
    let type_name = a.get("type").and_then(Value::as_str).unwrap_or("string_t").to_string();
    let mut wide = false;
    let (kind, object, def) = if type_name == "object_t" {
        let o = a.get("object_type").and_then(Value::as_str).ok_or("object without object_type")?;
        (Kind::Obj, Some(o.to_string()), None)
    } else {
        let def = types.get(&type_name).ok_or_else(|| format!("unknown type `{type_name}`"))?;
        // A scalar type names its primitive in `type`; a primitive is its own.
        let primitive = def.get("type").and_then(Value::as_str).unwrap_or(&type_name);
        wide = primitive == "long_t";
        let kind = match primitive {
            "boolean_t" => Kind::Bool,
            "integer_t" | "long_t" => Kind::Int,
            "float_t" => Kind::Num,
            "string_t" => Kind::Str,
            "json_t" => Kind::Any,
            other => return Err(format!("type `{type_name}` has unknown primitive `{other}`")),
        };
        (kind, None, Some(def))
    };
    let mut int_enum = Vec::new();
    let mut str_enum = Vec::new();
    for k in a.get("enum").and_then(Value::as_object).into_iter().flat_map(|m| m.keys()) {
        match kind {
            Kind::Int | Kind::Num => int_enum.extend(k.parse::<i64>().ok()),
            _ => str_enum.push(k.clone()),
        }
    }
    int_enum.sort_unstable();
    let range = def
        .and_then(|d| d.get("range"))
        .and_then(Value::as_array)
        .and_then(|r| Some((r.first()?.as_f64()?, r.get(1)?.as_f64()?)));
    let max_len = def
        .and_then(|d| d.get("max_len"))
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok());
    let pattern = def.and_then(|d| patterns.get(&type_name, d));
    // 1.0–1.7: `profile` (one name or null); 1.8: `profiles` (a list or null).
    let mut profiles: Vec<String> = Vec::new();
    if let Some(p) = a.get("profile").and_then(Value::as_str) {
        profiles.push(p.to_string());
    }
    for p in a.get("profiles").and_then(Value::as_array).into_iter().flatten() {
        if let Some(p) = p.as_str() {
            profiles.push(p.to_string());
        }
    }
    Ok(Attr {
        kind,
        type_name,
        object,
        wide,
        is_array: a.get("is_array").and_then(Value::as_bool).unwrap_or(false),
        int_enum,
        str_enum,
        range,
        max_len,
        pattern,
        profiles,
        required: a.get("requirement").and_then(Value::as_str) == Some("required"),
    })
}
