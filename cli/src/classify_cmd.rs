use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use ocsfmap::classify::{Classifier, Config};
use ocsfmap::event::{EventContext, Mapper};
use ocsfmap::parse::StreamParser;

use crate::{kb_cmd, progress, ModeArg};

#[derive(clap::Args)]
pub struct Args {
    /// Knowledge base artifact built by `ocsfmap kb build`.
    #[arg(long, env = "OCSFMAP_KB")]
    pub kb: PathBuf,
    /// all-MiniLM-L6-v2 directory (dense search). Defaults to $OCSFMAP_MODEL_DIR.
    #[arg(long, env = "OCSFMAP_MODEL_DIR")]
    pub model: Option<PathBuf>,
    /// Input file, or `-` for stdin.
    #[arg(long, default_value = "-")]
    pub input: String,
    /// Treat input as JSONL whose field NAME holds the raw record.
    #[arg(long, value_name = "NAME")]
    pub jsonl_field: Option<String>,
    /// Search mode.
    #[arg(long, value_enum, default_value_t = ModeArg::Hybrid)]
    pub mode: ModeArg,
    /// Confidence below which a decision is flagged `needs_review`.
    #[arg(long, default_value_t = 0.6)]
    pub review_threshold: f32,
    /// What to print per record: the decision, or the OCSF event (as `classify` stores it).
    #[arg(long, value_enum, default_value_t = Emit::Decision)]
    pub emit: Emit,
    /// Add `explain` to each decision: every candidate class's score term by term (retrieval
    /// share, class statistics, schema text, missing-subject penalty), the documents behind
    /// it with the weight each got and the rule that set it, the regime's weights and the
    /// calibration's inputs.
    #[arg(long)]
    pub explain: bool,
    /// OCSF version of emitted events (`--emit event`), 1.0.0 to 1.8.0; default: the KB's.
    /// Classes and attributes the version lacks are handled as docs/ocsf-versions.md says.
    #[arg(long, env = "OCSF_OUTPUT_VERSION", value_name = "VERSION")]
    pub ocsf_version: Option<String>,
    /// That version's schema export. Default: `<VERSION>.json` beside $OCSF_SCHEMA (where
    /// scripts/fetch-assets unpacks every release's export).
    #[arg(long, value_name = "PATH")]
    pub ocsf_export: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    Decision,
    Event,
}

pub fn run(a: Args) -> Result<()> {
    if !(0.0..=1.0).contains(&a.review_threshold) {
        bail!("--review-threshold must be between 0 and 1");
    }
    if a.explain && a.emit == Emit::Event {
        bail!("--explain explains decisions: use it with --emit decision");
    }
    let output = match a.ocsf_version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => {
            let path = match &a.ocsf_export {
                Some(p) => p.clone(),
                None => {
                    let schema = std::env::var_os("OCSF_SCHEMA").map(PathBuf::from).context(
                        "--ocsf-version needs --ocsf-export or $OCSF_SCHEMA (eval \"$(scripts/fetch-assets)\")",
                    )?;
                    let dir = schema.parent().map(PathBuf::from).unwrap_or_default();
                    ocsfmap::version::export_path(&dir, v)?
                }
            };
            Some(ocsfmap::version::OutputVersion::load(&path, v)?)
        }
    };
    if output.is_some() && a.emit != Emit::Event {
        bail!("--ocsf-version sets the version of events: use it with --emit event");
    }
    let kb = Arc::new(ocsfmap::kb::artifact::load(&a.kb)?);
    let embedder = if matches!(a.mode, ModeArg::Lexical) {
        None
    } else {
        kb_cmd::load_embedder(a.model.as_deref())?.map(Arc::new)
    };
    let cfg =
        Config { mode: a.mode.into(), review_threshold: a.review_threshold, ..Config::default() };
    let mapper = (a.emit == Emit::Event).then(|| Mapper::for_kb(&kb));
    let clf = Classifier::new(kb, embedder, cfg);

    let reader: Box<dyn BufRead> = if a.input == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(&a.input).with_context(|| format!("opening {}", a.input))?;
        Box::new(std::io::BufReader::new(f))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let pb = progress::bar(0, "classifying");
    let mut stream = StreamParser::new();
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line.with_context(|| format!("reading {} at line {}", a.input, n + 1))?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() {
            continue;
        }
        let (record, raw) = match &a.jsonl_field {
            Some(field) => {
                let v: serde_json::Value = serde_json::from_str(text)
                    .with_context(|| format!("{} line {}: not valid JSON", a.input, n + 1))?;
                let raw = match v.get(field) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => bail!("{} line {}: no field `{field}`", a.input, n + 1),
                };
                (Some(ocsfmap::parse::parse(&raw)), raw)
            }
            None => (stream.feed(text), text.to_string()),
        };
        let Some(record) = record else { continue };
        let d = clf.classify_record(&record);
        match &mapper {
            Some(m) => {
                let ctx = EventContext {
                    event_id: Some(uuid::Uuid::now_v7()),
                    received_at_ms: ocsfmap::pipeline::now_ms(),
                    source: None,
                };
                let mut built = m.build_raw(&raw, &record, &d, &ctx);
                if let Some(o) = &output {
                    o.convert(&mut built.event, &built.mapped, ctx.received_at_ms);
                }
                out.write_all(built.event.to_json().as_bytes())?;
            }
            None if a.explain => {
                let mut v = serde_json::to_value(&d)?;
                v["explain"] = serde_json::to_value(clf.explain(&record))?;
                serde_json::to_writer(&mut out, &v)?
            }
            None => serde_json::to_writer(&mut out, &d)?,
        }
        out.write_all(b"\n")?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    out.flush()?;
    Ok(())
}
