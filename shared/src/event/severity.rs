//! A record's severity / level → OCSF `severity_id`.
//!
//! Words are read the same everywhere; numbers depend on the scale the field uses, which
//! the field's name gives away (Windows `Level`, syslog severity, CEF/LEEF 0–10, Suricata
//! 1–3 with 1 the worst, GuardDuty-style 0–10 decimals, OCSF's own `severity_id`).

use serde::{Deserialize, Serialize};

pub const UNKNOWN: i64 = 0;
pub const INFORMATIONAL: i64 = 1;
pub const LOW: i64 = 2;
pub const MEDIUM: i64 = 3;
pub const HIGH: i64 = 4;
pub const CRITICAL: i64 = 5;
pub const FATAL: i64 = 6;
pub const OTHER: i64 = 99;

/// How a numeric severity is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scale {
    /// Windows event `Level`: 1 critical, 2 error, 3 warning, 4 information, 5 verbose.
    WindowsLevel,
    /// Syslog severity 0 (emergency) … 7 (debug).
    Syslog,
    /// 0–10, higher is worse (CEF, LEEF, GuardDuty, most scanners).
    TenPoint,
    /// 1 (worst) … 3/4 (Suricata/Snort priority).
    Priority,
    /// OCSF `severity_id` itself.
    Ocsf,
    /// Only words are understood.
    Words,
}

/// The scale a severity field uses, from its key (`Level`, `alert.severity`, `sev`, ...).
/// `None`: the key is not a severity field.
pub fn scale_for_key(key: &str) -> Option<Scale> {
    let leaf = key.rsplit(['.', '/']).next().unwrap_or(key);
    let lower = leaf.to_ascii_lowercase();
    let whole = key.to_ascii_lowercase();
    Some(match lower.as_str() {
        "severity_id" | "severityid" => Scale::Ocsf,
        "level" if whole.contains("system") || key == "Level" => Scale::WindowsLevel,
        "syslog_severity" | "syslogseverity" | "syslog_severity_code" => Scale::Syslog,
        "priority" | "prio" | "pri"
            if whole.contains("alert") || whole.contains("suricata") || whole.contains("snort") =>
        {
            Scale::Priority
        }
        "severity" | "sev" if whole.contains("alert.") => Scale::Priority,
        "severity" | "sev" | "risk_score" | "riskscore" | "cvss" => Scale::TenPoint,
        "level" | "log_level" | "loglevel" | "levelname" | "severity_name" | "severityname"
        | "severity_text" | "severitytext" | "risklevel" | "risk_level" | "threat_level"
        | "priority" => Scale::Words,
        _ => return None,
    })
}

/// `severity_id` for a value on a scale; `None` when the value means nothing on it.
pub fn severity_id(scale: Scale, value: &str) -> Option<i64> {
    let v = value.trim();
    if let Some(id) = from_word(v) {
        return Some(id);
    }
    let n: f64 = v.parse().ok().filter(|n: &f64| n.is_finite())?;
    let int = n as i64;
    let exact = (n - int as f64).abs() < f64::EPSILON;
    Some(match scale {
        Scale::Ocsf if exact && matches!(int, 0..=6 | 99) => int,
        Scale::WindowsLevel if exact => match int {
            0 | 4 | 5 => INFORMATIONAL,
            1 => CRITICAL,
            2 => HIGH,
            3 => MEDIUM,
            _ => return None,
        },
        Scale::Syslog if exact => match int {
            0 => FATAL,
            1 | 2 => CRITICAL,
            3 => HIGH,
            4 => MEDIUM,
            5 => LOW,
            6 | 7 => INFORMATIONAL,
            _ => return None,
        },
        Scale::Priority if exact => match int {
            1 => HIGH,
            2 => MEDIUM,
            3 => LOW,
            4..=255 => INFORMATIONAL,
            _ => return None,
        },
        Scale::TenPoint => match n {
            x if x < 0.0 => return None,
            0.0 => INFORMATIONAL,
            x if x < 4.0 => LOW,
            x if x < 7.0 => MEDIUM,
            x if x < 9.0 => HIGH,
            x if x <= 10.0 => CRITICAL,
            _ => return None,
        },
        _ => return None,
    })
}

