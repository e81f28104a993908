use std::sync::Arc;

use serde_json::json;

use super::*;

/// A small export in the 1.0–1.7 layout: one class with a two-activity enum, a
/// profile-gated attribute, an object with a constraint, a required attribute the "newer"
/// events below do not carry.
fn old_export() -> serde_json::Value {
    json!({
      "version": "1.1.0",
      "types": {
        "string_t": {}, "integer_t": {}, "long_t": {}, "boolean_t": {}, "json_t": {},
        "timestamp_t": {"type": "long_t"}, "port_t": {"type": "integer_t", "range": [0, 65535]},
        "ip_t": {"type": "string_t"}
      },
      "classes": {
        "base_event": {"uid": 0, "caption": "Base Event", "category_uid": 0, "category_name": "Uncategorized",
          "attributes": {
            "class_uid": {"type": "integer_t", "requirement": "required"},
            "category_uid": {"type": "integer_t", "requirement": "required"},
            "activity_id": {"type": "integer_t", "requirement": "required", "enum": {"0": {}, "99": {}}},
            "type_uid": {"type": "long_t", "requirement": "required"},
            "class_name": {"type": "string_t"}, "category_name": {"type": "string_t"},
            "activity_name": {"type": "string_t"},
            "time": {"type": "timestamp_t", "requirement": "required"},
            "metadata": {"type": "object_t", "object_type": "metadata", "requirement": "required"},
            "unmapped": {"type": "object_t", "object_type": "object"}
          }},
        "authentication": {"uid": 3002, "caption": "Authentication", "category_uid": 3, "category_name": "Identity & Access Management",
          "profiles": ["cloud"],
          "attributes": {
            "class_uid": {"type": "integer_t", "requirement": "required"},
            "category_uid": {"type": "integer_t", "requirement": "required"},
            "activity_id": {"type": "integer_t", "requirement": "required", "enum": {"0": {}, "1": {}, "2": {}, "99": {}}},
            "type_uid": {"type": "long_t", "requirement": "required"},
            "class_name": {"type": "string_t"}, "category_name": {"type": "string_t"},
            "activity_name": {"type": "string_t"},
            "time": {"type": "timestamp_t", "requirement": "required"},
            "severity_id": {"type": "integer_t", "requirement": "required", "enum": {"0": {}, "1": {}, "99": {}}},
            "metadata": {"type": "object_t", "object_type": "metadata", "requirement": "required"},
            "user": {"type": "object_t", "object_type": "user", "requirement": "required"},
            "dst_endpoint": {"type": "object_t", "object_type": "endpoint"},
            "cloud": {"type": "object_t", "object_type": "cloud", "profile": "cloud"},
            "unmapped": {"type": "object_t", "object_type": "object"}
          }}
      },
      "objects": {
        "object": {"caption": "Object", "attributes": {}},
        "metadata": {"caption": "Metadata", "attributes": {
            "version": {"type": "string_t", "requirement": "required"},
            "profiles": {"type": "string_t", "is_array": true},
            "product": {"type": "object_t", "object_type": "product", "requirement": "required"}}},
        "product": {"caption": "Product", "attributes": {"name": {"type": "string_t"}, "vendor_name": {"type": "string_t", "requirement": "required"}}},
        "user": {"caption": "User", "constraints": {"at_least_one": ["name", "uid"]}, "attributes": {
            "name": {"type": "string_t"}, "uid": {"type": "string_t"}}},
        "endpoint": {"caption": "Endpoint", "attributes": {"ip": {"type": "ip_t"}, "port": {"type": "port_t"}}},
        "cloud": {"caption": "Cloud", "attributes": {"provider": {"type": "string_t", "requirement": "required"}}}
      }
    })
}

fn old() -> OutputVersion {
    OutputVersion::from_export(old_export().to_string().as_bytes(), "1.1.0", "old.json").unwrap()
}

fn mapped(attribute: &'static str, source: &str) -> MappedField {
    MappedField { attribute: attribute.into(), source: Arc::from(source) }
}

/// An Authentication event as the 1.8.0 builder writes it, with things 1.1.0 lacks.
fn newer_event() -> Ev {
    Ev::from(json!({
        "class_uid": 3002, "class_name": "Authentication", "category_uid": 3,
        "category_name": "Identity & Access Management",
        "activity_id": 6, "activity_name": "Preauth", "type_uid": 300206,
        "time": 1_700_000_000_000i64, "severity_id": 1,
        "metadata": {"version": "1.8.0", "profiles": ["cloud", "ai_operation"],
                     "product": {"name": "x", "vendor_name": "y"}},
        "user": {"name": "alice", "uid_alt": "a-1"},
        "dst_endpoint": {"ip": "10.0.0.1", "port": 443, "hostname": "dc1"},
        "cloud": {"provider": "AWS"},
        "is_mfa": true,
        "unmapped": {"LogonProcess": "Kerberos"}
    }))
}

