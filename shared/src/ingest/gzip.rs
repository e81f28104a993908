//! Bounded gzip decompression: output is produced in small chunks and decompression stops as
//! soon as it passes the limit, so a gzip bomb costs at most `limit` bytes of memory.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::response::IngestError;

const CHUNK: usize = 64 * 1024;

/// Gunzips `input` (one or more concatenated gzip members) into at most `limit` bytes.
pub fn gunzip_bounded(input: &[u8], limit: usize) -> Result<Vec<u8>, IngestError> {
    let mut decoder = MultiGzDecoder::new(input);
    // Typical log data compresses 5-10x; start there and grow without ever passing the limit.
    let mut out: Vec<u8> = Vec::with_capacity(input.len().saturating_mul(6).min(limit));
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match decoder.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(IngestError::CorruptGzip { detail: describe(&e) }),
        };
        let Some(data) = chunk.get(..n) else { break };
        if out.len() + n > limit {
            return Err(IngestError::DecompressedTooLarge { limit });
        }
        if out.capacity() - out.len() < n {
            // Grow by doubling but cap at the limit, so capacity never overshoots it.
            let want = (out.capacity().max(CHUNK) * 2).min(limit);
            out.reserve_exact(want.saturating_sub(out.len()).max(n));
        }
        out.extend_from_slice(data);
    }
    Ok(out)
}

fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "the gzip stream is truncated".into(),
        _ => e.to_string().chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn round_trips_and_concatenated_members() {
        let data = b"{\"a\":1}\n{\"b\":2}\n".repeat(1000);
        assert_eq!(gunzip_bounded(&gz(&data), 1 << 20).unwrap(), data);
        let mut two = gz(b"first\n");
        two.extend(gz(b"second\n"));
        assert_eq!(gunzip_bounded(&two, 1024).unwrap(), b"first\nsecond\n");
    }

    #[test]
    fn exact_limit_is_allowed_one_more_byte_is_not() {
        let data = vec![b'x'; 10_000];
        assert_eq!(gunzip_bounded(&gz(&data), 10_000).unwrap().len(), 10_000);
        let e = gunzip_bounded(&gz(&data), 9_999).unwrap_err();
        assert_eq!(e.status(), 413);
    }

    #[test]
    fn truncated_and_garbage_are_400() {
        let full = gz(&b"hello world ".repeat(5000));
        for cut in [full.len() / 2, full.len() - 4, 5] {
            let e = gunzip_bounded(full.get(..cut).unwrap(), 1 << 20).unwrap_err();
            assert_eq!(e.status(), 400, "cut at {cut}: {e}");
            assert_eq!(e.code(), "corrupt_gzip");
        }
        let e = gunzip_bounded(b"\x1f\x8bnot really gzip", 1 << 20).unwrap_err();
        assert_eq!(e.code(), "corrupt_gzip");
    }

    #[test]
    fn one_gigabyte_bomb_is_cut_at_the_limit() {
        // 1024 concatenated members of 1 MiB of zeros: ~1 MB on the wire, 1 GiB inflated.
        let member = gz(&vec![0u8; 1 << 20]);
        let bomb: Vec<u8> = member.repeat(1024);
        assert!(bomb.len() < 2 << 20, "bomb is {} bytes", bomb.len());
        let limit = 64 << 20;
        let e = gunzip_bounded(&bomb, limit).unwrap_err();
        assert!(matches!(e, IngestError::DecompressedTooLarge { limit: l } if l == limit));
    }

    #[test]
    fn single_member_bomb_is_cut_at_the_limit() {
        // One deflate stream of 256 MiB of zeros, written in pieces so the test never holds it.
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..256 {
            e.write_all(&zeros).unwrap();
        }
        let bomb = e.finish().unwrap();
        let err = gunzip_bounded(&bomb, 8 << 20).unwrap_err();
        assert_eq!(err.code(), "decompressed_too_large");
    }

    #[test]
    fn capacity_never_exceeds_the_limit() {
        let data = vec![b'a'; 3 * CHUNK + 17];
        let out = gunzip_bounded(&gz(&data), data.len()).unwrap();
        assert!(out.capacity() <= data.len(), "{} > {}", out.capacity(), data.len());
    }
}
