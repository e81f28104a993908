//! `ingest` through its real binary and the Lambda Runtime API, writing to a LocalStack queue:
//! every body format and shipper default, gzip, mixed valid and invalid records, hostile
//! bodies, packing of a large body, and what the client is told when SQS fails.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use ocsfmap::envelope::{Batch, Envelope, BATCH_VERSION};
use ocsfmap_tests::localstack::{self, Queue};
use ocsfmap_tests::{binaries, function_binary, FunctionProcess};
use serde_json::{json, Value};

/// The key the sample events in `events/ingest/` carry.
const KEY: &str = "local-dev-key-0123456789";

struct Ingest {
    sqs: aws_sdk_sqs::Client,
    queue: Queue,
    function: FunctionProcess,
}

async fn binary() -> Result<PathBuf> {
    Ok(tokio::task::spawn_blocking(|| function_binary("ingest")).await??)
}

/// A fresh queue and an `ingest` process writing to it, with `extra` environment on top.
async fn start(extra: &[(&str, &str)]) -> Result<Ingest> {
    let sqs = localstack::sqs_client().await?;
    let queue = localstack::create_queue(&sqs, "it-ingest").await?;
    let mut env = localstack::function_env();
    env.push(("QUEUE_URL".into(), queue.url.clone()));
    env.push(("API_KEY".into(), KEY.into()));
    env.push(("RUST_LOG".into(), "info".into()));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let function = FunctionProcess::spawn(binary().await?, env).await?;
    Ok(Ingest { sqs, queue, function })
}

impl Ingest {
    /// Invokes with an event; returns status and parsed JSON body.
    async fn call(&self, event: Value) -> Result<(u16, Value)> {
        let resp = self
            .function
            .invoke(event)
            .await
            .with_context(|| format!("invoke; function log:\n{}", self.function.log_tail()))?;
        let status = resp["statusCode"].as_u64().context("statusCode")? as u16;
        ensure!(resp["headers"]["content-type"] == "application/json", "{resp}");
        let body: Value = serde_json::from_str(resp["body"].as_str().context("body")?)?;
        Ok((status, body))
    }

    /// Drains the queue until `records` envelopes arrived, then checks nothing else follows.
    /// Returns message bodies (for size checks) and envelopes in message order.
    async fn drain(&self, records: usize) -> Result<(Vec<String>, Vec<Envelope>)> {
        let (mut bodies, mut envs) = (Vec::new(), Vec::new());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while envs.len() < records {
            ensure!(
                tokio::time::Instant::now() < deadline,
                "only {} of {records} records arrived",
                envs.len()
            );
            for m in localstack::receive(&self.sqs, &self.queue.url, Duration::from_secs(1)).await?
            {
                let body = m.body().unwrap_or_default().to_string();
                let batch: Batch = serde_json::from_str(&body).context("message is a Batch")?;
                ensure!(batch.v == BATCH_VERSION);
                envs.extend(batch.records);
                bodies.push(body);
                if let Some(h) = m.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue.url)
                        .receipt_handle(h)
                        .send()
                        .await?;
                }
            }
        }
        let extra = localstack::receive(&self.sqs, &self.queue.url, Duration::from_secs(1)).await?;
        ensure!(extra.is_empty(), "{} unexpected messages after {records} records", extra.len());
        ensure!(envs.len() == records, "{} records on the queue, expected {records}", envs.len());
        Ok((bodies, envs))
    }

    async fn assert_queue_empty(&self) -> Result<()> {
        let got = localstack::receive(&self.sqs, &self.queue.url, Duration::from_secs(1)).await?;
        ensure!(got.is_empty(), "expected no messages, got {}", got.len());
        Ok(())
    }
}

fn sample(name: &str) -> Result<Value> {
    let path = binaries::workspace_root().join("events/ingest").join(name);
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    Ok(serde_json::from_str(&text)?)
}

fn body_file(name: &str) -> Result<String> {
    let path = binaries::workspace_root().join("events/ingest/bodies").join(name);
    std::fs::read_to_string(&path).with_context(|| path.display().to_string())
}

