//! From the two kinds of evidence to a class, and from class scores to a confidence that
//! means "probability of being right". Both are fitted at KB build time.
//!
//! **Combining.** Retrieval ([`Classifier::class_scores`]), the class statistics
//! ([`super::class_model`]) and the schema's text ([`super::schema_text`]) are combined
//! log-linearly ([`combine`]): the log of retrieval's share of each class plus weighted
//! log-scores of the other two, less a penalty for classes whose subject the record lacks
//! ([`super::cues`]). The weights ([`Mix`]) are chosen per [`Regime`] (a document names the
//! record's event; the KB knows its log; neither) on held-out predictions, for accuracy; for
//! logs the KB does not know, only where they help more of the predictions' logs than they hurt.
//!
//! **Confidence.** The inputs ([`Inputs`]) are the winner's lead over the runner-up,
//! retrieval's absolute score for it, whether it departs from the class the pack gives the
//! record's whole log (mappings that depart from a log's default are where conventions differ
//! between teams), whether a document names the record's event, whether the KB holds any
//! document of the record's log, whether the two kinds of evidence agree, and how much the
//! record's field names look like a labelled record's among the best hits. A logistic
//! model maps them to P(correct).
//!
//! Both are fitted on held-out predictions over the KB's own labelled examples, each
//! classified twice through the serving path ([`Classifier::rank`]): once without its own
//! source (a new source of a known product) and once without everything about its product
//! (a product nobody described), so they have seen both situations. Without enough examples
//! retrieval alone decides and the top probability is the confidence.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Classifier, Config, Query};
use crate::kb::{DocKind, KnowledgeBase};
use crate::search::Mode;

/// A class retrieval did not find counts as this share of the winner's score.
const RETRIEVAL_FLOOR: f32 = 0.01;
/// Weights of the class statistics tried when fitting [`Mix`].
const STATS_GRID: [f32; 7] = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0];
/// Weights of the schema text tried when fitting [`Mix`].
const TEXT_GRID: [f32; 6] = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0];
/// Fewest held-out predictions worth fitting on.
const MIN_SAMPLES: usize = 50;
/// Source prefix of the examples in `knowledge/examples` (written with the pack).
const OWN_EXAMPLES_PREFIX: &str = "pack/";
/// Records labelled by others needed to fit on them alone.
const MIN_FOREIGN_SAMPLES: usize = 200;
/// Number of calibration inputs.
pub const N_INPUTS: usize = 7;

/// Probabilities from log-domain class scores ([`combine`]).
pub fn softmax(scores: &[f32]) -> Vec<f32> {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
    let sum: f32 = exps.iter().sum::<f32>().max(f32::MIN_POSITIVE);
    exps.into_iter().map(|e| e / sum).collect()
}

/// Weights of the class statistics and of the schema text in [`combine`], one pair per
/// [`Regime`]: for records whose event a document names, for the others whose log the KB
/// knows (often only a sibling product's envelope), and for records of a log it does not know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Mix {
    /// Indexed by [`Regime`].
    pub regimes: [Weights; 3],
}

/// How much the two product-independent kinds of evidence count beside retrieval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub stats: f32,
    pub text: f32,
}

/// The situations [`Mix`] tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    Named = 0,
    Known = 1,
    Unknown = 2,
}

pub fn regime(named: bool, known_log: bool) -> Regime {
    match (named, known_log) {
        (true, _) => Regime::Named,
        (false, true) => Regime::Known,
        (false, false) => Regime::Unknown,
    }
}

impl Mix {
    pub fn weights(&self, named: bool, known_log: bool) -> Weights {
        self.regimes[regime(named, known_log) as usize]
    }
}

/// Per-class evidence of one record (each list by class except `retrieval`, best first).
pub struct Evidence<'a> {
    pub retrieval: &'a [(u32, f32)],
    /// Mean log-likelihood ([`super::class_model`]), ascending class.
    pub stats: &'a [(u32, f32)],
    /// Schema-text BM25 score ([`super::schema_text`]), ascending class.
    pub text: &'a [(u32, f32)],
    /// Classes whose subject the record lacks ([`super::cues`]).
    pub lacking: &'a [u32],
}

