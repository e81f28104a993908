//! An event built against the KB's schema, rewritten to what the target version allows:
//! every value the target's class or object does not define (or defines with another
//! kind, enum or profile) moves to `unmapped`, under the source field it came from or
//! `ocsf.<path>`; required attributes and constraints the target adds get the schema's
//! "unknown" values, as the builder's own repair does.

use std::borrow::Cow;

use super::target::{Attr, Kind, Node, TargetSchema};
use crate::event::keys::strip_indices;
use crate::event::{Ev, MappedField, Obj};

/// Objects nest deeper than this only in hostile input; deeper values move out whole.
const MAX_DEPTH: usize = 16;
/// Defaults for required objects stop here (objects can require each other in a cycle).
const MAX_DEFAULT_DEPTH: usize = 4;

/// What rewriting one event did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversion {
    /// The class the event had when the target version has no such class (the event is
    /// now a Base Event; the original class is under `unmapped`).
    pub class_missing: Option<u32>,
    /// The activity the event had when the target's class has no such activity (now 99).
    pub activity_missing: Option<i64>,
    /// Values moved to `unmapped`.
    pub moved: usize,
    /// "Unknown" values added for attributes or constraints the target requires.
    pub filled: usize,
}

pub(crate) struct Walk<'a> {
    target: &'a TargetSchema,
    mapped: &'a [MappedField],
    declared: Vec<String>,
    reference_ms: i64,
    moved: Vec<(String, Ev)>,
    filled: usize,
}

pub(crate) fn convert(
    target: &TargetSchema,
    ev: &mut Ev,
    mapped: &[MappedField],
    reference_ms: i64,
) -> Conversion {
    let mut out = Conversion::default();
    let Some(obj) = ev.as_object_mut() else { return out };
    let base_uid = 0u32;
    let class_uid = obj.get("class_uid").and_then(Ev::as_i64).unwrap_or(0);
    let mut moved: Vec<(String, Ev)> = Vec::new();
    let class = match u32::try_from(class_uid).ok().and_then(|u| target.classes.get(&u)) {
        Some(c) => c,
        None => {
            // Base Event, with the original class, category and activity kept under
            // `unmapped` so nothing the classifier decided is lost.
            for k in ["class_uid", "class_name", "category_uid", "category_name", "type_uid"] {
                if let Some(v) = obj.remove(k) {
                    moved.push((format!("ocsf.{k}"), v));
                }
            }
            out.class_missing = u32::try_from(class_uid).ok();
            let Some(base) = target.classes.get(&base_uid) else { return out };
            obj.insert("class_uid", Ev::from(0));
            obj.insert("class_name", Ev::Str(Cow::Owned(base.node.caption.clone())));
            obj.insert("category_uid", Ev::from(base.category_uid));
            if let Some(n) = &base.category_name {
                obj.insert("category_name", Ev::Str(Cow::Owned(n.clone())));
            }
            base
        }
    };
    if out.class_missing.is_none() {
        obj.insert("category_uid", Ev::from(class.category_uid));
        if let (Some(n), true) = (&class.category_name, obj.contains_key("category_name")) {
            obj.insert("category_name", Ev::Str(Cow::Owned(n.clone())));
        }
        if !class.node.caption.is_empty() && obj.contains_key("class_name") {
            obj.insert("class_name", Ev::Str(Cow::Owned(class.node.caption.clone())));
        }
    }
    // The activity: kept when the target's class has it, else Other (the activity's name,
    // which OCSF says carries the source's own wording for Other, stays).
    let activity = obj.get("activity_id").and_then(Ev::as_i64).unwrap_or(0);
    let activity_attr = class.node.attrs.get("activity_id");
    let activity = match activity_attr {
        Some(a) if !a.allows_int(activity) => {
            moved.push(("ocsf.activity_id".into(), Ev::from(activity)));
            out.activity_missing = Some(activity);
            let new = a.fallback_id().unwrap_or(0);
            obj.insert("activity_id", Ev::from(new));
            new
        }
        _ => activity,
    };
    let uid = if out.class_missing.is_some() { 0 } else { class_uid };
    obj.insert("type_uid", Ev::from(uid * 100 + activity));

    // Profiles the target does not know are not declared.
    let mut declared = Vec::new();
    if let Some(Ev::Obj(md)) = obj.get_mut("metadata") {
        md.insert("version", Ev::Str(Cow::Owned(target.version.clone())));
        if let Some(Ev::Arr(ps)) = md.get_mut("profiles") {
            ps.retain(|p| p.as_str().is_some_and(|p| target.profiles.contains(p)));
            declared = ps.iter().filter_map(|p| p.as_str().map(String::from)).collect();
        }
    }
    let mut walk = Walk { target, mapped, declared, reference_ms, moved, filled: 0 };
    let mut path = String::new();
    walk.object(&class.node, obj, &mut path, 0);
    out.filled = walk.filled;
    out.moved = walk.moved.len();
    if !walk.moved.is_empty() {
        let um = obj.get_or_insert_with("unmapped", || Ev::Obj(Obj::new()));
        if !um.is_object() {
            // `unmapped` is an object in every version; a non-object one (never built by us)
            // is kept under its own path.
            let old = std::mem::replace(um, Ev::Obj(Obj::new()));
            walk.moved.push(("ocsf.unmapped".into(), old));
        }
        if let Ev::Obj(um) = um {
            for (k, v) in walk.moved {
                um.insert(k, v);
            }
        }
    }
    out
}

