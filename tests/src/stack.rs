//! The whole pipeline on this machine: the four real function binaries under the Runtime
//! API harness, wired the way the deployed stack wires them, on LocalStack and ClickHouse.
//!
//! - an HTTP gateway on 127.0.0.1 serves the route table (`ocsfmap::routes`): each route's
//!   request becomes an API Gateway HTTP API (v2) event for the function the table names,
//!   and its response goes back as HTTP (what API Gateway does); other paths are 404;
//! - an event source mapping loop receives the classification queue's messages (up to 10 per
//!   batch, like `BatchSize`), invokes `classify` and deletes what it did not report as
//!   failed (`ReportBatchItemFailures`); SQS redrives the rest to the DLQ itself;
//! - the bucket's notifications for `kb/sources/` go to a queue whose messages invoke
//!   `kb-rebuild` (the S3 trigger), and an optional timer sends it the scheduled event;
//! - `review`'s rebuild requests go to their own queue, read like the event source mapping
//!   with a batching window: the first message opens the window, everything received until
//!   it closes is one `kb-rebuild` invocation (`MaximumBatchingWindowInSeconds`).
//!
//! Used by the end-to-end test and by `scripts/dev` (binary `dev-stack`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::localstack::{self, Queue, QueueWithDlq};
use crate::{aws_err, FunctionProcess};

/// Where the knowledge base's sources go in the bucket (kb-rebuild's default).
pub const SOURCES_PREFIX: &str = "kb/sources/";
pub const POINTER_KEY: &str = "kb/current.json";
/// API Gateway's payload limit; bigger bodies are refused before the function, as there.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// Errors of setting up or running the stack.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(transparent)]
    Support(#[from] crate::Error),
    #[error(transparent)]
    Invoke(#[from] crate::InvokeError),
    #[error("{0}")]
    Setup(String),
}

type Result<T, E = StackError> = std::result::Result<T, E>;

/// How to run the stack.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Prefix of the bucket, queue and database names (each gets a unique suffix).
    pub name_prefix: String,
    /// Address of the HTTP gateway (`127.0.0.1:0`: any free port).
    pub http_addr: SocketAddr,
    pub api_key: String,
    /// The review API's key (the local stand-in for an analyst's token).
    pub review_key: String,
    /// The rebuild requests' batching window.
    pub rebuild_debounce: Duration,
    /// Analysts sign in at a local OIDC issuer (authorization code + PKCE) and the gateway
    /// checks their tokens as API Gateway's JWT authorizer does; `false`: the review key.
    pub oidc: bool,
    /// Directory holding the `ingest`, `classify` and `kb-rebuild` binaries; `None` builds
    /// them (test profile) on first use.
    pub bin_dir: Option<PathBuf>,
    /// OCSF schema export uploaded as the KB's schema source.
    pub schema: PathBuf,
    /// `knowledge/` of the repository: its `examples/` and `pack/` are uploaded as sources.
    pub knowledge: PathBuf,
    /// all-MiniLM-L6-v2 for dense search; `None`: lexical KB and classification.
    pub model_dir: Option<PathBuf>,
    /// kb-rebuild's scheduled run, if any (the S3 trigger is always on).
    pub schedule: Option<Duration>,
    /// Timeout of one kb-rebuild invocation (a hybrid build in a debug binary is slow).
    pub rebuild_timeout: Duration,
    /// Extra environment for every function (e.g. `RUST_LOG`).
    pub env: Vec<(String, String)>,
}

impl StackOptions {
    /// Options for tests: unique names, any free port, built binaries, lexical KB.
    pub fn for_tests(name_prefix: &str) -> Self {
        let root = crate::binaries::workspace_root();
        StackOptions {
            name_prefix: name_prefix.to_string(),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: "local-stack-key-0123456789".to_string(),
            review_key: "local-review-key-0123456789".to_string(),
            rebuild_debounce: Duration::from_secs(5),
            oidc: false,
            bin_dir: None,
            schema: crate::binaries::schema_path(),
            knowledge: root.join("knowledge"),
            model_dir: None,
            schedule: None,
            rebuild_timeout: Duration::from_secs(600),
            env: vec![("RUST_LOG".into(), "info".into())],
        }
    }
}

