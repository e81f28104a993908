//! The review API's inputs, parsed and checked before anything is read or written: queue
//! filters from the query string, corrections from the JSON body, checked against the
//! schema of the KB in use. Every refusal names the field.

use serde::Deserialize;

use super::ReviewError;
use crate::ingest::HttpRequest;
use crate::schema::Schema;
use crate::signature::Signature;
use crate::store::review::QueueQuery;

pub const DEFAULT_DAYS: u32 = 7;
pub const MAX_DAYS: u32 = 90;
pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;
pub const MAX_NOTE_CHARS: usize = 2000;
pub const MAX_BULK: usize = 100;
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_SOURCE_CHARS: usize = 256;

fn bad(field: &str, message: impl Into<String>) -> ReviewError {
    ReviewError::BadInput { field: field.to_string(), message: message.into() }
}

fn number<T>(
    req: &HttpRequest,
    name: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ReviewError>
where
    T: std::str::FromStr + PartialOrd + Copy + std::fmt::Display,
{
    match req.query_param(name) {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<T>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            bad(name, format!("must be a number from {} to {}", range.start(), range.end()))
        }),
    }
}

/// The queue's filters (without the cursor) and a canonical text of them, which a cursor
/// is bound to.
pub fn queue_query(req: &HttpRequest) -> Result<(QueueQuery, String), ReviewError> {
    let days = number(req, "days", DEFAULT_DAYS, 1..=MAX_DAYS)?;
    let limit = number(req, "limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?;
    let min_count = number(req, "min_count", 1u32, 1..=u32::MAX)?;
    let class_uid = match req.query_param("class_uid") {
        None | Some("") => None,
        Some(_) => Some(number(req, "class_uid", 0u32, 0..=u32::MAX)?),
    };
    let source = source_param(req)?;
    let include_corrected = match req.query_param("include_corrected") {
        None | Some("") | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(_) => return Err(bad("include_corrected", "must be true or false")),
    };
    let filters = format!(
        "days={days}&source={}&class_uid={}&min_count={min_count}&include_corrected={include_corrected}&limit={limit}",
        source.as_deref().unwrap_or(""),
        class_uid.unwrap_or(0)
    );
    let q = QueueQuery {
        days,
        source,
        class_uid,
        min_count,
        include_corrected,
        limit: limit + 1,
        after: None,
        signature: None,
        only_review: true,
    };
    Ok((q, filters))
}

pub fn source_param(req: &HttpRequest) -> Result<Option<String>, ReviewError> {
    match req.query_param("source") {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > MAX_SOURCE_CHARS || s.chars().any(char::is_control) => {
            Err(bad("source", "at most 256 printable characters"))
        }
        Some(s) => Ok(Some(s.to_string())),
    }
}

pub fn signature(field: &str, text: &str) -> Result<Signature, ReviewError> {
    text.parse().map_err(|_| bad(field, "a shape signature is 1 to 16 hexadecimal digits"))
}

/// What a correction applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Shapes(Vec<Signature>),
    Event(uuid::Uuid),
}

/// A checked correction request.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    pub target: Target,
    pub class_uid: u32,
    pub activity_id: Option<i32>,
    pub note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    signature: Option<String>,
    signatures: Option<Vec<String>>,
    event_id: Option<String>,
    class_uid: Option<serde_json::Value>,
    activity_id: Option<serde_json::Value>,
    #[serde(default)]
    note: Option<String>,
}

