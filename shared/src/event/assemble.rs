//! Plan + record → event JSON: base attributes, mapped fields (converted to their schema
//! types; a value that does not convert stays in `unmapped`), time, severity, metadata,
//! then validation and repair until the event validates (bounded).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use super::extract;
use super::index::{Index, Kind, Node};
use super::keys::Conv;
use super::mapping::{Leaf, Plan, Target};
use super::memo::Memo;
use super::rules;
use super::severity;
use super::tree::{cmp_key, Ev, Key, Obj};
use super::validate::{self, is_ip, ErrorKind, ValidationError};
use super::{EventContext, MappedField, OcsfEvent};
use crate::parse::{Field, Record, ValueKind};
use crate::schema::{Attribute, Requirement, Schema};

const TIME: Cow<'static, str> = Cow::Borrowed("time");
const SEVERITY_ID: Cow<'static, str> = Cow::Borrowed("severity_id");

/// Repair rounds before giving up (each round fixes every error it can see).
const MAX_REPAIR_ROUNDS: usize = 4;

pub(crate) fn assemble(
    schema: &Schema,
    index: &Index,
    memo: Option<&Memo>,
    plan: &Plan,
    record: &Record,
    raw: Option<&str>,
    ctx: &EventContext,
) -> OcsfEvent {
    let mut b = Builder {
        ev: Obj::new(),
        unmapped: Vec::new(),
        mapped: Vec::with_capacity(record.fields.len()),
    };
    // Fields no attribute takes: they go to `unmapped`, laid out in the plan's key order.
    let mut unused = vec![false; record.fields.len()];
    // The plan was made for this record's exact shape (a fresh plan, or a cached one the
    // mapper matched): every field plan applies.
    debug_assert!(plan.fits(record));

    // Time and severity first: the fields they use count as mapped.
    let (time, time_src) = event_time(plan, record, ctx.received_at_ms);
    let time_from_record = time.is_some();
    let sev_field = plan.severity;

    if let Some((None, _)) = &time_src {
        b.mapped.push(MappedField { attribute: TIME, source: "message".into() });
    }
    for (i, f) in record.fields.iter().enumerate() {
        let key = || plan.source_key(i, f);
        let fp = plan.fields.get(i);
        let mut used = false;
        if let Some(fp) = fp {
            for t in &fp.targets {
                if b.put_field(t, f, fp.index) {
                    b.mapped.push(MappedField { attribute: Cow::Borrowed(t.path), source: key() });
                    used = true;
                }
            }
        }
        let is_time = time_src.as_ref().is_some_and(|(idx, _)| *idx == Some(i));
        let is_sev = sev_field.is_some_and(|(idx, _)| idx == i);
        if is_time {
            b.mapped.push(MappedField { attribute: TIME, source: key() });
        }
        if is_sev {
            b.mapped.push(MappedField { attribute: SEVERITY_ID, source: key() });
        }
        if !used && !is_time && !is_sev {
            unused[i] = true;
        }
    }

    if let Some(msg_idx) = plan.scan_text {
        if let Some(f) = record.fields.get(msg_idx) {
            for (path, v) in extract::scan(&f.value) {
                if let Some(t) = plan.target(path) {
                    if b.get(t).is_none() && b.put_value(t, Ev::from(v), 0) {
                        b.mapped.push(MappedField {
                            attribute: Cow::Borrowed(t.path),
                            source: plan.source_key(msg_idx, f),
                        });
                    }
                }
            }
        }
    }

    // Base attributes (they replace anything a field put under their names).
    let activity_id = plan.activity_id;
    let sev = sev_field
        .and_then(|(i, scale)| {
            record.fields.get(i).and_then(|f| severity::severity_id(scale, &f.value))
        })
        .unwrap_or(severity::UNKNOWN);
    let (time_ms, offset, original) = match (time, time_src) {
        (Some(t), Some((_, text))) => (t.ms, t.offset_minutes, Some(text)),
        _ => (ctx.received_at_ms, None, None),
    };

    // Metadata: what the record said (log name, event code, ...) plus ours.
    let mut md = match b.ev.remove("metadata") {
        Some(Ev::Obj(m)) => m,
        _ => Obj::new(),
    };
    md.insert("version", Ev::name(plan.version));
    let mut product = Obj::new();
    product.insert("name", Ev::name(plan.product.unwrap_or("Unknown")));
    if let Some(v) = plan.vendor {
        product.insert("vendor_name", Ev::name(v));
    }
    md.insert("product", Ev::Obj(product));
    if !md.contains_key("log_name") {
        if let Some(s) = plan.log_name.clone().or_else(|| ctx.source.clone()) {
            md.insert("log_name", Ev::from(s));
        }
    }
    if let Some(id) = ctx.event_id {
        md.insert("uid", Ev::from(id.to_string()));
    }
    if let Some(o) = original {
        md.insert("original_time", Ev::from(o));
    }
    md.insert("log_format", Ev::name(plan.format.as_str()));

    // In key order: merged into the event in one pass.
    let mut base: Vec<(Key, Ev)> = Vec::with_capacity(14);
    base.extend([
        ("activity_id".into(), Ev::from(activity_id)),
        ("activity_name".into(), Ev::name(plan.activity_name)),
        ("category_name".into(), Ev::name(plan.category_name)),
        ("category_uid".into(), Ev::from(plan.category_uid)),
        ("class_name".into(), Ev::name(plan.class_name)),
        ("class_uid".into(), Ev::from(plan.class_uid)),
        ("metadata".into(), Ev::Obj(md)),
        (
            "raw_data".into(),
            Ev::from(raw.map(str::to_string).unwrap_or_else(|| render_raw(record))),
        ),
        ("severity".into(), Ev::name(severity::caption(sev))),
        ("severity_id".into(), Ev::from(sev)),
        ("time".into(), Ev::from(time_ms)),
    ]);
    if let Some(off) = offset {
        base.push(("timezone_offset".into(), Ev::from(off)));
    }
    base.push(("type_name".into(), Ev::name(plan.type_name)));
    base.push(("type_uid".into(), Ev::from(i64::from(plan.class_uid) * 100 + activity_id)));
    b.ev.merge_sorted(base, EXTRA_TOP_LEVEL);

    finish_cloud(&mut b, plan);
    if let Some(cnode) = index.class(schema, plan.class_uid) {
        complete(&mut b, schema, index, cnode, record);
        endpoint_from_device(&mut b, cnode, plan);
        declare_profiles(&mut b.ev, cnode);
    }

    let unmapped = unmapped(plan, record, &unused, std::mem::take(&mut b.unmapped));
    if !unmapped.is_empty() {
        b.ev.insert("unmapped", Ev::Obj(unmapped));
    }
    let mut ev = Ev::Obj(b.ev);
    let mut mapped = b.mapped;
    let (repairs, errors) =
        repair(schema, index, memo, plan.class_uid, &mut ev, &mut mapped, ctx.received_at_ms);
    OcsfEvent { event: ev, repairs, errors, time_from_record, mapped }
}

