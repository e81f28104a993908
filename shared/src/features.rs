//! What the classifier looks at in a parsed record: field-name tokens, informative value
//! tokens, discriminating values (event ids, event names, actions, methods), a text for the
//! dense model, and the shape signature that keys the decision cache.
//!
//! Queries and example documents go through the same function, so both sides of the search
//! see the same vocabulary.

use std::hash::{Hash, Hasher};

use crate::parse::{Format, Record, ValueKind};
use crate::signature::Signature;
use crate::text;

/// Field-name tokens that mark a field whose value says *what happened*.
const DISCRIMINATING: &[&str] = &[
    "event",
    "action",
    "method",
    "operation",
    "verb",
    "activity",
    "category",
    "type",
    "kind",
    "act",
    "outcome",
    "eventid",
    "eventname",
    "eventtype",
    "subtype",
    "task",
    "opcode",
    "msgid",
    "app",
    "program",
    "tag",
];

/// Keys naming the log a record belongs to (Zeek `_path`, the json-streaming `@stream`,
/// collectors' `log_type` / `sourcetype`): the log is the kind of event.
const LOG_NAME_KEYS: &[&str] =
    &["_path", "@stream", "stream", "log_type", "logtype", "sourcetype", "_sourcetype"];

/// Keys whose value is free text (the record's message).
const MESSAGE_KEYS: &[&str] =
    &["message", "msg", "description", "display_message", "displaymessage", "summary"];

/// Longest value (in bytes) whose tokens are used, except for message-like fields.
const MAX_VALUE_LEN: usize = 256;
/// Most value tokens taken from one record.
const MAX_VALUE_TOKENS: usize = 256;
/// Characters of the dense-model text (the model reads ~128 word pieces anyway).
const MAX_DENSE_CHARS: usize = 600;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// Tokens of the field names (deduplicated, source order).
    pub key_tokens: Vec<String>,
    /// Tokens of informative values.
    pub value_tokens: Vec<String>,
    /// (field, value) pairs of discriminating fields, in source order.
    pub discriminators: Vec<(String, String)>,
    /// Text for the dense model: discriminators first, then field names and short values.
    pub dense_text: String,
    /// Shape of the record: field names plus discriminating values (see [`signature`]).
    pub signature: Signature,
}

