//! The product-identity table (`knowledge/products.jsonl`) covers everything the strict
//! evaluation must be able to remove: every labelled dev source, every pack line and every
//! example record has a product. A dev source without one would be evaluated with its own
//! product's knowledge still in the KB, so this fails rather than skips.

mod event_support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use event_support::{knowledge, manifest_dir, read_jsonl, DevRecord};
use ocsfmap::kb::products::ProductTable;

fn dev_files() -> Vec<PathBuf> {
    let data = std::env::var_os("OCSFMAP_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../../shared/data"));
    let files: Vec<PathBuf> = ["dev/corpus.jsonl", "dev/negatives.jsonl", "dev2/corpus.jsonl"]
        .iter()
        .map(|f| data.join(f))
        .collect();
    for f in &files {
        assert!(f.exists(), "{} is missing: the labelled dev sets live in ../shared/data beside the repository (or set OCSFMAP_DATA_DIR)", f.display());
    }
    files
}

#[test]
fn every_dev_source_has_a_product_identity() {
    let table = ProductTable::new(knowledge().products);
    assert!(!table.is_empty(), "knowledge/products.jsonl is empty or missing");
    let mut missing = BTreeSet::new();
    for f in dev_files() {
        for r in read_jsonl::<DevRecord>(&f) {
            if table.of_source(&r.source).is_empty() {
                missing.insert(r.source);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "dev sources with no product identity in knowledge/products.jsonl: {missing:?}"
    );
}

#[test]
fn every_pack_line_and_example_has_a_product_identity() {
    let inputs = knowledge();
    let table = ProductTable::new(inputs.products.clone());
    let pack: BTreeSet<&str> = inputs
        .pack
        .iter()
        .map(|p| p.product.as_str())
        .filter(|p| table.of_pack_product(p).is_empty())
        .collect();
    assert!(pack.is_empty(), "pack products with no row in knowledge/products.jsonl: {pack:?}");
    let examples: BTreeSet<&str> = inputs
        .examples
        .iter()
        .map(|e| e.source.as_str())
        .filter(|s| table.of_source(s).len() != 1)
        .collect();
    assert!(examples.is_empty(), "example sources without exactly one product: {examples:?}");
    // The pack's product count is in the same unit as the protocol's products.
    assert!(
        table.pack_products().len() >= 140,
        "{} products own pack lines",
        table.pack_products().len()
    );
}
