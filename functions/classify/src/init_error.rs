//! Reports an init failure to the Lambda Runtime API (`/runtime/init/error`), so the
//! platform (and the invoker) sees the configuration error's text rather than only
//! "runtime exited". The Rust runtime crate exposes no call for this.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub async fn report(error_type: &str, message: &str) {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else { return };
    let body = serde_json::json!({"errorType": error_type, "errorMessage": message}).to_string();
    let request = format!(
        "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {api}\r\nContent-Type: application/json\r\n\
         Lambda-Runtime-Function-Error-Type: {error_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let send = async {
        let mut s = tokio::net::TcpStream::connect(&api).await?;
        s.write_all(request.as_bytes()).await?;
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).await?;
        Ok::<_, std::io::Error>(())
    };
    match tokio::time::timeout(Duration::from_secs(2), send).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not report the init error to the Runtime API")
        }
        Err(_) => tracing::warn!("reporting the init error to the Runtime API timed out"),
    }
}
