//! Parquet write throughput of the lake export: every dev and dev2 record's event (OCSF
//! 1.3.0, with `raw_data`), grouped by class as the export groups them, written as zstd
//! Parquet. Prints records/s on one core and bytes per record after compression, best and
//! median of N passes (`OCSFMAP_BENCH_PASSES`, default 10); `OCSFMAP_BENCH_REPEAT=N` writes the
//! set N times over.
//!
//! Run: `cargo bench -p ocsfmap-shared --features lake --bench lake` (needs the dev sets beside
//! the repository and `$OCSF_SCHEMA` with the release exports beside it, as the tests do).

#[path = "../tests/event_support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::Instant;

use ocsfmap::lake::{parquet_file, plan, FileOptions, LakeEvent, Layout};
use ocsfmap::version::{export_path, OutputVersion};
use support::*;

#[global_allocator]
static GA: ocsfmap::alloc::MiMalloc = ocsfmap::alloc::MiMalloc;

fn main() {
    let dir = schema_path();
    let version = "1.3.0";
    let output = OutputVersion::load(
        &export_path(dir.parent().expect("export directory"), version).expect("export"),
        version,
    )
    .expect("loads");
    let mut records = dev_records();
    records.extend(read_jsonl::<DevRecord>(&require(
        &dev_dir().join("../dev2/corpus.jsonl"),
        "the dev2 set",
    )));
    let mut events: Vec<LakeEvent> = records
        .iter()
        .zip(labelled_events(&records, Some(&output)))
        .map(|(r, (mut ev, _))| {
            // The stored event has no raw_data; the lake file puts the record back.
            if let Some(o) = ev.event.as_object_mut() {
                o.remove("raw_data");
            }
            let value = ev.event.to_value();
            LakeEvent {
                class_uid: value["class_uid"].as_u64().unwrap_or(0) as u32,
                time_ms: value["time"].as_i64().unwrap_or(0),
                event: value,
                raw: r.raw.clone(),
            }
        })
        .collect();
    // Every class its own source, every event in one day: one file per class.
    let sources: BTreeMap<u32, String> =
        events.iter().map(|e| (e.class_uid, format!("c{}", e.class_uid))).collect();
    let layout = Layout::new("", "eu-west-1", "111122223333", sources).expect("layout");
    for e in &mut events {
        e.time_ms = 1_735_689_600_000;
    }
    // `OCSFMAP_BENCH_REPEAT=N`: the set N times over, for files of realistic size (a file's
    // footer describes every column, ~1,000-2,000 per class, whatever its row count).
    let repeat: usize =
        std::env::var("OCSFMAP_BENCH_REPEAT").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let one = events.clone();
    for _ in 1..repeat {
        events.extend(one.iter().cloned());
    }
    let passes: usize =
        std::env::var("OCSFMAP_BENCH_PASSES").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    for (label, opts) in [
        ("with raw_data", FileOptions::default()),
        ("without raw_data", FileOptions { omit_raw: true, ..FileOptions::default() }),
    ] {
        let mut rates = Vec::new();
        let mut bytes = 0usize;
        let mut files = 0usize;
        for _ in 0..passes {
            let t = Instant::now();
            let planned = plan(&layout, events.clone());
            bytes = 0;
            files = 0;
            for (class, evs) in planned.files.values() {
                bytes += parquet_file(&output, *class, evs, opts).expect("file").len();
                files += 1;
            }
            rates.push(events.len() as f64 / t.elapsed().as_secs_f64());
        }
        rates.sort_by(f64::total_cmp);
        println!(
            "{label}: {} records in {files} files ({} classes), {:.0} records/s best, {:.0} median (one core), {:.0} bytes/record after compression",
            events.len(),
            files,
            rates[rates.len() - 1],
            rates[rates.len() / 2],
            bytes as f64 / events.len() as f64
        );
    }
}
