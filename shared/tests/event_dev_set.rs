//! OCSF events for the whole dev set: every event passes the project's validator after repair,
//! the plan and validation caches change nothing, `time` comes from the record for at least 95% of the
//! records that carry a timestamp, and field mapping meets its precision/recall floors on the
//! hand-checked and held-out fixtures. Skips (with a message) when the dev data is absent.

mod event_support;

use std::collections::BTreeSet;

use event_support::*;
use ocsfmap::event::{self, EventContext};

/// 2025-01-01T00:00:00Z: the ingest time the events are built with.
const RECEIVED: i64 = 1_735_689_600_000;

#[test]
fn every_dev_record_becomes_a_valid_event_and_the_caches_change_nothing() {
    let (schema, records) = (load_schema(), dev_records());
    let clf = lexical_classifier(&schema);
    let mapper = mapper(&schema);
    let mut invalid = Vec::new();
    let (mut stamped, mut from_record, mut repaired) = (0usize, 0usize, 0usize);
    for (n, r) in records.iter().enumerate() {
        let (record, d) = labelled_record(&schema, &clf, &r.raw, r.class_uid, r.activity_id);
        let ctx = EventContext {
            event_id: Some(uuid::Uuid::now_v7()),
            received_at_ms: RECEIVED + n as i64,
            source: Some("dev".into()),
        };
        let ev = mapper.build_raw(&r.raw, &record, &d, &ctx);
        let errors = mapper.validate_event(d.class_uid, &ev.event);
        // The stored text is what serde_json writes for the same event, and validation of
        // that `Value` (the public entry) agrees.
        let value = ev.event.to_value();
        assert_eq!(ev.event.to_json(), value.to_string(), "{} {}", r.source, r.id);
        assert_eq!(mapper.validate(d.class_uid, &value), errors, "{} {}", r.source, r.id);
        if !errors.is_empty() {
            invalid.push(format!("{} {}: {}", r.source, r.id, errors[0]));
        }
        repaired += usize::from(ev.repairs > 0);
        // Base attributes are always there.
        for k in [
            "class_uid",
            "category_uid",
            "activity_id",
            "type_uid",
            "severity_id",
            "time",
            "metadata",
            "raw_data",
        ] {
            assert!(ev.event.get(k).is_some(), "{} lacks {k}", r.id);
        }
        assert_eq!(ev.event["metadata"]["version"], schema.version.as_str());
        assert_eq!(
            ev.event["metadata"]["uid"],
            ctx.event_id.map(|u| u.to_string()).unwrap_or_default().as_str()
        );
        assert_eq!(ev.event["raw_data"], r.raw.as_str());
        if carries_timestamp(&r.raw) {
            stamped += 1;
            from_record += usize::from(ev.time_from_record);
        }
        if !ev.time_from_record {
            assert_eq!(ev.event["time"], ctx.received_at_ms, "fallback time is the ingest time");
        }
        // Nothing is lost: every source field is mapped or kept in `unmapped`.
        let mapped: BTreeSet<&str> = ev.mapped.iter().map(|m| &*m.source).collect();
        let unmapped = ev.event.get("unmapped").and_then(|u| u.as_object());
        for f in &record.fields {
            let kept =
                mapped.contains(f.key.as_str()) || unmapped.is_some_and(|u| u.contains_key(&f.key));
            assert!(
                kept,
                "{} {}: field `{}` is neither mapped nor unmapped",
                r.source, r.id, f.key
            );
        }
        // The cached plan gives the same event as planning afresh.
        let fresh = mapper.build_fresh(&r.raw, &record, &d, &ctx);
        assert_eq!(fresh.event, ev.event, "{} {}: cached and fresh plans differ", r.source, r.id);
        assert_eq!(fresh.mapped, ev.mapped, "{} {}", r.source, r.id);
        // ... and full validation finds what the remembered skeletons found.
        assert_eq!(
            (fresh.repairs, &fresh.errors),
            (ev.repairs, &ev.errors),
            "{} {}: validation memo differs",
            r.source,
            r.id
        );
        // The free function (no product list) agrees on everything but product naming.
        let free = event::build_raw(&schema, &r.raw, &record, &d, &ctx);
        assert_eq!(free.event["class_uid"], ev.event["class_uid"]);
        assert_eq!(free.time_from_record, ev.time_from_record);
    }
    assert!(
        invalid.is_empty(),
        "{} events invalid after repair, e.g. {:?}",
        invalid.len(),
        &invalid[..invalid.len().min(5)]
    );
    let share = from_record as f64 / stamped.max(1) as f64;
    eprintln!(
        "dev set: {} events valid; {repaired} repaired; time from the record for {from_record}/{stamped} ({:.1}%)",
        records.len(),
        100.0 * share
    );
    assert!(stamped > 1000, "the timestamp detector found only {stamped} timestamped records");
    assert!(
        share >= 0.95,
        "time came from the record for only {:.1}% of timestamped records",
        100.0 * share
    );
}

fn fixture_scores(fx: &[Fixture]) -> (Counts, usize) {
    let schema = load_schema();
    let clf = lexical_classifier(&schema);
    let mapper = mapper(&schema);
    let mut all = Counts::default();
    let mut sources = BTreeSet::new();
    for f in fx {
        let (record, d) = labelled_record(&schema, &clf, &f.raw, f.class_uid, f.activity_id);
        let ev = mapper.build_raw(
            &f.raw,
            &record,
            &d,
            &EventContext { event_id: None, received_at_ms: RECEIVED, source: None },
        );
        let (c, extra, missing) = score(&produced_pairs(&ev), &leaves(&f.expected));
        if !extra.is_empty() || !missing.is_empty() {
            eprintln!("{} ({}): extra {extra:?} missing {missing:?}", f.id, f.source);
        }
        all.add(c);
        sources.insert(f.source.clone());
    }
    (all, sources.len())
}

#[test]
fn field_mapping_matches_the_hand_checked_events() {
    require(&fixtures_path(), "the hand-checked events");
    let fx = fixtures();
    let (c, sources) = fixture_scores(&fx);
    eprintln!(
        "hand-checked: {} events, {sources} sources: precision {:.3}, recall {:.3}",
        fx.len(),
        c.precision(),
        c.recall()
    );
    assert!(fx.len() >= 50 && sources >= 10, "{} fixtures from {sources} sources", fx.len());
    assert!(c.precision() >= 0.95, "precision {:.3}", c.precision());
    assert!(c.recall() >= 0.95, "recall {:.3}", c.recall());
}

#[test]
fn field_mapping_on_held_out_events() {
    require(&heldout_path(), "the held-out hand-checked events");
    let fx = heldout();
    let (c, sources) = fixture_scores(&fx);
    eprintln!(
        "held-out: {} events, {sources} sources: precision {:.3}, recall {:.3}",
        fx.len(),
        c.precision(),
        c.recall()
    );
    assert!(c.precision() >= 0.9, "precision {:.3}", c.precision());
    assert!(c.recall() >= 0.9, "recall {:.3}", c.recall());
}