/// Severity words, case-insensitive.
pub fn from_word(v: &str) -> Option<i64> {
    let w = v.trim().to_ascii_lowercase();
    Some(match w.as_str() {
        "info" | "information" | "informational" | "debug" | "trace" | "verbose" | "notice"
        | "audit" | "success" | "ok" => INFORMATIONAL,
        "low" | "minor" => LOW,
        "medium" | "moderate" | "warn" | "warning" => MEDIUM,
        "high" | "major" | "error" | "err" | "severe" | "very-high" => HIGH,
        "critical" | "crit" | "alert" => CRITICAL,
        "fatal" | "emerg" | "emergency" | "panic" => FATAL,
        "unknown" => UNKNOWN,
        "other" => OTHER,
        _ => return None,
    })
}

/// OCSF caption of a `severity_id`.
pub fn caption(id: i64) -> &'static str {
    match id {
        INFORMATIONAL => "Informational",
        LOW => "Low",
        MEDIUM => "Medium",
        HIGH => "High",
        CRITICAL => "Critical",
        FATAL => "Fatal",
        OTHER => "Other",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_pick_the_scale() {
        assert_eq!(scale_for_key("Level"), Some(Scale::WindowsLevel));
        assert_eq!(scale_for_key("System.Level"), Some(Scale::WindowsLevel));
        assert_eq!(scale_for_key("alert.severity"), Some(Scale::Priority));
        assert_eq!(scale_for_key("severity"), Some(Scale::TenPoint));
        assert_eq!(scale_for_key("detail.severity"), Some(Scale::TenPoint));
        assert_eq!(scale_for_key("level"), Some(Scale::Words));
        assert_eq!(scale_for_key("severity_id"), Some(Scale::Ocsf));
        assert_eq!(scale_for_key("username"), None);
        // NXLog's SeverityValue counts differently (2 = INFO); its `Severity` word is used.
        assert_eq!(scale_for_key("SeverityValue"), None);
    }

    #[test]
    fn numbers_follow_their_scale() {
        assert_eq!(severity_id(Scale::WindowsLevel, "2"), Some(HIGH));
        assert_eq!(severity_id(Scale::WindowsLevel, "4"), Some(INFORMATIONAL));
        assert_eq!(severity_id(Scale::Syslog, "0"), Some(FATAL));
        assert_eq!(severity_id(Scale::Syslog, "6"), Some(INFORMATIONAL));
        assert_eq!(severity_id(Scale::Priority, "1"), Some(HIGH));
        assert_eq!(severity_id(Scale::Priority, "3"), Some(LOW));
        assert_eq!(severity_id(Scale::TenPoint, "8.5"), Some(HIGH));
        assert_eq!(severity_id(Scale::TenPoint, "2"), Some(LOW));
        assert_eq!(severity_id(Scale::TenPoint, "10"), Some(CRITICAL));
        assert_eq!(severity_id(Scale::TenPoint, "11"), None);
        assert_eq!(severity_id(Scale::Ocsf, "99"), Some(OTHER));
        assert_eq!(severity_id(Scale::Ocsf, "7"), None);
        assert_eq!(severity_id(Scale::Words, "3"), None);
    }

    #[test]
    fn words_are_read_on_any_scale() {
        assert_eq!(severity_id(Scale::TenPoint, "High"), Some(HIGH));
        assert_eq!(severity_id(Scale::WindowsLevel, "Warning"), Some(MEDIUM));
        assert_eq!(severity_id(Scale::Words, "INFO"), Some(INFORMATIONAL));
        assert_eq!(severity_id(Scale::Words, "emerg"), Some(FATAL));
        assert_eq!(severity_id(Scale::Words, "whatever"), None);
        assert_eq!(severity_id(Scale::TenPoint, "NaN"), None);
        assert_eq!(severity_id(Scale::TenPoint, "inf"), None);
    }
}
