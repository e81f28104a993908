//! The external check: every dev-set event is validated by an independent OCSF validator,
//! `scripts/validate-ocsf-events.py` (JSON Schema generated for the event's OCSF version by
//! PyPI `ocsf-json-schema`, checked with `jsonschema`), in the virtualenv the script manages:
//! in 1.8.0 as built, and in 1.1.0 and 1.3.0 through `ocsfmap::version::OutputVersion`.
//! Skips when the dev data, python3, or the package index (first run) is unavailable.

mod event_support;

use std::io::Write;
use std::process::Command;

use event_support::*;

/// Events for `records` (classified, then given their labelled class and activity), one
/// JSON line each, converted to `output` when given. Returns the file and how many events
/// the output version re-homed because it lacks their class.
fn write_events(
    records: &[DevRecord],
    output: Option<&ocsfmap::version::OutputVersion>,
    dir: &std::path::Path,
) -> (std::path::PathBuf, usize) {
    let name = output.map(|o| o.version().to_string()).unwrap_or_else(|| "kb-version".to_string());
    let path = dir.join(format!("events-{name}.jsonl"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("events file"));
    let mut class_missing = 0;
    for (r, (ev, c)) in records.iter().zip(labelled_events(records, output)) {
        class_missing += usize::from(c.is_some_and(|c| c.class_missing.is_some()));
        let line = serde_json::json!({"id": r.id, "event": ev.event});
        writeln!(out, "{line}").expect("write");
    }
    out.flush().expect("flush");
    (path, class_missing)
}

/// Runs the independent checker on a file of events for `version`; returns its report.
fn check_externally(path: &std::path::Path, version: &str) -> serde_json::Value {
    let script = manifest_dir().join("../scripts/validate-ocsf-events.py");
    let run = Command::new("python3")
        .arg(&script)
        .arg("--version")
        .arg(version)
        .arg("--input")
        .arg(path)
        .output();
    let output = run.unwrap_or_else(|e| panic!("cannot run python3 (the checker needs it): {e}"));
    assert_ne!(
        output.status.code(),
        Some(2),
        "the checker could not set itself up (it installs ocsf-json-schema into a cached venv; \
         scripts/test runs it with network access to PyPI):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("checker output is not JSON ({e}): {}", String::from_utf8_lossy(&output.stderr))
    })
}

fn first_invalid(report: &serde_json::Value) -> String {
    report["invalid"].as_array().map(|a| format!("{:?}", &a[..a.len().min(3)])).unwrap_or_default()
}

#[test]
fn dev_set_events_pass_the_independent_json_schema_check() {
    let records = dev_records();
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, _) = write_events(&records, None, dir.path());
    let report = check_externally(&path, "1.8.0");
    let checked = report["checked"].as_u64().unwrap_or(0);
    let valid = report["valid"].as_u64().unwrap_or(0);
    eprintln!("external check: {valid}/{checked} valid");
    assert_eq!(checked as usize, records.len());
    assert_eq!(valid, checked, "invalid events (first ones): {}", first_invalid(&report));
}

/// Issue #19: events for every dev and dev2 record, emitted in OCSF 1.1.0 and 1.3.0, pass
/// the JSON Schema `ocsf-json-schema` generates for that version (≥ 0.99 of them); records
/// whose class the version lacks are counted beside it (they are emitted as Base Events and
/// checked like the rest).
#[test]
fn events_in_older_versions_pass_that_versions_json_schema() {
    let mut records = dev_records();
    let dev2 = dev_dir().join("../dev2/corpus.jsonl");
    records.extend(read_jsonl::<DevRecord>(&require(&dev2, "the dev2 set")));
    // The release exports sit together where scripts/fetch-assets unpacks them.
    let exports = std::path::PathBuf::from(std::env::var_os("OCSF_SCHEMA").expect(
        "OCSF_SCHEMA names an export in the directory of release exports (eval \"$(scripts/fetch-assets)\")",
    ));
    let exports = exports.parent().expect("export directory");
    let dir = tempfile::tempdir().expect("tempdir");
    for version in ["1.1.0", "1.3.0"] {
        let path = ocsfmap::version::export_path(exports, version).expect("export");
        let output = ocsfmap::version::OutputVersion::load(&path, version).expect("loads");
        let (events, class_missing) = write_events(&records, Some(&output), dir.path());
        let report = check_externally(&events, version);
        let checked = report["checked"].as_u64().unwrap_or(0);
        let valid = report["valid"].as_u64().unwrap_or(0);
        eprintln!(
            "OCSF {version}: {valid}/{checked} valid ({:.4}); {class_missing} records' class is not in {version} (emitted as Base Event)",
            valid as f64 / checked.max(1) as f64
        );
        assert_eq!(checked as usize, records.len());
        assert!(
            valid as f64 >= 0.99 * checked as f64,
            "OCSF {version}: {valid}/{checked} valid; first invalid: {}",
            first_invalid(&report)
        );
    }
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
