//! The batch logic against a directory blob store and an in-memory sink (the real S3 and
//! ClickHouse paths are covered by the integration tests).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::*;
use crate::blob::{Blob, BlobError, BlobStore, FsBlobStore, ObjectMeta, PutCondition};
use crate::envelope::{Batch, Envelope};
use crate::kb::artifact;
use crate::kb::pointer::Pointer;
use crate::kb::KbBody;
use crate::sink::ClassifiedEvent;
use crate::testutil;

const POINTER: &str = "kb/current.json";

/// A directory store that can be switched off (S3 unreachable).
struct Flaky {
    inner: FsBlobStore,
    down: AtomicBool,
    gets: AtomicUsize,
}

impl Flaky {
    fn new(dir: &std::path::Path) -> Self {
        Flaky {
            inner: FsBlobStore::new(dir),
            down: AtomicBool::new(false),
            gets: AtomicUsize::new(0),
        }
    }
    fn check(&self) -> Result<(), BlobError> {
        if self.down.load(Ordering::SeqCst) {
            Err(BlobError::Unavailable("connection refused".into()))
        } else {
            Ok(())
        }
    }
}

impl BlobStore for &'static Flaky {
    async fn get(&self, key: &str) -> Result<Blob, BlobError> {
        self.check()?;
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key).await
    }
    async fn get_if_changed(
        &self,
        key: &str,
        etag: Option<&str>,
    ) -> Result<Option<Blob>, BlobError> {
        self.check()?;
        self.inner.get_if_changed(key, etag).await
    }
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        cond: PutCondition,
    ) -> Result<String, BlobError> {
        self.inner.put(key, bytes, cond).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, BlobError> {
        self.inner.list(prefix).await
    }
    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.inner.delete(key).await
    }
}

#[derive(Default)]
struct MemSink {
    inserts: Mutex<Vec<(Vec<ClassifiedEvent>, String)>>,
    fail: Mutex<Option<StoreError>>,
    delay: Mutex<Option<Duration>>,
}

impl EventSink for MemSink {
    async fn write_batch(&self, rows: &[ClassifiedEvent], token: &str) -> Result<(), StoreError> {
        let delay = *self.delay.lock().unwrap();
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        if let Some(e) = self.fail.lock().unwrap().clone() {
            return Err(e);
        }
        self.inserts.lock().unwrap().push((rows.to_vec(), token.to_string()));
        Ok(())
    }
}

async fn publish(store: &FsBlobStore, body: &KbBody) -> Pointer {
    let (bytes, header) = artifact::to_bytes(body).unwrap();
    let key = format!("kb/versions/{}.kb", header.content_hash);
    store.put(&key, bytes, PutCondition::None).await.unwrap();
    let p = Pointer {
        key,
        content_hash: header.content_hash,
        inputs_hash: "test".into(),
        ocsf_version: header.ocsf_version,
        published_at: "2025-01-01T00:00:00Z".into(),
        accuracy: None,
    };
    store.put(POINTER, serde_json::to_vec(&p).unwrap(), PutCondition::None).await.unwrap();
    p
}

fn env(raw: &str, source: Option<&str>) -> Envelope {
    Envelope {
        event_id: uuid::Uuid::now_v7(),
        received_at: 1_700_000_000_000,
        source: source.map(str::to_string),
        raw: raw.into(),
    }
}

fn msg(id: &str, records: Vec<Envelope>) -> QueueMessage {
    QueueMessage {
        id: id.into(),
        body: serde_json::to_string(&Batch { v: 1, records }).unwrap(),
        receive_count: Some(1),
    }
}

struct Rig {
    store: &'static Flaky,
    processor: Processor<&'static Flaky, MemSink>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

fn rig(check_interval: Duration) -> Rig {
    let blobs = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let store: &'static Flaky = Box::leak(Box::new(Flaky::new(blobs.path())));
    let processor = processor_for(store, cache.path(), check_interval);
    Rig { store, processor, _dirs: (blobs, cache) }
}

fn processor_for(
    store: &'static Flaky,
    cache: &std::path::Path,
    check_interval: Duration,
) -> Processor<&'static Flaky, MemSink> {
    let cfg = KbHolderConfig {
        pointer_key: POINTER.into(),
        cache_dir: Some(cache.to_path_buf()),
        check_interval,
        classify: Default::default(),
    };
    Processor::new(
        KbHolder::new(store, cfg, None),
        MemSink::default(),
        ProcessorConfig { threads: 2, ..Default::default() },
    )
}

