//! Records of a product the knowledge base knows nothing about: each test builds a lexical KB
//! from `knowledge/` (and, where it says so, the labelled dev sets) without any pack entry,
//! example or record of the record's product (the strict evaluation's fold), and classifies
//! the sample records in `events/samples/` or the dev sets' real records. Each test is a
//! regression test for a product-independent signal (see `shared/src/classify/`).

mod event_support;

use ocsfmap::classify::{Classifier, Decision};
use ocsfmap::eval::{self, Holdout};
use ocsfmap::kb;

fn without_product(product: &str) -> Classifier {
    let schema = event_support::load_schema();
    let inputs = event_support::knowledge();
    let body = kb::build(schema, inputs.into()).expect("kb builds");
    assert!(
        body.docs.iter().any(|d| d.products.iter().any(|p| p == product)),
        "no document is about {product}: the fold would hide nothing"
    );
    let kb = eval::without(&body, &Holdout::product(product));
    assert!(!kb.docs().iter().any(|d| d.products.iter().any(|p| p == product)));
    event_support::lexical(kb)
}

fn sample(name: &str) -> Vec<String> {
    let path = event_support::manifest_dir().join("../events/samples").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect()
}

fn classify_all(c: &Classifier, name: &str) -> Vec<(String, Decision)> {
    sample(name).into_iter().map(|l| (l.clone(), c.classify(&l))).collect()
}

/// A cloud audit log nobody described shares its account, region and identity envelope with
/// the same vendor's findings feed, and retrieval followed that sibling: every CloudTrail
/// record became a Detection Finding. A record with no severity, detection, alert or threat
/// in it is no finding ([`ocsfmap::classify`]'s subject cues).
#[test]
fn an_unknown_audit_log_is_not_a_finding_for_its_envelope() {
    let c = without_product("aws-cloudtrail");
    for (raw, d) in classify_all(&c, "cloudtrail.json") {
        assert_ne!(d.category_uid, 2, "{raw}: {:?}", d.candidates);
    }
}

/// A sign-in named by its own verb is Authentication when no document names the event. With
/// CloudTrail's entries and examples gone, Alibaba Cloud ActionTrail's whole-log entry (its
/// records share CloudTrail's field names) spoke for every CloudTrail event nothing named, so
/// `ConsoleLogin` was API Activity at 0.99 ([`ocsfmap::classify`]'s session verbs).
#[test]
fn an_unknown_logs_sign_in_is_not_a_look_alikes_api_call() {
    let c = without_product("aws-cloudtrail");
    let decided = classify_all(&c, "cloudtrail.json");
    let sign_ins: Vec<_> =
        decided.iter().filter(|(raw, _)| raw.contains("\"eventName\":\"ConsoleLogin\"")).collect();
    assert!(!sign_ins.is_empty(), "the sample holds a ConsoleLogin");
    for (raw, d) in sign_ins {
        assert_eq!((d.class_uid, d.activity_id), (3002, 1), "{raw}: {:?}", d.candidates);
    }
    // The same log's API calls still follow the look-alike's default.
    for (raw, d) in decided.iter().filter(|(raw, _)| raw.contains("\"eventName\":\"DeleteBucket\""))
    {
        assert_ne!(d.class_uid, 3002, "{raw}: {:?}", d.candidates);
    }
}

/// A whole-log entry speaks only for records that look like its product's own records. With
/// CloudTrail's entries and examples gone, the default entry of an XDR's audit log (its
/// records share CloudTrail's `eventName`, `eventSource`, `eventTime`, `awsRegion` envelope
/// words) decided CloudTrail API calls nobody named: Bedrock's `DeleteGuardrail` and
/// Organizations' `DescribeAccount` were User Access Management at 0.99. The records share
/// under a third of their field names with any of that product's own examples.
#[test]
fn an_unknown_api_call_is_not_decided_by_a_log_it_does_not_resemble() {
    let c = without_product("aws-cloudtrail");
    let dev = event_support::dev_records();
    // Real CloudTrail records of the dev set (aws/cloudtrail, Panther's tests).
    for id in ["553983dd3b34744e", "d97a6bb7563d581d", "e1a12f3763e66c4e", "0c656221f4204f00"] {
        let r = dev.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("dev record {id}"));
        let d = c.classify(&r.raw);
        let explained = c.explain(&ocsfmap::parse::parse(&r.raw));
        assert!(
            explained.whole_log_entries.iter().all(|e| !e.starts_with("Trend Vision One")),
            "{id}: {:?}",
            explained.whole_log_entries
        );
        assert!(
            d.confidence < 0.9 || d.class_uid == r.class_uid,
            "{id}: {} at {}: {:?}",
            d.class_uid,
            d.confidence,
            d.candidates
        );
    }
}