/// Counters of what the stack's loops did.
#[derive(Debug, Default)]
pub struct Stats {
    pub http_requests: AtomicU64,
    pub classify_invocations: AtomicU64,
    pub classify_failed_messages: AtomicU64,
    pub classify_errors: AtomicU64,
    pub rebuild_invocations: AtomicU64,
    pub rebuild_errors: AtomicU64,
    /// kb-rebuild invocations made for review's rebuild requests, and the requests they took.
    pub requested_rebuilds: AtomicU64,
    pub rebuild_requests: AtomicU64,
}

/// A running pipeline. Dropping it stops the loops and the function processes; the bucket,
/// queues and database stay (call [`Stack::destroy`] to remove them).
pub struct Stack {
    pub endpoint: String,
    pub http_addr: SocketAddr,
    pub api_key: String,
    pub review_key: String,
    pub bucket: String,
    pub queue: QueueWithDlq,
    pub kb_events: Queue,
    pub rebuild_requests: Queue,
    pub database: String,
    pub clickhouse_url: String,
    pub stats: Arc<Stats>,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub ingest: Arc<FunctionProcess>,
    pub classify: Arc<FunctionProcess>,
    pub kb_rebuild: Arc<FunctionProcess>,
    pub review: Arc<FunctionProcess>,
    /// The local OIDC issuer when `StackOptions::oidc` is set.
    pub issuer: Option<Arc<crate::oidc::MockIssuer>>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Stack {
    /// Creates the resources, uploads the sources, starts the functions, builds and publishes
    /// the first knowledge base (the scheduled event), then starts the gateway and the loops.
    pub async fn start(opts: StackOptions) -> Result<Stack> {
        let s3 = localstack::s3_client().await?;
        let sqs = localstack::sqs_client().await?;
        let bucket = localstack::create_bucket(&s3, &format!("{}-kb", opts.name_prefix)).await?;
        // Visibility 60 s: well above one classify invocation here (AWS: 6x the timeout).
        let queue =
            localstack::create_queue_with_dlq(&sqs, &opts.name_prefix, 5, Duration::from_secs(60))
                .await?;
        let kb_events =
            localstack::create_queue(&sqs, &format!("{}-kb-events", opts.name_prefix)).await?;
        let rebuild_requests =
            localstack::create_queue(&sqs, &format!("{}-rebuild-requests", opts.name_prefix))
                .await?;
        // Longer than a rebuild, as the stacks set it (6x kb-rebuild's timeout): a request
        // must not come back while the run it started is still building.
        sqs.set_queue_attributes()
            .queue_url(&rebuild_requests.url)
            .attributes(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout, "900")
            .send()
            .await
            .map_err(aws_err("SQS SetQueueAttributes"))?;

        let clickhouse_url = crate::clickhouse::url();
        let database = crate::names::unique_ident(&opts.name_prefix.replace('-', "_"));
        let admin = crate::clickhouse::client().await?;
        admin
            .query(&format!("CREATE DATABASE IF NOT EXISTS `{database}`"))
            .execute()
            .await
            .map_err(crate::Error::from)?;

        upload_sources(&s3, &bucket, &opts).await?;

        let mut common = localstack::function_env();
        common.push(("CLICKHOUSE_URL".into(), clickhouse_url.clone()));
        common.push(("CLICKHOUSE_DATABASE".into(), database.clone()));
        if let Some(dir) = &opts.model_dir {
            common.push(("OCSFMAP_MODEL_DIR".into(), dir.display().to_string()));
        }
        common.extend(opts.env.iter().cloned());

        let bin = |name: &'static str| {
            let dir = opts.bin_dir.clone();
            async move {
                match dir {
                    Some(dir) => Ok::<PathBuf, StackError>(dir.join(name)),
                    None => Ok(tokio::task::spawn_blocking(move || crate::function_binary(name))
                        .await
                        .map_err(|e| StackError::Setup(e.to_string()))??),
                }
            }
        };
        let migrate_cli = match &opts.bin_dir {
            Some(dir) => dir.join("ocsfmap"),
            None => {
                tokio::task::spawn_blocking(|| crate::workspace_binary("ocsfmap-cli", "ocsfmap"))
                    .await
                    .map_err(|e| StackError::Setup(e.to_string()))??
            }
        };
        migrate(&migrate_cli, &clickhouse_url, &database).await?;

        let mut env = common.clone();
        env.extend([
            ("QUEUE_URL".into(), queue.queue.url.clone()),
            ("API_KEY".into(), opts.api_key.clone()),
        ]);
        let ingest = FunctionProcess::spawn(bin("ingest").await?, env).await?;

        let mut env = common.clone();
        env.push(("KB_BUCKET".into(), bucket.clone()));
        let kb_rebuild = FunctionProcess::spawn(bin("kb-rebuild").await?, env)
            .await?
            .with_timeout(opts.rebuild_timeout);
        let first = kb_rebuild.invoke(scheduled_event()).await?;
        if first["outcome"] != "published" {
            return Err(StackError::Setup(format!(
                "the first knowledge base was not published: {first}\n{}",
                kb_rebuild.log_tail()
            )));
        }
        tracing::info!(version = %first["version"], "first knowledge base published");

        let mut env = common.clone();
        let cache = std::env::temp_dir().join(crate::names::unique("stack-kb-cache"));
        env.extend([
            ("KB_BUCKET".into(), bucket.clone()),
            ("KB_CACHE_DIR".into(), cache.display().to_string()),
            // Checked before every batch here: picking up a new version is what we test.
            ("KB_CHECK_INTERVAL_MS".into(), "0".into()),
        ]);
        let classify = FunctionProcess::spawn(bin("classify").await?, env)
            .await?
            .with_timeout(Duration::from_secs(120));

        let mut env = common.clone();
        let cache = std::env::temp_dir().join(crate::names::unique("stack-review-kb-cache"));
        let issuer = if opts.oidc {
            let issuer = crate::oidc::MockIssuer::start()
                .await
                .map_err(|e| StackError::Setup(format!("starting the OIDC issuer: {e}")))?;
            let url = issuer.issuer();
            env.extend([
                ("REVIEW_AUTH".into(), "jwt".into()),
                ("REVIEW_REQUIRED_GROUP".into(), crate::oidc::REVIEWERS.into()),
                ("OIDC_ISSUER".into(), url.clone()),
                ("OIDC_CLIENT_ID".into(), crate::oidc::CLIENT_ID.into()),
                ("OIDC_AUTHORIZATION_ENDPOINT".into(), format!("{url}/authorize")),
                ("OIDC_TOKEN_ENDPOINT".into(), format!("{url}/token")),
            ]);
            Some(Arc::new(issuer))
        } else {
            env.extend([
                ("REVIEW_AUTH".into(), "key".into()),
                ("REVIEW_API_KEY".into(), opts.review_key.clone()),
            ]);
            None
        };
        env.extend([
            ("KB_BUCKET".into(), bucket.clone()),
            ("KB_CACHE_DIR".into(), cache.display().to_string()),
            (
                "REVIEW_CURSOR_KEY".into(),
                format!("{}-cursor-signing-key-0123456789", opts.name_prefix),
            ),
            ("REBUILD_QUEUE_URL".into(), rebuild_requests.url.clone()),
        ]);
        let review = Arc::new(
            FunctionProcess::spawn(bin("review").await?, env)
                .await?
                .with_timeout(Duration::from_secs(60)),
        );

        // Notifications only now: the initial uploads must not trigger rebuilds.
        notify_sources(&s3, &bucket, &kb_events).await?;

        let listener = TcpListener::bind(opts.http_addr)
            .await
            .map_err(|e| StackError::Setup(format!("binding {}: {e}", opts.http_addr)))?;
        let http_addr = listener.local_addr().map_err(|e| StackError::Setup(e.to_string()))?;
        let (stop, stopped) = watch::channel(false);
        let stats = Arc::new(Stats::default());
        let ingest = Arc::new(ingest);
        let classify = Arc::new(classify);
        let kb_rebuild = Arc::new(kb_rebuild);
        let functions: Functions =
            Arc::new(HashMap::from([("ingest", ingest.clone()), ("review", review.clone())]));
        let mut tasks =
            vec![tokio::spawn(gateway(listener, functions, issuer.clone(), stats.clone()))];
        tasks.push(tokio::spawn(classify_loop(
            sqs.clone(),
            queue.queue.clone(),
            classify.clone(),
            stats.clone(),
            stopped.clone(),
        )));
        tasks.push(tokio::spawn(rebuild_loop(
            sqs.clone(),
            kb_events.url.clone(),
            kb_rebuild.clone(),
            opts.schedule,
            stats.clone(),
            stopped.clone(),
        )));
        tasks.push(tokio::spawn(requested_rebuild_loop(
            sqs.clone(),
            rebuild_requests.clone(),
            kb_rebuild.clone(),
            opts.rebuild_debounce,
            stats.clone(),
            stopped,
        )));
        Ok(Stack {
            endpoint: format!("http://{http_addr}/v1/logs"),
            http_addr,
            api_key: opts.api_key,
            review_key: opts.review_key,
            bucket,
            queue,
            kb_events,
            rebuild_requests,
            database,
            clickhouse_url,
            stats,
            s3,
            sqs,
            ingest,
            classify,
            kb_rebuild,
            review,
            issuer,
            stop,
            tasks,
        })
    }

