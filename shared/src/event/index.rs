//! The schema compiled for checking events fast: per class and per object, attributes in a
//! hashed table with their value kind, enum ids and profile gating, the required ones and the
//! constraints in lists. Nodes compile on first use and are shared afterwards, so a
//! long-lived [`super::Mapper`] pays for each class once.

use std::sync::{Mutex, OnceLock};

use super::fasthash::FastMap;
use super::rules;
use crate::schema::{Attribute, Requirement, Schema};

/// String formats the schema constrains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Any,
    Ip,
    Mac,
    Uuid,
    Datetime,
    Email,
    Subnet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int32,
    Long,
    Port,
    Float,
    Bool,
    Json,
    Str(Format),
    /// Index into [`Index::objects`]; `None` for the generic `object` (any content).
    Object(Option<usize>),
}

#[derive(Debug)]
pub(crate) struct AttrNode {
    pub kind: Kind,
    pub is_array: bool,
    pub enum_ids: Box<[i64]>,
    /// Allowed values of an enumerated string attribute (empty: any).
    pub str_enum: &'static [&'static str],
    pub profiles: &'static [&'static str],
}

#[derive(Debug)]
pub(crate) struct Node {
    /// `class 3002` / `object `user`` for messages.
    pub label: String,
    /// Object name (`None` for a class).
    pub object: Option<String>,
    pub attrs: FastMap<Box<str>, AttrNode>,
    /// Required attributes with the profiles that gate them.
    pub required: Vec<(Box<str>, &'static [&'static str])>,
    /// Required, single, enumerated attributes whose enum has 0 (Unknown).
    pub unknown_defaults: Vec<&'static str>,
    /// (just_one?, attribute names or paths).
    pub constraints: Vec<(bool, Vec<Box<str>>)>,
    /// Attributes gated by profiles, sorted by name (as an event's keys are): walked beside
    /// an event's keys instead of looking every key up.
    pub profiled: Vec<(Box<str>, &'static [&'static str])>,
    /// A class's own `at_least_one` list as the schema states it (empty for objects).
    pub schema_at_least_one: Vec<Box<str>>,
}

pub(crate) struct Index {
    object_ids: FastMap<Box<str>, usize>,
    object_names: Vec<String>,
    objects: Vec<OnceLock<Node>>,
    class_ids: FastMap<u32, usize>,
    classes: Vec<OnceLock<Node>>,
    /// Repair's default objects by (object name, nesting depth); `None` when none can be made.
    defaults: Mutex<FastMap<(usize, usize), Option<super::tree::Ev>>>,
}

impl Index {
    pub fn new(schema: &Schema) -> Self {
        let object_names: Vec<String> = schema.objects.keys().cloned().collect();
        let object_ids =
            object_names.iter().enumerate().map(|(i, n)| (n.clone().into_boxed_str(), i)).collect();
        let objects = object_names.iter().map(|_| OnceLock::new()).collect();
        let class_ids = schema.classes.iter().enumerate().map(|(i, c)| (c.uid, i)).collect();
        let classes = schema.classes.iter().map(|_| OnceLock::new()).collect();
        Index { object_ids, object_names, objects, class_ids, classes, defaults: Mutex::default() }
    }

    pub fn class(&self, schema: &Schema, uid: u32) -> Option<&Node> {
        let i = *self.class_ids.get(&uid)?;
        let slot = self.classes.get(i)?;
        if let Some(n) = slot.get() {
            return Some(n);
        }
        let c = schema.classes.get(i)?;
        Some(slot.get_or_init(|| {
            let gate = |name: &str| rules::class_attribute_profiles(uid, name);
            let mut n = self.compile(format!("class {uid}"), None, &c.attributes, &gate);
            if let Some(l) = c.constraints.get("at_least_one") {
                n.schema_at_least_one = l.iter().map(|s| s.clone().into_boxed_str()).collect();
            }
            for (kind, names) in &c.constraints {
                if let Some(just_one) = constraint_kind(kind) {
                    n.constraints.push((
                        just_one,
                        names.iter().map(|s| s.clone().into_boxed_str()).collect(),
                    ));
                }
            }
            for (_, kind, names) in rules::CLASS_CONSTRAINTS.iter().filter(|(c, _, _)| *c == uid) {
                if let Some(just_one) = constraint_kind(kind) {
                    n.constraints
                        .push((just_one, names.iter().map(|s| Box::<str>::from(*s)).collect()));
                }
            }
            n
        }))
    }

