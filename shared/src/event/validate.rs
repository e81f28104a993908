//! An OCSF event checked against its class: attribute names, value types (integer, string,
//! timestamp, IP, port range, MAC, UUID, ...), enum membership, required attributes,
//! `at_least_one` / `just_one` constraints, and profile-gated attributes (allowed only when
//! `metadata.profiles` lists the profile). `unmapped` may hold anything.
//!
//! Errors carry the attribute path so the builder can repair by moving that value out.

use std::net::IpAddr;

use super::tree::{Ev, Obj};
use serde::{Deserialize, Serialize};

use super::index::{AttrNode, Format, Index, Kind, Node};
use crate::schema::Schema;

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
        matches!(
            self.kind,
            ErrorKind::UnknownAttribute
                | ErrorKind::WrongType
                | ErrorKind::NotInEnum
                | ErrorKind::OutOfRange
                | ErrorKind::TooDeep
        )
    }
}

struct Ctx<'a> {
    schema: &'a Schema,
    index: &'a Index,
    profiles: Vec<&'a str>,
    errors: Vec<ValidationError>,
}

pub(crate) fn validate(schema: &Schema, class_uid: u32, event: &Ev) -> Vec<ValidationError> {
    validate_with(&Index::new(schema), schema, class_uid, event)
}

/// Validation through a (shared, lazily compiled) index of the schema.
pub(crate) fn validate_with(
    index: &Index,
    schema: &Schema,
    class_uid: u32,
    event: &Ev,
) -> Vec<ValidationError> {
    let Some(class) = index.class(schema, class_uid) else {
        return vec![ValidationError::new(
            "",
            ErrorKind::UnknownClass,
            format!("class {class_uid} is not in OCSF {}", schema.version),
        )];
    };
    let Some(obj) = event.as_object() else {
        return vec![ValidationError::new("", ErrorKind::NotAnObject, "an event is a JSON object")];
    };
    let profiles = obj
        .get("metadata")
        .and_then(|m| m.get("profiles"))
        .and_then(Ev::as_array)
        .map(|a| a.iter().filter_map(Ev::as_str).collect())
        .unwrap_or_default();
    let mut cx = Ctx { schema, index, profiles, errors: Vec::new() };
    let mut path = String::with_capacity(64);
    check_object(&mut cx, class, obj, &mut path, 0, true);
    consistency(schema, class_uid, obj, &mut cx.errors);
    cx.errors
}

fn consistency(schema: &Schema, class_uid: u32, obj: &Obj, errors: &mut Vec<ValidationError>) {
    let category_uid = schema.class(class_uid).map(|c| i64::from(c.category_uid)).unwrap_or(0);
    let int = |k: &str| obj.get(k).and_then(Ev::as_i64);
    if let Some(c) = int("class_uid") {
        if c != i64::from(class_uid) {
            errors.push(ValidationError::new(
                "class_uid",
                ErrorKind::Inconsistent,
                format!("{c} but validated as {class_uid}"),
            ));
        }
    }
    if let Some(c) = int("category_uid") {
        if c != category_uid {
            errors.push(ValidationError::new(
                "category_uid",
                ErrorKind::Inconsistent,
                format!("{c} but class is in {category_uid}"),
            ));
        }
    }
    if let (Some(t), Some(a)) = (int("type_uid"), int("activity_id")) {
        let want = i64::from(class_uid) * 100 + a;
        if t != want {
            errors.push(ValidationError::new(
                "type_uid",
                ErrorKind::Inconsistent,
                format!("{t}, expected {want}"),
            ));
        }
    }
}

/// Appends `.name` (or `name` at the top) to the path buffer; returns the length to restore.
fn push(path: &mut String, name: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
    len
}

fn declared(cx: &Ctx, need: &[&str]) -> bool {
    need.is_empty() || need.iter().any(|n| cx.profiles.contains(n))
}