    /// The review page's address.
    pub fn review_url(&self) -> String {
        format!("http://{}/review", self.http_addr)
    }

    /// A review API request with the review key; returns status and JSON body.
    pub async fn review_request(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value)> {
        let auth = format!("Bearer {}", self.review_key);
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let resp = crate::http1::request_with_headers(
            &self.http_addr.to_string(),
            method,
            path_and_query,
            &[("authorization", auth.as_str()), ("content-type", "application/json")],
            &bytes,
            Duration::from_secs(60),
        )
        .await
        .map_err(|e| StackError::Setup(format!("{method} {path_and_query}: {e}")))?;
        let value = serde_json::from_slice(&resp.body)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(&resp.body)));
        Ok((resp.status, value))
    }

    /// POSTs `body` to the gateway with the API key and `headers`; returns status and body.
    pub async fn post(&self, headers: &[(&str, &str)], body: &[u8]) -> Result<(u16, Value)> {
        let mut all = vec![("x-api-key", self.api_key.as_str())];
        all.extend_from_slice(headers);
        let resp = crate::http1::request_with_headers(
            &self.http_addr.to_string(),
            "POST",
            "/v1/logs",
            &all,
            body,
            Duration::from_secs(120),
        )
        .await
        .map_err(|e| StackError::Setup(format!("POST {}: {e}", self.endpoint)))?;
        let value = serde_json::from_slice(&resp.body)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(&resp.body)));
        Ok((resp.status, value))
    }

    /// The pointer kb-rebuild last published.
    pub async fn pointer(&self) -> Result<Value> {
        let bytes = localstack::get_object_bytes(&self.s3, &self.bucket, POINTER_KEY).await?;
        serde_json::from_slice(&bytes).map_err(|e| StackError::Setup(format!("{POINTER_KEY}: {e}")))
    }

    /// Stops the loops and the functions, then deletes the bucket, queues and database.
    pub async fn destroy(self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
        let _ = localstack::delete_bucket(&self.s3, &self.bucket).await;
        for url in [
            &self.queue.queue.url,
            &self.queue.dlq.url,
            &self.kb_events.url,
            &self.rebuild_requests.url,
        ] {
            let _ = self.sqs.delete_queue().queue_url(url).send().await;
        }
        if let Ok(admin) = crate::clickhouse::client().await {
            let _ = admin
                .query(&format!("DROP DATABASE IF EXISTS `{}`", self.database))
                .execute()
                .await;
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The schema and `knowledge/` under the sources prefix, as an operator would upload them.
async fn upload_sources(s3: &aws_sdk_s3::Client, bucket: &str, opts: &StackOptions) -> Result<()> {
    let schema_name = opts.schema.file_name().and_then(|n| n.to_str()).unwrap_or("schema.json");
    put_file(s3, bucket, &format!("{SOURCES_PREFIX}schema/{schema_name}"), &opts.schema).await?;
    for (dir, prefix) in [("examples", "examples/"), ("pack", "knowledge/pack/")] {
        let dir = opts.knowledge.join(dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| StackError::Setup(format!("{}: {e}", dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        for f in files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            put_file(s3, bucket, &format!("{SOURCES_PREFIX}{prefix}{name}"), &f).await?;
        }
    }
    Ok(())
}

async fn put_file(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, path: &Path) -> Result<()> {
    let bytes =
        std::fs::read(path).map_err(|e| StackError::Setup(format!("{}: {e}", path.display())))?;
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(bytes.into())
        .send()
        .await
        .map_err(aws_err("S3 PutObject"))?;
    Ok(())
}

/// S3 notifications for changes under the sources prefix, to the `kb_events` queue.
async fn notify_sources(s3: &aws_sdk_s3::Client, bucket: &str, kb_events: &Queue) -> Result<()> {
    let filter = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value(SOURCES_PREFIX)
                        .build(),
                )
                .build(),
        )
        .build();
    let queue = QueueConfiguration::builder()
        .queue_arn(&kb_events.arn)
        .events(Event::S3ObjectCreated)
        .events(Event::S3ObjectRemoved)
        .filter(filter)
        .build()
        .map_err(|e| StackError::Setup(e.to_string()))?;
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder().queue_configurations(queue).build(),
        )
        .send()
        .await
        .map_err(aws_err("S3 PutBucketNotificationConfiguration"))?;
    Ok(())
}

/// `ocsfmap migrate`: the deploy-time step that creates the tables.
async fn migrate(cli: &Path, url: &str, database: &str) -> Result<()> {
    let out = tokio::process::Command::new(cli)
        .args(["migrate", "--clickhouse-url", url, "--database", database])
        .output()
        .await
        .map_err(|e| StackError::Setup(format!("running {}: {e}", cli.display())))?;
    if !out.status.success() {
        return Err(StackError::Setup(format!(
            "ocsfmap migrate failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

/// EventBridge's scheduled event, as the schedule rule sends it.
pub fn scheduled_event() -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::now_v7().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": localstack::ACCOUNT_ID,
        "time": "2026-01-01T00:00:00Z",
        "region": localstack::REGION,
        "resources": [format!("arn:aws:events:{}:{}:rule/ocsfmap-kb-rebuild", localstack::REGION, localstack::ACCOUNT_ID)],
        "detail": {}
    })
}

// --- the gateway ------------------------------------------------------------------

/// The functions behind the gateway, by the names the route table uses.
type Functions = Arc<HashMap<&'static str, Arc<FunctionProcess>>>;

type Issuer = Option<Arc<crate::oidc::MockIssuer>>;

async fn gateway(listener: TcpListener, functions: Functions, issuer: Issuer, stats: Arc<Stats>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else { continue };
        let functions = functions.clone();
        let stats = stats.clone();
        let issuer = issuer.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let functions = functions.clone();
                let stats = stats.clone();
                let issuer = issuer.clone();
                async move {
                    // As API Gateway does: routes of the table only, anything else a 404.
                    let route = ocsfmap::routes::resolve(req.method().as_str(), req.uri().path());
                    let function =
                        route.as_ref().ok().and_then(|r| functions.get(r.function.as_str()));
                    // The JWT authorizer on review routes: a token the issuer gave out, or 401.
                    let claims = match (&route, &issuer) {
                        (Ok(r), Some(issuer))
                            if r.auth == ocsfmap::routes::Auth::ReviewCredential =>
                        {
                            let token = req
                                .headers()
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.strip_prefix("Bearer "));
                            match token.and_then(|t| issuer.claims(t)) {
                                Some(c) => Some(c),
                                None => return Ok(reply(401, r#"{"message":"Unauthorized"}"#)),
                            }
                        }
                        _ => None,
                    };
                    let reply = match function {
                        Some(f) => forward(req, peer, f, claims, &stats).await,
                        None => reply(404, r#"{"message":"Not Found"}"#),
                    };
                    Ok::<_, Infallible>(reply)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: u16, body: impl Into<Bytes>) -> Reply {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    r.headers_mut()
        .insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    r
}

/// One HTTP request → the v2 event API Gateway would send → the function → HTTP response.
async fn forward(
    req: Request<Incoming>,
    peer: SocketAddr,
    function: &FunctionProcess,
    claims: Option<Value>,
    stats: &Stats,
) -> Reply {
    stats.http_requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return reply(413, r#"{"message":"Request Entity Too Large"}"#),
    };
    let mut headers = serde_json::Map::new();
    for (k, v) in &parts.headers {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        headers
            .entry(k.as_str().to_string())
            .and_modify(|old| *old = json!(format!("{},{v}", old.as_str().unwrap_or_default())))
            .or_insert(json!(v));
    }
    let query = parts.uri.query().unwrap_or_default().to_string();
    let params: serde_json::Map<String, Value> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), json!(v))
        })
        .collect();
    // API Gateway passes text bodies as is and base64-encodes the rest (gzip, binary).
    let text =
        std::str::from_utf8(&body).ok().filter(|_| !headers.contains_key("content-encoding"));
    let (body_field, is_b64) = match text {
        Some(t) => (t.to_string(), false),
        None => (base64::engine::general_purpose::STANDARD.encode(&body), true),
    };
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "queryStringParameters": if params.is_empty() { Value::Null } else { Value::Object(params) },
        "requestContext": {
            "accountId": localstack::ACCOUNT_ID,
            "apiId": "local",
            "domainName": "localhost",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": peer.ip().to_string(), "userAgent": ""},
            "requestId": uuid::Uuid::now_v7().to_string(),
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 0,
            "authorizer": claims.map(|c| json!({"jwt": {"claims": c, "scopes": null}})),
        },
        "body": body_field,
        "isBase64Encoded": is_b64,
    });
    let resp = match function.invoke(event).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "function invocation failed");
            return reply(502, json!({"message": "Internal Server Error"}).to_string());
        }
    };
    let status = resp["statusCode"].as_u64().unwrap_or(502) as u16;
    let body = resp["body"].as_str().unwrap_or_default();
    let body = if resp["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD.decode(body).unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    };
    // The function's headers, as API Gateway passes them on (CSP, content type, Allow, ...).
    let mut r = reply(status, body);
    if let Some(headers) = resp["headers"].as_object() {
        for (k, v) in headers {
            let (Ok(name), Some(Ok(value))) = (
                hyper::header::HeaderName::from_bytes(k.as_bytes()),
                v.as_str().map(hyper::header::HeaderValue::from_str),
            ) else {
                continue;
            };
            r.headers_mut().insert(name, value);
        }
    }
    r
}

