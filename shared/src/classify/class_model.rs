//! Class statistics over the whole knowledge base: multinomial naive Bayes over a record's
//! terms, each OCSF class's term counts taken from all of its documents (the class's own
//! schema text, pack entries, labelled records).
//!
//! Retrieval compares a record with single documents, so for a product nobody described it
//! follows whichever other product's records look most alike, often a sibling product of the
//! same vendor with the same envelope and other events (CloudTrail meeting GuardDuty
//! findings). Class statistics pool every product's wording: "failed", "password", "invalid
//! user" are Authentication words across dozens of products, whatever one neighbour says.
//! Each document counts `1/sqrt(n)` where `n` is the number of documents of its product (or
//! source), so a product described in a hundred lines does not speak for its classes alone.
//! Nothing here names a product: the counts are the KB's, and the strict evaluation removes
//! a held-out product's documents before they are counted.

use crate::kb::{Doc, DocKind};
use crate::search::lexical::Bm25;

/// Additive smoothing of the per-class term weights.
const ALPHA: f32 = 1.0;

/// Per-document weights and per-class totals; the term counts are read from the lexical
/// index's postings at query time, so a query can hide documents like a search does.
#[derive(Debug, Default)]
pub struct ClassModel {
    /// Distinct classes, ascending.
    classes: Vec<u32>,
    /// Per document: index into `classes`, and its weight (0 for documents not counted).
    doc_class: Vec<u16>,
    doc_weight: Vec<f32>,
    /// Per class: the sum over its documents of weight × distinct terms.
    totals: Vec<f32>,
    /// Distinct terms in the KB (the smoothing's vocabulary size).
    vocab: f32,
    /// Per term: (class index, summed weight) over all documents, for queries that hide no
    /// document (serving), so that a record costs one lookup per term, not a postings walk.
    by_term: std::collections::HashMap<String, Vec<(u16, f32)>>,
}

/// The group a document's weight is shared within: its first product, else its source.
fn group(d: &Doc) -> &str {
    d.products.first().map(String::as_str).unwrap_or(d.source.as_str())
}

/// Terms the model reads: whole-value terms (`=createuser`) name one product's events and
/// would only add noise to class statistics.
pub fn counts_term(t: &str) -> bool {
    !t.starts_with('=')
}

impl ClassModel {
    pub fn build(docs: &[Doc], lexical: &Bm25) -> Self {
        let mut classes: Vec<u32> = docs.iter().map(|d| d.class_uid).collect();
        classes.sort_unstable();
        classes.dedup();
        let mut group_size: std::collections::HashMap<&str, usize> =
            std::collections::HashMap::new();
        for d in docs.iter().filter(|d| d.kind != DocKind::Class) {
            *group_size.entry(group(d)).or_default() += 1;
        }
        let mut totals = vec![0f32; classes.len()];
        let mut doc_class = Vec::with_capacity(docs.len());
        let mut doc_weight = Vec::with_capacity(docs.len());
        for d in docs {
            let ci = classes.binary_search(&d.class_uid).unwrap_or(0);
            let w = match d.kind {
                DocKind::Class => 1.0,
                _ => 1.0 / (group_size.get(group(d)).copied().unwrap_or(1) as f32).sqrt(),
            };
            let mut distinct: Vec<&str> =
                d.terms.iter().map(String::as_str).filter(|t| counts_term(t)).collect();
            distinct.sort_unstable();
            distinct.dedup();
            totals[ci] += w * distinct.len() as f32;
            doc_class.push(ci as u16);
            doc_weight.push(w);
        }
        let mut by_term = std::collections::HashMap::with_capacity(lexical.vocabulary());
        let mut n = vec![0f32; classes.len()];
        for (t, postings) in lexical.terms().filter(|(t, _)| counts_term(t)) {
            for &(d, _) in postings {
                n[doc_class[d as usize] as usize] += doc_weight[d as usize];
            }
            let sparse: Vec<(u16, f32)> = n
                .iter_mut()
                .enumerate()
                .filter(|(_, w)| **w > 0.0)
                .map(|(ci, w)| (ci as u16, std::mem::take(w)))
                .collect();
            by_term.insert(t.to_string(), sparse);
        }
        ClassModel {
            classes,
            doc_class,
            doc_weight,
            totals,
            vocab: lexical.vocabulary().max(1) as f32,
            by_term,
        }
    }

