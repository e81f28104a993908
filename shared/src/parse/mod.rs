//! Raw log record → ordered fields plus the detected format.
//!
//! [`parse`] never panics: malformed input degrades to the best format that fits, down to
//! plain text. [`StreamParser`] remembers header lines (CSV header, Zeek `#fields`, W3C
//! `#Fields`) so the data lines after them parse into named fields.
//!
//! Detection order (first match wins): JSON object/array → Windows event XML → CEF → LEEF →
//! Zeek/W3C chunk (multi-line, starts with `#` directives) → CSV/TSV header + one row →
//! syslog (RFC 5424, RFC 3164 with or without PRI) → Apache/Nginx access log → `key=value`
//! line (≥2 pairs, no more bare words than pairs) → bare TSV line (≥3 tab-separated columns,
//! positional keys `col0..`) → text. A lone comma-separated line without a header is text:
//! commas are too common in prose to call it CSV.
//!
//! Conventions every format follows:
//! - Values are text; `ValueKind` is only non-`String` for JSON scalars. An empty JSON
//!   object/array keeps its key with the value `{}`/`[]`.
//! - Syslog carrying CEF/LEEF/JSON takes the inner format: syslog header fields first, then the
//!   payload's fields; a header name the payload also uses becomes `syslog.<name>`. Pairs
//!   found in a plain syslog message whose key is a header name become `msg.<key>`.
//! - At most [`MAX_FIELDS`] fields per record (a few more when a value is expanded); what is
//!   left over goes, unparsed, into one [`TRUNCATED_KEY`] field. JSON nests at most
//!   [`MAX_DEPTH`] levels and stops descending once a path passes [`MAX_KEY_LEN`] bytes; the
//!   subtree is kept as its JSON text under its path. Names inside built paths (JSON keys,
//!   XML elements, SD-IDs) are clipped to 256 bytes.
//! - A JSON document cut short still parses as JSON with the fields read before the cut and a
//!   final [`TRUNCATED_KEY`] field holding the unfinished token; cut Windows XML keeps the
//!   fields read so far.
//! - Plain text keeps the whole line as `message` (always the first field) and adds any
//!   well-formed `key=value` pairs found in it.
//! - Every record has at least one field.

mod access;
mod cef;
mod delimited;
mod json;
mod kv;
mod leef;
mod stream;
mod syslog;
mod winxml;

pub use stream::StreamParser;

use serde::{Deserialize, Serialize};

/// Most fields one record gets before the rest is kept whole in [`TRUNCATED_KEY`].
pub const MAX_FIELDS: usize = 10_000;
/// Deepest JSON/XML nesting flattened into paths.
pub const MAX_DEPTH: usize = 64;
/// Path length (bytes) past which JSON/XML nesting is not descended into.
pub const MAX_KEY_LEN: usize = 1024;
/// Field holding the unparsed remainder when a cap was hit or the input was cut short.
pub const TRUNCATED_KEY: &str = "_truncated";
/// Longest single name (JSON key, XML element, SD-ID) used inside a built key.
pub(crate) const MAX_SEGMENT: usize = 256;

/// The format a record was recognised as. One spelling everywhere: [`Format::as_str`] is
/// what JSON output, the stored `format` column and logs carry (the aliases read what the
/// CLI printed before the spellings were unified).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    #[serde(rename = "json")]
    Json,
    #[serde(rename = "syslog_rfc3164", alias = "syslog3164")]
    Syslog3164,
    #[serde(rename = "syslog_rfc5424", alias = "syslog5424")]
    Syslog5424,
    #[serde(rename = "cef")]
    Cef,
    #[serde(rename = "leef")]
    Leef,
    #[serde(rename = "kv", alias = "key_value")]
    KeyValue,
    #[serde(rename = "windows_xml")]
    WindowsXml,
    #[serde(rename = "csv")]
    Csv,
    #[serde(rename = "tsv")]
    Tsv,
    #[serde(rename = "zeek_tsv", alias = "zeek")]
    Zeek,
    #[serde(rename = "w3c")]
    W3c,
    #[serde(rename = "access_common")]
    AccessCommon,
    #[serde(rename = "access_combined")]
    AccessCombined,
    #[serde(rename = "text")]
    Text,
}

