//! Held-out evaluation: for each source of the labelled set, a knowledge base without that
//! source's records (leave one source out) or without everything about its product (leave
//! one product out, the strict protocol) classifies them, as it would a source it has never
//! seen; and leave one knowledge product out over our own examples.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;

#[cfg(test)]
use crate::classify::DecidedBy;
use crate::classify::{Classifier, Config, Decision};
use crate::embed::{Embedder, DIM};
use crate::kb::products::{doc_is_about, ProductTable};
use crate::kb::sources::Labeled;
use crate::kb::{artifact, Doc, DocKind, KbBody, KnowledgeBase};
use crate::parse;

/// One held-out prediction.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub source: String,
    pub expected_class: u32,
    pub expected_activity: Option<i64>,
    pub decision: Decision,
}

impl Prediction {
    pub fn correct(&self) -> bool {
        self.decision.class_uid == self.expected_class
    }
    pub fn in_top(&self, k: usize) -> bool {
        self.decision.candidates.iter().take(k).any(|c| c.class_uid == self.expected_class)
    }
}

/// What a fold removes from the KB besides nothing else: the protocols of `ocsfmap eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Leave one source out: the held-out source's own records leave the KB.
    Source,
    /// Leave one product out (the strict protocol): also every document about the source's
    /// products: their pack entries, examples, and labelled records under other source names.
    Product,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("labelled source {0:?} has no product identity: add it to a row's `dev` list in knowledge/products.jsonl")]
    NoProduct(String),
}

/// What one fold hides from the KB.
#[derive(Debug, Clone, PartialEq)]
pub struct Holdout {
    /// Labelled records (examples, overrides) of this source.
    source: Option<String>,
    /// Every document about one of these products.
    products: Vec<String>,
}

impl Holdout {
    /// The fold holding out a labelled source under `protocol`.
    pub fn for_source(
        protocol: Protocol,
        table: &ProductTable,
        source: &str,
    ) -> Result<Self, EvalError> {
        let products = match protocol {
            Protocol::Source => Vec::new(),
            Protocol::Product => {
                let p = table.of_source(source);
                if p.is_empty() {
                    return Err(EvalError::NoProduct(source.to_string()));
                }
                p.to_vec()
            }
        };
        Ok(Holdout { source: Some(source.to_string()), products })
    }

    /// The fold holding out everything about one product.
    pub fn product(id: &str) -> Self {
        Holdout { source: None, products: vec![id.to_string()] }
    }

    pub fn hides(&self, d: &Doc) -> bool {
        (matches!(d.kind, DocKind::Example | DocKind::Override)
            && self.source.as_deref() == Some(d.source.as_str()))
            || doc_is_about(d, &self.products)
    }
}

/// Runs a protocol over labelled sources: for each source, a knowledge base without what
/// the protocol hides classifies the source's records. `body` is a KB built from everything
/// (its documents carry their `source` and products); each fold drops the hidden documents
/// and rebuilds the indexes and calibration from the rest, which equals building without
/// them. `progress(done, total)`.
pub fn leave_one_out(
    body: &KbBody,
    labeled: &[Labeled],
    table: &ProductTable,
    protocol: Protocol,
    embedder: Option<Arc<Embedder>>,
    cfg: &Config,
    progress: &dyn Fn(usize, usize),
) -> Result<Vec<Prediction>, EvalError> {
    let sources: BTreeSet<&str> = labeled.iter().map(|l| l.source.as_str()).collect();
    let folds = sources
        .into_iter()
        .map(|src| {
            Ok((
                Holdout::for_source(protocol, table, src)?,
                labeled.iter().filter(|l| l.source == src).collect(),
            ))
        })
        .collect::<Result<Vec<(Holdout, Vec<&Labeled>)>, EvalError>>()?;
    Ok(run_folds(body, &folds, labeled.len(), embedder, cfg, progress))
}

