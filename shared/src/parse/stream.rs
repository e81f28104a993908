//! Line-by-line parsing that remembers headers: Zeek `#fields`, W3C `#Fields:` and a CSV/TSV
//! header as the first line. Directive and header lines yield no record.

use super::delimited::{csv_record, is_header, sniff_delimiter, zip_record};
use super::{parse, strip, Field, Format, Record};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Csv(char),
    Zeek,
    W3c,
}

#[derive(Debug, Clone)]
struct Header {
    kind: Kind,
    names: Vec<String>,
}

/// Zeek's per-file settings from its `#` directives.
#[derive(Debug, Clone)]
struct ZeekMeta {
    separator: char,
    unset: String,
    empty: String,
    path: Option<String>,
}

impl Default for ZeekMeta {
    fn default() -> Self {
        ZeekMeta { separator: '\t', unset: "-".into(), empty: "(empty)".into(), path: None }
    }
}

/// Line-oriented parser that remembers header lines for the lines after them.
///
/// - Zeek TSV: `#separator`, `#unset_field`, `#empty_field`, `#path` and `#fields` are read;
///   unset (`-`) columns are left out (as Zeek's JSON writer does), `(empty)` becomes `""`, and
///   `#path` is given as a leading `_path` field.
/// - W3C extended (IIS): `#Fields:` names the space-separated columns; `-` columns are left out.
/// - CSV/TSV: a header-looking first line names the columns of later lines.
///
/// A data line whose column count does not match the header is parsed on its own by
/// [`parse`]. Lines are fed one at a time, so a CSV field with an embedded newline is not
/// supported here.
#[derive(Debug, Default, Clone)]
pub struct StreamParser {
    header: Option<Header>,
    zeek: ZeekMeta,
    /// Whether a data line has been seen (a CSV header is only looked for before that).
    seen_data: bool,
}

impl StreamParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one line. Returns `None` for header/directive lines that carry no record.
    pub fn feed(&mut self, line: &str) -> Option<Record> {
        let line = strip(line);
        if line.is_empty() {
            return None;
        }
        if line.starts_with('#') && self.directive(line) {
            return None;
        }
        if let Some(record) = self.with_header(line) {
            self.seen_data = true;
            return Some(record);
        }
        if self.header.is_none() && !self.seen_data && self.csv_header(line) {
            return None;
        }
        self.seen_data = true;
        Some(parse(line))
    }

    /// Handle a `#` line; false when it is not a directive we know.
    fn directive(&mut self, line: &str) -> bool {
        if let Some(value) = line.strip_prefix("#Fields:") {
            let names = value.split_whitespace().map(str::to_owned).collect();
            self.header = Some(Header { kind: Kind::W3c, names });
            return true;
        }
        if ["#Software:", "#Version:", "#Date:", "#Remark:", "#Start-Date:", "#End-Date:"]
            .iter()
            .any(|p| line.starts_with(p))
        {
            return true;
        }
        if let Some(value) = line.strip_prefix("#separator ") {
            self.zeek = ZeekMeta {
                separator: unescape_hex(value.trim()).unwrap_or('\t'),
                ..ZeekMeta::default()
            };
            return true;
        }
        let sep = self.zeek.separator;
        let Some((name, value)) = line.split_once(sep) else {
            return line == "#close" || line == "#fields";
        };
        match name {
            "#fields" => {
                let names = value.split(sep).map(str::to_owned).collect();
                self.header = Some(Header { kind: Kind::Zeek, names });
            }
            "#unset_field" => self.zeek.unset = value.to_owned(),
            "#empty_field" => self.zeek.empty = value.to_owned(),
            "#path" => self.zeek.path = Some(value.to_owned()),
            "#set_separator" | "#open" | "#close" | "#types" => {}
            _ => return false,
        }
        true
    }

    /// Parse a data line against the remembered header, if it fits. A row whose columns are
    /// all unset keeps the line as `message` so no record is empty.
    fn with_header(&self, line: &str) -> Option<Record> {
        let mut record = self.zip_header(line)?;
        if record.fields.is_empty() {
            record.fields.push(Field::new("message", line));
        }
        Some(record)
    }

    fn zip_header(&self, line: &str) -> Option<Record> {
        let header = self.header.as_ref()?;
        match &header.kind {
            Kind::Zeek => {
                let values: Vec<String> =
                    line.split(self.zeek.separator).map(str::to_owned).collect();
                if values.len() != header.names.len() {
                    return None;
                }
                let empty = self.zeek.empty.as_str();
                let values = values
                    .into_iter()
                    .map(|v| if v == empty { String::new() } else { v })
                    .collect();
                let mut record =
                    zip_record(Format::Zeek, &header.names, values, |v| v == self.zeek.unset);
                if let Some(path) = &self.zeek.path {
                    record.fields.insert(0, Field::new("_path", path.as_str()));
                }
                Some(record)
            }
            Kind::W3c => {
                let values: Vec<String> = line.split(' ').map(str::to_owned).collect();
                (values.len() == header.names.len())
                    .then(|| zip_record(Format::W3c, &header.names, values, |v| v == "-"))
            }
            Kind::Csv(delim) => {
                let (values, rest) = csv_record(line, *delim)?;
                if !rest.is_empty() || values.len() != header.names.len() {
                    return None;
                }
                let format = if *delim == '\t' { Format::Tsv } else { Format::Csv };
                Some(zip_record(format, &header.names, values, |_| false))
            }
        }
    }

    /// Remember `line` as a CSV/TSV header if it looks like one.
    fn csv_header(&mut self, line: &str) -> bool {
        let Some(delim) = sniff_delimiter(line) else {
            return false;
        };
        match csv_record(line, delim) {
            Some((names, "")) if is_header(&names) => {
                self.header = Some(Header { kind: Kind::Csv(delim), names });
                true
            }
            _ => false,
        }
    }
}

