//! What a source field is about, from the words of its key (and a glance at its value):
//! candidate OCSF attribute paths, best first. The class decides later which of them exist.
//!
//! A key is read as its last segment (`leaf`) plus the segments above it (`parents`), each
//! split into lowercase words (`sourceIPAddress` → source ip address, `id_orig_h` → id orig
//! h). Roles (source, destination, actor, target, device) come from any of those words;
//! the property (ip, port, user name, ...) from the leaf.

use super::validate::is_ip;

/// How a source value becomes the attribute's value, beyond the attribute's own type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Conv {
    /// By the target attribute's schema type.
    Typed,
    /// An IP goes to `<endpoint>.ip`, anything else to `<endpoint>.hostname`.
    HostOrIp,
    /// Decimal or `0x` hexadecimal process id.
    Pid,
    /// Seconds (decimal) → milliseconds.
    SecondsToMs,
    /// `/path?query` → `url.path` (+ `url.query_string`); absolute URLs → `url.url_string`.
    Url,
    /// `HTTP/1.1` → `1.1`.
    HttpVersion,
    /// A path → its last component (`C:\x\cmd.exe` → `cmd.exe`).
    Basename,
    /// Whitespace-separated list → array of strings.
    Words,
    /// Outcome words → `status_id` (and the text to `status`).
    Outcome,
}

/// A field's reading: candidate attribute paths, how to convert, and how sure we are.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cand {
    pub paths: Vec<&'static str>,
    /// Further attributes the same value also fills (an e-mail is also the user name).
    pub also: Vec<&'static str>,
    pub conv: Conv,
    /// Higher wins when two fields land on the same attribute.
    pub score: i32,
}

impl Cand {
    fn new(paths: &[&'static str], conv: Conv, score: i32) -> Option<Cand> {
        Some(Cand { paths: paths.to_vec(), also: Vec::new(), conv, score })
    }

    fn with_also(mut self, also: &[&'static str]) -> Self {
        self.also = also.to_vec();
        self
    }
}

/// Words of a key.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyWords {
    /// The last segment as written, lowercased, without `[n]`.
    pub raw_leaf: String,
    pub leaf: Vec<String>,
    /// Nearest parent last.
    pub parents: Vec<Vec<String>>,
    /// First `[n]` index in the key.
    pub index: Option<usize>,
}

impl KeyWords {
    pub fn new(key: &str) -> KeyWords {
        let index = first_index(key);
        let bare = strip_indices(key);
        let mut segs: Vec<Vec<String>> = bare
            .split('.')
            .map(crate::text::tokens)
            .filter(|t| !t.is_empty())
            .map(segment_run_together)
            .collect();
        let leaf = segs.pop().unwrap_or_default();
        let raw_leaf = bare.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        KeyWords { raw_leaf, leaf, parents: segs, index }
    }

    fn leaf_has(&self, w: &str) -> bool {
        self.leaf.iter().any(|t| t == w)
    }

    fn leaf_is(&self, words: &[&str]) -> bool {
        self.leaf.len() == words.len() && self.leaf.iter().zip(words).all(|(a, b)| a == b)
    }

    fn any_has(&self, w: &str) -> bool {
        self.leaf_has(w) || self.parents.iter().any(|p| p.iter().any(|t| t == w))
    }

    fn parent_has(&self, w: &str) -> bool {
        self.parents.iter().any(|p| p.iter().any(|t| t == w))
    }

