//! JSON object/array → flattened dotted paths.
//!
//! A hand-written recursive-descent scanner rather than `serde_json::Value`: it flattens while
//! it reads (no intermediate tree), bounds its own recursion at [`MAX_DEPTH`] by keeping deeper
//! subtrees as raw JSON text, and tells a cut-off document (EOF) from a syntax error so a
//! truncated record can still give the fields read before the cut.

use super::{
    clip, Field, ValueKind, MAX_DEPTH, MAX_FIELDS, MAX_KEY_LEN, MAX_SEGMENT, TRUNCATED_KEY,
};

/// Why flattening stopped early.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    /// Not JSON (or not valid JSON) at this byte offset.
    Syntax,
    /// Input ended inside a value; `usize` is where the unfinished token began.
    Eof(usize),
    /// Field cap reached; `usize` is where the first unflattened value begins.
    Capped(usize),
}

/// Outcome of [`flatten`].
#[derive(Debug)]
pub(crate) enum JsonOutcome {
    /// A complete document.
    Complete(Vec<Field>),
    /// The input ended mid-document; the fields read so far plus a [`TRUNCATED_KEY`] field.
    Truncated(Vec<Field>),
    /// Not JSON.
    Invalid,
}

/// Flatten a JSON object or array (the text must start with `{` or `[`).
pub(crate) fn flatten(text: &str) -> JsonOutcome {
    let mut p = Flattener {
        s: text.as_bytes(),
        src: text,
        pos: 0,
        fields: Vec::new(),
        path: String::new(),
    };
    p.skip_ws();
    match p.peek() {
        Some(b'{') | Some(b'[') => {}
        _ => return JsonOutcome::Invalid,
    }
    match p.value(0) {
        Ok(()) => {
            p.skip_ws();
            if p.pos != p.s.len() {
                return JsonOutcome::Invalid;
            }
            JsonOutcome::Complete(p.fields)
        }
        Err(Stop::Capped(at)) => {
            let rest = text.get(at..).unwrap_or_default().trim_end();
            p.fields.push(Field::new(TRUNCATED_KEY, rest));
            JsonOutcome::Complete(p.fields)
        }
        Err(Stop::Eof(at)) if !p.fields.is_empty() => {
            let rest = text.get(at..).unwrap_or_default();
            p.fields.push(Field::new(TRUNCATED_KEY, rest));
            JsonOutcome::Truncated(p.fields)
        }
        Err(_) => JsonOutcome::Invalid,
    }
}

struct Flattener<'a> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
    fields: Vec<Field>,
    /// Path of the value being read; segments are pushed and truncated as we descend.
    path: String,
}

