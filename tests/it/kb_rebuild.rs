//! `kb-rebuild` through its real binary and the Lambda Runtime API, against LocalStack S3
//! (sources, versions, pointer) and ClickHouse (analyst overrides), with the real `classify`
//! binary reading what it publishes.
//!
//! The sources are the OCSF 1.8.0 schema export and the repository's `knowledge/` files,
//! uploaded to a fresh bucket per test; builds are lexical (no model) to keep tests short.
//!
//! - the S3 adapter honours conditional writes on LocalStack (what the publish relies on);
//! - an S3 upload of a new example file → rebuild → a new version that `classify` uses;
//! - an override stored in ClickHouse changes how a later record of that shape is
//!   classified after the next rebuild;
//! - a corrupt input fails the rebuild naming the object and line; the current version stays;
//! - a candidate that scores worse is refused; nothing moves;
//! - unchanged inputs publish nothing; events for non-inputs are ignored;
//! - two rebuilds racing on one bucket publish one version.

use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use aws_sdk_s3::primitives::ByteStream;
use ocsfmap::blob::{BlobError, BlobStore, PutCondition};
use ocsfmap::kb::artifact;
use ocsfmap::kb::pointer::Pointer;
use ocsfmap_edge::clickhouse::ClickHouseConfig;
use ocsfmap_edge::s3::S3BlobStore;
use ocsfmap_tests::clickhouse::TestDatabase;
use ocsfmap_tests::{binaries, function_binary, localstack, FunctionProcess, InvokeError};
use serde_json::{json, Value};

const POINTER: &str = "kb/current.json";
const VERSIONS: &str = "kb/versions/";
const SCHEMA_KEY: &str = "kb/sources/schema/ocsf-schema-1.8.0.json";
/// Debug builds of the engine are slow; a lexical rebuild of the schema and knowledge/
/// takes a few seconds to tens of seconds there, more with parallel tests on two cores.
const REBUILD_TIMEOUT: Duration = Duration::from_secs(600);

fn event_sample(name: &str) -> Result<Value> {
    let path = binaries::workspace_root().join("events/kb-rebuild").join(name);
    Ok(serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| path.display().to_string())?,
    )?)
}

/// The direct S3 notification for `key` in `bucket` (keys are URL-encoded in these).
fn s3_notification(bucket: &str, key: &str, removed: bool) -> Result<Value> {
    let mut ev =
        event_sample(if removed { "s3-object-removed.json" } else { "s3-object-created.json" })?;
    let rec = &mut ev["Records"][0];
    rec["s3"]["bucket"]["name"] = json!(bucket);
    rec["s3"]["bucket"]["arn"] = json!(format!("arn:aws:s3:::{bucket}"));
    rec["s3"]["object"]["key"] = json!(key.replace(' ', "+"));
    Ok(ev)
}

/// The same change as S3 sends it through EventBridge.
fn eventbridge_s3(bucket: &str, key: &str) -> Result<Value> {
    let mut ev = event_sample("eventbridge-s3-object-created.json")?;
    ev["detail"]["bucket"]["name"] = json!(bucket);
    ev["detail"]["object"]["key"] = json!(key);
    Ok(ev)
}

struct Rig {
    s3: aws_sdk_s3::Client,
    bucket: String,
    store: S3BlobStore,
    rebuild: FunctionProcess,
    db: Option<TestDatabase>,
}

