//! An OCSF event checked against its class: attribute names, value types (integer, string,
//! timestamp, IP, port range, MAC, UUID, ...), enum membership, required attributes,
//! `at_least_one` / `just_one` constraints, and profile-gated attributes (allowed only when
//! `metadata.profiles` lists the profile). `unmapped` may hold anything.
//!
//! Errors carry the attribute path so the builder can repair by moving that value out.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::rules;
use crate::schema::{Attribute, Requirement, Schema};

/// Nesting deeper than this is reported rather than followed (objects can be recursive).
const MAX_DEPTH: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    UnknownClass,
    NotAnObject,
    /// The class (or object) defines no such attribute, or its profile is not declared.
    UnknownAttribute,
    WrongType,
    NotInEnum,
    OutOfRange,
    MissingRequired,
    /// An `at_least_one` / `just_one` constraint does not hold.
    Constraint,
    /// `class_uid` / `category_uid` / `type_uid` disagree with the class.
    Inconsistent,
    TooDeep,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{path}: {detail}")]
pub struct ValidationError {
    /// Dotted attribute path (`src_endpoint.port`, `observables[0].type_id`); empty for the event.
    pub path: String,
    pub kind: ErrorKind,
    pub detail: String,
}

impl ValidationError {
    fn new(path: &str, kind: ErrorKind, detail: impl Into<String>) -> Self {
        ValidationError { path: path.to_string(), kind, detail: detail.into() }
    }

    /// True when removing the value at `path` fixes this error.
    pub fn is_removable(&self) -> bool {
        matches!(self.kind, ErrorKind::UnknownAttribute | ErrorKind::WrongType | ErrorKind::NotInEnum | ErrorKind::OutOfRange | ErrorKind::TooDeep)
    }
}

/// Whose attributes a JSON object is checked against.
#[derive(Clone, Copy)]
enum Owner<'a> {
    Class(u32),
    Object(&'a str),
}

struct Ctx<'a> {
    schema: &'a Schema,
    profiles: Vec<&'a str>,
    errors: Vec<ValidationError>,
}

