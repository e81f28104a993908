//! Rebuild behaviour against a directory store: publishing, unchanged inputs, races,
//! broken inputs, the quality gate and retention.

use std::sync::Mutex;

use super::*;
use crate::blob::{BlobStore, FsBlobStore, PutCondition};
use crate::classify::{Classifier, Config, DecidedBy};
use crate::kb::pointer::Pointer;
use crate::kb::sources::Labeled;

/// Four classes with their activities: enough for the classifier to tell families apart.
const SCHEMA: &str = r#"{
  "version": "1.8.0",
  "categories": {
    "system": {"uid": 1, "caption": "System Activity"},
    "iam": {"uid": 3, "caption": "Identity & Access Management"},
    "network": {"uid": 4, "caption": "Network Activity"}
  },
  "classes": {
    "process_activity": {"uid": 1007, "name": "process_activity", "caption": "Process Activity", "category": "system",
      "description": "Process Activity events report when a process launches or terminates.",
      "attributes": {"activity_id": {"type": "integer_t", "enum": {"1": {"caption": "Launch"}, "2": {"caption": "Terminate"}}},
                     "process": {"type": "object_t", "object_type": "process"}}},
    "authentication": {"uid": 3002, "name": "authentication", "caption": "Authentication", "category": "iam",
      "description": "Authentication events report authentication session activities such as user logon and logoff.",
      "attributes": {"activity_id": {"type": "integer_t", "enum": {"1": {"caption": "Logon"}, "2": {"caption": "Logoff"}}},
                     "user": {"type": "object_t", "object_type": "user"}}},
    "network_activity": {"uid": 4001, "name": "network_activity", "caption": "Network Activity", "category": "network",
      "description": "Network Activity events report network connection and traffic activity.",
      "attributes": {"activity_id": {"type": "integer_t", "enum": {"1": {"caption": "Open"}, "6": {"caption": "Traffic"}}},
                     "dst_endpoint": {"type": "object_t", "object_type": "network_endpoint"}}},
    "dns_activity": {"uid": 4003, "name": "dns_activity", "caption": "DNS Activity", "category": "network",
      "description": "DNS Activity events report DNS queries and answers.",
      "attributes": {"activity_id": {"type": "integer_t", "enum": {"1": {"caption": "Query"}, "2": {"caption": "Response"}}},
                     "query": {"type": "object_t", "object_type": "dns_query"}}}
  }
}"#;

fn jsonl(records: &[(String, u32, i64, &str)]) -> String {
    records
        .iter()
        .map(|(raw, class, act, src)| {
            serde_json::json!({"raw": raw, "class_uid": class, "activity_id": act, "source": src})
                .to_string()
                + "\n"
        })
        .collect()
}

fn auth(n: usize) -> String {
    let records: Vec<_> = (0..n)
        .map(|i| {
            let raw = format!(
                r#"{{"EventID":4624,"TargetUserName":"user{i}","LogonType":{},"IpAddress":"10.0.{}.{}","AuthenticationPackageName":"NTLM","WorkstationName":"WS{i}"}}"#,
                2 + i % 3,
                i / 200,
                i % 200
            );
            (raw, 3002, 1, "windows-security")
        })
        .collect();
    jsonl(&records)
}

fn network(n: usize) -> String {
    let records: Vec<_> = (0..n)
        .map(|i| {
            let raw = format!(
                r#"{{"action":"allow","src_ip":"192.168.{}.{}","dst_ip":"203.0.113.{}","dst_port":{},"proto":"tcp","bytes_out":{}}}"#,
                i / 200,
                i % 200,
                i % 250,
                [443, 80, 22, 8443][i % 4],
                100 + i
            );
            (raw, 4001, 6, "fw-traffic")
        })
        .collect();
    jsonl(&records)
}

fn process(n: usize) -> String {
    let records: Vec<_> = (0..n)
        .map(|i| {
            let raw = format!(
                r#"{{"EventID":1,"Image":"C:\\Tools\\tool{i}.exe","CommandLine":"tool{i}.exe --run {i}","ParentImage":"C:\\Windows\\explorer.exe","ProcessId":{}}}"#,
                1000 + i
            );
            (raw, 1007, 1, "sysmon")
        })
        .collect();
    jsonl(&records)
}