/// Room for the top-level attributes added after the base ones (`unmapped`, completions).
const EXTRA_TOP_LEVEL: usize = 4;

/// The unused fields in the plan's key order (of equal keys the later field wins, as map
/// inserts would), then `extra` (values taken back from the event), which replace.
fn unmapped(plan: &Plan, record: &Record, unused: &[bool], extra: Vec<(Key, Ev)>) -> Obj {
    let mut entries: Vec<(Key, Ev)> = Vec::with_capacity(unused.iter().filter(|u| **u).count());
    let (mut run, mut last_run) = (0usize, usize::MAX);
    for &(i, same_key) in &plan.key_order {
        run += usize::from(!same_key);
        let i = i as usize;
        let (Some(true), Some(f)) = (unused.get(i), record.fields.get(i)) else { continue };
        let v = json_value(f);
        match entries.last_mut() {
            Some(last) if last_run == run => last.1 = v,
            _ => entries.push((Key::Owned(f.key.clone()), v)),
        }
        last_run = run;
    }
    let mut obj = Obj::from_sorted(entries);
    for (k, v) in extra {
        obj.insert(k, v);
    }
    obj
}

struct Builder {
    ev: Obj,
    /// Values taken back from the event for `unmapped` (the unused fields are added last).
    unmapped: Vec<(Key, Ev)>,
    mapped: Vec<MappedField>,
}

impl Builder {
    /// Converts a field's value for a target and stores it; false when it does not fit.
    fn put_field(&mut self, t: &Target, f: &Field, index: usize) -> bool {
        if f.kind == ValueKind::Null {
            return false;
        }
        let v = trim(&f.value);
        // Placeholders say nothing: they stay in `unmapped` as the record wrote them.
        // (`S-1-0-0` is Windows' null SID.)
        if matches!(v, "" | "-" | "{}" | "[]" | "S-1-0-0")
            || ["null", "unknown", "n/a"].iter().any(|p| v.eq_ignore_ascii_case(p))
        {
            return false;
        }
        let value = match t.conv {
            Conv::HostOrIp => {
                let want_ip = t.path.ends_with(".ip");
                if is_ip(v) != want_ip {
                    return false;
                }
                Ev::from(v)
            }
            Conv::Url => match url_part(t.path, v) {
                Some(s) => Ev::from(s),
                None => return false,
            },
            Conv::Outcome => {
                if t.path == "status_id" {
                    Ev::from(outcome_id(v))
                } else {
                    Ev::from(v)
                }
            }
            Conv::Pid => match parse_pid(v) {
                Some(n) => Ev::from(n),
                None => return false,
            },
            Conv::SecondsToMs => match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s >= 0.0 => Ev::from((s * 1000.0).round() as i64),
                _ => return false,
            },
            Conv::HttpVersion => Ev::from(v.trim_start_matches("HTTP/")),
            Conv::Basename => Ev::from(v.rsplit(['/', '\\']).next().unwrap_or(v)),
            Conv::Words => Ev::Arr(v.split_whitespace().map(Ev::from).collect()),
            Conv::Typed => match convert(t, f, v) {
                Some(x) => x,
                None => return false,
            },
        };
        self.put_value(t, value, index)
    }

    fn get(&self, t: &Target) -> Option<&Ev> {
        let mut cur = self.ev.get(t.segs.first()?.name)?;
        for s in t.segs.iter().skip(1) {
            cur = match cur {
                Ev::Arr(a) => a.first()?.get(s.name)?,
                v => v.get(s.name)?,
            };
        }
        Some(cur)
    }

    /// Stores `value` at the target path; false if something is already there.
    fn put_value(&mut self, t: &Target, value: Ev, index: usize) -> bool {
        let value = match (&value, t.segs.last()) {
            (Ev::Arr(_), _) => value,
            (_, Some(s)) if s.array => Ev::Arr(vec![value]),
            _ => value,
        };
        insert(&mut self.ev, &t.segs, value, index)
    }
}

