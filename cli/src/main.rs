//! `ocsfmap`: build a knowledge base, classify logs, evaluate on held-out sources.

mod classify_cmd;
mod eval_cmd;
mod kb_cmd;
mod migrate_cmd;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ocsfmap::search::Mode;

// Building events allocates a few hundred small strings and maps per record; mimalloc makes
// that about a third cheaper than the system allocator (BENCHMARKS.md, OCSF events).
#[global_allocator]
static ALLOC: ocsfmap::alloc::MiMalloc = ocsfmap::alloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ocsfmap", version, about = "Map security logs to OCSF classes and activities")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Knowledge-base commands.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Classify raw records: one JSON decision per line on stdout, in input order.
    Classify(classify_cmd::Args),
    /// Leave-one-source-out evaluation on labelled records.
    Eval(eval_cmd::Args),
    /// Create the ClickHouse database and tables (idempotent; run at deploy time).
    Migrate(migrate_cmd::Args),
}

#[derive(Subcommand)]
enum KbCommand {
    /// Build a knowledge base artifact from the OCSF schema, examples, pack files and overrides.
    Build(kb_cmd::BuildArgs),
    /// Print a knowledge base's header (format, OCSF version, build time, hash, counts).
    Info {
        /// The artifact.
        kb: PathBuf,
    },
}

/// Search mode flag shared by the subcommands.
#[derive(Clone, Copy, ValueEnum, Default)]
pub enum ModeArg {
    Lexical,
    Dense,
    #[default]
    Hybrid,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Lexical => Mode::Lexical,
            ModeArg::Dense => Mode::Dense,
            ModeArg::Hybrid => Mode::Hybrid,
        }
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OCSFMAP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Kb { command: KbCommand::Build(a) } => kb_cmd::build(a),
        Command::Kb { command: KbCommand::Info { kb } } => kb_cmd::info(&kb),
        Command::Classify(a) => classify_cmd::run(a),
        Command::Eval(a) => eval_cmd::run(a),
        Command::Migrate(a) => migrate_cmd::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocsfmap: {e:#}");
            ExitCode::from(2)
        }
    }
}
