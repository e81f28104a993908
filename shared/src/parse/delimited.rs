//! Delimited records: CSV (RFC 4180 quoting), TSV, Zeek TSV and W3C extended (IIS) lines.
//!
//! Header-driven formats are mostly handled line by line by [`super::StreamParser`]; this
//! module holds the record splitters and the one-shot cases `parse()` can see on its own:
//! a header line plus one data line, and a bare tab-separated line (positional `col0..`).

use super::{Field, Format, Record, MAX_FIELDS};

/// Split one CSV record off `s` (quoted fields may span lines). Returns the fields and the
/// text after the record's line terminator; `None` when a quote is left open.
pub(crate) fn csv_record(s: &str, delim: char) -> Option<(Vec<String>, &str)> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = s.char_indices().peekable();
    // Whether the current field began with a quote and that quote is still open.
    let mut in_quotes = false;
    let mut at_field_start = true;
    while let Some((i, c)) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek().is_some_and(|&(_, n)| n == '"') {
                    chars.next();
                    cur.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                in_quotes = true;
                at_field_start = false;
            }
            c if c == delim => {
                fields.push(std::mem::take(&mut cur));
                at_field_start = true;
                if fields.len() > MAX_FIELDS {
                    return None;
                }
            }
            '\n' | '\r' => {
                fields.push(cur);
                let mut rest = s.get(i + 1..).unwrap_or_default();
                if c == '\r' {
                    rest = rest.strip_prefix('\n').unwrap_or(rest);
                }
                return Some((fields, rest));
            }
            // Text after a closing quote (`"a"b`) is kept, as most readers do.
            c => {
                cur.push(c);
                at_field_start = false;
            }
        }
    }
    if in_quotes {
        return None;
    }
    fields.push(cur);
    Some((fields, ""))
}

/// Whether a row looks like column names: ≥2 columns, each starting with a letter, `_` or
/// `@`, and none holding characters that mark data (`=`, `:`, quotes, brackets).
pub(crate) fn is_header(cols: &[String]) -> bool {
    cols.len() >= 2
        && cols.iter().all(|c| {
            let c = c.trim();
            c.len() <= 128
                && c.starts_with(|ch: char| ch.is_alphabetic() || ch == '_' || ch == '@')
                && !c.contains(['=', ':', '"', '{', '}', '[', ']', '<', '>'])
        })
}

/// The delimiter a header line uses: tab if present, else comma.
pub(crate) fn sniff_delimiter(line: &str) -> Option<char> {
    if line.contains('\t') {
        Some('\t')
    } else if line.contains(',') {
        Some(',')
    } else {
        None
    }
}

/// Zip column names with values into a record (values past the names get `colN`).
pub(crate) fn zip_record(
    format: Format,
    names: &[String],
    values: Vec<String>,
    skip: impl Fn(&str) -> bool,
) -> Record {
    let mut fields = Vec::with_capacity(values.len().min(MAX_FIELDS));
    for (i, v) in values.into_iter().enumerate().take(MAX_FIELDS) {
        if skip(&v) {
            continue;
        }
        let key = names.get(i).map_or_else(|| format!("col{i}"), |n| n.trim().to_owned());
        fields.push(Field::new(key, v));
    }
    Record { format, fields }
}

/// A header line and one data line in a single input (CSV or TSV).
pub(crate) fn header_and_row(s: &str) -> Option<Record> {
    let first_line = s.lines().next()?;
    let delim = sniff_delimiter(first_line)?;
    let (header, rest) = csv_record(s, delim)?;
    if !is_header(&header) {
        return None;
    }
    let (row, tail) = csv_record(rest, delim)?;
    if !tail.trim().is_empty() || row.len() != header.len() {
        return None;
    }
    let format = if delim == '\t' { Format::Tsv } else { Format::Csv };
    Some(zip_record(format, &header, row, |_| false))
}

/// A lone tab-separated line (≥3 columns, no header known): positional keys `col0`, `col1`...
pub(crate) fn bare_tsv(s: &str) -> Option<Record> {
    if s.contains('\n') || s.bytes().filter(|&b| b == b'\t').count() < 2 {
        return None;
    }
    let values: Vec<String> = s.split('\t').map(str::to_owned).collect();
    Some(zip_record(Format::Tsv, &[], values, |_| false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let (f, rest) = csv_record("a,\"b,\"\"c\"\"\",,\"multi\nline\"\r\nnext", ',').expect("csv");
        assert_eq!(f, ["a", "b,\"c\"", "", "multi\nline"]);
        assert_eq!(rest, "next");
        assert!(csv_record("a,\"open", ',').is_none());
        let (f, _) = csv_record("x\"y,\"q\"z", ',').expect("csv");
        assert_eq!(f, ["x\"y", "qz"]);
    }

    #[test]
    fn header_plus_row() {
        let r = header_and_row("time,user,action\r\n2024-01-01T00:00:00Z,\"Smith, J\",login\r\n")
            .expect("pair");
        assert_eq!(r.format, Format::Csv);
        assert_eq!(r.get("user"), Some("Smith, J"));
        assert_eq!(r.get("action"), Some("login"));
        let r = header_and_row("ts\tsrc ip\n1.5\t10.0.0.1").expect("pair");
        assert_eq!(r.format, Format::Tsv);
        assert_eq!(r.get("src ip"), Some("10.0.0.1"));
        // Column count mismatch, a data-looking header or a third line: not a pair.
        assert!(header_and_row("a,b,c\n1,2").is_none());
        assert!(header_and_row("1,2\n3,4").is_none());
        assert!(header_and_row("a,b\n1,2\n3,4").is_none());
        assert!(header_and_row("a,b\n\"1,2").is_none());
    }

    #[test]
    fn bare_tsv_positional() {
        let r = bare_tsv("1588318171.5\tCALtIP\t10.0.1.4\t-").expect("tsv");
        assert_eq!(r.get("col2"), Some("10.0.1.4"));
        assert_eq!(r.get("col3"), Some("-"));
        assert!(bare_tsv("a\tb").is_none());
    }
}
