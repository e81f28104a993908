//! OCSF schema model, loaded from a schema export.
//!
//! Two layouts are accepted: the schema server's `/export/schema` JSON (as shipped by PyPI
//! `ocsf-json-schema`) and the `ocsf-lib` compiled file (same structure plus `dictionary`).
//! They differ in how object-typed attributes are written (`object_t` + `object_type` versus
//! the object name as the type) and in whether classes carry `category_uid`; both are
//! normalised here so the rest of the engine sees one model.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read OCSF schema {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("OCSF schema {path} is not valid JSON: {source}")]
    Json { path: PathBuf, source: serde_json::Error },
    #[error("OCSF schema {path}: {what}")]
    Invalid { path: PathBuf, what: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Required,
    Recommended,
    Optional,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumValue {
    pub caption: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub caption: String,
    pub description: String,
    /// Scalar type name (`string_t`, `integer_t`, `ip_t`, ...) or `object_t`.
    pub type_name: String,
    /// For `object_t`: the object's name (`user`, `endpoint`, ...).
    pub object_type: Option<String>,
    pub requirement: Requirement,
    pub is_array: bool,
    /// Enumerated values, keyed by their integer id.
    pub enum_values: BTreeMap<i64, EnumValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: i64,
    pub caption: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Class {
    pub uid: u32,
    pub name: String,
    pub caption: String,
    pub description: String,
    pub category: String,
    pub category_uid: u32,
    pub deprecated: bool,
    /// The `activity_id` enum, sorted by id.
    pub activities: Vec<Activity>,
    /// The schema extension that defines the class (`win`), `None` for core classes: an
    /// extension class describes its platform's events only.
    pub extension: Option<String>,
    pub attributes: BTreeMap<String, Attribute>,
    /// `at_least_one` / `just_one` constraints, as attribute name lists.
    pub constraints: BTreeMap<String, Vec<String>>,
}

impl Class {
    pub fn activity(&self, id: i64) -> Option<&Activity> {
        self.activities.iter().find(|a| a.id == id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub uid: u32,
    pub name: String,
    pub caption: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    pub name: String,
    pub caption: String,
    pub description: String,
    pub attributes: BTreeMap<String, Attribute>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DictionaryEntry {
    pub caption: String,
    pub description: String,
    pub type_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub version: String,
    pub categories: BTreeMap<String, Category>,
    /// Every class including `base_event` (uid 0), sorted by uid.
    pub classes: Vec<Class>,
    pub objects: BTreeMap<String, Object>,
    pub dictionary: BTreeMap<String, DictionaryEntry>,
}

impl Schema {
    pub fn load(path: &Path) -> Result<Schema, SchemaError> {
        let bytes =
            std::fs::read(path).map_err(|source| SchemaError::Io { path: path.into(), source })?;
        Self::from_slice(&bytes, path)
    }

    /// Parse an export from memory; `path` is only used in error messages.
    pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Schema, SchemaError> {
        let root: Value = serde_json::from_slice(bytes)
            .map_err(|source| SchemaError::Json { path: path.into(), source })?;
        let invalid = |what: String| SchemaError::Invalid { path: path.into(), what };
        let root =
            root.as_object().ok_or_else(|| invalid("top level is not a JSON object".into()))?;
        let version = root
            .get("version")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("missing string `version`".into()))?
            .to_string();

        let mut categories = BTreeMap::new();
        // The server export nests categories under `attributes`; the compiled file does not.
        let cats = root
            .get("categories")
            .map(|c| c.get("attributes").filter(|a| a.is_object()).unwrap_or(c));
        for (name, c) in obj_entries(cats) {
            let uid = c
                .get("uid")
                .and_then(Value::as_u64)
                .ok_or_else(|| invalid(format!("category `{name}` has no uid")))?;
            categories.insert(
                name.clone(),
                Category {
                    uid: uid as u32,
                    name: name.clone(),
                    caption: text(c, "caption"),
                    description: text(c, "description"),
                },
            );
        }

        let class_map = root
            .get("classes")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("missing object `classes`".into()))?;
        let mut classes = Vec::with_capacity(class_map.len());
        for (key, c) in class_map {
            classes.push(parse_class(key, c, &categories).map_err(invalid)?);
        }
        if classes.is_empty() {
            return Err(invalid("`classes` is empty".into()));
        }
        if !classes.iter().any(|c| c.uid == 0) {
            // Exports without a `base_event` class still have the base event: synthesise it so
            // "fits no class" always has a home.
            classes.push(base_event_fallback());
        }
        classes.sort_by_key(|c| c.uid);

        let mut objects = BTreeMap::new();
        for (name, o) in obj_entries(root.get("objects")) {
            let attributes = parse_attributes(o.get("attributes"))
                .map_err(|e| invalid(format!("object `{name}`: {e}")))?;
            objects.insert(
                name.clone(),
                Object {
                    name: name.clone(),
                    caption: text(o, "caption"),
                    description: text(o, "description"),
                    attributes,
                },
            );
        }

        let mut dictionary = BTreeMap::new();
        let dict_attrs = root.get("dictionary").and_then(|d| d.get("attributes"));
        for (name, a) in obj_entries(dict_attrs) {
            dictionary.insert(
                name.clone(),
                DictionaryEntry {
                    caption: text(a, "caption"),
                    description: text(a, "description"),
                    type_name: text(a, "type"),
                },
            );
        }

        Ok(Schema { version, categories, classes, objects, dictionary })
    }

    pub fn class(&self, uid: u32) -> Option<&Class> {
        self.classes.binary_search_by_key(&uid, |c| c.uid).ok().map(|i| &self.classes[i])
    }

    /// Classes the classifier may choose: not deprecated (base event included).
    pub fn active_classes(&self) -> impl Iterator<Item = &Class> {
        self.classes.iter().filter(|c| !c.deprecated)
    }
}

fn obj_entries(v: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    v.and_then(Value::as_object).into_iter().flat_map(|m| m.iter())
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).map(strip_html).unwrap_or_default()
}

/// Descriptions carry light HTML (`<code>`, `<a href>`); keep the words only.
fn strip_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    out
}

fn is_deprecated(v: &Value) -> bool {
    matches!(v.get("@deprecated"), Some(d) if !d.is_null())
}

fn parse_class(
    key: &str,
    c: &Value,
    categories: &BTreeMap<String, Category>,
) -> Result<Class, String> {
    let uid = c
        .get("uid")
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("class `{key}` has no integer uid"))?;
    let uid = u32::try_from(uid).map_err(|_| format!("class `{key}` uid {uid} is out of range"))?;
    let category = c.get("category").and_then(Value::as_str).unwrap_or("other").to_string();
    let category_uid = c
        .get("category_uid")
        .and_then(Value::as_u64)
        .map(|u| u as u32)
        .or_else(|| categories.get(&category).map(|cat| cat.uid))
        .unwrap_or(0);
    let attributes =
        parse_attributes(c.get("attributes")).map_err(|e| format!("class `{key}`: {e}"))?;
    let mut activities: Vec<Activity> = attributes
        .get("activity_id")
        .map(|a| {
            a.enum_values
                .iter()
                .map(|(id, v)| Activity {
                    id: *id,
                    caption: v.caption.clone(),
                    description: v.description.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    activities.sort_by_key(|a| a.id);
    let mut constraints = BTreeMap::new();
    for (name, list) in obj_entries(c.get("constraints")) {
        let names = list
            .as_array()
            .map(|l| l.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default();
        constraints.insert(name.clone(), names);
    }
    Ok(Class {
        uid,
        name: c.get("name").and_then(Value::as_str).unwrap_or(key).to_string(),
        // The export says `extension`; the compiled schema keys the class `win/...`.
        extension: c
            .get("extension")
            .and_then(Value::as_str)
            .or_else(|| key.split_once('/').map(|(e, _)| e))
            .map(String::from),
        caption: text(c, "caption"),
        description: text(c, "description"),
        category,
        category_uid,
        deprecated: is_deprecated(c),
        activities,
        attributes,
        constraints,
    })
}

/// Scalar types whose name ends in `_t`; anything else in `type` is an object name (compiled layout).
fn parse_attributes(v: Option<&Value>) -> Result<BTreeMap<String, Attribute>, String> {
    let mut out = BTreeMap::new();
    for (name, a) in obj_entries(v) {
        if !a.is_object() {
            return Err(format!("attribute `{name}` is not an object"));
        }
        let raw_type = a.get("type").and_then(Value::as_str).unwrap_or("string_t");
        let (type_name, object_type) = if raw_type == "object_t" {
            ("object_t".to_string(), a.get("object_type").and_then(Value::as_str).map(String::from))
        } else if raw_type.ends_with("_t") {
            (raw_type.to_string(), None)
        } else {
            ("object_t".to_string(), Some(raw_type.to_string()))
        };
        let requirement = match a.get("requirement").and_then(Value::as_str) {
            Some("required") => Requirement::Required,
            Some("recommended") => Requirement::Recommended,
            _ => Requirement::Optional,
        };
        let mut enum_values = BTreeMap::new();
        for (k, e) in obj_entries(a.get("enum")) {
            // Enum keys are integers as strings; non-integer keys (rare, string enums) are skipped.
            if let Ok(id) = k.parse::<i64>() {
                enum_values.insert(
                    id,
                    EnumValue { caption: text(e, "caption"), description: text(e, "description") },
                );
            }
        }
        out.insert(
            name.clone(),
            Attribute {
                caption: text(a, "caption"),
                description: text(a, "description"),
                type_name,
                object_type,
                requirement,
                is_array: a.get("is_array").and_then(Value::as_bool).unwrap_or(false),
                enum_values,
            },
        );
    }
    Ok(out)
}

fn base_event_fallback() -> Class {
    let activities = vec![
        Activity { id: 0, caption: "Unknown".into(), description: String::new() },
        Activity { id: 99, caption: "Other".into(), description: String::new() },
    ];
    Class {
        uid: 0,
        name: "base_event".into(),
        caption: "Base Event".into(),
        description: "The base event is a generic and concrete event. It also defines a set of attributes available in most event classes.".into(),
        category: "other".into(),
        category_uid: 0,
        deprecated: false,
        activities,
        extension: None,
        attributes: BTreeMap::new(),
        constraints: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(json: &str) -> Result<Schema, SchemaError> {
        Schema::from_slice(json.as_bytes(), Path::new("test.json"))
    }

    const MINI: &str = r#"{
      "version": "1.8.0",
      "categories": {"network": {"uid": 4, "caption": "Network Activity", "description": "d"}},
      "classes": {
        "http_activity": {"uid": 4002, "name": "http_activity", "caption": "HTTP Activity", "category": "network",
          "description": "HTTP <code>requests</code>", "constraints": {"at_least_one": ["http_request", "http_response"]},
          "attributes": {
            "activity_id": {"type": "integer_t", "requirement": "required", "enum": {"1": {"caption": "Connect"}, "99": {"caption": "Other"}, "0": {"caption": "Unknown"}}},
            "http_request": {"type": "object_t", "object_type": "http_request", "requirement": "recommended"},
            "src_endpoint": {"type": "network_endpoint", "requirement": "optional"}
          }},
        "old": {"uid": 4099, "caption": "Old", "category": "network", "@deprecated": {"message": "gone", "since": "1.1.0"}, "attributes": {}}
      },
      "objects": {"user": {"caption": "User", "attributes": {"name": {"type": "string_t"}}}},
      "dictionary": {"attributes": {"ip": {"caption": "IP Address", "type": "ip_t", "description": "x"}}}
    }"#;

    #[test]
    fn loads_both_attribute_layouts_and_category_uid() {
        let s = load(MINI).unwrap();
        let c = s.class(4002).unwrap();
        assert_eq!(c.category_uid, 4);
        assert_eq!(c.description, "HTTP requests");
        assert_eq!(c.activities.iter().map(|a| a.id).collect::<Vec<_>>(), vec![0, 1, 99]);
        assert_eq!(c.attributes["http_request"].object_type.as_deref(), Some("http_request"));
        assert_eq!(c.attributes["src_endpoint"].object_type.as_deref(), Some("network_endpoint"));
        assert_eq!(c.attributes["activity_id"].requirement, Requirement::Required);
        assert_eq!(c.constraints["at_least_one"], vec!["http_request", "http_response"]);
        assert_eq!(s.dictionary["ip"].type_name, "ip_t");
        assert_eq!(s.objects["user"].attributes["name"].type_name, "string_t");
    }

    #[test]
    fn deprecated_classes_are_not_active_and_base_event_is_present() {
        let s = load(MINI).unwrap();
        assert!(s.class(4099).unwrap().deprecated);
        let active: Vec<u32> = s.active_classes().map(|c| c.uid).collect();
        assert_eq!(active, vec![0, 4002]);
    }

    #[test]
    fn errors_name_the_file_and_the_problem() {
        let e = load("{not json").unwrap_err().to_string();
        assert!(e.contains("test.json") && e.contains("not valid JSON"), "{e}");
        let e = load(r#"{"version": "1.0.0"}"#).unwrap_err().to_string();
        assert!(e.contains("test.json") && e.contains("classes"), "{e}");
        let e = load(r#"{"version": "1", "classes": {"x": {"caption": "X"}}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("class `x` has no integer uid"), "{e}");
        let e = Schema::load(Path::new("/nonexistent/schema.json")).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/schema.json"), "{e}");
    }

    /// The schema server's export (PyPI `ocsf-json-schema`), when `OCSF_SCHEMA` names it.
    #[test]
    fn loads_the_server_export() {
        let path = crate::testutil::schema_export();
        let s = Schema::load(Path::new(&path)).unwrap();
        assert!(s.categories.contains_key("network"), "categories: {:?}", s.categories.keys());
        let http = s.class(4002).unwrap();
        assert_eq!(http.category_uid, 4);
        assert_eq!(http.attributes["http_request"].object_type.as_deref(), Some("http_request"));
        assert!(s.active_classes().any(|c| c.uid == 3002));
    }

    /// The real compiled 1.8.0 file from the shared data folder.
    #[test]
    fn loads_the_real_compiled_schema() {
        let path = crate::testutil::require(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/data/ocsf-schema/ocsf-schema-1.8.0.json"),
            "the compiled OCSF 1.8.0 schema of the shared data folder",
        );
        let s = Schema::load(&path).unwrap();
        assert_eq!(s.version, "1.8.0");
        assert_eq!(s.classes.len(), 83);
        let auth = s.class(3002).unwrap();
        assert_eq!(auth.caption, "Authentication");
        assert_eq!(auth.category_uid, 3);
        assert_eq!(auth.activity(1).unwrap().caption, "Logon");
        assert!(s.class(201004).is_some());
        assert!(s.dictionary.len() > 800);
        assert!(s.active_classes().count() < s.classes.len());
    }
}
