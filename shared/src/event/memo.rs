//! Validation remembered per event skeleton. Events of one record shape come out of the
//! builder with the same keys, nesting and JSON value types; for those, everything the
//! validator checks except a few value tests (integer and port ranges, string formats, enum
//! membership) is already settled by the first clean validation. The skeleton (keys, array
//! lengths, value types, base ids, declared profiles) is hashed in one walk that also
//! collects the leaves; the value tests the first validation found applicable then run on
//! them, leaf by leaf.
//!
//! Clean outcomes are remembered, and so are failures made only of errors the skeleton alone
//! decides (an attribute missing, unknown, or a constraint on which attributes are present):
//! events of the builder that need the same repair every time get its error list back. An
//! event that fails any value test, or whose skeleton is new, goes through the full validator.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use super::tree::{Ev, Obj};

use super::fasthash::{mix, mix_bytes, FastMap, SEED};
use super::index::{AttrNode, Format, Index, Kind, Node};
use super::validate::{self, ErrorKind, ValidationError};
use crate::schema::Schema;

/// Skeletons kept; the table is cleared when full (shapes churn rarely; a cleared table
/// only costs full validations until it refills).
const CAPACITY: usize = 16_384;

/// The value test of one leaf (by its position in walk order).
#[derive(Debug)]
struct LeafTest {
    ordinal: u32,
    kind: Kind,
    enum_ids: Box<[i64]>,
    str_enum: &'static [&'static str],
}

impl LeafTest {
    fn passes(&self, v: &Ev) -> bool {
        validate::scalar_error(self.kind, self.str_enum, &self.enum_ids, v).is_none()
    }
}

#[derive(Debug)]
struct Entry {
    leaves: u32,
    tests: Box<[LeafTest]>,
    /// What the full validator found (empty: clean).
    errors: Arc<[ValidationError]>,
}

#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// By skeleton hash mixed with the class.
    table: Mutex<FastMap<u64, Arc<Entry>>>,
}

impl Memo {
    /// True when `event` has a skeleton that validated clean for `class_uid` before (the base
    /// ids are part of the skeleton) and its values pass that skeleton's value tests.
    #[cfg(test)]
    pub fn clean(&self, class_uid: u32, event: &Ev) -> bool {
        self.known(class_uid, event).is_some_and(|e| e.is_empty())
    }

    /// What the full validator would find in `event` for `class_uid`, when its skeleton was
    /// validated before and its values pass that skeleton's value tests.
    pub fn known(&self, class_uid: u32, event: &Ev) -> Option<Arc<[ValidationError]>> {
        let obj = event.as_object()?;
        let mut leaves: Vec<&Ev> = Vec::with_capacity(64);
        let skeleton = skeleton(obj, &mut leaves);
        let entry = self.table.lock().ok()?.get(&mix(skeleton, u64::from(class_uid)))?.clone();
        let pass = leaves.len() == entry.leaves as usize
            && entry
                .tests
                .iter()
                .all(|t| leaves.get(t.ordinal as usize).is_some_and(|v| t.passes(v)));
        pass.then(|| entry.errors.clone())
    }

    /// Remembers what the full validator found in `event` for `class_uid`, when the skeleton
    /// alone decides it.
    pub fn learn(
        &self,
        schema: &Schema,
        index: &Index,
        class_uid: u32,
        event: &Ev,
        errors: &Arc<[ValidationError]>,
    ) {
        if !errors.iter().all(|e| {
            matches!(
                e.kind,
                ErrorKind::MissingRequired | ErrorKind::Constraint | ErrorKind::UnknownAttribute
            )
        }) {
            return;
        }
        let Some(obj) = event.as_object() else { return };
        let Some(class) = index.class(schema, class_uid) else { return };
        let mut l = Learn { schema, index, ordinal: 0, tests: Vec::new() };
        l.object(Some(class), obj, true);
        let entry = Arc::new(Entry {
            leaves: l.ordinal,
            tests: l.tests.into_boxed_slice(),
            errors: errors.clone(),
        });
        let key = mix(skeleton(obj, &mut Vec::new()), u64::from(class_uid));
        if let Ok(mut t) = self.table.lock() {
            if t.len() >= CAPACITY {
                t.clear();
            }
            t.insert(key, entry);
        }
    }
}