impl Features {
    /// Whole-value terms of the fields naming the event (see [`is_event_key`]).
    /// `eventType` counts only when no other field names the event (it is CloudTrail's
    /// family, Okta's and Suricata's event name).
    pub fn event_terms(&self) -> Vec<String> {
        event_terms(self.discriminators.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The discriminating fields as `field=value`, lower case, deduplicated and sorted.
    pub fn discriminator_pairs(&self) -> Vec<String> {
        let mut v: Vec<String> =
            self.discriminators.iter().map(|(k, v)| format!("{k}={v}").to_lowercase()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Lexical query: every token, discriminating values counted twice.
    pub fn lexical_terms(&self) -> Vec<String> {
        let mut terms = Vec::with_capacity(self.key_tokens.len() + self.value_tokens.len());
        terms.extend(self.key_tokens.iter().cloned());
        terms.extend(self.value_tokens.iter().cloned());
        for (_, v) in &self.discriminators {
            text::for_each_token(v, |t| {
                if keep_token(t) {
                    terms.push(t.to_string());
                }
            });
            if let Some(t) = whole_value_term(v) {
                terms.push(t.clone());
                terms.push(t);
            }
        }
        expand(terms)
    }
}

/// A discriminating value as one term (`CreateUser`, `user.session.start`, `4625` →
/// `=createuser`, `=usersessionstart`, `=4625`), so the exact event name or id of a record
/// meets the same name in a pack entry or example as one rare term, not only as common
/// words (`create`, `user`) that a hundred other event types share.
pub fn whole_value_term(v: &str) -> Option<String> {
    let compact: String =
        v.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    (2..=64).contains(&compact.len()).then(|| format!("={compact}"))
}

/// A whole-value term that names an event only within its product: a number (`=4625`) or a
/// short name (`=connect`, `=alert`, `=login`), which other products use for other events.
/// Longer names (`=externalidpdirectorylogin`, `=orginvitemember`) are specific wherever met.
pub fn is_local_term(t: &str) -> bool {
    let c = t.trim_start_matches('=');
    c.len() <= LOCAL_TERM_MAX_LEN || c.bytes().all(|b| b.is_ascii_digit())
}

/// Longest local event name, in letters and digits (see [`is_local_term`]).
const LOCAL_TERM_MAX_LEN: usize = 10;

/// Adds the expansion of abbreviations (`src` → `source`) next to the token.
pub fn expand(mut terms: Vec<String>) -> Vec<String> {
    let extra: Vec<String> = terms
        .iter()
        .filter_map(|t| text::expand_abbreviation(t))
        .filter(|e| !e.is_empty())
        .map(String::from)
        .collect();
    terms.extend(extra);
    terms
}

/// Normalised key: array indices dropped (`items[3].id` → `items.id`), so arrays don't multiply shapes.
pub fn normalize_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut depth = 0u32;
    for c in key.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim_start_matches('.').replace("..", ".")
}

fn last_segment(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

/// A discriminating key that names the event itself (`eventName`, `EventID`, `action`,
/// `methodName`, `operation`), as opposed to one naming its family or actor
/// (`userIdentity.type`, `eventCategory` values are shared by many event types).
///
/// `eventType` / `event_type` count: Okta and Suricata name the event there, while
/// CloudTrail's values (`AwsApiCall`) are families; the classifier tells the two apart by how
/// many documents carry the value.
pub fn is_event_key(key: &str) -> bool {
    event_key(key, false)
}

/// [`is_event_key`] for a key as documents store it, lower-cased: a single token (`operationname`)
/// also names the event when it is an event word followed by `name` or `id`. The session
/// verbs ([`crate::classify`]) read the stored form; the event terms keep [`is_event_key`]
/// (reading stored keys this way there too changes the mix fitted at build time; its effect
/// is not measured yet: BENCHMARKS.md, session 13).
pub fn is_stored_event_key(key: &str) -> bool {
    event_key(key, true)
}

fn event_key(key: &str, stored: bool) -> bool {
    let toks = text::tokens(last_segment(key));
    if is_log_name_key(key) {
        return false;
    }
    if is_event_type_key(key) {
        return true;
    }
    let names_event = |t: &str| {
        matches!(t, "eventid" | "eventname")
            || EVENT_WORDS.iter().any(|w| {
                t.strip_prefix(w).is_some_and(|rest| {
                    rest.is_empty() || (stored && matches!(rest, "name" | "id"))
                })
            })
    };
    toks.iter().any(|t| names_event(t))
        && !toks.iter().any(|t| {
            matches!(t.as_str(), "category" | "type" | "kind" | "version" | "source" | "outcome")
        })
}

/// Words of a key naming the event ([`is_event_key`]).
const EVENT_WORDS: [&str; 7] =
    ["event", "action", "operation", "method", "verb", "activity", "msgid"];

/// Whole-value terms of the `(key, value)` pairs whose key names the event: the primary
/// event keys when the record has any, else its `eventType` / `event_type`.
pub fn event_terms<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let named: Vec<(&str, &str)> = pairs.filter(|(k, _)| is_event_key(k)).collect();
    let primary = named.iter().any(|(k, _)| !is_event_type_key(k));
    named
        .into_iter()
        .filter(|(k, _)| !primary || !is_event_type_key(k))
        .filter_map(|(_, v)| whole_value_term(v))
        .collect()
}

fn is_event_type_key(key: &str) -> bool {
    // Lower-cased keys (`eventtype`, as stored in documents' discriminators) are one token.
    matches!(text::tokens(last_segment(key)).as_slice(), [a, b] if a == "event" && b == "type")
        || last_segment(key) == "eventtype"
}

/// A key naming the record's log (see [`LOG_NAME_KEYS`]).
pub fn is_log_name_key(key: &str) -> bool {
    LOG_NAME_KEYS.contains(&last_segment(key).to_ascii_lowercase().as_str())
}

pub fn is_discriminating_key(key: &str) -> bool {
    let seg = last_segment(key).to_ascii_lowercase();
    if LOG_NAME_KEYS.contains(&seg.as_str()) {
        return true;
    }
    let compact: String = seg.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    if DISCRIMINATING.contains(&compact.as_str()) {
        return true;
    }
    let toks = text::tokens(last_segment(key));
    // `eventName`, `event_type`, `EventID`, `methodName`, `action_type`, but not `user_name`.
    toks.first().is_some_and(|t| DISCRIMINATING.contains(&t.as_str()))
        && toks.iter().all(|t| {
            DISCRIMINATING.contains(&t.as_str())
                || matches!(t.as_str(), "name" | "id" | "type" | "code")
        })
}

fn is_message_key(key: &str) -> bool {
    let seg = last_segment(key).to_ascii_lowercase();
    MESSAGE_KEYS.contains(&seg.as_str())
}

/// Tokens worth indexing: words, short numbers; not hex ids, not long digit runs.
pub fn keep_token(t: &str) -> bool {
    let len = t.len();
    if !(2..=30).contains(&len) {
        return false;
    }
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    if digits == len {
        return len <= 5;
    }
    if digits > 0 {
        return false;
    }
    // All-hex letter strings like "deadbeef" are ids, not words.
    !(len >= 8 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Values that identify an instance rather than a kind of event.
fn is_identifier_value(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || v.len() > 64 {
        return v.is_empty();
    }
    let b = v.as_bytes();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    // IPs, timestamps, UUIDs, hashes: mostly digits/hex with separators.
    let hexish = b.iter().all(|c| c.is_ascii_hexdigit() || b"-:./_TZ+ ".contains(c));
    hexish && (digits * 2 >= b.len() || b.len() >= 16)
}

pub fn extract(record: &Record) -> Features {
    let mut f = Features::default();
    let mut seen_keys = std::collections::HashSet::new();
    let mut norm_keys: Vec<String> = Vec::new();
    let mut short_values: Vec<String> = Vec::new();
    let mut message: Option<&str> = None;

    for field in &record.fields {
        let nk = normalize_key(&field.key);
        if seen_keys.insert(nk.clone()) {
            text::for_each_token(&nk, |t| {
                if t.len() >= 2 && !f.key_tokens.iter().any(|k| k == t) {
                    f.key_tokens.push(t.to_string());
                }
            });
            norm_keys.push(nk.clone());
        }
        let v = field.value.as_str();
        if field.kind == ValueKind::Null || v.is_empty() {
            continue;
        }
        // Event ids are short numbers (4625, 1, 22): an identifier elsewhere, the kind of event here.
        let event_number = v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit());
        if is_discriminating_key(&nk)
            && v.len() <= 96
            && (event_number || !is_identifier_value(v))
            && field.kind != ValueKind::Bool
        {
            f.discriminators.push((nk.clone(), v.to_string()));
        }
        let msg_like = is_message_key(&nk);
        if msg_like && message.is_none() {
            message = Some(v);
        }
        if (v.len() <= MAX_VALUE_LEN || msg_like)
            && f.value_tokens.len() < MAX_VALUE_TOKENS
            && field.kind == ValueKind::String
            && !is_identifier_value(v)
        {
            text::for_each_value_token(v, |t| {
                if keep_token(t)
                    && t.bytes().any(|b| !b.is_ascii_digit())
                    && f.value_tokens.len() < MAX_VALUE_TOKENS
                {
                    f.value_tokens.push(t.to_string());
                }
            });
            if v.len() <= 48 && short_values.len() < 24 {
                short_values.push(v.to_string());
            }
        }
    }

    f.signature = signature(record.format, &norm_keys, &f.discriminators, message);
    f.dense_text = dense_text(record.format, &f.discriminators, &norm_keys, message, &short_values);
    f
}

/// Shape signature: format, sorted field names, discriminating values, and for line formats
/// the message's leading words with digits masked. Records with equal signatures get the
/// same decision.
pub fn signature(
    format: Format,
    keys: &[String],
    discriminators: &[(String, String)],
    message: Option<&str>,
) -> Signature {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format.as_str().hash(&mut h);
    let mut sorted: Vec<&String> = keys.iter().collect();
    sorted.sort();
    sorted.dedup();
    sorted.hash(&mut h);
    for (k, v) in discriminators {
        k.hash(&mut h);
        v.to_ascii_lowercase().hash(&mut h);
    }
    if let Some(m) = message {
        message_template(m, 4).hash(&mut h);
    }
    Signature(h.finish())
}

/// First `n` purely alphabetic words of a message, lowercased.
pub fn message_template(m: &str, n: usize) -> Vec<String> {
    m.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 2 && w.chars().all(char::is_alphabetic))
        .take(n)
        .map(str::to_lowercase)
        .collect()
}

fn humanize(key: &str) -> String {
    text::tokens(key).join(" ")
}

fn dense_text(
    format: Format,
    disc: &[(String, String)],
    keys: &[String],
    message: Option<&str>,
    short: &[String],
) -> String {
    let mut s = String::new();
    for (k, v) in disc.iter().take(8) {
        s.push_str(&humanize(k));
        s.push_str(": ");
        s.push_str(v);
        s.push_str(". ");
    }
    if let Some(m) = message {
        let cut: String = m.chars().take(300).collect();
        s.push_str(&cut);
        s.push_str(". ");
    }
    if !matches!(format, Format::Text) {
        let names: Vec<String> = keys.iter().take(40).map(|k| humanize(last_segment(k))).collect();
        s.push_str(&names.join(", "));
        s.push_str(". ");
    }
    for v in short.iter().take(12) {
        if s.len() > MAX_DENSE_CHARS {
            break;
        }
        s.push_str(v);
        s.push(' ');
    }
    if s.len() > MAX_DENSE_CHARS {
        let mut end = MAX_DENSE_CHARS;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Field;

    fn rec(fields: &[(&str, &str)]) -> Record {
        Record {
            format: Format::Json,
            fields: fields.iter().map(|(k, v)| Field::new(*k, *v)).collect(),
        }
    }

    #[test]
    fn discriminating_keys() {
        for k in [
            "eventName",
            "EventID",
            "event_type",
            "action",
            "protoPayload.methodName",
            "verb",
            "eventType",
            "System.EventID",
            "_path",
            "@stream",
            "sourcetype",
        ] {
            assert!(is_discriminating_key(k), "{k}");
        }
        for k in ["userName", "sourceIPAddress", "user.name", "time", "requestID"] {
            assert!(!is_discriminating_key(k), "{k}");
        }
    }

    #[test]
    fn signature_groups_same_shape_and_splits_different_events() {
        let a = extract(&rec(&[
            ("eventName", "ConsoleLogin"),
            ("sourceIPAddress", "192.0.2.1"),
            ("user", "alice"),
        ]));
        let b = extract(&rec(&[
            ("eventName", "ConsoleLogin"),
            ("sourceIPAddress", "198.51.100.9"),
            ("user", "bob"),
        ]));
        let c = extract(&rec(&[
            ("eventName", "DeleteBucket"),
            ("sourceIPAddress", "192.0.2.1"),
            ("user", "alice"),
        ]));
        assert_eq!(a.signature, b.signature);
        assert_ne!(a.signature, c.signature);
        assert_eq!(a.discriminators, vec![("eventName".to_string(), "ConsoleLogin".to_string())]);
        // Numeric event ids discriminate too, and reach the lexical query whole.
        for k in [
            "eventName",
            "EventID",
            "action",
            "protoPayload.methodName",
            "operation",
            "eventType",
            "event_type",
            "eventid",
        ] {
            assert!(is_event_key(k), "{k}");
            assert!(is_stored_event_key(&k.to_lowercase()), "{k}");
        }
        // As documents store them: one token.
        for k in ["operationname", "protopayload.methodname", "actionid"] {
            assert!(is_stored_event_key(k), "{k}");
            assert!(!is_event_key(k), "{k}");
        }
        for k in [
            "eventCategory",
            "userIdentity.type",
            "@stream",
            "eventSource",
            "eventTypeVersion",
            "operationversion",
            "actions",
        ] {
            assert!(!is_event_key(k), "{k}");
            assert!(!is_stored_event_key(&k.to_lowercase()), "{k}");
        }
        let w = extract(&rec(&[("EventID", "4625"), ("TargetUserName", "bob")]));
        assert_eq!(w.discriminators, vec![("EventID".to_string(), "4625".to_string())]);
        assert!(w.lexical_terms().contains(&"=4625".to_string()));
        let x = extract(&rec(&[("EventID", "4624"), ("TargetUserName", "bob")]));
        assert_ne!(w.signature, x.signature);
    }

    #[test]
    fn identifiers_are_not_value_tokens() {
        let f = extract(&rec(&[
            ("id", "3f2a9c1e-7b4d-4c2a-9e8f-0a1b2c3d4e5f"),
            ("ip", "203.0.113.5"),
            ("ts", "2024-01-02T03:04:05Z"),
            ("result", "Access denied"),
        ]));
        assert_eq!(f.value_tokens, vec!["access", "denied"]);
        assert_eq!(normalize_key("items[3].name"), "items.name");
        assert_eq!(normalize_key("[0].a"), "a");
    }
}
