//! Envelope packing: records are serialized straight into queue message bodies
//! (`{"v":1,"records":[...]}`), each filled as close to the size limit as the next envelope
//! allows, then grouped into SendMessageBatch calls within the entry and payload limits.

use std::ops::Range;

use serde::Serialize;

use crate::envelope::BATCH_VERSION;

/// Borrowing twin of [`crate::envelope::Envelope`]: same fields, same order, same JSON, so
/// records are serialized without copying their text into owned envelopes first.
#[derive(Debug, Serialize)]
pub struct EnvelopeRef<'a> {
    pub event_id: uuid::Uuid,
    pub received_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    pub raw: &'a str,
}

const SUFFIX: &[u8] = b"]}";

/// One queue message body and the body indexes of the records it carries, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedMessage {
    pub body: String,
    pub indexes: Vec<usize>,
}

/// An envelope that does not fit in a message even on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the record takes {bytes} bytes as a queue message; the message limit is {limit} bytes")]
pub struct TooLarge {
    pub bytes: usize,
    pub limit: usize,
}

/// Fills messages in order; a message is closed when the next envelope would overflow it.
pub struct Packer {
    limit: usize,
    prefix: Vec<u8>,
    buf: Vec<u8>,
    indexes: Vec<usize>,
    done: Vec<PackedMessage>,
}

impl Packer {
    pub fn new(max_message_bytes: usize) -> Self {
        let prefix = format!(r#"{{"v":{BATCH_VERSION},"records":["#).into_bytes();
        Self {
            limit: max_message_bytes,
            buf: prefix.clone(),
            prefix,
            indexes: Vec::new(),
            done: Vec::new(),
        }
    }

    /// Bytes a message with only this envelope's `len` bytes would take.
    fn alone(&self, len: usize) -> usize {
        self.prefix.len() + len + SUFFIX.len()
    }

    /// Appends one envelope (record at body position `index`).
    pub fn push(&mut self, index: usize, env: &EnvelopeRef<'_>) -> Result<(), TooLarge> {
        let mark = self.buf.len();
        if !self.indexes.is_empty() {
            self.buf.push(b',');
        }
        let start = self.buf.len();
        if serde_json::to_writer(&mut self.buf, env).is_err() {
            // Writing to a Vec cannot fail, and the fields are plain strings and numbers.
            self.buf.truncate(mark);
            return Err(TooLarge { bytes: usize::MAX, limit: self.limit });
        }
        escape_sqs_forbidden(&mut self.buf, start);
        let env_len = self.buf.len() - start;
        if self.buf.len() + SUFFIX.len() <= self.limit {
            self.indexes.push(index);
            return Ok(());
        }
        if self.alone(env_len) > self.limit {
            self.buf.truncate(mark);
            return Err(TooLarge { bytes: self.alone(env_len), limit: self.limit });
        }
        // Close the current message without this envelope and open the next one with it.
        let envelope = self.buf.split_off(start);
        self.buf.truncate(mark);
        self.close();
        self.buf.extend_from_slice(&envelope);
        self.indexes.push(index);
        Ok(())
    }

    fn close(&mut self) {
        if self.indexes.is_empty() {
            return;
        }
        let mut body = std::mem::replace(&mut self.buf, self.prefix.clone());
        body.extend_from_slice(SUFFIX);
        // Only whole serde_json output and ASCII punctuation went in.
        let body = String::from_utf8(body).unwrap_or_default();
        self.done.push(PackedMessage { body, indexes: std::mem::take(&mut self.indexes) });
    }

    /// All messages, in record order.
    pub fn finish(mut self) -> Vec<PackedMessage> {
        self.close();
        self.done
    }
}

/// SQS accepts only the XML character set: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD and above.
/// serde_json already escapes control characters; U+FFFE and U+FFFF (valid in Rust strings)
/// must be written as JSON escapes too. They can only occur inside string values.
fn escape_sqs_forbidden(buf: &mut Vec<u8>, from: usize) {
    let has_forbidden = |b: &[u8]| {
        memchr::memchr_iter(0xEF, b)
            .any(|i| matches!(b.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])))
    };
    let Some(tail) = buf.get(from..) else { return };
    if !has_forbidden(tail) {
        return;
    }
    let Ok(text) = std::str::from_utf8(tail) else {
        return;
    };
    let escaped = text.replace('\u{FFFE}', "\\ufffe").replace('\u{FFFF}', "\\uffff");
    buf.truncate(from);
    buf.extend_from_slice(escaped.as_bytes());
}

