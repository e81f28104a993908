//! The validator against the real OCSF 1.8.0 schema: each kind of error is found, repair
//! moves offending values to `unmapped` (counted), and neither validation nor building ever
//! panics on arbitrary input.

mod event_support;

use std::sync::OnceLock;

/// Loaded once: property tests build many events.
fn load_schema() -> &'static ocsfmap::schema::Schema {
    static SCHEMA: OnceLock<ocsfmap::schema::Schema> = OnceLock::new();
    SCHEMA.get_or_init(event_support::load_schema)
}
use ocsfmap::classify::{DecidedBy, Decision};
use ocsfmap::event::{self, ErrorKind, EventContext};
use ocsfmap::parse::{Field, Format, Record, ValueKind};
use proptest::prelude::*;
use serde_json::{json, Value};

fn network_event() -> Value {
    json!({"class_uid": 4001, "category_uid": 4, "activity_id": 6, "type_uid": 400106, "severity_id": 1,
        "time": 1_700_000_000_000i64, "metadata": {"version": "1.8.0", "product": {"name": "x"}},
        "src_endpoint": {"ip": "10.0.0.1", "port": 5353}})
}

fn kinds(errors: &[event::ValidationError]) -> Vec<(String, ErrorKind)> {
    errors.iter().map(|e| (e.path.clone(), e.kind)).collect()
}

#[test]
fn finds_each_kind_of_error() {
    let schema = load_schema();
    assert!(
        event::validate(schema, 4001, &network_event()).is_empty(),
        "{:?}",
        event::validate(schema, 4001, &network_event())
    );

    let mut e = network_event();
    e["src_endpoint"]["port"] = json!(70_000);
    e["dst_endpoint"] = json!({"ip": "not-an-ip"});
    e["activity_id"] = json!(42);
    e["bogus"] = json!(true);
    e["osint"] = json!([]);
    e.as_object_mut().map(|o| o.remove("time"));
    let got = kinds(&event::validate(schema, 4001, &e));
    for want in [
        ("src_endpoint.port".to_string(), ErrorKind::OutOfRange),
        ("dst_endpoint.ip".to_string(), ErrorKind::WrongType),
        ("activity_id".to_string(), ErrorKind::NotInEnum),
        ("bogus".to_string(), ErrorKind::UnknownAttribute),
        // A profile attribute without its profile in metadata.profiles.
        ("osint".to_string(), ErrorKind::UnknownAttribute),
        ("time".to_string(), ErrorKind::MissingRequired),
        ("type_uid".to_string(), ErrorKind::Inconsistent),
    ] {
        assert!(got.contains(&want), "{want:?} not in {got:?}");
    }

    // at_least_one of src/dst endpoint; HTTP needs a request or a response; string enums.
    let mut e = network_event();
    e.as_object_mut().map(|o| o.remove("src_endpoint"));
    assert!(
        kinds(&event::validate(schema, 4001, &e)).contains(&(String::new(), ErrorKind::Constraint))
    );
    let mut h = network_event();
    h["class_uid"] = json!(4002);
    h["type_uid"] = json!(400206);
    h["activity_id"] = json!(6);
    assert!(
        kinds(&event::validate(schema, 4002, &h)).contains(&(String::new(), ErrorKind::Constraint))
    );
    h["http_request"] = json!({"http_method": "FETCH"});
    assert!(kinds(&event::validate(schema, 4002, &h))
        .contains(&("http_request.http_method".to_string(), ErrorKind::NotInEnum)));

    assert_eq!(
        kinds(&event::validate(schema, 999_999, &network_event())),
        vec![(String::new(), ErrorKind::UnknownClass)]
    );
    assert_eq!(
        kinds(&event::validate(schema, 4001, &json!([1, 2]))),
        vec![(String::new(), ErrorKind::NotAnObject)]
    );
}

fn decision(schema: &ocsfmap::schema::Schema, class_uid: u32, activity_id: i64) -> Decision {
    let c = schema.class(class_uid).expect("class");
    Decision {
        class_uid,
        class_name: c.caption.clone(),
        category_uid: c.category_uid,
        activity_id,
        activity_name: String::new(),
        type_uid: i64::from(class_uid) * 100 + activity_id,
        confidence: 1.0,
        needs_review: false,
        candidates: Vec::new(),
        evidence: Vec::new(),
        decided_by: DecidedBy::Override,
        format: Format::Json,
        signature: Default::default(),
        cached: false,
        activity_rule_doc: None,
    }
}