    /// Mean log-likelihood per distinct term of the record under each class (higher is more
    /// likely), in ascending class order, over the documents `allowed` admits (all when
    /// `None`). The class totals are the whole KB's: hiding one source or product moves them
    /// by its share only.
    pub fn scores(
        &self,
        lexical: &Bm25,
        terms: &[String],
        allowed: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<(u32, f32)> {
        let mut distinct: Vec<&str> =
            terms.iter().map(String::as_str).filter(|t| counts_term(t)).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let c = self.classes.len();
        let mut acc = vec![0f32; c];
        let mut n = vec![0f32; c];
        let mut touched: Vec<usize> = Vec::new();
        let Some(allowed) = allowed else {
            for t in &distinct {
                for &(ci, w) in self.by_term.get(*t).map(Vec::as_slice).unwrap_or(&[]) {
                    acc[ci as usize] += (w + ALPHA).ln() - ALPHA.ln();
                }
            }
            return self.finish(&acc, distinct.len());
        };
        for t in &distinct {
            for &(d, _) in lexical.postings(t) {
                let d = d as usize;
                if !allowed(d) {
                    continue;
                }
                let ci = self.doc_class[d] as usize;
                if n[ci] == 0.0 {
                    touched.push(ci);
                }
                n[ci] += self.doc_weight[d];
            }
            for &ci in &touched {
                acc[ci] += (n[ci] + ALPHA).ln() - ALPHA.ln();
                n[ci] = 0.0;
            }
            touched.clear();
        }
        self.finish(&acc, distinct.len())
    }

    fn finish(&self, acc: &[f32], distinct: usize) -> Vec<(u32, f32)> {
        let k = distinct.max(1) as f32;
        (0..self.classes.len())
            .map(|ci| {
                let norm = ALPHA.ln() - (self.totals[ci] + ALPHA * self.vocab).ln();
                (self.classes[ci], (acc[ci] + k * norm) / k)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::mini_body;

    /// The class whose documents use the record's words most, across products, is the most
    /// likely; hiding a class's only documents makes it unlikely.
    #[test]
    fn words_shared_by_a_class_across_documents_decide() {
        let body = mini_body(Vec::new());
        let kb = crate::kb::KnowledgeBase::from_body(
            crate::kb::KbHeader::describe(&body, String::new()),
            body,
        );
        let q: Vec<String> = ["logon", "failed", "password", "user"].map(String::from).to_vec();
        let best = |allowed: &dyn Fn(usize) -> bool| {
            let mut s = kb.class_model.scores(&kb.lexical, &q, Some(allowed));
            s.sort_by(|a, b| b.1.total_cmp(&a.1));
            s[0].0
        };
        assert_eq!(best(&|_| true), 3002);
        // The precomputed path for unfiltered queries gives the same scores as the walk.
        let walked = kb.class_model.scores(&kb.lexical, &q, Some(&|_| true));
        let looked_up = kb.class_model.scores(&kb.lexical, &q, None);
        for (a, b) in walked.iter().zip(&looked_up) {
            assert_eq!(a.0, b.0);
            assert!((a.1 - b.1).abs() < 1e-4, "{a:?} {b:?}");
        }
        let auth: Vec<usize> = kb
            .docs()
            .iter()
            .enumerate()
            .filter(|(_, d)| d.class_uid == 3002)
            .map(|(i, _)| i)
            .collect();
        assert_ne!(best(&|i| !auth.contains(&i)), 3002);
    }
}