/// One class's part of the final score ([`combine`]), term by term: what `--explain` shows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Terms {
    pub class_uid: u32,
    /// ln of the class's share of retrieval's score; a class retrieval did not find counts
    /// as [`RETRIEVAL_FLOOR`] of the winner's score.
    pub retrieval: f32,
    /// Retrieval found documents of this class.
    pub retrieved: bool,
    /// The statistics' weight × the class's mean log-likelihood (0 when the weight is 0).
    pub stats: f32,
    /// The schema text's weight × ln((text score + 1) / (best text score + 1)).
    pub text: f32,
    /// [`super::cues::MISSING_SUBJECT`] when the record lacks the class's subject, else 0.
    pub penalty: f32,
    /// retrieval + stats + text − penalty.
    pub total: f32,
}

/// Final class scores, best first: `ln(share of retrieval's score) + w.stats × mean
/// log-likelihood + w.text × ln((text score + 1) / (best text score + 1))`, less
/// [`super::cues::MISSING_SUBJECT`] for the classes whose subject the record lacks. A class
/// retrieval did not find counts as [`RETRIEVAL_FLOOR`] of the winner's score. With both
/// weights 0 only retrieval's classes take part.
pub fn combine(e: &Evidence, w: Weights) -> Vec<(u32, f32)> {
    terms(e, w).iter().map(|t| (t.class_uid, t.total)).collect()
}

/// [`combine`] with each class's terms, best first.
pub fn terms(e: &Evidence, w: Weights) -> Vec<Terms> {
    let top = e.retrieval.first().map_or(0.0, |r| r.1).max(1e-6);
    let floor = top * RETRIEVAL_FLOOR;
    let total: f32 = e.retrieval.iter().map(|r| r.1.max(floor)).sum::<f32>().max(1e-6);
    let lookup = |list: &[(u32, f32)], c: u32| {
        list.binary_search_by_key(&c, |s| s.0).ok().map(|i| list[i].1)
    };
    let best_text = e.text.iter().map(|t| t.1).fold(0.0f32, f32::max);
    let class_terms = |c: u32, retrieval: f32, retrieved: bool| {
        let (mut stats, mut text, mut others) = (0.0, 0.0, 0.0);
        if w.stats > 0.0 {
            stats = w.stats * lookup(e.stats, c).unwrap_or(f32::MIN / 4.0);
            others += stats;
        }
        if w.text > 0.0 {
            text = w.text * ((lookup(e.text, c).unwrap_or(0.0) + 1.0) / (best_text + 1.0)).ln();
            others += text;
        }
        let mut total = retrieval + others;
        let mut penalty = 0.0;
        if e.lacking.contains(&c) {
            penalty = super::cues::MISSING_SUBJECT;
            total -= penalty;
        }
        Terms { class_uid: c, retrieval, retrieved, stats, text, penalty, total }
    };
    let mut out: Vec<Terms> = e
        .retrieval
        .iter()
        .map(|&(c, s)| class_terms(c, (s.max(floor) / total).ln(), true))
        .collect();
    if w.stats > 0.0 || w.text > 0.0 {
        let base = (floor / total).ln();
        let classes = if e.stats.is_empty() { e.text } else { e.stats };
        for &(c, _) in classes {
            if !e.retrieval.iter().any(|r| r.0 == c) {
                out.push(class_terms(c, base, false));
            }
        }
    }
    out.sort_by(|a, b| b.total.total_cmp(&a.total).then(a.class_uid.cmp(&b.class_uid)));
    out
}

/// True when the record's log has whole-log entries (of `log_classes`) and none of them is
/// `winner`'s class: the mapping departs from the log's default, which is where mapping
/// conventions differ (a calibration input).
pub fn departs(log_classes: &[u32], winner: u32) -> bool {
    !log_classes.is_empty() && !log_classes.contains(&winner)
}

/// What the calibration reads of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// 1 - e^-(winner - runner-up) over the final scores: how far the winner leads.
    pub lead: f32,
    /// ln of retrieval's score for the winner.
    pub strength: f32,
    /// The winner is not the class of the record's whole-log pack entry.
    pub departs: bool,
    /// A document names the record's event (its rare event name or id).
    pub named: bool,
    /// The KB holds a document of the record's log (a whole-log entry, or a best hit whose
    /// field names are mostly the record's).
    pub known_log: bool,
    /// Retrieval and the class statistics put the same class first.
    pub agree: bool,
    /// How much the record looks like a labelled record the KB holds: the best field-name
    /// overlap (Jaccard) with one among the best hits. Records of a log the KB has seen share
    /// nearly all their field names with its records; a look-alike log (another vendor's
    /// audit trail in the same envelope) shares half; an unknown one little.
    pub likeness: f32,
}