fn dns(n: usize) -> String {
    let records: Vec<_> = (0..n)
        .map(|i| {
            // A made-up resolver format: nothing in the schema's prose matches its keys.
            let raw = format!(r#"{{"zq_client":"10.9.{}.{}","zq_qname":"host{i}.corp.example","zq_qtype":"A","zq_rcode":"NOERROR"}}"#, i / 200, i % 200);
            (raw, 4003, 1, "zq-resolver")
        })
        .collect();
    jsonl(&records)
}

struct Env {
    _dir: tempfile::TempDir,
    store: FsBlobStore,
    cfg: RebuildConfig,
}

impl Env {
    async fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::new(dir.path());
        let env = Env { _dir: dir, store, cfg: RebuildConfig::default() };
        env.put("kb/sources/schema/ocsf-schema.json", SCHEMA).await;
        env.put("kb/sources/examples/auth.jsonl", &auth(30)).await;
        env.put("kb/sources/examples/network.jsonl", &network(30)).await;
        env.put("kb/sources/examples/process.jsonl", &process(30)).await;
        env.put("kb/sources/knowledge/README.md", "not an input").await;
        env
    }

    async fn put(&self, key: &str, text: &str) {
        self.store.put(key, text.as_bytes().to_vec(), PutCondition::None).await.unwrap();
    }

    async fn run(&self) -> Result<Outcome, RebuildError> {
        self.run_with(&NoOverrides).await
    }

    async fn run_with<O: OverrideSource>(&self, o: &O) -> Result<Outcome, RebuildError> {
        Rebuilder { store: &self.store, overrides: o, embedder: None, cfg: self.cfg.clone() }
            .run()
            .await
    }

    async fn pointer_bytes(&self) -> Vec<u8> {
        self.store.get(&self.cfg.pointer_key).await.unwrap().bytes
    }

    async fn pointer(&self) -> Pointer {
        serde_json::from_slice(&self.pointer_bytes().await).unwrap()
    }

    async fn versions(&self) -> Vec<String> {
        self.store
            .list(&self.cfg.versions_prefix)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.key)
            .collect()
    }

    /// The serving KB, checked against its pointer.
    async fn serving(&self) -> crate::kb::KnowledgeBase {
        let p = self.pointer().await;
        let bytes = self.store.get(&p.key).await.unwrap().bytes;
        let kb = crate::kb::artifact::from_bytes(&bytes, &p.key).unwrap();
        assert_eq!(kb.header.content_hash, p.content_hash, "pointer and artifact disagree");
        assert_eq!(p.key, publish::version_key(&self.cfg.versions_prefix, &p.content_hash));
        kb
    }
}

/// Overrides held in memory (what ClickHouse returns at the edge).
struct MemOverrides(Mutex<Vec<Labeled>>);

impl OverrideSource for MemOverrides {
    async fn fetch_overrides(&self) -> Result<crate::store::Overrides, StoreError> {
        let labeled = self.0.lock().unwrap().clone();
        Ok(crate::store::Overrides { through_ms: labeled.len() as i64, labeled })
    }

    async fn record_build(&self, _: &crate::store::review::BuildRow) -> Result<(), StoreError> {
        Ok(())
    }
}

fn published(o: &Outcome) -> &GateReport {
    match o {
        Outcome::Published { gate, .. } => gate,
        other => panic!("expected a publish, got {other:?}"),
    }
}

#[tokio::test]
async fn publishes_once_and_unchanged_inputs_publish_nothing() {
    let env = Env::new().await;
    let first = env.run().await.unwrap();
    let gate = published(&first);
    assert!(gate.held_back > 0 && gate.current_accuracy.is_none(), "{gate:?}");
    let kb = env.serving().await;
    // The published artifact keeps the held-back records: they are knowledge too.
    assert_eq!(kb.header.counts.examples, 90);
    let p = env.pointer().await;
    assert_eq!(p.accuracy, gate.candidate_accuracy);
    let before = env.store.get(&env.cfg.pointer_key).await.unwrap();

    let again = env.run().await.unwrap();
    assert!(
        matches!(&again, Outcome::Unchanged { inputs_hash, .. } if *inputs_hash == p.inputs_hash),
        "{again:?}"
    );
    assert_eq!(
        env.store.get(&env.cfg.pointer_key).await.unwrap(),
        before,
        "the pointer was rewritten"
    );
    assert_eq!(env.versions().await.len(), 1);

    // A non-input object changes nothing either.
    env.put("kb/sources/knowledge/NOTES.txt", "x").await;
    assert!(matches!(env.run().await.unwrap(), Outcome::Unchanged { .. }));

    // A comment line changes the inputs but not the artifact: only the pointer's hash moves.
    env.put("kb/sources/examples/auth.jsonl", &format!("# reviewed\n{}", auth(30))).await;
    let same = env.run().await.unwrap();
    assert!(matches!(&same, Outcome::SameContent { .. }), "{same:?}");
    let p2 = env.pointer().await;
    assert_eq!((p2.content_hash.as_str(), p2.accuracy), (p.content_hash.as_str(), p.accuracy));
    assert_ne!(p2.inputs_hash, p.inputs_hash);
    assert!(matches!(env.run().await.unwrap(), Outcome::Unchanged { .. }));
    assert_eq!(env.versions().await.len(), 1);
}

