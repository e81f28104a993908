//! OCSF event building on a warm signature (plan cached): µs per record over the dev-set mix,
//! per source family, and validation alone. Decisions come from a lexical classifier built
//! from `knowledge/`, with class and activity set to the dev labels.
//!
//! Run: `cargo bench -p ocsfmap-shared --bench event` (needs `../shared/data/dev` and the
//! OCSF schema beside the repository, as the tests do).

#[path = "../tests/event_support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ocsfmap::classify::Decision;
use ocsfmap::event::{EventContext, Mapper};
use ocsfmap::parse::Record;
use support::*;

// The allocator the `classify` function and the CLI run with (their `main.rs`).
#[global_allocator]
static GA: ocsfmap::alloc::MiMalloc = ocsfmap::alloc::MiMalloc;

struct Prepared {
    source: String,
    raw: String,
    record: Record,
    decision: Decision,
}

fn prepare() -> (Mapper, Vec<Prepared>) {
    let schema = load_schema();
    let records = dev_records();
    let clf = lexical_classifier(&schema);
    let mapper = mapper(&schema);
    let prepared: Vec<Prepared> = records
        .iter()
        .map(|r| {
            let (record, decision) =
                labelled_record(&schema, &clf, &r.raw, r.class_uid, r.activity_id);
            Prepared { source: r.source.clone(), raw: r.raw.clone(), record, decision }
        })
        .collect();
    (mapper, prepared)
}

fn run(mapper: &Mapper, items: &[&Prepared], ctx: &EventContext) {
    for p in items {
        black_box(mapper.build_raw(&p.raw, &p.record, &p.decision, ctx));
    }
}

/// What a pass of `OCSFMAP_BENCH_PASSES` does (`OCSFMAP_BENCH_OUTPUT`): build only (unset),
/// build and write JSON (`json`), or build, rewrite to an OCSF version and write JSON
/// (`1.1.0`, `1.3.0`, ...), the three costs issue #19 compares.
enum PassOutput {
    Build,
    Json,
    Version(ocsfmap::version::OutputVersion),
}

/// One pass under its own name, so a profiler can collect the timed passes only
/// (`valgrind --tool=callgrind --toggle-collect='*timed_pass*'`).
#[inline(never)]
fn timed_pass(mapper: &Mapper, items: &[&Prepared], ctx: &EventContext, out: &PassOutput) {
    match out {
        PassOutput::Build => run(mapper, items, ctx),
        PassOutput::Json => {
            for p in items {
                black_box(mapper.build_raw(&p.raw, &p.record, &p.decision, ctx).event.to_json());
            }
        }
        PassOutput::Version(v) => {
            for p in items {
                let mut e = mapper.build_raw(&p.raw, &p.record, &p.decision, ctx);
                v.convert(&mut e.event, &e.mapped, ctx.received_at_ms);
                black_box(e.event.to_json());
            }
        }
    }
}

fn pass_output() -> PassOutput {
    match std::env::var("OCSFMAP_BENCH_OUTPUT").ok().as_deref() {
        None | Some("") => PassOutput::Build,
        Some("json") => PassOutput::Json,
        Some(version) => {
            let dir =
                std::path::PathBuf::from(std::env::var_os("OCSF_SCHEMA").expect("OCSF_SCHEMA"));
            let path = ocsfmap::version::export_path(dir.parent().unwrap_or(&dir), version)
                .expect("export beside $OCSF_SCHEMA");
            PassOutput::Version(
                ocsfmap::version::OutputVersion::load(&path, version).expect("export"),
            )
        }
    }
}

