//! The record's own words read against the schema's: each OCSF class's caption, description,
//! and its activities' captions and descriptions, stemmed, in a small BM25 index of their own,
//! queried with the words of the record's values (event names, actions, messages), not its
//! field names. "A scheduled task was created" meets Scheduled Job Activity ("scheduled jobs
//! or tasks"), "authentication failed" meets Authentication, whichever product wrote them.
//! The schema is the one source of this knowledge: nothing here is written for a product.

use rust_stemmers::{Algorithm, Stemmer};

use crate::features;
use crate::schema::Schema;
use crate::search::lexical::Bm25;
use crate::text;

pub struct SchemaText {
    /// Class of each index document, in index order.
    classes: Vec<u32>,
    index: Bm25,
    stemmer: Stemmer,
}

impl std::fmt::Debug for SchemaText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaText").field("classes", &self.classes.len()).finish()
    }
}

impl Default for SchemaText {
    fn default() -> Self {
        SchemaText {
            classes: Vec::new(),
            index: Bm25::default(),
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

impl SchemaText {
    pub fn build(schema: &Schema) -> Self {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut classes = Vec::new();
        let mut docs: Vec<Vec<String>> = Vec::new();
        for c in schema.active_classes() {
            let mut words = Vec::new();
            stems(&stemmer, &c.caption, &mut words);
            stems(&stemmer, &c.description, &mut words);
            for a in c.activities.iter().filter(|a| a.id != 0 && a.id != 99) {
                stems(&stemmer, &a.caption, &mut words);
                stems(&stemmer, &a.description, &mut words);
            }
            classes.push(c.uid);
            docs.push(words);
        }
        let index = Bm25::build(docs.iter().map(Vec::as_slice));
        SchemaText { classes, index, stemmer }
    }

    /// The words of a record's values: its lexical terms less its field-name tokens and the
    /// whole-value terms.
    pub fn record_words(&self, terms: &[String], key_tokens: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for t in terms.iter().filter(|t| !t.starts_with('=') && !key_tokens.contains(t)) {
            out.push(self.stemmer.stem(t).into_owned());
        }
        out
    }

    /// Each class's BM25 score for the words, ascending by class (0 where nothing matched).
    pub fn scores(&self, words: &[String]) -> Vec<(u32, f32)> {
        let mut out: Vec<(u32, f32)> = self.classes.iter().map(|&c| (c, 0.0)).collect();
        for (i, s) in self.index.scores(words, &|_| true) {
            out[i].1 = s;
        }
        out.sort_by_key(|x| x.0);
        out
    }
}

fn stems(stemmer: &Stemmer, s: &str, out: &mut Vec<String>) {
    text::for_each_token(s, |t| {
        if features::keep_token(t) {
            out.push(stemmer.stem(t).into_owned());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_meets_the_class_that_describes_it() {
        let schema = crate::testutil::mini_schema();
        let st = SchemaText::build(&schema);
        let best = |msg: &str| {
            let words: Vec<String> = text::tokens(msg);
            let words = st.record_words(&words, &[]);
            let s = st.scores(&words);
            s.iter().max_by(|a, b| a.1.total_cmp(&b.1)).map(|x| x.0).unwrap()
        };
        assert_eq!(best("user logon failed"), 3002);
    }
}
