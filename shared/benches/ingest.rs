//! Ingest throughput: decode, validate and pack a ~5 MB NDJSON body and the same body gzipped
//! (base64-wrapped as API Gateway delivers it), in records per second; and how many SQS
//! messages 10,000 records of a realistic mix take (printed before the timings).
//!
//! Run: cargo bench -p ocsfmap-shared --bench ingest

use std::io::Write;

use base64::Engine;
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use ocsfmap::ingest::body::{decompress, split, transport_decode};
use ocsfmap::ingest::config::SQS_MAX_MESSAGE_BYTES;
use ocsfmap::ingest::content::{BodyFormat, Compression};
use ocsfmap::ingest::pack::{group_calls, EnvelopeRef, Packer};
use ocsfmap::ingest::Limits;

/// Deterministic generator (xorshift) so every run packs the same corpus.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn ip(&mut self) -> String {
        format!(
            "{}.{}.{}.{}",
            10 + self.below(200),
            self.below(256),
            self.below(256),
            1 + self.below(254)
        )
    }
    fn word(&mut self, words: &[&'static str]) -> &'static str {
        words[self.below(words.len() as u64) as usize]
    }
}

const USERS: &[&str] =
    &["alice", "bob", "carol", "svc-backup", "admin", "dave.o'brien", "j\u{00f6}rg"];
const HOSTS: &[&str] = &["web-01", "web-02", "db-01", "bastion", "dc01.corp.example.com", "fw01"];

/// One record of the mix, as an NDJSON line. Weights: Windows 20%, CloudTrail 15%, Okta 10%,
/// syslog 20%, firewall 15%, DNS 10%, proxy 10%. Sizes range from ~200 B to ~2 KB.
fn record(r: &mut Rng, i: usize) -> String {
    let ts = format!("2024-05-14T10:{:02}:{:02}.{:03}Z", i / 3600 % 60, i / 60 % 60, i % 1000);
    let (user, host, ip) = (r.word(USERS), r.word(HOSTS), r.ip());
    let v = match r.below(100) {
        0..=19 => serde_json::json!({
            "EventID": r.word(&["4624", "4625", "4688", "4720", "4672"]), "TimeCreated": ts,
            "Computer": host, "Channel": "Security", "Provider": "Microsoft-Windows-Security-Auditing",
            "EventData": {"SubjectUserSid": "S-1-5-18", "SubjectUserName": format!("{host}$"),
                "TargetUserName": user, "TargetDomainName": "CORP", "LogonType": r.below(11),
                "IpAddress": ip, "IpPort": r.below(65535), "ProcessName": "C:\\Windows\\System32\\lsass.exe",
                "AuthenticationPackageName": "Negotiate", "WorkstationName": host,
                "LogonGuid": format!("{{{:016x}-{:016x}}}", r.next(), r.next()),
                "CommandLine": format!("powershell.exe -NoProfile -EncodedCommand {}", "QQBCAEMA".repeat(1 + r.below(40) as usize))}
        }),
        20..=34 => serde_json::json!({
            "eventVersion": "1.08", "eventTime": ts, "eventSource": r.word(&["iam.amazonaws.com", "s3.amazonaws.com", "ec2.amazonaws.com", "sts.amazonaws.com"]),
            "eventName": r.word(&["CreateUser", "GetObject", "RunInstances", "AssumeRole", "PutBucketPolicy"]),
            "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": "aws-cli/2.15.0 Python/3.11.6",
            "userIdentity": {"type": "IAMUser", "principalId": format!("AIDA{:016X}", r.next()), "arn": format!("arn:aws:iam::111122223333:user/{user}"), "accountId": "111122223333", "userName": user},
            "requestParameters": {"bucketName": "logs-archive", "key": format!("AWSLogs/{}/x.json.gz", r.next())},
            "responseElements": null, "requestID": format!("{:032x}", r.next()), "eventID": format!("{:032x}", r.next()),
            "readOnly": r.below(2) == 0, "eventType": "AwsApiCall", "recipientAccountId": "111122223333"
        }),
        35..=44 => serde_json::json!({
            "uuid": format!("{:032x}", r.next()), "published": ts, "eventType": r.word(&["user.session.start", "user.authentication.auth_via_mfa", "policy.evaluate_sign_on"]),
            "severity": "INFO", "displayMessage": "User login to Okta", "legacyEventType": "core.user_auth.login_success",
            "actor": {"id": format!("00u{:x}", r.next()), "type": "User", "alternateId": format!("{user}@example.com"), "displayName": user},
            "client": {"ipAddress": ip, "userAgent": {"rawUserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36", "os": "Windows 10", "browser": "CHROME"},
                "geographicalContext": {"city": "Berlin", "country": "Germany", "geolocation": {"lat": 52.52, "lon": 13.40}}},
            "outcome": {"result": r.word(&["SUCCESS", "FAILURE"]), "reason": null},
            "authenticationContext": {"authenticationStep": 0, "externalSessionId": format!("{:x}", r.next())},
            "securityContext": {"asNumber": 3320, "asOrg": "deutsche telekom ag", "isp": "deutsche telekom ag", "domain": "t-ipconnect.de", "isProxy": false}
        }),
        45..=64 => serde_json::json!({
            "timestamp": ts, "host": host, "source_type": "file", "file": "/var/log/auth.log",
            "message": format!("<38>May 14 10:03:01 {host} sshd[{}]: Failed password for invalid user {user} from {ip} port {} ssh2", r.below(65535), r.below(65535))
        }),
        65..=79 => serde_json::json!({
            "timestamp": ts, "host": "fw01", "message": format!(
                "<134>1 {ts} fw01 kernel - - - {} IN=eth0 OUT=eth1 SRC={ip} DST={} LEN={} TOS=0x00 PROTO={} SPT={} DPT={} WINDOW=64240 SYN",
                r.word(&["DROP", "ACCEPT", "REJECT"]), r.ip(), 40 + r.below(1400), r.word(&["TCP", "UDP"]), r.below(65535), r.word(&["22", "443", "3389", "53"]))
        }),
        80..=89 => serde_json::json!({
            "ts": ts, "uid": format!("C{:x}", r.next()), "id.orig_h": ip, "id.orig_p": r.below(65535), "id.resp_h": "10.0.0.53", "id.resp_p": 53,
            "proto": "udp", "query": format!("{}.{}.example.com", r.word(USERS), r.next() % 1000), "qtype_name": r.word(&["A", "AAAA", "TXT", "MX"]),
            "rcode_name": r.word(&["NOERROR", "NXDOMAIN"]), "answers": [r.ip()], "TTLs": [300.0]
        }),
        _ => serde_json::json!({
            "timestamp": ts, "host": "proxy-01", "message": format!(
                "{ip} - {user} [14/May/2024:10:03:04 +0000] \"GET https://downloads.example.net/{}/setup.exe HTTP/1.1\" {} {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" TCP_MISS/{}",
                r.next(), r.word(&["200", "403", "404", "302"]), r.below(10_000_000), r.word(&["200", "403"]))
        }),
    };
    v.to_string()
}

fn corpus(min_bytes: usize) -> (String, usize) {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut body, mut n) = (String::with_capacity(min_bytes + 4096), 0);
    while body.len() < min_bytes {
        body.push_str(&record(&mut r, n));
        body.push('\n');
        n += 1;
    }
    (body, n)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap_or_default();
    e.finish().unwrap_or_default()
}

