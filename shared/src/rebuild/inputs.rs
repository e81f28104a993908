//! The rebuild's inputs: which objects under the sources prefix count, reading them, the
//! inputs hash, and parsing them into what [`crate::kb::build`] takes.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{OverrideSource, RebuildError};
use crate::blob::{BlobError, BlobStore};
use crate::kb::sources::{self, Inputs, Labeled, PackEntry, ProductIdentity, SourceError};
use crate::kb::FORMAT_VERSION;
use crate::schema::{Schema, SchemaError};

/// What a key under the sources prefix is to the rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `schema/*.json`: the OCSF schema export.
    Schema,
    /// `examples/**.jsonl`, `knowledge/**.jsonl`: labelled examples and knowledge-pack entries.
    Jsonl,
}

/// The sources prefix and the folders under it.
#[derive(Debug, Clone)]
pub struct SourceLayout {
    prefix: String,
}

impl SourceLayout {
    pub fn new(prefix: &str) -> Self {
        SourceLayout { prefix: prefix.to_string() }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `Some` when `key` is an input; anything else under the prefix (READMEs, folder
    /// markers) is ignored, so uploading it does not trigger a rebuild.
    pub fn kind(&self, key: &str) -> Option<SourceKind> {
        let rest = key.strip_prefix(&self.prefix)?;
        if let Some(name) = rest.strip_prefix("schema/") {
            return (name.ends_with(".json") && !name.contains('/')).then_some(SourceKind::Schema);
        }
        let jsonl = rest.starts_with("examples/") || rest.starts_with("knowledge/");
        (jsonl && rest.ends_with(".jsonl")).then_some(SourceKind::Jsonl)
    }
}

/// One input object's key and bytes.
#[derive(Debug, Clone)]
pub struct SourceObject {
    pub key: String,
    pub bytes: Vec<u8>,
}

/// Everything a build reads, as bytes, before any parsing.
#[derive(Debug, Clone)]
pub struct Gathered {
    pub prefix: String,
    /// Sorted by key.
    pub schemas: Vec<SourceObject>,
    /// Sorted by key; read in this order, so the build is deterministic.
    pub jsonl: Vec<SourceObject>,
    /// Analyst overrides as labelled records, oldest first (the latest of a shape wins).
    pub overrides: Vec<Labeled>,
    /// The newest override row read (withdrawals included), recorded with the run's
    /// outcome; not part of the inputs hash (a withdrawal changes `overrides` anyway).
    pub overrides_through_ms: i64,
}

/// Parsed inputs, in the shape [`crate::kb::BuildOptions`] takes.
#[derive(Debug)]
pub struct Parsed {
    pub schema: Schema,
    pub examples: Vec<Labeled>,
    pub pack: Vec<PackEntry>,
    pub products: Vec<ProductIdentity>,
    pub overrides: Vec<Labeled>,
}

/// Reads every input object and the overrides.
pub async fn gather<S: BlobStore, O: OverrideSource>(
    store: &S,
    layout: &SourceLayout,
    overrides: &O,
) -> Result<Gathered, RebuildError> {
    let mut schemas = Vec::new();
    let mut jsonl = Vec::new();
    for meta in store.list(layout.prefix()).await? {
        let Some(kind) = layout.kind(&meta.key) else {
            tracing::debug!(key = %meta.key, "not a KB input: ignored");
            continue;
        };
        let bytes = match store.get(&meta.key).await {
            Ok(b) => b.bytes,
            // Deleted since the listing: its ObjectRemoved event will start another run.
            Err(BlobError::NotFound(_)) => {
                tracing::warn!(key = %meta.key, "input vanished while reading; skipped");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let obj = SourceObject { key: meta.key, bytes };
        match kind {
            SourceKind::Schema => schemas.push(obj),
            SourceKind::Jsonl => jsonl.push(obj),
        }
    }
    schemas.sort_by(|a, b| a.key.cmp(&b.key));
    jsonl.sort_by(|a, b| a.key.cmp(&b.key));
    // Their order matters (the latest override of a shape wins), so it is kept and hashed.
    let o = overrides.fetch_overrides().await?;
    Ok(Gathered {
        prefix: layout.prefix().to_string(),
        schemas,
        jsonl,
        overrides: o.labeled,
        overrides_through_ms: o.through_ms,
    })
}

impl Gathered {
    /// SHA-256 over everything that determines the artifact: the engine and artifact format
    /// versions, the embedding model, every input object's key and content, and the override
    /// rows. Content, not ETags: S3 ETags are not content hashes for multipart or SSE-KMS
    /// uploads, and reading the inputs costs little next to a build.
    pub fn inputs_hash(&self, embedding_model: Option<&str>) -> String {
        let mut h = Sha256::new();
        h.update(format!(
            "ocsfmap-kb-inputs\nformat {FORMAT_VERSION}\nengine {}\n",
            env!("CARGO_PKG_VERSION")
        ));
        h.update(format!("model {}\n", embedding_model.unwrap_or("-")));
        for o in self.schemas.iter().chain(&self.jsonl) {
            let rel = o.key.strip_prefix(&self.prefix).unwrap_or(&o.key);
            h.update(format!(
                "object {rel:?} {} {}\n",
                o.bytes.len(),
                hex::encode(Sha256::digest(&o.bytes))
            ));
        }
        for r in &self.overrides {
            // JSON keeps every field unambiguous (raw text may contain anything).
            let line = serde_json::to_string(r).unwrap_or_default();
            h.update(format!("override {line}\n"));
        }
        hex::encode(h.finalize())
    }

    /// Parses the schema and JSONL objects; the first broken one fails with its key (and line).
    pub fn parse(&self) -> Result<Parsed, RebuildError> {
        let schema_obj = match self.schemas.as_slice() {
            [] => return Err(RebuildError::NoSchema { prefix: format!("{}schema/", self.prefix) }),
            [one] => one,
            many => {
                return Err(RebuildError::SeveralSchemas {
                    prefix: format!("{}schema/", self.prefix),
                    keys: many.iter().map(|o| o.key.clone()).collect(),
                })
            }
        };
        let schema = Schema::from_slice(&schema_obj.bytes, Path::new(&schema_obj.key))
            .map_err(|e| schema_error(&schema_obj.key, e))?;
        let mut inputs = Inputs::default();
        for o in &self.jsonl {
            let text = std::str::from_utf8(&o.bytes).map_err(|e| RebuildError::BrokenInput {
                object: o.key.clone(),
                line: Some(line_of(&o.bytes, e.valid_up_to())),
                what: format!("not UTF-8 text (byte {})", e.valid_up_to()),
            })?;
            sources::parse_jsonl(text, Path::new(&o.key), &mut inputs)
                .map_err(|e| source_error(&o.key, e))?;
            check_lines(text, &o.key, &schema)?;
        }
        Ok(Parsed {
            schema,
            examples: inputs.examples,
            pack: inputs.pack,
            products: inputs.products,
            overrides: self.overrides.clone(),
        })
    }
}

/// The knowledge checker's schema rules, run on what the bucket holds (uploaded packs and
/// examples included) so that a bad line is refused at rebuild with its reason, not only
/// in CI (`scripts/check-knowledge.py` holds the rest: placeholders, duplicates, coverage):
/// the class exists in the KB's schema and is not deprecated, the activity is in the
/// class's enum, and a pack line identifies its event somehow.
pub fn check_lines(text: &str, key: &str, schema: &Schema) -> Result<(), RebuildError> {
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: String| RebuildError::BrokenInput {
            object: key.to_string(),
            line: Some(i + 1),
            what,
        };
        // parse_jsonl has read every line already; a line it accepted is a JSON object.
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let Some(uid) = v.get("class_uid").and_then(serde_json::Value::as_u64) else { continue };
        let class = u32::try_from(uid).ok().and_then(|u| schema.class(u)).ok_or_else(|| {
            bad(format!("class_uid {uid} is not a class of OCSF {}", schema.version))
        })?;
        if class.deprecated {
            return Err(bad(format!(
                "class_uid {uid} ({}) is deprecated in OCSF {}",
                class.caption, schema.version
            )));
        }
        if let Some(act) = v.get("activity_id").filter(|a| !a.is_null()) {
            let known = act.as_i64().is_some_and(|a| class.activity(a).is_some());
            if !known {
                let ids: Vec<i64> = class.activities.iter().map(|a| a.id).collect();
                return Err(bad(format!(
                    "activity_id {act} is not an activity of {} ({uid}): {ids:?}",
                    class.caption
                )));
            }
        }
        let is_pack = v.get("product").is_some() && v.get("raw").is_none();
        let identifies = ["fields", "values", "patterns"].iter().any(|k| {
            v.pointer(&format!("/identify/{k}"))
                .and_then(serde_json::Value::as_array)
                .is_some_and(|a| a.iter().any(|x| x.as_str().is_some_and(|s| !s.is_empty())))
        });
        if is_pack && !identifies {
            return Err(bad("a pack line whose identify has no fields, values or patterns".into()));
        }
        if is_pack {
            pack_rules(&v, class).map_err(bad)?;
            value_rules(&v).map_err(bad)?;
        }
    }
    Ok(())
}

/// A pack line's activity rule and platform, as `scripts/check-knowledge.py` holds them
/// (`knowledge/README.md`): a null activity comes with a rule of one form naming activities
/// of the class, and an extension class (`win/...`) is used only on a line of its platform.
fn pack_rules(v: &serde_json::Value, class: &crate::schema::Class) -> Result<(), String> {
    let null_activity = v.get("activity_id").is_none_or(serde_json::Value::is_null);
    match v.get("activity_rule").filter(|r| !r.is_null()) {
        None if null_activity => {
            return Err("activity_id is null and there is no activity_rule saying how the \
                        record's activity is picked"
                .into())
        }
        None => {}
        Some(_) if !null_activity => {
            return Err("activity_rule given but activity_id is fixed: use one or the other".into())
        }
        Some(r) => {
            let rule: crate::kb::sources::ActivityRule =
                serde_json::from_value(r.clone()).map_err(|e| format!("activity_rule: {e}"))?;
            let one_form = match (&rule.field, &rule.verb) {
                (Some(_), None) => !rule.values.is_empty(),
                (None, Some(_)) => rule.values.is_empty() && rule.default.is_none(),
                _ => false,
            };
            if !one_form {
                return Err(
                    "activity_rule needs exactly one of `field` (with `values`) or `verb`".into()
                );
            }
            if let Some(a) =
                rule.values.values().chain(&rule.default).find(|a| class.activity(**a).is_none())
            {
                return Err(format!(
                    "activity_rule names activity {a}, not an activity of {} ({})",
                    class.caption, class.uid
                ));
            }
        }
    }
    if let Some(ext) = class.extension.as_deref() {
        let want = if ext == "win" { "windows" } else { ext };
        if v.get("platform").and_then(serde_json::Value::as_str) != Some(want) {
            return Err(format!(
                "class {} belongs to the `{ext}` extension: only a line with platform \"{want}\" \
                 may use it",
                class.uid
            ));
        }
    }
    Ok(())
}

/// `identify.values` are what records carry (`scripts/check-knowledge.py` holds the same): not
/// an API route, which is what a client calls, and not one of the line's own field names,
/// which is a key (the third audit found SentinelOne's `activityType` listed as a value),
/// unless it is the event's own name (CloudTrail's `ConsoleLogin` is also a response key).
fn value_rules(v: &serde_json::Value) -> Result<(), String> {
    let strings = |path: &str| {
        v.pointer(path)
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
    };
    let keys: std::collections::HashSet<String> = strings("/identify/fields")
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .flat_map(|f| [f.to_lowercase(), f.rsplit('.').next().unwrap_or(f).to_lowercase()])
        .collect();
    let event = v.get("event").and_then(serde_json::Value::as_str).unwrap_or("").trim();
    for value in strings("/identify/values") {
        if is_api_route(value) {
            return Err(format!(
                "identify.values {value:?} is an API route, not a value records carry; name the \
                 event as the record spells it"
            ));
        }
        let lower = value.trim().to_lowercase();
        if !lower.is_empty() && keys.contains(&lower) && !lower.eq_ignore_ascii_case(event) {
            return Err(format!(
                "identify.values contains a field name: {value:?} is a key of this line's \
                 identify.fields, not a value records carry"
            ));
        }
    }
    Ok(())
}

/// `GET /...`, `/api/...`, `/v2/...`.
fn is_api_route(value: &str) -> bool {
    let method = ["GET /", "POST /", "PUT /", "PATCH /", "DELETE /"];
    if method.iter().any(|m| value.starts_with(m)) || value.starts_with("/api/") {
        return true;
    }
    value.strip_prefix("/v").and_then(|rest| rest.split_once('/')).is_some_and(|(version, _)| {
        !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())
    })
}

fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes.get(..at).map(|b| b.iter().filter(|&&c| c == b'\n').count() + 1).unwrap_or(1)
}

fn schema_error(key: &str, e: SchemaError) -> RebuildError {
    let (line, what) = match e {
        SchemaError::Json { source, .. } => {
            (Some(source.line()), format!("OCSF schema is not valid JSON: {source}"))
        }
        SchemaError::Invalid { what, .. } => {
            (None, format!("not a usable OCSF schema export: {what}"))
        }
        SchemaError::Io { source, .. } => (None, source.to_string()),
    };
    RebuildError::BrokenInput { object: key.to_string(), line, what }
}

fn source_error(key: &str, e: SourceError) -> RebuildError {
    match e {
        SourceError::Line { line, what, .. } => {
            RebuildError::BrokenInput { object: key.to_string(), line: Some(line), what }
        }
        SourceError::Io { source, .. } => RebuildError::BrokenInput {
            object: key.to_string(),
            line: None,
            what: source.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped knowledge passes the loader's checks against the OCSF 1.8.0 export, as it
    /// passes check-knowledge.py (the two must not disagree on the files we ship).
    #[test]
    fn the_shipped_knowledge_passes_the_loader_checks() {
        let schema = Schema::load(&crate::testutil::schema_export()).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../knowledge");
        let mut checked = 0;
        for dir in ["pack", "examples"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|x| x == "jsonl") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    check_lines(&text, &path.display().to_string(), &schema).unwrap();
                    checked += 1;
                }
            }
        }
        assert!(checked > 10, "{checked} files");
    }