    pub fn depth(&self) -> usize {
        self.parents.len()
    }
}

/// A DNS name: dotted labels of letters, digits and hyphens.
pub(crate) fn looks_like_hostname(v: &str) -> bool {
    v.len() <= 253
        && v.contains('.')
        && v.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

/// Words log field names are made of, for splitting all-lowercase run-together names
/// (`calleripaddress` → caller ip address).
const VOCABULARY: &[&str] = &[
    "account",
    "action",
    "address",
    "agent",
    "alternate",
    "app",
    "application",
    "auth",
    "authentication",
    "by",
    "caller",
    "category",
    "client",
    "code",
    "computer",
    "correlation",
    "country",
    "created",
    "date",
    "dest",
    "destination",
    "device",
    "display",
    "domain",
    "duration",
    "email",
    "error",
    "event",
    "host",
    "hostname",
    "id",
    "ip",
    "level",
    "location",
    "login",
    "message",
    "method",
    "ms",
    "name",
    "operation",
    "port",
    "principal",
    "process",
    "reason",
    "remote",
    "request",
    "resource",
    "result",
    "server",
    "service",
    "session",
    "severity",
    "signature",
    "source",
    "src",
    "status",
    "target",
    "tenant",
    "time",
    "timestamp",
    "type",
    "uri",
    "url",
    "user",
    "version",
];

/// Splits one all-lowercase token that is several vocabulary words run together; other
/// tokens are kept.
fn segment_run_together(tokens: Vec<String>) -> Vec<String> {
    if tokens.len() != 1 || tokens[0].len() < 7 {
        return tokens;
    }
    let t = &tokens[0];
    let mut out = Vec::new();
    let mut rest = t.as_str();
    while !rest.is_empty() {
        // Longest vocabulary word at the front.
        let Some(w) = VOCABULARY.iter().filter(|w| rest.starts_with(**w)).max_by_key(|w| w.len())
        else {
            return tokens;
        };
        out.push((*w).to_string());
        rest = &rest[w.len()..];
    }
    if out.len() < 2 {
        return tokens;
    }
    out
}

/// The leaf's words run together (`source i ps` → `sourceips`).
fn leaf_text(k: &KeyWords) -> String {
    k.leaf.iter().filter(|w| !w.bytes().all(|c| c.is_ascii_digit())).map(String::as_str).collect()
}

/// `a[0].b[12]` → `a.b`.
fn strip_indices(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut depth = 0usize;
    for c in key.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn first_index(key: &str) -> Option<usize> {
    let open = key.find('[')?;
    let close = key[open..].find(']')? + open;
    key.get(open + 1..close)?.parse().ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Src,
    Dst,
    Actor,
    Target,
    Member,
    None,
}

const SRC: &[&str] = &[
    "src",
    "source",
    "client",
    "orig",
    "caller",
    "remote",
    "sender",
    "attacker",
    "access",
    "from",
    "calling",
    "initiator",
    "origin",
    "sourceips",
    "spt",
];
const DST: &[&str] = &[
    "dst",
    "dest",
    "destination",
    "resp",
    "responder",
    "server",
    "to",
    "recipient",
    "called",
    "dpt",
];
const ACTOR: &[&str] = &[
    "actor",
    "subject",
    "initiator",
    "principal",
    "identity",
    "creator",
    "created",
    "invoker",
    "performed",
    "admin",
];
const TARGET: &[&str] = &["target", "affected", "entity", "new", "owned"];

/// The role words say, leaf first then nearer parents first. `for_user` reads actor/target
/// words; otherwise endpoint words.
fn role(k: &KeyWords, for_user: bool) -> Role {
    let scan = |words: &[String]| -> Option<Role> {
        for w in words {
            let w = w.as_str();
            if for_user {
                if w == "principal" && k.leaf_has("user") {
                    continue;
                }
                if ACTOR.contains(&w) {
                    return Some(Role::Actor);
                }
                if TARGET.contains(&w) {
                    return Some(Role::Target);
                }
                if w == "member" {
                    return Some(Role::Member);
                }
            } else {
                if SRC.contains(&w) {
                    return Some(Role::Src);
                }
                if DST.contains(&w) || (w == "target" && !for_user) {
                    return Some(Role::Dst);
                }
            }
        }
        None
    };
    if let Some(r) = scan(&k.leaf) {
        return r;
    }
    for p in k.parents.iter().rev() {
        if let Some(r) = scan(p) {
            return r;
        }
    }
    Role::None
}

/// Candidate attributes for a field, given its key words, value and class.
pub(crate) fn concept(k: &KeyWords, value: &str, class_uid: u32) -> Option<Cand> {
    let leaf: Vec<&str> = k.leaf.iter().map(String::as_str).collect();
    let last = *leaf.last()?;
    let depth_penalty = k.depth() as i32;

    // The second-factor device of a sign-in is neither the event's device nor an endpoint.
    if k.parent_has("auth") && k.parent_has("device") {
        return None;
    }
    if k.leaf_is(&["os"]) && role(k, false) == Role::Src {
        return Cand::new(&["src_endpoint.os.name"], Conv::Typed, 40);
    }
    // The application signed in to (Duo `application.name`).
    if matches!(k.parents.last().map(Vec::as_slice), Some([a]) if a == "application" || a == "app")
        && class_uid == 3002
    {
        return match leaf.as_slice() {
            ["name"] => Cand::new(&["service.name"], Conv::Typed, 50),
            ["key"] | ["id"] | ["uid"] => Cand::new(&["service.uid"], Conv::Typed, 45),
            _ => None,
        };
    }
    // When the collector received the record.
    if matches!(
        leaf.as_slice(),
        ["receive", "timestamp"]
            | ["event", "received", "time"]
            | ["received", "time"]
            | ["receive", "time"]
    ) {
        return Cand::new(&["metadata.logged_time"], Conv::Typed, 40);
    }
    // Cloud placement of the resource (GCP `resource.labels.*`).
    if k.leaf_is(&["zone"]) && !k.any_has("client") {
        return Cand::new(&["cloud.zone"], Conv::Typed, 40);
    }
    if k.parent_has("resource") && k.parent_has("labels") {
        return match leaf.as_slice() {
            ["location"] => Cand::new(&["cloud.region"], Conv::Typed, 40),
            ["instance", "id"] => Cand::new(&["resources.uid"], Conv::Typed, 40),
            ["project", "id"] => Cand::new(&["cloud.project_uid"], Conv::Typed, 45),
            _ => None,
        };
    }

    // A bare role key holding an address (`SRC=`, `dst=`).
    if k.leaf.len() == 1 && is_ip(value) && (SRC.contains(&last) || DST.contains(&last)) {
        return endpoint(role(k, false), "ip", k, class_uid, Conv::Typed, 60 - depth_penalty);
    }
    if let Some(c) = location(k, &leaf) {
        return Some(c);
    }

    // Endpoint properties: ip, port, mac, hostname, interface.
    // `sourceIPs` splits into `source i ps`: look at the raw segment too.
    let raw_leaf = leaf_text(k);
    let ip_word = leaf.iter().any(|w| matches!(*w, "ip" | "ips" | "ipaddress" | "ipv4" | "ipv6"))
        || ((raw_leaf.ends_with("ips") || raw_leaf.ends_with("ip")) && is_ip(value))
        || (matches!(last, "address" | "addr") && is_ip(value))
        || (last == "h" && k.leaf.len() >= 2 && is_ip(value));
    let port_word = leaf.iter().any(|w| matches!(*w, "port" | "spt" | "dpt" | "sport" | "dport"))
        || (last == "p" && k.leaf.len() >= 2);
    // `IpPort` names a port, `IpAddress` an address: the last word decides.
    let ip_word = ip_word && !(port_word && matches!(last, "port" | "p"));
    let mac_word =
        leaf.contains(&"mac") || k.raw_leaf.contains("l2_addr") || k.raw_leaf.contains("l2addr");
    if ip_word || port_word || mac_word {
        let prop = if ip_word {
            "ip"
        } else if port_word {
            "port"
        } else {
            "mac"
        };
        if prop == "ip" && !is_ip(value) && looks_like_hostname(value) {
            // An "ip" field holding a name (CloudTrail `sourceIPAddress` = a service).
            return endpoint(
                role(k, false),
                "hostname",
                k,
                class_uid,
                Conv::HostOrIp,
                55 - depth_penalty,
            );
        }
        if prop == "ip" && !is_ip(value) {
            return None;
        }
        return endpoint(role(k, false), prop, k, class_uid, Conv::Typed, 60 - depth_penalty);
    }
    if leaf.iter().any(|w| matches!(*w, "hostname" | "computer" | "workstation" | "fqdn"))
        || k.leaf_is(&["host"])
        || k.leaf_is(&["vhost"])
    {
        let r = role(k, false);
        let r = if leaf.contains(&"workstation") && r == Role::None { Role::Src } else { r };
        // A bare `host` is often the collector; an explicit host name wins over it.
        let score = if leaf.contains(&"hostname") || leaf.contains(&"computer") { 52 } else { 48 };
        return endpoint(r, "hostname", k, class_uid, Conv::HostOrIp, score - depth_penalty);
    }
    if k.leaf_is(&["in"]) || k.leaf_is(&["out"]) {
        let paths: &[&str] = if last == "in" {
            &["src_endpoint.interface_name"]
        } else {
            &["dst_endpoint.interface_name"]
        };
        return Cand::new(paths, Conv::Typed, 40);
    }

    // HTTP.
    if leaf.contains(&"method") && !leaf.contains(&"name") {
        if k.any_has("sip") {
            return None;
        }
        return Cand::new(&["http_request.http_method"], Conv::Typed, 60 - depth_penalty);
    }
    if leaf.contains(&"agent") && (leaf.contains(&"user") || leaf.contains(&"raw"))
        || k.leaf_is(&["ua"])
    {
        return Cand::new(
            &["http_request.user_agent"],
            Conv::Typed,
            60 - depth_penalty + i32::from(leaf.contains(&"raw")) * 2,
        );
    }
    if leaf.iter().any(|w| matches!(*w, "referrer" | "referer")) {
        return Cand::new(&["http_request.referrer"], Conv::Typed, 55);
    }
    if matches!(last, "uri" | "url") && !k.any_has("sip")
        || (k.leaf_is(&["path"]) && matches!(class_uid, 4002))
        || k.leaf_is(&["request", "uri"])
    {
        return Cand::new(&["http_request.url"], Conv::Url, 50 - depth_penalty);
    }
    if k.leaf_is(&["protocol"]) && value.starts_with("HTTP/") {
        return Cand::new(&["http_request.version"], Conv::HttpVersion, 50);
    }
    if class_uid == 4002
        && (k.leaf_is(&["status"]) || k.leaf_is(&["status", "code"]))
        && value.parse::<u16>().is_ok()
    {
        return Cand::new(&["http_response.code"], Conv::Typed, 60);
    }
    if class_uid == 4002 && k.leaf_is(&["bytes"]) {
        return Cand::new(&["http_response.length"], Conv::Typed, 45);
    }

    // DNS.
    if class_uid == 4003 {
        let paths: Option<&[&str]> = match leaf.as_slice() {
            ["query"] | ["qname"] | ["query", "name"] => Some(&["query.hostname"]),
            ["qtype", "name"] | ["query", "type"] => Some(&["query.type"]),
            ["qclass", "name"] | ["query", "class"] => Some(&["query.class"]),
            ["trans", "id"] => Some(&["query.packet_uid"]),
            ["rcode", "name"] => Some(&["rcode"]),
            ["answers"] => Some(&["answers.rdata"]),
            _ if k.raw_leaf == "ttls" => Some(&["answers.ttl"]),
            _ => None,
        };
        if let Some(p) = paths {
            return Cand::new(p, Conv::Typed, 55);
        }
    }

    // Network traffic counters.
    if let Some(p) = traffic(&leaf) {
        return Cand::new(p, Conv::Typed, 45);
    }
    if matches!(last, "proto" | "protocol" | "transport")
        && k.leaf.len() == 1
        && value.len() <= 8
        && value.bytes().all(|c| c.is_ascii_alphanumeric())
    {
        if value.bytes().all(|c| c.is_ascii_digit()) {
            return Cand::new(&["connection_info.protocol_num"], Conv::Typed, 40);
        }
        return Cand::new(&["connection_info.protocol_name"], Conv::Typed, 40);
    }
    // TLS details (Zeek ssl.log).
    if k.depth() == 0
        && k.leaf_is(&["cipher"])
        && (value.starts_with("TLS_") || value.starts_with("SSL_"))
    {
        return Cand::new(&["tls.cipher"], Conv::Typed, 40);
    }
    if k.depth() == 0
        && k.leaf_is(&["version"])
        && (value.starts_with("TLS") || value.starts_with("SSL"))
    {
        return Cand::new(&["tls.version"], Conv::Typed, 40);
    }
    if matches!(
        leaf.as_slice(),
        ["authentication", "package", "name"]
            | ["auth", "protocol"]
            | ["authentication", "protocol"]
    ) {
        return Cand::new(&["auth_protocol"], Conv::Typed, 45);
    }
    if k.leaf_is(&["duration"]) && value.contains('.') {
        return Cand::new(&["duration"], Conv::SecondsToMs, 40);
    }
    if k.leaf_is(&["duration", "ms"]) {
        return Cand::new(&["duration"], Conv::Typed, 40);
    }

    // Processes.
    if let Some(c) = process(k, &leaf, value) {
        return Some(c);
    }

    // Cloud and API.
    if leaf.contains(&"region") {
        return Cand::new(&["cloud.region"], Conv::Typed, 55 - depth_penalty);
    }
    if matches!(leaf.as_slice(), ["recipient", "account", "id"] | ["account", "id"])
        && k.depth() == 0
    {
        return Cand::new(&["cloud.account.uid"], Conv::Typed, 50);
    }
    if leaf.as_slice() == ["project", "id"] {
        return Cand::new(&["cloud.project_uid"], Conv::Typed, 45);
    }
    if leaf.as_slice() == ["tenant", "id"] {
        return Cand::new(&["metadata.tenant_uid"], Conv::Typed, 45);
    }
    if matches!(
        leaf.as_slice(),
        ["event", "name"] | ["method", "name"] | ["verb"] | ["operation", "name"]
    ) || (class_uid == 6003 && k.leaf_is(&["action"]) && k.depth() == 0)
    {
        return Cand::new(&["api.operation"], Conv::Typed, 55);
    }
    if matches!(leaf.as_slice(), ["event", "source"] | ["service", "name"]) && value.contains('.') {
        return Cand::new(&["service.name", "api.service.name"], Conv::Typed, 50 - depth_penalty);
    }
    if class_uid == 6003 && matches!(leaf.as_slice(), ["event", "type"]) && k.depth() == 0 {
        return Cand::new(&["api.operation"], Conv::Typed, 45);
    }
    if k.leaf_is(&["api"]) && !value.starts_with('{') {
        return Cand::new(&["api.operation"], Conv::Typed, 45);
    }
    if matches!(
        leaf.as_slice(),
        ["app", "display", "name"] | ["application", "name"] | ["resource", "display", "name"]
    ) || (k.leaf_is(&["application"])
        && !value.starts_with('{')
        && !value.contains('\\')
        && !value.contains('/'))
    {
        let score = if leaf.contains(&"app") || leaf.contains(&"application") { 45 } else { 40 };
        return Cand::new(&["service.name"], Conv::Typed, score);
    }
    if matches!(leaf.as_slice(), ["request", "id"]) {
        return Cand::new(&["api.request.uid"], Conv::Typed, 40 - depth_penalty);
    }
    if matches!(leaf.as_slice(), ["error", "code"]) {
        let p: &[&str] = if class_uid == 6003 {
            &["api.response.error", "status_code"]
        } else {
            &["status_code"]
        };
        return Cand::new(p, Conv::Typed, 45);
    }
    if matches!(leaf.as_slice(), ["error", "message"] | ["failure", "reason"] | ["error", "msg"]) {
        let p: &[&str] = if class_uid == 6003 {
            &["api.response.error_message", "status_detail"]
        } else {
            &["status_detail"]
        };
        return Cand::new(p, Conv::Typed, 45);
    }
    if k.parent_has("object") && k.parent_has("ref")
        || k.parents.last().is_some_and(|p| p.as_slice() == ["resource"])
    {
        let p: Option<&[&str]> = match last {
            "name" => Some(&["resources.name"]),
            "resource" | "type" => Some(&["resources.type"]),
            "namespace" => Some(&["resources.namespace"]),
            _ => None,
        };
        if let Some(p) = p {
            return Cand::new(p, Conv::Typed, 40);
        }
    }
    if matches!(leaf.as_slice(), ["resource", "name"]) {
        return Cand::new(&["resources.name"], Conv::Typed, 40);
    }

    if let Some(c) = class_specific(k, &leaf, value, class_uid) {
        return Some(c);
    }
    if matches!(leaf.as_slice(), ["privilege", "list"] | ["privileges"]) {
        return Cand::new(&["privileges"], Conv::Words, 50);
    }

    // Findings.
    if let Some(c) = finding(k, &leaf, class_uid) {
        return Some(c);
    }

    // Files.
    if let Some(c) = file(k, &leaf, class_uid) {
        return Some(c);
    }

    // Sessions of a cloud identity (CloudTrail `userIdentity.sessionContext`).
    if k.parent_has("session") && k.parent_has("issuer") {
        return if k.leaf_is(&["arn"]) {
            Cand::new(&["actor.session.issuer"], Conv::Typed, 45)
        } else {
            None
        };
    }
    if k.parent_has("session") && k.parent_has("context") {
        return match leaf.as_slice() {
            ["mfa", "authenticated"] => Cand::new(&["actor.session.is_mfa"], Conv::Typed, 45),
            ["creation", "date"] => Cand::new(&["actor.session.created_time"], Conv::Typed, 45),
            _ => None,
        };
    }
    if k.depth() == 0 && matches!(leaf.as_slice(), ["event", "version"] | ["schema", "version"]) {
        return Cand::new(&["metadata.log_version"], Conv::Typed, 40);
    }

    // Users and groups.
    if let Some(c) = user(k, &leaf, value, class_uid) {
        return Some(c);
    }

    // Outcome.
    let code_like =
        (value.len() > 1 && value.bytes().all(|c| c.is_ascii_digit())) || value.starts_with("0x");
    if matches!(
        leaf.as_slice(),
        ["result"]
            | ["outcome"]
            | ["success"]
            | ["is", "success"]
            | ["result", "type"]
            | ["conclusion"]
            | ["status"]
    ) && k.depth() <= 1
        && !code_like
    {
        return Cand::new(&["status"], Conv::Outcome, 45 - depth_penalty);
    }
    if matches!(leaf.as_slice(), ["reason"] | ["result", "reason"] | ["status", "detail"])
        && k.depth() <= 1
    {
        return Cand::new(&["status_detail"], Conv::Typed, 35);
    }
    if k.leaf_is(&["status"]) && value.starts_with("0x") {
        return Cand::new(&["status_code"], Conv::Typed, 40);
    }

    // Log bookkeeping.
    match leaf.as_slice() {
        ["event", "id"] | ["eventid"]
            if !value.is_empty()
                && value.bytes().all(|c| c.is_ascii_digit())
                && value.len() <= 6 =>
        {
            return Cand::new(&["metadata.event_code"], Conv::Typed, 50)
        }
        ["event", "id"] | ["uuid"] | ["insert", "id"] | ["audit", "id"] | ["document", "id"]
            if k.depth() == 0 =>
        {
            return Cand::new(&["metadata.original_event_uid"], Conv::Typed, 40)
        }
        ["correlation", "id"] => return Cand::new(&["metadata.correlation_uid"], Conv::Typed, 40),
        ["record", "number"] | ["sequence"] => {
            return Cand::new(&["metadata.sequence"], Conv::Typed, 35)
        }
        ["channel"] | ["log", "name"] => return Cand::new(&["metadata.log_name"], Conv::Typed, 40),
        ["source", "name"] | ["provider", "name"] => {
            return Cand::new(&["metadata.log_provider"], Conv::Typed, 35)
        }
        ["uid"] if class_uid / 1000 == 4 && k.depth() == 0 => {
            return Cand::new(&["connection_info.uid"], Conv::Typed, 40)
        }
        ["message"] | ["msg"] | ["display", "message"] | ["description"]
            if k.depth() == 0 && !value.starts_with("audit(") =>
        {
            return Cand::new(&["message"], Conv::Typed, 45)
        }
        // A record's own id is long; short numbers named `ID` are counters (IP header ids).
        ["id"] if k.depth() == 0 && value.len() >= 8 => {
            return Cand::new(&["metadata.original_event_uid"], Conv::Typed, 35)
        }
        _ => {}
    }
    None
}

/// Fields whose meaning depends on the class: the group of a group change, the entity of
/// an entity change, the job, the Windows service, the hosted file, the log of a log event.
fn class_specific(k: &KeyWords, leaf: &[&str], value: &str, class_uid: u32) -> Option<Cand> {
    let top = k.depth() == 0;
    let p: &[&str] = match (class_uid, leaf) {
        (3006, ["team"] | ["group", "name"] | ["group"]) => &["group.name"],
        (3006, ["repo"] | ["repository"]) if top => {
            return Cand::new(&["group.name"], Conv::Typed, 45)
        }
        (3006, ["org"] | ["organization"]) if top => {
            return Cand::new(&["group.name"], Conv::Typed, 35)
        }
        (3004, ["repo"] | ["repository"] | ["entity", "name"]) => &["entity.name"],
        (1006, ["task", "name"] | ["job", "name"]) => &["job.name"],
        (201004, ["service", "name"]) => &["win_service.name"],
        (201004, ["service", "file", "name"] | ["image", "path"]) => &["win_service.cmd_line"],
        (201004, ["service", "type"]) => &["win_service.service_type"],
        (201004, ["start", "type"]) => &["win_service.service_start_type"],
        (201004, ["service", "account"]) => &["win_service.service_start_name"],
        (1008, ["channel"] | ["log", "name"]) => &["log_name", "metadata.log_name"],
        (3002, ["service", "name"]) => &["service.name"],
        (3002, ["service", "sid"] | ["service", "id"]) => &["service.uid"],
        (3002 | 3003, ["target", "logon", "id"]) => &["session.uid"],
        (_, ["subject", "logon", "id"]) => &["actor.session.uid"],
        (6006 | 2004, ["name"] | ["id"])
            if k.parents.last().is_some_and(|p| p.as_slice() == ["source"])
                && !value.contains('@') =>
        {
            if leaf == ["name"] {
                &["file.name"]
            } else {
                &["file.uid"]
            }
        }
        (1007, ["auid"]) => &["actor.user.uid"],
        (1007, ["uid"]) if value.bytes().all(|c| c.is_ascii_digit()) => &["process.user.uid"],
        _ => return None,
    };
    if p.is_empty() {
        return None;
    }
    Cand::new(p, Conv::Typed, 55)
}

fn endpoint(
    role: Role,
    prop: &'static str,
    k: &KeyWords,
    class_uid: u32,
    conv: Conv,
    score: i32,
) -> Option<Cand> {
    let prefix = match role {
        Role::Src => "src_endpoint",
        Role::Dst => "dst_endpoint",
        _ => {
            // A bare address: the host the record speaks of is the device for host-centric
            // classes, the peer (source) for authentication and API calls, the client of a
            // web request.
            let device = k.any_has("device") && !k.any_has("access")
                || k.leaf_is(&["host"])
                || k.leaf_is(&["hostname"]) && k.depth() == 0;
            if prop == "port" && k.depth() > 0 {
                // A port inside a request or a resource description is not the peer's.
                return None;
            }
            if device && !matches!(prop, "port") {
                "device"
            } else {
                match class_uid {
                    3002 | 3003 | 6003 | 6006 | 4002 | 2004 | 3001 | 3006 => "src_endpoint",
                    _ => return None,
                }
            }
        }
    };
    let path: &'static str = match (prefix, prop) {
        ("src_endpoint", "ip") => "src_endpoint.ip",
        ("src_endpoint", "port") => "src_endpoint.port",
        ("src_endpoint", "mac") => "src_endpoint.mac",
        ("src_endpoint", "hostname") => "src_endpoint.hostname",
        ("dst_endpoint", "ip") => "dst_endpoint.ip",
        ("dst_endpoint", "port") => "dst_endpoint.port",
        ("dst_endpoint", "mac") => "dst_endpoint.mac",
        ("dst_endpoint", "hostname") => "dst_endpoint.hostname",
        ("device", "ip") => "device.ip",
        ("device", "mac") => "device.mac",
        ("device", "hostname") => "device.hostname",
        _ => return None,
    };
    // A more specific name (`IpPort`, `SourcePort`) beats a bare one (`port`).
    Cand::new(&[path], conv, score + k.leaf.len().min(3) as i32)
}

/// Geography of the caller (`client.geographicalContext.city`, `actor_location.country_code`,
/// `httpRequest.country`): a record's place is where its request came from.
fn location(k: &KeyWords, leaf: &[&str]) -> Option<Cand> {
    if leaf.contains(&"country") && k.depth() <= 3 && !k.any_has("target") {
        return Cand::new(&["src_endpoint.location.country"], Conv::Typed, 45);
    }
    let geo = k
        .parents
        .iter()
        .flatten()
        .any(|w| matches!(w.as_str(), "location" | "geographical" | "geolocation" | "geo"))
        || leaf.first().is_some_and(|w| *w == "location") && leaf.len() > 1;
    if !geo {
        return None;
    }
    let p: &[&str] = match leaf.last().copied()? {
        "city" => &["src_endpoint.location.city"],
        "country" | "code" if leaf.contains(&"country") => &["src_endpoint.location.country"],
        "state" | "region" => &["src_endpoint.location.region"],
        "lat" | "latitude" => &["src_endpoint.location.lat"],
        "lon" | "long" | "longitude" => &["src_endpoint.location.long"],
        "postal" | "postalcode" => &["src_endpoint.location.postal_code"],
        "code" if leaf.contains(&"postal") => &["src_endpoint.location.postal_code"],
        _ => return None,
    };
    Cand::new(p, Conv::Typed, 45)
}

fn traffic(leaf: &[&str]) -> Option<&'static [&'static str]> {
    Some(match leaf {
        ["orig", "bytes"]
        | ["bytes", "toserver"]
        | ["bytes", "out"]
        | ["sent", "bytes"]
        | ["bytes", "sent"] => &["traffic.bytes_out"],
        ["resp", "bytes"]
        | ["bytes", "toclient"]
        | ["bytes", "in"]
        | ["received", "bytes"]
        | ["bytes", "received"] => &["traffic.bytes_in"],
        ["orig", "pkts"] | ["pkts", "toserver"] | ["packets", "out"] => &["traffic.packets_out"],
        ["resp", "pkts"] | ["pkts", "toclient"] | ["packets", "in"] => &["traffic.packets_in"],
        _ => return None,
    })
}

fn process(k: &KeyWords, leaf: &[&str], value: &str) -> Option<Cand> {
    let parent = leaf.contains(&"parent") || leaf.contains(&"ppid") || leaf.contains(&"creator");
    let is_path = value.contains('/') || value.contains('\\');
    match leaf {
        ["pid"] | ["new", "process", "id"] | ["process", "id"] | ["execution", "process", "id"]
            if !k.any_has("client") =>
        {
            // The logging service's own pid (NXLog ExecutionProcessID) is not the event's.
            if leaf.contains(&"execution") {
                return None;
            }
            let score = if leaf.contains(&"new") { 60 } else { 50 };
            Cand::new(&["process.pid"], Conv::Pid, score)
        }
        ["ppid"] | ["parent", "process", "id"] | ["creator", "process", "id"] => {
            Cand::new(&["process.parent_process.pid"], Conv::Pid, 55)
        }
        ["cmd"] | ["cmdline"] | ["command", "line"] | ["command"] | ["proctitle"] => {
            Cand::new(&["process.cmd_line"], Conv::Typed, 55)
        }
        ["exe"] | ["image"] => Cand::new(&["process.file.path", "process.name"], Conv::Typed, 55),
        ["comm"]
        | ["process", "name"]
        | ["new", "process", "name"]
        | ["parent", "process", "name"]
        | ["application"]
        | ["process"]
            if is_path || leaf.contains(&"process") || leaf == ["comm"] =>
        {
            if leaf == ["application"] && !is_path {
                return None;
            }
            let score = if leaf.contains(&"new") { 60 } else { 50 };
            match (parent, is_path) {
                (true, true) => {
                    Cand::new(&["process.parent_process.file.path"], Conv::Typed, score)
                }
                (true, false) => Cand::new(&["process.parent_process.name"], Conv::Typed, score),
                (false, true) => Cand::new(&["process.file.path"], Conv::Typed, score),
                (false, false) => Cand::new(&["process.name"], Conv::Typed, score),
            }
        }
        _ => None,
    }
}

fn finding(k: &KeyWords, leaf: &[&str], class_uid: u32) -> Option<Cand> {
    if class_uid / 1000 != 2 {
        return None;
    }
    let p: &[&str] = match leaf {
        ["title"] | ["signature"] => &["finding_info.title"],
        ["signature", "id"] | ["id"] | ["finding", "id"] | ["uuid"] if k.depth() <= 1 => {
            &["finding_info.uid"]
        }
        ["description"] | ["desc"] if k.depth() == 0 => &["finding_info.desc"],
        ["type"] if k.depth() == 0 => &["finding_info.types"],
        ["category"] if k.parent_has("alert") => &["finding_info.types"],
        ["created", "at"] => &["finding_info.created_time"],
        ["updated", "at"] => &["finding_info.modified_time"],
        ["event", "first", "seen"] | ["first", "seen"] => &["finding_info.first_seen_time"],
        ["event", "last", "seen"] | ["last", "seen"] => &["finding_info.last_seen_time"],
        _ => return None,
    };
    Cand::new(p, Conv::Typed, 55 - k.depth() as i32)
}

fn file(k: &KeyWords, leaf: &[&str], class_uid: u32) -> Option<Cand> {
    let p: &[&str] = match leaf {
        ["item", "name"] | ["doc", "title"] | ["file", "name"] => &["file.name"],
        ["item", "id"] | ["doc", "id"] | ["file", "id"] => &["file.uid"],
        ["doc", "type"] | ["item", "type"] | ["file", "type"] => &["file.type"],
        ["file", "path"] | ["filepath"] | ["target", "filename"] => &["file.path"],
        ["name"] if class_uid == 4006 && k.depth() == 0 => &["file.name"],
        ["path"] if class_uid == 4006 && k.depth() == 0 => &["share"],
        ["share", "type"] if class_uid == 4006 => &["share_type"],
        ["size"] if k.depth() == 0 && matches!(class_uid, 4006 | 6006 | 1001) => &["file.size"],
        _ => return None,
    };
    Cand::new(p, Conv::Typed, 50)
}

fn user(k: &KeyWords, leaf: &[&str], value: &str, class_uid: u32) -> Option<Cand> {
    let userish = k.any_has("user")
        || k.any_has("actor")
        || k.any_has("principal")
        || k.any_has("member")
        || k.any_has("login")
        || k.any_has("account")
        || k.any_has("identity")
        || k.any_has("subject")
        || (k.any_has("created") && k.any_has("by"))
        || k.any_has("owner")
        || (k.parent_has("target")
            && matches!(
                leaf,
                ["alternate", "id"]
                    | ["display", "name"]
                    | ["id"]
                    | ["type"]
                    | ["login"]
                    | ["email"]
            ))
        || (matches!(leaf.first(), Some(&"target") | Some(&"subject"))
            && (leaf.contains(&"domain") || leaf.contains(&"sid")))
        || (class_uid == 3002 && k.leaf_is(&["client"]));
    if !userish || leaf.first() == Some(&"resource") {
        return None;
    }
    // The property.
    let prop = match leaf {
        l if l.contains(&"result") || l.contains(&"status") => return None,
        l if l.contains(&"sid")
            || l.ends_with(&["id"]) && !l.contains(&"logon") && !l.contains(&"session") =>
        {
            if l.contains(&"access") && l.contains(&"key") {
                "credential_uid"
            } else if l.contains(&"account") && l.len() == 2 {
                "account.uid"
            } else if l.contains(&"alternate") {
                "name"
            } else {
                "uid"
            }
        }
        l if l.contains(&"email") || l.contains(&"mail") => "email_addr",
        l if l.contains(&"domain") => "domain",
        l if l.contains(&"display") || l.contains(&"full") => "full_name",
        ["arn"] => "uid_alt",
        ["type"] | ["user", "type"] => "type",
        ["team"] => return None,
        ["invoked", "by"] => return Cand::new(&["actor.invoked_by"], Conv::Typed, 45),
        l if l.iter().any(|w| {
            matches!(
                *w,
                "name" | "user" | "username" | "actor" | "principal" | "upn" | "client" | "member"
            )
        }) || matches!(l, ["login"] | ["login", "name"] | ["login", "id"])
            || l.ends_with(&["principal", "name"]) =>
        {
            // A user object's plain `name` next to `login` is the person's display name.
            if l == ["name"] && (k.any_has("created") || k.any_has("owned")) {
                "full_name"
            } else {
                "name"
            }
        }
        _ => return None,
    };
    if prop == "name" && (value.is_empty() || value == "-") {
        return None;
    }
    if prop == "uid_alt" && role(k, true) == Role::Actor {
        // An ARN is the alternate id, and the id too when nothing else gives one.
        return Cand::new(&["actor.user.uid_alt"], Conv::Typed, 50)
            .map(|c| c.with_also(&["actor.user.uid"]));
    }
    let role = role(k, true);
    let score = 50 - k.depth() as i32 + i32::from(prop == "name") * 5;
    if prop == "email_addr" {
        // An address is also how the person is named when nothing else names them.
        let (main, also): (&[&str], &[&str]) = match role {
            Role::Actor => (&["actor.user.email_addr"], &["actor.user.name"]),
            _ => (&["user.email_addr", "actor.user.email_addr"], &["user.name", "actor.user.name"]),
        };
        return Cand::new(main, Conv::Typed, score).map(|c| c.with_also(also));
    }
    let in_group_class = matches!(class_uid, 3006);
    let paths: &[&str] = match (role, prop, in_group_class) {
        (Role::Target, "name", true) => &["group.name"],
        (Role::Target, "uid", true) => &["group.uid"],
        (Role::Target, "domain", true) => &["group.domain"],
        (Role::Member, "name", _) => &["user.name"],
        (Role::Member, "uid", _) => &["user.uid"],
        (Role::Actor, p, _) => actor_path(p),
        // The affected account is never the actor.
        (Role::Target, p, _) => &user_path(p)[..user_path(p).len().min(1)],
        (Role::None | Role::Member, p, _) => user_path(p),
        _ => return None,
    };
    if paths.is_empty() {
        return None;
    }
    Cand::new(paths, Conv::Typed, score)
}

fn actor_path(p: &str) -> &'static [&'static str] {
    match p {
        "name" => &["actor.user.name"],
        "uid" => &["actor.user.uid"],
        "email_addr" => &["actor.user.email_addr"],
        "domain" => &["actor.user.domain"],
        "full_name" => &["actor.user.full_name"],
        "type" => &["actor.user.type"],
        "credential_uid" => &["actor.user.credential_uid"],
        "account.uid" => &["actor.user.account.uid"],
        "uid_alt" => &["actor.user.uid_alt"],
        _ => &[],
    }
}