/// `str::trim`, with a quick exit for the usual value that has no space at either end.
fn trim(v: &str) -> &str {
    match (v.as_bytes().first(), v.as_bytes().last()) {
        // Every whitespace character is either at most b' ' or not ASCII.
        (Some(a), Some(z)) if (0x21..0x80).contains(a) && (0x21..0x80).contains(z) => v,
        _ => v.trim(),
    }
}

fn insert(map: &mut Obj, segs: &[super::mapping::Seg], value: Ev, index: usize) -> bool {
    let Some((first, rest)) = segs.split_first() else { return false };
    if rest.is_empty() {
        // Leaves are mostly new: one search with the key in hand.
        return match map.insert_new(first.name, value) {
            Ok(()) => true,
            // A list leaf collects every value (answers[0], answers[1], ...).
            Err((present, value)) => match (present, value) {
                (Ev::Arr(a), Ev::Arr(mut v)) => {
                    a.append(&mut v);
                    true
                }
                _ => false,
            },
        };
    }
    // One search when the parent exists (the common case after the first field).
    let slot = map.get_or_insert_with(first.name, || {
        if first.array {
            Ev::Arr(Vec::new())
        } else {
            Ev::Obj(Obj::new())
        }
    });
    let obj = match slot {
        Ev::Obj(o) => o,
        Ev::Arr(items) => {
            let i = index.min(items.len());
            if i == items.len() {
                items.push(Ev::Obj(Obj::new()));
            }
            match items.get_mut(i) {
                Some(Ev::Obj(o)) => o,
                _ => return false,
            }
        }
        _ => return false,
    };
    insert(obj, rest, value, index)
}

fn convert(t: &Target, f: &Field, v: &str) -> Option<Ev> {
    let value = match t.leaf {
        Leaf::Str => Ev::from(v),
        Leaf::OneOf(allowed) => Ev::from(*allowed.iter().find(|a| a.eq_ignore_ascii_case(v))?),
        Leaf::Checked(ty) => {
            validate::check_string_format(ty, v).ok()?;
            Ev::from(v)
        }
        Leaf::Ip => {
            if !is_ip(v) {
                return None;
            }
            Ev::from(v)
        }
        Leaf::Int => {
            let n = integer(v)?;
            i32::try_from(n).ok()?;
            Ev::from(n)
        }
        Leaf::Long => Ev::from(integer(v)?),
        Leaf::Port => Ev::from(v.parse::<u16>().ok()?),
        Leaf::Timestamp => Ev::from(super::time::parse(v, 0)?.ms),
        Leaf::Bool => Ev::from(match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => true,
            "false" | "no" | "0" => false,
            _ => return None,
        }),
        Leaf::Float => {
            let x: f64 = v.parse().ok()?;
            if !x.is_finite() {
                return None;
            }
            Ev::from(x)
        }
        Leaf::Any => json_value(f),
    };
    if !t.enum_ids.is_empty() {
        if let Some(n) = value.as_i64() {
            if !t.enum_ids.contains(&n) {
                return None;
            }
        }
    }
    Some(value)
}

/// An integer, also written as a decimal with no fraction (`1200.0`).
fn integer(v: &str) -> Option<i64> {
    if let Ok(n) = v.parse::<i64>() {
        return Some(n);
    }
    let x: f64 = v.parse().ok()?;
    (x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15).then_some(x as i64)
}

/// Splits a URL-ish value for the `url` object's parts.
fn url_part(path: &str, v: &str) -> Option<String> {
    let leaf = path.rsplit('.').next()?;
    let (before_query, query) = match v.split_once('?') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    };
    let (host, rel) = match before_query.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(i) => (Some(&rest[..i]), &rest[i..]),
            None => (Some(rest), "/"),
        },
        None => (None, before_query),
    };
    match leaf {
        "url_string" => Some(v.to_string()),
        "path" if rel.starts_with('/') => Some(rel.to_string()),
        "query_string" => query.filter(|q| !q.is_empty()).map(str::to_string),
        "hostname" => {
            host.filter(|h| !h.is_empty()).map(|h| h.split(':').next().unwrap_or(h).to_string())
        }
        _ => None,
    }
}

fn parse_pid(v: &str) -> Option<i64> {
    let n = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(h) => i64::from_str_radix(h, 16).ok()?,
        None => v.parse().ok()?,
    };
    i32::try_from(n).ok().map(i64::from)
}

