//! Small fixtures for unit tests: a schema with a handful of classes and a KB built from it.

use std::path::{Path, PathBuf};

use crate::kb::sources::Labeled;
use crate::kb::{self, BuildOptions, KbBody};
use crate::schema::Schema;

pub const MINI_SCHEMA: &str = r#"{
  "version": "1.8.0",
  "categories": {"iam": {"uid": 3, "caption": "Identity & Access Management"}, "network": {"uid": 4, "caption": "Network Activity"}, "application": {"uid": 6, "caption": "Application Activity"}},
  "classes": {
    "base_event": {"uid": 0, "caption": "Base Event", "category": "other", "description": "The base event is a generic and concrete event.",
      "attributes": {"activity_id": {"type": "integer_t", "enum": {"0": {"caption": "Unknown"}, "99": {"caption": "Other"}}}, "message": {"type": "string_t"}, "time": {"type": "timestamp_t"}}},
    "authentication": {"uid": 3002, "caption": "Authentication", "category": "iam", "description": "Authentication events report authentication session activities such as user attempts a logon or logoff.",
      "attributes": {"activity_id": {"type": "integer_t", "enum": {"0": {"caption": "Unknown"}, "1": {"caption": "Logon"}, "2": {"caption": "Logoff"}, "99": {"caption": "Other"}}}, "user": {"type": "user", "caption": "User"}, "logon_type": {"type": "string_t", "caption": "Logon Type"}}},
    "network_activity": {"uid": 4001, "caption": "Network Activity", "category": "network", "description": "Network Activity events report network connection and traffic activity.",
      "attributes": {"activity_id": {"type": "integer_t", "enum": {"0": {"caption": "Unknown"}, "1": {"caption": "Open"}, "5": {"caption": "Refuse"}, "6": {"caption": "Traffic"}, "99": {"caption": "Other"}}}, "src_endpoint": {"type": "network_endpoint", "caption": "Source Endpoint"}, "dst_endpoint": {"type": "network_endpoint", "caption": "Destination Endpoint"}}},
    "api_activity": {"uid": 6003, "caption": "API Activity", "category": "application", "description": "API events describe general CRUD (Create, Read, Update, Delete) API activities.",
      "attributes": {"activity_id": {"type": "integer_t", "enum": {"0": {"caption": "Unknown"}, "1": {"caption": "Create"}, "2": {"caption": "Read"}, "3": {"caption": "Update"}, "4": {"caption": "Delete"}, "99": {"caption": "Other"}}}, "api": {"type": "api", "caption": "API Details"}}}
  },
  "objects": {}
}"#;

/// `path`, or a failure naming `what` and how to get it: a test never skips.
pub fn require(path: &Path, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "missing test asset: {what} at {}; run the tests with scripts/test (it fetches the \
         schema and the model), or eval \"$(scripts/fetch-assets)\" first",
        path.display()
    );
    path.to_path_buf()
}

/// A variable naming a test asset, required like [`require`].
fn required_var(var: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        panic!(
            "missing test asset: {what} ({var} is not set); run the tests with scripts/test, \
             or eval \"$(scripts/fetch-assets)\" first"
        )
    });
    require(&path, what)
}

/// The schema server's OCSF export (PyPI `ocsf-json-schema`), `$OCSF_SCHEMA`.
pub fn schema_export() -> PathBuf {
    required_var("OCSF_SCHEMA", "the OCSF schema export")
}

/// all-MiniLM-L6-v2, `$OCSFMAP_MODEL_DIR`.
pub fn model_dir() -> PathBuf {
    required_var("OCSFMAP_MODEL_DIR", "the all-MiniLM-L6-v2 model")
}

pub fn mini_schema() -> Schema {
    Schema::from_slice(MINI_SCHEMA.as_bytes(), Path::new("mini.json")).expect("mini schema")
}

pub fn labeled(raw: &str, class_uid: u32, activity_id: i64, source: &str) -> Labeled {
    Labeled { raw: raw.into(), class_uid, activity_id: Some(activity_id), source: source.into() }
}

pub fn examples() -> Vec<Labeled> {
    vec![
        labeled(
            r#"{"eventName":"ConsoleLogin","userName":"alice","sourceIPAddress":"192.0.2.1"}"#,
            3002,
            1,
            "a",
        ),
        labeled(
            r#"{"eventName":"DeleteBucket","bucketName":"b","sourceIPAddress":"192.0.2.1"}"#,
            6003,
            4,
            "a",
        ),
        labeled(
            r#"{"action":"deny","src_ip":"192.0.2.9","dst_ip":"198.51.100.2","dst_port":22,"protocol":"tcp"}"#,
            4001,
            5,
            "b",
        ),
    ]
}

pub fn mini_body(overrides: Vec<Labeled>) -> KbBody {
    kb::build(
        mini_schema(),
        BuildOptions { examples: examples(), overrides, ..BuildOptions::default() },
    )
    .expect("build")
}
