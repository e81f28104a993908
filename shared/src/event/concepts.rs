//! The table of field readings: what a source field is about, from the words of its key
//! ([`KeyWords`]), a glance at its value and the class.
//!
//! [`RULES`] is an ordered list of rows; [`concept`] asks them in turn and the first row with
//! something to say decides. A row either maps the field ([`Outcome::Map`]), stops the search
//! with no reading ([`Outcome::Stop`]: the key is recognised as not being what later rows
//! would take it for), or passes it on ([`Outcome::Next`]). With no reading here the caller
//! falls back to the schema dictionary (`mapping::dictionary`).
//!
//! A new mapping is a row: a function below, its name in [`RULES`] where the order wants it,
//! and a case in the tests' `CASES` (a row without one fails `every_rule_has_a_case`).

use super::keys::{leaf_text, looks_like_hostname, role, Cand, Conv, KeyWords, Role, DST, SRC};
use super::validate::is_ip;

// Scores matter only when two fields of one record land on the same attribute
// (`mapping::settle_conflicts`: the higher keeps it, a tie goes to the earlier field). The
// dictionary fallback scores 30 and an `also` claim 10 below its field, so every reading here
// outranks a key that merely spells an attribute's name. A nested key loses a point per
// parent ([`Field::nesting`]) where shallow and nested keys compete (`src_ip` against
// `request.src_ip`).

/// The key is the attribute's usual name (`httpMethod`, `src_ip`, `NewProcessName`).
const EXACT: i32 = 60;
/// A specific name that is rarely anything else (`CommandLine`, `awsRegion`, a DNS `qname`).
const STRONG: i32 = 55;
/// A plain name for the attribute (`ProcessName`, `file_name`, a user's `id`).
const PLAIN: i32 = 50;
/// A likely reading a more specific field should beat (`bytes_in`, `country`, `tenant_id`).
const LIKELY: i32 = 45;
/// A generic name (`zone`, `proto`, `duration`, `channel`).
const WEAK: i32 = 40;
/// Only when nothing else claims the attribute (`reason`, `sequence`, a bare `ID`).
const FALLBACK: i32 = 35;

/// What a row says about a field.
#[derive(Debug)]
enum Outcome {
    /// This reading.
    Map(Cand),
    /// No reading, and no later row may give one.
    Stop,
    /// Not this row's field: ask the next.
    Next,
}

use Outcome::{Map, Next, Stop};

impl Outcome {
    /// The row owns the field: a missing reading ends the search.
    fn settle(c: Option<Cand>) -> Outcome {
        c.map_or(Stop, Map)
    }
}

fn map(paths: &[&'static str], conv: Conv, score: i32) -> Outcome {
    Map(Cand::new(paths, conv, score))
}

/// What every row reads.
struct Field<'a> {
    k: &'a KeyWords,
    leaf: Vec<&'a str>,
    /// The leaf's last word.
    last: &'a str,
    value: &'a str,
    class: u32,
}

impl<'a> Field<'a> {
    /// `None` for a key with no words.
    fn new(k: &'a KeyWords, value: &'a str, class: u32) -> Option<Field<'a>> {
        let leaf: Vec<&str> = k.leaf.iter().map(String::as_str).collect();
        let last = *leaf.last()?;
        Some(Field { k, leaf, last, value, class })
    }

    /// The score penalty of a nested key.
    fn nesting(&self) -> i32 {
        self.k.depth() as i32
    }
}

/// A row: its name (what the tests and the order's notes call it) and what it says.
struct Rule {
    name: &'static str,
    when: fn(&Field) -> Outcome,
}

/// Rows named after their functions.
macro_rules! rules {
    ($($row:ident),* $(,)?) => { &[$(Rule { name: stringify!($row), when: $row }),*] };
}

/// The rows, first match wins. Most rows read disjoint keys and sit with their subject; where
/// two rows would both answer, the earlier one must win. These overlaps occur in the corpus:
///
/// - `second_factor_device` stops Duo `auth_device.ip` and `auth_device.location.city`
///   before `endpoint_address` and `location` take them for the caller's.
/// - `cloud_zone` takes GCP `resource.labels.zone` before `resource_labels`, which maps the
///   labels it knows (`project_id` before `project`) and stops the rest
///   (`resource.labels.method` is no HTTP method, `service_name` no service).
/// - `location` before `cloud_region`: `location.countryOrRegion` is the caller's country.
/// - `endpoint_address` before `user`: `actor_ip` is an address, not the actor.
/// - `user_agent` and `app_name` before `user`: `user_agent`, `Actor.ApplicationName` are
///   not users. `referrer` before `url`: `refererURL`.
/// - `http_status` before `outcome`: a web request's numeric `status` is its response code.
/// - `api_service` before `class_specific`: a dotted `serviceName` in a sign-in is also the
///   API's service.
/// - `cloud_account` before `user`: `recipientAccountId` is the cloud account.
/// - `class_specific` before `finding` and `log_name`: in a detection finding (2004) a Box
///   `source.id` is the file's; in a log event (1008) `logName` is the event's own log.
/// - `finding` before `user`, `message` and the record ids: in a finding class `id`, `uuid`,
///   `description`, `created_by.id` are the finding's.
/// - `session_issuer` before `session_context` and `user`: the rest of CloudTrail's
///   `sessionIssuer` (its `accountId`, `userName`) is stopped, not read as the actor.
/// - `event_code` before `original_event_uid`: a short numeric `EventID` is the code.
const RULES: &[Rule] = rules![
    // Decided by a parent or an exact name before the generic rows read the words.
    second_factor_device,
    source_os,
    signed_in_app,
    received_time,
    cloud_zone,
    resource_labels,
    // Endpoints.
    bare_role_address,
    location,
    endpoint_address,
    host_name,
    interface,
    // HTTP.
    http_method,
    user_agent,
    referrer,
    url,
    http_version,
    http_status,
    http_length,
    // DNS and network.
    dns,
    traffic,
    protocol,
    tls_cipher,
    tls_version,
    auth_protocol,
    duration_seconds,
    duration_ms,
    // Processes.
    process,
    // Cloud and API.
    cloud_region,
    cloud_account,
    project,
    tenant,
    api_operation,
    api_service,
    api_event_type,
    api_call,
    app_name,
    request_id,
    error_code,
    error_message,
    resource_ref,
    resource_name,
    // What the class gives a meaning: its own fields, findings, files.
    class_specific,
    privileges,
    finding,
    file,
    // Cloud sessions, the log's version, then users and groups.
    session_issuer,
    session_context,
    log_version,
    user,
    // Outcome.
    outcome,
    status_detail,
    status_code,
    // Log bookkeeping.
    event_code,
    original_event_uid,
    correlation_uid,
    sequence,
    log_name,
    log_provider,
    connection_uid,
    message,
    record_id,
];

