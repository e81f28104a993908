//! A mapping plan for one record shape and class: for every source field, the OCSF
//! attributes it feeds (resolved against the class through the schema, so only attributes
//! the class really has are used, each with its schema type), plus which fields give the
//! event time and severity. Plans depend on field names only, so one plan serves every
//! record of a shape; values are converted (and checked) when the event is assembled.

use std::sync::Arc;

use super::keys::{self, Cand, Conv, KeyWords};
use super::rules;
use super::severity::{self, Scale};
use super::tree::intern;
use crate::classify::{DecidedBy, Decision};
use crate::kb::DocKind;
use crate::parse::{Format, Record};
use crate::schema::{Attribute, Class, Schema};

/// Profiles the builder may declare in `metadata.profiles` to use an attribute. Others
/// (osint, security_control, ...) would add requirements a log record cannot meet.
const USABLE_PROFILES: &[&str] = &["host", "cloud"];

/// How a leaf value is written, from the attribute's schema type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leaf {
    Str,
    /// A string whose format the schema constrains (`email_t`, `mac_t`, ...): checked first.
    Checked(&'static str),
    /// A string from a fixed list (`http_method`); matched case-insensitively.
    OneOf(&'static [&'static str]),
    Ip,
    Int,
    Long,
    Port,
    Timestamp,
    Bool,
    Float,
    Any,
}

/// One step of an attribute path; `array` when the attribute is a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seg {
    /// Interned: event keys borrow it.
    pub name: &'static str,
    pub array: bool,
}

/// A resolved attribute.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    /// Interned: mapped fields borrow it.
    pub path: &'static str,
    pub segs: Vec<Seg>,
    pub leaf: Leaf,
    /// Integer enum of the leaf (empty when none): values outside are not mapped.
    pub enum_ids: Vec<i64>,
    pub conv: Conv,
    pub profiles: &'static [&'static str],
}

/// What the builder does with one source field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldPlan {
    pub targets: Vec<Target>,
    /// Array index taken from the source key (`answers[2]`), for array attributes.
    pub index: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// Shared with the [`super::MappedField`]s that name them.
    pub keys: Vec<Arc<str>>,
    /// [`value_class`] of each field when planned: some readings depend on the value (an
    /// address or a name, a path or a word), so a plan only serves records that agree.
    pub classes: Vec<u8>,
    /// Field indices in key order (equal keys by position), each flagged when its key is the
    /// previous one's: `unmapped` is laid out in this order with no comparisons.
    pub key_order: Vec<(u32, bool)>,
    pub fields: Vec<FieldPlan>,
    /// Fields that may hold the event time, best first.
    pub time_fields: Vec<usize>,
    /// W3C-style separate `date` and `time` fields.
    pub date_time: Option<(usize, usize)>,
    pub severity: Option<(usize, Scale)>,
    /// Scan the message text for addresses, users and a leading timestamp.
    pub scan_text: Option<usize>,
    pub class_uid: u32,
    /// Names are interned: events borrow them.
    pub class_name: &'static str,
    pub category_uid: u32,
    pub category_name: &'static str,
    pub activity_id: i64,
    pub activity_name: &'static str,
    /// `type_name`: "class: activity".
    pub type_name: &'static str,
    pub product: Option<&'static str>,
    pub vendor: Option<&'static str>,
    /// The schema's OCSF version.
    pub version: &'static str,
    /// `metadata.log_name` when the record names no log itself.
    pub log_name: Option<String>,
    pub cloud_provider: Option<&'static str>,
    /// Resolved targets for text extraction (`src_endpoint.ip`, ...), by path.
    pub text_targets: Vec<Target>,
    pub format: Format,
}

impl Plan {
    /// True when `record` has exactly the fields this plan was made for, with values of the
    /// same classes.
    pub fn fits(&self, record: &Record) -> bool {
        self.keys.len() == record.fields.len()
            && self
                .keys
                .iter()
                .zip(&self.classes)
                .zip(&record.fields)
                .all(|((k, c), f)| **k == *f.key && *c == value_class(&f.value))
    }