// --- event source mappings ------------------------------------------------------------

/// What Lambda's SQS event source mapping does for `classify`.
async fn classify_loop(
    sqs: aws_sdk_sqs::Client,
    queue: Queue,
    classify: Arc<FunctionProcess>,
    stats: Arc<Stats>,
    mut stopped: watch::Receiver<bool>,
) {
    while !*stopped.borrow() {
        let messages = tokio::select! {
            m = localstack::receive(&sqs, &queue.url, Duration::from_secs(1)) => m,
            _ = stopped.changed() => return,
        };
        let messages = match messages {
            Ok(m) if m.is_empty() => continue,
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "receiving from the classification queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        stats.classify_invocations.fetch_add(1, Ordering::Relaxed);
        let failed = match classify
            .invoke(crate::sqs_event::from_messages(&messages, &queue.arn))
            .await
        {
            Ok(resp) => crate::sqs_event::failed_ids(&resp).unwrap_or_default(),
            Err(e) => {
                // The whole batch is retried after the visibility timeout.
                stats.classify_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "classify invocation failed; the batch will be redelivered");
                continue;
            }
        };
        stats.classify_failed_messages.fetch_add(failed.len() as u64, Ordering::Relaxed);
        if let Err(e) = crate::sqs_event::settle(&sqs, &queue.url, &messages, &failed).await {
            tracing::warn!(error = %e, "deleting processed messages");
        }
    }
}

