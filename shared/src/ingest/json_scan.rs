//! A linear, allocation-free scan that finds where JSON values start and end and how deeply
//! they nest, without building them. It finds record boundaries in a JSON body and measures
//! depth before serde sees the bytes, so deep nesting costs a counter, never recursion.
//! The scan only tracks strings and brackets; full validation is serde's job afterwards.

/// Where one record candidate lies in the body, and its nesting depth (an object is 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub depth: usize,
}

/// The body's top-level structure is broken, so records cannot be told apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("the body ends inside {what} that starts at byte {at} (truncated?)")]
    Unterminated { what: &'static str, at: usize },
    #[error("unexpected {found:?} at byte {at}; {expected}")]
    Unexpected { found: char, at: usize, expected: &'static str },
    #[error("more than {limit} records")]
    TooMany { limit: usize },
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).copied().is_some_and(is_ws) {
        i += 1;
    }
    i
}

/// `i` is at an opening quote; returns the index just past the closing quote.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        let rest = b.get(j..)?;
        let k = memchr::memchr2(b'"', b'\\', rest)?;
        let at = j + k;
        if b.get(at) == Some(&b'"') {
            return Some(at + 1);
        }
        j = at + 2; // skip the escaped byte, whatever it is
    }
}

/// Scans one value starting at `i` (not whitespace). Returns its end and depth.
fn scan_value(b: &[u8], i: usize) -> Result<(usize, usize), ScanError> {
    match b.get(i) {
        Some(b'"') => skip_string(b, i)
            .map(|end| (end, 0))
            .ok_or(ScanError::Unterminated { what: "a string", at: i }),
        Some(b'{') | Some(b'[') => {
            let (mut depth, mut max, mut j) = (0usize, 0usize, i);
            while let Some(&c) = b.get(j) {
                match c {
                    b'"' => {
                        j = skip_string(b, j)
                            .ok_or(ScanError::Unterminated { what: "a string", at: j })?;
                        continue;
                    }
                    b'{' | b'[' => {
                        depth += 1;
                        max = max.max(depth);
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok((j + 1, max));
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err(ScanError::Unterminated { what: "a JSON value", at: i })
        }
        _ => {
            // A bare scalar (number, true, garbage...): up to the next delimiter.
            let mut j = i;
            while let Some(&c) = b.get(j) {
                if is_ws(c) || matches!(c, b',' | b'[' | b']' | b'{' | b'}' | b'"') {
                    break;
                }
                j += 1;
            }
            Ok((j, 0))
        }
    }
}

/// Splits a JSON body into record candidates: the elements of a top-level array, and every
/// other top-level value on its own. `limit` caps the number of candidates.
pub fn split_json(b: &[u8], limit: usize) -> Result<Vec<Span>, ScanError> {
    let mut spans = Vec::new();
    let mut push = |s: Span| {
        if spans.len() >= limit {
            return Err(ScanError::TooMany { limit });
        }
        spans.push(s);
        Ok(())
    };
    let mut i = skip_ws(b, 0);
    while let Some(&c) = b.get(i) {
        match c {
            b'[' => {
                let open = i;
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    i = skip_ws(b, i + 1);
                    continue;
                }
                loop {
                    i = skip_ws(b, i);
                    let end = match b.get(i) {
                        None => {
                            return Err(ScanError::Unterminated { what: "the array", at: open })
                        }
                        // An empty element (`[1,,2]`, `[1,]`) becomes an empty, invalid record.
                        Some(b',') | Some(b']') => {
                            push(Span { start: i, end: i, depth: 0 })?;
                            i
                        }
                        Some(_) => {
                            let (end, depth) = scan_value(b, i)?;
                            push(Span { start: i, end, depth })?;
                            end
                        }
                    };
                    i = skip_ws(b, end);
                    match b.get(i) {
                        Some(b',') => i += 1,
                        Some(b']') => {
                            i += 1;
                            break;
                        }
                        None => {
                            return Err(ScanError::Unterminated { what: "the array", at: open })
                        }
                        Some(&other) => {
                            return Err(ScanError::Unexpected {
                                found: other as char,
                                at: i,
                                expected: "expected ',' or ']' between array elements",
                            })
                        }
                    }
                }
            }
            b']' | b'}' | b',' | b':' => {
                return Err(ScanError::Unexpected {
                    found: c as char,
                    at: i,
                    expected:
                        "expected a JSON object, an array of objects, or objects one after another",
                })
            }
            _ => {
                let (end, depth) = scan_value(b, i)?;
                push(Span { start: i, end, depth })?;
                i = end;
            }
        }
        i = skip_ws(b, i);
    }
    Ok(spans)
}

/// Maximum nesting depth anywhere in `b` (used for single NDJSON lines). Unbalanced input is
/// not an error here: serde reports it with a better message.
pub fn max_depth(b: &[u8]) -> usize {
    let (mut depth, mut max, mut j) = (0usize, 0usize, 0usize);
    while let Some(&c) = b.get(j) {
        match c {
            b'"' => match skip_string(b, j) {
                Some(end) => {
                    j = end;
                    continue;
                }
                None => break,
            },
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        j += 1;
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(b: &str) -> Vec<&str> {
        split_json(b.as_bytes(), 1000).unwrap().iter().map(|s| &b[s.start..s.end]).collect()
    }

    #[test]
    fn splits_arrays_objects_and_streams() {
        assert_eq!(texts(r#"{"a":1}"#), vec![r#"{"a":1}"#]);
        assert_eq!(texts(r#" [ {"a":1} , {"b":[2,3]} ] "#), vec![r#"{"a":1}"#, r#"{"b":[2,3]}"#]);
        assert_eq!(texts("{\"a\":1}\n{\"b\":2}\n"), vec![r#"{"a":1}"#, r#"{"b":2}"#]);
        assert_eq!(texts(r#"{"a":1}{"b":2}"#), vec![r#"{"a":1}"#, r#"{"b":2}"#]);
        assert_eq!(texts(r#"["line one","x"]"#), vec![r#""line one""#, r#""x""#]);
        assert_eq!(texts("[]"), Vec::<&str>::new());
        assert_eq!(texts("[1, true ,null]"), vec!["1", "true", "null"]);
    }

    #[test]
    fn brackets_and_quotes_inside_strings_do_not_count() {
        let b = r#"[{"m":"a ] } , [ \" \\"},{"n":"\\"}]"#;
        assert_eq!(texts(b), vec![r#"{"m":"a ] } , [ \" \\"}"#, r#"{"n":"\\"}"#]);
    }

    #[test]
    fn depth_is_measured_per_element() {
        let spans = split_json(br#"[{"a":{"b":[1]}}, {}]"#, 10).unwrap();
        assert_eq!(spans.iter().map(|s| s.depth).collect::<Vec<_>>(), vec![3, 1]);
        let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        let spans = split_json(deep.as_bytes(), 10).unwrap();
        assert_eq!(spans[0].depth, 100_000);
        assert_eq!(max_depth(br#"{"a":"[[[[","b":[{}]}"#), 3);
    }

    #[test]
    fn empty_elements_become_empty_spans() {
        let spans = split_json(b"[1,,2,]", 10).unwrap();
        let lens: Vec<usize> = spans.iter().map(|s| s.end - s.start).collect();
        assert_eq!(lens, vec![1, 0, 1, 0]);
    }

    #[test]
    fn broken_structure_is_an_error() {
        for bad in [
            r#"[{"a":1}"#,
            r#"{"a":"unterminated"#,
            r#"[{"a":1} {"b":2}]"#,
            "]",
            r#"{"a":1},{"b":2}"#,
            "[[[[",
            "\"abc",
        ] {
            assert!(split_json(bad.as_bytes(), 10).is_err(), "{bad}");
        }
    }

    #[test]
    fn candidate_limit() {
        assert_eq!(split_json(b"[1,2,3]", 2).unwrap_err(), ScanError::TooMany { limit: 2 });
        assert_eq!(split_json(b"[1,2]", 2).unwrap().len(), 2);
    }
}
