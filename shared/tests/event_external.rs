//! The external check: every dev-set event is validated by an independent OCSF validator,
//! `scripts/validate-ocsf-events.py` (JSON Schema generated for OCSF 1.8.0 by PyPI
//! `ocsf-json-schema`, checked with `jsonschema`), in the virtualenv the script manages.
//! Skips when the dev data, python3, or the package index (first run) is unavailable.

mod event_support;

use std::io::Write;
use std::process::Command;

use event_support::*;
use ocsfmap::event::EventContext;

#[test]
fn dev_set_events_pass_the_independent_json_schema_check() {
    let (schema, records) = (load_schema(), dev_records());
    let clf = lexical_classifier(&schema);
    let mapper = mapper(&schema);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("events file"));
    for (n, r) in records.iter().enumerate() {
        let record = ocsfmap::parse::parse(&r.raw);
        let d =
            labelled_decision(&schema, clf.classify_record(&record), r.class_uid, r.activity_id);
        let ctx = EventContext {
            event_id: Some(uuid::Uuid::now_v7()),
            received_at_ms: 1_735_689_600_000 + n as i64,
            source: None,
        };
        let ev = mapper.build_raw(&r.raw, &record, &d, &ctx);
        let line = serde_json::json!({"id": r.id, "event": ev.event});
        writeln!(out, "{line}").expect("write");
    }
    out.flush().expect("flush");
    drop(out);

    let script = manifest_dir().join("../scripts/validate-ocsf-events.py");
    let run = Command::new("python3").arg(&script).arg("--input").arg(&path).output();
    let output = run.unwrap_or_else(|e| panic!("cannot run python3 (the checker needs it): {e}"));
    assert_ne!(
        output.status.code(),
        Some(2),
        "the checker could not set itself up (it installs ocsf-json-schema into a cached venv; \
         scripts/test runs it with network access to PyPI):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("checker output is not JSON ({e}): {}", String::from_utf8_lossy(&output.stderr))
    });
    let checked = report["checked"].as_u64().unwrap_or(0);
    let valid = report["valid"].as_u64().unwrap_or(0);
    eprintln!("external check: {valid}/{checked} valid");
    assert_eq!(checked as usize, records.len());
    assert_eq!(
        valid,
        checked,
        "invalid events (first ones): {}",
        report["invalid"]
            .as_array()
            .map(|a| format!("{:?}", &a[..a.len().min(3)]))
            .unwrap_or_default()
    );
}

/// The checker must catch what it is there to catch: a wrong type, an unknown attribute,
/// a missing required attribute.
#[test]
fn the_external_checker_rejects_broken_events() {
    let script = manifest_dir().join("../scripts/validate-ocsf-events.py");
    let good = serde_json::json!({"class_uid": 4001, "category_uid": 4, "activity_id": 6, "type_uid": 400106, "severity_id": 1,
        "time": 1_700_000_000_000i64, "metadata": {"version": "1.8.0", "product": {"name": "x"}}, "src_endpoint": {"ip": "10.0.0.1"}});
    let mut wrong_type = good.clone();
    wrong_type["src_endpoint"]["port"] = serde_json::json!("eighty");
    let mut unknown = good.clone();
    unknown["not_an_attribute"] = serde_json::json!(1);
    let mut missing = good.clone();
    missing.as_object_mut().map(|o| o.remove("time"));
    let input = [good, wrong_type, unknown, missing]
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let child = Command::new("python3")
        .arg(&script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child =
        child.unwrap_or_else(|e| panic!("cannot run python3 (the checker needs it): {e}"));
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    let output = child.wait_with_output().expect("checker runs");
    assert_ne!(
        output.status.code(),
        Some(2),
        "the checker could not set itself up:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["checked"], 4);
    assert_eq!(report["valid"], 1, "{report}");
    assert_eq!(output.status.code(), Some(1));
}