    /// A default object kept by [`Index::keep_default_object`]: `Some(None)` when none can
    /// be made, `None` when not known yet.
    pub fn default_object(&self, name: &str, depth: usize) -> Option<Option<super::tree::Ev>> {
        let id = *self.object_ids.get(name)?;
        self.defaults.lock().ok()?.get(&(id, depth)).cloned()
    }

    pub fn keep_default_object(&self, name: &str, depth: usize, value: Option<super::tree::Ev>) {
        let Some(&id) = self.object_ids.get(name) else { return };
        if let Ok(mut d) = self.defaults.lock() {
            d.insert((id, depth), value);
        }
    }

    pub fn object(&self, schema: &Schema, i: usize) -> Option<&Node> {
        let slot = self.objects.get(i)?;
        if let Some(n) = slot.get() {
            return Some(n);
        }
        let name = self.object_names.get(i)?;
        let o = schema.objects.get(name)?;
        Some(slot.get_or_init(|| {
            let gate = |attr: &str| rules::object_attribute_profiles(name, attr);
            let mut n =
                self.compile(format!("object `{name}`"), Some(name.clone()), &o.attributes, &gate);
            for (kind, names) in rules::object_constraints(name) {
                if let Some(just_one) = constraint_kind(kind) {
                    n.constraints
                        .push((just_one, names.iter().map(|s| Box::<str>::from(*s)).collect()));
                }
            }
            n
        }))
    }

    fn compile(
        &self,
        label: String,
        object: Option<String>,
        attrs: &std::collections::BTreeMap<String, Attribute>,
        gate: &dyn Fn(&str) -> &'static [&'static str],
    ) -> Node {
        let mut table = FastMap::default();
        let mut required = Vec::new();
        let mut unknown_defaults = Vec::new();
        let mut profiled = Vec::new();
        for (name, a) in attrs {
            let profiles = gate(name);
            if !profiles.is_empty() {
                profiled.push((name.clone().into_boxed_str(), profiles));
            }
            let kind = self.kind_of(a);
            if a.requirement == Requirement::Required {
                required.push((name.clone().into_boxed_str(), profiles));
                if profiles.is_empty()
                    && !a.is_array
                    && a.enum_values.contains_key(&0)
                    && kind == Kind::Int32
                {
                    unknown_defaults.push(super::tree::intern(name));
                }
            }
            let enum_ids = a.enum_values.keys().copied().collect();
            let str_enum = object.as_deref().map(|o| rules::string_enum(o, name)).unwrap_or(&[]);
            table.insert(
                name.clone().into_boxed_str(),
                AttrNode { kind, is_array: a.is_array, enum_ids, str_enum, profiles },
            );
        }
        Node {
            label,
            object,
            attrs: table,
            required,
            unknown_defaults,
            constraints: Vec::new(),
            profiled,
            schema_at_least_one: Vec::new(),
        }
    }

    fn kind_of(&self, a: &Attribute) -> Kind {
        match a.type_name.as_str() {
            "object_t" => {
                let id = a.object_type.as_deref().and_then(|o| self.object_ids.get(o).copied());
                Kind::Object(id)
            }
            "integer_t" => Kind::Int32,
            "long_t" | "timestamp_t" => Kind::Long,
            "port_t" => Kind::Port,
            "float_t" => Kind::Float,
            "boolean_t" => Kind::Bool,
            "json_t" => Kind::Json,
            "ip_t" => Kind::Str(Format::Ip),
            "mac_t" => Kind::Str(Format::Mac),
            "uuid_t" => Kind::Str(Format::Uuid),
            "datetime_t" => Kind::Str(Format::Datetime),
            "email_t" => Kind::Str(Format::Email),
            "subnet_t" => Kind::Str(Format::Subnet),
            _ => Kind::Str(Format::Any),
        }
    }
}

fn constraint_kind(kind: &str) -> Option<bool> {
    match kind {
        "at_least_one" => Some(false),
        "just_one" => Some(true),
        _ => None,
    }
}

impl Node {
    /// True when every `at_least_one` constraint of this node holds in `m`.
    pub fn identified(&self, m: &super::tree::Obj) -> bool {
        self.constraints
            .iter()
            .all(|(just_one, names)| *just_one || names.iter().any(|n| m.contains_key(n)))
    }
}