/// The event's user when the class has one, else the actor's.
fn user_path(p: &str) -> &'static [&'static str] {
    match p {
        "name" => &["user.name", "actor.user.name"],
        "uid" => &["user.uid", "actor.user.uid"],
        "email_addr" => &["user.email_addr", "actor.user.email_addr"],
        "domain" => &["user.domain", "actor.user.domain"],
        "full_name" => &["user.full_name", "actor.user.full_name"],
        "type" => &["user.type", "actor.user.type"],
        "credential_uid" => &["user.credential_uid", "actor.user.credential_uid"],
        "account.uid" => &["user.account.uid", "actor.user.account.uid"],
        "uid_alt" => &["user.uid_alt", "actor.user.uid_alt"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(key: &str, value: &str, class: u32) -> Vec<&'static str> {
        concept(&KeyWords::new(key), value, class).map(|c| c.paths).unwrap_or_default()
    }

    #[test]
    fn key_words() {
        let k = KeyWords::new("userIdentity.sessionContext.attributes.mfaAuthenticated");
        assert_eq!(k.leaf, vec!["mfa", "authenticated"]);
        assert_eq!(k.parents.len(), 3);
        assert_eq!(KeyWords::new("target[2].alternateId").index, Some(2));
        assert_eq!(KeyWords::new("id_orig_h").leaf, vec!["id", "orig", "h"]);
    }

    #[test]
    fn endpoints() {
        assert_eq!(paths("id_orig_h", "10.0.0.1", 4001), vec!["src_endpoint.ip"]);
        assert_eq!(paths("id_resp_p", "53", 4003), vec!["dst_endpoint.port"]);
        assert_eq!(paths("sourceIPAddress", "203.0.113.5", 6003), vec!["src_endpoint.ip"]);
        assert_eq!(
            paths("sourceIPAddress", "cloudformation.amazonaws.com", 6003),
            vec!["src_endpoint.hostname"]
        );
        assert_eq!(paths("DestAddress", "10.0.0.2", 4001), vec!["dst_endpoint.ip"]);
        assert_eq!(paths("SPT", "5555", 4001), vec!["src_endpoint.port"]);
        assert_eq!(paths("client.ipAddress", "1.2.3.4", 3002), vec!["src_endpoint.ip"]);
        assert_eq!(paths("IpAddress", "1.2.3.4", 3002), vec!["src_endpoint.ip"]);
        assert_eq!(paths("IpPort", "60064", 3002), vec!["src_endpoint.port"]);
        assert_eq!(paths("Hostname", "ws1.example.com", 3002), vec!["device.hostname"]);
    }

    #[test]
    fn users() {
        assert_eq!(paths("TargetUserName", "alice", 3002), vec!["user.name"]);
        assert_eq!(paths("SubjectUserName", "bob", 3002), vec!["actor.user.name"]);
        assert_eq!(paths("TargetUserName", "Admins", 3006), vec!["group.name"]);
        assert_eq!(
            paths("userIdentity.arn", "arn:aws:iam::1:user/x", 6003),
            vec!["actor.user.uid_alt"]
        );
        assert_eq!(paths("actor.alternateId", "a@example.com", 3002), vec!["actor.user.name"]);
        assert_eq!(paths("USER_NAME", "ckent", 3002), vec!["user.name", "actor.user.name"]);
        assert_eq!(paths("created_by.login", "cat@example", 6006), vec!["actor.user.name"]);
    }

    #[test]
    fn web_api_and_process() {
        assert_eq!(paths("httpRequest.httpMethod", "GET", 4002), vec!["http_request.http_method"]);
        assert_eq!(paths("user_agent", "curl/8", 4002), vec!["http_request.user_agent"]);
        assert_eq!(paths("status", "404", 4002), vec!["http_response.code"]);
        assert_eq!(paths("eventName", "PutObject", 6003), vec!["api.operation"]);
        assert_eq!(paths("awsRegion", "us-east-1", 6003), vec!["cloud.region"]);
        assert_eq!(
            paths("NewProcessName", "C:\\Windows\\cmd.exe", 1007),
            vec!["process.file.path"]
        );
        assert_eq!(paths("CommandLine", "cmd /c dir", 1007), vec!["process.cmd_line"]);
        assert_eq!(paths("query", "example.com", 4003), vec!["query.hostname"]);
        assert!(paths("TTL", "45", 4001).is_empty());
    }
}
