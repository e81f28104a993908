//! Body decoding: gateway transport (base64), decompression, and splitting into records with
//! per-record validation. A record that fails is rejected on its own; only a body whose
//! structure is broken as a whole is refused.

use std::borrow::Cow;

use base64::Engine;
use serde::de::IgnoredAny;

use super::config::Limits;
use super::content::{BodyFormat, Compression};
use super::gzip::gunzip_bounded;
use super::json_scan::{self, ScanError};
use super::response::{IngestError, RejectCode, Rejection};

/// One accepted record: its position in the body and its raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord<'a> {
    pub index: usize,
    pub raw: Cow<'a, str>,
}

/// The records of one body, valid and refused, each in body order.
#[derive(Debug, Default)]
pub struct Split<'a> {
    pub records: Vec<RawRecord<'a>>,
    pub rejections: Vec<Rejection>,
}

const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Undoes the gateway's base64 transport encoding and applies the body size limit.
pub fn transport_decode(
    body: Option<&str>,
    is_base64: bool,
    max_body_bytes: usize,
) -> Result<Cow<'_, [u8]>, IngestError> {
    let body = body.unwrap_or("");
    if body.is_empty() {
        return Err(IngestError::EmptyBody);
    }
    if !is_base64 {
        return match body.len() {
            n if n > max_body_bytes => {
                Err(IngestError::BodyTooLarge { size: n, limit: max_body_bytes })
            }
            _ => Ok(Cow::Borrowed(body.as_bytes())),
        };
    }
    // Check the size the text will decode to before decoding it.
    let decoded_len = body.len() / 4 * 3;
    if decoded_len > max_body_bytes.saturating_add(3) {
        return Err(IngestError::BodyTooLarge { size: decoded_len, limit: max_body_bytes });
    }
    let bytes = BASE64.decode(body.trim_end()).map_err(|_| IngestError::BadBase64)?;
    if bytes.len() > max_body_bytes {
        return Err(IngestError::BodyTooLarge { size: bytes.len(), limit: max_body_bytes });
    }
    if bytes.is_empty() {
        return Err(IngestError::EmptyBody);
    }
    Ok(Cow::Owned(bytes))
}

/// Gunzips when asked to, within the decompressed-size limit.
pub fn decompress<'a>(
    bytes: Cow<'a, [u8]>,
    compression: Compression,
    limits: &Limits,
) -> Result<Cow<'a, [u8]>, IngestError> {
    match compression {
        Compression::None => Ok(bytes),
        Compression::Gzip => gunzip_bounded(&bytes, limits.max_decompressed_bytes).map(Cow::Owned),
    }
}

/// Splits a decoded body into records according to its format.
pub fn split<'a>(
    body: &'a [u8],
    format: BodyFormat,
    limits: &Limits,
) -> Result<Split<'a>, IngestError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let split = match format {
        BodyFormat::Json => split_json(body, limits)?,
        BodyFormat::Ndjson => split_lines(body, limits, ndjson_record)?,
        BodyFormat::Text => split_lines(body, limits, |line, _| text_record(line))?,
    };
    if split.records.is_empty() && split.rejections.is_empty() {
        return Err(IngestError::EmptyBody);
    }
    Ok(split)
}

type Refusal = (RejectCode, String);

fn too_large(len: usize, limits: &Limits) -> Option<Refusal> {
    (len > limits.max_record_bytes).then(|| {
        (
            RejectCode::RecordTooLarge,
            format!("the record is {len} bytes; the limit is {} bytes", limits.max_record_bytes),
        )
    })
}

fn utf8(b: &[u8]) -> Result<&str, Refusal> {
    std::str::from_utf8(b).map_err(|e| {
        (
            RejectCode::InvalidUtf8,
            format!("the record is not valid UTF-8 (byte {})", e.valid_up_to()),
        )
    })
}

/// Validates one JSON record whose depth is already known. Objects are kept as their exact
/// text; a JSON string is taken as one raw log line and kept as its decoded content.
fn json_record<'a>(b: &'a [u8], depth: usize, limits: &Limits) -> Result<Cow<'a, str>, Refusal> {
    if let Some(r) = too_large(b.len(), limits) {
        return Err(r);
    }
    if depth > limits.max_depth {
        return Err((
            RejectCode::TooDeep,
            format!("the record nests {depth} levels deep; the limit is {}", limits.max_depth),
        ));
    }
    let text = utf8(b)?;
    let invalid = |e: serde_json::Error| (RejectCode::InvalidJson, format!("invalid JSON: {e}"));
    match b.first() {
        None => Err((RejectCode::InvalidJson, "invalid JSON: empty element".into())),
        Some(b'{') => {
            serde_json::from_str::<IgnoredAny>(text).map_err(invalid)?;
            Ok(Cow::Borrowed(text))
        }
        Some(b'"') => {
            let line: String = serde_json::from_str(text).map_err(invalid)?;
            if line.trim().is_empty() {
                return Err((RejectCode::NotARecord, "the record is an empty string".into()));
            }
            Ok(Cow::Owned(line))
        }
        Some(_) => {
            serde_json::from_str::<IgnoredAny>(text).map_err(invalid)?;
            Err((
                RejectCode::NotARecord,
                "a record must be a JSON object (or a JSON string holding one raw log line)".into(),
            ))
        }
    }
}