/// `\x09` → tab; a literal single character is taken as is.
fn unescape_hex(s: &str) -> Option<char> {
    if let Some(hex) = s.strip_prefix("\\x") {
        return u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
    }
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// The first Zeek or W3C record of a multi-line chunk that starts with directives.
pub(crate) fn first_record(s: &str) -> Option<Record> {
    let mut sp = StreamParser::new();
    let mut lines = s.lines();
    let first = lines.next()?;
    if !(first.starts_with('#') && sp.directive(strip(first))) {
        return None;
    }
    for line in lines {
        let line = strip(line);
        if line.is_empty() || (line.starts_with('#') && sp.directive(line)) {
            continue;
        }
        return sp.with_header(line);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZEEK: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2024-01-01-00-00-00\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tservice\ttunnel_parents\n#types\ttime\tstring\taddr\tport\tstring\tset[string]\n1588318171.514519\tCALtIP2Adva01hujaa\t10.0.1.4\t55739\t-\t(empty)\n#close\t2024-01-01-00-00-01";

    #[test]
    fn zeek_stream() {
        let mut sp = StreamParser::new();
        let out: Vec<Record> = ZEEK.lines().filter_map(|l| sp.feed(l)).collect();
        assert_eq!(out.len(), 1);
        let r = &out[0];
        assert_eq!(r.format, Format::Zeek);
        let keys: Vec<&str> = r.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["_path", "ts", "uid", "id.orig_h", "id.orig_p", "tunnel_parents"]);
        assert_eq!(r.get("id.orig_h"), Some("10.0.1.4"));
        assert_eq!(r.get("tunnel_parents"), Some(""));
        assert_eq!(first_record(ZEEK).as_ref(), Some(r));
    }

    #[test]
    fn w3c_iis_stream() {
        let log = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2024-01-01 00:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status\r\n2024-01-01 00:00:01 10.0.0.5 GET /index.html - 443 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0) 200\r\n";
        let mut sp = StreamParser::new();
        let out: Vec<Record> = log.lines().filter_map(|l| sp.feed(l)).collect();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].format, Format::W3c);
        assert_eq!(out[0].get("cs-method"), Some("GET"));
        assert_eq!(out[0].get("cs(User-Agent)"), Some("Mozilla/5.0+(Windows+NT+10.0)"));
        assert_eq!(out[0].get("cs-uri-query"), None);
        assert_eq!(first_record(log).map(|r| r.format), Some(Format::W3c));
    }

    #[test]
    fn csv_header_then_rows_and_mismatch_falls_back() {
        let mut sp = StreamParser::new();
        assert!(sp.feed("\u{feff}timestamp,src_ip,action\r\n").is_none());
        let r = sp.feed("2024-01-01T00:00:00Z,10.0.0.1,\"allow, logged\"").expect("row");
        assert_eq!(r.format, Format::Csv);
        assert_eq!(r.get("action"), Some("allow, logged"));
        let r = sp.feed("Jan 12 06:26:15 host sshd[1]: hello").expect("row");
        assert_eq!(r.format, Format::Syslog3164);
    }

    #[test]
    fn header_only_looked_for_first() {
        let mut sp = StreamParser::new();
        assert!(sp.feed("hello world").is_some());
        assert_eq!(sp.feed("a,b,c").map(|r| r.format), Some(Format::Text));
        let mut sp = StreamParser::new();
        // Data-looking first lines are not headers.
        assert!(sp.feed("53,,,1000102631,em0,match").is_some());
        assert!(sp.feed("# a comment").is_some());
    }

    #[test]
    fn zeek_line_without_header_is_positional() {
        let mut sp = StreamParser::new();
        let r = sp.feed("1588318171.5\tCALtIP\t10.0.1.4\t55739").expect("row");
        assert_eq!(r.format, Format::Tsv);
        assert_eq!(r.get("col1"), Some("CALtIP"));
    }
}