const LOGIN: &str =
    r#"{"eventName":"ConsoleLogin","userName":"bob","sourceIPAddress":"203.0.113.5"}"#;
const DENY: &str =
    r#"{"action":"deny","src_ip":"10.0.0.9","dst_ip":"10.0.0.2","dst_port":443,"protocol":"tcp"}"#;

#[tokio::test]
async fn no_knowledge_base_fails_the_batch_as_retryable() {
    let r = rig(Duration::ZERO);
    let err = r.processor.process(&[msg("m1", vec![env(LOGIN, None)])], None).await.unwrap_err();
    assert!(
        matches!(err, PipelineError::NoKnowledgeBase(KbUnavailable::NotPublished { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("kb/current.json"), "{err}");
    assert_eq!(err.disposition(), Disposition::Retry);
    assert!(r.processor.sink().inserts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn good_messages_land_in_one_insert_and_a_malformed_one_fails_alone() {
    let r = rig(Duration::ZERO);
    let p = publish(&r.store.inner, &testutil::mini_body(vec![])).await;
    let a = vec![env(LOGIN, Some("cloudtrail")), env(DENY, Some("fw"))];
    let b = vec![env(LOGIN, None)];
    let dup = a[0].clone();
    let messages = vec![
        msg("m1", a.clone()),
        QueueMessage { id: "poison".into(), body: "{not json".into(), receive_count: Some(3) },
        msg("m2", b),
        msg("m3", vec![dup]),
        QueueMessage {
            id: "future".into(),
            body: r#"{"v":9,"records":[]}"#.into(),
            receive_count: None,
        },
    ];
    let out = r.processor.process(&messages, None).await.unwrap();
    let failed: Vec<(&str, bool)> = out
        .failures
        .iter()
        .map(|f| (f.message_id.as_str(), matches!(f.reason, FailureReason::Malformed(_))))
        .collect();
    assert_eq!(failed, vec![("poison", true), ("future", true)]);
    assert_eq!((out.rows, out.duplicates, out.stored_messages), (3, 1, 3));
    assert_eq!(out.kb_version.as_deref(), Some(p.version()));

    let inserts = r.processor.sink().inserts.lock().unwrap();
    assert_eq!(inserts.len(), 1, "one insert per batch");
    let (rows, token) = &inserts[0];
    assert_eq!(token, &crate::sink::dedup_token(rows));
    assert!(rows.windows(2).all(|w| w[0].event_id < w[1].event_id), "rows sorted by event id");
    let by_id = |id| rows.iter().find(|r| r.event_id == id).unwrap();
    let login = by_id(a[0].event_id);
    assert_eq!(
        (login.class_uid, login.source.as_str(), login.format.as_str()),
        (3002, "cloudtrail", "json")
    );
    assert_eq!(login.type_uid, 3002 * 100 + i64::from(login.activity_id));
    assert_eq!(login.kb_version, p.version());
    assert_eq!(login.raw, LOGIN);
    // (the mini schema lacks the base attributes, so the mapper files them under `unmapped`;
    // the integration tests check the event against the real schema)
    let ev: serde_json::Value = serde_json::from_str(&login.ocsf_event).unwrap();
    assert!(ev.is_object() && login.ocsf_event.contains(&a[0].event_id.to_string()), "{ev}");
    assert!(ev.get("raw_data").is_none(), "raw_data is stored once, in `raw`");
    assert_eq!(by_id(a[1].event_id).class_uid, 4001);
}

#[tokio::test]
async fn all_malformed_needs_no_knowledge_base() {
    let r = rig(Duration::ZERO);
    let out = r
        .processor
        .process(&[QueueMessage { id: "x".into(), body: "[]".into(), receive_count: None }], None)
        .await
        .unwrap();
    assert_eq!(out.failures.len(), 1);
    assert_eq!(out.kb_version, None);
}

#[tokio::test]
async fn a_storage_failure_fails_every_inserted_message_and_the_retry_has_the_same_token() {
    let r = rig(Duration::ZERO);
    publish(&r.store.inner, &testutil::mini_body(vec![])).await;
    let messages = vec![msg("m1", vec![env(LOGIN, None)]), msg("m2", vec![env(DENY, None)])];
    *r.processor.sink().fail.lock().unwrap() =
        Some(StoreError::Unavailable("connection refused".into()));
    let out = r.processor.process(&messages, None).await.unwrap();
    assert_eq!(out.failures.len(), 2);
    assert!(out.failures.iter().all(
        |f| matches!(&f.reason, FailureReason::Storage { reason: m, disposition: Disposition::Retry } if m.contains("connection refused"))
    ));
    assert_eq!(out.stored_messages, 0);
    let first_token = out.dedup_token.clone().unwrap();

    *r.processor.sink().fail.lock().unwrap() = None;
    // SQS may deliver the retry in the other order.
    let out = r.processor.process(&[messages[1].clone(), messages[0].clone()], None).await.unwrap();
    assert!(out.failures.is_empty());
    assert_eq!(out.dedup_token.unwrap(), first_token);
}

#[tokio::test]
async fn a_refused_insert_is_reported_failed_as_permanent() {
    let r = rig(Duration::ZERO);
    publish(&r.store.inner, &testutil::mini_body(vec![])).await;
    *r.processor.sink().fail.lock().unwrap() =
        Some(StoreError::Rejected("Code: 16. No such column".into()));
    let out = r.processor.process(&[msg("m1", vec![env(LOGIN, None)])], None).await.unwrap();
    assert_eq!(out.failures.len(), 1, "nothing is deleted from the queue");
    assert_eq!(out.failures[0].reason.disposition(), Disposition::Permanent);
}

#[tokio::test]
async fn a_slow_store_is_cut_short_before_the_deadline() {
    let r = rig(Duration::ZERO);
    publish(&r.store.inner, &testutil::mini_body(vec![])).await;
    // warm up (KB loaded) so the deadline below is spent on the insert alone
    r.processor.process(&[msg("m0", vec![env(LOGIN, None)])], None).await.unwrap();
    *r.processor.sink().delay.lock().unwrap() = Some(Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_millis(1500) + Duration::from_millis(400);
    let started = Instant::now();
    let out =
        r.processor.process(&[msg("m1", vec![env(LOGIN, None)])], Some(deadline)).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&out.failures[0].reason, FailureReason::Storage { reason: m, disposition: Disposition::Retry } if m.contains("timed out")),
        "{:?}",
        out.failures
    );

    // with no time left at all, nothing is attempted
    let out = r
        .processor
        .process(&[msg("m2", vec![env(LOGIN, None)])], Some(Instant::now()))
        .await
        .unwrap();
    assert!(
        matches!(&out.failures[0].reason, FailureReason::Storage { reason: m, disposition: Disposition::Retry } if m.contains("deadline"))
    );
}

#[tokio::test]
async fn a_new_version_is_picked_up_and_an_unreachable_store_keeps_the_current_one() {
    let r = rig(Duration::ZERO);
    let v1 = publish(&r.store.inner, &testutil::mini_body(vec![])).await;
    let out = r.processor.process(&[msg("m1", vec![env(DENY, None)])], None).await.unwrap();
    assert_eq!(out.kb_version.as_deref(), Some(v1.version()));

    // an analyst override turns this shape into API Activity
    let ov = vec![testutil::labeled(DENY, 6003, 99, "override:ana")];
    let v2 = publish(&r.store.inner, &testutil::mini_body(ov)).await;
    assert_ne!(v1.content_hash, v2.content_hash);
    let out = r.processor.process(&[msg("m2", vec![env(DENY, None)])], None).await.unwrap();
    assert_eq!(out.kb_version.as_deref(), Some(v2.version()));
    let rows = r.processor.sink().inserts.lock().unwrap()[1].0.clone();
    assert_eq!(
        (rows[0].class_uid, rows[0].decided_by),
        (6003, crate::classify::DecidedBy::Override)
    );

    // an unchanged pointer costs no artifact download
    let gets = r.store.gets.load(Ordering::SeqCst);
    r.processor.process(&[msg("m3", vec![env(DENY, None)])], None).await.unwrap();
    assert_eq!(r.store.gets.load(Ordering::SeqCst), gets);

    r.store.down.store(true, Ordering::SeqCst);
    let out = r.processor.process(&[msg("m4", vec![env(LOGIN, None)])], None).await.unwrap();
    assert!(out.failures.is_empty());
    assert_eq!(out.kb_version.as_deref(), Some(v2.version()));
}

#[tokio::test]
async fn a_restarted_process_serves_the_disk_cache_while_the_store_is_down() {
    let r = rig(Duration::ZERO);
    let v1 = publish(&r.store.inner, &testutil::mini_body(vec![])).await;
    r.processor.process(&[msg("m1", vec![env(LOGIN, None)])], None).await.unwrap();
    let cache = r._dirs.1.path();
    assert!(cache.join(format!("{}.kb", v1.content_hash)).is_file());

    r.store.down.store(true, Ordering::SeqCst);
    let again = processor_for(r.store, cache, Duration::ZERO);
    let out = again.process(&[msg("m2", vec![env(LOGIN, None)])], None).await.unwrap();
    assert_eq!(out.kb_version.as_deref(), Some(v1.version()));

    // with neither store nor cache, the batch fails
    let empty = tempfile::tempdir().unwrap();
    let cold = processor_for(r.store, empty.path(), Duration::ZERO);
    let err = cold.process(&[msg("m3", vec![env(LOGIN, None)])], None).await.unwrap_err();
    assert!(matches!(err, PipelineError::NoKnowledgeBase(KbUnavailable::Store(_))), "{err}");
}

#[tokio::test]
async fn the_check_interval_spaces_pointer_checks() {
    let r = rig(Duration::from_secs(3600));
    let v1 = publish(&r.store.inner, &testutil::mini_body(vec![])).await;
    r.processor.process(&[msg("m1", vec![env(LOGIN, None)])], None).await.unwrap();
    publish(&r.store.inner, &testutil::mini_body(vec![testutil::labeled(LOGIN, 6003, 1, "o")]))
        .await;
    let out = r.processor.process(&[msg("m2", vec![env(LOGIN, None)])], None).await.unwrap();
    assert_eq!(
        out.kb_version.as_deref(),
        Some(v1.version()),
        "not checked again within the interval"
    );
}

#[tokio::test]
async fn a_corrupt_pointer_or_artifact_is_a_clear_error() {
    let r = rig(Duration::ZERO);
    r.store.inner.put(POINTER, b"{\"key\":1}".to_vec(), PutCondition::None).await.unwrap();
    let err = r.processor.process(&[msg("m1", vec![env(LOGIN, None)])], None).await.unwrap_err();
    assert!(err.to_string().contains("pointer kb/current.json is unusable"), "{err}");

    let mut p = publish(&r.store.inner, &testutil::mini_body(vec![])).await;
    r.store.inner.put(&p.key, b"OCSFMAPKB garbage".to_vec(), PutCondition::None).await.unwrap();
    let err = r.processor.process(&[msg("m2", vec![env(LOGIN, None)])], None).await.unwrap_err();
    assert!(
        matches!(err, PipelineError::NoKnowledgeBase(KbUnavailable::BadArtifact { .. })),
        "{err}"
    );

    // a pointer naming an artifact with another hash is refused
    let good = publish(&r.store.inner, &testutil::mini_body(vec![])).await;
    p.content_hash = "ab".repeat(32);
    p.key = good.key;
    r.store.inner.put(POINTER, serde_json::to_vec(&p).unwrap(), PutCondition::None).await.unwrap();
    let err = r.processor.process(&[msg("m3", vec![env(LOGIN, None)])], None).await.unwrap_err();
    assert!(err.to_string().contains("is not the pointer's"), "{err}");
}

#[test]
fn build_rows_threads_agree_with_one_thread() {
    let body = testutil::mini_body(vec![]);
    let (bytes, header) = artifact::to_bytes(&body).unwrap();
    let kb = std::sync::Arc::new(artifact::from_bytes(&bytes, "mem").unwrap());
    let pointer = Pointer {
        key: "k".into(),
        content_hash: header.content_hash,
        inputs_hash: String::new(),
        ocsf_version: "1.8.0".into(),
        published_at: String::new(),
        accuracy: None,
    };
    let active = ActiveKb {
        mapper: crate::event::Mapper::new(kb.schema()),
        classifier: crate::classify::Classifier::new(kb, None, Default::default()),
        pointer,
    };
    let envs: Vec<Envelope> =
        (0..300).map(|i| env(if i % 3 == 0 { LOGIN } else { DENY }, None)).collect();
    let (one, d1, _) = build_rows(&active, envs.clone(), 1, 7, None).unwrap();
    let (four, d4, _) = build_rows(&active, envs, 4, 7, None).unwrap();
    assert_eq!((d1, d4), (0, 0));
    assert_eq!(one.len(), 300);
    let key = |r: &ClassifiedEvent| (r.event_id, r.class_uid, r.activity_id);
    assert_eq!(one.iter().map(key).collect::<Vec<_>>(), four.iter().map(key).collect::<Vec<_>>());
}
