use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};
use ocsfmap::classify::Config;
use ocsfmap::eval::{self, Prediction, Report};
use ocsfmap::kb::{self, sources, BuildOptions};
use ocsfmap::schema::Schema;

use crate::{kb_cmd, progress, ModeArg};

#[derive(clap::Args)]
pub struct Args {
    /// OCSF schema export. Defaults to $OCSF_SCHEMA.
    #[arg(long, env = "OCSF_SCHEMA")]
    pub schema: PathBuf,
    /// Labelled records to evaluate (JSONL with raw, class_uid, activity_id, source).
    #[arg(long, num_args = 1.., required = true)]
    pub labeled: Vec<PathBuf>,
    /// Knowledge that is always in the KB (pack files, our own examples).
    #[arg(long, num_args = 1..)]
    pub examples: Vec<PathBuf>,
    /// all-MiniLM-L6-v2 directory. Defaults to $OCSFMAP_MODEL_DIR.
    #[arg(long, env = "OCSFMAP_MODEL_DIR")]
    pub model: Option<PathBuf>,
    /// Print the per-source table (the protocol is always leave-one-source-out).
    #[arg(long)]
    pub by_source: bool,
    /// Print the reliability table and expected calibration error.
    #[arg(long)]
    pub calibration: bool,
    /// Search mode (for the ablation).
    #[arg(long, value_enum, default_value_t = ModeArg::Hybrid)]
    pub mode: ModeArg,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Also write every prediction as JSONL here.
    #[arg(long)]
    pub predictions: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    let started = Instant::now();
    let schema = Schema::load(&a.schema)?;
    let labeled = sources::read_paths(&a.labeled)?.examples;
    if labeled.is_empty() {
        bail!("no labelled records in {:?}", a.labeled);
    }
    let extra = sources::read_paths(&a.examples)?;
    let needs_model = !matches!(a.mode, ModeArg::Lexical);
    if needs_model && a.model.is_none() {
        eprintln!("ocsfmap: no --model / OCSFMAP_MODEL_DIR: evaluating lexical-only");
    }
    let embedder = if needs_model { kb_cmd::load_embedder(a.model.as_deref())?.map(Arc::new) } else { None };

    let mut examples = extra.examples;
    examples.extend(labeled.iter().cloned());
    let pb = progress::bar(0, "embedding");
    let on_progress = |d: usize, t: usize| {
        pb.set_length(t as u64);
        pb.set_position(d as u64);
    };
    let body = kb::build(
        schema,
        BuildOptions { examples, pack: extra.pack, overrides: Vec::new(), embedder: embedder.as_deref(), progress: Some(&on_progress) },
    )?;
    pb.finish_and_clear();

    let cfg = Config { mode: a.mode.into(), ..Config::default() };
    let pb = progress::bar(labeled.len() as u64, "evaluating");
    let preds = eval::leave_one_source_out(&body, &labeled, embedder, &cfg, &|d, _| pb.set_position(d as u64));
    pb.finish_and_clear();
    let report = eval::report(&preds);

    if let Some(p) = &a.predictions {
        let mut s = String::new();
        for pr in &preds {
            s.push_str(&serde_json::to_string(pr)?);
            s.push('\n');
        }
        std::fs::write(p, s)?;
    }
    let (reliability, ece) = eval::reliability(&preds, 10);
    if a.json {
        let mut v = serde_json::to_value(&report)?;
        if a.calibration {
            v["ece"] = serde_json::json!(ece);
            v["reliability"] = serde_json::json!(reliability);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_report(&report, &preds, a.by_source);
        if a.calibration {
            println!("\nreliability (confidence bin, records, mean confidence, accuracy):");
            for (lo, n, c, acc) in &reliability {
                if *n > 0 {
                    println!("  [{lo:.1}, {:.1})  {n:>5}  {c:.3}  {acc:.3}", lo + 0.1);
                }
            }
            println!("ECE {ece:.4}");
        }
        println!("\n({} records, {:.1}s)", preds.len(), started.elapsed().as_secs_f64());
    }
    Ok(())
}

fn print_report(r: &Report, _preds: &[Prediction], by_source: bool) {
    println!("leave-one-source-out over {} sources, {} records", r.sources, r.records);
    println!("top-1 class accuracy  {:.4}", r.top1);
    println!("top-3 class accuracy  {:.4}", r.top3);
    println!("macro-F1 (classes)    {:.4}", r.macro_f1);
    match r.activity {
        Some(a) => println!("activity accuracy     {a:.4}  ({} records with a labelled activity)", r.activity_labelled),
        None => println!("activity accuracy     n/a"),
    }
    println!("sent to review        {:.4}", r.needs_review_share);
    if !r.confusions.is_empty() {
        println!("\nmost frequent confusions (expected -> predicted: count):");
        for (e, p, n) in &r.confusions {
            println!("  {e:>6} -> {p:<6} {n}");
        }
    }
    if by_source {
        println!("\n{:<45} {:>7} {:>7} {:>7} {:>8}", "source", "records", "top-1", "top-3", "activity");
        for s in &r.per_source {
            let act = s.activity.map(|a| format!("{a:.3}")).unwrap_or_else(|| "-".into());
            println!("{:<45} {:>7} {:>7.3} {:>7.3} {:>8}", s.source, s.records, s.top1, s.top3, act);
        }
    }
}