/// Candidate attributes for a field, given its key words, value and class.
pub(crate) fn concept(k: &KeyWords, value: &str, class_uid: u32) -> Option<Cand> {
    let f = Field::new(k, value, class_uid)?;
    match first_match(&f) {
        Some((_, Map(c))) => Some(c),
        _ => None,
    }
}

/// The first row with something to say, and what it says.
fn first_match(f: &Field) -> Option<(&'static str, Outcome)> {
    RULES.iter().find_map(|r| match (r.when)(f) {
        Next => None,
        o => Some((r.name, o)),
    })
}

/// The second-factor device of a sign-in is neither the event's device nor an endpoint.
fn second_factor_device(f: &Field) -> Outcome {
    if f.k.parent_has("auth") && f.k.parent_has("device") {
        return Stop;
    }
    Next
}

fn source_os(f: &Field) -> Outcome {
    if f.k.leaf_is(&["os"]) && role(f.k, false) == Role::Src {
        return map(&["src_endpoint.os.name"], Conv::Typed, WEAK);
    }
    Next
}

/// The application signed in to (Duo `application.name`).
fn signed_in_app(f: &Field) -> Outcome {
    let app_parent = matches!(
        f.k.parents.last().map(Vec::as_slice),
        Some([a]) if a == "application" || a == "app"
    );
    if !(app_parent && f.class == 3002) {
        return Next;
    }
    match f.leaf.as_slice() {
        ["name"] => map(&["service.name"], Conv::Typed, PLAIN),
        ["key"] | ["id"] | ["uid"] => map(&["service.uid"], Conv::Typed, LIKELY),
        _ => Stop,
    }
}

/// When the collector received the record.
fn received_time(f: &Field) -> Outcome {
    if matches!(
        f.leaf.as_slice(),
        ["receive", "timestamp"]
            | ["event", "received", "time"]
            | ["received", "time"]
            | ["receive", "time"]
    ) {
        return map(&["metadata.logged_time"], Conv::Typed, WEAK);
    }
    Next
}

/// Cloud placement of the resource (GCP `resource.labels.zone`).
fn cloud_zone(f: &Field) -> Outcome {
    if f.k.leaf_is(&["zone"]) && !f.k.any_has("client") {
        return map(&["cloud.zone"], Conv::Typed, WEAK);
    }
    Next
}

/// GCP `resource.labels.*`.
fn resource_labels(f: &Field) -> Outcome {
    if !(f.k.parent_has("resource") && f.k.parent_has("labels")) {
        return Next;
    }
    match f.leaf.as_slice() {
        ["location"] => map(&["cloud.region"], Conv::Typed, WEAK),
        ["instance", "id"] => map(&["resources.uid"], Conv::Typed, WEAK),
        ["project", "id"] => map(&["cloud.project_uid"], Conv::Typed, LIKELY),
        _ => Stop,
    }
}

/// A bare role key holding an address (`SRC=`, `dst=`).
fn bare_role_address(f: &Field) -> Outcome {
    if f.k.leaf.len() == 1 && is_ip(f.value) && (SRC.contains(&f.last) || DST.contains(&f.last)) {
        let score = EXACT - f.nesting();
        return Outcome::settle(endpoint(role(f.k, false), "ip", f, Conv::Typed, score));
    }
    Next
}

/// Geography of the caller (`client.geographicalContext.city`, `actor_location.country_code`,
/// `httpRequest.country`): a record's place is where its request came from.
fn location(f: &Field) -> Outcome {
    let (k, leaf) = (f.k, f.leaf.as_slice());
    if leaf.contains(&"country") && k.depth() <= 3 && !k.any_has("target") {
        return map(&["src_endpoint.location.country"], Conv::Typed, LIKELY);
    }
    let geo = k
        .parents
        .iter()
        .flatten()
        .any(|w| matches!(w.as_str(), "location" | "geographical" | "geolocation" | "geo"))
        || leaf.first().is_some_and(|w| *w == "location") && leaf.len() > 1;
    if !geo {
        return Next;
    }
    let p: &[&str] = match f.last {
        "city" => &["src_endpoint.location.city"],
        "country" | "code" if leaf.contains(&"country") => &["src_endpoint.location.country"],
        "state" | "region" => &["src_endpoint.location.region"],
        "lat" | "latitude" => &["src_endpoint.location.lat"],
        "lon" | "long" | "longitude" => &["src_endpoint.location.long"],
        "postal" | "postalcode" => &["src_endpoint.location.postal_code"],
        "code" if leaf.contains(&"postal") => &["src_endpoint.location.postal_code"],
        _ => return Next,
    };
    map(p, Conv::Typed, LIKELY)
}

