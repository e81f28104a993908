//! Turning the schema, examples, pack entries and overrides into documents.

use std::collections::BTreeSet;

use super::products::ProductTable;
use super::sources::{Labeled, PackEntry, ProductIdentity};
use super::{Doc, DocKind, KbBody};
use crate::embed::{EmbedError, Embedder};
use crate::features::{self, expand};
use crate::schema::{Class, Schema};
use crate::text;

/// What goes into a build besides the schema.
#[derive(Default)]
pub struct BuildOptions<'a> {
    pub examples: Vec<Labeled>,
    pub pack: Vec<PackEntry>,
    pub overrides: Vec<Labeled>,
    /// The product-identity table: which documents are about which product.
    pub products: Vec<ProductIdentity>,
    pub embedder: Option<&'a Embedder>,
    /// Called with (done, total) while embedding documents.
    pub progress: Option<&'a dyn Fn(usize, usize)>,
}

/// What was read from knowledge files ([`super::sources::read_paths`]), with no overrides,
/// model or progress: callers add those with struct update syntax
/// (`BuildOptions { overrides, ..inputs.into() }`), so a new input kind is threaded once.
impl From<super::sources::Inputs> for BuildOptions<'_> {
    fn from(i: super::sources::Inputs) -> Self {
        BuildOptions {
            examples: i.examples,
            pack: i.pack,
            products: i.products,
            ..Default::default()
        }
    }
}

/// Builds the KB body. Examples and overrides naming a class the schema does not have (or a
/// deprecated one) are skipped with a warning rather than failing the build.
pub fn build(schema: Schema, opts: BuildOptions<'_>) -> Result<KbBody, EmbedError> {
    let mut docs = Vec::new();
    let base_attrs: BTreeSet<String> =
        schema.class(0).map(|c| c.attributes.keys().cloned().collect()).unwrap_or_default();
    for class in schema.active_classes() {
        docs.push(class_doc(class, &base_attrs));
    }
    let valid = |uid: u32| schema.class(uid).is_some_and(|c| !c.deprecated);
    for (kind, list) in [(DocKind::Example, &opts.examples), (DocKind::Override, &opts.overrides)] {
        for l in list {
            if !valid(l.class_uid) {
                tracing::warn!(class_uid = l.class_uid, source = %l.source, "skipping labelled record of an unknown or deprecated class");
                continue;
            }
            docs.push(record_doc(kind, l));
        }
    }
    for p in &opts.pack {
        if !valid(p.class_uid) {
            tracing::warn!(class_uid = p.class_uid, product = %p.product, "skipping pack entry of an unknown or deprecated class");
            continue;
        }
        docs.push(pack_doc(p));
    }
    let table = ProductTable::new(opts.products);
    for d in &mut docs {
        d.products = table.of_doc(d.kind, &d.source);
    }

    let (embeddings, embedding_model) = match opts.embedder {
        Some(e) => (embed_all(e, &docs, opts.progress)?, Some(e.model_id().to_string())),
        None => (Vec::new(), None),
    };
    let mut body = KbBody { schema, docs, embeddings, embedding_model, calibrator: None };
    body.calibrator = fit_calibrator(&body);
    Ok(body)
}

/// Fits the confidence calibration on the body's own examples (leave-one-source-out).
pub fn fit_calibrator(body: &KbBody) -> Option<crate::classify::calibrate::Calibrator> {
    let kb = super::KnowledgeBase::from_body(
        super::KbHeader::describe(body, String::new()),
        body.clone(),
    );
    let mode = if body.embeddings.is_empty() {
        crate::search::Mode::Lexical
    } else {
        crate::search::Mode::Hybrid
    };
    let cal = crate::classify::calibrate::fit_loso(&kb, mode);
    if let Some(c) = &cal {
        tracing::info!(samples = c.samples, correct = c.correct, "fitted confidence calibration");
    }
    cal
}

fn embed_all(
    e: &Embedder,
    docs: &[Doc],
    progress: Option<&dyn Fn(usize, usize)>,
) -> Result<Vec<f32>, EmbedError> {
    // Batches of similar length waste less work on padding.
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by_key(|&i| docs[i].dense_text.len());
    let dim = crate::embed::DIM;
    let mut out = vec![0f32; docs.len() * dim];
    let mut done = 0;
    for chunk in order.chunks(16) {
        let texts: Vec<&str> = chunk.iter().map(|&i| docs[i].dense_text.as_str()).collect();
        for (&i, v) in chunk.iter().zip(e.embed_batch(&texts)?) {
            out[i * dim..(i + 1) * dim].copy_from_slice(&v);
        }
        done += chunk.len();
        if let Some(p) = progress {
            p(done, docs.len());
        }
    }
    Ok(out)
}