/// Parses and checks a `POST /v1/corrections` body against the KB's schema.
pub fn correction(body: &[u8], schema: &Schema) -> Result<Correction, ReviewError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ReviewError::TooLarge { limit: MAX_BODY_BYTES });
    }
    let text = std::str::from_utf8(body).map_err(|_| bad("body", "not UTF-8 text"))?;
    let b: Body =
        serde_json::from_str(text).map_err(|e| bad("body", format!("not a correction: {e}")))?;
    let target = match (b.signature, b.signatures, b.event_id) {
        (Some(s), None, None) => Target::Shapes(vec![signature("signature", &s)?]),
        (None, Some(list), None) => {
            if list.is_empty() || list.len() > MAX_BULK {
                return Err(bad("signatures", format!("1 to {MAX_BULK} signatures")));
            }
            let mut sigs = Vec::with_capacity(list.len());
            for s in &list {
                let sig = signature("signatures", s)?;
                if !sigs.contains(&sig) {
                    sigs.push(sig);
                }
            }
            Target::Shapes(sigs)
        }
        (None, None, Some(id)) => {
            Target::Event(uuid::Uuid::parse_str(&id).map_err(|_| bad("event_id", "not a UUID"))?)
        }
        _ => {
            return Err(bad("body", "give exactly one of signature, signatures (bulk) or event_id"))
        }
    };
    let class_uid = b
        .class_uid
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| bad("class_uid", "a class uid (a number) is required"))?;
    let class = schema.class(class_uid).filter(|c| !c.deprecated).ok_or_else(|| {
        bad("class_uid", format!("{class_uid} is not a class of OCSF {}", schema.version))
    })?;
    let activity_id = match &b.activity_id {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => {
            let id = v
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| bad("activity_id", "a number or null"))?;
            if class.activity(i64::from(id)).is_none() {
                return Err(bad(
                    "activity_id",
                    format!("{id} is not an activity of {} ({class_uid})", class.caption),
                ));
            }
            Some(id)
        }
    };
    let note = b.note.unwrap_or_default();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(bad("note", format!("at most {MAX_NOTE_CHARS} characters")));
    }
    Ok(Correction { target, class_uid, activity_id, note })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::mini_schema;

    fn field(e: ReviewError) -> String {
        match e {
            ReviewError::BadInput { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn corrections_are_checked_against_the_schema() {
        let schema = mini_schema();
        let class = schema.active_classes().find(|c| !c.activities.is_empty()).unwrap();
        let act = class.activities[0].id;
        let ok = format!(
            r#"{{"signature":"00ff","class_uid":{},"activity_id":{act},"note":"<b>x</b>"}}"#,
            class.uid
        );
        let c = correction(ok.as_bytes(), &schema).unwrap();
        assert_eq!(c.target, Target::Shapes(vec![Signature(255)]));
        assert_eq!(
            (c.class_uid, c.activity_id, c.note.as_str()),
            (class.uid, Some(act as i32), "<b>x</b>")
        );

        let cases = [
            (r#"{"signature":"00ff","class_uid":999999}"#.to_string(), "class_uid"),
            (
                format!(r#"{{"signature":"00ff","class_uid":{},"activity_id":4242}}"#, class.uid),
                "activity_id",
            ),
            (format!(r#"{{"signature":"xyz","class_uid":{}}}"#, class.uid), "signature"),
            (format!(r#"{{"event_id":"nope","class_uid":{}}}"#, class.uid), "event_id"),
            (format!(r#"{{"class_uid":{}}}"#, class.uid), "body"),
            (format!(r#"{{"signature":"1","event_id":"x","class_uid":{}}}"#, class.uid), "body"),
            (format!(r#"{{"signature":"1","class_uid":{},"extra":1}}"#, class.uid), "body"),
            (format!(r#"{{"signatures":[],"class_uid":{}}}"#, class.uid), "signatures"),
            (
                format!(
                    r#"{{"signature":"1","class_uid":{},"note":"{}"}}"#,
                    class.uid,
                    "n".repeat(2001)
                ),
                "note",
            ),
            ("{".to_string(), "body"),
            (r#"{"signature":"1","class_uid":"4001"}"#.to_string(), "class_uid"),
        ];
        for (body, want) in cases {
            assert_eq!(
                field(correction(body.as_bytes(), &schema).unwrap_err()),
                want,
                "{body:.80}"
            );
        }
        assert!(matches!(correction(&[0xff, 0xfe], &schema), Err(ReviewError::BadInput { .. })));
        let huge = vec![b' '; MAX_BODY_BYTES + 1];
        assert!(matches!(correction(&huge, &schema), Err(ReviewError::TooLarge { .. })));
        let bulk = format!(r#"{{"signatures":["1","2","1"],"class_uid":{}}}"#, class.uid);
        assert_eq!(
            correction(bulk.as_bytes(), &schema).unwrap().target,
            Target::Shapes(vec![Signature(1), Signature(2)])
        );
    }

    #[test]
    fn queue_filters() {
        let req = |q: &[(&str, &str)]| HttpRequest {
            query: q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Default::default()
        };
        let (q, f) = queue_query(&req(&[])).unwrap();
        assert_eq!((q.days, q.limit, q.min_count, q.include_corrected), (7, 26, 1, false));
        let (q2, f2) =
            queue_query(&req(&[("days", "30"), ("source", "fw"), ("include_corrected", "true")]))
                .unwrap();
        assert_eq!((q2.days, q2.source.as_deref(), q2.include_corrected), (30, Some("fw"), true));
        assert_ne!(f, f2);
        for (k, v) in [
            ("days", "0"),
            ("days", "91"),
            ("limit", "1000"),
            ("min_count", "-1"),
            ("class_uid", "x"),
            ("include_corrected", "maybe"),
            ("source", "a\u{7}b"),
        ] {
            assert_eq!(field(queue_query(&req(&[(k, v)])).unwrap_err()), k);
        }
    }

    proptest::proptest! {
        /// Any body is a correction or a 4xx, never a panic.
        #[test]
        fn any_body_is_answered(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let schema = mini_schema();
            let _ = correction(&body, &schema);
        }

        /// JSON-shaped bodies with arbitrary values too.
        #[test]
        fn any_json_values_are_answered(sig in ".{0,20}", class in proptest::prelude::any::<i64>(), act in proptest::prelude::any::<i64>(), note in ".{0,50}") {
            let schema = mini_schema();
            let body = serde_json::json!({"signature": sig, "class_uid": class, "activity_id": act, "note": note}).to_string();
            let _ = correction(body.as_bytes(), &schema);
        }
    }
}