/// Endpoint addresses: ip, port, mac.
fn endpoint_address(f: &Field) -> Outcome {
    let (k, leaf, last, value) = (f.k, f.leaf.as_slice(), f.last, f.value);
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
    if !(ip_word || port_word || mac_word) {
        return Next;
    }
    let prop = if ip_word {
        "ip"
    } else if port_word {
        "port"
    } else {
        "mac"
    };
    if prop == "ip" && !is_ip(value) && looks_like_hostname(value) {
        // An "ip" field holding a name (CloudTrail `sourceIPAddress` = a service): a guess,
        // so a real host name field beats it.
        let score = STRONG - f.nesting();
        return Outcome::settle(endpoint(role(k, false), "hostname", f, Conv::HostOrIp, score));
    }
    if prop == "ip" && !is_ip(value) {
        return Stop;
    }
    Outcome::settle(endpoint(role(k, false), prop, f, Conv::Typed, EXACT - f.nesting()))
}

/// Host names (`Computer`, `hostname`, `WorkstationName`, a bare `host`).
fn host_name(f: &Field) -> Outcome {
    let (k, leaf) = (f.k, f.leaf.as_slice());
    if !(leaf.iter().any(|w| matches!(*w, "hostname" | "computer" | "workstation" | "fqdn"))
        || k.leaf_is(&["host"])
        || k.leaf_is(&["vhost"]))
    {
        return Next;
    }
    let r = role(k, false);
    let r = if leaf.contains(&"workstation") && r == Role::None { Role::Src } else { r };
    // A bare `host` is often the collector; an explicit host name wins over it.
    let explicit = leaf.contains(&"hostname") || leaf.contains(&"computer");
    let score = if explicit { PLAIN + 2 } else { PLAIN - 2 };
    Outcome::settle(endpoint(r, "hostname", f, Conv::HostOrIp, score - f.nesting()))
}

/// Interfaces of a packet filter log (`IN=eth0 OUT=`).
fn interface(f: &Field) -> Outcome {
    if !(f.k.leaf_is(&["in"]) || f.k.leaf_is(&["out"])) {
        return Next;
    }
    let paths: &[&str] = if f.last == "in" {
        &["src_endpoint.interface_name"]
    } else {
        &["dst_endpoint.interface_name"]
    };
    map(paths, Conv::Typed, WEAK)
}

/// The request method; a SIP method is not HTTP's.
fn http_method(f: &Field) -> Outcome {
    if f.leaf.contains(&"method") && !f.leaf.contains(&"name") {
        if f.k.any_has("sip") {
            return Stop;
        }
        return map(&["http_request.http_method"], Conv::Typed, EXACT - f.nesting());
    }
    Next
}

fn user_agent(f: &Field) -> Outcome {
    let leaf = &f.leaf;
    if leaf.contains(&"agent") && (leaf.contains(&"user") || leaf.contains(&"raw"))
        || f.k.leaf_is(&["ua"])
    {
        // The raw header beats a parsed or normalised copy of it.
        let raw = i32::from(leaf.contains(&"raw")) * 2;
        return map(&["http_request.user_agent"], Conv::Typed, EXACT - f.nesting() + raw);
    }
    Next
}

fn referrer(f: &Field) -> Outcome {
    if f.leaf.iter().any(|w| matches!(*w, "referrer" | "referer")) {
        return map(&["http_request.referrer"], Conv::Typed, STRONG);
    }
    Next
}

fn url(f: &Field) -> Outcome {
    let k = f.k;
    if matches!(f.last, "uri" | "url") && !k.any_has("sip")
        || (k.leaf_is(&["path"]) && matches!(f.class, 4002))
        || k.leaf_is(&["request", "uri"])
    {
        return map(&["http_request.url"], Conv::Url, PLAIN - f.nesting());
    }
    Next
}

fn http_version(f: &Field) -> Outcome {
    if f.k.leaf_is(&["protocol"]) && f.value.starts_with("HTTP/") {
        return map(&["http_request.version"], Conv::HttpVersion, PLAIN);
    }
    Next
}

/// The status of a web request is its response code.
fn http_status(f: &Field) -> Outcome {
    if f.class == 4002
        && (f.k.leaf_is(&["status"]) || f.k.leaf_is(&["status", "code"]))
        && f.value.parse::<u16>().is_ok()
    {
        return map(&["http_response.code"], Conv::Typed, EXACT);
    }
    Next
}

fn http_length(f: &Field) -> Outcome {
    if f.class == 4002 && f.k.leaf_is(&["bytes"]) {
        return map(&["http_response.length"], Conv::Typed, LIKELY);
    }
    Next
}

fn dns(f: &Field) -> Outcome {
    if f.class != 4003 {
        return Next;
    }
    let p: &[&str] = match f.leaf.as_slice() {
        ["query"] | ["qname"] | ["query", "name"] => &["query.hostname"],
        ["qtype", "name"] | ["query", "type"] => &["query.type"],
        ["qclass", "name"] | ["query", "class"] => &["query.class"],
        ["trans", "id"] => &["query.packet_uid"],
        ["rcode", "name"] => &["rcode"],
        ["answers"] => &["answers.rdata"],
        _ if f.k.raw_leaf == "ttls" => &["answers.ttl"],
        _ => return Next,
    };
    map(p, Conv::Typed, STRONG)
}

/// Network traffic counters.
fn traffic(f: &Field) -> Outcome {
    let p: &[&str] = match f.leaf.as_slice() {
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
        _ => return Next,
    };
    map(p, Conv::Typed, LIKELY)
}

/// The transport protocol, by number or name (`proto=6`, `PROTO=TCP`).
fn protocol(f: &Field) -> Outcome {
    let value = f.value;
    if !(matches!(f.last, "proto" | "protocol" | "transport")
        && f.k.leaf.len() == 1
        && value.len() <= 8
        && value.bytes().all(|c| c.is_ascii_alphanumeric()))
    {
        return Next;
    }
    if value.bytes().all(|c| c.is_ascii_digit()) {
        return map(&["connection_info.protocol_num"], Conv::Typed, WEAK);
    }
    map(&["connection_info.protocol_name"], Conv::Typed, WEAK)
}

