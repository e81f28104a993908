//! Product identity: which knowledge-base documents are about which product, read from the
//! product-identity table (`knowledge/products.jsonl`, documented in `knowledge/README.md`).
//!
//! A product is one vendor's one log-producing product line. The table names, per product,
//! the pack lines (by their `product` string), the example records (by `source`) and the
//! labelled dev-set sources that are about it, so the strict evaluation can remove
//! everything the KB knows about a held-out source's product, mechanically.

use std::collections::{BTreeMap, BTreeSet};

use super::sources::ProductIdentity;
use super::{Doc, DocKind};

/// Prefix of a pack document's `source` (`pack:<product>`).
pub const PACK_SOURCE_PREFIX: &str = "pack:";

#[derive(Debug, Clone, Default)]
pub struct ProductTable {
    rows: Vec<ProductIdentity>,
    /// Pack `product` string → product ids.
    by_pack: BTreeMap<String, Vec<String>>,
    /// Example or dev `source` → product ids.
    by_source: BTreeMap<String, Vec<String>>,
}

impl ProductTable {
    pub fn new(rows: Vec<ProductIdentity>) -> Self {
        let mut by_pack: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut by_source: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in &rows {
            for p in &r.pack {
                by_pack.entry(p.clone()).or_default().push(r.product_id.clone());
            }
            for s in r.examples.iter().chain(&r.dev) {
                let ids = by_source.entry(s.clone()).or_default();
                if !ids.contains(&r.product_id) {
                    ids.push(r.product_id.clone());
                }
            }
        }
        ProductTable { rows, by_pack, by_source }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn rows(&self) -> &[ProductIdentity] {
        &self.rows
    }

    /// Products of a labelled record's `source` (an example's `pack/<slug>` or a dev
    /// source's name); empty when the table does not know it.
    pub fn of_source(&self, source: &str) -> &[String] {
        self.by_source.get(source).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Products of a pack line's `product` string.
    pub fn of_pack_product(&self, product: &str) -> &[String] {
        self.by_pack.get(product).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Products a document is about: a pack entry's by its product string, a labelled record's
    /// by its source. Class documents are about no product.
    pub fn of_doc(&self, kind: DocKind, source: &str) -> Vec<String> {
        match kind {
            DocKind::Class => Vec::new(),
            DocKind::Pack => self
                .of_pack_product(source.strip_prefix(PACK_SOURCE_PREFIX).unwrap_or(source))
                .to_vec(),
            DocKind::Example | DocKind::Override => self.of_source(source).to_vec(),
        }
    }

    /// Products that own at least one pack line (the pack's product count).
    pub fn pack_products(&self) -> BTreeSet<&str> {
        self.rows.iter().filter(|r| !r.pack.is_empty()).map(|r| r.product_id.as_str()).collect()
    }
}

/// True when the document is about one of `products` (class documents never are).
pub fn doc_is_about(d: &Doc, products: &[String]) -> bool {
    d.kind != DocKind::Class && d.products.iter().any(|p| products.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, pack: &[&str], examples: &[&str], dev: &[&str]) -> ProductIdentity {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        ProductIdentity {
            product_id: id.into(),
            vendor: String::new(),
            name: String::new(),
            pack: v(pack),
            examples: v(examples),
            dev: v(dev),
        }
    }

    #[test]
    fn bundles_map_to_each_product() {
        let t = ProductTable::new(vec![
            row(
                "pfsense",
                &["pfSense / OPNsense filterlog"],
                &["pack/pfsense"],
                &["pfsense/filterlog"],
            ),
            row(
                "opnsense",
                &["pfSense / OPNsense filterlog"],
                &[],
                &["admin panels (webmin/opnsense)"],
            ),
            row("webmin", &[], &[], &["admin panels (webmin/opnsense)"]),
        ]);
        assert_eq!(t.of_source("admin panels (webmin/opnsense)"), ["opnsense", "webmin"]);
        assert_eq!(
            t.of_doc(DocKind::Pack, "pack:pfSense / OPNsense filterlog"),
            vec!["pfsense", "opnsense"]
        );
        assert_eq!(t.of_doc(DocKind::Example, "pack/pfsense"), vec!["pfsense"]);
        assert!(t.of_doc(DocKind::Class, "ocsf:authentication").is_empty());
        assert!(t.of_source("unknown").is_empty());
        assert_eq!(t.pack_products().into_iter().collect::<Vec<_>>(), vec!["opnsense", "pfsense"]);
    }
}