impl Inputs {
    /// From the final scores, retrieval's and the statistics' (see [`combine`]) and the flags.
    pub fn new(
        ranked: &[(u32, f32)],
        retrieval: &[(u32, f32)],
        stats: &[(u32, f32)],
        departs: bool,
        named: bool,
        known_log: bool,
        likeness: f32,
    ) -> Self {
        let winner = ranked.first().map(|r| r.0);
        let gap = match ranked {
            [a, b, ..] => (a.1 - b.1).max(0.0),
            _ => 10.0,
        };
        let strength =
            retrieval.iter().find(|r| Some(r.0) == winner).map_or(1e-6, |r| r.1).max(1e-6).ln();
        let stats_best =
            stats.iter().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0))).map(|s| s.0);
        Inputs {
            lead: 1.0 - (-gap).exp(),
            strength,
            departs,
            named,
            known_log,
            agree: winner.is_some() && stats_best == winner,
            likeness,
        }
    }

    fn vector(&self) -> [f32; N_INPUTS] {
        let b = |x: bool| if x { 1.0 } else { 0.0 };
        [
            self.lead,
            self.strength,
            b(self.departs),
            b(self.named),
            b(self.known_log),
            b(self.agree),
            self.likeness,
        ]
    }
}

/// The fitted combination ([`Mix`]) and the logistic map from [`Inputs`] to P(correct).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibrator {
    pub mix: Mix,
    /// One weight per input, in [`Inputs::vector`] order.
    pub weights: [f32; N_INPUTS],
    pub bias: f32,
    /// Mean and standard deviation of the inputs over the fitting points: the inputs are
    /// standardised so that gradient descent converges whatever the scale of the mode's
    /// scores (BM25 sums in the tens, fused reciprocal ranks below one).
    pub mean: [f32; N_INPUTS],
    pub std: [f32; N_INPUTS],
    /// Held-out predictions it was fitted on, and how many were right.
    pub samples: usize,
    pub correct: usize,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl Calibrator {
    /// P(correct) of a decision.
    pub fn apply(&self, x: &Inputs) -> f32 {
        let v = x.vector();
        let z: f32 = (0..N_INPUTS)
            .map(|i| self.weights[i] * (v[i] - self.mean[i]) / self.std[i])
            .sum::<f32>()
            + self.bias;
        sigmoid(z).clamp(0.0, 1.0)
    }

    /// Fits by gradient descent on the log loss (a handful of parameters, a few thousand
    /// points); deterministic for the same points in the same order.
    pub fn fit(points: &[Point]) -> Option<Calibrator> {
        if points.len() < MIN_SAMPLES {
            return None;
        }
        let raw: Vec<([f32; N_INPUTS], f32)> =
            points.iter().map(|p| (p.inputs.vector(), if p.correct { 1.0 } else { 0.0 })).collect();
        let n = raw.len() as f32;
        let (mut mean, mut std) = ([0f32; N_INPUTS], [0f32; N_INPUTS]);
        for i in 0..N_INPUTS {
            mean[i] = raw.iter().map(|(x, _)| x[i]).sum::<f32>() / n;
            let var = raw.iter().map(|(x, _)| (x[i] - mean[i]).powi(2)).sum::<f32>() / n;
            std[i] = var.sqrt().max(1e-3);
        }
        let xs: Vec<([f32; N_INPUTS], f32)> = raw
            .iter()
            .map(|(x, y)| (std::array::from_fn(|i| (x[i] - mean[i]) / std[i]), *y))
            .collect();
        let mut w = [0f32; N_INPUTS];
        w[0] = 1.0;
        let mut bias = 0f32;
        for _ in 0..3000 {
            let (mut g, mut gb) = ([0f32; N_INPUTS], 0f32);
            for (x, y) in &xs {
                let z: f32 = (0..N_INPUTS).map(|i| w[i] * x[i]).sum::<f32>() + bias;
                let err = sigmoid(z) - y;
                for i in 0..N_INPUTS {
                    g[i] += err * x[i];
                }
                gb += err;
            }
            for i in 0..N_INPUTS {
                w[i] -= 0.5 * g[i] / n;
            }
            bias -= 0.5 * gb / n;
        }
        let correct = points.iter().filter(|p| p.correct).count();
        Some(Calibrator {
            mix: Mix::default(),
            weights: w,
            bias,
            mean,
            std,
            samples: points.len(),
            correct,
        })
    }
}