/// The S3 trigger (notification messages) and the schedule for `kb-rebuild`.
async fn rebuild_loop(
    sqs: aws_sdk_sqs::Client,
    url: String,
    kb_rebuild: Arc<FunctionProcess>,
    schedule: Option<Duration>,
    stats: Arc<Stats>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut next_run = schedule.map(|every| tokio::time::Instant::now() + every);
    while !*stopped.borrow() {
        if let (Some(at), Some(every)) = (next_run, schedule) {
            if tokio::time::Instant::now() >= at {
                next_run = Some(at + every);
                invoke_rebuild(&kb_rebuild, scheduled_event(), &stats).await;
            }
        }
        let messages = tokio::select! {
            m = localstack::receive(&sqs, &url, Duration::from_secs(1)) => m,
            _ = stopped.changed() => return,
        };
        for m in messages.unwrap_or_default() {
            // The message body is the S3 event notification itself.
            match m.body().map(serde_json::from_str::<Value>) {
                Some(Ok(event)) => invoke_rebuild(&kb_rebuild, event, &stats).await,
                _ => tracing::warn!("a kb-events message that is not JSON"),
            }
            if let Some(handle) = m.receipt_handle() {
                let _ = sqs.delete_message().queue_url(&url).receipt_handle(handle).send().await;
            }
        }
    }
}