/// TLS details (Zeek ssl.log).
fn tls_cipher(f: &Field) -> Outcome {
    if f.k.depth() == 0
        && f.k.leaf_is(&["cipher"])
        && (f.value.starts_with("TLS_") || f.value.starts_with("SSL_"))
    {
        return map(&["tls.cipher"], Conv::Typed, WEAK);
    }
    Next
}

fn tls_version(f: &Field) -> Outcome {
    if f.k.depth() == 0
        && f.k.leaf_is(&["version"])
        && (f.value.starts_with("TLS") || f.value.starts_with("SSL"))
    {
        return map(&["tls.version"], Conv::Typed, WEAK);
    }
    Next
}

fn auth_protocol(f: &Field) -> Outcome {
    if matches!(
        f.leaf.as_slice(),
        ["authentication", "package", "name"]
            | ["auth", "protocol"]
            | ["authentication", "protocol"]
    ) {
        return map(&["auth_protocol"], Conv::Typed, LIKELY);
    }
    Next
}

/// A fractional `duration` is in seconds (Zeek).
fn duration_seconds(f: &Field) -> Outcome {
    if f.k.leaf_is(&["duration"]) && f.value.contains('.') {
        return map(&["duration"], Conv::SecondsToMs, WEAK);
    }
    Next
}

fn duration_ms(f: &Field) -> Outcome {
    if f.k.leaf_is(&["duration", "ms"]) {
        return map(&["duration"], Conv::Typed, WEAK);
    }
    Next
}

/// The process, its parent, command line and image.
fn process(f: &Field) -> Outcome {
    let (k, leaf, value) = (f.k, f.leaf.as_slice(), f.value);
    let parent = leaf.contains(&"parent") || leaf.contains(&"ppid") || leaf.contains(&"creator");
    let is_path = value.contains('/') || value.contains('\\');
    // The process a record is about (Windows `NewProcess*`) beats its creator's fields.
    let created = if leaf.contains(&"new") { EXACT } else { PLAIN };
    match leaf {
        ["pid"] | ["new", "process", "id"] | ["process", "id"] | ["execution", "process", "id"]
            if !k.any_has("client") =>
        {
            // The logging service's own pid (NXLog ExecutionProcessID) is not the event's.
            if leaf.contains(&"execution") {
                return Next;
            }
            map(&["process.pid"], Conv::Pid, created)
        }
        ["ppid"] | ["parent", "process", "id"] | ["creator", "process", "id"] => {
            map(&["process.parent_process.pid"], Conv::Pid, STRONG)
        }
        ["cmd"] | ["cmdline"] | ["command", "line"] | ["command"] | ["proctitle"] => {
            map(&["process.cmd_line"], Conv::Typed, STRONG)
        }
        ["exe"] | ["image"] => map(&["process.file.path", "process.name"], Conv::Typed, STRONG),
        ["comm"]
        | ["process", "name"]
        | ["new", "process", "name"]
        | ["parent", "process", "name"]
        | ["application"]
        | ["process"]
            if is_path || leaf.contains(&"process") || leaf == ["comm"] =>
        {
            if leaf == ["application"] && !is_path {
                return Next;
            }
            let p = match (parent, is_path) {
                (true, true) => "process.parent_process.file.path",
                (true, false) => "process.parent_process.name",
                (false, true) => "process.file.path",
                (false, false) => "process.name",
            };
            map(&[p], Conv::Typed, created)
        }
        _ => Next,
    }
}

fn cloud_region(f: &Field) -> Outcome {
    if f.leaf.contains(&"region") {
        return map(&["cloud.region"], Conv::Typed, STRONG - f.nesting());
    }
    Next
}

fn cloud_account(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["recipient", "account", "id"] | ["account", "id"])
        && f.k.depth() == 0
    {
        return map(&["cloud.account.uid"], Conv::Typed, PLAIN);
    }
    Next
}

fn project(f: &Field) -> Outcome {
    if f.leaf.as_slice() == ["project", "id"] {
        return map(&["cloud.project_uid"], Conv::Typed, LIKELY);
    }
    Next
}

fn tenant(f: &Field) -> Outcome {
    if f.leaf.as_slice() == ["tenant", "id"] {
        return map(&["metadata.tenant_uid"], Conv::Typed, LIKELY);
    }
    Next
}

/// The API call (CloudTrail `eventName`, Kubernetes `verb`).
fn api_operation(f: &Field) -> Outcome {
    if matches!(
        f.leaf.as_slice(),
        ["event", "name"] | ["method", "name"] | ["verb"] | ["operation", "name"]
    ) || (f.class == 6003 && f.k.leaf_is(&["action"]) && f.k.depth() == 0)
    {
        return map(&["api.operation"], Conv::Typed, STRONG);
    }
    Next
}

/// A dotted service name (`eventSource: s3.amazonaws.com`).
fn api_service(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["event", "source"] | ["service", "name"])
        && f.value.contains('.')
    {
        let paths = &["service.name", "api.service.name"];
        return map(paths, Conv::Typed, PLAIN - f.nesting());
    }
    Next
}

/// An API activity's `event_type` names the call when nothing better does.
fn api_event_type(f: &Field) -> Outcome {
    if f.class == 6003 && matches!(f.leaf.as_slice(), ["event", "type"]) && f.k.depth() == 0 {
        return map(&["api.operation"], Conv::Typed, LIKELY);
    }
    Next
}

fn api_call(f: &Field) -> Outcome {
    if f.k.leaf_is(&["api"]) && !f.value.starts_with('{') {
        return map(&["api.operation"], Conv::Typed, LIKELY);
    }
    Next
}