/// OCSF status_id of an outcome word: 1 success, 2 failure, 99 other.
pub(crate) fn outcome_id(v: &str) -> i64 {
    match v.trim().to_ascii_lowercase().as_str() {
        "success" | "succeeded" | "successful" | "allow" | "allowed" | "accept" | "accepted"
        | "pass" | "passed" | "true" | "yes" | "ok" | "0" | "granted" | "permitted" => 1,
        "failure" | "failed" | "fail" | "deny" | "denied" | "block" | "blocked" | "reject"
        | "rejected" | "error" | "false" | "no" | "drop" | "dropped" | "refused" => 2,
        "unknown" | "" => 0,
        _ => 99,
    }
}

/// A field's value as JSON, keeping its source type.
fn json_value(f: &Field) -> Ev {
    match f.kind {
        ValueKind::String => Ev::from(f.value.clone()),
        ValueKind::Bool => Ev::from(f.value == "true"),
        ValueKind::Null => Ev::Null,
        ValueKind::Number => {
            if let Ok(n) = f.value.parse::<i64>() {
                Ev::from(n)
            } else if let Some(x) = f.value.parse::<f64>().ok().filter(|x| x.is_finite()) {
                Ev::Float(x)
            } else {
                Ev::from(f.value.clone())
            }
        }
    }
}

/// Without the original text: the parsed fields as one JSON object (content-complete, not
/// byte-identical).
fn render_raw(record: &Record) -> String {
    if let [only] = record.fields.as_slice() {
        if only.key == "message" {
            return only.value.clone();
        }
    }
    let m = Obj::from_entries(
        record.fields.iter().map(|f| (Key::Owned(f.key.clone()), json_value(f))).collect(),
    );
    Ev::Obj(m).to_json()
}

/// The event time: the best time field that parses, else W3C date+time, else a timestamp
/// leading the message or an auditd serial. `(time, (field index, original text))`.
#[allow(clippy::type_complexity)]
fn event_time(
    plan: &Plan,
    record: &Record,
    reference: i64,
) -> (Option<super::time::Timestamp>, Option<(Option<usize>, String)>) {
    for &i in &plan.time_fields {
        if let Some(f) = record.fields.get(i) {
            if let Some(t) = super::time::parse(&f.value, reference) {
                return (Some(t), Some((Some(i), f.value.clone())));
            }
        }
    }
    if let Some((d, t)) = plan.date_time {
        if let (Some(df), Some(tf)) = (record.fields.get(d), record.fields.get(t)) {
            let text = format!("{} {}", df.value, tf.value);
            if let Some(ts) = super::time::parse(&text, reference) {
                return (Some(ts), Some((Some(t), text)));
            }
        }
    }
    for (i, f) in record.fields.iter().enumerate() {
        if let Some((t, text)) = extract::audit_time(&f.value) {
            return (Some(t), Some((Some(i), text)));
        }
    }
    if let Some(f) = record.fields.iter().find(|f| f.key == "message") {
        if let Some((t, text)) = extract::leading_time(&f.value, reference) {
            return (Some(t), Some((None, text)));
        }
    }
    (None, None)
}

/// `cloud` needs a provider: add it when the record's cloud is known, otherwise any cloud
/// details go back to `unmapped`.
fn finish_cloud(b: &mut Builder, plan: &Plan) {
    let wants_cloud =
        b.ev.contains_key("cloud") || plan.class_uid == 6003 || b.ev.contains_key("api");
    if !wants_cloud {
        return;
    }
    match plan.cloud_provider {
        Some(p) => {
            let cloud = b.ev.get_or_insert_with("cloud", || Ev::Obj(Obj::new()));
            if let Ev::Obj(c) = cloud {
                c.insert("provider", Ev::from(p));
            }
        }
        None => {
            if let Some(c) = b.ev.remove("cloud") {
                b.unmapped.push(("cloud".into(), c));
                b.mapped.retain(|m| !m.attribute.starts_with("cloud."));
            }
        }
    }
}

/// What the builder can state without the record: required enumerations as 0 (Unknown),
/// `file.name` from `file.path`, the actor's user as the event's user when the class needs
/// one and only the actor was named; objects nothing identifies (an endpoint with only a
/// port) go back to `unmapped`.
fn complete(b: &mut Builder, schema: &Schema, index: &Index, cnode: &Node, record: &Record) {
    let needs_user = cnode.required.iter().any(|(n, _)| &**n == "user");
    if needs_user && !b.ev.contains_key("user") {
        if let Some(u) = b.ev.get("actor").and_then(|a| a.get("user")).cloned() {
            b.ev.insert("user", u);
            let extra: Vec<MappedField> = b
                .mapped
                .iter()
                .filter_map(|m| {
                    m.attribute.strip_prefix("actor.").filter(|a| a.starts_with("user.")).map(|a| {
                        MappedField {
                            attribute: Cow::Owned(a.to_string()),
                            source: m.source.clone(),
                        }
                    })
                })
                .collect();
            b.mapped.extend(extra);
        }
    }
    let mut dropped: Vec<String> = Vec::new();
    let mut path = String::with_capacity(64);
    for (k, v) in b.ev.iter_mut() {
        // Only objects (or lists of them) have anything to complete.
        if !(v.is_object() || v.is_array()) {
            continue;
        }
        let Some(Kind::Object(Some(i))) = cnode.attrs.get(k).map(|a| a.kind) else { continue };
        let Some(node) = index.object(schema, i) else { continue };
        path.clear();
        path.push_str(k);
        complete_value(schema, index, node, v, &mut path, &mut b.mapped, &mut dropped, 0);
        // A required object stays (repair completes it); an optional one nothing identifies goes.
        let required = cnode.required.iter().any(|(n, _)| **n == *k);
        if !required && !identified(node, v) {
            dropped.push(k.to_string());
        }
    }
    for path in dropped {
        remove_path(&mut b.ev, &path);
        let prefix = format!("{path}.");
        let sources: Vec<Arc<str>> = b
            .mapped
            .iter()
            .filter(|m| m.attribute.starts_with(&prefix))
            .map(|m| m.source.clone())
            .collect();
        b.mapped.retain(|m| !m.attribute.starts_with(&prefix));
        for s in sources {
            if b.mapped.iter().any(|m| m.source == s) {
                continue;
            }
            if let Some(f) = record.fields.iter().find(|f| *f.key == *s) {
                b.unmapped.push((Key::Owned(s.to_string()), json_value(f)));
            }
        }
    }
}