impl Rig {
    /// A bucket with the schema and knowledge/ as sources, and a kb-rebuild process.
    /// With `clickhouse`, a migrated test database feeds it overrides.
    async fn new(clickhouse: bool, env: &[(&str, &str)]) -> Result<Rig> {
        let s3 = localstack::s3_client().await?;
        let bucket = localstack::create_bucket(&s3, "it-kb-rebuild").await?;
        let store = S3BlobStore::new(s3.clone(), bucket.clone());
        let schema = std::fs::read(binaries::schema_path())
            .with_context(|| format!("{} (set OCSF_SCHEMA)", binaries::schema_path().display()))?;
        store.put(SCHEMA_KEY, schema, PutCondition::None).await?;
        let knowledge = binaries::workspace_root().join("knowledge");
        for (dir, prefix) in
            [("examples", "kb/sources/examples/"), ("pack", "kb/sources/knowledge/pack/")]
        {
            let mut files: Vec<_> = std::fs::read_dir(knowledge.join(dir))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            files.sort();
            for f in files.iter().filter(|f| f.extension().is_some_and(|x| x == "jsonl")) {
                let name = f.file_name().and_then(|n| n.to_str()).context("file name")?;
                store
                    .put(&format!("{prefix}{name}"), std::fs::read(f)?, PutCondition::None)
                    .await?;
            }
        }
        store
            .put("kb/sources/README.md", b"how to add sources".to_vec(), PutCondition::None)
            .await?;

        let mut vars = localstack::function_env();
        vars.push(("KB_BUCKET".into(), bucket.clone()));
        vars.push(("RUST_LOG".into(), "info".into()));
        let db = if clickhouse {
            let db = TestDatabase::create("it_kb_rebuild").await?;
            let cfg = ch_config(&db)?;
            ocsfmap_edge::clickhouse::migrate(&cfg).await.context("migrating the test database")?;
            vars.extend(db.function_env());
            Some(db)
        } else {
            None
        };
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let bin = tokio::task::spawn_blocking(|| function_binary("kb-rebuild")).await??;
        let rebuild = FunctionProcess::spawn(bin, vars).await?.with_timeout(REBUILD_TIMEOUT);
        Ok(Rig { s3, bucket, store, rebuild, db })
    }

    async fn invoke(&self, event: Value) -> Result<Value> {
        self.rebuild
            .invoke(event)
            .await
            .with_context(|| format!("kb-rebuild invoke; log:\n{}", self.rebuild.log_tail()))
    }

    async fn scheduled(&self) -> Result<Value> {
        self.invoke(event_sample("scheduled.json")?).await
    }

    async fn pointer(&self) -> Result<(Pointer, String)> {
        let b = self.store.get(POINTER).await?;
        Ok((serde_json::from_slice(&b.bytes)?, b.etag.unwrap_or_default()))
    }

    async fn versions(&self) -> Result<Vec<String>> {
        Ok(localstack::list_keys(&self.s3, &self.bucket, VERSIONS).await?)
    }

    /// The serving KB, checked against its pointer.
    async fn serving(&self) -> Result<ocsfmap::kb::KnowledgeBase> {
        let (p, _) = self.pointer().await?;
        let bytes = self.store.get(&p.key).await?.bytes;
        let kb = artifact::from_bytes(&bytes, &p.key)?;
        ensure!(
            kb.header.content_hash == p.content_hash,
            "pointer {p:?} names an artifact with hash {}",
            kb.header.content_hash
        );
        ensure!(p.key == format!("{VERSIONS}{}.kb", p.content_hash), "pointer key {}", p.key);
        Ok(kb)
    }

    async fn put_source(&self, key: &str, text: &str) -> Result<()> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(text.as_bytes().to_vec()))
            .send()
            .await?;
        Ok(())
    }

    async fn cleanup(self) {
        if let Some(db) = self.db {
            let _ = db.drop_database().await;
        }
        let _ = localstack::delete_bucket(&self.s3, &self.bucket).await;
    }
}

fn ch_config(db: &TestDatabase) -> Result<ClickHouseConfig> {
    let env = ocsfmap_edge::env::Env::from_pairs(db.function_env());
    Ok(ClickHouseConfig::from_env(&env)?)
}

fn outcome(v: &Value) -> &str {
    v["outcome"].as_str().unwrap_or("")
}

fn expect_published(v: &Value) -> Result<String> {
    ensure!(outcome(v) == "published", "expected a publish, got {v}");
    Ok(v["version"].as_str().context("version")?.to_string())
}

// --- the S3 adapter -----------------------------------------------------------------

