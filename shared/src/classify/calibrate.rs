//! From class scores to a confidence that means "probability of being right".
//!
//! The raw signal is the winner's lead over the runner-up, its absolute score, and whether
//! the winner departs from the class the pack gives the record's whole log (mappings that
//! depart from a log's default are where conventions differ between teams). A logistic
//! model maps them to P(correct); it is fitted on
//! leave-one-source-out predictions over the KB's own labelled examples (each source's
//! records classified by a KB without that source), so it reflects how the engine does on
//! sources it has not seen. Without enough examples the raw top probability is used.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Classifier, Config};
use crate::kb::{DocKind, KnowledgeBase};
use crate::search::Mode;

/// Temperature of the softmax over fused class scores (RRF scores are small numbers).
const TEMPERATURE: f32 = 0.02;
/// Fewest held-out predictions worth fitting on.
const MIN_SAMPLES: usize = 50;
/// Source prefix of the examples in `knowledge/examples` (written with the pack).
const OWN_EXAMPLES_PREFIX: &str = "pack/";
/// Records labelled by others needed to fit on them alone.
const MIN_FOREIGN_SAMPLES: usize = 200;

pub fn softmax(scores: &[f32]) -> Vec<f32> {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = scores.iter().map(|s| ((s - max) / TEMPERATURE).exp()).collect();
    let sum: f32 = exps.iter().sum::<f32>().max(f32::MIN_POSITIVE);
    exps.into_iter().map(|e| e / sum).collect()
}

/// Logistic map from (lead over the runner-up, strength of the winner, departure from the
/// log's default class) to P(correct).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibrator {
    pub w_lead: f32,
    pub w_strength: f32,
    /// Added when the winner is not the class of the record's whole-log pack entry.
    pub w_departs: f32,
    pub bias: f32,
    /// Mean and standard deviation of the three inputs over the fitting points: the inputs are
    /// standardised so that gradient descent converges whatever the scale of the mode's
    /// scores (BM25 sums in the tens, fused reciprocal ranks below one).
    pub mean: [f32; 3],
    pub std: [f32; 3],
    /// Held-out predictions it was fitted on, and how many were right.
    pub samples: usize,
    pub correct: usize,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Calibration inputs from the raw class scores (best first): how far the winner leads
/// (1 - runner-up/winner) and how strong it is in absolute terms (log of its score). The
/// softmax saturates, so it carries less information than these.
fn features(scores: &[f32]) -> (f32, f32) {
    let s1 = scores.first().copied().unwrap_or(0.0).max(1e-6);
    let s2 = scores.get(1).copied().unwrap_or(0.0).max(0.0);
    (1.0 - (s2 / s1).min(1.0), s1.ln())
}

impl Calibrator {
    /// P(correct) from the raw class scores, best first, and whether the winner departs
    /// from the record's log default.
    pub fn apply(&self, scores: &[f32], departs: bool) -> f32 {
        let (lead, strength) = features(scores);
        let lead = (lead - self.mean[0]) / self.std[0];
        let strength = (strength - self.mean[1]) / self.std[1];
        let d = (if departs { 1.0 } else { 0.0 } - self.mean[2]) / self.std[2];
        sigmoid(self.w_lead * lead + self.w_strength * strength + self.w_departs * d + self.bias).clamp(0.0, 1.0)
    }

    /// Fits by gradient descent on the log loss (four parameters, a few thousand points).
    /// Each point is a prediction's raw class scores (best first), whether it departs from
    /// its log's default class, and whether it was right.
    pub fn fit(points: &[Point]) -> Option<Calibrator> {
        if points.len() < MIN_SAMPLES {
            return None;
        }
        let raw: Vec<(f32, f32, f32, f32)> = points
            .iter()
            .map(|p| {
                let (l, m) = features(&p.scores);
                (l, m, if p.departs { 1.0 } else { 0.0 }, if p.correct { 1.0 } else { 0.0 })
            })
            .collect();
        let n = raw.len() as f32;
        let moments = |f: &dyn Fn(&(f32, f32, f32, f32)) -> f32| {
            let mean = raw.iter().map(f).sum::<f32>() / n;
            let var = raw.iter().map(|x| (f(x) - mean).powi(2)).sum::<f32>() / n;
            (mean, var.sqrt().max(1e-3))
        };
        let (m0, s0) = moments(&|x| x.0);
        let (m1, s1) = moments(&|x| x.1);
        let (m2, s2) = moments(&|x| x.2);
        let xs: Vec<(f32, f32, f32, f32)> = raw.iter().map(|&(l, m, d, y)| ((l - m0) / s0, (m - m1) / s1, (d - m2) / s2, y)).collect();
        let (mut a, mut b, mut w, mut c) = (1.0f32, 0.0f32, 0.0f32, 0.0f32);
        for _ in 0..3000 {
            let (mut ga, mut gb, mut gw, mut gc) = (0.0, 0.0, 0.0, 0.0);
            for &(l, m, d, y) in &xs {
                let err = sigmoid(a * l + b * m + w * d + c) - y;
                ga += err * l;
                gb += err * m;
                gw += err * d;
                gc += err;
            }
            a -= 0.5 * ga / n;
            b -= 0.5 * gb / n;
            w -= 0.5 * gw / n;
            c -= 0.5 * gc / n;
        }
        let correct = points.iter().filter(|p| p.correct).count();
        Some(Calibrator { w_lead: a, w_strength: b, w_departs: w, bias: c, mean: [m0, m1, m2], std: [s0, s1, s2], samples: points.len(), correct })
    }
}