/// Leave one knowledge product out: for each product of the table with examples among
/// `examples` (our own `knowledge/examples`), a KB without any document about that product
/// classifies those examples.
pub fn leave_one_knowledge_product_out(
    body: &KbBody,
    examples: &[Labeled],
    table: &ProductTable,
    embedder: Option<Arc<Embedder>>,
    cfg: &Config,
    progress: &dyn Fn(usize, usize),
) -> Vec<Prediction> {
    let folds: Vec<(Holdout, Vec<&Labeled>)> = table
        .rows()
        .iter()
        .map(|r| {
            (
                Holdout::product(&r.product_id),
                examples.iter().filter(|l| r.examples.contains(&l.source)).collect::<Vec<_>>(),
            )
        })
        .filter(|(_, recs)| !recs.is_empty())
        .collect();
    let total = folds.iter().map(|(_, r)| r.len()).sum();
    run_folds(body, &folds, total, embedder, cfg, progress)
}

fn run_folds(
    body: &KbBody,
    folds: &[(Holdout, Vec<&Labeled>)],
    total: usize,
    embedder: Option<Arc<Embedder>>,
    cfg: &Config,
    progress: &dyn Fn(usize, usize),
) -> Vec<Prediction> {
    let mut out = Vec::with_capacity(total);
    for (holdout, records) in folds {
        let kb = Arc::new(without(body, holdout));
        let clf = Classifier::new(kb, embedder.clone(), cfg.clone());
        for l in records {
            let rec = parse::parse(&l.raw);
            let decision = clf.classify_uncached(&rec);
            out.push(Prediction {
                source: l.source.clone(),
                expected_class: l.class_uid,
                expected_activity: l.activity_id,
                decision,
            });
            progress(out.len(), total);
        }
    }
    out
}

/// Few-shot protocol: each source in turn is held out of the KB (with what `protocol`
/// hides), its first `k` records (in input order) are added as analyst overrides, the way the
/// product adds corrections (an exact-shape override plus a labelled document that similar
/// records retrieve), and the rest of the source is classified. Returns the predictions for
/// each `k` in `shots`.
#[allow(clippy::too_many_arguments)]
pub fn few_shot(
    body: &KbBody,
    labeled: &[Labeled],
    table: &ProductTable,
    protocol: Protocol,
    embedder: Option<Arc<Embedder>>,
    cfg: &Config,
    shots: &[usize],
    progress: &dyn Fn(usize, usize),
) -> Result<Vec<(usize, Vec<Prediction>)>, EvalError> {
    let sources: BTreeSet<&str> = labeled.iter().map(|l| l.source.as_str()).collect();
    let mut out: Vec<(usize, Vec<Prediction>)> = shots.iter().map(|&k| (k, Vec::new())).collect();
    let total: usize = shots
        .iter()
        .map(|&k| {
            sources
                .iter()
                .map(|s| labeled.iter().filter(|l| l.source == *s).count().saturating_sub(k))
                .sum::<usize>()
        })
        .sum();
    let mut done = 0;
    for src in sources {
        let base = without_body(body, &Holdout::for_source(protocol, table, src)?);
        let records: Vec<&Labeled> = labeled.iter().filter(|l| l.source == src).collect();
        for (k, preds) in out.iter_mut() {
            let k = (*k).min(records.len());
            let mut sub = base.clone();
            for l in &records[..k] {
                if sub.schema.class(l.class_uid).is_none_or(|c| c.deprecated) {
                    continue;
                }
                let doc = crate::kb::docs::record_doc(DocKind::Override, l);
                if !sub.embeddings.is_empty() {
                    let v = embedder
                        .as_ref()
                        .and_then(|e| e.embed(&doc.dense_text).ok())
                        .unwrap_or_else(|| vec![0.0; DIM]);
                    sub.embeddings.extend(v);
                }
                sub.docs.push(doc);
            }
            let header = artifact::KbHeader::describe(&sub, String::new());
            let clf = Classifier::new(
                Arc::new(KnowledgeBase::from_body(header, sub)),
                embedder.clone(),
                cfg.clone(),
            );
            for l in &records[k..] {
                let rec = parse::parse(&l.raw);
                let decision = clf.classify_uncached(&rec);
                preds.push(Prediction {
                    source: l.source.clone(),
                    expected_class: l.class_uid,
                    expected_activity: l.activity_id,
                    decision,
                });
                done += 1;
                progress(done, total);
            }
        }
    }
    Ok(out)
}