impl Flattener<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), Stop> {
        match self.peek() {
            Some(c) if c == b => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(Stop::Syntax),
            None => Err(Stop::Eof(self.pos)),
        }
    }

    fn push(&mut self, value: String, kind: ValueKind) {
        self.fields.push(Field { key: self.path.clone(), value, kind });
    }

    /// Read one value at `depth` (the root is depth 0) and emit its fields under `self.path`.
    fn value(&mut self, depth: usize) -> Result<(), Stop> {
        self.skip_ws();
        let start = self.pos;
        if self.fields.len() >= MAX_FIELDS {
            return Err(Stop::Capped(start));
        }
        match self.peek() {
            None => Err(Stop::Eof(start)),
            Some(b'{' | b'[') if depth >= MAX_DEPTH => {
                self.skip_container()?;
                let raw = self.src.get(start..self.pos).unwrap_or_default().to_owned();
                self.push(raw, ValueKind::String);
                Ok(())
            }
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let v = self.string()?;
                self.push(v, ValueKind::String);
                Ok(())
            }
            Some(b't') => self.literal("true", ValueKind::Bool),
            Some(b'f') => self.literal("false", ValueKind::Bool),
            Some(b'n') => self.literal("null", ValueKind::Null),
            // Non-standard but emitted by some producers (Python's json module).
            Some(b'N') => self.literal("NaN", ValueKind::Number),
            Some(b'I') => self.literal("Infinity", ValueKind::Number),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(Stop::Syntax),
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), Stop> {
        let open = self.pos;
        self.pos += 1; // '{'
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.push_empty(open);
            return Ok(());
        }
        let base = self.path.len();
        loop {
            self.skip_ws();
            if self.fields.len() >= MAX_FIELDS {
                return Err(Stop::Capped(self.pos));
            }
            match self.peek() {
                Some(b'"') => {}
                Some(_) => return Err(Stop::Syntax),
                None => return Err(Stop::Eof(self.pos)),
            }
            let key_start = self.pos;
            let key = self.string().map_err(|e| {
                if let Stop::Eof(_) = e {
                    Stop::Eof(key_start)
                } else {
                    e
                }
            })?;
            self.skip_ws();
            self.expect(b':')?;
            if base > 0 {
                self.path.push('.');
            }
            self.path.push_str(clip(&key, MAX_SEGMENT));
            let r = self.value(self.child_depth(depth));
            self.path.truncate(base);
            r?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => return Err(Stop::Syntax),
                None => return Err(Stop::Eof(self.pos)),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), Stop> {
        let open = self.pos;
        self.pos += 1; // '['
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.push_empty(open);
            return Ok(());
        }
        let base = self.path.len();
        let mut i = 0usize;
        loop {
            use std::fmt::Write;
            // Writing to a String cannot fail.
            let _ = write!(self.path, "[{i}]");
            let r = self.value(self.child_depth(depth));
            self.path.truncate(base);
            r?;
            i += 1;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => return Err(Stop::Syntax),
                None => return Err(Stop::Eof(self.pos)),
            }
        }
    }

    /// Depth for a child value; a path past [`MAX_KEY_LEN`] counts as too deep to descend.
    fn child_depth(&self, depth: usize) -> usize {
        if self.path.len() > MAX_KEY_LEN {
            MAX_DEPTH
        } else {
            depth + 1
        }
    }

    /// An empty `{}`/`[]` keeps its key (presence is information) with the literal as value.
    fn push_empty(&mut self, open: usize) {
        if !self.path.is_empty() {
            let raw = self.src.get(open..self.pos).unwrap_or_default();
            let compact = if raw.starts_with('{') { "{}" } else { "[]" };
            self.push(compact.to_owned(), ValueKind::String);
        }
    }

    fn literal(&mut self, word: &str, kind: ValueKind) -> Result<(), Stop> {
        let start = self.pos;
        let rest = self.s.get(start..).unwrap_or_default();
        if rest.starts_with(word.as_bytes()) {
            self.pos += word.len();
            self.push(word.to_owned(), kind);
            Ok(())
        } else if word.as_bytes().starts_with(rest) {
            Err(Stop::Eof(start))
        } else {
            Err(Stop::Syntax)
        }
    }

    fn number(&mut self) -> Result<(), Stop> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            if self.peek() == Some(b'I') {
                return self.literal("Infinity", ValueKind::Number).map(|()| {
                    if let Some(last) = self.fields.last_mut() {
                        last.value.insert(0, '-');
                    }
                });
            }
        }
        let int_digits = self.digits();
        if int_digits == 0 {
            return if self.peek().is_none() { Err(Stop::Eof(start)) } else { Err(Stop::Syntax) };
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return if self.peek().is_none() {
                    Err(Stop::Eof(start))
                } else {
                    Err(Stop::Syntax)
                };
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return if self.peek().is_none() {
                    Err(Stop::Eof(start))
                } else {
                    Err(Stop::Syntax)
                };
            }
        }
        // A number running into the end of input may have been cut short.
        if self.peek().is_none() {
            return Err(Stop::Eof(start));
        }
        let text = self.src.get(start..self.pos).unwrap_or_default().to_owned();
        self.push(text, ValueKind::Number);
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Read a string literal starting at `"`, decoding escapes.
    fn string(&mut self) -> Result<String, Stop> {
        let start = self.pos;
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain bytes up to the next quote or backslash in one go.
            let rest = self.s.get(self.pos..).unwrap_or_default();
            let Some(off) = memchr::memchr2(b'"', b'\\', rest) else {
                return Err(Stop::Eof(start));
            };
            out.push_str(self.src.get(self.pos..self.pos + off).ok_or(Stop::Syntax)?);
            self.pos += off;
            if self.peek() == Some(b'"') {
                self.pos += 1;
                return Ok(out);
            }
            self.pos += 1; // backslash
            let Some(esc) = self.peek() else {
                return Err(Stop::Eof(start));
            };
            self.pos += 1;
            match esc {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let hi = self.hex4(start)?;
                    let c = if (0xD800..0xDC00).contains(&hi) {
                        // A high surrogate should be followed by `\uDC00`-`\uDFFF`.
                        if self.s.get(self.pos..self.pos + 2) == Some(b"\\u") {
                            let save = self.pos;
                            self.pos += 2;
                            let lo = self.hex4(start)?;
                            if (0xDC00..0xE000).contains(&lo) {
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            } else {
                                self.pos = save;
                                None
                            }
                        } else {
                            None
                        }
                    } else {
                        char::from_u32(hi)
                    };
                    // Lone surrogates become U+FFFD, as a lossy UTF-8 decode would.
                    out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                _ => return Err(Stop::Syntax),
            }
        }
    }

    fn hex4(&mut self, string_start: usize) -> Result<u32, Stop> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(b) = self.peek() else {
                return Err(Stop::Eof(string_start));
            };
            let d = (b as char).to_digit(16).ok_or(Stop::Syntax)?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    /// Skip a whole container without recursion (used past the depth cap).
    fn skip_container(&mut self) -> Result<(), Stop> {
        let start = self.pos;
        let mut closers: Vec<u8> = Vec::new();
        while let Some(b) = self.peek() {
            match b {
                b'{' => closers.push(b'}'),
                b'[' => closers.push(b']'),
                b'}' | b']' => {
                    if closers.pop() != Some(b) {
                        return Err(Stop::Syntax);
                    }
                    if closers.is_empty() {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                b'"' => {
                    self.string()?;
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
        Err(Stop::Eof(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(s: &str) -> Vec<Field> {
        match flatten(s) {
            JsonOutcome::Complete(f) => f,
            other => panic!("expected complete JSON for {s:?}, got {other:?}"),
        }
    }

    fn kv(fields: &[Field]) -> Vec<(&str, &str, ValueKind)> {
        fields.iter().map(|f| (f.key.as_str(), f.value.as_str(), f.kind)).collect()
    }

    #[test]
    fn nested_objects_and_arrays_flatten_to_paths() {
        let f = complete(
            r#"{"actor":{"user":{"name":"bob"}},"n":-1.5e3,"ok":true,"x":null,"tags":["a","b"],"items":[{"id":1}]}"#,
        );
        assert_eq!(
            kv(&f),
            vec![
                ("actor.user.name", "bob", ValueKind::String),
                ("n", "-1.5e3", ValueKind::Number),
                ("ok", "true", ValueKind::Bool),
                ("x", "null", ValueKind::Null),
                ("tags[0]", "a", ValueKind::String),
                ("tags[1]", "b", ValueKind::String),
                ("items[0].id", "1", ValueKind::Number),
            ]
        );
    }

    #[test]
    fn top_level_array_and_empty_containers() {
        let f = complete(r#"[{"x":1},[2],{},{"e":{},"a":[]}]"#);
        assert_eq!(
            kv(&f),
            vec![
                ("[0].x", "1", ValueKind::Number),
                ("[1][0]", "2", ValueKind::Number),
                ("[2]", "{}", ValueKind::String),
                ("[3].e", "{}", ValueKind::String),
                ("[3].a", "[]", ValueKind::String),
            ]
        );
    }

    #[test]
    fn string_escapes_and_embedded_json_kept_as_string() {
        let f = complete(r#"{"m":"{\"a\":1}","u":"caf\u00e9 \ud83d\ude00 \ud800x","t":"a\tb\/c"}"#);
        assert_eq!(f[0].value, r#"{"a":1}"#);
        assert_eq!(f[0].kind, ValueKind::String);
        assert_eq!(f[1].value, "café 😀 \u{FFFD}x");
        assert_eq!(f[2].value, "a\tb/c");
    }

    #[test]
    fn syntax_errors_are_invalid() {
        for s in [
            r#"{"a" 1}"#,
            r#"{"a":1,}"#,
            r#"{"a":tru}"#,
            r#"{"a":01x}"#,
            r#"{"a":1} trailing"#,
            "[1 2]",
            r#"{"a":"\q"}"#,
            "{a:1}",
            "[Wed Apr 16]",
        ] {
            assert!(matches!(flatten(s), JsonOutcome::Invalid), "{s}");
        }
    }

    #[test]
    fn cut_document_keeps_fields_read_so_far() {
        let JsonOutcome::Truncated(f) = flatten(r#"{"eventName":"CreateUser","user":{"name":"al"#)
        else {
            panic!("expected truncated")
        };
        assert_eq!(f[0].key, "eventName");
        assert_eq!(f[1].key, TRUNCATED_KEY);
        assert_eq!(f[1].value, r#""al"#);
        // Nothing complete before the cut: not JSON at all.
        assert!(matches!(flatten(r#"{"eventNa"#), JsonOutcome::Invalid));
        // A trailing number could have been cut mid-digit.
        assert!(matches!(flatten(r#"{"a":"x","b":12"#), JsonOutcome::Truncated(_)));
    }

    #[test]
    fn depth_cap_keeps_subtree_as_text() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 3), "]".repeat(MAX_DEPTH + 3));
        let f = complete(&deep);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].key.matches('[').count(), MAX_DEPTH);
        assert_eq!(f[0].value, "[[[]]]");
    }

    #[test]
    fn hostile_depth_does_not_recurse() {
        let open = "[".repeat(100_000);
        assert!(matches!(flatten(&open), JsonOutcome::Invalid));
        let closed = format!("{open}{}", "]".repeat(100_000));
        assert_eq!(complete(&closed).len(), 1);
        let mismatched = format!("{open}{}", "}".repeat(100_000));
        assert!(matches!(flatten(&mismatched), JsonOutcome::Invalid));
    }

    #[test]
    fn field_cap_keeps_the_rest_as_one_field() {
        let body: Vec<String> = (0..MAX_FIELDS + 5).map(|i| format!("\"k{i}\":{i}")).collect();
        let s = format!("{{{}}}", body.join(","));
        let f = complete(&s);
        assert_eq!(f.len(), MAX_FIELDS + 1);
        let last = f.last().map(|f| f.key.as_str());
        assert_eq!(last, Some(TRUNCATED_KEY));
        assert!(f[MAX_FIELDS].value.starts_with(&format!("\"k{MAX_FIELDS}\":{MAX_FIELDS},")));
    }
}
