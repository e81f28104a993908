//! End-to-end tests of the pipeline with an in-memory queue (the SQS adapter and LocalStack
//! are exercised by the integration tests).

use std::io::Write;
use std::sync::Mutex;

use base64::Engine;
use serde_json::Value;

use super::*;
use crate::envelope::Batch;

const KEY: &str = "test-key-0123456789";

#[derive(Default)]
struct MemoryQueue {
    bodies: Mutex<Vec<String>>,
    calls: Mutex<Vec<usize>>,
    down: bool,
}

impl Queue for MemoryQueue {
    async fn send_batch(&self, entries: &[QueueEntry]) -> Result<Vec<FailedEntry>, QueueError> {
        if self.down {
            return Err(QueueError::Transient("connection refused".into()));
        }
        self.calls.lock().unwrap().push(entries.iter().map(|e| e.body.len()).sum());
        self.bodies.lock().unwrap().extend(entries.iter().map(|e| e.body.clone()));
        Ok(vec![])
    }
}

fn ingestor(queue: MemoryQueue) -> Ingestor<MemoryQueue> {
    let mut settings = Settings::from_lookup(|_| None).unwrap();
    settings.delivery.base_backoff = std::time::Duration::from_millis(1);
    Ingestor::new(queue, settings, AuthPolicy::Key(ApiKey::new(KEY).unwrap()))
}

fn post(content_type: &str, body: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: "/v1/logs".into(),
        headers: vec![
            ("Content-Type".into(), content_type.into()),
            ("X-Api-Key".into(), KEY.into()),
        ],
        query: vec![],
        body: Some(body.into()),
        body_is_base64: false,
        request_id: "req-1".into(),
        claims: None,
    }
}

fn gzip_b64(data: &[u8]) -> String {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    base64::engine::general_purpose::STANDARD.encode(e.finish().unwrap())
}

fn queued(q: &MemoryQueue) -> Vec<crate::envelope::Envelope> {
    q.bodies
        .lock()
        .unwrap()
        .iter()
        .flat_map(|b| serde_json::from_str::<Batch>(b).unwrap().records)
        .collect()
}

async fn run(ing: &Ingestor<MemoryQueue>, req: &HttpRequest) -> (u16, Value) {
    let r = ing.handle(req, 1_700_000_000_000).await;
    (r.status, serde_json::from_str(&r.body).unwrap())
}

#[tokio::test]
async fn json_array_is_queued_with_ids_and_source() {
    let ing = ingestor(MemoryQueue::default());
    let mut req = post(
        "application/json",
        r#"[{"eventType":"user.session.start"},{"eventType":"user.session.end"}]"#,
    );
    req.query.push(("source".into(), "okta".into()));
    let (status, body) = run(&ing, &req).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 2);
    let recs = queued(ing.queue());
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].raw, r#"{"eventType":"user.session.start"}"#);
    assert!(recs
        .iter()
        .all(|r| r.source.as_deref() == Some("okta") && r.received_at == 1_700_000_000_000));
    let ids: Vec<String> = recs.iter().map(|r| r.event_id.to_string()).collect();
    assert_eq!(body["event_ids"], serde_json::json!(ids));
    assert_eq!(body["first_event_id"], ids[0].as_str());
    assert!(recs.iter().all(|r| r.event_id.get_version_num() == 7));
}