#[tokio::test]
async fn a_new_example_file_and_an_override_are_served_after_the_next_rebuild() {
    let env = Env::new().await;
    published(&env.run().await.unwrap());
    let dns_record = r#"{"zq_client":"10.9.9.9","zq_qname":"files.corp.example","zq_qtype":"AAAA","zq_rcode":"NXDOMAIN"}"#;
    let before = Classifier::new(Arc::new(env.serving().await), None, Config::default())
        .classify(dns_record);
    assert_ne!(before.class_uid, 4003, "no DNS knowledge yet: {before:?}");

    env.put("kb/sources/examples/dns.jsonl", &dns(30)).await;
    let out = env.run().await.unwrap();
    let gate = published(&out).clone();
    assert!(gate.current_accuracy.is_some() && gate.passed, "{gate:?}");
    let after = Classifier::new(Arc::new(env.serving().await), None, Config::default())
        .classify(dns_record);
    assert_eq!(after.class_uid, 4003, "{after:?}");

    // An analyst says this appliance's shape is DNS activity: the next rebuild serves that.
    // (Its fields are unlike the labelled examples', so the held-back slice is unaffected
    // and the gate passes; an override that contradicts the examples is gated like any input.)
    let fw =
        r#"{"unit":"nx-7","verb":"lookup","peer":"192.168.9.9","obj":"files.corp.example","n":1}"#;
    let o = MemOverrides(Mutex::new(Vec::new()));
    assert!(matches!(env.run_with(&o).await.unwrap(), Outcome::Unchanged { .. }));
    o.0.lock().unwrap().push(Labeled {
        raw: fw.into(),
        class_uid: 4003,
        activity_id: Some(1),
        source: "override:alice".into(),
    });
    published(&env.run_with(&o).await.unwrap());
    let d = Classifier::new(Arc::new(env.serving().await), None, Config::default()).classify(fw);
    assert_eq!((d.class_uid, d.decided_by), (4003, DecidedBy::Override), "{d:?}");
    assert!(matches!(env.run_with(&o).await.unwrap(), Outcome::Unchanged { .. }));
}

#[tokio::test]
async fn racing_commits_one_wins_and_the_loser_starts_over() {
    let env = Env::new().await;
    let r = Rebuilder {
        store: &env.store,
        overrides: &NoOverrides,
        embedder: None,
        cfg: env.cfg.clone(),
    };
    let start = publish::read_pointer(&env.store, &env.cfg.pointer_key).await.unwrap();
    let Prepared::Commit(a) = r.prepare(start.clone()).await.unwrap() else {
        panic!("A has nothing to commit")
    };
    env.put("kb/sources/examples/dns.jsonl", &dns(30)).await;
    let Prepared::Commit(b) = r.prepare(start).await.unwrap() else {
        panic!("B has nothing to commit")
    };
    let (a_hash, b_hash) = (a.header.content_hash.clone(), b.header.content_hash.clone());
    assert_ne!(a_hash, b_hash);

    assert!(r.commit(*a).await.unwrap().is_some(), "A should win");
    assert!(r.commit(*b).await.unwrap().is_none(), "B read the same pointer: it must lose");
    assert_eq!(
        env.versions().await.len(),
        1,
        "the loser deletes the artifact it wrote: {:?}",
        env.versions().await
    );
    assert_eq!(env.pointer().await.content_hash, a_hash);
    env.serving().await;

    // The loser's full run starts from A's pointer and publishes B's inputs.
    published(&env.run().await.unwrap());
    assert_eq!(env.pointer().await.content_hash, b_hash);
    env.serving().await;
}

