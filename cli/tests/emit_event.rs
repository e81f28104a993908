//! `ocsfmap classify --emit event`: the binary prints one OCSF event per record, valid for the
//! schema, with the record as `raw_data` and the product its knowledge pack names.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema_path() -> PathBuf {
    std::env::var_os("OCSF_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/data/ocsf-schema/ocsf-schema-1.8.0.json"))
}

#[test]
fn emit_event_prints_schema_valid_events() {
    let schema_file = schema_path();
    assert!(
        schema_file.exists(),
        "missing test asset: the OCSF schema at {}; run the tests with scripts/test, or \
         eval \"$(scripts/fetch-assets)\" first",
        schema_file.display()
    );
    let bin = env!("CARGO_BIN_EXE_ocsfmap");
    let dir = std::env::temp_dir().join(format!("ocsfmap-emit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kb = dir.join("lexical.kb");
    let built = Command::new(bin)
        .args(["kb", "build", "--examples"])
        .arg(root().join("knowledge"))
        .arg("--schema")
        .arg(&schema_file)
        .arg("--out")
        .arg(&kb)
        .env_remove("OCSFMAP_MODEL_DIR")
        .output()
        .unwrap();
    assert!(built.status.success(), "kb build: {}", String::from_utf8_lossy(&built.stderr));

    let input = root().join("events/samples/okta.json");
    let out = Command::new(bin)
        .args(["classify", "--mode", "lexical", "--emit", "event", "--kb"])
        .arg(&kb)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success(), "classify: {}", String::from_utf8_lossy(&out.stderr));
    let explained = Command::new(bin)
        .args(["classify", "--mode", "lexical", "--explain", "--kb"])
        .arg(&kb)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    assert!(explained.status.success(), "{}", String::from_utf8_lossy(&explained.stderr));
    let _ = std::fs::remove_dir_all(&dir);
    // Each decision carries its explanation, whose best class is the decision's.
    for line in String::from_utf8(explained.stdout).unwrap().lines() {
        let d: serde_json::Value = serde_json::from_str(line).unwrap();
        let e = &d["explain"];
        assert_eq!(e["decided_by"], d["decided_by"], "{d}");
        if d["decided_by"] == "search" {
            assert_eq!(e["classes"][0]["class_uid"], d["class_uid"], "{d}");
            let t = &e["classes"][0]["terms"];
            assert!(t["retrieval"].is_number() && t["total"].is_number(), "{t}");
            assert!(e["calibration"]["inputs"]["lead"].is_number(), "{e}");
        }
    }

    let schema = ocsfmap::schema::Schema::load(&schema_file).unwrap();
    let lines: Vec<String> = std::fs::read_to_string(&input)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let events: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), lines.len(), "one event per record");
    for (ev, line) in events.iter().zip(&lines) {
        let class = ev["class_uid"].as_u64().unwrap() as u32;
        assert_eq!(ocsfmap::event::validate(&schema, class, ev), vec![], "{ev}");
        assert_eq!(ev["raw_data"], line.as_str());
        assert_eq!(ev["metadata"]["product"]["name"], "Okta", "the pack names the product: {ev}");
        assert!(ev["metadata"]["uid"].is_string());
    }
}
