//! `classify` through its real binary and the Lambda Runtime API, fed by the real `ingest`
//! binary through a LocalStack queue, writing to ClickHouse, reading its knowledge base from
//! LocalStack S3. The test plays the SQS event source mapping: it receives messages, invokes
//! the function with them and deletes the ones not reported as failed, so redrive to the
//! dead-letter queue is SQS's own.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use aws_sdk_sqs::types::Message;
use ocsfmap::kb::pointer::Pointer;
use ocsfmap::kb::sources::{read_paths, Labeled};
use ocsfmap::kb::{self, artifact, BuildOptions};
use ocsfmap::schema::Schema;
use ocsfmap_tests::clickhouse::TestDatabase;
use ocsfmap_tests::localstack::{self, QueueWithDlq};
use ocsfmap_tests::{binaries, function_binary, poll, sqs_event, FunctionProcess, InvokeError};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::OnceCell;

const API_KEY: &str = "classify-it-key-0123456789";
const POINTER_KEY: &str = "kb/current.json";

// Records whose classes the knowledge base decides with certainty (one per format).
const CONSOLE_LOGIN: &str = r#"{"eventVersion":"1.08","eventTime":"2024-05-14T10:02:09Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","userIdentity":{"type":"Root"},"responseElements":{"ConsoleLogin":"Failure"}}"#;
const CREATE_USER: &str = r#"{"eventVersion":"1.08","eventTime":"2024-05-14T10:02:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userIdentity":{"type":"IAMUser","userName":"admin"},"requestParameters":{"userName":"svc-backup"}}"#;
const DNS_QUERY: &str = r#"{"timestamp":"2024-05-14T10:06:00Z","query":"example.com","qtype":"A","rcode":"NOERROR","client_ip":"10.1.1.5","answers":["93.184.216.34"]}"#;
const SSH_ACCEPTED: &str = "<86>May 14 10:05:01 web01 sshd[2211]: Accepted publickey for deploy from 198.51.100.7 port 52144 ssh2: RSA SHA256:abc";
const CEF_TRAFFIC: &str = "CEF:0|Palo Alto Networks|PAN-OS|10.1|TRAFFIC|end|3|src=10.0.0.5 dst=93.184.216.34 spt=51515 dpt=443 proto=TCP act=allow";

fn expected_class(raw: &str) -> Option<u32> {
    Some(match raw {
        CONSOLE_LOGIN | SSH_ACCEPTED => 3002,
        CREATE_USER => 3001,
        DNS_QUERY => 4003,
        CEF_TRAFFIC => 4001,
        _ => return None,
    })
}

// --- knowledge base ------------------------------------------------------------------

/// A lexical KB from the schema and the repository's knowledge, plus `overrides`.
fn build_kb(overrides: Vec<Labeled>) -> Result<Vec<u8>> {
    let schema = Schema::load(&binaries::schema_path()).with_context(|| {
        format!("schema {} (set OCSF_SCHEMA)", binaries::schema_path().display())
    })?;
    let inputs = read_paths(&[binaries::workspace_root().join("knowledge")])?;
    let body = kb::build(schema, BuildOptions { overrides, ..inputs.into() })?;
    Ok(artifact::to_bytes(&body)?.0)
}

/// The base KB, built once per test process.
pub(crate) async fn base_kb() -> Result<Vec<u8>> {
    static KB: OnceCell<Vec<u8>> = OnceCell::const_new();
    let bytes = KB
        .get_or_try_init(|| async { tokio::task::spawn_blocking(|| build_kb(Vec::new())).await? })
        .await?;
    Ok(bytes.clone())
}

/// Uploads an artifact and moves the pointer to it, as kb-rebuild does.
pub(crate) async fn publish(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    bytes: Vec<u8>,
) -> Result<Pointer> {
    let (header, _) = artifact::read_header(&bytes, "kb")?;
    let key = format!("kb/versions/{}.kb", header.content_hash);
    s3.put_object().bucket(bucket).key(&key).body(bytes.into()).send().await?;
    let pointer = Pointer {
        key,
        content_hash: header.content_hash,
        inputs_hash: "it".into(),
        ocsf_version: header.ocsf_version,
        published_at: "2025-01-01T00:00:00Z".into(),
        accuracy: None,
    };
    let body = serde_json::to_vec(&pointer)?;
    s3.put_object().bucket(bucket).key(POINTER_KEY).body(body.into()).send().await?;
    Ok(pointer)
}

