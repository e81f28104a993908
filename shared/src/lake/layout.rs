//! Where a Parquet file goes in the Amazon Security Lake custom-source layout:
//! `[prefix/]ext/{source}/region={region}/accountId={account}/eventDay={YYYYMMDD}/{file}`.
//!
//! The file name is a function of the export interval alone, so a re-run of an interval
//! writes the same keys (replacing, never adding to, what the first run wrote). The source
//! name comes from the configured class mapping, never from anything a client sent.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("lake source name `{0}`: 1 to 64 characters of A-Z, a-z, 0-9, `-` and `_`")]
    SourceName(String),
    #[error("lake source mapping `{0}`: expected CLASS_UID=SOURCE_NAME pairs separated by commas")]
    Mapping(String),
    #[error("lake region `{0}`: expected an AWS region name such as us-east-1")]
    Region(String),
    #[error("lake account id `{0}`: expected 12 digits")]
    Account(String),
    #[error("lake prefix `{0}`: no leading or trailing slash, no `..`, printable ASCII")]
    Prefix(String),
    #[error("lake source `{0}` is mapped from two classes: a custom source holds one OCSF class")]
    Shared(String),
}

/// The partition values every file of one deployment shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Key prefix inside the bucket ("" for the bucket's root, as Security Lake uses it).
    pub prefix: String,
    pub region: String,
    pub account_id: String,
    /// Custom-source name per OCSF class (the class of the event as emitted).
    pub sources: BTreeMap<u32, String>,
}

impl Layout {
    pub fn new(
        prefix: &str,
        region: &str,
        account_id: &str,
        sources: BTreeMap<u32, String>,
    ) -> Result<Self, LayoutError> {
        let prefix = prefix.trim_end_matches('/');
        if prefix.starts_with('/')
            || prefix.split('/').any(|p| p == ".." || p == ".")
            || prefix.contains("//")
            || !prefix.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(LayoutError::Prefix(prefix.chars().take(80).collect()));
        }
        let region_ok = !region.is_empty()
            && region.len() <= 32
            && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && region.contains('-');
        if !region_ok {
            return Err(LayoutError::Region(region.chars().take(40).collect()));
        }
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LayoutError::Account(account_id.chars().take(40).collect()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for name in sources.values() {
            check_source(name)?;
            if !seen.insert(name) {
                return Err(LayoutError::Shared(name.clone()));
            }
        }
        Ok(Layout {
            prefix: prefix.to_string(),
            region: region.to_string(),
            account_id: account_id.to_string(),
            sources,
        })
    }

    /// The custom source events of `class_uid` go to; `None`: that class is not exported.
    pub fn source(&self, class_uid: u32) -> Option<&str> {
        self.sources.get(&class_uid).map(String::as_str)
    }

    /// The key of the file holding `source`'s events of `day` (UTC, `YYYYMMDD`) exported in
    /// the interval starting at `interval_start_ms` and lasting `interval_ms`.
    pub fn key(&self, source: &str, day: &str, interval_start_ms: i64, interval_ms: i64) -> String {
        let start = compact_utc(interval_start_ms);
        let minutes = interval_ms / 60_000;
        let head = if self.prefix.is_empty() { String::new() } else { format!("{}/", self.prefix) };
        format!(
            "{head}ext/{source}/region={}/accountId={}/eventDay={day}/ocsfmap-{start}-{minutes}m.zstd.parquet",
            self.region, self.account_id
        )
    }
}

fn check_source(name: &str) -> Result<(), LayoutError> {
    let ok = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(LayoutError::SourceName(name.chars().take(80).collect()))
    }
}

/// `3002=auth,4001=network`: the class-to-source mapping as the stacks configure it.
pub fn parse_sources(spec: &str) -> Result<BTreeMap<u32, String>, LayoutError> {
    let mut out = BTreeMap::new();
    for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || LayoutError::Mapping(pair.chars().take(80).collect());
        let (class, name) = pair.split_once('=').ok_or_else(bad)?;
        let class: u32 = class.trim().parse().map_err(|_| bad())?;
        let name = name.trim();
        check_source(name)?;
        if out.insert(class, name.to_string()).is_some() {
            return Err(bad());
        }
    }
    Ok(out)
}

/// `YYYYMMDD` of an epoch-milliseconds time, UTC (Security Lake's `eventDay`).
pub fn event_day(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}")
}

/// `YYYYMMDDTHHMMSSZ`.
fn compact_utc(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::new("", "eu-west-1", "111122223333", parse_sources("3002=auth, 4001=net").unwrap())
            .unwrap()
    }

    #[test]
    fn keys_follow_the_custom_source_layout_and_name_the_interval() {
        let l = layout();
        // 2024-02-29T23:55:00Z, a 5-minute interval.
        let start = 1_709_250_900_000;
        assert_eq!(
            l.key("auth", &event_day(start), start, 300_000),
            "ext/auth/region=eu-west-1/accountId=111122223333/eventDay=20240229/ocsfmap-20240229T235500Z-5m.zstd.parquet"
        );
        let p = Layout::new("lake/", "eu-west-1", "111122223333", BTreeMap::new()).unwrap();
        assert!(p.key("s", "20240101", 0, 86_400_000).starts_with("lake/ext/s/"));
        assert_eq!(l.source(3002), Some("auth"));
        assert_eq!(l.source(1007), None);
    }

    #[test]
    fn event_days_are_utc_calendar_days() {
        assert_eq!(event_day(0), "19700101");
        assert_eq!(event_day(-1), "19691231");
        assert_eq!(event_day(951_782_400_000), "20000229");
        assert_eq!(event_day(4_102_444_799_999), "20991231");
    }

    #[test]
    fn bad_configuration_is_refused() {
        for spec in ["3002", "x=auth", "3002=a b", "3002=a,3002=b", "1=../etc"] {
            assert!(parse_sources(spec).is_err(), "{spec}");
        }
        let shared = parse_sources("3002=a,3003=a").unwrap();
        assert_eq!(
            Layout::new("", "eu-west-1", "111122223333", shared).unwrap_err(),
            LayoutError::Shared("a".into())
        );
        assert!(parse_sources("").unwrap().is_empty());
        assert!(Layout::new("/x", "eu-west-1", "111122223333", BTreeMap::new()).is_err());
        assert!(Layout::new("a/../b", "eu-west-1", "111122223333", BTreeMap::new()).is_err());
        assert!(Layout::new("", "EU", "111122223333", BTreeMap::new()).is_err());
        assert!(Layout::new("", "eu-west-1", "1234", BTreeMap::new()).is_err());
    }
}