/// An HTTP API (v2) event carrying `body` (base64-encoded when `b64`).
fn v2_event(content_type: &str, body: &[u8], b64: bool, extra_headers: &[(&str, &str)]) -> Value {
    let mut headers = json!({"content-type": content_type, "x-api-key": KEY});
    for (k, v) in extra_headers {
        headers[*k] = json!(v);
    }
    json!({
        "version": "2.0", "routeKey": "POST /v1/logs", "rawPath": "/v1/logs", "rawQueryString": "",
        "headers": headers,
        "requestContext": {"http": {"method": "POST", "path": "/v1/logs"}, "requestId": "it-req", "stage": "$default"},
        "body": if b64 { base64(body) } else { String::from_utf8_lossy(body).into_owned() },
        "isBase64Encoded": b64,
    })
}

/// Standard base64 with padding (test-local; the support crate has no base64 dependency).
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn ids_of(body: &Value) -> Vec<String> {
    body["event_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn lines(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect()
}

#[tokio::test]
async fn ingest_rest_v1_json_array_lands_with_ids_and_source() -> Result<()> {
    let it = start(&[]).await?;
    let (status, body) = it.call(sample("apigw-v1-json.json")?).await?;
    ensure!(status == 202, "{status} {body}");
    ensure!(body["accepted"] == 2 && body["rejected_count"] == 0, "{body}");
    ensure!(body["request_id"] == "v1-json", "{body}");
    let (_, envs) = it.drain(2).await?;
    let expected: Vec<Value> = serde_json::from_str(&body_file("okta.json")?)?;
    for (env, want) in envs.iter().zip(&expected) {
        ensure!(serde_json::from_str::<Value>(&env.raw)? == *want, "raw {}", env.raw);
        ensure!(env.source.as_deref() == Some("okta"));
        ensure!(env.event_id.get_version_num() == 7);
    }
    let queued: Vec<String> = envs.iter().map(|e| e.event_id.to_string()).collect();
    ensure!(ids_of(&body) == queued, "response ids {:?} != queued {queued:?}", ids_of(&body));
    ensure!(
        body["first_event_id"] == queued[0].as_str() && body["last_event_id"] == queued[1].as_str()
    );
    Ok(())
}

#[tokio::test]
async fn ingest_ndjson_plain_and_gzip_over_http_api() -> Result<()> {
    let it = start(&[]).await?;
    let want = lines(&body_file("cloudtrail.ndjson")?);
    for (event, source) in
        [("apigw-v2-ndjson.json", Some("aws:cloudtrail")), ("apigw-v2-ndjson-gzip.json", None)]
    {
        let (status, body) = it.call(sample(event)?).await?;
        ensure!(status == 202 && body["accepted"] == 3, "{event}: {status} {body}");
        let (_, envs) = it.drain(3).await?;
        ensure!(envs.iter().map(|e| e.raw.clone()).collect::<Vec<_>>() == want, "{event}");
        ensure!(envs.iter().all(|e| e.source.as_deref() == source), "{event}");
        ensure!(ids_of(&body) == envs.iter().map(|e| e.event_id.to_string()).collect::<Vec<_>>());
    }
    Ok(())
}

#[tokio::test]
async fn ingest_text_lines_through_function_url_and_rest_gzip() -> Result<()> {
    let it = start(&[]).await?;
    let want = lines(&body_file("syslog.txt")?);
    for (event, source) in
        [("function-url-text.json", Some("syslog")), ("apigw-v1-text-gzip.json", None)]
    {
        let (status, body) = it.call(sample(event)?).await?;
        ensure!(status == 202 && body["accepted"] == want.len(), "{event}: {status} {body}");
        let (_, envs) = it.drain(want.len()).await?;
        ensure!(envs.iter().map(|e| e.raw.clone()).collect::<Vec<_>>() == want, "{event}");
        ensure!(envs.iter().all(|e| e.source.as_deref() == source), "{event}");
    }
    Ok(())
}

#[tokio::test]
async fn ingest_vector_and_fluent_bit_defaults() -> Result<()> {
    let it = start(&[]).await?;
    let vector: Vec<Value> = serde_json::from_str(&body_file("vector-json.json")?)?;
    let fluent: Vec<Value> = serde_json::from_str(&body_file("fluentbit-json.json")?)?;
    let cases = [
        ("vector-json.json", &vector),
        ("vector-ndjson-gzip.json", &vector),
        ("fluentbit-json.json", &fluent),
        ("fluentbit-json-lines-gzip.json", &fluent),
    ];
    for (event, want) in cases {
        let (status, body) = it.call(sample(event)?).await?;
        ensure!(
            status == 202 && body["accepted"] == want.len() && body["rejected_count"] == 0,
            "{event}: {status} {body}"
        );
        let (_, envs) = it.drain(want.len()).await?;
        let got: Vec<Value> =
            envs.iter().map(|e| serde_json::from_str(&e.raw)).collect::<Result<_, _>>()?;
        ensure!(&got == want, "{event}: {got:?}");
    }
    Ok(())
}

#[tokio::test]
async fn ingest_mixed_ndjson_queues_the_valid_and_reports_the_rest() -> Result<()> {
    let it = start(&[]).await?;
    let (status, body) = it.call(sample("apigw-v2-mixed-invalid.json")?).await?;
    ensure!(status == 202, "{status} {body}");
    ensure!(body["accepted"] == 3 && body["rejected_count"] == 2, "{body}");
    let rejected: Vec<(u64, String)> = body["rejected"]
        .as_array()
        .context("rejected")?
        .iter()
        .map(|r| (r["index"].as_u64().unwrap_or(99), r["code"].as_str().unwrap_or("").to_string()))
        .collect();
    ensure!(
        rejected == vec![(1, "invalid_json".to_string()), (3, "not_a_record".to_string())],
        "{rejected:?}"
    );
    ensure!(
        body["rejected"][0]["reason"].as_str().unwrap_or("").contains("line 1 column"),
        "{body}"
    );
    let (_, envs) = it.drain(3).await?;
    let want = lines(&body_file("cloudtrail.ndjson")?);
    ensure!(envs.iter().map(|e| e.raw.clone()).collect::<Vec<_>>() == want);
    Ok(())
}

#[tokio::test]
async fn ingest_hostile_bodies_get_clear_errors_and_queue_nothing() -> Result<()> {
    let it = start(&[]).await?;
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_obj = format!("{{\"a\":{}1{}}}", "[".repeat(20_000), "]".repeat(20_000));
    let huge_line = format!("{{\"msg\":\"{}\"}}\n", "A".repeat(300_000));
    let over_6mb = "x".repeat(6 * 1024 * 1024 + 1);
    let no_key = {
        let mut e = v2_event("text/plain", b"line", false, &[]);
        e["headers"].as_object_mut().context("headers")?.remove("x-api-key");
        e
    };
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        ("empty body", v2_event("application/json", b"", false, &[]), 400, "empty_body"),
        (
            "blank lines",
            v2_event("application/x-ndjson", b"\n\n  \n", false, &[]),
            400,
            "empty_body",
        ),
        (
            "invalid UTF-8",
            v2_event("text/plain", b"ok? \xff\xfe bad\n", true, &[]),
            400,
            "no_valid_records",
        ),
        (
            "deep nesting",
            v2_event("application/json", deep_obj.as_bytes(), false, &[]),
            400,
            "no_valid_records",
        ),
        (
            "deep array",
            v2_event("application/json", deep.as_bytes(), false, &[]),
            400,
            "no_valid_records",
        ),
        (
            "huge single line",
            v2_event("application/x-ndjson", huge_line.as_bytes(), false, &[]),
            413,
            "no_valid_records",
        ),
        (
            "body over 6 MB",
            v2_event("text/plain", over_6mb.as_bytes(), false, &[]),
            413,
            "body_too_large",
        ),
        (
            "truncated JSON",
            v2_event("application/json", b"[{\"a\":1},{\"b\":", false, &[]),
            400,
            "malformed_body",
        ),
        ("gzip bomb", sample("hostile-gzip-bomb.json")?, 413, "decompressed_too_large"),
        ("truncated gzip", sample("hostile-gzip-truncated.json")?, 400, "corrupt_gzip"),
        (
            "gzip header, plain body",
            v2_event("text/plain", b"hello", false, &[("content-encoding", "gzip")]),
            400,
            "corrupt_gzip",
        ),
        ("xml", v2_event("application/xml", b"<a/>", false, &[]), 415, "unsupported_media_type"),
        (
            "msgpack",
            v2_event("application/msgpack", b"\x81", true, &[]),
            415,
            "unsupported_media_type",
        ),
        (
            "brotli",
            v2_event("text/plain", b"x", false, &[("content-encoding", "br")]),
            415,
            "unsupported_media_type",
        ),
        ("no key", no_key, 401, "missing_api_key"),
        (
            "wrong key",
            v2_event("text/plain", b"x", false, &[("x-api-key", "not-the-key-0123456789")]),
            403,
            "invalid_api_key",
        ),
        (
            "bad source",
            v2_event("text/plain", b"x", false, &[("x-ocsfmap-source", "a b<c>")]),
            400,
            "invalid_source",
        ),
        ("not an HTTP event", json!({"Records": [{"body": "x"}]}), 400, "bad_event"),
    ];
    for (what, event, want_status, want_code) in cases {
        let (status, body) = it.call(event).await.with_context(|| what.to_string())?;
        ensure!(status == want_status && body["error"] == want_code, "{what}: got {status} {body}");
        ensure!(
            body["message"].as_str().is_some_and(|m| m.len() > 10),
            "{what}: no message: {body}"
        );
    }
    // What each refused record was refused for.
    let (_, body) = it.call(v2_event("application/json", deep_obj.as_bytes(), false, &[])).await?;
    ensure!(body["rejected"][0]["code"] == "too_deep", "{body}");
    let (_, body) =
        it.call(v2_event("application/x-ndjson", huge_line.as_bytes(), false, &[])).await?;
    ensure!(body["rejected"][0]["code"] == "record_too_large", "{body}");
    let log = it.function.logs();
    ensure!(
        !log.contains(KEY) && !log.contains("AAAAAAAAAA"),
        "the log shows the key or record contents"
    );
    it.assert_queue_empty().await?;
    // The function survived all of it.
    let (status, _) = it.call(v2_event("text/plain", b"still alive", false, &[])).await?;
    ensure!(status == 202);
    it.drain(1).await?;
    Ok(())
}