/// Keys, nesting, array lengths and value types of everything but `unmapped`, the values of
/// the base ids (`class_uid`, `category_uid`, `activity_id`, `type_uid`), and the declared
/// profiles (they decide which attributes are allowed). Collects the leaves in walk
/// order: map order, arrays in order, top-level `unmapped` skipped (as [`Learn`] counts).
fn skeleton<'v>(obj: &'v Obj, leaves: &mut Vec<&'v Ev>) -> u64 {
    fn value<'v>(h: u64, v: &'v Ev, leaves: &mut Vec<&'v Ev>) -> u64 {
        let tag = match v {
            Ev::Arr(items) => {
                return items
                    .iter()
                    .fold(mix(h, 6 | (items.len() as u64) << 8), |h, i| value(h, i, leaves))
            }
            Ev::Obj(m) => return mix(object(mix(h, 7), m, false, leaves), 8),
            Ev::Null => 1,
            Ev::Bool(_) => 2,
            Ev::Float(_) => 3,
            Ev::Int(_) | Ev::UInt(_) => 4,
            Ev::Str(_) => 5,
        };
        leaves.push(v);
        mix(h, tag)
    }
    fn object<'v>(mut h: u64, m: &'v Obj, top: bool, leaves: &mut Vec<&'v Ev>) -> u64 {
        for (key, v) in m.entries() {
            let k: &str = key;
            if top {
                match k {
                    "unmapped" => continue,
                    // The ids the validator checks against each other and the class.
                    "class_uid" | "category_uid" | "activity_id" | "type_uid" => {
                        h = mix(h, v.as_i64().map_or(u64::MAX, |n| n as u64))
                    }
                    _ => {}
                }
            }
            // A borrowed key is an interned schema name or a literal: its address names it.
            // (A name met both ways hashes two ways: a memo miss, never a wrong answer.)
            let h_key = match key {
                Cow::Borrowed(s) => mix(h, (s.as_ptr() as u64) ^ ((s.len() as u64) << 48)),
                Cow::Owned(s) => mix_bytes(h, s.as_bytes()),
            };
            h = value(h_key, v, leaves);
        }
        h
    }
    let mut h = object(SEED, obj, true, leaves);
    if let Some(Ev::Arr(p)) = obj.get("metadata").and_then(|m| m.get("profiles")) {
        for s in p.iter().filter_map(Ev::as_str) {
            h = mix_bytes(h, s.as_bytes());
        }
    }
    h
}

/// The walk that records which leaves need a value test, resolving each leaf's attribute.
struct Learn<'a> {
    schema: &'a Schema,
    index: &'a Index,
    ordinal: u32,
    tests: Vec<LeafTest>,
}

impl Learn<'_> {
    fn object(&mut self, node: Option<&Node>, m: &Obj, top: bool) {
        for (k, v) in m {
            if top && k == "unmapped" {
                continue;
            }
            let attr = node.and_then(|n| n.attrs.get(k));
            self.value(attr, v);
        }
    }

    fn value(&mut self, attr: Option<&AttrNode>, v: &Ev) {
        match v {
            Ev::Obj(m) => {
                let child = attr.and_then(|a| match a.kind {
                    Kind::Object(Some(i)) => {
                        self.index.object(self.schema, i).filter(|n| !n.attrs.is_empty())
                    }
                    _ => None,
                });
                self.object(child, m, false);
            }
            Ev::Arr(items) => items.iter().for_each(|i| self.value(attr, i)),
            _ => {
                if let Some(a) = attr.filter(|a| needs_test(a)) {
                    self.tests.push(LeafTest {
                        ordinal: self.ordinal,
                        kind: a.kind,
                        enum_ids: a.enum_ids.clone(),
                        str_enum: a.str_enum,
                    });
                }
                self.ordinal += 1;
            }
        }
    }
}