    /// The key of field `i` as the shared name a [`super::MappedField`] carries.
    pub fn source_key(&self, i: usize, field: &crate::parse::Field) -> Arc<str> {
        self.keys.get(i).cloned().unwrap_or_else(|| field.key.as_str().into())
    }

    pub fn target(&self, path: &str) -> Option<&Target> {
        self.text_targets.iter().find(|t| t.path == path)
    }

    /// [`Plan::fits`] for a record whose value classes are `classes` (compared first: a
    /// shape's variants differ there more often than in their keys).
    pub fn fits_exact(&self, record: &Record, classes: &[u8]) -> bool {
        self.classes == classes
            && self.keys.len() == record.fields.len()
            && self.keys.iter().zip(&record.fields).all(|(k, f)| **k == *f.key)
    }
}

/// Paths text extraction may fill (resolved per class; missing ones are skipped).
const TEXT_PATHS: &[&str] = &[
    "src_endpoint.ip",
    "src_endpoint.port",
    "dst_endpoint.ip",
    "dst_endpoint.port",
    "user.name",
    "actor.user.name",
    "connection_info.protocol_name",
    "http_request.url",
    "process.name",
    "process.pid",
    "status",
    "status_id",
    "device.hostname",
    "dst_endpoint.hostname",
];

pub(crate) fn plan(
    schema: &Schema,
    record: &Record,
    decision: &Decision,
    products: &super::Products,
) -> Plan {
    let class = schema.class(decision.class_uid).or_else(|| schema.class(0));
    let (class_uid, class_name, category_uid) = match class {
        Some(c) => (c.uid, c.caption.clone(), c.category_uid),
        None => (decision.class_uid, decision.class_name.clone(), decision.category_uid),
    };
    let category_name = schema
        .categories
        .values()
        .find(|c| c.uid == category_uid)
        .map(|c| c.caption.clone())
        .unwrap_or_default();
    let activity_id =
        class.and_then(|c| c.activity(decision.activity_id)).map(|a| a.id).unwrap_or(0);
    let activity_name = class
        .and_then(|c| c.activity(activity_id))
        .map(|a| a.caption.clone())
        .unwrap_or_else(|| "Unknown".into());
    let (product, vendor) = match products.for_decision(decision) {
        Some((p, v)) => (Some(p.to_string()), v.map(str::to_string)),
        None => (product_of(decision), None),
    };
    let cloud_provider = cloud_provider(record, product.as_deref());
    let usable = |p: &'static [&'static str]| {
        p.is_empty()
            || p.iter()
                .any(|x| USABLE_PROFILES.contains(x) && (*x != "cloud" || cloud_provider.is_some()))
    };

    let mut fields: Vec<FieldPlan> = Vec::with_capacity(record.fields.len());
    // (field, target index, score) of every claim on a path, to settle conflicts.
    let mut claims: Vec<(&'static str, usize, i32)> = Vec::new();
    for (i, f) in record.fields.iter().enumerate() {
        let k = KeyWords::new(&f.key);
        let mut targets = Vec::new();
        let mut score = 0;
        if let Some(c) = class {
            let cand = keys::concept(&k, &f.value, class_uid)
                .or_else(|| dictionary(schema, c, &k, &f.value));
            if let Some(mut cand) = cand {
                if k.leaf.as_slice() == ["process", "id"] && parent_pid_key(record) {
                    // Next to a `NewProcessId`, `ProcessId` is the creator.
                    cand.paths = vec!["process.parent_process.pid"];
                }
                score = cand.score;
                targets = resolve_cand(schema, c, &cand, &usable);
                for p in &cand.also {
                    if let Some(t) =
                        resolve(schema, c, p, Conv::Typed).filter(|t| usable(t.profiles))
                    {
                        if !targets.iter().any(|x| x.path == t.path) {
                            claims.push((t.path, i, score - 10));
                            targets.push(t);
                        }
                    }
                }
            }
        }
        for t in &targets {
            if !claims.iter().any(|(p, j, _)| *j == i && *p == t.path) {
                claims.push((t.path, i, score));
            }
        }
        fields.push(FieldPlan { targets, index: k.index.unwrap_or(0) });
    }
    drop_non_files(record, &mut fields);
    settle_conflicts(&mut fields, &claims);

    let time_fields = time_fields(record);
    let date_time = date_time_pair(record);
    let syslog = matches!(record.format, Format::Syslog3164 | Format::Syslog5424);
    let severity = record.fields.iter().enumerate().find_map(|(i, f)| {
        // The syslog header's severity is 0 (emergency) … 7 (debug).
        let s = if syslog && f.key == "severity" {
            Scale::Syslog
        } else {
            severity::scale_for_key(&f.key)?
        };
        severity::severity_id(s, &f.value).map(|_| (i, s))
    });
    let scan_text = match record.format {
        Format::Text | Format::Syslog3164 | Format::Syslog5424 => {
            record.fields.iter().position(|f| f.key == "message")
        }
        _ => None,
    };
    let text_targets = match (class, scan_text) {
        (Some(c), Some(_)) => TEXT_PATHS
            .iter()
            .filter_map(|p| resolve(schema, c, p, Conv::Typed))
            .filter(|t| usable(t.profiles))
            .collect(),
        _ => Vec::new(),
    };
    let mut order: Vec<u32> = (0..record.fields.len() as u32).collect();
    order.sort_by(|&a, &b| record.fields[a as usize].key.cmp(&record.fields[b as usize].key));
    let key_order = order
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            (i, n > 0 && record.fields[order[n - 1] as usize].key == record.fields[i as usize].key)
        })
        .collect();
    Plan {
        type_name: intern(&format!("{class_name}: {activity_name}")),
        version: intern(&schema.version),
        key_order,
        keys: record.fields.iter().map(|f| Arc::from(f.key.as_str())).collect(),
        classes: record.fields.iter().map(|f| value_class(&f.value)).collect(),
        fields,
        time_fields,
        date_time,
        severity,
        scan_text,
        class_uid,
        class_name: intern(&class_name),
        category_uid,
        category_name: intern(&category_name),
        activity_id,
        activity_name: intern(&activity_name),
        product: product.as_deref().map(intern),
        vendor: vendor.as_deref().map(intern),
        log_name: None,
        cloud_provider,
        text_targets,
        format: record.format,
    }
}