#[tokio::test]
async fn ingest_large_body_is_packed_into_full_messages_in_order() -> Result<()> {
    let it = start(&[]).await?;
    let want: Vec<String> = (0..20_000)
        .map(|i| {
            format!(
                "<134>1 2024-05-14T10:03:03Z fw{} kernel - - - DROP SRC=10.0.{}.{} DPT={} seq={i}",
                i % 7,
                i % 250,
                i % 200,
                i % 65535
            )
        })
        .collect();
    let (status, body) =
        it.call(v2_event("text/plain", want.join("\n").as_bytes(), false, &[])).await?;
    ensure!(status == 202 && body["accepted"] == 20_000, "{status} {body}");
    ensure!(body.get("event_ids").is_none(), "20,000 ids should be given as a range");
    let (bodies, envs) = it.drain(20_000).await?;
    ensure!(bodies.iter().all(|b| b.len() <= 262_144), "a message is over 256 KiB");
    // Messages arrive in any order; each carries a contiguous run, so order by first id.
    let mut runs: Vec<Vec<Envelope>> = bodies
        .iter()
        .map(|b| serde_json::from_str::<Batch>(b).map(|x| x.records))
        .collect::<Result<_, _>>()?;
    runs.sort_by_key(|r| r.first().map(|e| e.event_id));
    let ordered: Vec<Envelope> = runs.into_iter().flatten().collect();
    ensure!(
        ordered.iter().map(|e| e.raw.as_str()).eq(want.iter().map(String::as_str)),
        "records missing, duplicated or out of order"
    );
    let ids: BTreeSet<_> = envs.iter().map(|e| e.event_id).collect();
    ensure!(ids.len() == 20_000, "event ids are not unique");
    ensure!(body["first_event_id"] == ordered[0].event_id.to_string().as_str());
    ensure!(body["last_event_id"] == ordered[19_999].event_id.to_string().as_str());
    // Full messages: all but the last are within one envelope of the limit.
    let mut sizes: Vec<usize> = bodies.iter().map(String::len).collect();
    sizes.sort_unstable();
    ensure!(sizes[1..].iter().all(|&s| s > 262_144 - 300), "messages not full: {sizes:?}");
    Ok(())
}