/// The record's own words pick the activity when the documents of its class are other logs':
/// with Zeek held out, a Kerberos record saying `"request_type":"TGS"` was an Authentication
/// Ticket, the activity of other products' Kerberos lines retrieval found; their activities are
/// about other events and now count for less than the record's own `TGS` (a service ticket
/// request, the activity's caption through its synonyms).
#[test]
fn an_unknown_logs_own_verb_outweighs_other_logs_activities() {
    let c = without_product("zeek");
    let dev = event_support::dev_records();
    // A real Zeek kerberos.log record of the dev set (OTRF's APT29 dataset).
    let r = dev.iter().find(|r| r.id == "016e2eb412c6e852").expect("dev record");
    assert!(r.raw.contains(r#""request_type":"TGS""#));
    let d = c.classify(&r.raw);
    assert_eq!((d.class_uid, d.activity_id), (3002, 4), "{:?} {}", d.candidates, d.activity_name);
}

/// A line log's identity is the program that wrote it, not the syslog header every line
/// carries. With pfSense and OPNsense held out, a filterlog line (`filterlog: ...,match,block,`)
/// counted other programs' labelled syslog lines (netfilter's, a VPN daemon's, sshd's) as
/// "its own log" because they share `timestamp`, `hostname`, `app_name` and `message`, so
/// their activities outvoted the line's own `block`: every blocked packet was Traffic.
#[test]
fn an_unknown_line_logs_own_outcome_word_is_its_activity() {
    let (fold, held) = strict_fold("pfsense/filterlog");
    let c = event_support::lexical(fold);
    // Real pfSense and OPNsense filterlog lines of the dev set (crowdsec hub's parser tests).
    // Lines with RFC 5424 structured data (`[meta sequenceId=...]`) are left out: its names
    // are field names other logs' lines can share, and they still count as the log's.
    let blocked: Vec<_> = held
        .iter()
        .filter(|l| l.raw.contains(",match,block,") && !l.raw.contains(" [meta "))
        .collect();
    assert!(blocked.len() >= 10, "{} blocked filterlog lines", blocked.len());
    for l in blocked {
        let d = c.classify(&l.raw);
        assert_eq!((d.class_uid, d.activity_id), (4001, 5), "{}: {}", l.raw, d.activity_name);
    }
}

/// sshd's authentication lines, with OpenSSH's pack entries and examples "gone", went to the
/// SSH Activity of three sshd connection examples that were filed under another product
/// (Linux auditd), so the strict fold kept them. Filed under OpenSSH in the product table's
/// terms, they leave with it, and the lines are Authentication by other products' wording.
#[test]
fn unknown_sshd_authentication_lines_are_authentication() {
    let c = without_product("openssh");
    for (raw, d) in classify_all(&c, "linux-auth.log")
        .into_iter()
        .filter(|(raw, _)| raw.contains("password") || raw.contains("publickey"))
    {
        assert_eq!(d.class_uid, 3002, "{raw}: {:?}", d.candidates);
    }
}

/// The strict evaluation's fold for a labelled dev source: a KB built from `knowledge/` and
/// the labelled dev sets, without everything about the source's products, and the source's
/// records.
fn strict_fold(source: &str) -> (kb::KnowledgeBase, Vec<kb::sources::Labeled>) {
    let schema = event_support::load_schema();
    let inputs = event_support::knowledge();
    let data = event_support::manifest_dir().join("../../shared/data");
    let dev = kb::sources::read_paths(&[data.join("dev"), data.join("dev2")])
        .expect("the labelled dev sets in ../shared/data")
        .examples;
    let held: Vec<_> = dev.iter().filter(|l| l.source == source).cloned().collect();
    assert!(!held.is_empty(), "no record of {source}");
    let mut examples = inputs.examples;
    examples.extend(dev);
    let body = kb::build(
        schema,
        kb::BuildOptions {
            examples,
            pack: inputs.pack,
            products: inputs.products.clone(),
            ..Default::default()
        },
    )
    .expect("kb builds");
    let table = kb::products::ProductTable::new(inputs.products);
    let fold = eval::without(
        &body,
        &Holdout::for_source(eval::Protocol::Product, &table, source)
            .expect("the source has products"),
    );
    (fold, held)
}

/// The class statistics and the schema's text count for a log nobody described, and what
/// they change they change with a confidence that says so. The mail platforms' authentication
/// and filter lines (a bundle of products held out with everything about them): the fold's
/// fit gives the two product-independent signals weight for unknown logs. They raise the
/// right authentication lines' confidence (0.3–0.5 → 0.8) and cost four spam-verdict lines
/// retrieval alone got right at 0.3–0.4; every record they lose must be sent to review.
#[test]
fn class_statistics_and_schema_text_count_for_an_unknown_log() {
    let (fold, held) = strict_fold("mail platforms & filters (zimbra/mailu/mailscanner/amavis)");
    assert!(held.len() >= 10, "{} records", held.len());
    let mix = fold.body.calibrator.as_ref().expect("a calibrator is fitted").mix;
    let unknown = mix.regimes[ocsfmap::classify::calibrate::Regime::Unknown as usize];
    assert_ne!(unknown, Default::default(), "no weight beside retrieval for unknown logs: {mix:?}");
    let mut alone_body = fold.body.clone();
    if let Some(c) = alone_body.calibrator.as_mut() {
        c.mix = Default::default();
    }
    let alone =
        event_support::lexical(kb::KnowledgeBase::from_body(fold.header.clone(), alone_body));
    let with = event_support::lexical(fold);
    let mut surer = 0;
    for l in &held {
        let (a, w) = (alone.classify(&l.raw), with.classify(&l.raw));
        if a.class_uid == l.class_uid && w.class_uid != l.class_uid {
            assert!(w.needs_review, "{}: lost at {}", l.raw, w.confidence);
        }
        if a.class_uid == l.class_uid && w.class_uid == l.class_uid && w.confidence > a.confidence {
            surer += 1;
        }
    }
    assert!(surer > 0, "the mix raised no right answer's confidence");
}

/// For logs the KB does not know, a weight beside retrieval must help more logs than it hurts,
/// not only more records: the fit's held-out records are a few large logs' shapes repeated.
/// With Sublime's products held out, the fit took the weights that most records, not most
/// logs, liked, and Sublime's audit events (changes to users and rules, which the dev set
/// files as Entity Management) went to Authentication for the user objects they carry.
/// Counting logs, they are Entity Management.
#[test]
fn the_unknown_log_mix_is_fitted_to_help_most_logs() {
    let (fold, held) = strict_fold("sublime/audit-and-message-events");
    let c = event_support::lexical(fold);
    // Real Sublime Security audit events of the dev2 set.
    let audit: Vec<_> = held.iter().filter(|l| l.class_uid == 6003).collect();
    assert!(audit.len() >= 4, "{} audit events", audit.len());
    for l in audit {
        let d = c.classify(&l.raw);
        assert_eq!(d.class_uid, 6003, "{}: {:?}", l.raw, d.candidates);
    }
}

/// An analyst who files an audit-log event as a finding is obeyed for records of that event
/// that are not of the exact corrected shape (an extra field), although the record has no
/// finding wording: the subject cue does not outvote a correction of the same event.
#[test]
fn a_correction_outweighs_the_subject_cue() {
    let schema = event_support::load_schema();
    let record = |extra: &str| {
        format!(
            r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333","userName":"ops"}},"eventTime":"2024-03-04T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0","requestParameters":{{"userName":"ops"}}{extra},"eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#
        )
    };
    let correction = kb::sources::Labeled {
        raw: record(""),
        class_uid: 2004,
        activity_id: Some(1),
        source: "analyst".into(),
    };
    let c = event_support::lexical_classifier_with(&schema, vec![correction]);
    let d = c.classify(&record(r#","sessionCredentialFromConsole":"true""#));
    assert_eq!(d.class_uid, 2004, "{:?}", d.candidates);
    assert_ne!(
        d.decided_by,
        ocsfmap::classify::DecidedBy::Override,
        "the record must not be of the corrected shape"
    );
}