/// What a value looks like, as far as field readings care: empty or a placeholder, digits,
/// an IP address, a dotted name, a path, an address with `@`, a word, or long text. Looks at
/// the first 64 bytes only.
pub(crate) fn value_class(v: &str) -> u8 {
    let b = v.as_bytes();
    if b.is_empty() || v == "-" || v == "{}" || v == "[]" {
        return 0;
    }
    if b.len() > 64 {
        return 9;
    }
    // One table lookup per byte: the flags every byte has (AND) and any byte has (OR).
    let (all, any) = b.iter().fold((u8::MAX, 0u8), |(all, any), &c| {
        (all & BYTE_FLAGS[c as usize], any | BYTE_FLAGS[c as usize])
    });
    let has = |f: u8| any & f != 0;
    match () {
        _ if all & DIGIT != 0 => 1,
        _ if all & HEXISH != 0 && has(DOT | COLON) && super::validate::is_ip(v) => 2,
        _ if has(AT) => 3,
        _ if has(SLASH) => 4,
        _ if has(SPACE) => 5,
        _ if has(DOT) => 6,
        _ if has(COLON) => 7,
        _ => 8,
    }
}

const DIGIT: u8 = 1;
/// Hex digit, `.`, `:` or `%` (the bytes of an IP address with a zone).
const HEXISH: u8 = 2;
const DOT: u8 = 4;
const COLON: u8 = 8;
const SLASH: u8 = 16;
const AT: u8 = 32;
const SPACE: u8 = 64;

