//! BM25 over the documents' tokens.

use std::collections::HashMap;

const K1: f32 = 1.2;
const B: f32 = 0.75;

#[derive(Debug, Default)]
pub struct Bm25 {
    /// term → (doc index, term frequency)
    postings: HashMap<String, Vec<(u32, u16)>>,
    doc_len: Vec<f32>,
    avg_len: f32,
}

/// BM25's inverse document frequency of a term found in `df` of `n` documents.
fn idf(n: usize, df: usize) -> f32 {
    let (n, df) = (n as f32, df as f32);
    ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
}

impl Bm25 {
    /// Builds the index from each document's tokens.
    pub fn build<'a>(docs: impl IntoIterator<Item = &'a [String]>) -> Self {
        let mut postings: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
        let mut doc_len = Vec::new();
        for (i, toks) in docs.into_iter().enumerate() {
            let mut tf: HashMap<&str, u16> = HashMap::new();
            for t in toks {
                *tf.entry(t.as_str()).or_default() =
                    tf.get(t.as_str()).copied().unwrap_or(0).saturating_add(1);
            }
            for (t, n) in tf {
                postings.entry(t.to_string()).or_default().push((i as u32, n));
            }
            doc_len.push(toks.len() as f32);
        }
        let avg_len = if doc_len.is_empty() {
            1.0
        } else {
            doc_len.iter().sum::<f32>() / doc_len.len() as f32
        }
        .max(1.0);
        Bm25 { postings, doc_len, avg_len }
    }

    /// The documents containing `term`, with the term's frequency in each.
    pub fn postings(&self, term: &str) -> &[(u32, u16)] {
        self.postings.get(term).map_or(&[], Vec::as_slice)
    }

    /// Every term with its postings (in no particular order).
    pub fn terms(&self) -> impl Iterator<Item = (&str, &[(u32, u16)])> {
        self.postings.iter().map(|(t, p)| (t.as_str(), p.as_slice()))
    }

    /// How many distinct terms the documents have.
    pub fn vocabulary(&self) -> usize {
        self.postings.len()
    }

    /// How many documents contain `term`.
    pub fn df(&self, term: &str) -> usize {
        self.postings.get(term).map_or(0, Vec::len)
    }

    /// The documents containing `term`.
    pub fn docs(&self, term: &str) -> impl Iterator<Item = usize> + '_ {
        self.postings.get(term).into_iter().flatten().map(|&(d, _)| d as usize)
    }

    /// BM25's inverse document frequency of `term` (a term in no document is the rarest).
    pub fn idf(&self, term: &str) -> f32 {
        idf(self.doc_len.len(), self.df(term))
    }

    pub fn len(&self) -> usize {
        self.doc_len.len()
    }

    pub fn is_empty(&self) -> bool {
        self.doc_len.is_empty()
    }

    /// Scores every document matching at least one query term; `allowed` filters documents
    /// (used by evaluation to hide a held-out source).
    pub fn scores(&self, query: &[String], allowed: &dyn Fn(usize) -> bool) -> Vec<(usize, f32)> {
        let mut qtf: HashMap<&str, f32> = HashMap::new();
        for t in query {
            *qtf.entry(t.as_str()).or_default() += 1.0;
        }
        // Terms in a fixed order: float sums then do not depend on hash iteration order, so
        // scores, the calibration fitted on them and the artifact's content hash are
        // reproducible (a rebuild of unchanged inputs must be byte-identical).
        let mut qtf: Vec<(&str, f32)> = qtf.into_iter().collect();
        qtf.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut acc: HashMap<u32, f32> = HashMap::new();
        for (term, qw) in qtf {
            let Some(list) = self.postings.get(term) else { continue };
            let idf = idf(self.doc_len.len(), list.len());
            // Repeated query terms count, but with diminishing weight.
            let qw = 1.0 + qw.ln();
            for &(d, tf) in list {
                if !allowed(d as usize) {
                    continue;
                }
                let tf = tf as f32;
                let norm = K1 * (1.0 - B + B * self.doc_len[d as usize] / self.avg_len);
                *acc.entry(d).or_default() += qw * idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut out: Vec<(usize, f32)> = acc.into_iter().map(|(d, s)| (d as usize, s)).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn rare_matching_terms_rank_first() {
        let docs = [
            toks("user logon failed password"),
            toks("network traffic source destination port"),
            toks("user created account"),
        ];
        let idx = Bm25::build(docs.iter().map(|d| d.as_slice()));
        let r = idx.scores(&toks("logon password user"), &|_| true);
        assert_eq!(r[0].0, 0);
        assert_eq!(r.len(), 2);
        let r = idx.scores(&toks("logon password user"), &|d| d != 0);
        assert_eq!(r[0].0, 2);
        assert!(idx.scores(&toks("nothing"), &|_| true).is_empty());
    }
}