/// Removes a dotted path (no indices) from a map.
fn remove_path(map: &mut Obj, path: &str) {
    match path.split_once('.') {
        None => {
            map.remove(path);
        }
        Some((head, rest)) => {
            if let Some(Ev::Obj(m)) = map.get_mut(head) {
                remove_path(m, rest);
            }
        }
    }
}

/// True when an object meets its `at_least_one` constraints (arrays: every item).
fn identified(node: &Node, v: &Ev) -> bool {
    match v {
        Ev::Arr(items) => items.iter().all(|i| identified(node, i)),
        Ev::Obj(m) => node.identified(m),
        _ => true,
    }
}

#[allow(clippy::too_many_arguments)]
fn complete_value(
    schema: &Schema,
    index: &Index,
    node: &Node,
    v: &mut Ev,
    path: &mut String,
    mapped: &mut Vec<MappedField>,
    dropped: &mut Vec<String>,
    depth: usize,
) {
    match v {
        Ev::Arr(items) => {
            for it in items {
                complete_value(schema, index, node, it, path, mapped, dropped, depth);
            }
        }
        Ev::Obj(m) => complete_object(schema, index, node, m, path, mapped, dropped, depth),
        _ => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn complete_object(
    schema: &Schema,
    index: &Index,
    node: &Node,
    m: &mut Obj,
    path: &mut String,
    mapped: &mut Vec<MappedField>,
    dropped: &mut Vec<String>,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    for (k, sub) in m.iter_mut() {
        if !(sub.is_object() || sub.is_array()) {
            continue;
        }
        let Some(Kind::Object(Some(i))) = node.attrs.get(k).map(|a| a.kind) else { continue };
        let Some(child) = index.object(schema, i) else { continue };
        let len = path.len();
        path.push('.');
        path.push_str(k);
        complete_value(schema, index, child, sub, path, mapped, dropped, depth + 1);
        if !sub.is_array() && !identified(child, sub) {
            dropped.push(path.clone());
        }
        path.truncate(len);
    }
    if node.object.as_deref() == Some("file") && !m.contains_key("name") {
        if let Some(p) = m.get("path").and_then(Ev::as_str) {
            let name = p.rsplit(['/', '\\']).next().unwrap_or(p).to_string();
            if !name.is_empty() {
                let want = format!("{path}.path");
                let src = mapped.iter().find(|x| *x.attribute == *want).map(|x| x.source.clone());
                m.insert("name", Ev::from(name));
                if let Some(s) = src {
                    mapped.push(MappedField {
                        attribute: Cow::Owned(format!("{path}.name")),
                        source: s,
                    });
                }
            }
        }
    }
    for &n in &node.unknown_defaults {
        let _ = m.insert_new(n, Ev::Int(0));
    }
}

/// Authentication needs a service or a destination: the host that logged the logon is
/// where it happened.
fn endpoint_from_device(b: &mut Builder, class: &Node, plan: &Plan) {
    let listed = &class.schema_at_least_one;
    let needs = listed.iter().any(|a| &**a == "dst_endpoint");
    if !needs || b.ev.contains_key("dst_endpoint") || listed.iter().any(|a| b.ev.contains_key(a)) {
        return;
    }
    let Some(host) = b.ev.get("device").and_then(|d| d.get("hostname")).cloned() else {
        // Sign-in logs of a SaaS product: the product is the service signed in to.
        if let (Some(p), true) = (plan.product, class.attrs.contains_key("service")) {
            let mut svc = Obj::new();
            svc.insert("name", Ev::name(p));
            b.ev.insert("service", Ev::Obj(svc));
        }
        return;
    };
    let src =
        b.mapped.iter().find(|m| &*m.attribute == "device.hostname").map(|m| m.source.clone());
    let mut ep = Obj::new();
    ep.insert("hostname", host);
    b.ev.insert("dst_endpoint", Ev::Obj(ep));
    if let Some(s) = src {
        b.mapped.push(MappedField { attribute: Cow::Borrowed("dst_endpoint.hostname"), source: s });
    }
}

/// Lists in `metadata.profiles` every profile a top-level attribute needs.
fn declare_profiles(ev: &mut Obj, class: &Node) {
    let mut profiles: Vec<&'static str> = Vec::new();
    let mut gated = class.profiled.iter().peekable();
    for k in ev.keys() {
        // Both in name order: skip the gated attributes before `k`.
        while gated.next_if(|(n, _)| cmp_key(n, k) == Ordering::Less).is_some() {}
        let Some((n, ps)) = gated.peek() else { break };
        if **n != *k {
            continue;
        }
        for p in ps.iter() {
            if !profiles.contains(p) {
                profiles.push(p);
                break;
            }
        }
    }
    if profiles.is_empty() {
        return;
    }
    profiles.sort_unstable();
    if let Some(Ev::Obj(md)) = ev.get_mut("metadata") {
        md.insert("profiles", Ev::Arr(profiles.into_iter().map(Ev::name).collect()));
    }
}

/// Validates and repairs until clean (or out of rounds): offending values move to
/// `unmapped` under their source key (or OCSF path), missing required attributes and
/// unmet constraints get the schema's "unknown" value. Returns (repairs, first errors).
fn repair(
    schema: &Schema,
    index: &Index,
    memo: Option<&Memo>,
    class_uid: u32,
    ev: &mut Ev,
    mapped: &mut Vec<MappedField>,
    reference: i64,
) -> (usize, Vec<String>) {
    let mut repairs = 0;
    let mut first_errors = Vec::new();
    for round in 0..MAX_REPAIR_ROUNDS {
        let errors: Arc<[ValidationError]> = match memo.and_then(|m| m.known(class_uid, ev)) {
            Some(known) => {
                // Debug builds (the tests) check every memo answer against the validator.
                debug_assert_eq!(
                    known[..],
                    validate::validate_with(index, schema, class_uid, ev)[..],
                    "validation memo disagrees"
                );
                known
            }
            None => {
                let found: Arc<[ValidationError]> =
                    validate::validate_with(index, schema, class_uid, ev).into();
                if let Some(m) = memo {
                    m.learn(schema, index, class_uid, ev, &found);
                }
                found
            }
        };
        if errors.is_empty() {
            break;
        }
        if round == 0 {
            first_errors = errors.iter().map(ToString::to_string).collect();
        }
        let mut fixed = 0;
        for e in errors.iter() {
            if fix(schema, index, class_uid, ev, mapped, e, reference) {
                fixed += 1;
            }
        }
        repairs += fixed;
        if fixed == 0 {
            tracing::warn!(class_uid, errors = errors.len(), first = %errors[0], "event still invalid after repair");
            break;
        }
    }
    (repairs, first_errors)
}

fn fix(
    schema: &Schema,
    index: &Index,
    class_uid: u32,
    ev: &mut Ev,
    mapped: &mut Vec<MappedField>,
    e: &ValidationError,
    reference: i64,
) -> bool {
    if e.is_removable() {
        let Some(v) = take(ev, &e.path) else { return false };
        let clean = super::keys::strip_indices(&e.path);
        let key = mapped
            .iter()
            .find(|m| *m.attribute == *clean)
            .map(|m| m.source.to_string())
            .unwrap_or_else(|| format!("ocsf.{}", e.path));
        mapped.retain(|m| *m.attribute != *clean && !m.attribute.starts_with(&format!("{clean}.")));
        let Some(obj) = ev.as_object_mut() else { return false };
        let um = obj.get_or_insert_with("unmapped", || Ev::Obj(Obj::new()));
        if let Ev::Obj(um) = um {
            um.insert(key, v);
        }
        return true;
    }
    match e.kind {
        ErrorKind::MissingRequired => {
            let Some((parent, name)) = locate_attr(schema, class_uid, ev, &e.path) else {
                return false;
            };
            let Some(value) = default_for(schema, index, &parent, &name, reference) else {
                return false;
            };
            set(ev, &e.path, value)
        }
        ErrorKind::Constraint => fix_constraint(
            schema,
            index,
            class_uid,
            ev,
            &e.path,
            e.detail.starts_with("just_one"),
            reference,
        ),
        _ => false,
    }
}

/// Path steps: `a.b[2].c` → [("a", None), ("b", Some(2)), ("c", None)].
fn steps(path: &str) -> Vec<(&str, Option<usize>)> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse().ok()),
            None => (s, None),
        })
        .collect()
}