/// One held-out prediction before combining: what [`Calibrator::fit_with_mix`] needs to try
/// each weight.
#[derive(Debug, Clone)]
pub struct Sample {
    pub retrieval: Vec<(u32, f32)>,
    pub stats: Vec<(u32, f32)>,
    pub text: Vec<(u32, f32)>,
    /// Classes of the record's whole-log entries (for [`Inputs::departs`]).
    pub log_classes: Vec<u32>,
    pub named: bool,
    pub known_log: bool,
    /// [`Inputs::likeness`].
    pub likeness: f32,
    /// Classes whose subject the record lacks.
    pub lacking: Vec<u32>,
    pub expected: u32,
    /// The log the record came from (its example source): held-out records of one log are
    /// one shape repeated, so [`Calibrator::fit_with_mix`] counts logs, not records, when it
    /// asks whether a weight helps.
    pub log: u32,
}

impl Sample {
    fn ranked(&self, mix: Mix) -> Vec<(u32, f32)> {
        let e = Evidence {
            retrieval: &self.retrieval,
            stats: &self.stats,
            text: &self.text,
            lacking: &self.lacking,
        };
        combine(&e, mix.weights(self.named, self.known_log))
    }

    fn point(&self, mix: Mix) -> Point {
        let ranked = self.ranked(mix);
        let winner = ranked.first().map_or(0, |r| r.0);
        let departs = departs(&self.log_classes, winner);
        Point {
            inputs: Inputs::new(
                &ranked,
                &self.retrieval,
                &self.stats,
                departs,
                self.named,
                self.known_log,
                self.likeness,
            ),
            correct: winner == self.expected,
        }
    }
}

impl Calibrator {
    /// Chooses each regime's [`Weights`] from [`STATS_GRID`] × [`TEXT_GRID`] for the accuracy
    /// of its samples (the first best in grid order, smaller weights first), then fits the
    /// confidence map on the predictions that mix makes. For logs the KB does not know
    /// ([`Regime::Unknown`]) a weight beside retrieval is taken only if it also helps more of
    /// the samples' logs than it hurts ([`helps_more_logs`]): those weights serve products the
    /// fit has never seen, and a record count there is a few large logs' shapes repeated. In
    /// the other regimes the weights serve more records of logs the KB knows, and records
    /// count. Deterministic for the same samples in the same order.
    pub fn fit_with_mix(samples: &[Sample]) -> Option<Calibrator> {
        let best = |r: Regime| {
            let subset: Vec<&Sample> =
                samples.iter().filter(|s| regime(s.named, s.known_log) == r).collect();
            let right = |w: Weights| {
                let mix = Mix { regimes: [w; 3] };
                subset
                    .iter()
                    .map(|s| s.ranked(mix).first().is_some_and(|r| r.0 == s.expected))
                    .collect::<Vec<bool>>()
            };
            let alone = right(Weights::default());
            let mut best = (alone.iter().filter(|&&ok| ok).count(), Weights::default());
            for &stats in &STATS_GRID {
                for &text in &TEXT_GRID {
                    let w = Weights { stats, text };
                    let with = right(w);
                    let ok = with.iter().filter(|&&ok| ok).count();
                    let logs = r != Regime::Unknown || helps_more_logs(&subset, &alone, &with);
                    tracing::trace!(?r, stats, text, ok, logs, n = subset.len(), "mix grid");
                    if ok > best.0 && logs {
                        best = (ok, w);
                    }
                }
            }
            best.1
        };
        let mix =
            Mix { regimes: [best(Regime::Named), best(Regime::Known), best(Regime::Unknown)] };
        tracing::debug!(?mix, samples = samples.len(), "class statistics weights");
        let points: Vec<Point> = samples.iter().map(|s| s.point(mix)).collect();
        let mut c = Calibrator::fit(&points)?;
        c.mix = mix;
        Some(c)
    }
}

