//! The event as the builder holds it: a JSON tree whose objects are key-sorted vectors and
//! whose schema-given keys are interned `&'static str`s. `serde_json::Value` keeps each
//! object in a B-tree of owned `String` keys; building, checking and dropping those trees
//! was about half of an event's cost. Output (serde, `Display`) is the same JSON text
//! `Value` gives: keys in byte order, numbers and escapes as serde_json writes them.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;
use std::sync::{LazyLock, Mutex};

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// An object key: interned schema names and literals borrow, record field names own.
pub type Key = Cow<'static, str>;

/// One JSON value of an event.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Ev {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    /// Only integers above `i64::MAX`.
    UInt(u64),
    /// Always finite.
    Float(f64),
    /// Names from the schema and the plan borrow (no copy per event); values from records own.
    Str(Cow<'static, str>),
    Arr(Vec<Ev>),
    Obj(Obj),
}

/// A JSON object: entries sorted by key bytes, keys unique.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Obj(Vec<(Key, Ev)>);

/// Byte order, as `str`'s `Ord`, without a `memcmp` call for short keys.
#[inline]
pub(crate) fn cmp_key(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

impl Obj {
    pub fn new() -> Self {
        Obj(Vec::new())
    }

    /// From entries in any order; a later key replaces an earlier one, as inserts would.
    pub fn from_entries(mut entries: Vec<(Key, Ev)>) -> Self {
        entries.reverse();
        // Stable: of equal keys the last inserted now comes first, and dedup keeps it.
        entries.sort_by(|a, b| cmp_key(&a.0, &b.0));
        entries.dedup_by(|later, first| later.0 == first.0);
        Obj(entries)
    }

    /// From entries already sorted by key with no key twice (checked in debug builds).
    pub(crate) fn from_sorted(entries: Vec<(Key, Ev)>) -> Self {
        debug_assert!(entries.windows(2).all(|w| cmp_key(&w[0].0, &w[1].0) == Ordering::Less));
        Obj(entries)
    }

    /// Adds `other` (sorted by key, no key twice) in one merge; its values replace this
    /// object's under the same key. `spare` more entries fit without regrowing.
    pub(crate) fn merge_sorted(&mut self, other: Vec<(Key, Ev)>, spare: usize) {
        debug_assert!(other.windows(2).all(|w| cmp_key(&w[0].0, &w[1].0) == Ordering::Less));
        let mut out = Vec::with_capacity(self.0.len() + other.len() + spare);
        let mut mine = std::mem::take(&mut self.0).into_iter().peekable();
        for (k, v) in other {
            while let Some(e) = mine.next_if(|(m, _)| cmp_key(m, &k) == Ordering::Less) {
                out.push(e);
            }
            // Replaced.
            let _ = mine.next_if(|(m, _)| *m == k);
            out.push((k, v));
        }
        out.extend(mine);
        self.0 = out;
    }

    #[inline]
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| cmp_key(k, key))
    }

    pub fn get(&self, key: &str) -> Option<&Ev> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Ev> {
        self.find(key).ok().map(move |i| &mut self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key`, returning the value it replaces.
    pub fn insert(&mut self, key: impl Into<Key>, value: Ev) -> Option<Ev> {
        let key = key.into();
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Sets `key` only if absent; otherwise hands back the present value and the new one.
    pub fn insert_new(&mut self, key: impl Into<Key>, value: Ev) -> Result<(), (&mut Ev, Ev)> {
        let key = key.into();
        match self.find(&key) {
            Ok(i) => Err((&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                Ok(())
            }
        }
    }

    /// The value at `key`, inserting `make()` first when absent.
    pub fn get_or_insert_with(
        &mut self,
        key: impl Into<Key>,
        make: impl FnOnce() -> Ev,
    ) -> &mut Ev {
        let key = key.into();
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, make()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Keeps the entries `keep` says yes to (it may change their values) and returns the
    /// others, in key order; one pass, no key copied.
    pub(crate) fn drain_where(
        &mut self,
        mut keep: impl FnMut(&str, &mut Ev) -> bool,
    ) -> Vec<(Key, Ev)> {
        let mut out = Vec::new();
        let mut kept = Vec::with_capacity(self.0.len());
        for (k, mut v) in std::mem::take(&mut self.0) {
            if keep(&k, &mut v) {
                kept.push((k, v));
            } else {
                out.push((k, v));
            }
        }
        self.0 = kept;
        out
    }

    pub fn remove(&mut self, key: &str) -> Option<Ev> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Ev)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Ev)> {
        self.0.iter_mut().map(|(k, v)| (&**k, v))
    }

    pub fn entries(&self) -> &[(Key, Ev)] {
        &self.0
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| &**k)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_map(&self) -> serde_json::Map<String, Value> {
        self.0.iter().map(|(k, v)| (k.to_string(), v.to_value())).collect()
    }
}

type Entry<'a> = (&'a str, &'a Ev);

impl<'a> IntoIterator for &'a Obj {
    type Item = Entry<'a>;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (Key, Ev)>, fn(&'a (Key, Ev)) -> Entry<'a>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (&**k, v))
    }
}

impl Ev {
    /// A string that needs no copy.
    pub fn name(s: &'static str) -> Self {
        Ev::Str(Cow::Borrowed(s))
    }

    pub fn as_object(&self) -> Option<&Obj> {
        match self {
            Ev::Obj(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut Obj> {
        match self {
            Ev::Obj(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Ev>> {
        match self {
            Ev::Arr(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Ev>> {
        match self {
            Ev::Arr(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Ev::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Ev::Int(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Ev::Int(n) => u64::try_from(n).ok(),
            Ev::UInt(n) => Some(n),
            _ => None,
        }
    }

    /// An integer (of either sign), as opposed to a decimal.
    pub fn is_integer(&self) -> bool {
        matches!(self, Ev::Int(_) | Ev::UInt(_))
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Ev::Int(_) | Ev::UInt(_) | Ev::Float(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Ev::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Ev::Obj(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Ev::Arr(_))
    }

    /// An object's member.
    pub fn get(&self, key: &str) -> Option<&Ev> {
        self.as_object()?.get(key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Ev> {
        self.as_object_mut()?.get_mut(key)
    }

    /// Compact JSON text (what `Display` writes, without its extra copy).
    pub fn to_json(&self) -> String {
        // Cannot fail: keys are strings and numbers finite.
        serde_json::to_string(self).unwrap_or_else(|_| "null".into())
    }

    pub fn to_value(&self) -> Value {
        match self {
            Ev::Null => Value::Null,
            Ev::Bool(b) => Value::Bool(*b),
            Ev::Int(n) => Value::from(*n),
            Ev::UInt(n) => Value::from(*n),
            Ev::Float(x) => Value::from(*x),
            Ev::Str(s) => Value::from(&**s),
            Ev::Arr(a) => Value::Array(a.iter().map(Ev::to_value).collect()),
            Ev::Obj(o) => Value::Object(o.to_map()),
        }
    }
}

impl From<&Value> for Ev {
    fn from(v: &Value) -> Self {
        match v {
            Value::Null => Ev::Null,
            Value::Bool(b) => Ev::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Ev::Int(i),
                (None, Some(u), _) => Ev::UInt(u),
                (_, _, Some(x)) => Ev::from(x),
                _ => Ev::Null,
            },
            Value::String(s) => Ev::from(s.clone()),
            Value::Array(a) => Ev::Arr(a.iter().map(Ev::from).collect()),
            Value::Object(m) => Ev::Obj(Obj::from_entries(
                m.iter().map(|(k, v)| (Key::Owned(k.clone()), Ev::from(v))).collect(),
            )),
        }
    }
}

impl From<Value> for Ev {
    fn from(v: Value) -> Self {
        match v {
            Value::String(s) => Ev::from(s),
            other => Ev::from(&other),
        }
    }
}

impl From<&str> for Ev {
    fn from(s: &str) -> Self {
        Ev::Str(Cow::Owned(s.to_string()))
    }
}

impl From<String> for Ev {
    fn from(s: String) -> Self {
        Ev::Str(Cow::Owned(s))
    }
}

impl From<&String> for Ev {
    fn from(s: &String) -> Self {
        Ev::Str(Cow::Owned(s.clone()))
    }
}

/// Integers that fit `i64`.
macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Ev {
            fn from(n: $t) -> Self {
                Ev::Int(n.into())
            }
        }
    )*};
}
from_int!(i64, i32, u32, u16, u8);

impl From<bool> for Ev {
    fn from(b: bool) -> Self {
        Ev::Bool(b)
    }
}

/// Non-finite numbers have no JSON form: null, as `serde_json::Value::from` makes them.
impl From<f64> for Ev {
    fn from(x: f64) -> Self {
        if x.is_finite() {
            Ev::Float(x)
        } else {
            Ev::Null
        }
    }
}

static NULL: Ev = Ev::Null;

/// `ev["key"]`: the member, or null (as `serde_json::Value` indexes).
impl std::ops::Index<&str> for Ev {
    type Output = Ev;
    fn index(&self, key: &str) -> &Ev {
        self.get(key).unwrap_or(&NULL)
    }
}

impl PartialEq<&str> for Ev {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<str> for Ev {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<String> for Ev {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == Some(other.as_str())
    }
}

impl PartialEq<i64> for Ev {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

impl PartialEq<Value> for Ev {
    fn eq(&self, other: &Value) -> bool {
        self.to_value() == *other
    }
}

impl Serialize for Ev {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ev::Null => s.serialize_unit(),
            Ev::Bool(b) => s.serialize_bool(*b),
            Ev::Int(n) => s.serialize_i64(*n),
            Ev::UInt(n) => s.serialize_u64(*n),
            Ev::Float(x) => s.serialize_f64(*x),
            Ev::Str(x) => s.serialize_str(x),
            Ev::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Ev::Obj(o) => o.serialize(s),
        }
    }
}

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(&**k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Ev {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(Ev::from)
    }
}

/// Compact JSON, as `serde_json::Value`'s `Display`.
impl fmt::Display for Ev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

static INTERNED: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Default::default);

/// The one `'static` copy of `s`. For schema names only (a bounded set): each distinct
/// string is kept for the life of the process.
pub(crate) fn intern(s: &str) -> &'static str {
    let Ok(mut set) = INTERNED.lock() else { return Box::leak(s.into()) };
    if let Some(k) = set.get(s) {
        return k;
    }
    let k: &'static str = Box::leak(s.into());
    set.insert(k);
    k
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn round_trips_and_prints_as_serde_json_does() {
        let v = json!({"b": [1, -2, 18446744073709551615u64, 1.5, "x\"\n\u{1}é"], "a": {"z": null, "m": true}, "ab": {}, "": 0});
        let e = Ev::from(&v);
        assert_eq!(e.to_value(), v);
        assert_eq!(e.to_string(), v.to_string());
        assert_eq!(e.to_json(), v.to_string());
        assert_eq!(
            serde_json::to_string_pretty(&e).unwrap(),
            serde_json::to_string_pretty(&v).unwrap()
        );
        assert_eq!(e["a"]["m"], Ev::Bool(true));
        assert!(e["missing"]["deeper"].is_null());
    }

    #[test]
    fn objects_keep_keys_sorted_and_unique() {
        let mut o = Obj::new();
        for k in ["src", "a", "src_endpoint", "s", "b"] {
            assert!(o.insert(k, Ev::from(k)).is_none());
        }
        assert_eq!(o.insert("a", Ev::from(1)), Some(Ev::from("a")));
        assert_eq!(o.keys().collect::<Vec<_>>(), ["a", "b", "s", "src", "src_endpoint"]);
        assert!(o.insert_new("b", Ev::Null).is_err());
        let mut merged = o.clone();
        merged.merge_sorted(
            vec![("0".into(), Ev::Int(0)), ("b".into(), Ev::Int(2)), ("zz".into(), Ev::Null)],
            0,
        );
        assert_eq!(
            merged.keys().collect::<Vec<_>>(),
            ["0", "a", "b", "s", "src", "src_endpoint", "zz"]
        );
        assert_eq!(merged.get("b"), Some(&Ev::Int(2)));
        assert_eq!(o.remove("s"), Some(Ev::from("s")));
        assert!(!o.contains_key("s"));
        *o.get_or_insert_with("c", || Ev::Int(0)) = Ev::Int(3);
        assert_eq!(o.get("c"), Some(&Ev::Int(3)));
        let from = Obj::from_entries(vec![
            ("k".into(), Ev::Int(1)),
            ("a".into(), Ev::Null),
            ("k".into(), Ev::Int(2)),
        ]);
        assert_eq!(
            from.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Vec<_>>(),
            [("a".into(), Ev::Null), ("k".into(), Ev::Int(2))]
        );
    }

    #[test]
    fn non_finite_numbers_are_null() {
        assert_eq!(Ev::from(f64::NAN), Ev::Null);
        assert_eq!(Ev::from(f64::INFINITY).to_string(), "null");
    }

    #[test]
    fn interning_returns_one_copy() {
        let a = intern(&String::from("src_endpoint"));
        let b = intern("src_endpoint");
        assert!(std::ptr::eq(a, b));
    }
}
