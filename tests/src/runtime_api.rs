//! An in-process implementation of the AWS Lambda Runtime API, and
//! [`FunctionProcess`], which runs a function's real binary against it.
//!
//! The function sees what it would see on Lambda: `GET .../invocation/next`
//! hands it an event with the request id, deadline, function ARN and trace id
//! headers; it answers on `.../response` or `.../error` (or `init/error`).
//! LocalStack's Lambda needs Docker, so this is how functions are tested.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

const PREFIX: &str = "/2018-06-01/runtime";
/// Time allowed past the deadline for the function to answer.
const GRACE: Duration = Duration::from_secs(2);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why an invocation produced no response.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The function reported an error for this invocation.
    #[error("function error {error_type}: {error_message}")]
    Function { error_type: String, error_message: String },
    /// The function reported an initialisation error.
    #[error("init error {error_type}: {error_message}\n--- function log tail ---\n{log_tail}")]
    Init { error_type: String, error_message: String, log_tail: String },
    /// The process ended before answering.
    #[error("function process exited ({status}) before answering\n--- function log tail ---\n{log_tail}")]
    Exited { status: String, log_tail: String },
    /// No answer before the deadline (plus a short grace period).
    #[error("no answer within {after:?}\n--- function log tail ---\n{log_tail}")]
    Timeout { after: Duration, log_tail: String },
    /// The response body is not JSON.
    #[error("response is not JSON ({reason}): {body}")]
    NotJson { reason: String, body: String },
    /// The harness itself failed (spawning, binding a port, ...).
    #[error("harness: {0}")]
    Harness(String),
}