fn check_object(
    cx: &mut Ctx,
    node: &Node,
    obj: &Obj,
    path: &mut String,
    depth: usize,
    is_class: bool,
) {
    if depth > MAX_DEPTH {
        cx.errors.push(ValidationError::new(
            path,
            ErrorKind::TooDeep,
            format!("nested more than {MAX_DEPTH} levels"),
        ));
        return;
    }
    for (name, value) in obj {
        if is_class && name == "unmapped" {
            if !value.is_object() {
                cx.errors.push(ValidationError::new(
                    "unmapped",
                    ErrorKind::WrongType,
                    "must be an object",
                ));
            }
            continue;
        }
        let len = push(path, name);
        match node.attrs.get(name) {
            None => {
                cx.errors.push(ValidationError::new(
                    path,
                    ErrorKind::UnknownAttribute,
                    format!("{} has no attribute `{name}`", node.label),
                ));
            }
            Some(attr) if !declared(cx, attr.profiles) => {
                cx.errors.push(ValidationError::new(
                    path,
                    ErrorKind::UnknownAttribute,
                    format!(
                        "`{name}` comes with profile {} which metadata.profiles does not list",
                        attr.profiles.join("/")
                    ),
                ));
            }
            Some(attr) => check_value(cx, attr, value, path, depth),
        }
        path.truncate(len);
    }
    for (name, need) in &node.required {
        if !obj.contains_key(name) && declared(cx, need) {
            let len = push(path, name);
            cx.errors.push(ValidationError::new(
                path,
                ErrorKind::MissingRequired,
                format!("`{name}` is required"),
            ));
            path.truncate(len);
        }
    }
    for (just_one, names) in &node.constraints {
        let present = names.iter().filter(|n| present(obj, n)).count();
        let ok = if *just_one { present == 1 } else { present >= 1 };
        if !ok {
            let kind = if *just_one { "just_one" } else { "at_least_one" };
            let what = if path.is_empty() { "the event".to_string() } else { format!("`{path}`") };
            let list: Vec<&str> = names.iter().map(|n| &**n).collect();
            cx.errors.push(ValidationError::new(
                path,
                ErrorKind::Constraint,
                format!("{kind} of [{}] must hold for {what} ({present} present)", list.join(", ")),
            ));
        }
    }
}

/// Constraint names may be paths (`device.os.version`).
fn present(obj: &Obj, name: &str) -> bool {
    if !name.contains('.') {
        return obj.get(name).is_some_and(|v| !v.is_null());
    }
    let mut parts = name.split('.');
    let Some(first) = parts.next() else { return false };
    let mut cur = obj.get(first);
    for p in parts {
        cur = cur.and_then(|v| v.get(p));
    }
    cur.is_some_and(|v| !v.is_null())
}

fn check_value(cx: &mut Ctx, attr: &AttrNode, value: &Ev, path: &mut String, depth: usize) {
    if attr.is_array {
        let Some(items) = value.as_array() else {
            cx.errors.push(ValidationError::new(path, ErrorKind::WrongType, "must be an array"));
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let len = path.len();
            use std::fmt::Write as _;
            let _ = write!(path, "[{i}]");
            check_item(cx, attr, item, path, depth);
            path.truncate(len);
        }
    } else {
        check_item(cx, attr, value, path, depth);
    }
}

fn check_item(cx: &mut Ctx, attr: &AttrNode, value: &Ev, path: &mut String, depth: usize) {
    if let Kind::Object(id) = attr.kind {
        let Some(obj) = value.as_object() else {
            cx.errors.push(ValidationError::new(path, ErrorKind::WrongType, "must be an object"));
            return;
        };
        // The generic `object` object (and unknown objects) take any content.
        let Some(node) =
            id.and_then(|i| cx.index.object(cx.schema, i)).filter(|n| !n.attrs.is_empty())
        else {
            return;
        };
        check_object(cx, node, obj, path, depth + 1, false);
        return;
    }
    if let Some((kind, detail)) = scalar_error(attr.kind, attr.str_enum, &attr.enum_ids, value) {
        cx.errors.push(ValidationError::new(path, kind, detail));
    }
}

/// What is wrong with a scalar value of an attribute of this kind and enumerations, if
/// anything: its type or range, else its membership of the enum.
pub(crate) fn scalar_error(
    kind: Kind,
    str_enum: &[&str],
    enum_ids: &[i64],
    value: &Ev,
) -> Option<(ErrorKind, String)> {
    if let Err(detail) = check_kind(kind, value) {
        let kind = if detail.starts_with("out of range") {
            ErrorKind::OutOfRange
        } else {
            ErrorKind::WrongType
        };
        return Some((kind, detail));
    }
    if let Some(v) = value.as_str().filter(|v| !str_enum.is_empty() && !str_enum.contains(v)) {
        return Some((ErrorKind::NotInEnum, format!("`{v}` is not one of {str_enum:?}")));
    }
    if let Some(n) = value.as_i64().filter(|n| !enum_ids.is_empty() && !enum_ids.contains(n)) {
        return Some((ErrorKind::NotInEnum, format!("{n} is not one of {enum_ids:?}")));
    }
    None
}

