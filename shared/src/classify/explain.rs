//! Why a record got its class: each candidate's score term by term, the documents behind its
//! retrieval score with the weight each got and the rule that set it, the weights the
//! record's regime applied, and the calibration's inputs. Computed by the same functions that
//! decide ([`Classifier::with_ranking`], [`calibrate::terms`], [`doc_weight_why`]), so it
//! cannot drift from the decision; `ocsfmap classify --explain` prints it, and the review
//! page shows it to analysts.

use serde::Serialize;

use super::calibrate::{self, Inputs, Terms, Weights};
use super::{doc_weight_why, Classifier, Ranking, WeightRule, RANK_DECAY};
use crate::features;
use crate::kb::{DocKind, KnowledgeBase};
use crate::parse::Record;

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// `override` (an analyst's correction of this very shape), `search` or `nothing`.
    pub decided_by: super::DecidedBy,
    /// The override's class, when one decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_class: Option<u32>,
    /// `named` (a document names the record's event), `known` (the KB holds the record's
    /// log) or `unknown`: which fitted weights applied.
    pub regime: &'static str,
    /// The record's rarest event-naming value, when it names one.
    pub event_term: Option<String>,
    pub known_log: bool,
    /// Titles of the pack's entries for the record's whole log.
    pub whole_log_entries: Vec<String>,
    /// The class the analysts' corrections of this log follow, when they follow one.
    pub log_convention: Option<u32>,
    pub weights: WeightsShown,
    /// The best classes, best first.
    pub classes: Vec<ClassExplained>,
    pub calibration: CalibrationShown,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct WeightsShown {
    pub stats: f32,
    pub text: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassExplained {
    pub class_uid: u32,
    pub class_name: String,
    /// Softmax of the final scores.
    pub probability: f32,
    pub terms: Terms,
    /// The documents whose weighted scores make up the class's retrieval score, best first.
    pub documents: Vec<DocumentShown>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentShown {
    pub kind: DocKind,
    pub source: String,
    pub title: String,
    /// The search score.
    pub score: f32,
    /// The weight the document got, and the rule that set it.
    pub weight: f32,
    pub rule: WeightRule,
    /// Its share in the class's retrieval score: the rank decay (1, ½, ¼, ⅛ for a class's
    /// best four documents, 0 after) × weight × score.
    pub contribution: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CalibrationShown {
    pub inputs: Option<Inputs>,
    pub confidence: f32,
}

impl<K: std::ops::Deref<Target = KnowledgeBase>> Classifier<K> {
    /// Explains how `record` is decided (uncached: it recomputes the decision's evidence).
    pub fn explain(&self, record: &Record) -> Explanation {
        let f = features::extract(record);
        if let Some(&(class_uid, _)) = self.kb.overrides.get(&f.signature) {
            return Explanation {
                override_class: Some(class_uid),
                calibration: CalibrationShown { inputs: None, confidence: 1.0 },
                ..empty(super::DecidedBy::Override)
            };
        }
        self.with_ranking(&f, |r| match r {
            Some(r) => self.explain_ranking(&r),
            None => empty(super::DecidedBy::Nothing),
        })
    }

    fn explain_ranking(&self, r: &Ranking) -> Explanation {
        let named = r.shape.event_term.is_some();
        let mix = self.kb.body.calibrator.as_ref().map(|c| c.mix).unwrap_or_default();
        let weights: Weights = mix.weights(named, r.known_log);
        let terms = calibrate::terms(
            &calibrate::Evidence {
                retrieval: &r.retrieval,
                stats: &r.stats,
                text: &r.text,
                lacking: &r.lacking,
            },
            weights,
        );
        let scores: Vec<f32> = r.ranked.iter().map(|(_, s)| *s).collect();
        let probs = calibrate::softmax(&scores);
        let inputs = self.calibration_inputs(r);
        let confidence = calibrate::confidence(&inputs, &probs, self.kb.body.calibrator.as_ref());
        let schema = self.kb.schema();
        let classes = terms
            .into_iter()
            .zip(&probs)
            .take(self.cfg.top_k)
            .map(|(t, p)| ClassExplained {
                class_uid: t.class_uid,
                class_name: schema
                    .class(t.class_uid)
                    .map_or_else(|| format!("class {}", t.class_uid), |c| c.caption.clone()),
                probability: *p,
                terms: t,
                documents: self.documents_of(r, t.class_uid),
            })
            .collect();
        let regime = match calibrate::regime(named, r.known_log) {
            calibrate::Regime::Named => "named",
            calibrate::Regime::Known => "known",
            calibrate::Regime::Unknown => "unknown",
        };
        Explanation {
            decided_by: super::DecidedBy::Search,
            override_class: None,
            regime,
            event_term: r.shape.event_term.clone(),
            known_log: r.known_log,
            whole_log_entries: r
                .log_entries
                .iter()
                .map(|&i| self.kb.docs()[i].title.clone())
                .collect(),
            log_convention: r.shape.convention,
            weights: WeightsShown { stats: weights.stats, text: weights.text },
            classes,
            calibration: CalibrationShown { inputs: Some(inputs), confidence },
        }
    }

    /// A class's documents as [`Classifier::class_scores`] weighs them.
    fn documents_of(&self, r: &Ranking, class_uid: u32) -> Vec<DocumentShown> {
        let mut docs: Vec<DocumentShown> = r
            .hits
            .iter()
            .filter(|h| self.kb.docs()[h.doc].class_uid == class_uid)
            .map(|h| {
                let d = &self.kb.docs()[h.doc];
                let (weight, rule) = doc_weight_why(d, &r.shape);
                DocumentShown {
                    kind: d.kind,
                    source: d.source.clone(),
                    title: d.title.clone(),
                    score: h.score,
                    weight,
                    rule,
                    contribution: weight * h.score,
                }
            })
            .collect();
        docs.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
        for (i, d) in docs.iter_mut().enumerate() {
            d.contribution *= RANK_DECAY.get(i).copied().unwrap_or(0.0);
        }
        docs.truncate(RANK_DECAY.len() + 2);
        docs
    }
}

fn empty(decided_by: super::DecidedBy) -> Explanation {
    Explanation {
        decided_by,
        override_class: None,
        regime: "unknown",
        event_term: None,
        known_log: false,
        whole_log_entries: Vec::new(),
        log_convention: None,
        weights: WeightsShown { stats: 0.0, text: 0.0 },
        classes: Vec::new(),
        calibration: CalibrationShown { inputs: None, confidence: 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use crate::classify::{Classifier, Config};
    use crate::search::Mode;
    use crate::testutil;

    #[test]
    fn the_explanation_adds_up_to_the_decision() {
        let body = testutil::mini_body(vec![]);
        let header = crate::kb::artifact::KbHeader::describe(&body, String::new());
        let kb = std::sync::Arc::new(crate::kb::KnowledgeBase::from_body(header, body));
        let clf = Classifier::new(kb, None, Config { mode: Mode::Lexical, ..Config::default() });
        let raw =
            r#"{"eventName":"ConsoleLogin","userName":"bob","sourceIPAddress":"203.0.113.5"}"#;
        let record = crate::parse::parse(raw);
        let d = clf.classify_record(&record);
        let e = clf.explain(&record);
        assert_eq!(e.classes[0].class_uid, d.class_uid);
        assert!((e.calibration.confidence - d.confidence).abs() < 1e-6);
        for (c, cand) in e.classes.iter().zip(&d.candidates) {
            assert_eq!(c.class_uid, cand.class_uid);
            assert!((c.probability - cand.score).abs() < 1e-6);
            let t = c.terms;
            assert!((t.retrieval + t.stats + t.text - t.penalty - t.total).abs() < 1e-4, "{t:?}");
            if t.retrieved {
                // The documents shown make up the class's retrieval score.
                let sum: f32 = c.documents.iter().map(|d| d.contribution).sum();
                assert!(sum > 0.0, "{c:?}");
            }
        }
        let json = serde_json::to_value(&e).unwrap();
        assert!(json["classes"][0]["documents"][0]["rule"].is_string(), "{json}");
    }
}
