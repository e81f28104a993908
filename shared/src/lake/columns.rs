//! The Arrow (and so Parquet) schema of one OCSF class in one version, read from that
//! version's export: attributes become columns with their OCSF types (`timestamp_t` a UTC
//! millisecond timestamp, `long_t` 64-bit, `integer_t` 32-bit, `float_t` double, `boolean_t`
//! boolean, every string type UTF-8), objects become structs and arrays lists, down to
//! [`Depth`]; deeper objects, recursive ones past their second appearance on a path, `json_t`
//! values and `unmapped` are JSON text in a UTF-8 column marked `ocsf.json = true`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

use crate::event::fasthash::FastMap;
use crate::version::target::{Attr, Kind, TargetSchema};

/// UTC as Arrow writes it without a time-zone database (Parquet stores the column as
/// `TIMESTAMP(MILLIS, isAdjustedToUTC = true)` either way).
pub const UTC: &str = "+00:00";

/// Field metadata marking a UTF-8 column that holds JSON text.
pub const JSON_MARK: &str = "ocsf.json";

/// How far objects nest as structs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
    /// Object levels expanded as structs below the event (1: `actor` is a struct whose
    /// objects are JSON text; 2: `actor.user` is a struct too).
    pub levels: usize,
    /// How many times one object type may appear on a path as a struct
    /// (`process.parent_process` is the second appearance of `process`).
    pub repeats: usize,
}

impl Default for Depth {
    /// Two levels, two appearances: ~1,000–2,000 leaf columns for the larger 1.8.0 classes
    /// (three levels give ~3,000–5,000).
    fn default() -> Self {
        Depth { levels: 2, repeats: 2 }
    }
}

/// The schema of class `class_uid`, fields sorted by name; `None` when the version has no
/// such class.
pub(crate) fn class_schema(
    target: &TargetSchema,
    class_uid: u32,
    depth: Depth,
    omit_raw: bool,
) -> Option<SchemaRef> {
    let class = target.classes.get(&class_uid)?;
    let mut path: Vec<&str> = Vec::new();
    let mut fields: Vec<Field> = sorted(&class.node.attrs)
        .filter(|(name, _)| !(omit_raw && *name == "raw_data"))
        .map(|(name, a)| field(target, name, a, depth, 0, &mut path))
        .collect();
    fields.sort_by(|a, b| a.name().cmp(b.name()));
    let mut meta = HashMap::new();
    meta.insert("ocsf.version".to_string(), target.version.clone());
    meta.insert("ocsf.class_uid".to_string(), class_uid.to_string());
    Some(Arc::new(Schema::new_with_metadata(fields, meta)))
}

fn sorted(attrs: &FastMap<String, Attr>) -> impl Iterator<Item = (&str, &Attr)> {
    let mut v: Vec<(&str, &Attr)> = attrs.iter().map(|(k, a)| (k.as_str(), a)).collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v.into_iter()
}

/// A JSON-text column; for an array past the depth, one text holds the whole array.
fn json_field(name: &str) -> Field {
    let meta = HashMap::from([(JSON_MARK.to_string(), "true".to_string())]);
    Field::new(name, DataType::Utf8, true).with_metadata(meta)
}

fn field<'t>(
    target: &'t TargetSchema,
    name: &str,
    a: &'t Attr,
    depth: Depth,
    level: usize,
    path: &mut Vec<&'t str>,
) -> Field {
    let item = match a.kind {
        Kind::Any => return json_field(name),
        Kind::Obj => {
            let Some(oname) = a.object.as_deref() else { return json_field(name) };
            let node = target.objects.get(oname);
            let repeats = path.iter().filter(|p| **p == oname).count();
            match node {
                Some(node)
                    if !node.is_open() && level < depth.levels && repeats < depth.repeats =>
                {
                    path.push(oname);
                    let mut children: Vec<Field> = sorted(&node.attrs)
                        .map(|(n, sub)| field(target, n, sub, depth, level + 1, path))
                        .collect();
                    path.pop();
                    children.sort_by(|a, b| a.name().cmp(b.name()));
                    DataType::Struct(Fields::from(children))
                }
                _ => return json_field(name),
            }
        }
        Kind::Bool => DataType::Boolean,
        Kind::Num => DataType::Float64,
        Kind::Str => DataType::Utf8,
        Kind::Int if a.type_name == "timestamp_t" => {
            DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into()))
        }
        Kind::Int if a.wide => DataType::Int64,
        Kind::Int => DataType::Int32,
    };
    let t =
        if a.is_array { DataType::List(Arc::new(Field::new("item", item, true))) } else { item };
    Field::new(name, t, true)
}
