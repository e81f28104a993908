//! Product names for `metadata.product`, from the knowledge the classifier used: a decision's
//! evidence names a knowledge-pack entry (`pack:<product>`) or a labelled example whose source
//! is a product slug (`pack/aws-cloudtrail`), which is matched to a known product by words.

use crate::classify::Decision;
use crate::kb::sources::PackEntry;
use crate::kb::{DocKind, KnowledgeBase};

#[derive(Debug, Clone, Default)]
pub struct Products {
    entries: Vec<Product>,
}

#[derive(Debug, Clone)]
struct Product {
    name: String,
    vendor: Option<String>,
    words: Vec<String>,
}

impl Products {
    /// From knowledge-pack entries (names and vendors).
    pub fn from_pack(pack: &[PackEntry]) -> Self {
        let mut p = Products::default();
        for e in pack {
            let vendor = (!e.vendor.is_empty()).then(|| e.vendor.clone());
            p.add(&e.product, vendor);
        }
        p
    }

    /// From a knowledge base's pack documents (names only; the artifact keeps no vendors).
    pub fn from_kb(kb: &KnowledgeBase) -> Self {
        let mut p = Products::default();
        for d in kb.docs().iter().filter(|d| d.kind == DocKind::Pack) {
            if let Some(name) = d.source.strip_prefix("pack:") {
                p.add(name, None);
            }
        }
        p
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn add(&mut self, name: &str, vendor: Option<String>) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.name == name) {
            if e.vendor.is_none() {
                e.vendor = vendor;
            }
            return;
        }
        self.entries.push(Product { name: name.to_string(), vendor, words: words(name) });
    }

    /// (product, vendor) of the best evidence that names a product.
    pub(crate) fn for_decision(&self, d: &Decision) -> Option<(&str, Option<&str>)> {
        for e in &d.evidence {
            if !matches!(e.kind, DocKind::Pack | DocKind::Example | DocKind::Override) {
                continue;
            }
            if let Some(name) = e.source.strip_prefix("pack:") {
                if let Some(p) = self.entries.iter().find(|p| p.name == name) {
                    return Some((&p.name, p.vendor.as_deref()));
                }
            }
            if let Some(slug) = e.source.strip_prefix("pack/") {
                if let Some(p) = self.by_slug(slug) {
                    return Some((&p.name, p.vendor.as_deref()));
                }
            }
        }
        None
    }

    /// The product whose name shares the most words with the slug (at least half of them);
    /// ties go to the shorter name.
    fn by_slug(&self, slug: &str) -> Option<&Product> {
        let slug_words: Vec<&str> = slug.split('-').filter(|w| !w.is_empty()).collect();
        let mut best: Option<(&Product, usize)> = None;
        for p in &self.entries {
            let hits = slug_words.iter().filter(|w| p.words.iter().any(|x| x == *w)).count();
            if hits == 0 || hits * 2 < slug_words.len() {
                continue;
            }
            let better = match best {
                None => true,
                Some((b, h)) => hits > h || (hits == h && p.words.len() < b.words.len()),
            };
            if better {
                best = Some((p, hits));
            }
        }
        best.map(|(p, _)| p)
    }
}

fn words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn products() -> Products {
        let mut p = Products::default();
        for (n, v) in [
            ("AWS CloudTrail", "Amazon Web Services"),
            ("OpenSSH sshd", "OpenBSD/OpenSSH"),
            ("Windows Security Event Log", "Microsoft"),
            ("Windows System Event Log", "Microsoft"),
            ("Microsoft Entra ID audit logs", "Microsoft"),
            ("Microsoft Entra ID sign-in logs", "Microsoft"),
            ("Box", "Box"),
        ] {
            p.add(n, Some(v.to_string()));
        }
        p
    }

    #[test]
    fn slugs_find_products() {
        let p = products();
        assert_eq!(p.by_slug("aws-cloudtrail").map(|x| x.name.as_str()), Some("AWS CloudTrail"));
        assert_eq!(p.by_slug("openssh").map(|x| x.name.as_str()), Some("OpenSSH sshd"));
        assert_eq!(
            p.by_slug("windows-security").map(|x| x.name.as_str()),
            Some("Windows Security Event Log")
        );
        assert_eq!(
            p.by_slug("box-admin-events").map(|x| x.name.as_str()),
            None,
            "one word of three is not enough"
        );
        assert_eq!(p.by_slug("box").map(|x| x.name.as_str()), Some("Box"));
        assert!(p.by_slug("zeek").is_none());
    }
}