#[tokio::test]
async fn gzip_ndjson_with_invalid_lines() {
    let ing = ingestor(MemoryQueue::default());
    let mut req = post("application/x-ndjson", &gzip_b64(b"{\"a\":1}\nnot json\n{\"b\":2}\n"));
    req.body_is_base64 = true;
    req.headers.push(("Content-Encoding".into(), "gzip".into()));
    let (status, body) = run(&ing, &req).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["rejected_count"], 1);
    assert_eq!(body["rejected"][0]["index"], 1);
    assert_eq!(body["rejected"][0]["code"], "invalid_json");
    let raws: Vec<String> = queued(ing.queue()).into_iter().map(|r| r.raw).collect();
    assert_eq!(raws, vec![r#"{"a":1}"#, r#"{"b":2}"#]);
}

#[tokio::test]
async fn nothing_valid_is_refused_and_nothing_queued() {
    let ing = ingestor(MemoryQueue::default());
    let (status, body) = run(&ing, &post("application/x-ndjson", "nope\n[1]\n")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "no_valid_records");
    assert_eq!(body["rejected"].as_array().unwrap().len(), 2);
    let big = format!("{{\"m\":\"{}\"}}", "x".repeat(300_000));
    let (status, body) = run(&ing, &post("application/json", &big)).await;
    assert_eq!(status, 413, "{body}");
    assert!(queued(ing.queue()).is_empty());
}

#[tokio::test]
async fn request_level_errors() {
    let ing = ingestor(MemoryQueue::default());
    let mut no_key = post("text/plain", "line");
    no_key.headers.retain(|(k, _)| k != "X-Api-Key");
    assert_eq!(run(&ing, &no_key).await.0, 401);
    let mut wrong = post("text/plain", "line");
    wrong.headers[1].1 = "wrong-key-0123456789".into();
    assert_eq!(run(&ing, &wrong).await.0, 403);
    assert_eq!(run(&ing, &post("application/xml", "<a/>")).await.0, 415);
    assert_eq!(run(&ing, &post("application/json", "")).await.0, 400);
    assert_eq!(run(&ing, &post("application/json", "[{\"a\":1}")).await.0, 400);
    let (status, body) = run(&ing, &post("application/json", "{\"a\":1} ]")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "malformed_body");
    assert!(body["message"].as_str().unwrap().contains("byte 8"), "{body}");
    assert!(queued(ing.queue()).is_empty());
}

/// The key is checked before the body is decoded or decompressed: without it, a body that
/// decoding would refuse (bad base64, a gzip bomb) gets 401, not 400 or 413, and costs no
/// decompression.
#[tokio::test]
async fn authentication_comes_before_any_decoding() {
    let ing = ingestor(MemoryQueue::default());
    let bomb = gzip_b64(&vec![b'a'; 80 * 1024 * 1024]);
    for (body, base64) in [("%%% not base64 %%%".to_string(), true), (bomb, true)] {
        let mut req = post("application/json", &body);
        req.body_is_base64 = base64;
        req.headers.push(("Content-Encoding".into(), "gzip".into()));
        req.headers.retain(|(k, _)| k != "X-Api-Key");
        assert_eq!(run(&ing, &req).await.0, 401);
        req.headers.push(("X-Api-Key".into(), "wrong-key-0123456789".into()));
        assert_eq!(run(&ing, &req).await.0, 403);
    }
    assert!(queued(ing.queue()).is_empty());
}

#[tokio::test]
async fn queue_down_is_503_with_failed_indexes() {
    let ing = ingestor(MemoryQueue { down: true, ..Default::default() });
    let (status, body) = run(&ing, &post("text/plain", "one\n\ntwo\n")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["failed_indexes"], serde_json::json!([0, 1]));
    assert_eq!(body["queued"], 0);
}

#[tokio::test]
async fn large_body_fills_messages_and_keeps_order() {
    let ing = ingestor(MemoryQueue::default());
    let lines: Vec<String> = (0..20_000)
        .map(|i| {
            format!(
                "<134>Oct 11 22:14:15 fw{i} kernel: DROP IN=eth0 SRC=10.0.{}.{} DPT={}",
                i % 250,
                i % 200,
                i % 65535
            )
        })
        .collect();
    let (status, body) = run(&ing, &post("text/plain", &lines.join("\n"))).await;
    assert_eq!(status, 202);
    assert_eq!(body["accepted"], 20_000);
    assert!(body.get("event_ids").is_none());
    let bodies = ing.queue().bodies.lock().unwrap().clone();
    assert!(bodies.iter().all(|b| b.len() <= 262_144));
    let raws: Vec<String> = queued(ing.queue()).into_iter().map(|r| r.raw).collect();
    assert_eq!(raws, lines);
    // Every call stays within the 256 KiB per-call payload limit.
    assert!(ing.queue().calls.lock().unwrap().iter().all(|&b| b <= 262_144));
    // All but the last message are full to within one envelope (~200 bytes here).
    let (last, full) = bodies.split_last().unwrap();
    assert!(!full.is_empty() && !last.is_empty());
    assert!(full.iter().all(|b| b.len() > 262_144 - 400));
}