/// One held-out prediction the calibrator is fitted on.
#[derive(Debug, Clone)]
pub struct Point {
    /// Raw class scores, best first (the top two are enough).
    pub scores: Vec<f32>,
    pub departs: bool,
    pub correct: bool,
}

/// Confidence of the top class: calibrated from the raw scores when the KB has a
/// calibrator, else the softmax's top probability.
pub fn confidence(scores: &[f32], probs: &[f32], cal: Option<&Calibrator>, departs: bool) -> f32 {
    match cal {
        Some(c) => c.apply(scores, departs),
        None => probs.first().copied().unwrap_or(0.0).clamp(0.0, 1.0),
    }
}

/// Leave-one-source-out over the KB's example documents: each is classified (from its stored
/// terms and vector) with the documents of its own source hidden. Returns the softmax
/// probabilities of each prediction and whether the top class was right, then fits.
pub fn fit_loso(kb: &KnowledgeBase, mode: Mode) -> Option<Calibrator> {
    let docs = kb.docs();
    let sources: BTreeSet<&str> =
        docs.iter().filter(|d| d.kind == DocKind::Example).map(|d| d.source.as_str()).collect();
    if sources.len() < 3 {
        return None;
    }
    // Our own examples (`pack/...`) agree with the pack by construction, so held out they
    // are nearly always right and make the map over-confident where other people's labels
    // differ. Records labelled by others (a labelled corpus, analysts' corrections) are the
    // honest fitting set when there are enough of them.
    let ours = |src: &str| src.starts_with(OWN_EXAMPLES_PREFIX);
    let theirs = docs.iter().filter(|d| d.kind == DocKind::Example && !ours(&d.source)).count();
    let only_theirs = theirs >= MIN_FOREIGN_SAMPLES;
    let use_dense = mode != Mode::Lexical && kb.has_embeddings();
    let clf = Classifier::bare(kb, Config { mode: if use_dense { mode } else { Mode::Lexical }, ..Config::default() });
    let mut points = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        if d.kind != DocKind::Example || (only_theirs && ours(&d.source)) {
            continue;
        }
        let src = d.source.as_str();
        let allowed = |j: usize| !(matches!(docs[j].kind, DocKind::Example | DocKind::Override) && docs[j].source == src);
        let vector = if use_dense { kb.embedding(i) } else { None };
        let event_terms = crate::features::event_terms(d.discriminators.iter().filter_map(|p| p.split_once('=')));
        // Event terms are counted in the whole KB, the document itself aside (as before the
        // `allowed` filter existed; counting without its source fits a worse map: ECE 0.034 vs 0.029).
        let mut shape = super::QueryShape::new(kb, &event_terms, &d.key_tokens, d.discriminators.clone(), &|j: usize| j != i);
        let log_entries = clf.log_entries(&mut shape, &allowed);
        let ranked = clf.rank_classes(&d.terms, &shape, &log_entries, vector, &allowed);
        if ranked.is_empty() {
            continue;
        }
        let departs = clf.departs_from_log(&log_entries, ranked[0].0);
        points.push(Point { scores: ranked.iter().take(2).map(|(_, s)| *s).collect(), departs, correct: ranked[0].0 == d.class_uid });
    }
    Calibrator::fit(&points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitted_map_tracks_observed_accuracy() {
        // Confident predictions right 90% of the time, unsure ones 30%.
        let pt = |scores: Vec<f32>, departs: bool, correct: bool| Point { scores, departs, correct };
        let mut pts = Vec::new();
        for i in 0..200 {
            pts.push(pt(vec![0.20, 0.02], false, i % 10 != 0));
            pts.push(pt(vec![0.05, 0.045], false, i % 10 < 3));
        }
        let c = Calibrator::fit(&pts).unwrap();
        assert!((c.apply(&[0.20, 0.02], false) - 0.9).abs() < 0.05, "{}", c.apply(&[0.20, 0.02], false));
        assert!((c.apply(&[0.05, 0.045], false) - 0.3).abs() < 0.05, "{}", c.apply(&[0.05, 0.045], false));
        assert!(Calibrator::fit(&pts[..10]).is_none());
    }

    #[test]
    fn departing_from_the_log_default_lowers_confidence_when_it_is_often_wrong() {
        // Same scores; decisions that depart from the log's default class are right half the time.
        let pts: Vec<Point> = (0..400)
            .map(|i| {
                let departs = i % 4 == 0;
                Point { scores: vec![0.20, 0.02], departs, correct: if departs { i % 8 == 0 } else { i % 20 != 1 } }
            })
            .collect();
        let c = Calibrator::fit(&pts).unwrap();
        let (stays, departs) = (c.apply(&[0.20, 0.02], false), c.apply(&[0.20, 0.02], true));
        assert!(stays > 0.9 && (departs - 0.5).abs() < 0.1, "stays {stays}, departs {departs}");
    }
}