#[tokio::test]
async fn s3_blob_store_honours_conditional_writes_on_localstack() -> Result<()> {
    let s3 = localstack::s3_client().await?;
    let bucket = localstack::create_bucket(&s3, "it-s3-blob").await?;
    let store = S3BlobStore::new(s3.clone(), bucket.clone());

    assert!(matches!(store.get("p").await, Err(BlobError::NotFound(k)) if k == "p"));
    let e1 = store.put("p", b"one".to_vec(), PutCondition::IfAbsent).await?;
    let second = store.put("p", b"two".to_vec(), PutCondition::IfAbsent).await;
    assert!(
        matches!(second, Err(BlobError::PreconditionFailed(_))),
        "If-None-Match: * must refuse an existing key: {second:?}"
    );
    let e2 = store.put("p", b"three".to_vec(), PutCondition::IfMatch(e1.clone())).await?;
    assert_ne!(e1, e2);
    let stale = store.put("p", b"four".to_vec(), PutCondition::IfMatch(e1.clone())).await;
    assert!(
        matches!(stale, Err(BlobError::PreconditionFailed(_))),
        "a stale If-Match must lose: {stale:?}"
    );
    let gone = store.put("missing", b"x".to_vec(), PutCondition::IfMatch(e1)).await;
    assert!(
        matches!(gone, Err(BlobError::PreconditionFailed(_))),
        "If-Match on a missing key lost the race: {gone:?}"
    );
    let b = store.get("p").await?;
    assert_eq!((b.bytes.as_slice(), b.etag.as_deref()), (&b"three"[..], Some(e2.as_str())));
    assert_eq!(store.get_if_changed("p", Some(&e2)).await?, None);
    assert_eq!(
        store.get_if_changed("p", Some("\"other\"")).await?.map(|b| b.bytes),
        Some(b"three".to_vec())
    );

    store.put("d/a", b"1".to_vec(), PutCondition::None).await?;
    store.put("d/b", b"22".to_vec(), PutCondition::None).await?;
    let listed = store.list("d/").await?;
    assert_eq!(
        listed.iter().map(|m| (m.key.as_str(), m.size)).collect::<Vec<_>>(),
        vec![("d/a", 1), ("d/b", 2)]
    );
    assert!(listed.iter().all(|m| m.etag.is_some() && m.last_modified_ms.is_some()));
    store.delete("d/a").await?;
    store.delete("d/a").await?;
    assert_eq!(store.list("d/").await?.len(), 1);

    let nobucket = S3BlobStore::new(s3.clone(), format!("{bucket}-absent"));
    assert!(
        matches!(nobucket.get("k").await, Err(BlobError::Other(_))),
        "a missing bucket is not a missing object"
    );
    localstack::delete_bucket(&s3, &bucket).await?;
    Ok(())
}

// --- classify reading what kb-rebuild publishes --------------------------------------

struct Classify {
    process: FunctionProcess,
}

#[derive(clickhouse::Row, serde::Deserialize, Debug)]
struct Row {
    class_uid: u32,
    decided_by: String,
    kb_version: String,
}