// --- services ------------------------------------------------------------------------

struct Rig {
    s3: aws_sdk_s3::Client,
    bucket: String,
    sqs: aws_sdk_sqs::Client,
    queue: QueueWithDlq,
    db: TestDatabase,
    ingest: FunctionProcess,
}

/// Creates the bucket, queue (with DLQ), database and tables, and starts `ingest` writing to
/// the queue.
async fn rig(max_receive_count: u32) -> Result<Rig> {
    let s3 = localstack::s3_client().await?;
    let bucket = localstack::create_bucket(&s3, "it-classify-kb").await?;
    let sqs = localstack::sqs_client().await?;
    let queue = localstack::create_queue_with_dlq(
        &sqs,
        "it-classify",
        max_receive_count,
        Duration::from_secs(1),
    )
    .await?;
    let db = TestDatabase::create("it_classify").await?;
    migrate(&db).await?;
    let mut env = localstack::function_env();
    env.push(("QUEUE_URL".into(), queue.queue.url.clone()));
    env.push(("API_KEY".into(), API_KEY.into()));
    let ingest_bin = tokio::task::spawn_blocking(|| function_binary("ingest")).await??;
    let ingest = FunctionProcess::spawn(ingest_bin, env).await?;
    Ok(Rig { s3, bucket, sqs, queue, db, ingest })
}

/// `ocsfmap migrate` against the test database (the deploy-time step), run twice: the
/// second run must find nothing to do.
pub(crate) async fn migrate(db: &TestDatabase) -> Result<()> {
    let cli = tokio::task::spawn_blocking(|| binaries::workspace_binary("ocsfmap-cli", "ocsfmap"))
        .await??;
    for round in 0..2 {
        let out = tokio::process::Command::new(&cli)
            .args([
                "migrate",
                "--clickhouse-url",
                &ocsfmap_tests::clickhouse::url(),
                "--database",
                &db.name,
            ])
            .output()
            .await?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        ensure!(
            out.status.success(),
            "migrate failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if round == 0 {
            ensure!(
                stdout.contains("applied 1: create events table") && stdout.contains("applied 2"),
                "{stdout}"
            );
        } else {
            ensure!(stdout.contains("up to date"), "second migrate run: {stdout}");
        }
    }
    Ok(())
}