fn get_mut<'a>(v: &'a mut Ev, path: &str) -> Option<&'a mut Ev> {
    let mut cur = v;
    for (name, idx) in steps(path) {
        cur = cur.get_mut(name)?;
        if let Some(i) = idx {
            cur = cur.as_array_mut()?.get_mut(i)?;
        }
    }
    Some(cur)
}

fn take(ev: &mut Ev, path: &str) -> Option<Ev> {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, path),
    };
    let holder = match parent {
        Some(p) => get_mut(ev, p)?,
        None => ev,
    };
    match last.split_once('[') {
        Some((name, rest)) => {
            let i: usize = rest.trim_end_matches(']').parse().ok()?;
            let arr = holder.get_mut(name)?.as_array_mut()?;
            (i < arr.len()).then(|| arr.remove(i))
        }
        None => holder.as_object_mut()?.remove(last),
    }
}

fn set(ev: &mut Ev, path: &str, value: Ev) -> bool {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, path),
    };
    let holder = match parent {
        Some(p) => get_mut(ev, p),
        None => Some(ev),
    };
    match holder.and_then(Ev::as_object_mut) {
        Some(o) => {
            o.insert(last.to_string(), value);
            true
        }
        None => false,
    }
}

/// The attributes of whatever holds `path`'s last step: (attributes, name).
fn locate_attr<'s>(
    schema: &'s Schema,
    class_uid: u32,
    ev: &Ev,
    path: &str,
) -> Option<(Owner<'s>, String)> {
    let st = steps(path);
    let (last, parents) = st.split_last()?;
    let class = schema.class(class_uid)?;
    let mut attrs = &class.attributes;
    let mut owner = Owner { attrs };
    let _ = ev;
    for (name, _) in parents {
        let a = attrs.get(*name)?;
        let o = a.object_type.as_deref()?;
        attrs = &schema.objects.get(o)?.attributes;
        owner = Owner { attrs };
    }
    Some((owner, last.0.to_string()))
}