impl Format {
    pub const ALL: [Format; 14] = [
        Format::Json,
        Format::Syslog3164,
        Format::Syslog5424,
        Format::Cef,
        Format::Leef,
        Format::KeyValue,
        Format::WindowsXml,
        Format::Csv,
        Format::Tsv,
        Format::Zeek,
        Format::W3c,
        Format::AccessCommon,
        Format::AccessCombined,
        Format::Text,
    ];
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Syslog3164 => "syslog_rfc3164",
            Format::Syslog5424 => "syslog_rfc5424",
            Format::Cef => "cef",
            Format::Leef => "leef",
            Format::KeyValue => "kv",
            Format::WindowsXml => "windows_xml",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Zeek => "zeek_tsv",
            Format::W3c => "w3c",
            Format::AccessCommon => "access_common",
            Format::AccessCombined => "access_combined",
            Format::Text => "text",
        }
    }
}

/// The JSON type a value had in the source (text formats give `String`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    String,
    Number,
    Bool,
    Null,
}

/// One field: a dotted path (`actor.user.name`, `EventData.TargetUserName`, `items[0].id`) and its value as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub key: String,
    pub value: String,
    pub kind: ValueKind,
}

impl Field {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Field { key: key.into(), value: value.into(), kind: ValueKind::String }
    }
}

/// A parsed record: its format and its fields in source order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub format: Format,
    pub fields: Vec<Field>,
}

impl Record {
    /// First value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|f| f.key == key).map(|f| f.value.as_str())
    }
}

/// Parse one raw record. Never panics. See the module docs for the detection order.
pub fn parse(raw: &str) -> Record {
    let s = strip(raw);
    let mut record = detect(s).unwrap_or_else(|| text(s));
    if record.fields.is_empty() {
        record.fields.push(Field::new("message", s));
    }
    record
}

/// Parse bytes that may not be UTF-8 (invalid sequences are replaced).
pub fn parse_bytes(raw: &[u8]) -> Record {
    parse(&String::from_utf8_lossy(raw))
}

/// Drop a UTF-8 BOM and surrounding whitespace (including CR/LF).
pub(crate) fn strip(raw: &str) -> &str {
    raw.trim_start_matches('\u{feff}').trim()
}

fn detect(s: &str) -> Option<Record> {
    let multiline = s.contains('\n');
    match s.as_bytes().first()? {
        b'{' | b'[' => match json::flatten(s) {
            json::JsonOutcome::Complete(fields) | json::JsonOutcome::Truncated(fields) => {
                return Some(Record { format: Format::Json, fields });
            }
            json::JsonOutcome::Invalid => {}
        },
        b'<' if winxml::looks_like(s) => {
            if let Some(r) = winxml::parse(s) {
                return Some(r);
            }
        }
        b'C' if s.starts_with("CEF:") => {
            if let Some(r) = cef::parse(s) {
                return Some(r);
            }
        }
        b'L' if s.starts_with("LEEF:") => {
            if let Some(r) = leef::parse(s) {
                return Some(r);
            }
        }
        b'#' if multiline => {
            if let Some(r) = stream::first_record(s) {
                return Some(r);
            }
        }
        _ => {}
    }
    if multiline {
        if let Some(r) = delimited::header_and_row(s) {
            return Some(r);
        }
    }
    syslog::parse(s)
        .or_else(|| access::parse(s))
        .or_else(|| kv::parse(s))
        .or_else(|| delimited::bare_tsv(s))
}

/// Plain text: `message` first, then any well-formed `key=value` pairs in it.
fn text(s: &str) -> Record {
    let mut fields = vec![Field::new("message", s)];
    let scan = kv::scan(s);
    kv::push_fields(&mut fields, &scan, s, |k| {
        if k == "message" {
            "msg.message".to_owned()
        } else {
            k.to_owned()
        }
    });
    Record { format: Format::Text, fields }
}

/// `s` cut to at most `max` bytes on a char boundary.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod format_tests {
    use super::Format;

    #[test]
    fn one_spelling_for_json_storage_and_logs() {
        for f in Format::ALL {
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()), "{f:?}");
            assert_eq!(serde_json::from_str::<Format>(&json).unwrap(), f);
            assert_eq!(f.to_string(), f.as_str());
        }
        // What the CLI printed before the spellings were unified still reads.
        for (old, f) in [("syslog3164", Format::Syslog3164), ("key_value", Format::KeyValue)] {
            assert_eq!(serde_json::from_str::<Format>(&format!("\"{old}\"")).unwrap(), f);
        }
    }
}