fn check_kind(kind: Kind, v: &Ev) -> Result<(), String> {
    let want = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!("must be {what}, found {}", kind_of(v)))
        }
    };
    match kind {
        Kind::Int32 => want(
            v.as_i64().is_some_and(|n| i32::try_from(n).is_ok())
                || v.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)),
            "a 32-bit integer",
        ),
        Kind::Long => want(v.is_integer(), "an integer"),
        Kind::Port => {
            want(v.is_integer(), "an integer port")?;
            match v.as_i64() {
                Some(p) if (0..=65_535).contains(&p) => Ok(()),
                _ => Err(format!("out of range: port {v} is not within 0..65535")),
            }
        }
        Kind::Float => want(v.is_number(), "a number"),
        Kind::Bool => want(matches!(v, Ev::Bool(_)), "a boolean"),
        Kind::Json | Kind::Object(_) => Ok(()),
        Kind::Str(f) => {
            let Some(s) = v.as_str() else { return want(false, "a string") };
            let name = match f {
                Format::Any => return Ok(()),
                Format::Ip => "ip_t",
                Format::Mac => "mac_t",
                Format::Uuid => "uuid_t",
                Format::Datetime => "datetime_t",
                Format::Email => "email_t",
                Format::Subnet => "subnet_t",
            };
            check_string_format(name, s)
        }
    }
}

fn kind_of(v: &Ev) -> &'static str {
    match v {
        Ev::Null => "null",
        Ev::Bool(_) => "a boolean",
        Ev::Float(_) => "a decimal number",
        Ev::Int(_) | Ev::UInt(_) => "an integer",
        Ev::Str(_) => "a string",
        Ev::Arr(_) => "an array",
        Ev::Obj(_) => "an object",
    }
}

/// Formats the schema constrains with a pattern or a length.
pub(crate) fn check_string_format(type_name: &str, s: &str) -> Result<(), String> {
    let ok = match type_name {
        "ip_t" => s.len() <= 40 && is_ip(s),
        "subnet_t" => s.len() <= 42,
        "mac_t" => s.len() <= 32 && is_mac(s),
        "uuid_t" => contains_uuid(s),
        "datetime_t" => {
            super::time::parse(s, 0).is_some()
                && s.len() >= 19
                && matches!(s.as_bytes().get(10), Some(b'T' | b't'))
        }
        "email_t" => is_email(s),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid {}",
            s.chars().take(64).collect::<String>(),
            type_name.trim_end_matches("_t")
        ))
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
        && b.chunks(3).all(|c| {
            c[0].is_ascii_hexdigit()
                && c[1].is_ascii_hexdigit()
                && (c.len() == 2 || matches!(c[2], b':' | b'-'))
        })
}

fn contains_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(36).any(|w| {
        w.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
    })
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.bytes().all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&c));
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
    fn scalar_kinds() {
        let s = |f| Kind::Str(f);
        assert!(check_kind(Kind::Int32, &Ev::from(5)).is_ok());
        assert!(check_kind(Kind::Int32, &Ev::from(5_000_000_000i64)).is_err());
        assert!(check_kind(Kind::Int32, &Ev::from("5")).is_err());
        assert!(check_kind(Kind::Long, &Ev::from(5_000_000_000i64)).is_ok());
        assert!(check_kind(Kind::Long, &Ev::from(1.5)).is_err());
        assert!(check_kind(Kind::Port, &Ev::from(443)).is_ok());
        assert!(check_kind(Kind::Port, &Ev::from(70_000)).unwrap_err().starts_with("out of range"));
        assert!(check_kind(Kind::Port, &Ev::from(-1)).is_err());
        assert!(check_kind(Kind::Float, &Ev::from(1)).is_ok());
        assert!(check_kind(Kind::Bool, &Ev::from("true")).is_err());
        assert!(check_kind(Kind::Json, &Ev::Null).is_ok());
        assert!(check_kind(s(Format::Any), &Ev::Null).is_err());
        assert!(check_kind(s(Format::Ip), &Ev::from("10.0.0.1")).is_ok());
        assert!(check_kind(s(Format::Ip), &Ev::from("fe80::1%eth0")).is_ok());
        assert!(check_kind(s(Format::Ip), &Ev::from("host.example.com")).is_err());
        assert!(check_kind(s(Format::Mac), &Ev::from("00:1A:2b:3c:4d:5e")).is_ok());
        assert!(check_kind(s(Format::Mac), &Ev::from("00:1A:2b:3c:4d")).is_err());
        assert!(check_kind(s(Format::Uuid), &Ev::from("x-123e4567-e89b-12d3-a456-426614174000"))
            .is_ok());
        assert!(check_kind(s(Format::Uuid), &Ev::from("123e4567")).is_err());
        assert!(check_kind(s(Format::Datetime), &Ev::from("2024-06-01T00:00:00Z")).is_ok());
        assert!(check_kind(s(Format::Datetime), &Ev::from("Jun  1 00:00:00")).is_err());
        assert!(check_kind(s(Format::Email), &Ev::from("a.b@example.com")).is_ok());
        assert!(check_kind(s(Format::Email), &Ev::from("a.b@localhost")).is_err());
    }
}
