//! The parser over the labelled dev corpus: every source must come out in the format it is
//! written in, with the fields a classifier relies on.
//!
//! The corpus lives in the project's shared data folder beside the repository
//! (`../shared/data/dev/corpus.jsonl`); `OCSFMAP_DEV_CORPUS` overrides the path.

/// Under `parse::` so `cargo test -p ocsfmap-shared parse` selects these too.
mod parse {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use ocsfmap::parse::{parse, Format, Record};

    struct Sample {
        source: String,
        raw: String,
    }

    fn corpus() -> Vec<Sample> {
        let path = std::env::var_os("OCSFMAP_DEV_CORPUS").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/dev/corpus.jsonl")
        });
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("dev corpus at {}: {e} (set OCSFMAP_DEV_CORPUS)", path.display())
        });
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("corpus line is JSON");
                Sample {
                    source: v["source"].as_str().unwrap_or_default().to_owned(),
                    raw: v["raw"].as_str().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    }

    /// The formats a source's records may take.
    fn expected(source: &str, raw: &str) -> &'static [Format] {
        match source {
            "linux/auditd (audit.log)" => &[Format::KeyValue],
            "linux/iptables-netfilter (kernel syslog)" => &[Format::Syslog3164],
            "pfsense/filterlog" | "linux/sshd-auth-log (syslog)" => {
                &[Format::Syslog3164, Format::Syslog5424]
            }
            // Error-log lines share these sources; they are free text.
            "apache/httpd-access-log" | "nginx/access-log"
                if raw.starts_with('[') || raw.starts_with("20") =>
            {
                &[Format::Text]
            }
            "apache/httpd-access-log" | "nginx/access-log" => {
                &[Format::AccessCommon, Format::AccessCombined]
            }
            _ => &[Format::Json],
        }
    }

    #[test]
    fn every_source_parses_in_its_format() {
        let samples = corpus();
        assert!(samples.len() > 1000, "corpus looks incomplete: {} records", samples.len());
        let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in &samples {
            let r = parse(&s.raw);
            assert!(!r.fields.is_empty());
            if !expected(&s.source, &s.raw).contains(&r.format) {
                wrong.entry(s.source.clone()).or_default().push(format!(
                    "{:?}: {}",
                    r.format,
                    s.raw.chars().take(120).collect::<String>()
                ));
            }
        }
        assert!(wrong.is_empty(), "records parsed in the wrong format: {wrong:#?}");
    }

    /// Parsed records of one source.
    fn of(samples: &[Sample], source: &str) -> Vec<Record> {
        let records: Vec<Record> =
            samples.iter().filter(|s| s.source == source).map(|s| parse(&s.raw)).collect();
        assert!(!records.is_empty(), "no records for {source}");
        records
    }

    #[test]
    fn classifier_fields_are_present() {
        let samples = corpus();
        for r in of(&samples, "linux/sshd-auth-log (syslog)") {
            assert_eq!(r.get("app_name").map(|a| a.starts_with("sshd")), Some(true), "{r:?}");
            assert!(r.get("message").is_some_and(|m| !m.is_empty()));
        }
        for r in of(&samples, "linux/iptables-netfilter (kernel syslog)") {
            assert!(r.get("SRC").is_some() && r.get("PROTO").is_some(), "{r:?}");
        }
        for r in of(&samples, "linux/auditd (audit.log)") {
            assert!(
                r.get("type").is_some() && r.get("msg").is_some_and(|m| m.starts_with("audit(")),
                "{r:?}"
            );
        }
        for r in of(&samples, "pfsense/filterlog") {
            assert_eq!(r.get("app_name"), Some("filterlog"), "{r:?}");
            assert!(r.get("message").is_some_and(|m| m.contains(',')));
        }
        for source in ["nginx/access-log", "apache/httpd-access-log"] {
            for r in of(&samples, source).into_iter().filter(|r| r.format != Format::Text) {
                assert!(
                    r.get("client_ip").is_some() && r.get("status").is_some_and(|s| s.len() == 3),
                    "{r:?}"
                );
                assert!(r.get("method").is_some() || r.get("request").is_some(), "{r:?}");
            }
        }
        for r in of(&samples, "aws/cloudtrail (panther tests)") {
            assert!(r.get("eventName").is_some() || r.get("eventSource").is_some(), "{r:?}");
        }
        for r in of(&samples, "windows/security-eventlog (NXLog JSON)") {
            assert!(r.get("EventID").is_some(), "{r:?}");
        }
    }
}