fn bench(c: &mut Criterion) {
    let (mapper, prepared) = prepare();
    let ctx = EventContext {
        event_id: Some(uuid::Uuid::now_v7()),
        received_at_ms: 1_735_689_600_000,
        source: None,
    };
    let all: Vec<&Prepared> = prepared.iter().collect();
    // Warm every plan first: the benchmark is about warm signatures.
    run(&mapper, &all, &ctx);
    // `OCSFMAP_BENCH_PASSES=N`: N passes over the mix and nothing else (for `perf`), each
    // timed on its own: the best and the median say more than a mean on a shared machine.
    if let Some(n) =
        std::env::var("OCSFMAP_BENCH_PASSES").ok().and_then(|v| v.parse::<usize>().ok())
    {
        let out = pass_output();
        // A version's cost as a ratio to the 1.8.0 JSON cost, passes alternating so both see
        // the same machine: the paired per-pass ratios' median is the figure issue #19 asks for.
        if let PassOutput::Version(v) = &out {
            let json = PassOutput::Json;
            let time = |o: &PassOutput| {
                let t = std::time::Instant::now();
                timed_pass(&mapper, &all, &ctx, o);
                t.elapsed().as_secs_f64()
            };
            let mut ratios: Vec<f64> = (0..n).map(|_| time(&out) / time(&json)).collect();
            ratios.sort_by(f64::total_cmp);
            if let (Some(lo), Some(median), Some(hi)) =
                (ratios.first(), ratios.get(ratios.len() / 2), ratios.last())
            {
                eprintln!(
                    "OCSF {} event cost x 1.8.0, {n} paired passes: median {median:.3}, min {lo:.3}, max {hi:.3}",
                    v.version()
                );
            }
        }
        let mut per_record: Vec<f64> = (0..n)
            .map(|_| {
                let t = std::time::Instant::now();
                timed_pass(&mapper, &all, &ctx, &out);
                t.elapsed().as_secs_f64() * 1e6 / all.len() as f64
            })
            .collect();
        per_record.sort_by(f64::total_cmp);
        if let (Some(best), Some(median)) =
            (per_record.first(), per_record.get(per_record.len() / 2))
        {
            eprintln!(
                "dev mix, {n} passes: best {best:.2} µs/record, median {median:.2} µs/record"
            );
        }
        return;
    }

    let mut g = c.benchmark_group("event_build_warm");
    g.throughput(Throughput::Elements(all.len() as u64));
    g.bench_function("dev_mix", |b| b.iter(|| run(&mapper, &all, &ctx)));
    // What the `classify` function stores: the event written out as JSON text.
    g.bench_function("dev_mix_json", |b| {
        b.iter(|| {
            for p in &all {
                black_box(mapper.build_raw(&p.raw, &p.record, &p.decision, &ctx).event.to_json());
            }
        })
    });
    // The same, emitted in an older OCSF version (issue #19: at most 1.5x the 1.8.0 cost).
    if let Some(dir) = std::env::var_os("OCSF_SCHEMA").map(std::path::PathBuf::from) {
        for version in ["1.1.0", "1.3.0"] {
            let Ok(path) = ocsfmap::version::export_path(dir.parent().unwrap_or(&dir), version)
            else {
                eprintln!("no OCSF {version} export beside $OCSF_SCHEMA: skipping its benchmark");
                continue;
            };
            let output = ocsfmap::version::OutputVersion::load(&path, version).expect("export");
            g.bench_function(format!("dev_mix_json_{version}"), |b| {
                b.iter(|| {
                    for p in &all {
                        let mut e = mapper.build_raw(&p.raw, &p.record, &p.decision, &ctx);
                        output.convert(&mut e.event, &e.mapped, ctx.received_at_ms);
                        black_box(e.event.to_json());
                    }
                })
            });
        }
    }
    for family in ["windows", "zeek (", "aws/cloudtrail", "apache", "linux/sshd", "okta"] {
        let items: Vec<&Prepared> =
            prepared.iter().filter(|p| p.source.starts_with(family)).collect();
        if items.is_empty() {
            continue;
        }
        g.throughput(Throughput::Elements(items.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("source", family.trim_end_matches(" (")),
            &items,
            |b, items| b.iter(|| run(&mapper, items, &ctx)),
        );
    }
    g.finish();

    let events: Vec<(u32, ocsfmap::event::Ev)> = prepared
        .iter()
        .map(|p| {
            (p.decision.class_uid, mapper.build_raw(&p.raw, &p.record, &p.decision, &ctx).event)
        })
        .collect();
    let mut g = c.benchmark_group("event_validate");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("dev_mix", |b| {
        b.iter(|| {
            for (class, ev) in &events {
                black_box(mapper.validate_event(*class, ev));
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(8));
    targets = bench
}
criterion_main!(benches);
