//! What a record must show before a class whose subject it lacks can win: a finding class
//! needs finding wording, HTTP Activity needs an HTTP request. Both are read from any
//! product's records in OCSF's own terms (the Findings category's `finding_info`,
//! `severity`, `risk`; HTTP Activity's `http_request.http_method`, `url`), not from any one
//! product's field names.
//!
//! Retrieval can follow a sibling product's envelope: a cloud audit record and the same
//! vendor's findings share account, region and resource fields, and a held-out audit log
//! then reads as findings. The schema says what a finding is about, and a record with none of
//! it is not one, whatever its envelope resembles.

/// OCSF category of the finding classes (Detection, Vulnerability, Compliance, ... Finding).
const FINDINGS_CATEGORY: u32 = 2;
/// HTTP Activity.
const HTTP_ACTIVITY: u32 = 4002;

/// Field-name or value words that say a record reports a finding: its severity or risk, a
/// detection, alert or threat, what the Findings category's attributes are about.
const FINDING_WORDS: &[&str] = &[
    "severity",
    "finding",
    "findings",
    "alert",
    "alerts",
    "alarm",
    "alarms",
    "detection",
    "detections",
    "detected",
    "threat",
    "threats",
    "malware",
    "malicious",
    "suspicious",
    "incident",
    "incidents",
    "vulnerability",
    "vulnerabilities",
    "cve",
    "risk",
    "compliance",
    "compliant",
    "noncompliant",
    "verdict",
    "indicator",
    "indicators",
    "ioc",
    "attack",
    "mitre",
    "tactic",
    "technique",
    "quarantine",
    "quarantined",
    "virus",
    "infected",
    "intrusion",
    "exploit",
    "blocked",
    "violation",
    "priority",
];

/// Field-name words of an HTTP request or response (OCSF `http_request`, `http_response`).
const HTTP_KEY_WORDS: &[&str] = &[
    "url",
    "uri",
    "http",
    "referer",
    "referrer",
    "httpstatus",
    "httpmethod",
    "httprequest",
    "querystring",
];

/// Request methods (RFC 9110), as a whole field value.
const HTTP_METHODS: &[&str] =
    &["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"];

/// Penalty (in the log domain of the final class scores) of a class whose subject the record
/// lacks: about a twentieth of the score, enough to let any class with its subject win.
pub const MISSING_SUBJECT: f32 = 3.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cues {
    pub finding: bool,
    pub http: bool,
}

impl Cues {
    /// From a record's field-name tokens, lexical terms (lower-case words of names and
    /// values) and discriminating `field=value` pairs (lower case), as records and stored
    /// documents both have them.
    pub fn of(key_tokens: &[String], terms: &[String], discriminators: &[String]) -> Self {
        let has = |list: &[&str], t: &String| list.contains(&t.as_str());
        let finding = key_tokens.iter().chain(terms).any(|t| has(FINDING_WORDS, t));
        let http = key_tokens.iter().any(|t| has(HTTP_KEY_WORDS, t))
            || terms.iter().any(|t| t == "http" || t == "https")
            || discriminators
                .iter()
                .filter_map(|p| p.rsplit_once('='))
                .any(|(_, v)| HTTP_METHODS.iter().any(|m| m.eq_ignore_ascii_case(v)));
        Cues { finding, http }
    }

    /// True when the record shows what `class_uid` (of `category_uid`) is about, or the class
    /// has no such requirement.
    pub fn admits(&self, class_uid: u32, category_uid: u32) -> bool {
        if category_uid == FINDINGS_CATEGORY {
            return self.finding;
        }
        if class_uid == HTTP_ACTIVITY {
            return self.http;
        }
        true
    }
}
