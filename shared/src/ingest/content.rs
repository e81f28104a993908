//! Content-Type and Content-Encoding negotiation.

use super::response::IngestError;

/// How the body is split into records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// One JSON value = one record; a top-level array = many. Several top-level values
    /// separated by whitespace are also accepted, because Fluent Bit's `json_lines` and
    /// `json_stream` formats are sent as `application/json`.
    Json,
    /// One JSON record per line.
    Ndjson,
    /// One raw log line per record.
    Text,
}

/// How the body bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

const ACCEPTED_TYPES: &str = "application/json, application/x-ndjson or text/plain";

/// Picks the body format from `Content-Type`. Only UTF-8 (or its ASCII subset) is accepted.
pub fn body_format(content_type: Option<&str>) -> Result<BodyFormat, IngestError> {
    let Some(ct) = content_type.map(str::trim).filter(|c| !c.is_empty()) else {
        return Err(IngestError::UnsupportedMediaType(format!(
            "the Content-Type header is missing; use {ACCEPTED_TYPES}"
        )));
    };
    let mut parts = ct.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    for param in parts {
        let Some((k, v)) = param.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("charset") {
            let cs = v.trim().trim_matches('"').to_ascii_lowercase();
            if !matches!(cs.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii") {
                return Err(IngestError::UnsupportedMediaType(format!(
                    "charset {cs} is not supported; send UTF-8"
                )));
            }
        }
    }
    match media.as_str() {
        "application/json" | "text/json" => Ok(BodyFormat::Json),
        "application/x-ndjson" | "application/ndjson" | "application/jsonlines"
        | "application/x-jsonlines" | "application/jsonl" | "application/json-lines" => {
            Ok(BodyFormat::Ndjson)
        }
        "text/plain" => Ok(BodyFormat::Text),
        "application/msgpack" | "application/x-msgpack" => {
            Err(IngestError::UnsupportedMediaType(format!(
                "MessagePack is not supported (Fluent Bit's http output defaults to it: set Format json or json_lines); use {ACCEPTED_TYPES}"
            )))
        }
        other => Err(IngestError::UnsupportedMediaType(format!(
            "Content-Type {} is not supported; use {ACCEPTED_TYPES}",
            other.chars().take(100).collect::<String>()
        ))),
    }
}

/// Picks the decompression from `Content-Encoding`. Without the header a body that starts with
/// the gzip magic bytes is still gunzipped: such a body could never be valid UTF-8 text.
pub fn compression(
    content_encoding: Option<&str>,
    body: &[u8],
) -> Result<Compression, IngestError> {
    let mut gzip = false;
    for enc in content_encoding.unwrap_or("").split(',') {
        match enc.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => {}
            "gzip" | "x-gzip" if !gzip => gzip = true,
            other => {
                return Err(IngestError::UnsupportedMediaType(format!(
                    "Content-Encoding {} is not supported; use gzip or send the body uncompressed",
                    other.chars().take(50).collect::<String>()
                )))
            }
        }
    }
    if gzip || (content_encoding.is_none() && body.starts_with(&[0x1f, 0x8b])) {
        Ok(Compression::Gzip)
    } else {
        Ok(Compression::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(body_format(Some("application/json")).unwrap(), BodyFormat::Json);
        assert_eq!(body_format(Some("Application/JSON; charset=UTF-8")).unwrap(), BodyFormat::Json);
        assert_eq!(body_format(Some("application/x-ndjson")).unwrap(), BodyFormat::Ndjson);
        assert_eq!(body_format(Some("text/plain; charset=\"utf-8\"")).unwrap(), BodyFormat::Text);
        for bad in [
            None,
            Some(""),
            Some("text/html"),
            Some("application/msgpack"),
            Some("text/plain; charset=latin1"),
        ] {
            let e = body_format(bad).unwrap_err();
            assert_eq!(e.status(), 415, "{bad:?}");
            assert!(
                e.to_string().contains("application/json") || e.to_string().contains("UTF-8"),
                "{e}"
            );
        }
    }

    #[test]
    fn encodings() {
        assert_eq!(compression(None, b"{}").unwrap(), Compression::None);
        assert_eq!(compression(Some("identity"), b"{}").unwrap(), Compression::None);
        assert_eq!(compression(Some("GZIP"), b"").unwrap(), Compression::Gzip);
        assert_eq!(compression(Some("x-gzip"), b"").unwrap(), Compression::Gzip);
        assert_eq!(compression(None, &[0x1f, 0x8b, 8]).unwrap(), Compression::Gzip);
        for bad in ["br", "deflate", "zstd", "gzip, gzip"] {
            assert_eq!(compression(Some(bad), b"").unwrap_err().status(), 415, "{bad}");
        }
    }
}
