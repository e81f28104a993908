//! Numbers for BENCHMARKS.md on the dev set: project-validator pass rate (after repair) and
//! repair counts, share of timestamped records whose `time` came from the record, field
//! precision/recall against the hand-checked fixtures, and a rough warm µs/record (the
//! criterion bench `event` is the reference).
//!
//! `cargo run --release --example event_report [-- --events OUT.jsonl] [--by-source] [--misses]`
//! `--events` writes `{id, source, class_uid, event}` lines for `scripts/validate-ocsf-events.py`.

#[path = "../tests/event_support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use ocsfmap::event::EventContext;
use support::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let events_out =
        args.iter().position(|a| a == "--events").and_then(|i| args.get(i + 1)).cloned();
    let by_source = args.iter().any(|a| a == "--by-source");
    let misses = args.iter().any(|a| a == "--misses");
    let dump_id = args.iter().position(|a| a == "--id").and_then(|i| args.get(i + 1)).cloned();
    let show_errors = args.iter().any(|a| a == "--errors");
    let mut error_counts: BTreeMap<String, usize> = BTreeMap::new();

    let schema = load_schema();
    let records = dev_records();
    let clf = lexical_classifier(&schema);
    let mapper = support::mapper(&schema);
    let mut out = events_out
        .as_ref()
        .map(|p| std::io::BufWriter::new(std::fs::File::create(p).expect("events file")));

    #[derive(Default)]
    struct Tally {
        n: usize,
        valid: usize,
        repaired_events: usize,
        repairs: usize,
        stamped: usize,
        from_record: usize,
    }
    let mut total = Tally::default();
    let mut per: BTreeMap<String, Tally> = BTreeMap::new();
    let mut time_misses = Vec::new();
    let mut prepared = Vec::new();
    for (n, r) in records.iter().enumerate() {
        let (record, d) = labelled_record(&schema, &clf, &r.raw, r.class_uid, r.activity_id);
        let ctx = EventContext {
            event_id: None,
            received_at_ms: 1_735_689_600_000 + n as i64,
            source: None,
        };
        let ev = mapper.build_raw(&r.raw, &record, &d, &ctx);
        let errors = mapper.validate_event(d.class_uid, &ev.event);
        if dump_id.as_deref() == Some(r.id.as_str()) {
            println!("{}", serde_json::to_string_pretty(&ev.event).unwrap_or_default());
            println!(
                "mapped: {:?}\nrepairs: {} errors before repair: {:?}",
                ev.mapped
                    .iter()
                    .map(|m| format!("{} <- {}", m.attribute, m.source))
                    .collect::<Vec<_>>(),
                ev.repairs,
                ev.errors
            );
        }
        for e in &ev.errors {
            let short: String = e.split(" (").next().unwrap_or(e).chars().take(140).collect();
            *error_counts.entry(format!("{} | {}", r.source, short)).or_default() += 1;
        }
        let t = per.entry(r.source.clone()).or_default();
        let stamped = carries_timestamp(&r.raw);
        for t in [&mut total, t] {
            t.n += 1;
            t.valid += usize::from(errors.is_empty());
            t.repaired_events += usize::from(ev.repairs > 0);
            t.repairs += ev.repairs;
            t.stamped += usize::from(stamped);
            t.from_record += usize::from(stamped && ev.time_from_record);
        }
        if stamped && !ev.time_from_record {
            time_misses.push(format!(
                "{} {}: {}",
                r.source,
                r.id,
                r.raw.chars().take(120).collect::<String>()
            ));
        }
        if !errors.is_empty() {
            eprintln!(
                "INVALID {} {}: {}",
                r.source,
                r.id,
                errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            );
        }
        if let Some(w) = out.as_mut() {
            let line = serde_json::json!({"id": r.id, "source": r.source, "class_uid": d.class_uid, "activity_id": d.activity_id, "event": ev.event, "mapped": ev.mapped});
            writeln!(w, "{line}").expect("write events");
        }
        prepared.push((record, d, ctx));
    }
    if let Some(mut w) = out {
        w.flush().expect("flush events");
    }

    println!("dev records: {}", total.n);
    println!(
        "project validator: {}/{} valid after repair; {} events repaired, {} repairs in all",
        total.valid, total.n, total.repaired_events, total.repairs
    );
    println!(
        "time from the record: {}/{} timestamped records ({:.1}%)",
        total.from_record,
        total.stamped,
        100.0 * total.from_record as f64 / total.stamped.max(1) as f64
    );
    if by_source {
        println!("\n| source | records | valid | repaired events | repairs | time from record |");
        println!("|---|---|---|---|---|---|");
        for (s, t) in &per {
            println!(
                "| {s} | {} | {} | {} | {} | {}/{} |",
                t.n, t.valid, t.repaired_events, t.repairs, t.from_record, t.stamped
            );
        }
    }
    if show_errors {
        let mut v: Vec<_> = error_counts.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1));
        for (e, n) in v {
            println!("{n:5} {e}");
        }
    }
    if misses {
        for m in &time_misses {
            println!("time miss: {m}");
        }
    }

    // Field precision / recall against the hand-checked fixtures and the held-out set.
    for (label, path) in [("hand-checked", fixtures_path()), ("held-out", heldout_path())] {
        if !path.exists() {
            continue;
        }
        let fx: Vec<Fixture> = read_jsonl(&path);
        let mut all = Counts::default();
        let mut by: BySource = BTreeMap::new();
        for f in &fx {
            let (record, d) = labelled_record(&schema, &clf, &f.raw, f.class_uid, f.activity_id);
            let ev = mapper.build_raw(
                &f.raw,
                &record,
                &d,
                &EventContext { event_id: None, received_at_ms: 1_735_689_600_000, source: None },
            );
            let (c, extra, missing) = score(&produced_pairs(&ev), &leaves(&f.expected));
            all.add(c);
            by.entry(f.source.clone()).or_default().add(c);
            if misses && (!extra.is_empty() || !missing.is_empty()) {
                println!(
                    "{label} {} ({}): extra {:?} missing {:?}",
                    f.id, f.source, extra, missing
                );
            }
        }
        println!(
            "\nfield mapping vs {} {label} events from {} sources: precision {:.3} ({}/{}), recall {:.3} ({}/{})",
            fx.len(),
            by.len(),
            all.precision(),
            all.tp,
            all.produced,
            all.recall(),
            all.tp,
            all.expected
        );
        if by_source {
            println!("\n| source | precision | recall |");
            println!("|---|---|---|");
            for (s, c) in &by {
                println!("| {s} | {:.3} | {:.3} |", c.precision(), c.recall());
            }
        }
    }

    // Rough warm timing (plans cached): the criterion bench is the reference.
    let rounds = 5;
    let start = Instant::now();
    for _ in 0..rounds {
        for (record, d, ctx) in &prepared {
            std::hint::black_box(mapper.build(record, d, ctx));
        }
    }
    let per_record = start.elapsed().as_secs_f64() * 1e6 / (rounds * prepared.len()) as f64;
    println!("\nwarm build (plan cached, validation and repair included): {per_record:.2} µs/record over {} records", prepared.len());
}