#[test]
fn concurrent_runs_on_the_same_inputs_publish_one_version() {
    let env = tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(Env::new());
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .build()
                        .unwrap()
                        .block_on(env.run())
                        .unwrap()
                })
            })
            .collect();
        runs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let kinds: Vec<&str> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Published { .. } => "published",
            Outcome::Unchanged { .. } => "unchanged",
            _ => "other",
        })
        .collect();
    assert!(kinds.contains(&"published") && kinds.contains(&"unchanged"), "{outcomes:?}");
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.block_on(env.versions()).len(), 1);
    rt.block_on(env.serving());
}

#[tokio::test]
async fn broken_inputs_fail_naming_the_object_and_line_and_keep_the_current_version() {
    let env = Env::new().await;
    published(&env.run().await.unwrap());
    let pointer = env.pointer_bytes().await;
    let versions = env.versions().await;

    let key = "kb/sources/examples/dns.jsonl";
    let good = dns(3);
    env.put(key, &format!("{good}{{\"raw\": \"x\", \"class_uid\": \n")).await;
    let e = env.run().await.unwrap_err();
    assert!(
        matches!(&e, RebuildError::BrokenInput { object, line: Some(4), .. } if object == key),
        "{e:?}"
    );
    assert!(e.to_string().contains(key) && e.to_string().contains("line 4"), "{e}");
    assert!(!e.is_retryable());

    env.put(key, "{\"class_uid\": 4003}\n").await;
    let e = env.run().await.unwrap_err().to_string();
    assert!(
        e.contains(key) && e.contains("line 1") && e.contains("neither a labelled example"),
        "{e}"
    );

    // The knowledge checker's schema rules hold for uploaded lines too.
    for (line, want) in [
        (r#"{"raw": "x", "class_uid": 999999, "activity_id": 1, "source": "s"}"#, "is not a class"),
        (
            r#"{"raw": "x", "class_uid": 4003, "activity_id": 4242, "source": "s"}"#,
            "is not an activity",
        ),
        (
            r#"{"product": "P", "class_uid": 4003, "activity_id": null, "identify": {"fields": []}}"#,
            "identify",
        ),
    ] {
        env.put(key, &format!("{good}{line}\n")).await;
        let e = env.run().await.unwrap_err();
        assert!(
            matches!(&e, RebuildError::BrokenInput { object, line: Some(4), what } if object == key && what.contains(want)),
            "{e:?}"
        );
    }

    env.put(key, &good).await;
    env.store.put(key, vec![b'{', 0xff, b'}'], PutCondition::None).await.unwrap();
    let e = env.run().await.unwrap_err().to_string();
    assert!(e.contains(key) && e.contains("not UTF-8"), "{e}");
    env.store.delete(key).await.unwrap();

    let schema_key = "kb/sources/schema/ocsf-schema.json";
    env.put(schema_key, &SCHEMA[..SCHEMA.len() / 2]).await;
    let e = env.run().await.unwrap_err();
    assert!(
        matches!(&e, RebuildError::BrokenInput { object, .. } if object == schema_key),
        "{e:?}"
    );
    assert!(e.to_string().contains("not valid JSON"), "{e}");
    env.put(schema_key, r#"{"version": "1.8.0"}"#).await;
    let e = env.run().await.unwrap_err().to_string();
    assert!(e.contains(schema_key) && e.contains("classes"), "{e}");

    env.put(schema_key, SCHEMA).await;
    env.put("kb/sources/schema/ocsf-schema-1.9.json", SCHEMA).await;
    let e = env.run().await.unwrap_err();
    assert!(matches!(&e, RebuildError::SeveralSchemas { keys, .. } if keys.len() == 2), "{e:?}");
    env.store.delete("kb/sources/schema/ocsf-schema-1.9.json").await.unwrap();
    env.store.delete(schema_key).await.unwrap();
    assert!(matches!(env.run().await.unwrap_err(), RebuildError::NoSchema { .. }));

    assert_eq!(env.pointer_bytes().await, pointer, "a failed run moved the pointer");
    assert_eq!(env.versions().await, versions, "a failed run wrote an artifact");
    env.put(schema_key, SCHEMA).await;
    assert!(
        matches!(env.run().await.unwrap(), Outcome::Unchanged { .. }),
        "repaired inputs equal the serving ones"
    );
}

/// A pack that maps every labelled record's exact field names and values to a wrong class:
/// knowledge that contradicts the labelled data, so the candidate must score worse.
fn poison_pack() -> String {
    let wrong_for = |class: u64| match class {
        3002 => 1007,
        4001 => 3002,
        _ => 4001,
    };
    let mut out = String::new();
    for (i, line) in [auth(30), network(30), process(30)].concat().lines().enumerate() {
        let labelled: serde_json::Value = serde_json::from_str(line).unwrap();
        let rec = crate::parse::parse(labelled["raw"].as_str().unwrap());
        let fields: Vec<&str> = rec.fields.iter().map(|f| f.key.as_str()).collect();
        let values: Vec<&str> = rec.fields.iter().map(|f| f.value.as_str()).collect();
        let entry = serde_json::json!({
            "product": format!("Mislabelled {i}"), "vendor": "Nobody", "event": labelled["raw"],
            "identify": {"fields": fields, "values": values},
            "class_uid": wrong_for(labelled["class_uid"].as_u64().unwrap()), "activity_id": 1
        });
        out.push_str(&format!("{entry}\n"));
    }
    out
}

#[tokio::test]
async fn a_worse_candidate_is_refused_and_nothing_moves() {
    let env = Env::new().await;
    published(&env.run().await.unwrap());
    let pointer = env.pointer_bytes().await;
    let versions = env.versions().await;

    env.put("kb/sources/knowledge/bad-pack.jsonl", &poison_pack()).await;
    let out = env.run().await.unwrap();
    let Outcome::Refused { gate, candidate_content_hash, .. } = &out else {
        panic!("expected a refusal, got {out:?}")
    };
    let (cand, cur) = (gate.candidate_accuracy.unwrap(), gate.current_accuracy.unwrap());
    assert!(cand + env.cfg.quality_margin < cur, "{gate:?}");
    assert!(!gate.passed);
    assert_eq!(gate.removed_from_candidate, gate.held_back);
    assert_eq!(
        gate.removed_from_current, gate.held_back,
        "the current KB must not keep the answers"
    );
    assert_eq!(env.pointer_bytes().await, pointer);
    assert_eq!(env.versions().await, versions);
    assert!(!env.versions().await.iter().any(|k| k.contains(candidate_content_hash.as_str())));

    // A margin wide enough lets it through: the gate compares, it does not judge alone.
    let lax = RebuildConfig { quality_margin: 1.0, ..env.cfg.clone() };
    published(
        &Rebuilder { store: &env.store, overrides: &NoOverrides, embedder: None, cfg: lax }
            .run()
            .await
            .unwrap(),
    );
}

#[tokio::test]
async fn retention_keeps_the_newest_n_and_never_the_serving_one() {
    let env = Env::new().await;
    let cfg = RebuildConfig { keep_versions: 2, ..env.cfg.clone() };
    let keys: Vec<String> =
        (0..5).map(|i| publish::version_key(&cfg.versions_prefix, &format!("{i:064x}"))).collect();
    for k in &keys {
        env.put(k, "artifact").await;
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    env.put("kb/versions/notes.txt", "not an artifact").await;
    // An operator rolled back to the oldest version.
    let p = Pointer {
        key: keys[0].clone(),
        content_hash: format!("{:064x}", 0),
        inputs_hash: "x".into(),
        ocsf_version: "1.8.0".into(),
        published_at: "2026-01-01T00:00:00Z".into(),
        accuracy: None,
    };
    env.put(&cfg.pointer_key, &serde_json::to_string(&p).unwrap()).await;
    let mut deleted = publish::retain(&env.store, &cfg).await.unwrap();
    deleted.sort();
    assert_eq!(deleted, vec![keys[1].clone(), keys[2].clone()]);
    let mut left = env.versions().await;
    left.sort();
    assert_eq!(
        left,
        vec![
            keys[0].clone(),
            keys[3].clone(),
            keys[4].clone(),
            "kb/versions/notes.txt".to_string()
        ]
    );

    // Through full runs: each publish keeps at most N (+ the serving one).
    let mut envc = Env::new().await;
    envc.cfg.keep_versions = 2;
    for n in 1..=4 {
        envc.put("kb/sources/examples/dns.jsonl", &dns(5 * n)).await;
        published(&envc.run().await.unwrap());
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    let left = envc.versions().await;
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&envc.pointer().await.key));
}

#[test]
fn holdout_is_deterministic_and_about_one_in_k() {
    let h = Holdout::new(5);
    let raws: Vec<String> = (0..2000).map(|i| format!("record {i}")).collect();
    let held = raws.iter().filter(|r| h.holds_back(r)).count();
    assert!((300..500).contains(&held), "{held}");
    assert!(raws.iter().all(|r| h.holds_back(r) == Holdout::new(5).holds_back(r)));
    let ex: Vec<Labeled> = raws
        .iter()
        .map(|r| Labeled { raw: r.clone(), class_uid: 1, activity_id: None, source: "s".into() })
        .collect();
    let slice = h.slice(&ex, &ex[..100]);
    assert_eq!(slice.len(), held + ex[..100].iter().filter(|l| h.holds_back(&l.raw)).count());
}

#[test]
fn layout_and_config_checks() {
    let l = SourceLayout::new("kb/sources/");
    assert_eq!(l.kind("kb/sources/schema/ocsf-1.8.0.json"), Some(SourceKind::Schema));
    assert_eq!(l.kind("kb/sources/examples/a/b.jsonl"), Some(SourceKind::Jsonl));
    assert_eq!(l.kind("kb/sources/knowledge/pack.jsonl"), Some(SourceKind::Jsonl));
    for not in [
        "kb/sources/schema/old/x.json",
        "kb/sources/examples/README.md",
        "kb/sources/other/x.jsonl",
        "kb/current.json",
        "kb/versions/a.kb",
    ] {
        assert_eq!(l.kind(not), None, "{not}");
    }
    assert!(RebuildConfig::default().validate().is_ok());
    let bad = [
        RebuildConfig { keep_versions: 0, ..Default::default() },
        RebuildConfig { holdout_every: 1, ..Default::default() },
        RebuildConfig { quality_margin: -0.1, ..Default::default() },
        RebuildConfig { sources_prefix: "kb/sources".into(), ..Default::default() },
        RebuildConfig { pointer_key: "kb/sources/current.json".into(), ..Default::default() },
    ];
    for c in bad {
        assert!(matches!(c.validate(), Err(RebuildError::BadSetting { .. })), "{c:?}");
    }
}

#[test]
fn inputs_hash_follows_content_order_of_overrides_and_model() {
    let obj =
        |k: &str, b: &str| inputs::SourceObject { key: k.into(), bytes: b.as_bytes().to_vec() };
    let lab = |raw: &str, c: u32| Labeled {
        raw: raw.into(),
        class_uid: c,
        activity_id: None,
        source: "override:a".into(),
    };
    let g = Gathered {
        prefix: "kb/sources/".into(),
        schemas: vec![obj("kb/sources/schema/s.json", "{}")],
        jsonl: vec![
            obj("kb/sources/examples/a.jsonl", "a"),
            obj("kb/sources/examples/b.jsonl", "b"),
        ],
        overrides: vec![lab("x", 1), lab("x", 2)],
        overrides_through_ms: 7,
    };
    let h = g.inputs_hash(None);
    assert_eq!(h, g.clone().inputs_hash(None));
    assert_ne!(h, g.inputs_hash(Some("all-MiniLM-L6-v2")));
    let mut changed = g.clone();
    changed.jsonl[1].bytes = b"c".to_vec();
    assert_ne!(h, changed.inputs_hash(None));
    let mut renamed = g.clone();
    renamed.jsonl[1].key = "kb/sources/examples/c.jsonl".into();
    assert_ne!(h, renamed.inputs_hash(None));
    let mut swapped = g.clone();
    swapped.overrides.reverse();
    assert_ne!(h, swapped.inputs_hash(None), "the latest override wins, so order is content");
    let mut later = g.clone();
    later.overrides_through_ms = 8;
    assert_eq!(h, later.inputs_hash(None), "the watermark is not an input");
}

#[test]
fn build_rows_name_the_outcome_and_the_gate_reason() {
    let gate = GateReport {
        held_back: 40,
        candidate_accuracy: Some(0.80),
        current_accuracy: Some(0.90),
        margin: 0.02,
        passed: false,
        removed_from_candidate: 0,
        removed_from_current: 0,
        note: None,
    };
    let refused = Outcome::Refused {
        current_version: "v1".into(),
        candidate_content_hash: "c".into(),
        inputs_hash: "i".into(),
        gate,
    };
    let row = super::build_row(&refused, 5, 9);
    assert_eq!((row.outcome.as_str(), row.kb_version.as_str(), row.at_ms), ("refused", "v1", 9));
    assert!(row.reason.contains("80.0%") && row.reason.contains("90.0%"), "{}", row.reason);
    let same = Outcome::SameContent { version: "v2".into(), inputs_hash: "i".into() };
    assert_eq!(super::build_row(&same, 5, 9).outcome, "same_content");
}