pub(crate) fn validate(schema: &Schema, class_uid: u32, event: &Value) -> Vec<ValidationError> {
    let Some(class) = schema.class(class_uid) else {
        return vec![ValidationError::new("", ErrorKind::UnknownClass, format!("class {class_uid} is not in OCSF {}", schema.version))];
    };
    let Some(obj) = event.as_object() else {
        return vec![ValidationError::new("", ErrorKind::NotAnObject, "an event is a JSON object")];
    };
    let profiles = obj
        .get("metadata")
        .and_then(|m| m.get("profiles"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut cx = Ctx { schema, profiles, errors: Vec::new() };
    check_object(&mut cx, Owner::Class(class_uid), &class.attributes, obj, "", 0);
    check_constraints(&mut cx, class.constraints.iter().map(|(k, v)| (k.as_str(), v.as_slice())), obj, "");
    consistency(&mut cx, class_uid, i64::from(class.category_uid), obj);
    cx.errors
}

fn consistency(cx: &mut Ctx, class_uid: u32, category_uid: i64, obj: &Map<String, Value>) {
    let int = |k: &str| obj.get(k).and_then(Value::as_i64);
    if let Some(c) = int("class_uid") {
        if c != i64::from(class_uid) {
            cx.errors.push(ValidationError::new("class_uid", ErrorKind::Inconsistent, format!("{c} but validated as {class_uid}")));
        }
    }
    if let Some(c) = int("category_uid") {
        if c != category_uid {
            cx.errors.push(ValidationError::new("category_uid", ErrorKind::Inconsistent, format!("{c} but class is in {category_uid}")));
        }
    }
    if let (Some(t), Some(a)) = (int("type_uid"), int("activity_id")) {
        let want = i64::from(class_uid) * 100 + a;
        if t != want {
            cx.errors.push(ValidationError::new("type_uid", ErrorKind::Inconsistent, format!("{t}, expected {want}")));
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn needed_profiles(owner: Owner, name: &str) -> &'static [&'static str] {
    match owner {
        Owner::Class(uid) => rules::class_attribute_profiles(uid, name),
        Owner::Object(o) => rules::object_attribute_profiles(o, name),
    }
}

fn check_object(cx: &mut Ctx, owner: Owner, attrs: &BTreeMap<String, Attribute>, obj: &Map<String, Value>, path: &str, depth: usize) {
    if depth > MAX_DEPTH {
        cx.errors.push(ValidationError::new(path, ErrorKind::TooDeep, format!("nested more than {MAX_DEPTH} levels")));
        return;
    }
    for (name, value) in obj {
        if matches!(owner, Owner::Class(_)) && name == "unmapped" {
            if !value.is_object() {
                cx.errors.push(ValidationError::new("unmapped", ErrorKind::WrongType, "must be an object"));
            }
            continue;
        }
        let p = join(path, name);
        let Some(attr) = attrs.get(name) else {
            let whose = match owner {
                Owner::Class(uid) => format!("class {uid}"),
                Owner::Object(o) => format!("object `{o}`"),
            };
            cx.errors.push(ValidationError::new(&p, ErrorKind::UnknownAttribute, format!("{whose} has no attribute `{name}`")));
            continue;
        };
        let need = needed_profiles(owner, name);
        if !need.is_empty() && !need.iter().any(|n| cx.profiles.contains(n)) {
            cx.errors.push(ValidationError::new(
                &p,
                ErrorKind::UnknownAttribute,
                format!("`{name}` comes with profile {} which metadata.profiles does not list", need.join("/")),
            ));
            continue;
        }
        check_value(cx, attr, value, &p, depth);
    }
    for (name, attr) in attrs {
        if attr.requirement != Requirement::Required || obj.contains_key(name.as_str()) {
            continue;
        }
        let need = needed_profiles(owner, name);
        if need.is_empty() || need.iter().any(|n| cx.profiles.contains(n)) {
            cx.errors.push(ValidationError::new(&join(path, name), ErrorKind::MissingRequired, format!("`{name}` is required")));
        }
    }
}

fn check_constraints<'c>(cx: &mut Ctx, constraints: impl Iterator<Item = (&'c str, &'c [String])>, obj: &Map<String, Value>, path: &str) {
    for (kind, names) in constraints {
        check_constraint(cx, kind, names.iter().map(String::as_str), obj, path);
    }
}

fn check_constraint<'n>(cx: &mut Ctx, kind: &str, names: impl Iterator<Item = &'n str> + Clone, obj: &Map<String, Value>, path: &str) {
    let present = names.clone().filter(|n| present(obj, n)).count();
    let ok = match kind {
        "at_least_one" => present >= 1,
        "just_one" => present == 1,
        _ => true,
    };
    if !ok {
        let list: Vec<&str> = names.collect();
        let what = if path.is_empty() { "the event".to_string() } else { format!("`{path}`") };
        cx.errors.push(ValidationError::new(path, ErrorKind::Constraint, format!("{kind} of [{}] must hold for {what} ({present} present)", list.join(", "))));
    }
}

/// Constraint names may be paths (`device.os.version`).
fn present(obj: &Map<String, Value>, name: &str) -> bool {
    let mut parts = name.split('.');
    let Some(first) = parts.next() else { return false };
    let mut cur = obj.get(first);
    for p in parts {
        cur = cur.and_then(|v| v.get(p));
    }
    cur.is_some_and(|v| !v.is_null())
}

fn check_value(cx: &mut Ctx, attr: &Attribute, value: &Value, path: &str, depth: usize) {
    if attr.is_array {
        let Some(items) = value.as_array() else {
            cx.errors.push(ValidationError::new(path, ErrorKind::WrongType, "must be an array"));
            return;
        };
        for (i, item) in items.iter().enumerate() {
            check_item(cx, attr, item, &format!("{path}[{i}]"), depth);
        }
    } else {
        check_item(cx, attr, value, path, depth);
    }
}

fn check_item(cx: &mut Ctx, attr: &Attribute, value: &Value, path: &str, depth: usize) {
    if attr.type_name == "object_t" {
        let Some(obj) = value.as_object() else {
            cx.errors.push(ValidationError::new(path, ErrorKind::WrongType, "must be an object"));
            return;
        };
        let name = attr.object_type.as_deref().unwrap_or("object");
        // The generic `object` object (and unknown objects) take any content.
        let Some(def) = cx.schema.objects.get(name).filter(|o| !o.attributes.is_empty()) else { return };
        check_object(cx, Owner::Object(name), &def.attributes, obj, path, depth + 1);
        check_constraint_list(cx, name, obj, path);
        return;
    }
    if let Err(detail) = check_scalar(&attr.type_name, value) {
        let kind = if detail.starts_with("out of range") { ErrorKind::OutOfRange } else { ErrorKind::WrongType };
        cx.errors.push(ValidationError::new(path, kind, detail));
        return;
    }
    if !attr.enum_values.is_empty() {
        if let Some(n) = value.as_i64() {
            if !attr.enum_values.contains_key(&n) {
                cx.errors.push(ValidationError::new(path, ErrorKind::NotInEnum, format!("{n} is not one of {:?}", attr.enum_values.keys().collect::<Vec<_>>())));
            }
        }
    }
}

fn check_constraint_list(cx: &mut Ctx, object: &str, obj: &Map<String, Value>, path: &str) {
    for (kind, names) in rules::object_constraints(object) {
        check_constraint(cx, kind, names.iter().copied(), obj, path);
    }
}

/// The base JSON type a scalar OCSF type is written as.
fn check_scalar(type_name: &str, v: &Value) -> Result<(), String> {
    let want = |ok: bool, what: &str| if ok { Ok(()) } else { Err(format!("must be {what}, found {}", kind_of(v))) };
    match type_name {
        "integer_t" => want(v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()) || v.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)), "a 32-bit integer"),
        "long_t" | "timestamp_t" => want(v.is_i64() || v.is_u64(), "an integer"),
        "port_t" => {
            want(v.is_i64() || v.is_u64(), "an integer port")?;
            match v.as_i64() {
                Some(p) if (0..=65_535).contains(&p) => Ok(()),
                _ => Err(format!("out of range: port {v} is not within 0..65535")),
            }
        }
        "float_t" => want(v.is_number(), "a number"),
        "boolean_t" => want(v.is_boolean(), "a boolean"),
        "json_t" => Ok(()),
        _ => {
            let Some(s) = v.as_str() else { return want(false, "a string") };
            check_string_format(type_name, s)
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a decimal number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Formats the schema constrains with a pattern or a length.
fn check_string_format(type_name: &str, s: &str) -> Result<(), String> {
    let ok = match type_name {
        "ip_t" => s.len() <= 40 && is_ip(s),
        "subnet_t" => s.len() <= 42,
        "mac_t" => s.len() <= 32 && is_mac(s),
        "uuid_t" => contains_uuid(s),
        "datetime_t" => super::time::parse(s, 0).is_some() && s.len() >= 19 && matches!(s.as_bytes().get(10), Some(b'T' | b't')),
        "email_t" => is_email(s),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{}` is not a valid {}", s.chars().take(64).collect::<String>(), type_name.trim_end_matches("_t")))
    }
}

/// IPv4 or IPv6, optionally with a `%zone` suffix.
pub(crate) fn is_ip(s: &str) -> bool {
    let t = s.trim();
    let addr = t.split_once('%').map(|(a, _)| a).unwrap_or(t);
    addr.parse::<IpAddr>().is_ok()
}

fn is_mac(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 17
        && b.chunks(3).all(|c| c[0].is_ascii_hexdigit() && c[1].is_ascii_hexdigit() && (c.len() == 2 || matches!(c[2], b':' | b'-')))
}

fn contains_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(36).any(|w| {
        w.iter().enumerate().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { *c == b'-' } else { c.is_ascii_hexdigit() })
    })
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let local_ok = !local.is_empty() && local.bytes().all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&c));
    let domain_ok = domain.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_types() {
        assert!(check_scalar("integer_t", &Value::from(5)).is_ok());
        assert!(check_scalar("integer_t", &Value::from(5_000_000_000i64)).is_err());
        assert!(check_scalar("integer_t", &Value::from("5")).is_err());
        assert!(check_scalar("long_t", &Value::from(5_000_000_000i64)).is_ok());
        assert!(check_scalar("timestamp_t", &Value::from(1.5)).is_err());
        assert!(check_scalar("port_t", &Value::from(443)).is_ok());
        assert!(check_scalar("port_t", &Value::from(70_000)).unwrap_err().starts_with("out of range"));
        assert!(check_scalar("port_t", &Value::from(-1)).is_err());
        assert!(check_scalar("float_t", &Value::from(1)).is_ok());
        assert!(check_scalar("boolean_t", &Value::from("true")).is_err());
        assert!(check_scalar("json_t", &Value::Null).is_ok());
        assert!(check_scalar("string_t", &Value::Null).is_err());
        assert!(check_scalar("ip_t", &Value::from("10.0.0.1")).is_ok());
        assert!(check_scalar("ip_t", &Value::from("fe80::1%eth0")).is_ok());
        assert!(check_scalar("ip_t", &Value::from("host.example.com")).is_err());
        assert!(check_scalar("mac_t", &Value::from("00:1A:2b:3c:4d:5e")).is_ok());
        assert!(check_scalar("mac_t", &Value::from("00:1A:2b:3c:4d")).is_err());
        assert!(check_scalar("uuid_t", &Value::from("x-123e4567-e89b-12d3-a456-426614174000")).is_ok());
        assert!(check_scalar("uuid_t", &Value::from("123e4567")).is_err());
        assert!(check_scalar("datetime_t", &Value::from("2024-06-01T00:00:00Z")).is_ok());
        assert!(check_scalar("datetime_t", &Value::from("Jun  1 00:00:00")).is_err());
        assert!(check_scalar("email_t", &Value::from("a.b@example.com")).is_ok());
        assert!(check_scalar("email_t", &Value::from("a.b@localhost")).is_err());
    }
}