/// More logs get more records right with the weight (`with`) than with retrieval alone
/// (`alone`) than get fewer: each log counts once, however many records it has.
fn helps_more_logs(samples: &[&Sample], alone: &[bool], with: &[bool]) -> bool {
    let mut net: std::collections::BTreeMap<u32, i64> = std::collections::BTreeMap::new();
    for ((s, &a), &w) in samples.iter().zip(alone).zip(with) {
        *net.entry(s.log).or_default() += i64::from(w) - i64::from(a);
    }
    let helped = net.values().filter(|&&n| n > 0).count();
    let hurt = net.values().filter(|&&n| n < 0).count();
    helped > hurt
}

/// One held-out prediction the calibrator is fitted on.
#[derive(Debug, Clone)]
pub struct Point {
    pub inputs: Inputs,
    pub correct: bool,
}

/// Confidence of the top class: calibrated when the KB has a calibrator, else the softmax's
/// top probability.
pub fn confidence(x: &Inputs, probs: &[f32], cal: Option<&Calibrator>) -> f32 {
    match cal {
        Some(c) => c.apply(x),
        None => probs.first().copied().unwrap_or(0.0).clamp(0.0, 1.0),
    }
}

/// Held-out predictions over the KB's example documents, through the serving path: each is
/// classified (from its stored terms and vector) once with its own source hidden and, when
/// the KB knows its product, once with every document about that product hidden. Then fits.
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
    let clf = Classifier::bare(
        kb,
        Config { mode: if use_dense { mode } else { Mode::Lexical }, ..Config::default() },
    );
    let mut samples = Vec::new();
    let log_ids: std::collections::BTreeMap<&str, u32> =
        sources.iter().enumerate().map(|(i, s)| (*s, i as u32)).collect();
    for (i, d) in docs.iter().enumerate() {
        if d.kind != DocKind::Example || (only_theirs && ours(&d.source)) {
            continue;
        }
        let own_source = |j: usize| {
            matches!(docs[j].kind, DocKind::Example | DocKind::Override)
                && docs[j].source == d.source
        };
        let event_terms =
            crate::features::event_terms(d.discriminators.iter().filter_map(|p| p.split_once('=')));
        let q = Query {
            terms: &d.terms,
            event_terms: &event_terms,
            key_tokens: &d.key_tokens,
            discriminators: d.discriminators.clone(),
            vector: if use_dense { kb.embedding(i) } else { None },
            filtered: true,
        };
        let mut sample = |allowed: &dyn Fn(usize) -> bool| {
            if let Some(r) = clf.rank(&q, allowed) {
                let log_classes = clf.log_classes(&r.log_entries);
                let named = r.shape.event_term.is_some();
                samples.push(Sample {
                    retrieval: r.retrieval,
                    stats: r.stats,
                    text: r.text,
                    log_classes,
                    named,
                    known_log: r.known_log,
                    likeness: r.likeness,
                    lacking: r.lacking,
                    expected: d.class_uid,
                    log: log_ids.get(d.source.as_str()).copied().unwrap_or_default(),
                });
            }
        };
        sample(&|j| !own_source(j));
        if !d.products.is_empty() {
            sample(&|j| {
                !own_source(j) && !crate::kb::products::doc_is_about(&docs[j], &d.products)
            });
        }
    }
    Calibrator::fit_with_mix(&samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_of(log: u32) -> Sample {
        Sample {
            retrieval: vec![],
            stats: vec![],
            text: vec![],
            log_classes: vec![],
            named: false,
            known_log: false,
            likeness: 0.0,
            lacking: vec![],
            expected: 1,
            log,
        }
    }

    /// One large log's ten records gained do not outvote small logs that each lose one; a
    /// gain that costs no log is taken.
    #[test]
    fn a_weight_must_help_more_logs_than_it_hurts() {
        // Log 0 has records 0..10; logs 1, 2 and 3 one record each (10, 11, 12).
        let mut samples: Vec<Sample> = (0..10).map(|_| sample_of(0)).collect();
        samples.extend([1, 2, 3].map(sample_of));
        let refs: Vec<&Sample> = samples.iter().collect();
        let right = |f: &dyn Fn(usize) -> bool| (0..13).map(f).collect::<Vec<bool>>();
        let alone = right(&|i| i >= 10);
        assert!(!helps_more_logs(&refs, &alone, &right(&|i| i < 10)), "1 log helped, 3 hurt");
        assert!(!helps_more_logs(&refs, &alone, &right(&|i| i < 11)), "1 log helped, 2 hurt");
        assert!(helps_more_logs(&refs, &alone, &right(&|_| true)), "1 log helped, none hurt");
        assert!(!helps_more_logs(&refs, &alone, &alone), "no log helped");
    }

    /// Inputs of a decision between two classes with retrieval scores `scores`.
    fn x(scores: [f32; 2], departs: bool, named: bool) -> Inputs {
        x_like(scores, departs, named, 0.8)
    }

    fn x_like(scores: [f32; 2], departs: bool, named: bool, likeness: f32) -> Inputs {
        let retrieval = [(1, scores[0]), (2, scores[1])];
        let e = Evidence { retrieval: &retrieval, stats: &[], text: &[], lacking: &[] };
        Inputs::new(
            &combine(&e, Weights::default()),
            &retrieval,
            &[(1, 0.0)],
            departs,
            named,
            named,
            likeness,
        )
    }

    #[test]
    fn fitted_map_tracks_observed_accuracy() {
        // Confident predictions right 90% of the time, unsure ones 30%.
        let mut pts = Vec::new();
        for i in 0..200 {
            pts.push(Point { inputs: x([0.20, 0.02], false, true), correct: i % 10 != 0 });
            pts.push(Point { inputs: x([0.05, 0.045], false, true), correct: i % 10 < 3 });
        }
        let c = Calibrator::fit(&pts).unwrap();
        let (hi, lo) =
            (c.apply(&x([0.20, 0.02], false, true)), c.apply(&x([0.05, 0.045], false, true)));
        assert!((hi - 0.9).abs() < 0.05, "{hi}");
        assert!((lo - 0.3).abs() < 0.05, "{lo}");
        assert!(Calibrator::fit(&pts[..10]).is_none());
    }

    #[test]
    fn departing_from_the_log_default_lowers_confidence_when_it_is_often_wrong() {
        // Same scores; decisions that depart from the log's default class are right half the time.
        let pts: Vec<Point> = (0..400)
            .map(|i| {
                let departs = i % 4 == 0;
                Point {
                    inputs: x([0.20, 0.02], departs, true),
                    correct: if departs { i % 8 == 0 } else { i % 20 != 1 },
                }
            })
            .collect();
        let c = Calibrator::fit(&pts).unwrap();
        let (stays, departs) =
            (c.apply(&x([0.20, 0.02], false, true)), c.apply(&x([0.20, 0.02], true, true)));
        assert!(stays > 0.9 && (departs - 0.5).abs() < 0.1, "stays {stays}, departs {departs}");
    }

    /// The same scores mean less when no document is about the record's product: a guess
    /// about an unknown log must not borrow the confidence of a known one.
    #[test]
    fn an_unknown_log_with_the_same_scores_is_less_sure() {
        let pts: Vec<Point> = (0..400)
            .map(|i| {
                let known = i % 2 == 0;
                Point {
                    inputs: x([0.20, 0.02], false, known),
                    correct: if known { i % 40 != 0 } else { i % 5 < 3 },
                }
            })
            .collect();
        let c = Calibrator::fit(&pts).unwrap();
        let (known, unknown) =
            (c.apply(&x([0.20, 0.02], false, true)), c.apply(&x([0.20, 0.02], false, false)));
        assert!(known > 0.9 && (unknown - 0.6).abs() < 0.1, "known {known}, unknown {unknown}");
    }

    /// A look-alike log (the same envelope, another vendor's fields) decided by its
    /// look-alike's documents is right less often than the log those documents describe: the
    /// same scores with half the field names in common are less sure.
    #[test]
    fn a_record_unlike_any_labelled_record_is_less_sure() {
        let pts: Vec<Point> = (0..400)
            .map(|i| {
                let like = if i % 2 == 0 { 0.9 } else { 0.4 };
                Point {
                    inputs: x_like([0.20, 0.02], false, false, like),
                    correct: if like > 0.5 { i % 40 != 0 } else { i % 5 < 3 },
                }
            })
            .collect();
        let c = Calibrator::fit(&pts).unwrap();
        let (same, unlike) = (
            c.apply(&x_like([0.20, 0.02], false, false, 0.9)),
            c.apply(&x_like([0.20, 0.02], false, false, 0.4)),
        );
        assert!(same > 0.9 && (unlike - 0.6).abs() < 0.1, "same {same}, unlike {unlike}");
    }
}