impl Rig {
    /// Environment of a classify process for this rig.
    fn classify_env(&self, clickhouse_url: &str) -> Vec<(String, String)> {
        let mut env = localstack::function_env();
        env.extend(self.db.function_env());
        env.retain(|(k, _)| k != "CLICKHOUSE_URL");
        let cache = std::env::temp_dir().join(ocsfmap_tests::names::unique("classify-kb-cache"));
        env.extend(
            [
                ("CLICKHOUSE_URL", clickhouse_url.to_string()),
                ("KB_BUCKET", self.bucket.clone()),
                ("KB_CACHE_DIR", cache.display().to_string()),
                ("KB_CHECK_INTERVAL_MS", "0".into()),
                ("CLICKHOUSE_TIMEOUT_MS", "2000".into()),
                ("CLASSIFY_THREADS", "2".into()),
                ("RUST_LOG", "info".into()),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        env
    }

    async fn classify(&self, clickhouse_url: &str) -> Result<FunctionProcess> {
        let bin = tokio::task::spawn_blocking(|| function_binary("classify")).await??;
        Ok(FunctionProcess::spawn(bin, self.classify_env(clickhouse_url))
            .await?
            .with_timeout(Duration::from_secs(20)))
    }

    /// Posts `records` to ingest (one request, newline-separated) with a source hint.
    async fn ingest(&self, source: &str, content_type: &str, records: &[&str]) -> Result<()> {
        let body = records.join("\n");
        let event = json!({
            "version": "2.0", "routeKey": "POST /v1/logs", "rawPath": "/v1/logs",
            "rawQueryString": format!("source={source}"),
            "queryStringParameters": {"source": source},
            "headers": {"content-type": content_type, "x-api-key": API_KEY},
            "requestContext": {"http": {"method": "POST", "path": "/v1/logs"}, "requestId": "it-classify", "stage": "$default"},
            "body": body, "isBase64Encoded": false,
        });
        let resp = self.ingest.invoke(event).await.with_context(|| self.ingest.log_tail())?;
        ensure!(resp["statusCode"] == 202 || resp["statusCode"] == 200, "ingest answered {resp}");
        Ok(())
    }

    /// Receives visible messages until they carry `records` records (a body that is not a
    /// batch counts as one): what the event source mapping would hand over.
    async fn receive(&self, records: usize) -> Result<Vec<Message>> {
        let mut got: Vec<Message> = Vec::new();
        let mut carried = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while carried < records && tokio::time::Instant::now() < deadline {
            for m in localstack::receive(&self.sqs, &self.queue.queue.url, Duration::from_secs(1))
                .await?
            {
                carried +=
                    serde_json::from_str::<ocsfmap::envelope::Batch>(m.body().unwrap_or_default())
                        .map_or(1, |b| b.records.len());
                got.push(m);
            }
        }
        ensure!(carried == records, "{carried} records arrived, expected {records}");
        Ok(got)
    }

    /// Deletes what the function did not report as failed (what Lambda does with a partial
    /// batch response); returns the failed message ids.
    async fn settle(&self, messages: &[Message], response: &Value) -> Result<HashSet<String>> {
        let failed = sqs_event::failed_ids(response).context("batchItemFailures")?;
        sqs_event::settle(&self.sqs, &self.queue.queue.url, messages, &failed).await?;
        Ok(failed)
    }

    async fn count(&self, sql: &str) -> Result<u64> {
        Ok(self.db.client().query(sql).fetch_one::<u64>().await?)
    }

    async fn cleanup(self) {
        let _ = self.db.drop_database().await;
        let _ = localstack::delete_bucket(&self.s3, &self.bucket).await;
    }
}

async fn invoke(f: &FunctionProcess, messages: &[Message], arn: &str) -> Result<Value> {
    f.invoke(sqs_event::from_messages(messages, arn))
        .await
        .with_context(|| format!("classify invoke; log:\n{}", f.log_tail()))
}

fn failures(resp: &Value) -> usize {
    resp["batchItemFailures"].as_array().map_or(usize::MAX, Vec::len)
}

#[derive(clickhouse::Row, serde::Deserialize, Debug)]
struct Stored {
    raw: String,
    event_time: i64,
    received_at: i64,
    source: String,
    format: String,
    class_uid: u32,
    type_uid: i64,
    activity_id: i32,
    kb_version: String,
    ocsf_class: u32,
}

async fn stored_rows(db: &TestDatabase) -> Result<Vec<Stored>> {
    Ok(db
        .client()
        .query(
            "SELECT raw, event_time, received_at, source, format, class_uid, type_uid, activity_id, kb_version, \
             toUInt32(ocsf_event.class_uid) AS ocsf_class FROM events FINAL ORDER BY toString(event_id)",
        )
        .fetch_all::<Stored>()
        .await?)
}

// --- a switchable TCP front for ClickHouse ---------------------------------------------

const FORWARD: u8 = 0;
const STALL: u8 = 1;

/// Listens on a fixed local port and forwards to ClickHouse. `stop` closes the port and
/// every open connection (ClickHouse as seen from the function: down); `start` opens it
/// again on the same port; `stall` accepts and never answers (an overloaded server).
/// The shared ClickHouse cannot be stopped without disturbing other tests.
struct Front {
    addr: SocketAddr,
    mode: Arc<AtomicU8>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Front {
    async fn start_on(addr: SocketAddr, mode: Arc<AtomicU8>) -> Result<Self> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        let listener: TcpListener = socket.listen(64)?;
        let addr = listener.local_addr()?;
        let upstream = ocsfmap_tests::clickhouse::url().trim_start_matches("http://").to_string();
        let m = mode.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let m = m.clone();
                conns.spawn(async move {
                    if m.load(Ordering::SeqCst) == STALL {
                        tokio::time::sleep(Duration::from_secs(120)).await;
                        return;
                    }
                    if let Ok(mut out) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
            }
        });
        Ok(Front { addr, mode, task: Some(task) })
    }

    async fn new() -> Result<Self> {
        Self::start_on("127.0.0.1:0".parse()?, Arc::new(AtomicU8::new(FORWARD))).await
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes the listener and all connections through it (dropping the JoinSet aborts them).
    fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    async fn restart(&mut self) -> Result<()> {
        self.stop();
        tokio::time::sleep(Duration::from_millis(100)).await;
        *self = Self::start_on(self.addr, self.mode.clone()).await?;
        Ok(())
    }

    fn set_mode(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.stop();
    }
}

// --- tests -------------------------------------------------------------------------------

/// Ingest → SQS → classify → ClickHouse: the right classes land; the same delivery again adds
/// no row at all (insert deduplication token); a regrouped redelivery adds no visible row
/// (ReplacingMergeTree on event_id, counted with FINAL) and collapses on merge.
#[tokio::test]
async fn ingested_batches_land_once_with_the_right_classes() -> Result<()> {
    let rig = rig(5).await?;
    let pointer = publish(&rig.s3, &rig.bucket, base_kb().await?).await?;
    rig.ingest("aws:cloudtrail", "application/x-ndjson", &[CONSOLE_LOGIN, CREATE_USER]).await?;
    rig.ingest("dns", "application/x-ndjson", &[DNS_QUERY]).await?;
    rig.ingest("syslog", "text/plain", &[SSH_ACCEPTED, CEF_TRAFFIC]).await?;
    let messages = rig.receive(5).await?;

    let f = rig.classify(&ocsfmap_tests::clickhouse::url()).await?;
    let arn = rig.queue.queue.arn.clone();
    let resp = invoke(&f, &messages, &arn).await?;
    ensure!(failures(&resp) == 0, "{resp}");

    let rows = stored_rows(&rig.db).await?;
    ensure!(rows.len() == 5, "{} rows: {rows:?}", rows.len());
    for r in &rows {
        let want = expected_class(&r.raw).with_context(|| format!("unexpected raw {}", r.raw))?;
        ensure!(
            r.class_uid == want && r.ocsf_class == want,
            "{} classified {} (event {}), expected {want}",
            r.raw,
            r.class_uid,
            r.ocsf_class
        );
        ensure!(r.type_uid == i64::from(want) * 100 + i64::from(r.activity_id), "{r:?}");
        ensure!(r.kb_version == pointer.version(), "{r:?}");
    }
    // event time from the record when it has one, else the ingest time
    let login = rows.iter().find(|r| r.raw == CONSOLE_LOGIN).context("login row")?;
    ensure!(login.event_time == 1_715_680_929_000, "{login:?}");
    ensure!(rows.iter().all(|r| r.received_at > 1_715_680_929_000), "{rows:?}");
    let sources: HashSet<&str> = rows.iter().map(|r| r.source.as_str()).collect();
    ensure!(sources == HashSet::from(["aws:cloudtrail", "dns", "syslog"]), "{sources:?}");
    ensure!(
        rows.iter().any(|r| r.format == "cef") && rows.iter().any(|r| r.format == "syslog_rfc3164"),
        "{rows:?}"
    );

    // The same delivery again (Lambda retry after a lost response): dropped by the server.
    let resp = invoke(&f, &messages, &arn).await?;
    ensure!(failures(&resp) == 0, "{resp}");
    ensure!(
        rig.count("SELECT count() FROM events").await? == 5,
        "identical retry must not insert again"
    );

    // Redelivered in another grouping (new token): visible rows stay unique.
    let resp = invoke(&f, &messages[..1], &arn).await?;
    ensure!(failures(&resp) == 0, "{resp}");
    ensure!(rig.count("SELECT count() FROM events").await? > 5, "a new token inserts again");
    ensure!(rig.count("SELECT count() FROM events FINAL").await? == 5);
    ensure!(rig.count("SELECT uniqExact(event_id) FROM events").await? == 5);
    rig.db.client().query("OPTIMIZE TABLE events FINAL").execute().await?;
    ensure!(rig.count("SELECT count() FROM events").await? == 5, "duplicates collapse on merge");

    rig.settle(&messages, &resp).await?;
    f.stop().await;
    rig.cleanup().await;
    Ok(())
}

/// ClickHouse unreachable, then stalled: every message is reported failed (retryable) within
/// the function timeout and nothing is stored; once it is back the retry lands every row
/// exactly once.
#[tokio::test]
async fn clickhouse_outage_fails_the_batch_and_the_retry_lands_exactly_once() -> Result<()> {
    let rig = rig(10).await?;
    publish(&rig.s3, &rig.bucket, base_kb().await?).await?;
    let mut front = Front::new().await?;
    let f = rig.classify(&front.url()).await?;
    let arn = rig.queue.queue.arn.clone();

    rig.ingest("aws:cloudtrail", "application/x-ndjson", &[CONSOLE_LOGIN]).await?;
    let first = rig.receive(1).await?;
    let resp = invoke(&f, &first, &arn).await?;
    ensure!(failures(&resp) == 0, "{resp}");
    rig.settle(&first, &resp).await?;

    rig.ingest("aws:cloudtrail", "application/x-ndjson", &[CREATE_USER, CONSOLE_LOGIN]).await?;
    rig.ingest("syslog", "text/plain", &[SSH_ACCEPTED]).await?;
    let batch = rig.receive(3).await?;

    front.stop();
    let started = std::time::Instant::now();
    let resp = invoke(&f, &batch, &arn).await?;
    ensure!(
        failures(&resp) == batch.len(),
        "every message must fail while ClickHouse is down: {resp}"
    );
    ensure!(started.elapsed() < Duration::from_secs(15), "answered after {:?}", started.elapsed());
    ensure!(rig.settle(&batch, &resp).await?.len() == batch.len());
    ensure!(rig.count("SELECT count() FROM events").await? == 1);
    ensure!(f.logs().contains("insert failed"), "the failure is logged");

    front.restart().await?;
    front.set_mode(STALL);
    let started = std::time::Instant::now();
    let resp = invoke(&f, &batch, &arn).await?;
    ensure!(failures(&resp) == batch.len(), "a stalled ClickHouse fails the batch: {resp}");
    ensure!(
        started.elapsed() < Duration::from_secs(15),
        "CLICKHOUSE_TIMEOUT_MS bounds the insert: {:?}",
        started.elapsed()
    );
    rig.settle(&batch, &resp).await?;

    front.set_mode(FORWARD);
    // The redelivery, as SQS would make it after the visibility timeout.
    let again = rig.receive(3).await?;
    let resp = invoke(&f, &again, &arn).await?;
    ensure!(failures(&resp) == 0, "{resp}");
    rig.settle(&again, &resp).await?;
    ensure!(rig.count("SELECT count() FROM events FINAL").await? == 4);
    ensure!(rig.count("SELECT uniqExact(event_id) FROM events").await? == 4);
    f.stop().await;
    rig.cleanup().await;
    Ok(())
}

/// A message that is not a batch fails on every delivery, so SQS moves it to the DLQ after
/// maxReceiveCount; the messages delivered with it land.
#[tokio::test]
async fn a_poison_message_ends_in_the_dlq_while_the_rest_lands() -> Result<()> {
    let rig = rig(2).await?;
    publish(&rig.s3, &rig.bucket, base_kb().await?).await?;
    rig.ingest("aws:cloudtrail", "application/x-ndjson", &[CONSOLE_LOGIN, CREATE_USER]).await?;
    rig.ingest("dns", "application/x-ndjson", &[DNS_QUERY]).await?;
    let poison = r#"{"v":1,"records":[{"event_id":"not-a-uuid","received_at":1,"raw":"x"}]}"#;
    rig.sqs.send_message().queue_url(&rig.queue.queue.url).message_body(poison).send().await?;
    let f = rig.classify(&ocsfmap_tests::clickhouse::url()).await?;
    let arn = rig.queue.queue.arn.clone();

    let first = rig.receive(4).await?;
    let resp = invoke(&f, &first, &arn).await?;
    ensure!(failures(&resp) == 1, "only the poison message fails: {resp}");
    rig.settle(&first, &resp).await?;
    ensure!(
        rig.count("SELECT count() FROM events FINAL").await? == 3,
        "the rest of the batch landed"
    );

    // Keep consuming like the event source mapping until SQS gives up on the poison.
    let dlq = poll::try_until(Duration::from_secs(40), Duration::from_millis(200), || async {
        for m in localstack::receive(&rig.sqs, &rig.queue.queue.url, Duration::from_secs(1)).await?
        {
            let batch = [m];
            let resp = invoke(&f, &batch, &arn).await?;
            rig.settle(&batch, &resp).await?;
        }
        let moved =
            localstack::receive(&rig.sqs, &rig.queue.dlq.url, Duration::from_secs(0)).await?;
        Ok::<_, anyhow::Error>(if moved.is_empty() { None } else { Some(moved) })
    })
    .await?;
    ensure!(dlq.len() == 1 && dlq[0].body() == Some(poison), "{dlq:?}");
    ensure!(
        f.logs().contains("malformed queue message"),
        "the reason is logged:\n{}",
        f.log_tail()
    );
    ensure!(rig.count("SELECT count() FROM events FINAL").await? == 3);
    f.stop().await;
    rig.cleanup().await;
    Ok(())
}

/// A KB published while the function runs is used for the next batch, same process; with
/// no KB at all a batch fails as a whole with an error saying so.
#[tokio::test]
async fn a_new_kb_version_is_picked_up_without_restarting() -> Result<()> {
    let rig = rig(5).await?;
    let f = rig.classify(&ocsfmap_tests::clickhouse::url()).await?;
    let pid = f.pid();
    let arn = rig.queue.queue.arn.clone();

    rig.ingest("dns", "application/x-ndjson", &[DNS_QUERY]).await?;
    let first = rig.receive(1).await?;
    match f.invoke(sqs_event::from_messages(&first, &arn)).await {
        Err(InvokeError::Function { error_message, .. }) => {
            ensure!(error_message.contains("no knowledge base published"), "{error_message}")
        }
        other => bail!("a batch without a KB must fail as a whole, got {other:?}"),
    }

    let v1 = publish(&rig.s3, &rig.bucket, base_kb().await?).await?;
    let resp = invoke(&f, &first, &arn).await?;
    ensure!(failures(&resp) == 0, "{resp}");
    rig.settle(&first, &resp).await?;

    // An analyst override: this DNS shape is now Network Activity.
    let overrides = vec![Labeled {
        raw: DNS_QUERY.into(),
        class_uid: 4001,
        activity_id: Some(6),
        source: "override:it".into(),
    }];
    let v2_bytes = tokio::task::spawn_blocking(move || build_kb(overrides)).await??;
    let v2 = publish(&rig.s3, &rig.bucket, v2_bytes).await?;
    ensure!(v1.content_hash != v2.content_hash);

    rig.ingest("dns", "application/x-ndjson", &[DNS_QUERY]).await?;
    let second = rig.receive(1).await?;
    let resp = invoke(&f, &second, &arn).await?;
    ensure!(failures(&resp) == 0, "{resp}");

    #[derive(clickhouse::Row, serde::Deserialize)]
    struct Version {
        kb_version: String,
        class_uid: u32,
    }
    let got = rig
        .db
        .client()
        .query("SELECT kb_version, class_uid FROM events FINAL ORDER BY toString(event_id)")
        .fetch_all::<Version>()
        .await?;
    let got: Vec<(String, u32)> = got.into_iter().map(|v| (v.kb_version, v.class_uid)).collect();
    ensure!(
        got == vec![(v1.version().to_string(), 4003), (v2.version().to_string(), 4001)],
        "{got:?}"
    );
    ensure!(f.pid() == pid && f.exit_status().is_none(), "same process");
    f.stop().await;
    rig.cleanup().await;
    Ok(())
}

/// A configuration error is an init error that names the variable.
#[tokio::test]
async fn bad_configuration_is_an_init_error_naming_the_variable() -> Result<()> {
    let bin = tokio::task::spawn_blocking(|| function_binary("classify")).await??;
    let mut env = localstack::function_env();
    env.push(("CLICKHOUSE_URL".into(), ocsfmap_tests::clickhouse::url()));
    env.push(("CONFIDENCE_THRESHOLD".into(), "2".into()));
    let f = FunctionProcess::spawn(&bin, env.clone()).await?;
    match f.invoke(json!({"Records": []})).await {
        Err(InvokeError::Init { error_message, .. }) => {
            ensure!(error_message.contains("KB_BUCKET"), "{error_message}")
        }
        other => bail!("expected an init error, got {other:?}"),
    }
    env.push(("KB_BUCKET".into(), "b".into()));
    let f = FunctionProcess::spawn(&bin, env).await?;
    match f.invoke(json!({"Records": []})).await {
        Err(InvokeError::Init { error_message, .. }) => {
            ensure!(error_message.contains("CONFIDENCE_THRESHOLD"), "{error_message}")
        }
        other => bail!("expected an init error, got {other:?}"),
    }
    Ok(())
}

/// The sample events in `events/classify/` are what the function accepts: the good batch
/// lands whole, and in the batch with a poison message only that message is reported.
#[tokio::test]
async fn sample_events_are_processed() -> Result<()> {
    let rig = rig(5).await?;
    publish(&rig.s3, &rig.bucket, base_kb().await?).await?;
    let f = rig.classify(&ocsfmap_tests::clickhouse::url()).await?;
    let dir = binaries::workspace_root().join("events/classify");
    let good: Value = serde_json::from_slice(&std::fs::read(dir.join("sqs-batch.json"))?)?;
    let resp = f.invoke(good).await.with_context(|| f.log_tail())?;
    ensure!(failures(&resp) == 0, "{resp}");
    let rows = stored_rows(&rig.db).await?;
    ensure!(rows.len() == 5, "{rows:?}");
    for r in &rows {
        ensure!(Some(r.class_uid) == expected_class(&r.raw), "{r:?}");
    }
    let poisoned: Value =
        serde_json::from_slice(&std::fs::read(dir.join("sqs-batch-with-poison.json"))?)?;
    let resp = f.invoke(poisoned).await?;
    ensure!(
        resp["batchItemFailures"]
            == json!([{"itemIdentifier": "00000000-0000-4000-8000-000000000003"}]),
        "{resp}"
    );
    ensure!(
        rig.count("SELECT count() FROM events").await? == 5,
        "same events, same token: nothing inserted again"
    );
    f.stop().await;
    rig.cleanup().await;
    Ok(())
}

/// Issue #19: with `OCSF_OUTPUT_VERSION` the function reads that version's schema export
/// from the KB bucket at init and stores events in it (the row's class stays the
/// classifier's); a malformed version or a missing export is an init error naming the
/// variable, before any record is taken.
#[tokio::test]
async fn events_are_stored_in_the_configured_ocsf_version() -> Result<()> {
    let rig = rig(5).await?;
    publish(&rig.s3, &rig.bucket, base_kb().await?).await?;
    let exports = binaries::schema_path();
    let exports = exports.parent().context("export directory")?;
    let export = std::fs::read(ocsfmap::version::export_path(exports, "1.1.0")?)?;
    rig.s3
        .put_object()
        .bucket(&rig.bucket)
        .key("ocsf/exports/1.1.0.json")
        .body(export.into())
        .send()
        .await?;
    let bin = tokio::task::spawn_blocking(|| function_binary("classify")).await??;

    for (version, want) in
        [("1.3", "not an OCSF release version"), ("1.2.0", "ocsf/exports/1.2.0.json")]
    {
        let mut env = rig.classify_env(&ocsfmap_tests::clickhouse::url());
        env.push(("OCSF_OUTPUT_VERSION".into(), version.into()));
        let f = FunctionProcess::spawn(&bin, env).await?;
        match f.invoke(json!({"Records": []})).await {
            Err(InvokeError::Init { error_message, .. }) => ensure!(
                error_message.contains("OCSF_OUTPUT_VERSION") && error_message.contains(want),
                "{error_message}"
            ),
            other => bail!("{version}: expected an init error, got {other:?}"),
        }
    }

    let mut env = rig.classify_env(&ocsfmap_tests::clickhouse::url());
    env.push(("OCSF_OUTPUT_VERSION".into(), "1.1.0".into()));
    let f = FunctionProcess::spawn(&bin, env).await?.with_timeout(Duration::from_secs(20));
    let dir = binaries::workspace_root().join("events/classify");
    let good: Value = serde_json::from_slice(&std::fs::read(dir.join("sqs-batch.json"))?)?;
    let resp = f.invoke(good).await.with_context(|| f.log_tail())?;
    ensure!(failures(&resp) == 0, "{resp}");
    let rows = stored_rows(&rig.db).await?;
    ensure!(rows.len() == 5, "{rows:?}");
    for r in &rows {
        ensure!(Some(r.class_uid) == expected_class(&r.raw), "{r:?}");
    }
    let versions: Vec<String> = rig
        .db
        .client()
        .query("SELECT toString(ocsf_event.metadata.version) FROM events FINAL")
        .fetch_all()
        .await?;
    ensure!(versions.iter().all(|v| v == "1.1.0"), "{versions:?}");
    f.stop().await;
    rig.cleanup().await;
    Ok(())
}