/// The work ingest does between receiving a body and calling SQS. Returns messages packed.
fn decode_validate_pack(
    body: &str,
    is_base64: bool,
    compression: Compression,
    limits: &Limits,
) -> usize {
    let wire = transport_decode(Some(body), is_base64, limits.max_body_bytes).expect("body fits");
    let bytes = decompress(wire, compression, limits).expect("gunzip");
    let records = split(&bytes, BodyFormat::Ndjson, limits).expect("split");
    let mut packer = Packer::new(limits.max_message_bytes);
    for rec in &records.records {
        let env = EnvelopeRef {
            event_id: uuid::Uuid::now_v7(),
            received_at: 1_715_680_981_000,
            source: Some("mixed"),
            raw: &rec.raw,
        };
        packer.push(rec.index, &env).expect("record fits");
    }
    packer.finish().len()
}

fn bench_bodies(c: &mut Criterion) {
    let limits = Limits { max_body_bytes: 16 << 20, ..Limits::default() };
    let (ndjson, n) = corpus(5 << 20);
    let gz_b64 = base64::engine::general_purpose::STANDARD.encode(gzip(ndjson.as_bytes()));
    let mut g = c.benchmark_group("ingest_5mb");
    g.sample_size(20);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_with_input(BenchmarkId::new("ndjson", n), &ndjson, |b, body| {
        b.iter(|| decode_validate_pack(body, false, Compression::None, &limits))
    });
    g.bench_with_input(BenchmarkId::new("gzip_base64", n), &gz_b64, |b, body| {
        b.iter(|| decode_validate_pack(body, true, Compression::Gzip, &limits))
    });
    g.finish();
}

/// Messages and SendMessageBatch calls for 10,000 records of the mix, at 256 KiB and 1 MiB.
fn report_packing() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let lines: Vec<String> = (0..10_000).map(|i| record(&mut r, i)).collect();
    let raw_bytes: usize = lines.iter().map(String::len).sum();
    let body = lines.join("\n");
    let (ndjson_5mb, n_5mb) = corpus(5 << 20);
    let gz_len = gzip(ndjson_5mb.as_bytes()).len();
    eprintln!(
        "corpus: 10,000 records, {raw_bytes} raw bytes (avg {} B/record); 5 MB body = {n_5mb} records, {gz_len} bytes gzipped",
        raw_bytes / 10_000
    );
    for max in [262_144usize, SQS_MAX_MESSAGE_BYTES] {
        let limits = Limits { max_message_bytes: max, max_batch_bytes: max, ..Limits::default() };
        let records = split(body.as_bytes(), BodyFormat::Ndjson, &limits).expect("split");
        let mut packer = Packer::new(max);
        for rec in &records.records {
            let env = EnvelopeRef {
                event_id: uuid::Uuid::now_v7(),
                received_at: 1_715_680_981_000,
                source: Some("mixed"),
                raw: &rec.raw,
            };
            packer.push(rec.index, &env).expect("fits");
        }
        let msgs = packer.finish();
        let sizes: Vec<&str> = msgs.iter().map(|m| m.body.as_str()).collect();
        let calls = group_calls(&sizes, 10, max).len();
        let total: usize = msgs.iter().map(|m| m.body.len()).sum();
        eprintln!(
            "max message {max} B: {} messages ({} SendMessageBatch calls) per 10,000 records; mean fill {:.1}%",
            msgs.len(),
            calls,
            100.0 * total as f64 / (msgs.len() * max) as f64
        );
    }
}

criterion_group!(benches, bench_bodies);

fn main() {
    report_packing();
    benches();
    criterion::Criterion::default().configure_from_args().final_summary();
}