fn push_tokens(terms: &mut Vec<String>, s: &str) {
    text::for_each_token(s, |t| {
        if features::keep_token(t) {
            terms.push(t.to_string());
        }
    });
}

/// A class document: its caption (weighted), description, activities and the attributes it
/// adds to the base event (base attributes are shared by all classes and say nothing).
fn class_doc(class: &Class, base_attrs: &BTreeSet<String>) -> Doc {
    let mut terms = Vec::new();
    for _ in 0..3 {
        push_tokens(&mut terms, &class.caption);
    }
    push_tokens(&mut terms, &class.description);
    push_tokens(&mut terms, &class.category);
    let mut activity_names = Vec::new();
    for a in &class.activities {
        if a.id == 0 || a.id == 99 {
            continue;
        }
        push_tokens(&mut terms, &a.caption);
        push_tokens(&mut terms, &a.description);
        activity_names.push(a.caption.as_str());
    }
    for (name, attr) in &class.attributes {
        if base_attrs.contains(name) {
            continue;
        }
        push_tokens(&mut terms, name);
        push_tokens(&mut terms, &attr.caption);
    }
    let dense_text = format!(
        "{}. {} Activities: {}.",
        class.caption,
        class.description,
        activity_names.join(", ")
    );
    Doc {
        kind: DocKind::Class,
        class_uid: class.uid,
        activity_id: None,
        source: format!("ocsf:{}", class.name),
        title: class.caption.clone(),
        terms: expand(terms),
        dense_text,
        signature: None,
        key_tokens: Vec::new(),
        discriminators: Vec::new(),
        any_event: false,
        products: Vec::new(),
        activity_rule: None,
    }
}

pub(crate) fn record_doc(kind: DocKind, l: &Labeled) -> Doc {
    let record = crate::parse::parse(&l.raw);
    let f = features::extract(&record);
    let title: String = l.raw.chars().take(80).collect();
    let discriminators = f.discriminator_pairs();
    Doc {
        kind,
        class_uid: l.class_uid,
        activity_id: l.activity_id,
        source: l.source.clone(),
        title,
        terms: f.lexical_terms(),
        dense_text: f.dense_text,
        signature: Some(f.signature),
        discriminators,
        key_tokens: f.key_tokens,
        any_event: false,
        products: Vec::new(),
        activity_rule: None,
    }
}

fn pack_doc(p: &PackEntry) -> Doc {
    let mut terms = Vec::new();
    for s in [&p.product, &p.vendor, &p.log_type, &p.event, &p.title] {
        push_tokens(&mut terms, s);
    }
    for s in p.identify.fields.iter().chain(&p.identify.values).chain(&p.identify.patterns) {
        push_tokens(&mut terms, s);
    }
    // Event ids are numbers the token filter keeps only when short; keep them whole here.
    for v in &p.identify.values {
        if v.len() <= 8 && v.bytes().all(|b| b.is_ascii_digit()) {
            terms.push(v.clone());
        }
    }
    // The event's own name or id, whole, as records' discriminating values are indexed.
    let mut whole: Vec<String> = p
        .identify
        .values
        .iter()
        .chain(std::iter::once(&p.event))
        .filter_map(|v| features::whole_value_term(v))
        .collect();
    whole.sort();
    whole.dedup();
    terms.extend(whole);
    // The entry's field names as records' field names are tokenised, for shape comparison.
    let mut key_tokens: Vec<String> = Vec::new();
    for f in &p.identify.fields {
        text::for_each_token(&features::normalize_key(f), |t| {
            if t.len() >= 2 && !key_tokens.iter().any(|k| k == t) {
                key_tokens.push(t.to_string());
            }
        });
    }
    let dense_text = format!(
        "{} {} {}: {}. {} Fields: {}. Values: {}. {}",
        p.vendor,
        p.product,
        p.log_type,
        p.title,
        p.event,
        p.identify.fields.join(", "),
        p.identify.values.join(", "),
        p.identify.patterns.join("; ")
    );
    Doc {
        kind: DocKind::Pack,
        class_uid: p.class_uid,
        activity_id: p.activity_id,
        source: format!("{}{}", super::products::PACK_SOURCE_PREFIX, p.product),
        title: format!("{} {}: {}", p.product, p.event, p.title),
        terms: expand(terms),
        dense_text,
        signature: None,
        key_tokens,
        discriminators: Vec::new(),
        any_event: p.event == "*",
        products: Vec::new(),
        activity_rule: p.activity_rule.clone().filter(|_| p.activity_id.is_none()),
    }
}
