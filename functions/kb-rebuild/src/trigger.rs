//! What invoked the function: an EventBridge schedule, S3 object notifications (direct, or
//! through EventBridge), S3's test event, a manual `{"action": "rebuild"}`, or a batch of
//! rebuild requests from the review API's queue (SQS records whose bodies are
//! `{"action": "rebuild", ...}`; the batching window made the burst one invocation).

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectChange {
    pub bucket: String,
    pub key: String,
    pub removed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// An EventBridge scheduled rule (the ARN of the rule when given).
    Scheduled {
        rule: Option<String>,
    },
    Manual,
    Objects(Vec<ObjectChange>),
    /// `s3:TestEvent`, sent once when a bucket notification is configured.
    S3Test,
    /// Rebuild requests (analysts' corrections) from the request queue: one run for all.
    Requested {
        messages: usize,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("unrecognised event (expected an EventBridge scheduled event, S3 notification records, an S3 event through EventBridge, or {{\"action\": \"rebuild\"}}): {0}")]
pub struct UnknownEvent(String);

fn text<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    v.pointer(path).and_then(Value::as_str)
}

pub fn parse(v: &Value) -> Result<Trigger, UnknownEvent> {
    let unknown = |why: &str| UnknownEvent(why.to_string());
    if let Some(records) = v.get("Records").and_then(Value::as_array) {
        if !records.is_empty() && records.iter().all(|r| text(r, "/eventSource") == Some("aws:sqs"))
        {
            let request = |r: &Value| {
                text(r, "/body")
                    .and_then(|b| serde_json::from_str::<Value>(b).ok())
                    .is_some_and(|b| text(&b, "/action") == Some("rebuild"))
            };
            if !records.iter().all(request) {
                return Err(unknown("an SQS record whose body is not a rebuild request"));
            }
            return Ok(Trigger::Requested { messages: records.len() });
        }
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            if text(r, "/eventSource") != Some("aws:s3") {
                return Err(unknown("a record whose eventSource is not aws:s3"));
            }
            let (Some(bucket), Some(key), Some(name)) =
                (text(r, "/s3/bucket/name"), text(r, "/s3/object/key"), text(r, "/eventName"))
            else {
                return Err(unknown(
                    "an S3 record without s3.bucket.name, s3.object.key or eventName",
                ));
            };
            // Keys in S3 notifications are URL-encoded (spaces as `+`).
            let key = url_decode(key)
                .ok_or_else(|| unknown("an S3 record whose key is not valid URL encoding"))?;
            out.push(ObjectChange {
                bucket: bucket.to_string(),
                key,
                removed: name.starts_with("ObjectRemoved"),
            });
        }
        return Ok(Trigger::Objects(out));
    }
    if text(v, "/Event") == Some("s3:TestEvent") {
        return Ok(Trigger::S3Test);
    }
    match (text(v, "/source"), text(v, "/detail-type")) {
        (Some("aws.events"), Some("Scheduled Event")) => {
            let rule = v.pointer("/resources/0").and_then(Value::as_str).map(str::to_string);
            Ok(Trigger::Scheduled { rule })
        }
        (Some("aws.s3"), Some(kind @ ("Object Created" | "Object Deleted"))) => {
            let (Some(bucket), Some(key)) =
                (text(v, "/detail/bucket/name"), text(v, "/detail/object/key"))
            else {
                return Err(unknown(
                    "an S3 EventBridge event without detail.bucket.name or detail.object.key",
                ));
            };
            // EventBridge carries keys as they are (not URL-encoded).
            Ok(Trigger::Objects(vec![ObjectChange {
                bucket: bucket.into(),
                key: key.into(),
                removed: kind == "Object Deleted",
            }]))
        }
        _ if text(v, "/action") == Some("rebuild") => Ok(Trigger::Manual),
        (source, detail) => Err(UnknownEvent(format!("source {source:?}, detail-type {detail:?}"))),
    }
}

/// `application/x-www-form-urlencoded` decoding as S3 applies it to notification keys.
fn url_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> Value {
        let path = format!("{}/../../events/kb-rebuild/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        )
        .unwrap()
    }

    #[test]
    fn sample_events_parse() {
        assert!(
            matches!(parse(&event("scheduled.json")).unwrap(), Trigger::Scheduled { rule: Some(r) } if r.contains("rule/"))
        );
        let Trigger::Objects(o) = parse(&event("s3-object-created.json")).unwrap() else {
            panic!()
        };
        assert_eq!(
            o,
            vec![ObjectChange {
                bucket: "ocsfmap-kb".into(),
                key: "kb/sources/examples/okta system log.jsonl".into(),
                removed: false
            }]
        );
        let Trigger::Objects(o) = parse(&event("s3-object-removed.json")).unwrap() else {
            panic!()
        };
        assert!(o[0].removed && o[0].key == "kb/sources/knowledge/old-pack.jsonl");
        let Trigger::Objects(o) = parse(&event("eventbridge-s3-object-created.json")).unwrap()
        else {
            panic!()
        };
        assert!(!o[0].removed && o[0].key == "kb/sources/examples/okta system log.jsonl");
        let Trigger::Objects(o) = parse(&event("eventbridge-s3-object-deleted.json")).unwrap()
        else {
            panic!()
        };
        assert!(o[0].removed);
        assert_eq!(parse(&event("manual.json")).unwrap(), Trigger::Manual);
        assert_eq!(parse(&event("s3-test-event.json")).unwrap(), Trigger::S3Test);
    }

    #[test]
    fn unknown_shapes_are_errors_not_rebuilds() {
        let requests = serde_json::json!({"Records": [
            {"eventSource": "aws:sqs", "body": "{\"action\":\"rebuild\",\"reason\":\"correction\"}"},
            {"eventSource": "aws:sqs", "body": "{\"action\":\"rebuild\",\"reason\":\"withdrawal\"}"}
        ]});
        assert_eq!(parse(&requests).unwrap(), Trigger::Requested { messages: 2 });
        for v in [
            serde_json::json!({}),
            serde_json::json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}),
            serde_json::json!({"Records": [{"eventSource": "aws:sqs", "body": "not json"}]}),
            serde_json::json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}}}]}),
            serde_json::json!({"source": "aws.s3", "detail-type": "Object Restore Completed", "detail": {}}),
        ] {
            let e = parse(&v).unwrap_err().to_string();
            assert!(e.contains("unrecognised event"), "{e}");
        }
    }

    #[test]
    fn keys_are_url_decoded() {
        assert_eq!(url_decode("a+b%2Fc%C3%A9.jsonl").as_deref(), Some("a b/cé.jsonl"));
        assert_eq!(url_decode("x%2"), None);
        assert_eq!(url_decode("x%zz"), None);
        assert_eq!(url_decode("%FF"), None);
    }
}
