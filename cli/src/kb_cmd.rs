use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use ocsfmap::embed::Embedder;
use ocsfmap::kb::{self, sources, BuildOptions};
use ocsfmap::schema::Schema;

use crate::progress;

#[derive(clap::Args)]
pub struct BuildArgs {
    /// OCSF schema export (JSON). Defaults to $OCSF_SCHEMA.
    #[arg(long, env = "OCSF_SCHEMA")]
    pub schema: PathBuf,
    /// Labelled example and knowledge-pack files (JSONL), or directories of them.
    #[arg(long, num_args = 1..)]
    pub examples: Vec<PathBuf>,
    /// Analyst overrides (JSONL in the example format); they take priority for their shape.
    #[arg(long, num_args = 1..)]
    pub overrides: Vec<PathBuf>,
    /// all-MiniLM-L6-v2 directory; without it the KB has no dense vectors. Defaults to $OCSFMAP_MODEL_DIR.
    #[arg(long, env = "OCSFMAP_MODEL_DIR")]
    pub model: Option<PathBuf>,
    /// Where to write the artifact.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn load_embedder(model: Option<&Path>) -> Result<Option<Embedder>> {
    match model {
        Some(dir) => Ok(Some(
            Embedder::load(dir)
                .with_context(|| format!("loading the embedding model from {}", dir.display()))?,
        )),
        None => Ok(None),
    }
}

pub fn build(a: BuildArgs) -> Result<()> {
    let started = Instant::now();
    let schema = Schema::load(&a.schema)?;
    let inputs = sources::read_paths(&a.examples)?;
    let overrides = sources::read_paths(&a.overrides)?.examples;
    let embedder = load_embedder(a.model.as_deref())?;
    let pb = progress::bar(0, "embedding");
    let progress = |done: usize, total: usize| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    };
    let body = kb::build(
        schema,
        BuildOptions {
            overrides,
            embedder: embedder.as_ref(),
            progress: Some(&progress),
            ..inputs.into()
        },
    )?;
    pb.finish_and_clear();
    let header = kb::artifact::save(&body, &a.out)?;
    eprintln!(
        "wrote {} (OCSF {}, {} class docs, {} examples, {} pack entries, {} overrides, dense: {}) in {:.1}s",
        a.out.display(),
        header.ocsf_version,
        header.counts.classes,
        header.counts.examples,
        header.counts.pack,
        header.counts.overrides,
        header.embedding_model.as_deref().unwrap_or("none"),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn info(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let (header, _) = kb::artifact::read_header(&bytes, &path.display().to_string())?;
    println!("{}", serde_json::to_string_pretty(&header)?);
    Ok(())
}
