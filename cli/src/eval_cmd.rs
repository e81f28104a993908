use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};
use ocsfmap::classify::Config;
use ocsfmap::eval::{self, Prediction, Protocol, Report};
use ocsfmap::kb::products::ProductTable;
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
    /// What each fold hides: `source` (leave one source out), `product` (leave one product
    /// out: also every pack entry, example and dev record of the source's products; the
    /// strict protocol), or `knowledge` (leave one knowledge product out: our own examples,
    /// each product's classified by a KB without that product).
    #[arg(long, value_enum, default_value_t = ProtocolArg::Source)]
    pub protocol: ProtocolArg,
    /// Print the per-source table.
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
    /// Few-shot curve: for each source held out, add its first k records (file order) as
    /// analyst overrides and classify the rest, for each k given (e.g. `--shots 1,3,10`).
    #[arg(long, value_delimiter = ',')]
    pub shots: Vec<usize>,
    /// File memoising sentence embeddings across runs (texts unchanged since the last run are
    /// not embedded again). Defaults to $OCSFMAP_EMBED_CACHE; none when unset.
    #[arg(long, env = "OCSFMAP_EMBED_CACHE")]
    pub embed_cache: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProtocolArg {
    Source,
    Product,
    Knowledge,
}

impl ProtocolArg {
    fn title(self) -> &'static str {
        match self {
            ProtocolArg::Source => "leave-one-source-out",
            ProtocolArg::Product => "leave-one-product-out",
            ProtocolArg::Knowledge => "leave-one-knowledge-product-out",
        }
    }
}

pub fn run(a: Args) -> Result<()> {
    let started = Instant::now();
    let schema = Schema::load(&a.schema)?;
    let labeled = sources::read_paths(&a.labeled)?.examples;
    if labeled.is_empty() {
        bail!("no labelled records in {:?}", a.labeled);
    }
    let extra = sources::read_paths(&a.examples)?;
    let table = ProductTable::new(extra.products.clone());
    if a.protocol != ProtocolArg::Source && table.is_empty() {
        bail!("--protocol {:?} needs the product-identity table (knowledge/products.jsonl) among --examples", a.protocol);
    }
    if a.protocol == ProtocolArg::Knowledge && !a.shots.is_empty() {
        bail!("--shots applies to labelled sources (--protocol source or product)");
    }
    let own_examples = extra.examples.clone();
    let needs_model = !matches!(a.mode, ModeArg::Lexical);
    if needs_model && a.model.is_none() {
        eprintln!("ocsfmap: no --model / OCSFMAP_MODEL_DIR: evaluating lexical-only");
    }
    let embedder =
        if needs_model { kb_cmd::load_embedder(a.model.as_deref())?.map(Arc::new) } else { None };
    if let (Some(e), Some(p)) = (&embedder, &a.embed_cache) {
        e.load_memo(p);
    }

    let mut examples = extra.examples;
    examples.extend(labeled.iter().cloned());
    let pb = progress::bar(0, "embedding");
    let on_progress = |d: usize, t: usize| {
        pb.set_length(t as u64);
        pb.set_position(d as u64);
    };
    let body = kb::build(
        schema,
        BuildOptions {
            examples,
            pack: extra.pack,
            products: extra.products,
            overrides: Vec::new(),
            embedder: embedder.as_deref(),
            progress: Some(&on_progress),
        },
    )?;
    pb.finish_and_clear();

    let cfg = Config { mode: a.mode.into(), ..Config::default() };
    let pb = progress::bar(0, "evaluating");
    let on_eval = |d: usize, t: usize| {
        pb.set_length(t as u64);
        pb.set_position(d as u64);
    };
    let protocol = match a.protocol {
        ProtocolArg::Product => Protocol::Product,
        _ => Protocol::Source,
    };
    let preds = match a.protocol {
        ProtocolArg::Knowledge => eval::leave_one_knowledge_product_out(
            &body,
            &own_examples,
            &table,
            embedder.clone(),
            &cfg,
            &on_eval,
        ),
        _ => eval::leave_one_out(
            &body,
            &labeled,
            &table,
            protocol,
            embedder.clone(),
            &cfg,
            &on_eval,
        )?,
    };
    pb.finish_and_clear();
    let report = eval::report(&preds);
    let shots = if a.shots.is_empty() {
        Vec::new()
    } else {
        let pb = progress::bar(0, "few-shot");
        let runs = eval::few_shot(
            &body,
            &labeled,
            &table,
            protocol,
            embedder.clone(),
            &cfg,
            &a.shots,
            &|d, t| {
                pb.set_length(t as u64);
                pb.set_position(d as u64);
            },
        )?;
        pb.finish_and_clear();
        if let Some(p) = &a.predictions {
            for (k, preds) in &runs {
                let mut s = String::new();
                for pr in preds {
                    s.push_str(&serde_json::to_string(pr)?);
                    s.push('\n');
                }
                std::fs::write(p.with_extension(format!("shots{k}.jsonl")), s)?;
            }
        }
        eval::shot_rows(&runs)
    };
    if let (Some(e), Some(p)) = (&embedder, &a.embed_cache) {
        if let Err(err) = e.save_memo(p) {
            eprintln!("ocsfmap: cannot save the embedding memo: {err}");
        }
    }

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
        v["protocol"] = serde_json::json!(a.protocol.title());
        if a.calibration {
            v["ece"] = serde_json::json!(ece);
            v["reliability"] = serde_json::json!(reliability);
            let (p, n) = precision_at(&preds, 0.9);
            v["precision_at_0_9"] = serde_json::json!(p);
            v["records_at_0_9"] = serde_json::json!(n);
            v["share_at_0_9"] = serde_json::json!(n as f64 / preds.len().max(1) as f64);
        }
        if !shots.is_empty() {
            v["shots"] = serde_json::to_value(&shots)?;
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_report(a.protocol.title(), &report, &preds, a.by_source);
        if a.calibration {
            println!("\nreliability (confidence bin, records, mean confidence, accuracy):");
            for (lo, n, c, acc) in &reliability {
                if *n > 0 {
                    println!("  [{lo:.1}, {:.1})  {n:>5}  {c:.3}  {acc:.3}", lo + 0.1);
                }
            }
            println!("ECE {ece:.4}");
            let (p, n) = precision_at(&preds, 0.9);
            println!(
                "precision at confidence >= 0.9: {p:.4} ({n} records, {:.3} of all)",
                n as f64 / preds.len().max(1) as f64
            );
        }
        if !shots.is_empty() {
            print_shots(&shots, a.by_source);
        }
        println!("\n({} records, {:.1}s)", preds.len(), started.elapsed().as_secs_f64());
    }
    Ok(())
}