struct Owner<'s> {
    attrs: &'s std::collections::BTreeMap<String, Attribute>,
}

/// The schema's "unknown" for an attribute: enum 0 (or Other), `Unknown` text, the ingest
/// time for timestamps, and for objects the smallest object that satisfies its own rules.
fn default_for(
    schema: &Schema,
    index: &Index,
    owner: &Owner,
    name: &str,
    reference: i64,
) -> Option<Ev> {
    let a = owner.attrs.get(name)?;
    let one = default_scalar_or_object(schema, index, a, reference, 0, &mut false)?;
    Some(if a.is_array { Ev::Arr(vec![one]) } else { one })
}

/// `stamped` is set when the value holds the reference time (and so cannot be reused).
fn default_scalar_or_object(
    schema: &Schema,
    index: &Index,
    a: &Attribute,
    reference: i64,
    depth: usize,
    stamped: &mut bool,
) -> Option<Ev> {
    if depth > 4 {
        return None;
    }
    if !a.enum_values.is_empty() {
        let id = if a.enum_values.contains_key(&0) {
            0
        } else if a.enum_values.contains_key(&99) {
            99
        } else {
            *a.enum_values.keys().next()?
        };
        return Some(Ev::from(id));
    }
    Some(match a.type_name.as_str() {
        "object_t" => {
            let oname = a.object_type.as_deref()?;
            // Defaults without the reference time are the same every time: build them once.
            if let Some(kept) = index.default_object(oname, depth) {
                return kept;
            }
            let mut own_stamp = false;
            let built = default_object(schema, index, oname, reference, depth, &mut own_stamp);
            if own_stamp {
                *stamped = true;
            } else {
                index.keep_default_object(oname, depth, built.clone());
            }
            return built;
        }
        "timestamp_t" => {
            *stamped = true;
            Ev::from(reference)
        }
        "integer_t" | "long_t" | "port_t" => Ev::from(0),
        "float_t" => Ev::from(0.0),
        "boolean_t" => Ev::from(false),
        "ip_t" | "mac_t" | "uuid_t" | "email_t" | "datetime_t" => return None,
        _ => Ev::from("Unknown"),
    })
}

fn default_object(
    schema: &Schema,
    index: &Index,
    oname: &str,
    reference: i64,
    depth: usize,
    stamped: &mut bool,
) -> Option<Ev> {
    let obj = schema.objects.get(oname)?;
    let mut m = Obj::new();
    for (n, sub) in &obj.attributes {
        if sub.requirement == Requirement::Required
            && rules::object_attribute_profiles(oname, n).is_empty()
        {
            let v = default_scalar_or_object(schema, index, sub, reference, depth + 1, stamped)?;
            m.insert(n.clone(), if sub.is_array { Ev::Arr(vec![v]) } else { v });
        }
    }
    for (kind, names) in rules::object_constraints(oname) {
        if kind == "at_least_one" && !names.iter().any(|n| m.contains_key(n)) {
            let (n, v) =
                fillable(schema, index, &obj.attributes, names, reference, depth, stamped)?;
            m.insert(n, v);
        }
    }
    Some(Ev::Obj(m))
}

/// The attribute of a constraint list best given an "unknown" value: a name, then a user,
/// then other text; numbers and other objects last (an invented 0 says more than it knows).
fn fillable(
    schema: &Schema,
    index: &Index,
    attrs: &std::collections::BTreeMap<String, Attribute>,
    names: &[&str],
    reference: i64,
    depth: usize,
    stamped: &mut bool,
) -> Option<(String, Ev)> {
    let rank = |n: &str| -> u8 {
        match attrs.get(n) {
            _ if n == "name" => 0,
            _ if n == "user" => 1,
            Some(a) if a.type_name == "string_t" && a.enum_values.is_empty() => 2,
            Some(a) if a.type_name == "object_t" => 3,
            _ => 4,
        }
    };
    let mut order: Vec<&str> = names.to_vec();
    order.sort_by_key(|n| rank(n));
    for n in order {
        let Some(a) = attrs.get(n) else { continue };
        if let Some(v) = default_scalar_or_object(schema, index, a, reference, depth + 1, stamped) {
            return Some((n.to_string(), if a.is_array { Ev::Arr(vec![v]) } else { v }));
        }
    }
    None
}