#[derive(Debug)]
enum Outcome {
    Response(Bytes),
    Error { error_type: String, error_message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Diagnostic {
    #[serde(rename = "errorType", default)]
    error_type: String,
    #[serde(rename = "errorMessage", default)]
    error_message: String,
}

struct Invocation {
    id: String,
    payload: Bytes,
    deadline_ms: u64,
}

struct State {
    function_arn: String,
    queue_tx: mpsc::UnboundedSender<Invocation>,
    queue_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: watch::Sender<Option<Diagnostic>>,
}

/// The Runtime API server alone, on `127.0.0.1:<free port>`. Most tests want
/// [`FunctionProcess`], which starts one of these for its binary.
pub struct RuntimeApi {
    addr: SocketAddr,
    state: Arc<State>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start(function_name: &str) -> Result<Self, InvokeError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| InvokeError::Harness(format!("binding the Runtime API: {e}")))?;
        let addr = listener.local_addr().map_err(|e| InvokeError::Harness(e.to_string()))?;
        let (queue_tx, queue_rx) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            function_arn: format!(
                "arn:aws:lambda:{}:{}:function:{function_name}",
                crate::localstack::REGION,
                crate::localstack::ACCOUNT_ID
            ),
            queue_tx,
            queue_rx: tokio::sync::Mutex::new(queue_rx),
            waiting: Mutex::new(HashMap::new()),
            init_error: watch::channel(None).0,
        });
        let server = tokio::spawn(serve(listener, state.clone()));
        Ok(Self { addr, state, server })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues an invocation and waits for its outcome (no process
    /// supervision: see [`FunctionProcess::invoke_raw`]).
    async fn submit(
        &self,
        payload: Bytes,
        timeout: Duration,
    ) -> (String, oneshot::Receiver<Outcome>) {
        let id = uuid::Uuid::now_v7().to_string();
        let (tx, rx) = oneshot::channel();
        lock(&self.state.waiting).insert(id.clone(), tx);
        let deadline_ms = epoch_ms(SystemTime::now() + timeout);
        // the receiver lives in `state`, so sending cannot fail while we hold it
        let _ = self.state.queue_tx.send(Invocation { id: id.clone(), payload, deadline_ms });
        (id, rx)
    }

    fn forget(&self, id: &str) {
        lock(&self.state.waiting).remove(id);
    }

    /// Invokes with `payload` and waits up to `timeout` for the function's answer.
    pub async fn invoke_raw(
        &self,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> Result<Bytes, InvokeError> {
        let (id, rx) = self.submit(Bytes::from(payload), timeout).await;
        let mut init = self.state.init_error.subscribe();
        let outcome = tokio::select! {
            biased;
            outcome = rx => outcome.map_err(|_| InvokeError::Harness("Runtime API stopped".into())),
            Ok(diag) = init.wait_for(Option::is_some) => {
                let diag = diag.clone().unwrap_or_else(|| Diagnostic { error_type: String::new(), error_message: String::new() });
                Err(InvokeError::Init { error_type: diag.error_type, error_message: diag.error_message, log_tail: String::new() })
            }
            _ = tokio::time::sleep(timeout + GRACE) => Err(InvokeError::Timeout { after: timeout + GRACE, log_tail: String::new() }),
        };
        self.forget(&id);
        match outcome? {
            Outcome::Response(body) => Ok(body),
            Outcome::Error { error_type, error_message } => {
                Err(InvokeError::Function { error_type, error_message })
            }
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| route(state.clone(), req));
            // a function that dies mid-request just drops its connection
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Reply = Response<Full<Bytes>>;

async fn route(state: Arc<State>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(StatusCode::NOT_FOUND, r#"{"errorType":"NotFound"}"#));
    };
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    Ok(match (req.method(), segments.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next_invocation(&state).await,
        (&Method::POST, ["invocation", id, "response"]) => {
            let id = id.to_string();
            match read_body(req).await {
                Ok((body, trailer_error)) => {
                    let outcome = match trailer_error {
                        Some(diag) => Outcome::Error {
                            error_type: diag.error_type,
                            error_message: diag.error_message,
                        },
                        None => Outcome::Response(body),
                    };
                    complete(&state, &id, outcome)
                }
                Err(e) => reply(
                    StatusCode::BAD_REQUEST,
                    &format!(r#"{{"errorType":"BadBody","errorMessage":"{e}"}}"#),
                ),
            }
        }
        (&Method::POST, ["invocation", id, "error"]) => {
            let id = id.to_string();
            let header_type = header_str(&req, "lambda-runtime-function-error-type");
            let body = read_body(req).await.map(|(b, _)| b).unwrap_or_default();
            let diag = diagnostic(&body, header_type);
            complete(
                &state,
                &id,
                Outcome::Error { error_type: diag.error_type, error_message: diag.error_message },
            )
        }
        (&Method::POST, ["init", "error"]) => {
            let header_type = header_str(&req, "lambda-runtime-function-error-type");
            let body = read_body(req).await.map(|(b, _)| b).unwrap_or_default();
            let diag = diagnostic(&body, header_type);
            tracing::warn!(error_type = %diag.error_type, error_message = %diag.error_message, "function init error");
            state.init_error.send_replace(Some(diag));
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        _ => reply(StatusCode::NOT_FOUND, r#"{"errorType":"NotFound"}"#),
    })
}

async fn next_invocation(state: &State) -> Reply {
    let invocation = state.queue_rx.lock().await.recv().await;
    let Some(inv) = invocation else {
        return reply(StatusCode::GONE, r#"{"errorType":"ShuttingDown"}"#);
    };
    let trace = format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        inv.deadline_ms / 1000,
        &hex_id(&inv.id, 24),
        hex_id(&inv.id, 16)
    );
    let mut resp = Response::new(Full::new(inv.payload));
    let headers = resp.headers_mut();
    let pairs = [
        ("lambda-runtime-aws-request-id", inv.id.clone()),
        ("lambda-runtime-deadline-ms", inv.deadline_ms.to_string()),
        ("lambda-runtime-invoked-function-arn", state.function_arn.clone()),
        ("lambda-runtime-trace-id", trace),
        ("content-type", "application/json".to_string()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    resp
}

fn complete(state: &State, id: &str, outcome: Outcome) -> Reply {
    match lock(&state.waiting).remove(id) {
        Some(tx) => {
            let _ = tx.send(outcome);
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        None => reply(
            StatusCode::BAD_REQUEST,
            r#"{"errorType":"InvalidRequestID","errorMessage":"unknown or already answered request id"}"#,
        ),
    }
}

/// The body, and an error reported in a streaming response's trailers.
async fn read_body(req: Request<Incoming>) -> Result<(Bytes, Option<Diagnostic>), hyper::Error> {
    let collected = req.into_body().collect().await?;
    let trailer_error = collected.trailers().and_then(|t| {
        let error_type = t.get("lambda-runtime-function-error-type")?.to_str().ok()?.to_string();
        let error_message = t
            .get("lambda-runtime-function-error-body")
            .and_then(|v| v.to_str().ok())
            .map(decode_error_body)
            .unwrap_or_default();
        Some(Diagnostic { error_type, error_message })
    });
    Ok((collected.to_bytes(), trailer_error))
}

/// Streaming error bodies are base64 of the diagnostic JSON; keep the text if not.
fn decode_error_body(raw: &str) -> String {
    base64_decode(raw)
        .and_then(|bytes| serde_json::from_slice::<Diagnostic>(&bytes).ok())
        .map(|d| d.error_message)
        .unwrap_or_else(|| raw.to_string())
}

fn diagnostic(body: &[u8], header_type: Option<String>) -> Diagnostic {
    match serde_json::from_slice::<Diagnostic>(body) {
        Ok(mut diag) => {
            if diag.error_type.is_empty() {
                diag.error_type = header_type.unwrap_or_default();
            }
            diag
        }
        Err(_) => Diagnostic {
            error_type: header_type.unwrap_or_else(|| "Unknown".into()),
            error_message: String::from_utf8_lossy(body).into_owned(),
        },
    }
}

fn header_str(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn reply(status: StatusCode, body: &str) -> Reply {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    resp
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// `len` hex digits derived from a request id (trace ids want hex).
fn hex_id(id: &str, len: usize) -> String {
    let hex: String = id.chars().filter(char::is_ascii_hexdigit).collect();
    format!("{hex:0>len$}").chars().take(len).collect()
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim().bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

// --- the function process ----------------------------------------------------

/// A function's real binary running against an in-process Runtime API.
/// The process is killed when this is dropped; its stdout and stderr go to
/// [`log_path`](Self::log_path).
pub struct FunctionProcess {
    name: String,
    api: RuntimeApi,
    timeout: Duration,
    log_path: PathBuf,
    pid: Option<u32>,
    exit: watch::Receiver<Option<String>>,
    kill: Option<oneshot::Sender<()>>,
}

impl FunctionProcess {
    /// Starts `binary` with the Lambda environment (`AWS_LAMBDA_RUNTIME_API`,
    /// function name, memory size, version, log group and stream, region)
    /// plus `envs`, which override it. Nothing else is inherited but `PATH`, `HOME`,
    /// `TMPDIR`, `LANG` and `RUST_BACKTRACE`.
    pub async fn spawn<I, K, V>(binary: impl AsRef<Path>, envs: I) -> Result<Self, InvokeError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let binary = binary.as_ref();
        let name = binary.file_stem().and_then(|s| s.to_str()).unwrap_or("function").to_string();
        let api = RuntimeApi::start(&name).await?;
        let log_path =
            std::env::temp_dir().join(format!("ocsfmap-{}.log", crate::names::unique(&name)));
        let log = File::create(&log_path)
            .map_err(|e| InvokeError::Harness(format!("creating {}: {e}", log_path.display())))?;
        let log2 = log.try_clone().map_err(|e| InvokeError::Harness(e.to_string()))?;

        let mut cmd = Command::new(binary);
        // Only what Lambda would set plus `envs`: an inherited OCSFMAP_MODEL_DIR or
        // CLICKHOUSE_URL from the developer's shell must not change what a test runs.
        cmd.env_clear();
        for keep in ["PATH", "HOME", "TMPDIR", "LANG", "RUST_BACKTRACE"] {
            if let Some(v) = std::env::var_os(keep) {
                cmd.env(keep, v);
            }
        }
        cmd.env("AWS_LAMBDA_RUNTIME_API", api.addr().to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!("test/[$LATEST]{}", uuid::Uuid::now_v7().simple()),
            )
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_REGION", crate::localstack::REGION)
            .env("AWS_DEFAULT_REGION", crate::localstack::REGION)
            .env_remove("AWS_LAMBDA_MAX_CONCURRENCY")
            .envs(envs.into_iter().map(|(k, v)| (k.into(), v.into())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| InvokeError::Harness(format!("spawning {}: {e}", binary.display())))?;
        let pid = child.id();
        tracing::info!(function = %name, pid, runtime_api = %api.addr(), log = %log_path.display(), "function started");

        let (exit_tx, exit) = watch::channel(None);
        let (kill, kill_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let status = tokio::select! {
                status = child.wait() => status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
                _ = kill_rx => {
                    let _ = child.kill().await;
                    "killed by the harness".to_string()
                }
            };
            exit_tx.send_replace(Some(status));
        });
        Ok(Self { name, api, timeout: DEFAULT_TIMEOUT, log_path, pid, exit, kill: Some(kill) })
    }

    /// The function's timeout: the deadline given to each invocation (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Invokes the function with a JSON event and returns its JSON response.
    pub async fn invoke(&self, event: serde_json::Value) -> Result<serde_json::Value, InvokeError> {
        let body = self.invoke_raw(event.to_string().into_bytes()).await?;
        serde_json::from_slice(&body).map_err(|e| InvokeError::NotJson {
            reason: e.to_string(),
            body: String::from_utf8_lossy(&body).chars().take(2000).collect(),
        })
    }

    /// Invokes with raw payload bytes; returns the raw response body.
    pub async fn invoke_raw(&self, payload: Vec<u8>) -> Result<Bytes, InvokeError> {
        if let Some(status) = self.exit.borrow().clone() {
            return Err(InvokeError::Exited { status, log_tail: self.log_tail() });
        }
        let mut exit = self.exit.clone();
        let result = tokio::select! {
            biased;
            result = self.api.invoke_raw(payload, self.timeout) => result,
            Ok(status) = exit.wait_for(Option::is_some) => {
                let status = status.clone().unwrap_or_default();
                Err(InvokeError::Exited { status, log_tail: String::new() })
            }
        };
        result.map_err(|err| self.with_log(err))
    }

    fn with_log(&self, err: InvokeError) -> InvokeError {
        match err {
            InvokeError::Init { error_type, error_message, .. } => {
                InvokeError::Init { error_type, error_message, log_tail: self.log_tail() }
            }
            InvokeError::Exited { status, .. } => {
                InvokeError::Exited { status, log_tail: self.log_tail() }
            }
            InvokeError::Timeout { after, .. } => {
                InvokeError::Timeout { after, log_tail: self.log_tail() }
            }
            other => other,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    pub fn runtime_api_addr(&self) -> SocketAddr {
        self.api.addr()
    }

    /// Where the process's stdout and stderr go.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Everything the process has logged so far.
    pub fn logs(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The last 40 lines of the log, for error messages.
    pub fn log_tail(&self) -> String {
        let logs = self.logs();
        let lines: Vec<&str> = logs.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// `Some(status)` once the process has exited.
    pub fn exit_status(&self) -> Option<String> {
        self.exit.borrow().clone()
    }

    /// Kills the process and waits until it is gone.
    pub async fn stop(mut self) -> String {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        let mut exit = self.exit.clone();
        let status = exit.wait_for(Option::is_some).await.ok().and_then(|s| s.clone());
        status.unwrap_or_default()
    }
}

impl Drop for FunctionProcess {
    fn drop(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_from_bodies_and_headers() {
        let d = diagnostic(br#"{"errorType":"Boom","errorMessage":"it broke"}"#, None);
        assert_eq!((d.error_type.as_str(), d.error_message.as_str()), ("Boom", "it broke"));
        let d = diagnostic(b"plain text", Some("Runtime.Crash".into()));
        assert_eq!(
            (d.error_type.as_str(), d.error_message.as_str()),
            ("Runtime.Crash", "plain text")
        );
        let d = diagnostic(br#"{"errorMessage":"m"}"#, Some("FromHeader".into()));
        assert_eq!(d.error_type, "FromHeader");
    }

    const T: Duration = Duration::from_secs(10);

    /// Plays the function's side of the protocol by hand.
    #[tokio::test]
    async fn protocol_next_response_error_and_init_error() {
        let api = Arc::new(RuntimeApi::start("proto").await.unwrap());
        let addr = api.addr().to_string();

        let invoker = {
            let api = api.clone();
            tokio::spawn(async move {
                api.invoke_raw(br#"{"k":1}"#.to_vec(), Duration::from_secs(30)).await
            })
        };
        let next =
            crate::http1::request(&addr, "GET", "/2018-06-01/runtime/invocation/next", b"", T)
                .await
                .unwrap();
        assert_eq!((next.status, next.body.as_slice()), (200, &br#"{"k":1}"#[..]));
        let id = next.header("lambda-runtime-aws-request-id").unwrap().to_string();
        let deadline: u64 = next.header("lambda-runtime-deadline-ms").unwrap().parse().unwrap();
        assert!(deadline > epoch_ms(SystemTime::now()));
        assert_eq!(
            next.header("lambda-runtime-invoked-function-arn"),
            Some("arn:aws:lambda:us-east-1:000000000000:function:proto")
        );
        assert!(next.header("lambda-runtime-trace-id").unwrap().starts_with("Root=1-"));

        let path = format!("/2018-06-01/runtime/invocation/{id}/response");
        let ok = crate::http1::request(&addr, "POST", &path, b"\"done\"", T).await.unwrap();
        assert_eq!(ok.status, 202);
        assert_eq!(invoker.await.unwrap().unwrap().as_ref(), b"\"done\"");
        // answering twice, or an unknown id, is refused
        let again = crate::http1::request(&addr, "POST", &path, b"1", T).await.unwrap();
        assert_eq!(again.status, 400);

        let invoker = {
            let api = api.clone();
            tokio::spawn(
                async move { api.invoke_raw(b"{}".to_vec(), Duration::from_secs(30)).await },
            )
        };
        let next =
            crate::http1::request(&addr, "GET", "/2018-06-01/runtime/invocation/next", b"", T)
                .await
                .unwrap();
        let id = next.header("lambda-runtime-aws-request-id").unwrap().to_string();
        let path = format!("/2018-06-01/runtime/invocation/{id}/error");
        let body = br#"{"errorType":"Parse","errorMessage":"bad json"}"#;
        assert_eq!(crate::http1::request(&addr, "POST", &path, body, T).await.unwrap().status, 202);
        match invoker.await.unwrap() {
            Err(InvokeError::Function { error_type, error_message }) => {
                assert_eq!((error_type.as_str(), error_message.as_str()), ("Parse", "bad json"))
            }
            other => panic!("{other:?}"),
        }

        // an init error fails the invocation that is waiting
        let invoker = {
            let api = api.clone();
            tokio::spawn(
                async move { api.invoke_raw(b"{}".to_vec(), Duration::from_secs(30)).await },
            )
        };
        let body = br#"{"errorType":"Runtime.InitError","errorMessage":"no config"}"#;
        let init = crate::http1::request(&addr, "POST", "/2018-06-01/runtime/init/error", body, T)
            .await
            .unwrap();
        assert_eq!(init.status, 202);
        match invoker.await.unwrap() {
            Err(InvokeError::Init { error_type, error_message, .. }) => {
                assert_eq!(
                    (error_type.as_str(), error_message.as_str()),
                    ("Runtime.InitError", "no config")
                )
            }
            other => panic!("{other:?}"),
        }
        let unknown = crate::http1::request(&addr, "GET", "/2018-06-01/runtime/nothing", b"", T)
            .await
            .unwrap();
        assert_eq!(unknown.status, 404);
    }

    #[tokio::test]
    async fn unanswered_invocation_times_out() {
        let api = RuntimeApi::start("silent").await.unwrap();
        let err = api.invoke_raw(b"{}".to_vec(), Duration::from_millis(100)).await.unwrap_err();
        assert!(matches!(err, InvokeError::Timeout { .. }), "{err:?}");
        assert!(lock(&api.state.waiting).is_empty(), "timed-out invocation must be forgotten");
    }

    #[test]
    fn base64_and_hex_helpers() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert!(base64_decode("a*b").is_none());
        assert_eq!(decode_error_body("eyJlcnJvck1lc3NhZ2UiOiJ4In0="), "x"); // {"errorMessage":"x"}
        assert_eq!(hex_id("0190-abcd", 6), "0190ab");
        assert_eq!(hex_id("ab", 4), "00ab");
    }
}