fn print_report(protocol: &str, r: &Report, _preds: &[Prediction], by_source: bool) {
    println!("{protocol} over {} sources, {} records", r.sources, r.records);
    println!("top-1 class accuracy  {:.4}", r.top1);
    println!("top-3 class accuracy  {:.4}", r.top3);
    println!("macro-F1 (classes)    {:.4}", r.macro_f1);
    match r.activity {
        Some(a) => println!(
            "activity accuracy     {a:.4}  ({} records with a labelled activity)",
            r.activity_labelled
        ),
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
        println!(
            "\n{:<45} {:>7} {:>7} {:>7} {:>8}",
            "source", "records", "top-1", "top-3", "activity"
        );
        for s in &r.per_source {
            let act = s.activity.map(|a| format!("{a:.3}")).unwrap_or_else(|| "-".into());
            println!(
                "{:<45} {:>7} {:>7.3} {:>7.3} {:>8}",
                s.source, s.records, s.top1, s.top3, act
            );
        }
    }
}

/// Top-1 precision among predictions with confidence >= `t`, and how many there are.
fn precision_at(preds: &[Prediction], t: f32) -> (f64, usize) {
    let sel: Vec<&Prediction> = preds.iter().filter(|p| p.decision.confidence >= t).collect();
    let ok = sel.iter().filter(|p| p.correct()).count();
    (if sel.is_empty() { 0.0 } else { ok as f64 / sel.len() as f64 }, sel.len())
}

fn print_shots(rows: &[eval::ShotRow], by_source: bool) {
    println!(
        "\nfew-shot: first k records of each held-out source as overrides, the rest classified"
    );
    println!("{:>6} {:>8} {:>7} {:>8}", "k", "records", "top-1", "activity");
    for r in rows {
        let act = r.activity.map(|a| format!("{a:.4}")).unwrap_or_else(|| "-".into());
        println!("{:>6} {:>8} {:>7.4} {:>8}", r.shots, r.records, r.top1, act);
    }
    if by_source {
        let head: Vec<String> =
            rows.iter().map(|r| format!("{:>8}", format!("k={}", r.shots))).collect();
        println!("\n{:<45} {}", "source (top-1 after k corrections)", head.join(" "));
        let mut sources: Vec<&str> =
            rows.iter().flat_map(|r| r.per_source.iter().map(|s| s.source.as_str())).collect();
        sources.sort();
        sources.dedup();
        for s in sources {
            let cells: Vec<String> = rows
                .iter()
                .map(|r| {
                    let v = r
                        .per_source
                        .iter()
                        .find(|x| x.source == s)
                        .map(|x| format!("{:.3}", x.top1))
                        .unwrap_or_else(|| "-".into());
                    format!("{v:>8}")
                })
                .collect();
            println!("{:<45} {}", s, cells.join(" "));
        }
    }
}