const BYTE_FLAGS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut f = 0;
        if c.is_ascii_digit() {
            f |= DIGIT;
        }
        if c.is_ascii_hexdigit() || c == b'.' || c == b':' || c == b'%' {
            f |= HEXISH;
        }
        f |= match c {
            b'.' => DOT,
            b':' => COLON,
            b'/' | b'\\' => SLASH,
            b'@' => AT,
            b' ' => SPACE,
            _ => 0,
        };
        t[i] = f;
        i += 1;
    }
    t
};

fn parent_pid_key(record: &Record) -> bool {
    record
        .fields
        .iter()
        .any(|f| f.key.ends_with("NewProcessId") || f.key.ends_with("new_process_id"))
}

/// The product a decision's best knowledge-pack evidence names (`pack:<product>`).
fn product_of(decision: &Decision) -> Option<String> {
    if decision.decided_by == DecidedBy::Nothing {
        return None;
    }
    decision
        .evidence
        .iter()
        .filter(|e| e.kind == DocKind::Pack)
        .find_map(|e| e.source.strip_prefix("pack:").map(str::to_string))
}

/// The cloud the record comes from, when it says so unmistakably.
fn cloud_provider(record: &Record, product: Option<&str>) -> Option<&'static str> {
    for f in &record.fields {
        let k = f.key.as_str();
        let v = f.value.as_str();
        if k == "awsRegion"
            || v.starts_with("arn:aws:")
            || (k == "eventSource" && v.ends_with(".amazonaws.com"))
        {
            return Some("AWS");
        }
        if k.starts_with("protoPayload.")
            || (k.ends_with("serviceName") && v.ends_with(".googleapis.com"))
        {
            return Some("GCP");
        }
        if k == "resourceId" && v.contains("/providers/Microsoft.") {
            return Some("Azure");
        }
    }
    let p = product?.to_ascii_lowercase();
    if p.contains("aws") || p.contains("amazon") {
        Some("AWS")
    } else if p.contains("google cloud") || p.contains("gcp") {
        Some("GCP")
    } else if p.contains("azure") || p.contains("entra") {
        Some("Azure")
    } else {
        None
    }
}

fn resolve_cand(
    schema: &Schema,
    class: &Class,
    cand: &Cand,
    usable: &dyn Fn(&'static [&'static str]) -> bool,
) -> Vec<Target> {
    let mut out = Vec::new();
    match cand.conv {
        // Both a path and the name of the executable, from one field.
        _ if cand.paths == ["process.file.path", "process.name"] => {
            if let Some(t) = resolve(schema, class, "process.file.path", Conv::Typed)
                .filter(|t| usable(t.profiles))
            {
                out.push(t);
            }
            if let Some(t) = resolve(schema, class, "process.name", Conv::Basename)
                .filter(|t| usable(t.profiles))
            {
                out.push(t);
            }
        }
        Conv::HostOrIp => {
            // Decided per value: resolve both the name and the address attribute.
            for p in &cand.paths {
                let base = p.rsplit_once('.').map(|(b, _)| b).unwrap_or(p);
                for leaf in ["hostname", "ip"] {
                    if let Some(t) =
                        resolve(schema, class, &format!("{base}.{leaf}"), Conv::HostOrIp)
                            .filter(|t| usable(t.profiles))
                    {
                        out.push(t);
                    }
                }
                if !out.is_empty() {
                    break;
                }
            }
        }
        Conv::Url => {
            if let Some(t) = resolve(schema, class, "http_request.url.url_string", Conv::Url)
                .filter(|t| usable(t.profiles))
            {
                out.push(t);
                for p in [
                    "http_request.url.path",
                    "http_request.url.query_string",
                    "http_request.url.hostname",
                ] {
                    if let Some(t) = resolve(schema, class, p, Conv::Url) {
                        out.push(t);
                    }
                }
            }
        }
        Conv::Outcome => {
            for p in ["status", "status_id"] {
                if let Some(t) = resolve(schema, class, p, Conv::Outcome) {
                    out.push(t);
                }
            }
        }
        _ => {
            if let Some(t) = cand
                .paths
                .iter()
                .find_map(|p| resolve_or_nested(schema, class, p, cand.conv, usable))
            {
                out.push(t);
            }
        }
    }
    out
}