#[tokio::test]
async fn ingest_deleted_queue_is_503_with_failed_indexes() -> Result<()> {
    let it = start(&[]).await?;
    it.sqs.delete_queue().queue_url(&it.queue.url).send().await?;
    let (status, body) =
        it.call(v2_event("text/plain", b"one\ntwo\n\nthree\n", false, &[])).await?;
    ensure!(status == 503 && body["error"] == "queue_unavailable", "{status} {body}");
    ensure!(body["failed_indexes"] == json!([0, 1, 2]) && body["queued"] == 0, "{body}");
    ensure!(body["message"].as_str().unwrap_or("").contains("retry"), "{body}");
    Ok(())
}

#[tokio::test]
async fn ingest_unreachable_queue_endpoint_is_503() -> Result<()> {
    // Port 9 (discard) on loopback: nothing listens, connections are refused at once.
    let it =
        start(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:9"), ("QUEUE_SEND_ATTEMPTS", "2")]).await?;
    let started = std::time::Instant::now();
    let (status, body) = it.call(sample("apigw-v2-ndjson.json")?).await?;
    ensure!(status == 503 && body["failed_count"] == 3, "{status} {body}");
    ensure!(started.elapsed() < Duration::from_secs(25), "answered after {:?}", started.elapsed());
    Ok(())
}

#[tokio::test]
async fn ingest_without_a_configured_key_refuses_unless_opted_out() -> Result<()> {
    let sqs = localstack::sqs_client().await?;
    let queue = localstack::create_queue(&sqs, "it-ingest-nokey").await?;
    let mut env = localstack::function_env();
    env.push(("QUEUE_URL".into(), queue.url.clone()));
    let refusing = FunctionProcess::spawn(binary().await?, env.clone()).await?;
    let resp = refusing.invoke(sample("function-url-text.json")?).await?;
    ensure!(resp["statusCode"] == 500, "{resp}");
    ensure!(resp["body"].as_str().unwrap_or("").contains("auth_not_configured"), "{resp}");

    env.push(("ALLOW_UNAUTHENTICATED".into(), "true".into()));
    let open = FunctionProcess::spawn(binary().await?, env).await?;
    let mut event = sample("function-url-text.json")?;
    event["headers"].as_object_mut().context("headers")?.remove("authorization");
    let resp = open.invoke(event).await?;
    ensure!(resp["statusCode"] == 202, "{resp}");
    Ok(())
}

#[tokio::test]
async fn ingest_bad_configuration_fails_at_init() -> Result<()> {
    let mut env = localstack::function_env();
    env.push(("QUEUE_URL".into(), "http://127.0.0.1:4566/000000000000/x".into()));
    env.push(("API_KEY".into(), KEY.into()));
    env.push(("MAX_RECORD_BYTES".into(), "999999999".into()));
    let f = FunctionProcess::spawn(binary().await?, env).await?;
    let err =
        f.invoke(json!({})).await.err().context("a misconfigured function must not answer")?;
    let log = f.logs();
    ensure!(
        log.contains("MAX_RECORD_BYTES"),
        "init error should name the variable: {err:?}\n{log}"
    );
    Ok(())
}

#[test]
fn base64_matches_the_standard_alphabet() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"\xff\xfe\x00"), "//4A");
}
