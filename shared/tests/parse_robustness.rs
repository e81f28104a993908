//! `parse` on hostile and malformed input: no panic, always at least one field, and the
//! documented degradation for each kind of damage.

/// Under `parse::` so `cargo test -p ocsfmap-shared parse` selects these too.
mod parse {
    use ocsfmap::parse::{
        parse, parse_bytes, Format, StreamParser, ValueKind, MAX_DEPTH, MAX_FIELDS, TRUNCATED_KEY,
    };
    use proptest::prelude::*;

    fn check(raw: &str) -> ocsfmap::parse::Record {
        let r = parse(raw);
        assert!(
            !r.fields.is_empty(),
            "no fields for {:?}",
            raw.chars().take(80).collect::<String>()
        );
        r
    }

    #[test]
    fn empty_and_whitespace() {
        for raw in ["", "   ", "\r\n", "\u{feff}", "\u{feff} \t\r\n"] {
            let r = check(raw);
            assert_eq!(r.format, Format::Text);
            assert_eq!(r.get("message"), Some(""));
        }
    }

    #[test]
    fn bom_and_crlf_are_stripped() {
        let r = check("\u{feff}{\"a\":1}\r\n");
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.get("a"), Some("1"));
        let r = check(
            "  Jan 12 06:26:15 host sshd[123]: Failed password for root from 1.2.3.4 port 22 ssh2\r\n",
        );
        assert_eq!(r.format, Format::Syslog3164);
        assert_eq!(r.get("message"), Some("Failed password for root from 1.2.3.4 port 22 ssh2"));
    }

    #[test]
    fn json_cut_in_half_keeps_leading_fields() {
        let full = r#"{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","userIdentity":{"type":"IAMUser","userName":"alice"}}"#;
        let r = check(full.get(..full.len() / 2 + 10).unwrap_or(full));
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.get("eventSource"), Some("iam.amazonaws.com"));
        assert!(r.get(TRUNCATED_KEY).is_some());
        // Cut before any complete member: plain text.
        assert_eq!(check(r#"{"eventVer"#).format, Format::Text);
    }

    #[test]
    fn json_kinds_survive() {
        let r = check(r#"{"n":1,"b":false,"z":null,"s":"x"}"#);
        let kinds: Vec<ValueKind> = r.fields.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [ValueKind::Number, ValueKind::Bool, ValueKind::Null, ValueKind::String]);
        // An empty object is still a JSON record with one field.
        let r = check("{}");
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.fields.len(), 1);
    }

    #[test]
    fn deep_nesting_is_capped_not_recursed() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let r = check(&deep);
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.fields.len(), 1);
        assert_eq!(r.fields[0].key.matches('[').count(), MAX_DEPTH);

        let objects = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
        let r = check(&objects);
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.fields[0].key.split('.').count(), MAX_DEPTH);

        // Unclosed: the opening brackets are all there is, so it is text.
        assert_eq!(check(&"[".repeat(10_000)).format, Format::Text);
        // Deep XML too.
        let xml = format!(
            "<Event><System><EventID>1</EventID></System>{}{}</Event>",
            "<x>".repeat(10_000),
            "</x>".repeat(10_000)
        );
        let r = check(&xml);
        assert_eq!(r.format, Format::WindowsXml);
        assert_eq!(r.get("System.EventID"), Some("1"));
    }

    #[test]
    fn long_keys_do_not_multiply() {
        // A huge key over many children would be quadratic output if paths were not clipped.
        let key = "k".repeat(400_000);
        let raw = format!(r#"{{"{key}":[{}]}}"#, vec!["1"; 50_000].join(","));
        let r = check(&raw);
        let total: usize = r.fields.iter().map(|f| f.key.len()).sum();
        assert!(total < 64 * 1024 * 1024, "key bytes {total}");
        let sd =
            format!("<13>1 - h a - - [{} {}] m", "i".repeat(300_000), r#"p="v" "#.repeat(40_000));
        let r = check(&sd);
        let total: usize = r.fields.iter().map(|f| f.key.len()).sum();
        assert!(total < 64 * 1024 * 1024, "key bytes {total}");
    }

    #[test]
    fn one_megabyte_lines() {
        let line = "x".repeat(1 << 20);
        let r = check(&line);
        assert_eq!(r.format, Format::Text);
        assert_eq!(r.get("message").map(str::len), Some(1 << 20));

        let kv = "key=value ".repeat((1 << 20) / 10);
        let r = check(&kv);
        assert_eq!(r.format, Format::KeyValue);
        assert_eq!(r.fields.len(), MAX_FIELDS + 1);
        assert_eq!(r.fields.last().map(|f| f.key.as_str()), Some(TRUNCATED_KEY));

        let json = format!(r#"{{"message":"{}"}}"#, "a".repeat(1 << 20));
        assert_eq!(check(&json).get("message").map(str::len), Some(1 << 20));

        let cef = format!("CEF:0|V|P|1|1|n|5|{}", "a=b ".repeat((1 << 20) / 4));
        let r = check(&cef);
        assert_eq!(r.format, Format::Cef);
        assert!(r.fields.len() <= MAX_FIELDS + 8);
    }

    #[test]
    fn truncated_cef_and_leef_headers_degrade_to_text() {
        let r = check("CEF:0|Security|threatmanager|1.0|100");
        assert_eq!(r.format, Format::Text);
        assert_eq!(r.get("message"), Some("CEF:0|Security|threatmanager|1.0|100"));
        assert_eq!(check("LEEF:2.0|Lancope").format, Format::Text);
        // Inside syslog, a broken payload leaves a syslog record.
        let r = check("<134>Jan  1 00:00:00 fw CEF:0|Vendor|Prod");
        assert_eq!(r.format, Format::Syslog3164);
        assert_eq!(r.get("message"), Some("CEF:0|Vendor|Prod"));
    }

    #[test]
    fn unbalanced_quotes() {
        let r = check(r#"date=2019-05-10 msg="unterminated value srcip=1.2.3.4"#);
        assert_eq!(r.format, Format::KeyValue);
        assert_eq!(r.get("msg"), Some("unterminated value srcip=1.2.3.4"));
        let r = check(r#"127.0.0.1 - - [29/Sep/2021:14:11:34 +0200] "GET / HTTP/1.1 200 10918"#);
        assert_eq!(r.format, Format::Text);
        let r = check("a,\"b\nc,d");
        assert_eq!(r.format, Format::Text);
    }

    #[test]
    fn broken_xml_degrades() {
        let r = check("<Event xmlns='x'><System><EventID>4624</EventID><Computer>ws1");
        assert_eq!(r.format, Format::WindowsXml);
        assert_eq!(r.get("System.EventID"), Some("4624"));
        assert_eq!(r.get("System.Computer"), Some("ws1"));
        let r = check("<Event <<<< >>>>");
        assert_eq!(r.format, Format::Text);
        let r = check("<Event></Event>");
        assert_eq!(r.format, Format::Text);
    }

    #[test]
    fn binary_garbage() {
        let garbage: Vec<u8> =
            (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let r = parse_bytes(&garbage);
        assert!(!r.fields.is_empty());
        let r = parse_bytes(b"\xff\xfe<\x00E\x00v\x00");
        assert_eq!(r.format, Format::Text);
        let r = parse_bytes(b"{\"a\":\"\xff\"}");
        assert_eq!(r.format, Format::Json);
        assert_eq!(r.get("a"), Some("\u{fffd}"));
    }

    #[test]
    fn multi_line_inputs() {
        let r = check("user,action,result\nalice,login,\"ok, fine\"\n");
        assert_eq!(r.format, Format::Csv);
        assert_eq!(r.get("result"), Some("ok, fine"));
        let zeek = "#separator \\x09\n#fields\tts\tuid\tquery\n1.0\tC1\texample.com";
        let r = check(zeek);
        assert_eq!(r.format, Format::Zeek);
        assert_eq!(r.get("query"), Some("example.com"));
    }

    #[test]
    fn stream_parser_survives_arbitrary_headers() {
        let mut sp = StreamParser::new();
        for line in [
            "#separator \\xZZ",
            "#fields",
            "#fields\t",
            "#separator \\x110000",
            "#Fields:",
            "",
            "a",
            "#unset_field\t",
        ] {
            if let Some(r) = sp.feed(line) {
                assert!(!r.fields.is_empty());
            }
        }
    }

    fn structured() -> impl Strategy<Value = String> {
        // Text built from the characters every format keys on, to reach deep into the scanners.
        let atoms = prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            "\"",
            "\\",
            ":",
            ",",
            "=",
            "|",
            "<",
            ">",
            "/",
            " ",
            "\t",
            "\n",
            "#",
            "CEF:0",
            "LEEF:2.0",
            "<134>",
            "<13>1 ",
            "Jan 12 06:26:15 ",
            "2024-01-01T00:00:00Z ",
            "host ",
            "sshd[1]: ",
            "key",
            "1",
            "-",
            "'",
            "\\x09",
            "#fields\t",
            "#Fields: ",
            "<Event>",
            "<System>",
            "</System>",
            "<Data Name=\"a\">",
            "</Data>",
            "&amp;",
            "&#x0;",
            "\\u00",
            "\\ud800",
            "true",
            "null",
            "1.5e",
            " [",
            "] \"",
            "GET ",
        ]);
        prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn parse_never_panics_on_strings(s in any::<String>()) {
            prop_assert!(!parse(&s).fields.is_empty());
        }

        #[test]
        fn parse_never_panics_on_bytes(b in prop::collection::vec(any::<u8>(), 0..512)) {
            prop_assert!(!parse_bytes(&b).fields.is_empty());
        }

        #[test]
        fn parse_never_panics_on_format_shaped_text(s in structured()) {
            let r = parse(&s);
            prop_assert!(!r.fields.is_empty());
            let mut sp = StreamParser::new();
            for line in s.lines() {
                if let Some(r) = sp.feed(line) {
                    prop_assert!(!r.fields.is_empty());
                }
            }
        }
    }
}