/// `p` in the class, or where classes without it keep the same thing: a finding's network
/// and process details live in `evidences[]`, an authentication's process is its
/// `logon_process`.
fn resolve_or_nested(
    schema: &Schema,
    class: &Class,
    p: &str,
    conv: Conv,
    usable: &dyn Fn(&'static [&'static str]) -> bool,
) -> Option<Target> {
    if let Some(t) = resolve(schema, class, p, conv).filter(|t| usable(t.profiles)) {
        return Some(t);
    }
    let head = p.split('.').next()?;
    if class.attributes.contains_key(head) {
        return None;
    }
    if head == "process" && class.attributes.contains_key("logon_process") {
        return resolve(schema, class, &format!("logon_{p}"), conv).filter(|t| usable(t.profiles));
    }
    if matches!(
        head,
        "src_endpoint" | "dst_endpoint" | "connection_info" | "process" | "file" | "query" | "url"
    ) {
        return resolve(schema, class, &format!("evidences.{p}"), conv)
            .filter(|t| usable(t.profiles));
    }
    None
}

/// Resolves a dotted attribute path in a class to its segments and leaf type.
pub(crate) fn resolve(schema: &Schema, class: &Class, path: &str, conv: Conv) -> Option<Target> {
    let mut attrs = &class.attributes;
    let mut owner: Option<&str> = None;
    let mut segs = Vec::new();
    let mut profiles: &'static [&'static str] = &[];
    let mut parts = path.split('.').peekable();
    while let Some(name) = parts.next() {
        let attr: &Attribute = attrs.get(name)?;
        let need = match owner {
            None => rules::class_attribute_profiles(class.uid, name),
            Some(o) => rules::object_attribute_profiles(o, name),
        };
        if !need.is_empty() {
            if !profiles.is_empty() && profiles != need {
                return None;
            }
            profiles = need;
        }
        segs.push(Seg { name: intern(name), array: attr.is_array });
        if parts.peek().is_none() {
            let allowed = owner.map(|o| rules::string_enum(o, name)).unwrap_or(&[]);
            let leaf =
                if allowed.is_empty() { leaf_of(&attr.type_name)? } else { Leaf::OneOf(allowed) };
            let enum_ids = attr.enum_values.keys().copied().collect();
            return Some(Target { path: intern(path), segs, leaf, enum_ids, conv, profiles });
        }
        let obj = attr.object_type.as_deref()?;
        attrs = &schema.objects.get(obj)?.attributes;
        owner = Some(obj);
    }
    None
}

fn leaf_of(type_name: &str) -> Option<Leaf> {
    Some(match type_name {
        "object_t" => return None,
        "ip_t" => Leaf::Ip,
        "integer_t" => Leaf::Int,
        "long_t" => Leaf::Long,
        "port_t" => Leaf::Port,
        "timestamp_t" => Leaf::Timestamp,
        "boolean_t" => Leaf::Bool,
        "float_t" => Leaf::Float,
        "json_t" => Leaf::Any,
        "email_t" => Leaf::Checked("email_t"),
        "mac_t" => Leaf::Checked("mac_t"),
        "uuid_t" => Leaf::Checked("uuid_t"),
        "datetime_t" => Leaf::Checked("datetime_t"),
        "subnet_t" => Leaf::Checked("subnet_t"),
        _ => Leaf::Str,
    })
}

/// Attributes the builder writes itself; the dictionary fallback must not land on them.
const RESERVED: &[&str] = &[
    "class_uid",
    "class_name",
    "category_uid",
    "category_name",
    "activity_id",
    "activity_name",
    "type_uid",
    "type_name",
    "severity_id",
    "severity",
    "time",
    "metadata",
    "raw_data",
    "unmapped",
    "message",
    "observables",
    "enrichments",
    "start_time",
    "end_time",
    "count",
    "timezone_offset",
    "raw_data_size",
    "raw_data_hash",
];