impl Classify {
    async fn start(rig: &Rig) -> Result<Classify> {
        let db = rig.db.as_ref().context("classify needs the rig's database")?;
        let mut env = localstack::function_env();
        env.extend(db.function_env());
        let cache = std::env::temp_dir().join(ocsfmap_tests::names::unique("kb-rebuild-it-cache"));
        env.extend(
            [
                ("KB_BUCKET", rig.bucket.clone()),
                ("KB_CACHE_DIR", cache.display().to_string()),
                // Follow the pointer on every batch, so the test sees a publish at once.
                ("KB_CHECK_INTERVAL_MS", "0".to_string()),
                ("CLASSIFY_THREADS", "1".to_string()),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        let bin = tokio::task::spawn_blocking(|| function_binary("classify")).await??;
        Ok(Classify {
            process: FunctionProcess::spawn(bin, env).await?.with_timeout(Duration::from_secs(120)),
        })
    }

    /// Sends `raw` as one ingest envelope in an SQS event; returns the stored row.
    async fn classify(&self, db: &TestDatabase, raw: &str) -> Result<Row> {
        let id = uuid::Uuid::now_v7();
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
        let body = json!({"v": 1, "records": [{"event_id": id, "received_at": now, "source": "it-kb-rebuild", "raw": raw}]});
        let event = json!({"Records": [{
            "messageId": id.to_string(), "receiptHandle": "it", "body": body.to_string(),
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": format!("arn:aws:sqs:{}:{}:it-kb-rebuild", localstack::REGION, localstack::ACCOUNT_ID),
            "awsRegion": localstack::REGION
        }]});
        let resp = self
            .process
            .invoke(event)
            .await
            .with_context(|| format!("classify invoke; log:\n{}", self.process.log_tail()))?;
        ensure!(
            resp["batchItemFailures"].as_array().is_some_and(|f| f.is_empty()),
            "classify failed the message: {resp}"
        );
        let rows = db
            .client()
            .query("SELECT class_uid, toString(decided_by) AS decided_by, toString(kb_version) AS kb_version FROM events FINAL WHERE event_id = toUUID(?)")
            .bind(id.to_string())
            .fetch_all::<Row>()
            .await?;
        match rows.into_iter().next() {
            Some(r) => Ok(r),
            None => bail!("no row stored for {id}"),
        }
    }
}

/// A DNS log in a made-up product's terse format (numeric query type and response code,
/// one-letter keys): nothing in knowledge/ says what it is, its examples must.
const ZDNS: &str = r#"{"zt":"2026-11-21T08:00:01Z","zc":"10.20.0.7","zn":"intranet.corp.example","zk":28,"zr":3,"zl":812}"#;

fn zdns_examples() -> String {
    let names = [
        "mail", "vpn", "wiki", "git", "ci", "db", "cache", "auth", "files", "print", "proxy", "ntp",
    ];
    let mut out = String::new();
    for (i, n) in names.iter().enumerate() {
        for (qtype, rcode) in [(1, 0), (28, 3), (15, 0)] {
            let raw = format!(
                r#"{{"zt":"2026-11-20T0{}:1{}:00Z","zc":"10.20.{i}.{}","zn":"{n}.corp.example","zk":{qtype},"zr":{rcode},"zl":{}}}"#,
                i % 10,
                i % 6,
                i + 3,
                300 + 17 * i
            );
            out.push_str(&json!({"raw": raw, "class_uid": 4003, "activity_id": 1, "source": "zdns/query-log"}).to_string());
            out.push('\n');
        }
    }
    out
}

#[tokio::test]
async fn a_new_example_file_is_published_and_classify_uses_it() -> Result<()> {
    let rig = Rig::new(true, &[("KB_KEEP_VERSIONS", "1")]).await?;
    let db = rig.db.as_ref().context("db")?;
    let v1 = expect_published(&rig.scheduled().await?)?;
    let classify = Classify::start(&rig).await?;
    let before = classify.classify(db, ZDNS).await?;
    ensure!(before.kb_version == v1, "classify served {} instead of {v1}", before.kb_version);
    ensure!(
        before.class_uid != 4003,
        "premise: the base KB must not know this format already ({before:?})"
    );

    let key = "kb/sources/examples/zdns query log.jsonl";
    rig.put_source(key, &zdns_examples()).await?;
    let out = rig.invoke(s3_notification(&rig.bucket, key, false)?).await?;
    let v2 = expect_published(&out)?;
    ensure!(v2 != v1 && out["previous_version"] == json!(v1), "{out}");
    ensure!(out["changed"][0]["key"] == json!(key), "the notification's key is URL-decoded: {out}");
    let gate = &out["gate"];
    ensure!(
        gate["passed"] == json!(true) && gate["held_back"].as_u64().unwrap_or(0) > 100,
        "{gate}"
    );
    // The candidate loses every held-back document; the current KB the ones it had (the
    // new file's held-back records were never in it).
    let n = |k: &str| gate[k].as_u64().unwrap_or(u64::MAX);
    ensure!(
        n("removed_from_candidate") == n("held_back") && n("removed_from_current") < n("held_back"),
        "{gate}"
    );
    // KB_KEEP_VERSIONS=1: the old artifact is gone, the new one serves.
    let (p, _) = rig.pointer().await?;
    ensure!(rig.versions().await? == vec![p.key.clone()], "versions {:?}", rig.versions().await?);
    ensure!(out["deleted"].as_array().is_some_and(|d| d.len() == 1), "{out}");

    let after = classify.classify(db, ZDNS).await?;
    ensure!(
        after.kb_version == v2,
        "classify still serves {} after the publish of {v2}",
        after.kb_version
    );
    ensure!(after.class_uid == 4003, "the new examples should decide DNS Activity: {after:?}");
    classify.process.stop().await;
    rig.cleanup().await;
    Ok(())
}

/// A record of an in-house application's audit log, and a later one of the same shape.
const PAYROLL: &str = r#"{"ts":"2026-11-21T09:00:00Z","app":"payroll","op":"export","actor":"bob","rows":1200,"dst":"203.0.113.9"}"#;
const PAYROLL_LATER: &str = r#"{"ts":"2026-11-21T17:42:10Z","app":"payroll","op":"export","actor":"carol","rows":87,"dst":"198.51.100.23"}"#;

#[tokio::test]
async fn an_override_in_clickhouse_changes_later_records_of_that_shape() -> Result<()> {
    let rig = Rig::new(true, &[]).await?;
    let db = rig.db.as_ref().context("db")?;
    let v1 = expect_published(&rig.scheduled().await?)?;
    let classify = Classify::start(&rig).await?;
    let first = classify.classify(db, PAYROLL).await?;
    ensure!(first.kb_version == v1, "{first:?}");
    // The analyst's answer: Datastore Activity (6005), Read — unless search already said so.
    let target: u32 = if first.class_uid == 6005 { 1001 } else { 6005 };

    let stored = db
        .client()
        .query("SELECT toString(event_id) FROM events FINAL WHERE raw = ?")
        .bind(PAYROLL)
        .fetch_one::<String>()
        .await?;
    db.client()
        .query("INSERT INTO overrides (event_id, class_uid, activity_id, who, note) VALUES (toUUID(?), ?, 2, 'alice', 'payroll exports are datastore reads')")
        .bind(&stored)
        .bind(target)
        .execute()
        .await?;

    let out = rig.scheduled().await?;
    let v2 = expect_published(&out)?;
    ensure!(v2 != v1, "{out}");
    let kb = rig.serving().await?;
    ensure!(kb.header.counts.overrides == 1, "counts {:?}", kb.header.counts);

    let later = classify.classify(db, PAYROLL_LATER).await?;
    ensure!(later.kb_version == v2, "{later:?}");
    ensure!(
        later.class_uid == target && later.decided_by == "override",
        "a later record of the same shape: {later:?}"
    );
    // Nothing changed since: the next run publishes nothing.
    ensure!(outcome(&rig.scheduled().await?) == "unchanged");
    classify.process.stop().await;
    rig.cleanup().await;
    Ok(())
}

// --- refusals and no-ops -------------------------------------------------------------

#[tokio::test]
async fn a_corrupt_input_fails_naming_it_and_the_current_version_stays() -> Result<()> {
    let rig = Rig::new(false, &[]).await?;
    expect_published(&rig.scheduled().await?)?;
    let (pointer, etag) = rig.pointer().await?;
    let versions = rig.versions().await?;

    let key = "kb/sources/examples/broken.jsonl";
    let good =
        json!({"raw": "{\"a\":1}", "class_uid": 4003, "activity_id": 1, "source": "x"}).to_string();
    rig.put_source(key, &format!("{good}\n{good}\n{{\"raw\": \"half a line\n")).await?;
    match rig.rebuild.invoke(s3_notification(&rig.bucket, key, false)?).await {
        Err(InvokeError::Function { error_type, error_message }) => {
            ensure!(error_type == "Permanent.BrokenInput", "{error_type}: {error_message}");
            ensure!(
                error_message.contains(key) && error_message.contains("line 3"),
                "{error_message}"
            );
        }
        other => bail!("expected a BrokenInput error, got {other:?}"),
    }
    rig.put_source(SCHEMA_KEY, "{\"version\": \"1.8.0\", \"classes\": ").await?;
    rig.s3.delete_object().bucket(&rig.bucket).key(key).send().await?;
    match rig.rebuild.invoke(s3_notification(&rig.bucket, SCHEMA_KEY, false)?).await {
        Err(InvokeError::Function { error_type, error_message }) => {
            ensure!(
                error_type == "Permanent.BrokenInput" && error_message.contains(SCHEMA_KEY),
                "{error_type}: {error_message}"
            );
        }
        other => bail!("expected a BrokenInput error for the schema, got {other:?}"),
    }
    let (after, after_etag) = rig.pointer().await?;
    ensure!(after == pointer && after_etag == etag, "a failed rebuild moved the pointer");
    ensure!(rig.versions().await? == versions, "a failed rebuild wrote an artifact");
    rig.serving().await?;

    // Repaired: the inputs equal the serving version's again.
    rig.put_source(SCHEMA_KEY, &std::fs::read_to_string(binaries::schema_path())?).await?;
    let out = rig.invoke(s3_notification(&rig.bucket, SCHEMA_KEY, false)?).await?;
    ensure!(outcome(&out) == "unchanged", "{out}");
    rig.cleanup().await;
    Ok(())
}

/// A knowledge file whose entries copy each example's fields and values and map them to
/// another class: a bad pack, the kind of input the gate exists to stop.
fn poisoned_pack() -> Result<String> {
    let inputs =
        ocsfmap::kb::sources::read_paths(&[binaries::workspace_root().join("knowledge/examples")])?;
    let classes: Vec<u32> = {
        // Core classes only: an extension class (Windows') may only sit on a line of its
        // platform, and these lines must reach the quality gate, not the loader's refusal.
        let mut c: Vec<u32> =
            inputs.examples.iter().map(|l| l.class_uid).filter(|c| *c < 100_000).collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let mut out = String::new();
    for (i, l) in inputs.examples.iter().enumerate() {
        let rec = ocsfmap::parse::parse(&l.raw);
        let fields: Vec<&str> = rec.fields.iter().map(|f| f.key.as_str()).take(24).collect();
        // Values the loader accepts: no request line or path (an API route to the loader), none
        // spelled like one of the line's field names.
        let is_key = |v: &str| {
            fields.iter().any(|k| {
                k.eq_ignore_ascii_case(v)
                    || k.rsplit('.').next().is_some_and(|s| s.eq_ignore_ascii_case(v))
            })
        };
        let values: Vec<&str> = rec
            .fields
            .iter()
            .map(|f| f.value.as_str())
            .filter(|v| v.len() < 64 && !v.contains('/') && !is_key(v))
            .take(24)
            .collect();
        let pos = classes.iter().position(|c| *c == l.class_uid).unwrap_or(0);
        let wrong = classes[(pos + 1 + i % 3) % classes.len()];
        let entry = json!({
            "product": format!("Mislabelled {i}"), "vendor": "Nobody", "event": l.raw.chars().take(60).collect::<String>(),
            "identify": {"fields": fields, "values": values}, "class_uid": wrong,
            // A fixed activity: the loader refuses a null one without an activity rule, and
            // this pack must reach the quality gate (every class has 0, Unknown).
            "activity_id": 0
        });
        out.push_str(&entry.to_string());
        out.push('\n');
    }
    Ok(out)
}

#[tokio::test]
async fn a_candidate_that_scores_worse_is_not_published() -> Result<()> {
    let rig = Rig::new(false, &[("KB_QUALITY_MARGIN", "0.02")]).await?;
    expect_published(&rig.scheduled().await?)?;
    let (pointer, etag) = rig.pointer().await?;
    let versions = rig.versions().await?;

    let key = "kb/sources/knowledge/vendor-mappings.jsonl";
    rig.put_source(key, &poisoned_pack()?).await?;
    let out = rig.invoke(eventbridge_s3(&rig.bucket, key)?).await?;
    ensure!(outcome(&out) == "refused", "{out}");
    let gate = &out["gate"];
    let (cand, cur) = (
        gate["candidate_accuracy"].as_f64().context("candidate")?,
        gate["current_accuracy"].as_f64().context("current")?,
    );
    ensure!(cand + 0.02 < cur && gate["passed"] == json!(false), "{gate}");
    let (after, after_etag) = rig.pointer().await?;
    ensure!(after == pointer && after_etag == etag, "a refused candidate moved the pointer");
    ensure!(rig.versions().await? == versions, "a refused candidate left an artifact");
    ensure!(
        rig.rebuild.logs().contains("candidate refused"),
        "the refusal is logged with both figures"
    );
    rig.cleanup().await;
    Ok(())
}

#[tokio::test]
async fn unchanged_inputs_publish_nothing_and_non_inputs_are_ignored() -> Result<()> {
    let rig = Rig::new(false, &[]).await?;
    let first = rig.scheduled().await?;
    expect_published(&first)?;
    let (pointer, etag) = rig.pointer().await?;
    ensure!(
        first["gate"]["current_accuracy"].is_null()
            && pointer.accuracy == first["gate"]["candidate_accuracy"].as_f64()
    );

    let again = rig.scheduled().await?;
    ensure!(outcome(&again) == "unchanged" && again["version"] == first["version"], "{again}");
    let manual = rig.invoke(event_sample("manual.json")?).await?;
    ensure!(outcome(&manual) == "unchanged", "{manual}");
    for ev in [
        s3_notification(&rig.bucket, "kb/sources/README.md", false)?,
        s3_notification(&rig.bucket, "kb/current.json", false)?,
        s3_notification(&rig.bucket, &format!("{VERSIONS}{}.kb", pointer.content_hash), false)?,
        s3_notification("another-bucket", "kb/sources/examples/x.jsonl", false)?,
        event_sample("s3-test-event.json")?,
    ] {
        let out = rig.invoke(ev.clone()).await?;
        ensure!(outcome(&out) == "ignored", "{ev} → {out}");
    }
    match rig.rebuild.invoke(json!({"hello": "world"})).await {
        Err(InvokeError::Function { error_type, .. })
            if error_type == "Permanent.UnrecognisedEvent" => {}
        other => bail!("an unknown event must be an error, got {other:?}"),
    }
    let (after, after_etag) = rig.pointer().await?;
    ensure!(after == pointer && after_etag == etag, "the pointer was rewritten");
    ensure!(rig.versions().await?.len() == 1);
    rig.cleanup().await;
    Ok(())
}

#[tokio::test]
async fn two_rebuilds_racing_publish_one_version() -> Result<()> {
    let rig = Rig::new(false, &[]).await?;
    let bin = tokio::task::spawn_blocking(|| function_binary("kb-rebuild")).await??;
    let mut vars = localstack::function_env();
    vars.push(("KB_BUCKET".into(), rig.bucket.clone()));
    let other = FunctionProcess::spawn(bin, vars).await?.with_timeout(REBUILD_TIMEOUT);
    let ev = event_sample("scheduled.json")?;
    let (a, b) = tokio::join!(rig.rebuild.invoke(ev.clone()), other.invoke(ev));
    let (a, b) = (a.with_context(|| rig.rebuild.log_tail())?, b.with_context(|| other.log_tail())?);
    let mut outcomes = [outcome(&a), outcome(&b)];
    outcomes.sort_unstable();
    ensure!(outcomes == ["published", "unchanged"], "{a}\n{b}");
    ensure!(rig.versions().await?.len() == 1, "{:?}", rig.versions().await?);
    rig.serving().await?;
    other.stop().await;
    rig.cleanup().await;
    Ok(())
}
