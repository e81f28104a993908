//! Hybrid search over the knowledge base: BM25 on lexical terms and cosine similarity on
//! MiniLM vectors, fused by reciprocal rank.

pub mod lexical;

use serde::{Deserialize, Serialize};

use crate::embed::dot;
use crate::kb::KnowledgeBase;

/// Which indexes a search uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Lexical,
    Dense,
    #[default]
    Hybrid,
}

/// Reciprocal-rank-fusion constant: larger flattens the contribution of top ranks.
const RRF_K: f32 = 20.0;
/// How deep each list is read before fusing.
const DEPTH: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub doc: usize,
    /// Fused score (RRF), or the single index's score in single-index modes.
    pub score: f32,
    pub lexical: Option<f32>,
    pub dense: Option<f32>,
}

/// Ranked documents for a query. `vector` is the query embedding (needed for dense modes);
/// `allowed` hides documents (evaluation holds a source out this way).
pub fn search(
    kb: &KnowledgeBase,
    terms: &[String],
    vector: Option<&[f32]>,
    mode: Mode,
    allowed: &dyn Fn(usize) -> bool,
) -> Vec<Hit> {
    let lexical = if mode != Mode::Dense { kb.lexical.scores(terms, allowed) } else { Vec::new() };
    let dense = match (mode, vector) {
        (Mode::Lexical, _) | (_, None) => Vec::new(),
        (_, Some(q)) => dense_scores(kb, q, allowed),
    };
    match (lexical.is_empty(), dense.is_empty()) {
        (_, true) => lexical
            .into_iter()
            .take(DEPTH)
            .map(|(doc, s)| Hit { doc, score: s, lexical: Some(s), dense: None })
            .collect(),
        (true, false) if mode == Mode::Dense || lexical.is_empty() => dense
            .into_iter()
            .take(DEPTH)
            .map(|(doc, s)| Hit { doc, score: s, lexical: None, dense: Some(s) })
            .collect(),
        _ => fuse(&lexical, &dense),
    }
}

fn dense_scores(
    kb: &KnowledgeBase,
    q: &[f32],
    allowed: &dyn Fn(usize) -> bool,
) -> Vec<(usize, f32)> {
    let mut out: Vec<(usize, f32)> = (0..kb.docs().len())
        .filter(|&i| allowed(i))
        .filter_map(|i| kb.embedding(i).map(|v| (i, dot(q, v))))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out.truncate(DEPTH);
    out
}

fn fuse(lexical: &[(usize, f32)], dense: &[(usize, f32)]) -> Vec<Hit> {
    let mut hits: std::collections::HashMap<usize, Hit> = std::collections::HashMap::new();
    for (rank, &(doc, s)) in lexical.iter().take(DEPTH).enumerate() {
        let h = hits.entry(doc).or_insert(Hit { doc, score: 0.0, lexical: None, dense: None });
        h.score += 1.0 / (RRF_K + rank as f32 + 1.0);
        h.lexical = Some(s);
    }
    for (rank, &(doc, s)) in dense.iter().take(DEPTH).enumerate() {
        let h = hits.entry(doc).or_insert(Hit { doc, score: 0.0, lexical: None, dense: None });
        h.score += 1.0 / (RRF_K + rank as f32 + 1.0);
        h.dense = Some(s);
    }
    let mut out: Vec<Hit> = hits.into_values().collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
    out
}