/// What Lambda's SQS event source mapping does for `kb-rebuild` on the rebuild requests
/// queue: the first message opens a batching window of `window`; everything received until
/// it closes goes to one invocation, and is deleted after it succeeds.
async fn requested_rebuild_loop(
    sqs: aws_sdk_sqs::Client,
    queue: Queue,
    kb_rebuild: Arc<FunctionProcess>,
    window: Duration,
    stats: Arc<Stats>,
    mut stopped: watch::Receiver<bool>,
) {
    while !*stopped.borrow() {
        let first = tokio::select! {
            m = localstack::receive(&sqs, &queue.url, Duration::from_secs(1)) => m.unwrap_or_default(),
            _ = stopped.changed() => return,
        };
        if first.is_empty() {
            continue;
        }
        let mut batch = first;
        let closes = tokio::time::Instant::now() + window;
        while tokio::time::Instant::now() < closes {
            let left = closes - tokio::time::Instant::now();
            let wait = left.min(Duration::from_secs(1));
            batch.extend(localstack::receive(&sqs, &queue.url, wait).await.unwrap_or_default());
        }
        stats.requested_rebuilds.fetch_add(1, Ordering::Relaxed);
        stats.rebuild_requests.fetch_add(batch.len() as u64, Ordering::Relaxed);
        stats.rebuild_invocations.fetch_add(1, Ordering::Relaxed);
        match kb_rebuild.invoke(crate::sqs_event::from_messages(&batch, &queue.arn)).await {
            Ok(outcome) => {
                tracing::info!(requests = batch.len(), outcome = %outcome, "kb-rebuild (requested)");
                for m in &batch {
                    if let Some(h) = m.receipt_handle() {
                        let _ = sqs
                            .delete_message()
                            .queue_url(&queue.url)
                            .receipt_handle(h)
                            .send()
                            .await;
                    }
                }
            }
            Err(e) => {
                // Left on the queue: redelivered after the visibility timeout, as in AWS.
                stats.rebuild_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "kb-rebuild (requested) failed");
            }
        }
    }
}

async fn invoke_rebuild(kb_rebuild: &FunctionProcess, event: Value, stats: &Stats) {
    stats.rebuild_invocations.fetch_add(1, Ordering::Relaxed);
    match kb_rebuild.invoke(event).await {
        Ok(outcome) => tracing::info!(outcome = %outcome, "kb-rebuild"),
        Err(e) => {
            stats.rebuild_errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "kb-rebuild failed");
        }
    }
}