/// Groups consecutive messages into SendMessageBatch calls of at most `max_entries` messages
/// and `max_batch_bytes` total body bytes.
pub fn group_calls(
    messages: &[impl AsRef<str>],
    max_entries: usize,
    max_batch_bytes: usize,
) -> Vec<Range<usize>> {
    let mut calls = Vec::new();
    let (mut start, mut bytes) = (0usize, 0usize);
    for (i, m) in messages.iter().enumerate() {
        let len = m.as_ref().len();
        let full = i - start >= max_entries || bytes + len > max_batch_bytes;
        if i > start && full {
            calls.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += len;
    }
    if start < messages.len() {
        calls.push(start..messages.len());
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Batch, Envelope};

    fn env(raw: &str) -> EnvelopeRef<'_> {
        EnvelopeRef {
            event_id: uuid::Uuid::now_v7(),
            received_at: 1_700_000_000_123,
            source: Some("okta"),
            raw,
        }
    }

    fn pack(raws: &[String], limit: usize) -> (Vec<PackedMessage>, Vec<usize>) {
        let mut p = Packer::new(limit);
        let mut rejected = vec![];
        for (i, r) in raws.iter().enumerate() {
            if p.push(i, &env(r)).is_err() {
                rejected.push(i);
            }
        }
        (p.finish(), rejected)
    }

    /// Records of varied sizes and characters that JSON must escape.
    fn corpus(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                let body =
                    "\"quoted\" \\ tab\t nl\n ctrl\u{1} é ✓ \u{FFFE}\u{FFFF} ".repeat(i % 37 + 1);
                format!("{{\"seq\":{i},\"msg\":{}}}", serde_json::to_string(&body).unwrap())
            })
            .collect()
    }

    #[test]
    fn envelope_ref_serializes_like_envelope() {
        for source in [None, Some("okta")] {
            let r = EnvelopeRef { source, ..env("{\"a\":\"\\u00e9\"}") };
            let owned = Envelope {
                event_id: r.event_id,
                received_at: r.received_at,
                source: source.map(str::to_string),
                raw: r.raw.to_string(),
            };
            assert_eq!(serde_json::to_string(&r).unwrap(), serde_json::to_string(&owned).unwrap());
        }
    }

    #[test]
    fn every_message_fits_and_every_record_is_there_once_in_order() {
        let raws = corpus(3000);
        for limit in [2048, 16 * 1024, 262_144] {
            let (msgs, rejected) = pack(&raws, limit);
            // Exactly the records whose escaped envelope cannot fit alone are refused.
            let alone = |i: usize| {
                let e = serde_json::to_string(&env(&raws[i])).unwrap();
                e.len() + 3 * e.matches(['\u{FFFE}', '\u{FFFF}']).count() + 20
            };
            let expect_rejected: Vec<usize> =
                (0..raws.len()).filter(|&i| alone(i) > limit).collect();
            assert_eq!(rejected, expect_rejected, "limit {limit}");
            let mut seen: Vec<usize> = vec![];
            for m in &msgs {
                assert!(m.body.len() <= limit, "{} > {limit}", m.body.len());
                let batch: Batch = serde_json::from_str(&m.body).unwrap();
                assert_eq!(batch.v, BATCH_VERSION);
                assert_eq!(batch.records.len(), m.indexes.len());
                for (rec, &i) in batch.records.iter().zip(&m.indexes) {
                    assert_eq!(rec.raw, raws[i]);
                    assert_eq!(rec.source.as_deref(), Some("okta"));
                }
                seen.extend(&m.indexes);
            }
            let expected: Vec<usize> = (0..raws.len()).filter(|i| !rejected.contains(i)).collect();
            assert_eq!(seen, expected, "limit {limit}");
        }
    }

    #[test]
    fn messages_are_full() {
        // A message is only closed when the next envelope does not fit.
        let raws = corpus(3000);
        let limit = 262_144;
        let (msgs, _) = pack(&raws, limit);
        for pair in msgs.windows(2) {
            let next_first = pair[1].indexes[0];
            let next_env = serde_json::to_string(&env(&raws[next_first]))
                .unwrap()
                .replace('\u{FFFE}', "\\ufffe")
                .replace('\u{FFFF}', "\\uffff");
            assert!(pair[0].body.len() + 1 + next_env.len() > limit);
        }
        let total: usize = msgs.iter().map(|m| m.body.len()).sum();
        assert!(total as f64 / (msgs.len() as f64 * limit as f64) > 0.95);
    }

    #[test]
    fn forbidden_characters_are_escaped() {
        let (msgs, _) = pack(&["a\u{FFFE}b\u{FFFF}c".to_string()], 4096);
        let body = &msgs[0].body;
        assert!(!body.contains('\u{FFFE}') && !body.contains('\u{FFFF}'));
        assert!(body.contains(r"a\ufffeb\uffffc"));
        let batch: Batch = serde_json::from_str(body).unwrap();
        assert_eq!(batch.records[0].raw, "a\u{FFFE}b\u{FFFF}c");
    }

    #[test]
    fn escaping_counts_towards_the_limit() {
        // 1000 control characters are 1000 bytes raw but 6000 bytes escaped.
        let raw = "\u{1}".repeat(1000);
        let (msgs, rejected) = pack(std::slice::from_ref(&raw), 4096);
        assert_eq!(rejected, vec![0]);
        assert!(msgs.is_empty());
        let (msgs, rejected) = pack(&[raw], 8192);
        assert!(rejected.is_empty());
        assert!(msgs[0].body.len() > 6000 && msgs[0].body.len() <= 8192);
    }

    #[test]
    fn too_large_reports_sizes() {
        let mut p = Packer::new(1024);
        let big = "x".repeat(2000);
        let e = p.push(0, &env(&big)).unwrap_err();
        assert!(e.bytes > 2000 && e.limit == 1024);
        assert!(p.push(1, &env("small")).is_ok());
        assert_eq!(p.finish().len(), 1);
    }

    #[test]
    fn calls_respect_entries_and_total_bytes() {
        let msgs: Vec<String> = (0..25).map(|i| "x".repeat(100 + i)).collect();
        let calls = group_calls(&msgs, 10, 1_000_000);
        assert_eq!(calls, vec![0..10, 10..20, 20..25]);
        let calls = group_calls(&msgs, 10, 450);
        for c in &calls {
            assert!(c.len() <= 10);
            let bytes: usize = msgs[c.clone()].iter().map(String::len).sum();
            assert!(bytes <= 450, "{c:?}");
        }
        assert_eq!(calls.iter().map(|c| c.len()).sum::<usize>(), 25);
        // Full 256 KiB messages under a 256 KiB call limit go one per call.
        let full: Vec<String> = (0..3).map(|_| "y".repeat(262_000)).collect();
        assert_eq!(group_calls(&full, 10, 262_144), vec![0..1, 1..2, 2..3]);
    }
}
