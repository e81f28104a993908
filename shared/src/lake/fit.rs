//! An event's JSON fitted to its class's columns before Arrow decodes it: JSON-text columns
//! get the value's JSON text, and a value a column cannot hold (a 64-bit number in a 32-bit
//! column, a member the struct does not have) moves to `unmapped` as `ocsf.<path>`, as the
//! event builder does, so the lake row loses nothing the event had.

use arrow_schema::{DataType, Field, Fields};
use serde_json::{Map, Value};

use super::columns::JSON_MARK;

/// Fits `event` (an object) to `fields`; returns the row to decode.
pub fn fit(mut event: Map<String, Value>, fields: &Fields) -> Map<String, Value> {
    let mut spill: Vec<(String, Value)> = Vec::new();
    let unmapped = event.remove("unmapped");
    let mut out = Map::new();
    let mut path = String::new();
    fit_object(event, fields, &mut path, &mut spill, &mut out);
    let mut um = match unmapped {
        Some(Value::Object(m)) => m,
        Some(other) => Map::from_iter([("ocsf.unmapped".to_string(), other)]),
        None => Map::new(),
    };
    for (k, v) in spill {
        um.insert(k, v);
    }
    if !um.is_empty() {
        match fields.find("unmapped") {
            Some(_) => {
                out.insert("unmapped".into(), Value::String(Value::Object(um).to_string()));
            }
            None => {
                // Every OCSF class has `unmapped`; a schema without one is not ours to fix.
                tracing::warn!(
                    values = um.len(),
                    "class has no unmapped column: values not stored in the lake"
                );
            }
        }
    }
    out
}

fn fit_object(
    obj: Map<String, Value>,
    fields: &Fields,
    path: &mut String,
    spill: &mut Vec<(String, Value)>,
    out: &mut Map<String, Value>,
) {
    for (k, v) in obj {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&k);
        match fields.find(&k) {
            Some((_, f)) => {
                if let Some(v) = fit_value(v, f, path, spill) {
                    out.insert(k, v);
                }
            }
            None => spill.push((format!("ocsf.{path}"), v)),
        }
        path.truncate(len);
    }
}

/// The value for column `f`, or `None` (after moving it to `spill`) when it cannot hold it.
fn fit_value(
    v: Value,
    f: &Field,
    path: &mut String,
    spill: &mut Vec<(String, Value)>,
) -> Option<Value> {
    if v.is_null() {
        return None;
    }
    if f.metadata().get(JSON_MARK).is_some_and(|m| m == "true") {
        return Some(Value::String(v.to_string()));
    }
    let fits = match (f.data_type(), &v) {
        (DataType::Utf8, Value::String(_)) => true,
        (DataType::Boolean, Value::Bool(_)) => true,
        (DataType::Float64, Value::Number(_)) => true,
        (DataType::Int32, Value::Number(n)) => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        (DataType::Int64 | DataType::Timestamp(..), Value::Number(n)) => n.as_i64().is_some(),
        (DataType::Struct(children), Value::Object(_)) => {
            let Value::Object(m) = v else { return None };
            let mut o = Map::new();
            fit_object(m, children, path, spill, &mut o);
            return Some(Value::Object(o));
        }
        (DataType::List(item), Value::Array(_)) => {
            let Value::Array(items) = v else { return None };
            let mut kept = Vec::with_capacity(items.len());
            for (i, x) in items.into_iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                // A list keeps its positions: an element that does not fit is null there.
                kept.push(fit_value(x, item, path, spill).unwrap_or(Value::Null));
                path.truncate(len);
            }
            return Some(Value::Array(kept));
        }
        _ => false,
    };
    if fits {
        Some(v)
    } else {
        spill.push((format!("ocsf.{path}"), v));
        None
    }
}
