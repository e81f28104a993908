//! Parser throughput in records/s: the dev corpus mix (JSON-heavy, as real traffic is), each
//! line format on its own, and the formats the corpus lacks (CEF, LEEF, Windows XML, CSV).
//!
//! Run: `cargo bench -p ocsfmap-shared --bench parse` (corpus path: `OCSFMAP_DEV_CORPUS`, default
//! `../shared/data/dev/corpus.jsonl` beside the repository).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocsfmap::parse::{parse, StreamParser};

fn corpus() -> Vec<(String, String)> {
    let path = std::env::var_os("OCSFMAP_DEV_CORPUS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/dev/corpus.jsonl")
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("dev corpus at {}: {e} (set OCSFMAP_DEV_CORPUS)", path.display())
    });
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            let format = v["format"].as_str().unwrap_or_default().to_owned();
            (format, v["raw"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn synthetic() -> Vec<String> {
    vec![
        "CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 msg=Detected a threat. No action needed act=blocked suser=alice".into(),
        "<134>Jan  1 00:00:00 fw01 CEF:0|Vendor|Product|1.0|100|Blocked|7|src=1.2.3.4 dst=5.6.7.8 act=blocked".into(),
        "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^cat=anomaly^msg=flood".into(),
        r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}"/><EventID>4624</EventID><Version>2</Version><Level>0</Level><TimeCreated SystemTime="2020-12-19T07:00:22.264Z"/><Channel>Security</Channel><Computer>WORKSTATION6.theshire.local</Computer></System><EventData><Data Name="TargetUserName">bob</Data><Data Name="LogonType">3</Data><Data Name="IpAddress">10.0.0.7</Data></EventData></Event>"#.into(),
        "time,user,action,result\n2024-01-01T00:00:00Z,alice,login,\"ok, fine\"".into(),
        r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event"#.into(),
    ]
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    let all: Vec<&str> = corpus.iter().map(|(_, raw)| raw.as_str()).collect();

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(all.len() as u64));
    group.bench_function("corpus_mix", |b| {
        b.iter(|| {
            for raw in &all {
                black_box(parse(black_box(raw)));
            }
        })
    });
    for format in ["json", "syslog", "kv", "text"] {
        let subset: Vec<&str> =
            corpus.iter().filter(|(f, _)| f == format).map(|(_, r)| r.as_str()).collect();
        group.throughput(Throughput::Elements(subset.len() as u64));
        group.bench_function(format!("corpus_{format}"), |b| {
            b.iter(|| {
                for raw in &subset {
                    black_box(parse(black_box(raw)));
                }
            })
        });
    }
    let extra = synthetic();
    group.throughput(Throughput::Elements(extra.len() as u64));
    group.bench_function("cef_leef_xml_csv_5424", |b| {
        b.iter(|| {
            for raw in &extra {
                black_box(parse(black_box(raw)));
            }
        })
    });
    let zeek: Vec<String> = (0..1000)
        .map(|i| {
            format!("1588318171.{i}\tC{i}\t10.0.1.4\t55739\t10.0.0.4\t88\ttcp\tkrb_tcp\t-\t(empty)")
        })
        .collect();
    group.throughput(Throughput::Elements(zeek.len() as u64));
    group.bench_function("stream_zeek", |b| {
        b.iter(|| {
            let mut sp = StreamParser::new();
            sp.feed("#separator \\x09");
            sp.feed("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\ttunnel_parents");
            for line in &zeek {
                black_box(sp.feed(black_box(line)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