/// The application or resource acted on, as a service.
fn app_name(f: &Field) -> Outcome {
    let value = f.value;
    if matches!(
        f.leaf.as_slice(),
        ["app", "display", "name"] | ["application", "name"] | ["resource", "display", "name"]
    ) || (f.k.leaf_is(&["application"])
        && !value.starts_with('{')
        && !value.contains('\\')
        && !value.contains('/'))
    {
        let app = f.leaf.contains(&"app") || f.leaf.contains(&"application");
        return map(&["service.name"], Conv::Typed, if app { LIKELY } else { WEAK });
    }
    Next
}

fn request_id(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["request", "id"]) {
        return map(&["api.request.uid"], Conv::Typed, WEAK - f.nesting());
    }
    Next
}

fn error_code(f: &Field) -> Outcome {
    if !matches!(f.leaf.as_slice(), ["error", "code"]) {
        return Next;
    }
    let p: &[&str] =
        if f.class == 6003 { &["api.response.error", "status_code"] } else { &["status_code"] };
    map(p, Conv::Typed, LIKELY)
}

fn error_message(f: &Field) -> Outcome {
    if !matches!(f.leaf.as_slice(), ["error", "message"] | ["failure", "reason"] | ["error", "msg"])
    {
        return Next;
    }
    let p: &[&str] = if f.class == 6003 {
        &["api.response.error_message", "status_detail"]
    } else {
        &["status_detail"]
    };
    map(p, Conv::Typed, LIKELY)
}

/// The resource acted on (Kubernetes `objectRef.*`, a `resource.*` object).
fn resource_ref(f: &Field) -> Outcome {
    let k = f.k;
    if !(k.parent_has("object") && k.parent_has("ref")
        || k.parents.last().is_some_and(|p| p.as_slice() == ["resource"]))
    {
        return Next;
    }
    let p: &[&str] = match f.last {
        "name" => &["resources.name"],
        "resource" | "type" => &["resources.type"],
        "namespace" => &["resources.namespace"],
        _ => return Next,
    };
    map(p, Conv::Typed, WEAK)
}

fn resource_name(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["resource", "name"]) {
        return map(&["resources.name"], Conv::Typed, WEAK);
    }
    Next
}

/// Fields whose meaning depends on the class: the group of a group change, the entity of
/// an entity change, the job, the Windows service, the hosted file, the log of a log event.
fn class_specific(f: &Field) -> Outcome {
    let (k, leaf, value) = (f.k, f.leaf.as_slice(), f.value);
    let top = k.depth() == 0;
    let p: &[&str] = match (f.class, leaf) {
        (3006, ["team"] | ["group", "name"] | ["group"]) => &["group.name"],
        // The repository or organisation is the group only when no team names it.
        (3006, ["repo"] | ["repository"]) if top => {
            return map(&["group.name"], Conv::Typed, LIKELY)
        }
        (3006, ["org"] | ["organization"]) if top => {
            return map(&["group.name"], Conv::Typed, FALLBACK)
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
        _ => return Next,
    };
    if p.is_empty() {
        return Next;
    }
    map(p, Conv::Typed, STRONG)
}

fn privileges(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["privilege", "list"] | ["privileges"]) {
        return map(&["privileges"], Conv::Words, PLAIN);
    }
    Next
}

/// The finding of a findings class (`title`, `signature_id`, `first_seen`).
fn finding(f: &Field) -> Outcome {
    let k = f.k;
    if f.class / 1000 != 2 {
        return Next;
    }
    let p: &[&str] = match f.leaf.as_slice() {
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
        _ => return Next,
    };
    map(p, Conv::Typed, STRONG - f.nesting())
}

/// The file acted on (Box `item_name`, a file share's `path`).
fn file(f: &Field) -> Outcome {
    let (k, class) = (f.k, f.class);
    let p: &[&str] = match f.leaf.as_slice() {
        ["item", "name"] | ["doc", "title"] | ["file", "name"] => &["file.name"],
        ["item", "id"] | ["doc", "id"] | ["file", "id"] => &["file.uid"],
        ["doc", "type"] | ["item", "type"] | ["file", "type"] => &["file.type"],
        ["file", "path"] | ["filepath"] | ["target", "filename"] => &["file.path"],
        ["name"] if class == 4006 && k.depth() == 0 => &["file.name"],
        ["path"] if class == 4006 && k.depth() == 0 => &["share"],
        ["share", "type"] if class == 4006 => &["share_type"],
        ["size"] if k.depth() == 0 && matches!(class, 4006 | 6006 | 1001) => &["file.size"],
        _ => return Next,
    };
    map(p, Conv::Typed, PLAIN)
}

/// Sessions of a cloud identity (CloudTrail `userIdentity.sessionContext.sessionIssuer`).
fn session_issuer(f: &Field) -> Outcome {
    if !(f.k.parent_has("session") && f.k.parent_has("issuer")) {
        return Next;
    }
    if f.k.leaf_is(&["arn"]) {
        return map(&["actor.session.issuer"], Conv::Typed, LIKELY);
    }
    Stop
}

fn session_context(f: &Field) -> Outcome {
    if !(f.k.parent_has("session") && f.k.parent_has("context")) {
        return Next;
    }
    match f.leaf.as_slice() {
        ["mfa", "authenticated"] => map(&["actor.session.is_mfa"], Conv::Typed, LIKELY),
        ["creation", "date"] => map(&["actor.session.created_time"], Conv::Typed, LIKELY),
        _ => Stop,
    }
}

fn log_version(f: &Field) -> Outcome {
    if f.k.depth() == 0 && matches!(f.leaf.as_slice(), ["event", "version"] | ["schema", "version"])
    {
        return map(&["metadata.log_version"], Conv::Typed, WEAK);
    }
    Next
}