/// A KB equal to one built without what `holdout` hides.
pub fn without(body: &KbBody, holdout: &Holdout) -> KnowledgeBase {
    let sub = without_body(body, holdout);
    let header = artifact::KbHeader::describe(&sub, String::new());
    KnowledgeBase::from_body(header, sub)
}

fn without_body(body: &KbBody, holdout: &Holdout) -> KbBody {
    let keep: Vec<usize> =
        (0..body.docs.len()).filter(|&i| !holdout.hides(&body.docs[i])).collect();
    let docs = keep.iter().map(|&i| body.docs[i].clone()).collect();
    let embeddings = if body.embeddings.is_empty() {
        Vec::new()
    } else {
        keep.iter().flat_map(|&i| body.embeddings[i * DIM..(i + 1) * DIM].iter().copied()).collect()
    };
    let mut sub = KbBody {
        schema: body.schema.clone(),
        docs,
        embeddings,
        embedding_model: body.embedding_model.clone(),
        calibrator: None,
    };
    // Calibration is refitted without the held-out knowledge too, so it never sees it.
    sub.calibrator = crate::kb::docs::fit_calibrator(&sub);
    sub
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    pub source: String,
    pub records: usize,
    pub top1: f64,
    pub top3: f64,
    pub activity: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub records: usize,
    pub sources: usize,
    pub top1: f64,
    pub top3: f64,
    pub macro_f1: f64,
    /// Share of records with a labelled activity whose class and activity are both right.
    pub activity: Option<f64>,
    pub activity_labelled: usize,
    /// Most frequent (expected, predicted, count) confusions.
    pub confusions: Vec<(u32, u32, usize)>,
    pub per_source: Vec<SourceRow>,
    pub needs_review_share: f64,
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

pub fn report(preds: &[Prediction]) -> Report {
    let n = preds.len();
    let top1 = preds.iter().filter(|p| p.correct()).count();
    let top3 = preds.iter().filter(|p| p.in_top(3)).count();
    let act: Vec<&Prediction> = preds.iter().filter(|p| p.expected_activity.is_some()).collect();
    let act_ok = act
        .iter()
        .filter(|p| p.correct() && Some(p.decision.activity_id) == p.expected_activity)
        .count();

    let mut confusions: HashMap<(u32, u32), usize> = HashMap::new();
    for p in preds.iter().filter(|p| !p.correct()) {
        *confusions.entry((p.expected_class, p.decision.class_uid)).or_default() += 1;
    }
    let mut confusions: Vec<(u32, u32, usize)> =
        confusions.into_iter().map(|((a, b), c)| (a, b, c)).collect();
    confusions.sort_by(|a, b| b.2.cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
    confusions.truncate(15);

    let mut by_source: BTreeMap<&str, Vec<&Prediction>> = BTreeMap::new();
    for p in preds {
        by_source.entry(p.source.as_str()).or_default().push(p);
    }
    let per_source = by_source
        .iter()
        .map(|(s, ps)| {
            let a: Vec<&&Prediction> =
                ps.iter().filter(|p| p.expected_activity.is_some()).collect();
            SourceRow {
                source: s.to_string(),
                records: ps.len(),
                top1: ratio(ps.iter().filter(|p| p.correct()).count(), ps.len()),
                top3: ratio(ps.iter().filter(|p| p.in_top(3)).count(), ps.len()),
                activity: (!a.is_empty()).then(|| {
                    ratio(
                        a.iter()
                            .filter(|p| {
                                p.correct() && Some(p.decision.activity_id) == p.expected_activity
                            })
                            .count(),
                        a.len(),
                    )
                }),
            }
        })
        .collect();

    Report {
        records: n,
        sources: by_source.len(),
        top1: ratio(top1, n),
        top3: ratio(top3, n),
        macro_f1: macro_f1(preds),
        activity: (!act.is_empty()).then(|| ratio(act_ok, act.len())),
        activity_labelled: act.len(),
        confusions,
        per_source,
        needs_review_share: ratio(preds.iter().filter(|p| p.decision.needs_review).count(), n),
    }
}

/// Macro-averaged F1 over the classes present in the labels.
pub fn macro_f1(preds: &[Prediction]) -> f64 {
    let classes: BTreeSet<u32> = preds.iter().map(|p| p.expected_class).collect();
    if classes.is_empty() {
        return 0.0;
    }
    let mut total = 0.0;
    for c in &classes {
        let tp =
            preds.iter().filter(|p| p.expected_class == *c && p.decision.class_uid == *c).count()
                as f64;
        let fp =
            preds.iter().filter(|p| p.expected_class != *c && p.decision.class_uid == *c).count()
                as f64;
        let fnn =
            preds.iter().filter(|p| p.expected_class == *c && p.decision.class_uid != *c).count()
                as f64;
        let prec = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
        let rec = if tp + fnn > 0.0 { tp / (tp + fnn) } else { 0.0 };
        total += if prec + rec > 0.0 { 2.0 * prec * rec / (prec + rec) } else { 0.0 };
    }
    total / classes.len() as f64
}

/// Reliability table: (bin lower bound, records, mean confidence, accuracy) and the
/// expected calibration error over `bins` equal-width bins.
pub fn reliability(preds: &[Prediction], bins: usize) -> (Vec<(f64, usize, f64, f64)>, f64) {
    let bins = bins.max(1);
    let mut acc = vec![(0usize, 0f64, 0usize); bins];
    for p in preds {
        let c = p.decision.confidence.clamp(0.0, 1.0) as f64;
        let b = ((c * bins as f64) as usize).min(bins - 1);
        acc[b].0 += 1;
        acc[b].1 += c;
        acc[b].2 += p.correct() as usize;
    }
    let n = preds.len().max(1) as f64;
    let mut ece = 0.0;
    let rows = acc
        .iter()
        .enumerate()
        .map(|(i, &(cnt, conf, ok))| {
            let mean_conf = if cnt > 0 { conf / cnt as f64 } else { 0.0 };
            let accuracy = ratio(ok, cnt);
            ece += cnt as f64 / n * (mean_conf - accuracy).abs();
            (i as f64 / bins as f64, cnt, mean_conf, accuracy)
        })
        .collect();
    (rows, ece)
}

/// Accuracy after `k` corrections per source: overall and per source.
#[derive(Debug, Clone, Serialize)]
pub struct ShotRow {
    pub shots: usize,
    pub records: usize,
    pub top1: f64,
    pub activity: Option<f64>,
    pub per_source: Vec<SourceRow>,
}

pub fn shot_rows(runs: &[(usize, Vec<Prediction>)]) -> Vec<ShotRow> {
    runs.iter()
        .map(|(k, preds)| {
            let r = report(preds);
            ShotRow {
                shots: *k,
                records: r.records,
                top1: r.top1,
                activity: r.activity,
                per_source: r.per_source,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{labeled, mini_schema};

    fn body() -> KbBody {
        crate::testutil::mini_body(Vec::new())
    }

    /// The strict fold hides the held-out source's records, the pack entries and examples of
    /// its product and that product's records under another source name; the source fold
    /// hides only the source's own records; class documents stay in both.
    #[test]
    fn the_product_fold_hides_everything_about_the_product() {
        use crate::kb::sources::{Identify, PackEntry, ProductIdentity};
        let examples = vec![
            labeled(r#"{"eventName":"ConsoleLogin","userName":"alice"}"#, 3002, 1, "dev/acme-a"),
            labeled(r#"{"eventName":"DeleteBucket","userName":"bob"}"#, 6003, 4, "dev/acme-b"),
            labeled(r#"{"eventName":"GetObject","userName":"carol"}"#, 6003, 2, "pack/acme"),
            labeled(r#"{"action":"deny","src_ip":"192.0.2.9"}"#, 4001, 5, "pack/fw"),
        ];
        let pack = vec![PackEntry {
            product: "Acme Cloud".into(),
            vendor: "Acme".into(),
            log_type: "audit".into(),
            event: "ConsoleLogin".into(),
            title: "sign-in".into(),
            identify: Identify {
                fields: vec!["eventName".into()],
                values: vec!["ConsoleLogin".into()],
                patterns: vec![],
            },
            class_uid: 3002,
            activity_id: Some(1),
            notes: String::new(),
            activity_rule: None,
            platform: None,
        }];
        let row = |id: &str, pack: &[&str], ex: &[&str], dev: &[&str]| ProductIdentity {
            product_id: id.into(),
            vendor: String::new(),
            name: String::new(),
            pack: pack.iter().map(|s| s.to_string()).collect(),
            examples: ex.iter().map(|s| s.to_string()).collect(),
            dev: dev.iter().map(|s| s.to_string()).collect(),
        };
        let products = vec![
            row("acme", &["Acme Cloud"], &["pack/acme"], &["dev/acme-a", "dev/acme-b"]),
            row("fw", &[], &["pack/fw"], &[]),
        ];
        let table = ProductTable::new(products.clone());
        let b = crate::kb::build(
            mini_schema(),
            crate::kb::BuildOptions { examples, pack, products, ..Default::default() },
        )
        .unwrap();
        let kept = |p: Protocol| {
            let h = Holdout::for_source(p, &table, "dev/acme-a").unwrap();
            b.docs
                .iter()
                .filter(|d| d.kind != DocKind::Class && !h.hides(d))
                .map(|d| d.source.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kept(Protocol::Source),
            vec!["dev/acme-b", "pack/acme", "pack/fw", "pack:Acme Cloud"]
        );
        assert_eq!(kept(Protocol::Product), vec!["pack/fw"]);
        assert!(b.docs.iter().any(|d| d.kind == DocKind::Class
            && !Holdout::for_source(Protocol::Product, &table, "dev/acme-a").unwrap().hides(d)));
        assert!(matches!(
            Holdout::for_source(Protocol::Product, &table, "dev/unknown"),
            Err(EvalError::NoProduct(_))
        ));
    }

    /// A source whose records look like logons (a `login` action, a user, an address) but
    /// that the analyst files as API activity: before corrections the KB says Authentication;
    /// after one correction the records of that shape follow the analyst, both the exact
    /// shape (an override) and the same event with an extra optional field (search, where the
    /// correction outweighs the KB).
    #[test]
    fn corrections_fix_the_rest_of_a_source() {
        let src = "portal";
        let recs: Vec<Labeled> = ["alice", "bob", "carol", "dave", "erin"]
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let extra = if i % 2 == 0 { String::new() } else { format!(r#","session_note":"renewed by {u}""#) };
                labeled(&format!(r#"{{"action":"login","user":"{u}","client_ip":"198.51.100.{i}","widget":"w{i}"{extra}}}"#), 6003, 2, src)
            })
            .collect();
        let b = body();
        let cfg = Config { mode: crate::search::Mode::Lexical, ..Config::default() };
        let zero = leave_one_out(
            &b,
            &recs,
            &ProductTable::default(),
            Protocol::Source,
            None,
            &cfg,
            &|_, _| (),
        )
        .unwrap();
        assert!(
            zero.iter().all(|p| p.decision.class_uid == 3002),
            "{:?}",
            zero.iter().map(|p| p.decision.class_uid).collect::<Vec<_>>()
        );
        let runs = few_shot(
            &b,
            &recs,
            &ProductTable::default(),
            Protocol::Source,
            None,
            &cfg,
            &[0, 1, 3, 10],
            &|_, _| (),
        )
        .unwrap();
        let rows = shot_rows(&runs);
        assert_eq!(
            rows.iter().map(|r| (r.shots, r.records)).collect::<Vec<_>>(),
            vec![(0, 5), (1, 4), (3, 2), (10, 0)]
        );
        assert_eq!(rows[0].top1, 0.0);
        assert_eq!(
            rows[1].top1,
            1.0,
            "{:?}",
            runs[1]
                .1
                .iter()
                .map(|p| (p.decision.class_uid, p.decision.decided_by))
                .collect::<Vec<_>>()
        );
        assert_eq!(rows[1].activity, Some(1.0));
        assert_eq!(rows[1].per_source[0].source, src);
        // Records 2 and 4 have the shape of record 0 (same fields and op): exact override.
        assert_eq!(runs[1].1[1].decision.decided_by, DecidedBy::Override);
        assert_eq!(runs[1].1[0].decision.decided_by, DecidedBy::Search);
    }
}