/// `at_least_one`: add the first fillable attribute; `just_one`: keep the first present and
/// move the others to `unmapped`.
fn fix_constraint(
    schema: &Schema,
    index: &Index,
    class_uid: u32,
    ev: &mut Ev,
    path: &str,
    just_one: bool,
    reference: i64,
) -> bool {
    let Some(class) = schema.class(class_uid) else { return false };
    // The node (class or object) at `path`, and the attribute table fills come from.
    let (node, attrs) = if path.is_empty() {
        match index.class(schema, class_uid) {
            Some(n) => (n, &class.attributes),
            None => return false,
        }
    } else {
        let Some((owner, name)) = locate_attr(schema, class_uid, ev, path) else { return false };
        let Some(oname) = owner.attrs.get(&name).and_then(|a| a.object_type.as_deref()) else {
            return false;
        };
        let Some(obj) = schema.objects.get(oname) else { return false };
        let Some(node) =
            index.class(schema, class_uid).and_then(|_| object_node(schema, index, oname))
        else {
            return false;
        };
        (node, &obj.attributes)
    };
    let Some(holder) = (if path.is_empty() { Some(&mut *ev) } else { get_mut(ev, path) })
        .and_then(Ev::as_object_mut)
    else {
        return false;
    };
    let mut fixed = false;
    let mut moved: Vec<(String, Ev)> = Vec::new();
    for (is_just_one, names) in &node.constraints {
        if *is_just_one != just_one {
            continue;
        }
        let present: Vec<&str> = names
            .iter()
            .map(|n| &**n)
            .filter(|n| holder.get(n).is_some_and(|v| !v.is_null()))
            .collect();
        if just_one && present.len() > 1 {
            for n in &present[1..] {
                if let Some(v) = holder.remove(n) {
                    moved.push((
                        if path.is_empty() {
                            format!("ocsf.{n}")
                        } else {
                            format!("ocsf.{path}.{n}")
                        },
                        v,
                    ));
                }
            }
            fixed = true;
        } else if present.is_empty() {
            let refs: Vec<&str> = names.iter().map(|n| &**n).collect();
            if let Some((n, v)) = fillable(schema, index, attrs, &refs, reference, 0, &mut false) {
                holder.insert(n, v);
                fixed = true;
            }
        }
    }
    if !moved.is_empty() {
        if let Some(Ev::Obj(um)) =
            ev.as_object_mut().map(|o| o.get_or_insert_with("unmapped", || Ev::Obj(Obj::new())))
        {
            for (k, v) in moved {
                um.insert(k, v);
            }
        }
    }
    fixed
}

/// The compiled node of an object by name.
fn object_node<'i>(schema: &Schema, index: &'i Index, name: &str) -> Option<&'i Node> {
    let i = schema.objects.keys().position(|k| k == name)?;
    index.object(schema, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts() {
        assert_eq!(url_part("http_request.url.path", "/a/b?x=1").as_deref(), Some("/a/b"));
        assert_eq!(url_part("http_request.url.query_string", "/a/b?x=1").as_deref(), Some("x=1"));
        assert_eq!(
            url_part("http_request.url.hostname", "https://ex.com:8443/p").as_deref(),
            Some("ex.com")
        );
        assert_eq!(url_part("http_request.url.path", "https://ex.com").as_deref(), Some("/"));
        assert_eq!(url_part("http_request.url.query_string", "/a").as_deref(), None);
    }

    #[test]
    fn trim_as_str_trim() {
        for v in ["", " a", "a ", "\u{b}a", "a\u{85}", "\u{a0}x\u{3000}", "x", "a b", "\ta\n"] {
            assert_eq!(trim(v), v.trim(), "{v:?}");
        }
    }

    #[test]
    fn pids_and_outcomes() {
        assert_eq!(parse_pid("0x1a"), Some(26));
        assert_eq!(parse_pid("123"), Some(123));
        assert_eq!(parse_pid("0xffffffffff"), None);
        assert_eq!(outcome_id("SUCCESS"), 1);
        assert_eq!(outcome_id("denied"), 2);
        assert_eq!(outcome_id("maybe"), 99);
    }

    #[test]
    fn paths() {
        assert_eq!(crate::event::keys::strip_indices("answers[1].rdata"), "answers.rdata");
        assert_eq!(steps("a.b[2].c"), vec![("a", None), ("b", Some(2)), ("c", None)]);
        let mut v = Ev::from(serde_json::json!({"a": {"b": [{"c": 1}, {"c": 2}]}}));
        assert_eq!(take(&mut v, "a.b[1].c"), Some(Ev::from(2)));
        assert_eq!(take(&mut v, "a.b[0]"), Some(Ev::from(serde_json::json!({"c": 1}))));
        assert!(set(&mut v, "a.d", Ev::from(3)));
        assert_eq!(v, Ev::from(serde_json::json!({"a": {"b": [{}], "d": 3}})));
    }
}