/// Users and groups: the actor, the user acted on, the group of a group change.
fn user(f: &Field) -> Outcome {
    let (k, leaf, value, class_uid) = (f.k, f.leaf.as_slice(), f.value, f.class);
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
        return Next;
    }
    // The property.
    let prop = match leaf {
        l if l.contains(&"result") || l.contains(&"status") => return Next,
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
        ["team"] => return Next,
        ["invoked", "by"] => return map(&["actor.invoked_by"], Conv::Typed, LIKELY),
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
        _ => return Next,
    };
    if prop == "name" && (value.is_empty() || value == "-") {
        return Next;
    }
    if prop == "uid_alt" && role(k, true) == Role::Actor {
        // An ARN is the alternate id, and the id too when nothing else gives one.
        return Map(
            Cand::new(&["actor.user.uid_alt"], Conv::Typed, PLAIN).with_also(&["actor.user.uid"])
        );
    }
    let role = role(k, true);
    // A name is what a user is known by: it beats an id or an address on the same attribute.
    let score = PLAIN - f.nesting() + i32::from(prop == "name") * 5;
    if prop == "email_addr" {
        // An address is also how the person is named when nothing else names them.
        let (main, also): (&[&str], &[&str]) = match role {
            Role::Actor => (&["actor.user.email_addr"], &["actor.user.name"]),
            _ => (&["user.email_addr", "actor.user.email_addr"], &["user.name", "actor.user.name"]),
        };
        return Map(Cand::new(main, Conv::Typed, score).with_also(also));
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
        _ => return Next,
    };
    if paths.is_empty() {
        return Next;
    }
    map(paths, Conv::Typed, score)
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

/// The outcome in words (`result=success`); a code-like value is not one.
fn outcome(f: &Field) -> Outcome {
    let value = f.value;
    let code_like =
        (value.len() > 1 && value.bytes().all(|c| c.is_ascii_digit())) || value.starts_with("0x");
    if matches!(
        f.leaf.as_slice(),
        ["result"]
            | ["outcome"]
            | ["success"]
            | ["is", "success"]
            | ["result", "type"]
            | ["conclusion"]
            | ["status"]
    ) && f.k.depth() <= 1
        && !code_like
    {
        return map(&["status"], Conv::Outcome, LIKELY - f.nesting());
    }
    Next
}

fn status_detail(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["reason"] | ["result", "reason"] | ["status", "detail"])
        && f.k.depth() <= 1
    {
        return map(&["status_detail"], Conv::Typed, FALLBACK);
    }
    Next
}

fn status_code(f: &Field) -> Outcome {
    if f.k.leaf_is(&["status"]) && f.value.starts_with("0x") {
        return map(&["status_code"], Conv::Typed, WEAK);
    }
    Next
}

// Log bookkeeping.

/// A short number named `EventID` is the event's code (Windows 4624).
fn event_code(f: &Field) -> Outcome {
    let value = f.value;
    if matches!(f.leaf.as_slice(), ["event", "id"] | ["eventid"])
        && !value.is_empty()
        && value.bytes().all(|c| c.is_ascii_digit())
        && value.len() <= 6
    {
        return map(&["metadata.event_code"], Conv::Typed, PLAIN);
    }
    Next
}

fn original_event_uid(f: &Field) -> Outcome {
    if matches!(
        f.leaf.as_slice(),
        ["event", "id"] | ["uuid"] | ["insert", "id"] | ["audit", "id"] | ["document", "id"]
    ) && f.k.depth() == 0
    {
        return map(&["metadata.original_event_uid"], Conv::Typed, WEAK);
    }
    Next
}

fn correlation_uid(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["correlation", "id"]) {
        return map(&["metadata.correlation_uid"], Conv::Typed, WEAK);
    }
    Next
}

fn sequence(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["record", "number"] | ["sequence"]) {
        return map(&["metadata.sequence"], Conv::Typed, FALLBACK);
    }
    Next
}

fn log_name(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["channel"] | ["log", "name"]) {
        return map(&["metadata.log_name"], Conv::Typed, WEAK);
    }
    Next
}

fn log_provider(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["source", "name"] | ["provider", "name"]) {
        return map(&["metadata.log_provider"], Conv::Typed, FALLBACK);
    }
    Next
}

/// A network record's `uid` is its connection's (Zeek).
fn connection_uid(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["uid"]) && f.class / 1000 == 4 && f.k.depth() == 0 {
        return map(&["connection_info.uid"], Conv::Typed, WEAK);
    }
    Next
}

/// The record's message; an auditd `msg=audit(…)` is its timestamp and serial instead.
fn message(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["message"] | ["msg"] | ["display", "message"] | ["description"])
        && f.k.depth() == 0
        && !f.value.starts_with("audit(")
    {
        return map(&["message"], Conv::Typed, LIKELY);
    }
    Next
}

/// A record's own id is long; short numbers named `ID` are counters (IP header ids).
fn record_id(f: &Field) -> Outcome {
    if matches!(f.leaf.as_slice(), ["id"]) && f.k.depth() == 0 && f.value.len() >= 8 {
        return map(&["metadata.original_event_uid"], Conv::Typed, FALLBACK);
    }
    Next
}