#[test]
fn version_strings_are_checked() {
    assert_eq!(parse_version("1.3.0").unwrap(), (1, 3, 0));
    for bad in ["1.3", "v1.3.0", "1.0.0-rc.2", "", "1.3.0.0", "a.b.c", "1..0", "1.3.0 "] {
        let e = parse_version(bad).unwrap_err().to_string();
        assert!(e.contains("not an OCSF release version"), "{bad}: {e}");
    }
    let e = OutputVersion::from_export(old_export().to_string().as_bytes(), "1.3.0", "old.json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("is for version 1.1.0, not the 1.3.0"), "{e}");
    let e = OutputVersion::from_export(b"{nope", "1.1.0", "x.json").unwrap_err().to_string();
    assert!(e.contains("cannot read the OCSF schema export x.json"), "{e}");
    let e = export_path(Path::new("/nonexistent"), "1.2.0").unwrap_err().to_string();
    assert!(e.contains("no OCSF 1.2.0 schema export at /nonexistent/1.2.0.json"), "{e}");
}

#[test]
fn attributes_the_target_lacks_move_to_unmapped_under_their_source_field() {
    let mut ev = newer_event();
    let c = old().convert(&mut ev, &[mapped("user.uid_alt", "TargetUserSid")], 1);
    let v = ev.to_value();
    assert_eq!(v["metadata"]["version"], "1.1.0");
    assert_eq!(v["user"], json!({"name": "alice"}));
    assert_eq!(v["unmapped"]["TargetUserSid"], "a-1", "{v}");
    assert_eq!(v["unmapped"]["ocsf.dst_endpoint.hostname"], "dc1");
    assert_eq!(v["unmapped"]["ocsf.is_mfa"], true);
    // What the record's own unmapped held stays.
    assert_eq!(v["unmapped"]["LogonProcess"], "Kerberos");
    assert_eq!(v["dst_endpoint"], json!({"ip": "10.0.0.1", "port": 443}));
    assert_eq!(c.moved, 4, "uid_alt, hostname, is_mfa, activity_id: {v}");
}

#[test]
fn an_activity_the_target_lacks_becomes_other_with_the_original_kept() {
    let mut ev = newer_event();
    let c = old().convert(&mut ev, &[], 1);
    let v = ev.to_value();
    assert_eq!(c.activity_missing, Some(6));
    assert_eq!((v["activity_id"].clone(), v["type_uid"].clone()), (json!(99), json!(300299)));
    assert_eq!(v["activity_name"], "Preauth", "Other keeps the source's own wording");
    assert_eq!(v["unmapped"]["ocsf.activity_id"], 6);
}

#[test]
fn profiles_the_target_lacks_are_undeclared_and_gated_attributes_follow_the_declaration() {
    let mut ev = newer_event();
    old().convert(&mut ev, &[], 1);
    let v = ev.to_value();
    assert_eq!(v["metadata"]["profiles"], json!(["cloud"]));
    assert_eq!(v["cloud"], json!({"provider": "AWS"}), "declared: kept");

    let mut ev = newer_event();
    if let Some(Ev::Obj(md)) = ev.get_mut("metadata") {
        md.insert("profiles", Ev::Arr(vec![]));
    }
    old().convert(&mut ev, &[], 1);
    let v = ev.to_value();
    assert!(v.get("cloud").is_none());
    assert_eq!(v["unmapped"]["ocsf.cloud"], json!({"provider": "AWS"}));
}

#[test]
fn a_class_the_target_lacks_becomes_a_base_event_with_the_class_recorded() {
    let mut ev = Ev::from(json!({
        "class_uid": 2004, "class_name": "Detection Finding", "category_uid": 2,
        "category_name": "Findings", "activity_id": 1, "activity_name": "Create", "type_uid": 200401,
        "time": 5, "metadata": {"version": "1.8.0", "product": {"vendor_name": "v"}},
        "finding_info": {"title": "t", "uid": "u"}
    }));
    let c = old().convert(&mut ev, &[], 1);
    let v = ev.to_value();
    assert_eq!(c.class_missing, Some(2004));
    assert_eq!(
        (
            v["class_uid"].clone(),
            v["category_uid"].clone(),
            v["activity_id"].clone(),
            v["type_uid"].clone()
        ),
        (json!(0), json!(0), json!(99), json!(99)),
        "{v}"
    );
    assert_eq!(v["class_name"], "Base Event");
    assert_eq!(v["category_name"], "Uncategorized");
    assert_eq!(v["unmapped"]["ocsf.class_uid"], 2004);
    assert_eq!(v["unmapped"]["ocsf.class_name"], "Detection Finding");
    assert_eq!(v["unmapped"]["ocsf.type_uid"], 200401);
    assert_eq!(v["unmapped"]["ocsf.activity_id"], 1);
    assert_eq!(v["unmapped"]["ocsf.finding_info"], json!({"title": "t", "uid": "u"}));
}

#[test]
fn what_the_target_requires_gets_unknown_values_and_bad_values_move_out() {
    let mut ev = Ev::from(json!({
        "class_uid": 3002, "category_uid": 3, "activity_id": 1, "type_uid": 300201, "time": 5,
        "metadata": {"version": "1.8.0", "product": {"name": "p"}},
        "user": {"full_name": "Alice"},
        "dst_endpoint": {"port": 70000},
        "severity_id": 7
    }));
    let c = old().convert(&mut ev, &[], 42);
    let v = ev.to_value();
    // vendor_name is required in this version's product; user needs a name or uid.
    assert_eq!(v["metadata"]["product"]["vendor_name"], "Unknown");
    assert_eq!(v["user"], json!({"name": "Unknown"}));
    assert_eq!(v["unmapped"]["ocsf.user.full_name"], "Alice");
    assert_eq!(v["unmapped"]["ocsf.dst_endpoint.port"], 70000, "outside port_t's range");
    assert_eq!(v["unmapped"]["ocsf.severity_id"], 7, "not in the enum");
    assert_eq!(v["severity_id"], 0, "required: the enum's Unknown");
    assert!(c.filled >= 3, "{c:?}");
}

#[test]
fn hostile_shapes_do_not_panic() {
    let v = old();
    for j in [
        json!(null),
        json!([1, 2]),
        json!({"class_uid": "x"}),
        json!({"class_uid": -1, "metadata": 5, "unmapped": [1]}),
        json!({"class_uid": 3002, "user": [{"name": 1}], "dst_endpoint": {"ip": {"a": {"b": []}}}}),
    ] {
        let mut ev = Ev::from(j);
        v.convert(&mut ev, &[], 0);
    }
    let mut deep = json!({"x": 1});
    for _ in 0..200 {
        deep = json!({"user": deep});
    }
    let mut ev = Ev::from(json!({"class_uid": 3002, "user": deep}));
    v.convert(&mut ev, &[], 0);
}

/// The real exports (PyPI `ocsf-json-schema`, beside `$OCSF_SCHEMA`): every release from
/// 1.0.0 to 1.8.0 loads, and what they say about classes matches what is known of them.
#[test]
fn the_real_exports_load_and_know_their_classes() {
    let dir = crate::testutil::schema_export();
    let dir = Path::new(&dir).parent().expect("export directory");
    for minor in 0..=8 {
        let version = format!("1.{minor}.0");
        let out = OutputVersion::load(&export_path(dir, &version).unwrap(), &version).unwrap();
        assert_eq!(out.version(), version);
        assert!(out.has_class(0) && out.has_class(3002) && out.has_class(4001), "{version}");
        // Detection Finding arrived in 1.1.0.
        assert_eq!(out.has_class(2004), minor >= 1, "{version}");
    }
}

fn real(version: &str) -> OutputVersion {
    let dir = crate::testutil::schema_export();
    let dir = Path::new(&dir).parent().expect("export directory");
    OutputVersion::load(&export_path(dir, version).unwrap(), version).unwrap()
}

/// Regressions from the dev set's 1.3.0 check: a proxy log's `host:port` is no
/// `hostname_t` in 1.3.0 (its pattern refuses it; 1.8.0 has none), and 1.3.0's `job`
/// requires a `file` the 1.8.0 event does not carry.
#[test]
fn type_patterns_and_required_objects_of_a_real_older_version() {
    let v13 = real("1.3.0");
    let mut ev = Ev::from(json!({
        "class_uid": 4002, "category_uid": 4, "activity_id": 1, "type_uid": 400201, "severity_id": 1,
        "time": 5, "metadata": {"version": "1.8.0", "product": {"name": "p", "vendor_name": "v"}},
        "src_endpoint": {"hostname": "www.example.com:80", "ip": "192.0.2.1"},
        "dst_endpoint": {"hostname": "www.example.com"},
        "http_request": {"http_method": "GET"}
    }));
    v13.convert(&mut ev, &[mapped("src_endpoint.hostname", "host")], 1);
    let v = ev.to_value();
    assert_eq!(v["src_endpoint"], json!({"ip": "192.0.2.1"}), "{v}");
    assert_eq!(v["unmapped"]["host"], "www.example.com:80");
    assert_eq!(v["dst_endpoint"]["hostname"], "www.example.com");

    let mut ev = Ev::from(json!({
        "class_uid": 1006, "category_uid": 1, "activity_id": 1, "type_uid": 100601, "severity_id": 1,
        "time": 5, "metadata": {"version": "1.8.0", "product": {"name": "p", "vendor_name": "v"}},
        "job": {"name": "nightly"}
    }));
    v13.convert(&mut ev, &[], 1);
    let v = ev.to_value();
    assert_eq!(v["job"]["name"], "nightly");
    assert_eq!(v["job"]["file"]["name"], "Unknown", "{v}");
}