#[test]
fn builds_map_fields_and_keep_the_rest() {
    let schema = load_schema();
    let raw = r#"{"timestamp":"2024-06-01T10:00:00+02:00","src_ip":"192.0.2.7","src_port":"51000","dest_ip":"198.51.100.9","dest_port":"443","proto":"tcp","severity":"high","vendor_blob":"x"}"#;
    let record = ocsfmap::parse::parse(raw);
    let ctx = EventContext {
        event_id: Some(uuid::Uuid::nil()),
        received_at_ms: 1_800_000_000_000,
        source: Some("fw".into()),
    };
    let ev = event::build_raw(schema, raw, &record, &decision(schema, 4001, 6), &ctx);
    let e = &ev.event;
    assert!(ev.errors.is_empty() && ev.repairs == 0, "{:?}", ev.errors);
    assert_eq!(e["time"], 1_717_228_800_000i64);
    assert_eq!(e["timezone_offset"], 120);
    assert_eq!(e["metadata"]["original_time"], "2024-06-01T10:00:00+02:00");
    assert!(ev.time_from_record);
    assert_eq!(e["severity_id"], 4);
    assert_eq!(e["src_endpoint"], json!({"ip": "192.0.2.7", "port": 51000}));
    assert_eq!(e["dst_endpoint"], json!({"ip": "198.51.100.9", "port": 443}));
    assert_eq!(e["connection_info"]["protocol_name"], "tcp");
    assert_eq!(e["unmapped"], json!({"vendor_blob": "x"}));
    assert_eq!(e["metadata"]["uid"], uuid::Uuid::nil().to_string());
    assert_eq!(e["metadata"]["log_name"], "fw");
    assert_eq!(e["type_uid"], 400106);
    let sources: Vec<(&str, &str)> =
        ev.mapped.iter().map(|m| (&*m.attribute, &*m.source)).collect();
    assert!(sources.contains(&("src_endpoint.port", "src_port")), "{sources:?}");

    // No timestamp in the record: ingest time, flagged.
    let record = ocsfmap::parse::parse(r#"{"src_ip":"192.0.2.7"}"#);
    let ev = event::build(schema, &record, &decision(schema, 4001, 6), &ctx);
    assert!(!ev.time_from_record);
    assert_eq!(ev.event["time"], 1_800_000_000_000i64);
}

#[test]
fn a_value_the_attribute_cannot_hold_stays_unmapped() {
    let schema = load_schema();
    let raw = r#"{"src_ip":"not an address","src_port":"99999","dst_ip":"10.0.0.2"}"#;
    let record = ocsfmap::parse::parse(raw);
    let ev = event::build_raw(
        schema,
        raw,
        &record,
        &decision(schema, 4001, 6),
        &EventContext::default(),
    );
    assert_eq!(ev.event["unmapped"]["src_port"], "99999");
    assert_eq!(ev.event["unmapped"]["src_ip"], "not an address");
    assert!(event::validate(schema, 4001, &ev.event.to_value()).is_empty());
}

#[test]
fn missing_required_objects_are_repaired_and_counted() {
    let schema = load_schema();
    // Authentication requires a user; this record names none.
    let raw = r#"{"time":"2024-06-01T00:00:00Z","src_ip":"192.0.2.7"}"#;
    let record = ocsfmap::parse::parse(raw);
    let ev = event::build_raw(
        schema,
        raw,
        &record,
        &decision(schema, 3002, 1),
        &EventContext::default(),
    );
    assert!(ev.repairs >= 1, "{ev:?}");
    assert!(ev.errors.iter().any(|e| e.contains("user")), "{:?}", ev.errors);
    assert!(
        event::validate(schema, 3002, &ev.event.to_value()).is_empty(),
        "{:?}",
        event::validate(schema, 3002, &ev.event.to_value())
    );
}

fn arb_value() -> impl Strategy<Value = (String, ValueKind)> {
    prop_oneof![
        "\\PC{0,24}".prop_map(|s| (s, ValueKind::String)),
        any::<i64>().prop_map(|n| (n.to_string(), ValueKind::Number)),
        Just(("10.1.2.3".to_string(), ValueKind::String)),
        Just(("2024-06-01T00:00:00Z".to_string(), ValueKind::String)),
        Just(("-".to_string(), ValueKind::String)),
        Just(("null".to_string(), ValueKind::Null)),
        Just(("true".to_string(), ValueKind::Bool)),
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_.\\[\\]0-9]{1,30}",
        proptest::sample::select(vec![
            "src_ip",
            "dst_port",
            "user.name",
            "TargetUserName",
            "process.pid",
            "timestamp",
            "severity",
            "answers[0]",
            "http.method",
            "url",
            "message",
            "actor.alternateId",
            "eventName",
            "awsRegion",
            "id_orig_h",
            "status",
            "Level",
            "query",
        ])
        .prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64), ..ProptestConfig::default() })]

    #[test]
    /// Whatever the record, the builder writes no malformed value; all that can be left is
    /// information the record lacks and the schema has no "unknown" for (an e-mail address).
    fn building_never_panics_and_writes_no_malformed_value(
        fields in proptest::collection::vec((arb_key(), arb_value()), 0..12),
        class_pick in 0usize..1000,
    ) {
        let schema = load_schema();
        let classes: Vec<&ocsfmap::schema::Class> = schema.active_classes().collect();
        let class = classes[class_pick % classes.len()];
        let record = Record { format: Format::Json, fields: fields.into_iter().map(|(key, (value, kind))| Field { key, value, kind }).collect() };
        let activity = class.activities.first().map(|a| a.id).unwrap_or(0);
        let ev = event::build(schema, &record, &decision(schema, class.uid, activity), &EventContext::default());
        let left = event::validate(schema, class.uid, &ev.event.to_value());
        prop_assert!(
            left.iter().all(|e| matches!(e.kind, ErrorKind::MissingRequired | ErrorKind::Constraint)),
            "class {}: {:?}", class.uid, left
        );
    }

    #[test]
    fn validation_never_panics(v in arb_json(), class_pick in 0usize..1000) {
        let schema = load_schema();
        let uid = schema.classes[class_pick % schema.classes.len()].uid;
        let _ = event::validate(schema, uid, &v);
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                proptest::sample::select(vec![
                    "class_uid",
                    "metadata",
                    "src_endpoint",
                    "ip",
                    "port",
                    "user",
                    "name",
                    "time",
                    "profiles",
                    "x"
                ])
                .prop_map(String::from),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