fn ndjson_record<'a>(line: &'a [u8], limits: &Limits) -> Result<Cow<'a, str>, Refusal> {
    // Size first, so a huge line is refused without being scanned.
    if let Some(r) = too_large(line.len(), limits) {
        return Err(r);
    }
    json_record(line, json_scan::max_depth(line), limits)
}

fn text_record(line: &[u8]) -> Result<Cow<'_, str>, Refusal> {
    utf8(line).map(Cow::Borrowed)
}

fn split_json<'a>(body: &'a [u8], limits: &Limits) -> Result<Split<'a>, IngestError> {
    let spans = json_scan::split_json(body, limits.max_records).map_err(|e| match e {
        ScanError::TooMany { limit } => IngestError::TooManyRecords { limit },
        other => IngestError::MalformedBody { detail: other.to_string() },
    })?;
    let mut out = Split::default();
    for (index, span) in spans.into_iter().enumerate() {
        let b = body.get(span.start..span.end).unwrap_or_default();
        match json_record(b, span.depth, limits) {
            Ok(raw) => out.records.push(RawRecord { index, raw }),
            Err((code, reason)) => out.rejections.push(Rejection { index, code, reason }),
        }
    }
    Ok(out)
}

/// Line formats: every non-blank line is one record (a trailing `\r` is dropped).
fn split_lines<'a>(
    body: &'a [u8],
    limits: &Limits,
    record: impl Fn(&'a [u8], &Limits) -> Result<Cow<'a, str>, Refusal>,
) -> Result<Split<'a>, IngestError> {
    let mut out = Split::default();
    let mut index = 0usize;
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        if index >= limits.max_records {
            return Err(IngestError::TooManyRecords { limit: limits.max_records });
        }
        let result = too_large(line.len(), limits).map_or_else(|| record(line, limits), Err);
        match result {
            Ok(raw) => out.records.push(RawRecord { index, raw }),
            Err((code, reason)) => out.rejections.push(Rejection { index, code, reason }),
        }
        index += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits { max_record_bytes: 1000, max_depth: 8, max_records: 50, ..Limits::default() }
    }

    fn raws<'a>(s: &'a Split<'_>) -> Vec<(usize, &'a str)> {
        s.records.iter().map(|r| (r.index, r.raw.as_ref())).collect()
    }

    fn rejected(s: &Split<'_>) -> Vec<(usize, RejectCode)> {
        s.rejections.iter().map(|r| (r.index, r.code)).collect()
    }

    #[test]
    fn json_object_array_and_stream() {
        let l = limits();
        let s = split(br#"{"user":"a"}"#, BodyFormat::Json, &l).unwrap();
        assert_eq!(raws(&s), vec![(0, r#"{"user":"a"}"#)]);
        let s = split(b"[{\"a\":1},\n {\"b\": [2]}]", BodyFormat::Json, &l).unwrap();
        assert_eq!(raws(&s), vec![(0, r#"{"a":1}"#), (1, r#"{"b": [2]}"#)]);
        // Fluent Bit json_lines arrives as application/json.
        let s = split(b"{\"a\":1}\n{\"b\":2}\n", BodyFormat::Json, &l).unwrap();
        assert_eq!(raws(&s), vec![(0, r#"{"a":1}"#), (1, r#"{"b":2}"#)]);
    }

    #[test]
    fn json_strings_are_raw_lines() {
        let s = split(
            br#"["<34>Oct 11 22:14:15 host su: fail", "a \"quoted\" \u00e9"]"#,
            BodyFormat::Json,
            &limits(),
        )
        .unwrap();
        assert_eq!(raws(&s), vec![(0, "<34>Oct 11 22:14:15 host su: fail"), (1, "a \"quoted\" é")]);
    }

    #[test]
    fn json_element_rejections_keep_indexes() {
        let deep = format!("{}{}", "[".repeat(9), "]".repeat(9));
        let body = format!(
            r#"[{{"ok":1}}, 42, {{"bad":}}, {}, "", {{"x":"{}"}}, {{"ok":2}},]"#,
            deep,
            "y".repeat(1000)
        );
        let s = split(body.as_bytes(), BodyFormat::Json, &limits()).unwrap();
        assert_eq!(raws(&s), vec![(0, r#"{"ok":1}"#), (6, r#"{"ok":2}"#)]);
        assert_eq!(
            rejected(&s),
            vec![
                (1, RejectCode::NotARecord),
                (2, RejectCode::InvalidJson),
                (3, RejectCode::TooDeep),
                (4, RejectCode::NotARecord),
                (5, RejectCode::RecordTooLarge),
                (7, RejectCode::InvalidJson),
            ]
        );
    }

    #[test]
    fn broken_json_body_is_400() {
        for bad in [&b"[{\"a\":1}"[..], b"{\"a\":", b"}{", b"[1 2]"] {
            let e = split(bad, BodyFormat::Json, &limits()).unwrap_err();
            assert_eq!(e.status(), 400, "{}", String::from_utf8_lossy(bad));
            assert_eq!(e.code(), "malformed_body");
        }
    }

    #[test]
    fn ndjson_mixed_valid_and_invalid() {
        let body = b"{\"a\":1}\r\n\n  \nnot json\n{\"b\":2}\n[1]\n{\"c\":\xff}\n{\"d\":4}";
        let s = split(body, BodyFormat::Ndjson, &limits()).unwrap();
        assert_eq!(raws(&s), vec![(0, r#"{"a":1}"#), (2, r#"{"b":2}"#), (5, r#"{"d":4}"#)]);
        assert_eq!(
            rejected(&s),
            vec![
                (1, RejectCode::InvalidJson),
                (3, RejectCode::NotARecord),
                (4, RejectCode::InvalidUtf8)
            ]
        );
        assert!(s.rejections[0].reason.contains("line 1 column"), "{}", s.rejections[0].reason);
    }

    #[test]
    fn ndjson_deep_and_huge_lines() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let huge = format!("{{\"m\":\"{}\"}}", "z".repeat(5 << 20));
        let body = format!("{{\"a\":1}}\n{{\"d\":{deep}}}\n{huge}\n");
        let s = split(body.as_bytes(), BodyFormat::Ndjson, &limits()).unwrap();
        assert_eq!(raws(&s), vec![(0, r#"{"a":1}"#)]);
        // the deep line is also over the size limit: size is checked first
        assert_eq!(
            rejected(&s),
            vec![(1, RejectCode::RecordTooLarge), (2, RejectCode::RecordTooLarge)]
        );
        let body = format!("{}\"x\"{}", "{\"a\":".repeat(9), "}".repeat(9));
        let s = split(body.as_bytes(), BodyFormat::Ndjson, &limits()).unwrap();
        assert_eq!(rejected(&s), vec![(0, RejectCode::TooDeep)]);
        assert!(s.rejections[0].reason.contains("9 levels"));
    }

    #[test]
    fn text_lines() {
        let body = b"<13>Jan  1 00:00:00 host app: one\r\n\n127.0.0.1 - - [x] \"GET / HTTP/1.1\" 200 1\nbad \xc3\x28 utf8\n";
        let s = split(body, BodyFormat::Text, &limits()).unwrap();
        assert_eq!(
            raws(&s),
            vec![
                (0, "<13>Jan  1 00:00:00 host app: one"),
                (1, "127.0.0.1 - - [x] \"GET / HTTP/1.1\" 200 1")
            ]
        );
        assert_eq!(rejected(&s), vec![(2, RejectCode::InvalidUtf8)]);
    }

    #[test]
    fn empty_bodies() {
        for (b, f) in [
            (&b"   \n\r\n"[..], BodyFormat::Text),
            (b"\n\n", BodyFormat::Ndjson),
            (b"[]", BodyFormat::Json),
            (b"\xEF\xBB\xBF ", BodyFormat::Json),
        ] {
            assert_eq!(split(b, f, &limits()).unwrap_err().code(), "empty_body");
        }
        assert_eq!(transport_decode(None, false, 10).unwrap_err().code(), "empty_body");
        assert_eq!(transport_decode(Some(""), true, 10).unwrap_err().code(), "empty_body");
    }

    #[test]
    fn too_many_records() {
        let body = "x\n".repeat(51);
        assert_eq!(split(body.as_bytes(), BodyFormat::Text, &limits()).unwrap_err().status(), 413);
        let body = format!("[{}1]", "1,".repeat(50));
        assert_eq!(split(body.as_bytes(), BodyFormat::Json, &limits()).unwrap_err().status(), 413);
        let body = "x\n".repeat(50);
        assert_eq!(split(body.as_bytes(), BodyFormat::Text, &limits()).unwrap().records.len(), 50);
    }

    #[test]
    fn transport_base64_and_size() {
        let enc = base64::engine::general_purpose::STANDARD.encode(b"hello");
        assert_eq!(transport_decode(Some(&enc), true, 100).unwrap().as_ref(), b"hello");
        assert_eq!(transport_decode(Some("aGVsbG8"), true, 100).unwrap().as_ref(), b"hello");
        assert_eq!(
            transport_decode(Some("not base64!"), true, 100).unwrap_err().code(),
            "bad_base64"
        );
        assert_eq!(transport_decode(Some("hello"), false, 4).unwrap_err().status(), 413);
        let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 1000]);
        assert_eq!(transport_decode(Some(&big), true, 999).unwrap_err().status(), 413);
        assert!(transport_decode(Some(&big), true, 1000).is_ok());
    }

    #[test]
    fn bom_is_ignored() {
        let s = split(b"\xEF\xBB\xBF{\"a\":1}", BodyFormat::Json, &limits()).unwrap();
        assert_eq!(raws(&s), vec![(0, r#"{"a":1}"#)]);
    }
}