/// Fallback: the key, in snake case, names one of the class's attributes (or
/// `<object attribute>.<attribute>` for a two-level key). An integer value of an
/// attribute with an enumerated `_id` sibling goes to the sibling.
fn dictionary(schema: &Schema, class: &Class, k: &KeyWords, value: &str) -> Option<Cand> {
    let leaf = k.leaf.join("_");
    if leaf.is_empty() {
        return None;
    }
    let static_name =
        |s: &str| -> Option<&'static str> { INTERN.iter().find(|x| **x == s).copied() };
    if k.parents.is_empty() {
        if RESERVED.contains(&leaf.as_str()) {
            return None;
        }
        let id_name = format!("{leaf}_id");
        if let (Some(a), Ok(n)) = (class.attributes.get(&id_name), value.parse::<i64>()) {
            if a.enum_values.contains_key(&n) {
                return Some(Cand {
                    paths: vec![static_name(&id_name)?],
                    also: Vec::new(),
                    conv: Conv::Typed,
                    score: 30,
                });
            }
        }
        let a = class.attributes.get(&leaf)?;
        if a.type_name == "object_t" {
            // A plain value for an object attribute names the object (`service` → service.name).
            let obj = schema.objects.get(a.object_type.as_deref()?)?;
            obj.attributes.get("name")?;
            let path = format!("{leaf}.name");
            return Some(Cand {
                paths: vec![static_name(&path)?],
                also: Vec::new(),
                conv: Conv::Typed,
                score: 30,
            });
        }
        return Some(Cand {
            paths: vec![static_name(&leaf)?],
            also: Vec::new(),
            conv: Conv::Typed,
            score: 30,
        });
    }
    None
}

/// Paths the dictionary fallback can produce, as `'static` strings.
const INTERN: &[&str] = &[
    "logon_type",
    "logon_type_id",
    "auth_protocol",
    "auth_protocol_id",
    "is_mfa",
    "is_remote",
    "is_new_logon",
    "is_cleartext",
    "status_code",
    "status_detail",
    "share",
    "share_type",
    "share_type_id",
    "direction",
    "direction_id",
    "rcode",
    "rcode_id",
    "service.name",
    "session.uid",
    "privileges",
    "log_name",
    "log_provider",
    "log_type",
    "job.name",
    "entity.name",
    "group.name",
    "disposition",
    "disposition_id",
    "action",
    "action_id",
    "risk_score",
    "confidence",
    "is_alert",
    "duration",
    "file.name",
    "query.hostname",
    "account_switch_type",
    "account_switch_type_id",
    "certificate.serial_number",
];

/// An object whose sibling `type` says what it is: `file.*` from something that is not a
/// file (Box `source` can be a user), or `user.*` from something that is not a user (Okta
/// `target[]` can be a token or an app), is dropped.
fn drop_non_files(record: &Record, fields: &mut [FieldPlan]) {
    for (i, f) in record.fields.iter().enumerate() {
        let Some((parent, _)) = f.key.rsplit_once('.') else { continue };
        let Some(fp) = fields.get_mut(i) else { continue };
        let files = fp.targets.iter().any(|t| t.path.starts_with("file."));
        let users = fp.targets.iter().any(|t| t.path.starts_with("user.")) && parent.contains('[');
        if !files && !users {
            continue;
        }
        let type_key = format!("{parent}.type");
        let Some(t) = record.get(&type_key) else { continue };
        let t = t.to_ascii_lowercase();
        if files && !matches!(t.as_str(), "file" | "folder" | "document" | "web_link") {
            fp.targets.retain(|t| !t.path.starts_with("file."));
        }
        if users && t != "user" {
            fp.targets.retain(|t| !t.path.starts_with("user."));
        }
    }
}