    /// An uploaded pack line is held to the activity-rule and platform rules, with its reason.
    #[test]
    fn uploaded_pack_lines_need_a_usable_activity_rule_and_their_platform() {
        let schema = Schema::load(&crate::testutil::schema_export()).unwrap();
        let line = |extra: &str| {
            format!(
                r#"{{"product":"P","event":"E","title":"T","identify":{{"fields":["action"]}},{extra}}}"#
            )
        };
        let check = |extra: &str| check_lines(&line(extra), "up/pack.jsonl", &schema);
        let refused = |extra: &str| match check(extra) {
            Err(RebuildError::BrokenInput { what, line: Some(1), .. }) => what,
            other => panic!("{extra}: expected a refusal, got {other:?}"),
        };
        assert!(refused(r#""class_uid":4001,"activity_id":null"#).contains("no activity_rule"));
        let rule = r#""class_uid":4001,"activity_id":null,"activity_rule":"#;
        assert!(check(&format!(r#"{rule}{{"field":"action","values":{{"allow":6,"deny":5}}}}"#))
            .is_ok());
        assert!(check(&format!(r#"{rule}{{"verb":"eventName"}}"#)).is_ok());
        assert!(refused(&format!(r#"{rule}{{"field":"action","values":{{"allow":4242}}}}"#))
            .contains("4242"));
        assert!(refused(&format!(r#"{rule}{{"field":"a","values":{{"x":6}},"verb":"b"}}"#))
            .contains("exactly one"));
        assert!(refused(r#""class_uid":4001,"activity_id":6,"activity_rule":{"verb":"x"}"#)
            .contains("fixed"));
        // Windows Service Activity (an extension class) only on a Windows line.
        assert!(refused(r#""class_uid":201004,"activity_id":1"#).contains("windows"));
        assert!(
            refused(r#""class_uid":201004,"activity_id":1,"platform":"linux""#).contains("windows")
        );
        assert!(check(r#""class_uid":201004,"activity_id":1,"platform":"windows""#).is_ok());
    }

    /// An uploaded line's values are what records carry: not a key of its own field list, not
    /// an API route (the third audit's SentinelOne `activityType`).
    #[test]
    fn uploaded_pack_values_are_values_not_keys_or_routes() {
        let schema = Schema::load(&crate::testutil::schema_export()).unwrap();
        let check = |event: &str, values: &str| {
            let line = format!(
                r#"{{"product":"P","event":"{event}","title":"T","class_uid":4001,"activity_id":6,"identify":{{"fields":["data.activityType","ConsoleLogin"],"values":[{values}]}}}}"#
            );
            check_lines(&line, "up/pack.jsonl", &schema)
        };
        let refused = |event: &str, values: &str| match check(event, values) {
            Err(RebuildError::BrokenInput { what, .. }) => what,
            other => panic!("{values}: expected a refusal, got {other:?}"),
        };
        assert!(refused("E", r#""activityType""#).contains("field name"));
        assert!(refused("E", r#""GET /api/v1/users""#).contains("API route"));
        assert!(refused("E", r#""/v2/activities""#).contains("API route"));
        assert!(check("E", r#""2004", "quarantine""#).is_ok());
        // The event's own name may also be a key (CloudTrail's `ConsoleLogin`).
        assert!(check("ConsoleLogin", r#""ConsoleLogin""#).is_ok());
    }
}