impl Walk<'_> {
    fn allowed(&self, a: &Attr) -> bool {
        a.profiles.is_empty() || a.profiles.iter().any(|p| self.declared.contains(p))
    }

    /// Keeps what `node` allows in `obj`, moving the rest out; then fills what it requires.
    fn object(&mut self, node: &Node, obj: &mut Obj, path: &mut String, depth: usize) {
        if node.is_open() {
            return;
        }
        let base = path.len();
        let mut moved_keys: Vec<String> = Vec::new();
        let removed = obj.drain_where(|k, v| {
            // `unmapped` keeps whatever it holds (an open object in every version).
            if depth == 0 && k == "unmapped" {
                return true;
            }
            if base > 0 {
                path.push('.');
            }
            path.push_str(k);
            let keep = match node.attrs.get(k) {
                Some(a) if self.allowed(a) => self.value(a, v, path, depth),
                _ => false,
            };
            if !keep {
                moved_keys.push(key_for(self.mapped, path));
            }
            path.truncate(base);
            keep
        });
        for (k, (_, v)) in moved_keys.into_iter().zip(removed) {
            self.moved.push((k, v));
        }
        self.fill(node, obj, depth);
    }

    /// True when `v` (possibly after rewriting inside it) fits `a`.
    fn value(&mut self, a: &Attr, v: &mut Ev, path: &mut String, depth: usize) -> bool {
        if depth >= MAX_DEPTH {
            return false;
        }
        if a.is_array {
            let Ev::Arr(items) = v else { return false };
            if a.kind != Kind::Obj {
                return items.iter().all(|x| self.scalar(a, x));
            }
            let mut i = 0;
            while i < items.len() {
                let len = path.len();
                {
                    use std::fmt::Write;
                    let _ = write!(path, "[{i}]");
                }
                if self.one_object(a, &mut items[i], path, depth) {
                    i += 1;
                } else {
                    // An element that is not an object moves out alone.
                    let x = items.remove(i);
                    self.move_out(path, x);
                }
                path.truncate(len);
            }
            return true;
        }
        if a.kind == Kind::Obj {
            return self.one_object(a, v, path, depth);
        }
        self.scalar(a, v)
    }

    fn one_object(&mut self, a: &Attr, v: &mut Ev, path: &mut String, depth: usize) -> bool {
        let Some(node) = a.object.as_deref().and_then(|o| self.target.objects.get(o)) else {
            return false;
        };
        let Ev::Obj(o) = v else { return false };
        self.object(node, o, path, depth + 1);
        true
    }

    fn scalar(&self, a: &Attr, v: &Ev) -> bool {
        match (a.kind, v) {
            (Kind::Any, _) => true,
            (Kind::Bool, Ev::Bool(_)) => true,
            (Kind::Int, Ev::Int(i)) => a.allows_int(*i),
            (Kind::Int, Ev::UInt(_)) => a.int_enum.is_empty() && a.range.is_none(),
            (Kind::Num, Ev::Int(i)) => a.allows_int(*i),
            (Kind::Num, Ev::UInt(_) | Ev::Float(_)) => a.int_enum.is_empty(),
            (Kind::Str, Ev::Str(s)) => a.allows_str(s),
            _ => false,
        }
    }

    fn move_out(&mut self, path: &str, v: Ev) {
        let key = key_for(self.mapped, path);
        self.moved.push((key, v));
    }

    /// Required attributes and `at_least_one` the target asks for get "unknown" values;
    /// of a `just_one` group only the first present stays.
    fn fill(&mut self, node: &Node, obj: &mut Obj, depth: usize) {
        for name in &node.required {
            if !obj.contains_key(name) {
                if let Some(v) = node.attrs.get(name).and_then(|a| self.default(a, depth)) {
                    obj.insert(name.clone(), v);
                    self.filled += 1;
                }
            }
        }
        for group in &node.at_least_one {
            if group.iter().any(|n| obj.get(n).is_some_and(|v| !v.is_null())) {
                continue;
            }
            let mut order: Vec<&String> = group.iter().collect();
            // A name, then text, then anything else: an invented 0 says more than it knows.
            order.sort_by_key(|n| match node.attrs.get(*n) {
                _ if *n == "name" => 0,
                Some(a) if a.kind == Kind::Str && a.str_enum.is_empty() => 1,
                Some(a) if a.kind == Kind::Obj => 2,
                _ => 3,
            });
            for n in order {
                let Some(a) = node.attrs.get(n).filter(|a| self.allowed(a)) else { continue };
                if let Some(v) = self.default(a, depth) {
                    obj.insert(n.clone(), v);
                    self.filled += 1;
                    break;
                }
            }
        }
        for group in &node.just_one {
            let present: Vec<&String> = group.iter().filter(|n| obj.contains_key(n)).collect();
            for n in present.iter().skip(1) {
                if let Some(v) = obj.remove(n) {
                    self.moved.push((format!("ocsf.{n}"), v));
                }
            }
        }
    }

    fn default(&self, a: &Attr, depth: usize) -> Option<Ev> {
        let one = self.default_one(a, depth)?;
        Some(if a.is_array { Ev::Arr(vec![one]) } else { one })
    }

    fn default_one(&self, a: &Attr, depth: usize) -> Option<Ev> {
        if depth > MAX_DEFAULT_DEPTH {
            return None;
        }
        if !a.int_enum.is_empty() {
            let id = if a.int_enum.binary_search(&0).is_ok() { 0 } else { a.fallback_id()? };
            return Some(Ev::from(id));
        }
        Some(match (a.kind, a.type_name.as_str()) {
            (Kind::Obj, _) => {
                let node = self.target.objects.get(a.object.as_deref()?)?;
                let mut o = Obj::new();
                for n in &node.required {
                    let sub = node.attrs.get(n)?;
                    o.insert(n.clone(), self.default(sub, depth + 1)?);
                }
                for group in &node.at_least_one {
                    if !group.iter().any(|n| o.contains_key(n)) {
                        let (n, v) = group.iter().find_map(|n| {
                            let sub = node.attrs.get(n)?;
                            Some((n.clone(), self.default(sub, depth + 1)?))
                        })?;
                        o.insert(n, v);
                    }
                }
                Ev::Obj(o)
            }
            (_, "timestamp_t") => Ev::from(self.reference_ms),
            (Kind::Int, _) | (Kind::Num, _) => Ev::from(0),
            (Kind::Bool, _) => Ev::from(false),
            // Formatted strings (addresses, ids, e-mail) have no honest "unknown": their
            // pattern refuses the word.
            (Kind::Str, _) if a.allows_str("Unknown") => Ev::Str(Cow::Borrowed("Unknown")),
            _ => return None,
        })
    }
}

/// Where a value at `path` goes in `unmapped`: under the source field it came from, as the
/// builder's repair does, else `ocsf.<path>`.
fn key_for(mapped: &[MappedField], path: &str) -> String {
    let clean: Cow<'_, str> =
        if path.contains('[') { Cow::Owned(strip_indices(path)) } else { Cow::Borrowed(path) };
    match mapped.iter().find(|m| *m.attribute == *clean) {
        Some(m) => m.source.to_string(),
        None => {
            let mut k = String::with_capacity(5 + path.len());
            k.push_str("ocsf.");
            k.push_str(path);
            k
        }
    }
}