/// Two fields on one attribute: the higher score keeps it, the other loses that target.
fn settle_conflicts(fields: &mut [FieldPlan], claims: &[(&'static str, usize, i32)]) {
    for (path, i, score) in claims {
        let beaten = claims
            .iter()
            .any(|(p, j, s)| p == path && j != i && (s > score || (s == score && j < i)));
        if beaten {
            if let Some(f) = fields.get_mut(*i) {
                f.targets.retain(|t| t.path != *path);
            }
        }
    }
}

/// Words that mark a field as a time of something other than the event.
const NOT_EVENT_TIME: &[&str] = &[
    "received",
    "receive",
    "ingest",
    "ingested",
    "processed",
    "updated",
    "modified",
    "last",
    "end",
    "expiration",
    "expires",
    "till",
    "creation",
    "stage",
    "first",
    "seen",
    "started",
    "completed",
    "export",
];

/// Candidate time fields, best first: a time word in the key, no word that marks another
/// time, shallow keys before nested ones.
fn time_fields(record: &Record) -> Vec<usize> {
    let mut scored: Vec<(i32, usize)> = Vec::new();
    for (i, f) in record.fields.iter().enumerate() {
        let k = KeyWords::new(&f.key);
        let leaf: Vec<&str> = k.leaf.iter().map(String::as_str).collect();
        let timeish = leaf.iter().any(|w| {
            matches!(
                *w,
                "time"
                    | "timestamp"
                    | "ts"
                    | "date"
                    | "published"
                    | "datetime"
                    | "created"
                    | "when"
            )
        }) || f.key == "@timestamp"
            || f.key == "at_sign_timestamp";
        if !timeish || f.value.is_empty() {
            continue;
        }
        let mut score = 100 - 10 * k.depth() as i32 - leaf.len() as i32;
        if leaf.iter().any(|w| NOT_EVENT_TIME.contains(w))
            || k.parents.iter().flatten().any(|w| NOT_EVENT_TIME.contains(&w.as_str()))
        {
            score -= 50;
        }
        if matches!(
            leaf.as_slice(),
            ["time"]
                | ["timestamp"]
                | ["ts"]
                | ["event", "time"]
                | ["time", "created"]
                | ["published"]
        ) {
            score += 20;
        }
        if leaf.contains(&"event") {
            score += 5;
        }
        scored.push((score, i));
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

/// W3C logs split the time into `date` and `time` fields.
fn date_time_pair(record: &Record) -> Option<(usize, usize)> {
    let d = record.fields.iter().position(|f| f.key == "date")?;
    let t = record.fields.iter().position(|f| f.key == "time")?;
    Some((d, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-by-byte reading the table replaces.
    fn value_class_reference(v: &str) -> u8 {
        let b = v.as_bytes();
        if b.is_empty() || v == "-" || v == "{}" || v == "[]" {
            return 0;
        }
        if b.len() > 64 {
            return 9;
        }
        let digits = b.iter().all(u8::is_ascii_digit);
        let hexish = b.iter().all(|c| c.is_ascii_hexdigit() || b".:%".contains(c));
        let has = |set: &[u8]| b.iter().any(|c| set.contains(c));
        match () {
            _ if digits => 1,
            _ if hexish && has(b".:") && super::super::validate::is_ip(v) => 2,
            _ if has(b"@") => 3,
            _ if has(b"/\\") => 4,
            _ if has(b" ") => 5,
            _ if has(b".") => 6,
            _ if has(b":") => 7,
            _ => 8,
        }
    }

    #[test]
    fn value_classes() {
        let cases = [
            ("", 0),
            ("-", 0),
            ("4624", 1),
            ("10.0.0.1", 2),
            ("fe80::1%eth0", 7),
            ("fe80::1%1", 2),
            ("a@b.c", 3),
            ("C:\\Windows\\x.exe", 4),
            ("two words", 5),
            ("host.example.com", 6),
            ("12:30", 7),
            ("word", 8),
        ];
        for (v, want) in cases {
            assert_eq!(value_class(v), want, "{v}");
            assert_eq!(value_class_reference(v), want, "{v}");
        }
        assert_eq!(value_class(&"x".repeat(65)), 9);
    }

    proptest::proptest! {
        #[test]
        fn value_class_matches_the_byte_by_byte_reading(v in "[0-9a-fA-F.:%@/ \\\\xyz-]{0,20}") {
            proptest::prop_assert_eq!(value_class(&v), value_class_reference(&v));
        }
    }
}