/// The endpoint attribute for a property (`ip`, `port`, `mac`, `hostname`) of a role.
fn endpoint(role: Role, prop: &'static str, f: &Field, conv: Conv, score: i32) -> Option<Cand> {
    let k = f.k;
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
                match f.class {
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
    Some(Cand::new(&[path], conv, score + k.leaf.len().min(3) as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One case at least per row: (row, key, value, class, paths). The row must be the first
    /// to answer, with these paths; no paths means it stops the search.
    const CASES: &[(&str, &str, &str, u32, &[&str])] = &[
        ("second_factor_device", "auth_device.ip", "10.0.0.1", 3002, &[]),
        ("source_os", "client.os", "Windows 10", 3002, &["src_endpoint.os.name"]),
        ("signed_in_app", "application.name", "Office 365", 3002, &["service.name"]),
        ("signed_in_app", "application.key", "DIABC", 3002, &["service.uid"]),
        ("signed_in_app", "application.version", "2", 3002, &[]),
        (
            "received_time",
            "receiveTimestamp",
            "2024-01-01T00:00:00Z",
            6003,
            &["metadata.logged_time"],
        ),
        ("cloud_zone", "resource.labels.zone", "us-central1-a", 6003, &["cloud.zone"]),
        ("resource_labels", "resource.labels.project_id", "p1", 6003, &["cloud.project_uid"]),
        ("resource_labels", "resource.labels.location", "us", 6003, &["cloud.region"]),
        ("resource_labels", "resource.labels.instance_id", "42", 6003, &["resources.uid"]),
        ("resource_labels", "resource.labels.bucket_name", "b", 6003, &[]),
        ("bare_role_address", "SRC", "10.0.0.1", 4001, &["src_endpoint.ip"]),
        ("bare_role_address", "dst", "10.0.0.2", 4001, &["dst_endpoint.ip"]),
        (
            "location",
            "client.geographicalContext.city",
            "Paris",
            3002,
            &["src_endpoint.location.city"],
        ),
        ("location", "country", "FR", 3002, &["src_endpoint.location.country"]),
        ("endpoint_address", "id_orig_h", "10.0.0.1", 4001, &["src_endpoint.ip"]),
        ("endpoint_address", "IpPort", "60064", 3002, &["src_endpoint.port"]),
        ("endpoint_address", "src_mac", "00:11:22:33:44:55", 4001, &["src_endpoint.mac"]),
        (
            "endpoint_address",
            "sourceIPAddress",
            "s3.amazonaws.com",
            6003,
            &["src_endpoint.hostname"],
        ),
        ("endpoint_address", "src_ip", "-", 4001, &[]),
        ("endpoint_address", "request.port", "8080", 4001, &[]),
        ("host_name", "dst_hostname", "db1", 4001, &["dst_endpoint.hostname"]),
        ("host_name", "WorkstationName", "WS1", 3002, &["src_endpoint.hostname"]),
        ("host_name", "Hostname", "ws1.example.com", 3002, &["device.hostname"]),
        ("host_name", "Computer", "ws1", 1007, &[]),
        ("interface", "IN", "eth0", 4001, &["src_endpoint.interface_name"]),
        ("interface", "OUT", "eth1", 4001, &["dst_endpoint.interface_name"]),
        ("http_method", "httpRequest.requestMethod", "GET", 4002, &["http_request.http_method"]),
        ("http_method", "sip_method", "INVITE", 4001, &[]),
        ("user_agent", "user_agent", "curl/8", 4002, &["http_request.user_agent"]),
        ("referrer", "referer", "https://example.com/", 4002, &["http_request.referrer"]),
        ("url", "url", "https://example.com/a", 4002, &["http_request.url"]),
        ("url", "path", "/a?b=1", 4002, &["http_request.url"]),
        ("http_version", "protocol", "HTTP/1.1", 4002, &["http_request.version"]),
        ("http_status", "status", "404", 4002, &["http_response.code"]),
        ("http_length", "bytes", "512", 4002, &["http_response.length"]),
        ("dns", "query", "example.com", 4003, &["query.hostname"]),
        ("dns", "qtype_name", "A", 4003, &["query.type"]),
        ("dns", "TTLs", "[60]", 4003, &["answers.ttl"]),
        ("traffic", "orig_bytes", "100", 4001, &["traffic.bytes_out"]),
        ("traffic", "pkts_toclient", "3", 4001, &["traffic.packets_in"]),
        ("protocol", "proto", "tcp", 4001, &["connection_info.protocol_name"]),
        ("protocol", "proto", "6", 4001, &["connection_info.protocol_num"]),
        ("tls_cipher", "cipher", "TLS_AES_128_GCM_SHA256", 4001, &["tls.cipher"]),
        ("tls_version", "version", "TLSv13", 4001, &["tls.version"]),
        ("auth_protocol", "AuthenticationPackageName", "NTLM", 3002, &["auth_protocol"]),
        ("duration_seconds", "duration", "1.5", 4001, &["duration"]),
        ("duration_ms", "duration_ms", "1500", 4001, &["duration"]),
        ("process", "pid", "1234", 1007, &["process.pid"]),
        (
            "process",
            "ParentProcessName",
            "C:\\Windows\\explorer.exe",
            1007,
            &["process.parent_process.file.path"],
        ),
        ("process", "CommandLine", "cmd /c dir", 1007, &["process.cmd_line"]),
        ("process", "exe", "/usr/bin/ls", 1007, &["process.file.path", "process.name"]),
        ("cloud_region", "awsRegion", "us-east-1", 6003, &["cloud.region"]),
        ("cloud_account", "recipientAccountId", "123456789012", 6003, &["cloud.account.uid"]),
        ("project", "project_id", "p1", 6003, &["cloud.project_uid"]),
        ("tenant", "tenant_id", "t1", 3002, &["metadata.tenant_uid"]),
        ("api_operation", "eventName", "PutObject", 6003, &["api.operation"]),
        (
            "api_service",
            "eventSource",
            "s3.amazonaws.com",
            6003,
            &["service.name", "api.service.name"],
        ),
        ("api_event_type", "event_type", "CreateUser", 6003, &["api.operation"]),
        ("api_call", "api", "ListUsers", 6003, &["api.operation"]),
        ("app_name", "appDisplayName", "Teams", 3002, &["service.name"]),
        ("request_id", "requestID", "abc-1", 6003, &["api.request.uid"]),
        ("error_code", "errorCode", "AccessDenied", 6003, &["api.response.error", "status_code"]),
        (
            "error_message",
            "errorMessage",
            "denied",
            6003,
            &["api.response.error_message", "status_detail"],
        ),
        ("resource_ref", "objectRef.namespace", "default", 6003, &["resources.namespace"]),
        ("resource_name", "resource_name", "bucket", 6003, &["resources.name"]),
        ("class_specific", "TaskName", "\\Update", 1006, &["job.name"]),
        ("class_specific", "SubjectLogonId", "0x3e7", 3002, &["actor.session.uid"]),
        ("privileges", "PrivilegeList", "SeDebugPrivilege", 3002, &["privileges"]),
        ("finding", "title", "Port scan", 2004, &["finding_info.title"]),
        ("file", "file_name", "a.txt", 6006, &["file.name"]),
        (
            "session_issuer",
            "userIdentity.sessionContext.sessionIssuer.arn",
            "arn:x",
            6003,
            &["actor.session.issuer"],
        ),
        ("session_issuer", "userIdentity.sessionContext.sessionIssuer.userName", "r", 6003, &[]),
        (
            "session_context",
            "userIdentity.sessionContext.attributes.mfaAuthenticated",
            "false",
            6003,
            &["actor.session.is_mfa"],
        ),
        ("session_context", "userIdentity.sessionContext.attributes.other", "x", 6003, &[]),
        ("log_version", "eventVersion", "1.08", 6003, &["metadata.log_version"]),
        ("user", "TargetUserName", "alice", 3002, &["user.name"]),
        ("user", "userIdentity.arn", "arn:aws:iam::1:user/x", 6003, &["actor.user.uid_alt"]),
        ("outcome", "result", "success", 3002, &["status"]),
        ("status_detail", "reason", "bad password", 3002, &["status_detail"]),
        ("status_code", "Status", "0xc000006d", 3002, &["status_code"]),
        ("event_code", "EventID", "4624", 3002, &["metadata.event_code"]),
        ("original_event_uid", "eventID", "3f2a9c1e-77", 6003, &["metadata.original_event_uid"]),
        ("correlation_uid", "correlation_id", "c-1", 6003, &["metadata.correlation_uid"]),
        ("sequence", "RecordNumber", "123", 3002, &["metadata.sequence"]),
        ("log_name", "Channel", "Security", 3002, &["metadata.log_name"]),
        (
            "log_provider",
            "SourceName",
            "Microsoft-Windows-Security-Auditing",
            3002,
            &["metadata.log_provider"],
        ),
        ("connection_uid", "uid", "CAbc12", 4001, &["connection_info.uid"]),
        ("message", "message", "hello", 3002, &["message"]),
        ("record_id", "ID", "12345678", 1001, &["metadata.original_event_uid"]),
    ];

    fn answer(key: &str, value: &str, class: u32) -> Option<(&'static str, Vec<&'static str>)> {
        let k = KeyWords::new(key);
        let f = Field::new(&k, value, class)?;
        first_match(&f).map(|(row, o)| match o {
            Map(c) => (row, c.paths),
            Stop => (row, Vec::new()),
            Next => unreachable!("first_match skips Next"),
        })
    }

    #[test]
    fn every_case_is_answered_by_its_row() {
        for &(row, key, value, class, want) in CASES {
            let got = answer(key, value, class);
            assert_eq!(got, Some((row, want.to_vec())), "{key}={value} in {class}");
            let k = KeyWords::new(key);
            let mapped = concept(&k, value, class).map(|c| c.paths).unwrap_or_default();
            assert_eq!(mapped, want, "concept({key}={value}, {class})");
        }
    }

    #[test]
    fn every_rule_has_a_case() {
        for r in RULES {
            assert!(CASES.iter().any(|c| c.0 == r.name), "no test case for row `{}`", r.name);
        }
        for c in CASES {
            assert!(RULES.iter().any(|r| r.name == c.0), "no row `{}`", c.0);
        }
    }

    #[test]
    fn rule_names_are_unique() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(RULES[..i].iter().all(|e| e.name != r.name), "row `{}` twice", r.name);
        }
    }

    /// Rows that recognise a key and still pass it on.
    #[test]
    fn passed_on() {
        // NXLog's own pid is no process of the event's, and nothing else takes it.
        assert_eq!(answer("ExecutionProcessID", "1234", 1007), None);
        // An `Application` that is not a path is the service, not the process.
        assert_eq!(
            answer("Application", "Outlook", 3002),
            Some(("app_name", vec!["service.name"]))
        );
        // A `resource.*` field the resource rows do not know goes on to the user rows.
        assert_eq!(
            answer("resource.ownerEmail", "a@example.com", 6003),
            Some(("user", vec!["user.email_addr", "actor.user.email_addr"]))
        );
    }

    #[test]
    fn scores() {
        let score = |key: &str, value: &str, class: u32| {
            concept(&KeyWords::new(key), value, class).map(|c| c.score)
        };
        // An explicit host name beats a bare `host`, which is often the collector.
        assert!(score("hostname", "a", 3002) > score("host", "b", 3002));
        // A nested key loses to a shallow one.
        assert!(score("src_ip", "10.0.0.1", 4001) > score("conn.src_ip", "10.0.0.1", 4001));
        // The created process beats its creator's fields.
        assert!(
            score("NewProcessName", "C:\\a.exe", 1007) > score("ProcessName", "C:\\b.exe", 1007)
        );
        // Every reading beats the dictionary fallback (30).
        for &(_, key, value, class, want) in CASES {
            if !want.is_empty() {
                assert!(score(key, value, class) > Some(30), "{key}");
            }
        }
    }

    fn paths(key: &str, value: &str, class: u32) -> Vec<&'static str> {
        concept(&KeyWords::new(key), value, class).map(|c| c.paths).unwrap_or_default()
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