/// Leaves whose JSON type alone (fixed by the skeleton) does not settle their validity.
fn needs_test(a: &AttrNode) -> bool {
    !a.enum_ids.is_empty()
        || !a.str_enum.is_empty()
        || matches!(a.kind, Kind::Int32 | Kind::Port)
        || matches!(a.kind, Kind::Str(f) if f != Format::Any)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{json, Value};

    use super::*;

    const SCHEMA: &str = r#"{
      "version": "1.8.0",
      "categories": {"network": {"uid": 4, "caption": "Network Activity"}},
      "classes": {"network_activity": {"uid": 4001, "caption": "Network Activity", "category": "network",
        "attributes": {
          "activity_id": {"type": "integer_t", "enum": {"0": {"caption": "Unknown"}, "1": {"caption": "Open"}, "99": {"caption": "Other"}}},
          "class_uid": {"type": "integer_t"}, "category_uid": {"type": "integer_t"}, "type_uid": {"type": "long_t"},
          "message": {"type": "string_t"}, "time": {"type": "timestamp_t"},
          "src_endpoint": {"type": "network_endpoint"},
          "unmapped": {"type": "object"}}}},
      "objects": {"network_endpoint": {"caption": "Endpoint", "attributes": {"ip": {"type": "ip_t"}, "port": {"type": "port_t"}, "hostname": {"type": "string_t"}}}}
    }"#;

    fn event(activity: i64, ip: &str, port: i64) -> Value {
        json!({"class_uid": 4001, "category_uid": 4, "activity_id": activity, "type_uid": 400100 + activity, "time": 1,
               "message": "m", "src_endpoint": {"ip": ip, "port": port}, "unmapped": {"anything": [1, {"x": "y"}]}})
    }

    #[test]
    fn a_clean_skeleton_vouches_only_for_values_that_pass_its_tests() {
        let schema = Schema::from_slice(SCHEMA.as_bytes(), Path::new("t.json")).expect("schema");
        let index = Index::new(&schema);
        let memo = Memo::default();
        let first = event(1, "192.0.2.1", 443);
        assert!(validate::validate_with(&index, &schema, 4001, &Ev::from(&first)).is_empty());
        assert!(!memo.clean(4001, &Ev::from(&first)), "nothing learned yet");
        memo.learn(&schema, &index, 4001, &Ev::from(&first), &Arc::from(Vec::new()));
        assert!(memo.clean(4001, &Ev::from(&first)));
        // Same skeleton, other values that are valid; `unmapped` content is free.
        let mut other = event(1, "2001:db8::1", 22);
        other["unmapped"] = json!({"z": null});
        assert!(memo.clean(4001, &Ev::from(&other)));
        // The base ids are part of the skeleton: another activity is checked in full once.
        assert!(!memo.clean(4001, &Ev::from(&event(99, "192.0.2.1", 443))));
        // Same skeleton, values the full validator rejects.
        for bad in
            [event(7, "192.0.2.1", 443), event(1, "not-an-ip", 443), event(1, "192.0.2.1", 70_000)]
        {
            assert!(!validate::validate_with(&index, &schema, 4001, &Ev::from(&bad)).is_empty());
            assert!(!memo.clean(4001, &Ev::from(&bad)), "{bad}");
        }
        // Inconsistent ids, another class, another skeleton.
        let mut wrong_type = event(1, "192.0.2.1", 443);
        wrong_type["type_uid"] = json!(400199);
        assert!(!memo.clean(4001, &Ev::from(&wrong_type)));
        assert!(!memo.clean(3002, &Ev::from(&first)));
        let mut extra = event(1, "192.0.2.1", 443);
        extra["src_endpoint"]["domain"] = json!("x");
        assert!(!memo.clean(4001, &Ev::from(&extra)));
        let mut as_text = event(1, "192.0.2.1", 443);
        as_text["src_endpoint"]["port"] = json!("443");
        assert!(!memo.clean(4001, &Ev::from(&as_text)));
    }

    #[test]
    fn failures_the_skeleton_decides_are_remembered_with_their_errors() {
        let schema = Schema::from_slice(SCHEMA.as_bytes(), Path::new("t.json")).expect("schema");
        let index = Index::new(&schema);
        let memo = Memo::default();
        let with_extra = |ip: &str, port: i64| {
            let mut v = event(1, ip, port);
            v["bogus"] = json!(true);
            Ev::from(&v)
        };
        let first = with_extra("192.0.2.1", 443);
        let errors: Arc<[ValidationError]> =
            validate::validate_with(&index, &schema, 4001, &first).into();
        assert_eq!(
            errors.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [ErrorKind::UnknownAttribute]
        );
        memo.learn(&schema, &index, 4001, &first, &errors);
        // Same skeleton, other valid values: the same errors, as the full validator finds.
        let other = with_extra("2001:db8::1", 22);
        assert_eq!(
            memo.known(4001, &other).as_deref(),
            Some(&validate::validate_with(&index, &schema, 4001, &other)[..])
        );
        assert!(!memo.clean(4001, &other));
        // A value the full validator rejects as well: not vouched for.
        assert!(memo.known(4001, &with_extra("192.0.2.1", 70_000)).is_none());
        // Value errors are not remembered at all.
        let bad = Ev::from(&event(1, "192.0.2.1", 70_000));
        let value_errors: Arc<[ValidationError]> =
            validate::validate_with(&index, &schema, 4001, &bad).into();
        assert!(!value_errors.is_empty());
        memo.learn(&schema, &index, 4001, &bad, &value_errors);
        assert!(memo.known(4001, &bad).is_none());
    }
}
