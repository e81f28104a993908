//! BERT uncased WordPiece tokenizer (the one all-MiniLM-L6-v2 was trained with).
//!
//! Written here rather than pulling the `tokenizers` crate: the model needs only this
//! normaliser, pre-tokenizer and model, and it is small enough to own and test.

use std::collections::HashMap;
use std::path::Path;

use unicode_normalization::UnicodeNormalization;

use super::EmbedError;

pub const CLS: u32 = 101;
pub const SEP: u32 = 102;
const UNK: u32 = 100;
const MAX_CHARS_PER_WORD: usize = 100;

pub struct WordPiece {
    vocab: HashMap<String, u32>,
}

impl WordPiece {
    /// Reads `vocab.txt` (one token per line, the line number is the id).
    pub fn from_vocab_file(path: &Path) -> Result<Self, EmbedError> {
        let text = std::fs::read_to_string(path).map_err(|e| EmbedError::Io(path.into(), e))?;
        let vocab: HashMap<String, u32> =
            text.lines().enumerate().map(|(i, t)| (t.to_string(), i as u32)).collect();
        if vocab.get("[CLS]") != Some(&CLS)
            || vocab.get("[SEP]") != Some(&SEP)
            || vocab.get("[UNK]") != Some(&UNK)
        {
            return Err(EmbedError::Model(format!(
                "{}: not a BERT uncased vocabulary",
                path.display()
            )));
        }
        Ok(WordPiece { vocab })
    }

    /// Token ids with `[CLS]` … `[SEP]`, truncated to `max_len` ids in all.
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let mut ids = vec![CLS];
        let budget = max_len.saturating_sub(1);
        'words: for word in pre_tokenize(&normalize(text)) {
            for id in self.word_ids(&word) {
                if ids.len() >= budget {
                    break 'words;
                }
                ids.push(id);
            }
        }
        ids.push(SEP);
        ids
    }

    fn word_ids(&self, word: &str) -> Vec<u32> {
        if word.chars().count() > MAX_CHARS_PER_WORD {
            return vec![UNK];
        }
        let mut out = Vec::new();
        let mut start = 0;
        let mut piece = String::new();
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while end > start {
                if !word.is_char_boundary(end) {
                    end -= 1;
                    continue;
                }
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.push_str(&word[start..end]);
                if let Some(&id) = self.vocab.get(&piece) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => return vec![UNK],
            }
        }
        out
    }
}

/// BertNormalizer: drop control characters, map whitespace to spaces, pad CJK ideographs,
/// lowercase and strip accents.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()) {
            continue;
        }
        if c.is_whitespace() {
            out.push(' ');
        } else if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.to_lowercase().nfd().filter(|c| !is_combining_mark(*c)).collect()
}

/// BertPreTokenizer: split on whitespace, and every punctuation character is its own word.
fn pre_tokenize(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in text.split_whitespace() {
        let mut cur = String::new();
        for c in chunk.chars() {
            if is_punctuation(c) {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                words.push(c.to_string());
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            words.push(cur);
        }
    }
    words
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace())
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> WordPiece {
        let mut vocab = HashMap::new();
        for (i, t) in
            ["[PAD]", "hello", "world", "un", "##aff", "##able", ",", "cafe"].iter().enumerate()
        {
            vocab.insert(t.to_string(), 200 + i as u32);
        }
        vocab.insert("[UNK]".into(), UNK);
        vocab.insert("[CLS]".into(), CLS);
        vocab.insert("[SEP]".into(), SEP);
        WordPiece { vocab }
    }

    #[test]
    fn greedy_longest_match_with_continuations() {
        let wp = tiny();
        assert_eq!(
            wp.encode("Hello, unaffable WORLD", 64),
            vec![CLS, 201, 206, 203, 204, 205, 202, SEP]
        );
    }

    #[test]
    fn unknown_words_accents_and_truncation() {
        let wp = tiny();
        assert_eq!(wp.encode("café zzz", 64), vec![CLS, 207, UNK, SEP]);
        assert_eq!(wp.encode("hello hello hello hello", 4), vec![CLS, 201, 201, SEP]);
        assert_eq!(wp.encode("", 8), vec![CLS, SEP]);
        assert_eq!(wp.encode("\u{0}\u{7}", 8), vec![CLS, SEP]);
    }
}
