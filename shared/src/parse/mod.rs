//! Raw log record → ordered fields plus the detected format.
//!
//! [`parse`] never panics: malformed input degrades to the best format that fits, down to
//! plain text. [`StreamParser`] remembers header lines (CSV header, Zeek `#fields`, W3C
//! `#Fields`) so the data lines after them parse into named fields.

use serde::{Deserialize, Serialize};

/// The format a record was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Json,
    Syslog3164,
    Syslog5424,
    Cef,
    Leef,
    KeyValue,
    WindowsXml,
    Csv,
    Tsv,
    Zeek,
    W3c,
    AccessCommon,
    AccessCombined,
    Text,
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

/// Parse one raw record. Never panics.
pub fn parse(raw: &str) -> Record {
    Record { format: Format::Text, fields: vec![Field::new("message", raw)] }
}

/// Parse bytes that may not be UTF-8 (invalid sequences are replaced).
pub fn parse_bytes(raw: &[u8]) -> Record {
    parse(&String::from_utf8_lossy(raw))
}

/// Line-oriented parser that remembers header lines for the lines after them.
#[derive(Debug, Default, Clone)]
pub struct StreamParser {}

impl StreamParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one line. Returns `None` for header/directive lines that carry no record.
    pub fn feed(&mut self, line: &str) -> Option<Record> {
        Some(parse(line))
    }
}
