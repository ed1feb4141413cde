//! A gzip body joined from parts compressed apart: a kept response's tail is compressed
//! once, when it is rendered, and each read compresses only the head it writes fresh.
//!
//! The head is deflated up to a full flush (byte-aligned, no reference to later data, not
//! final), so the tail's own deflate stream, begun fresh, continues it; the trailer's CRC-32
//! is the two parts' CRCs combined (RFC 1951 §3.2.3, RFC 1952).

use std::borrow::Cow;
use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::{Compress, Compression, FlushCompress};

/// How hard the tail is compressed: JSON of repeated keys shrinks about tenfold even at
/// the fastest level, and a slower one would lengthen the read that renders it.
const LEVEL: Compression = Compression::fast();

/// Bytes compressed on their own: a raw deflate stream ending in its final block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deflated<'a> {
    /// CRC-32 of the uncompressed bytes.
    crc: u32,
    /// Their length.
    len: u64,
    /// The raw deflate stream.
    data: Cow<'a, [u8]>,
}

impl<'a> Deflated<'a> {
    /// Compresses `bytes`.
    pub fn new(bytes: &[u8]) -> Deflated<'static> {
        let mut encoder = DeflateEncoder::new(Vec::with_capacity(bytes.len() / 8), LEVEL);
        // Into memory: writing cannot fail.
        let _ = encoder.write_all(bytes);
        Deflated {
            crc: crc32fast::hash(bytes),
            len: bytes.len() as u64,
            data: Cow::Owned(encoder.finish().unwrap_or_default()),
        }
    }

    /// Appends it as kept: the CRC and the length (little-endian), then the stream.
    pub fn append_to(&self, out: &mut Vec<u8>) {
        out.reserve(12 + self.data.len());
        out.extend_from_slice(&self.crc.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.data);
    }

    /// Reads what [`Deflated::append_to`] wrote.
    pub fn from_bytes(bytes: &'a [u8]) -> Option<Deflated<'a>> {
        let (crc, rest) = bytes.split_first_chunk::<4>()?;
        let (len, data) = rest.split_first_chunk::<8>()?;
        Some(Deflated {
            crc: u32::from_le_bytes(*crc),
            len: u64::from_le_bytes(*len),
            data: Cow::Borrowed(data),
        })
    }
}

/// The gzip member of `head` followed by the bytes `tail` holds.
pub fn gzip_joined(head: &[u8], tail: &Deflated) -> Vec<u8> {
    // ID1 ID2, deflate, no flags, no time, no extra flags, unknown OS.
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let mut out = Vec::with_capacity(HEADER.len() + head.len() + 16 + tail.data.len() + 8);
    out.extend_from_slice(&HEADER);
    let mut compress = Compress::new(LEVEL, false);
    let mut input = head;
    loop {
        out.reserve(input.len() + 64);
        let before = compress.total_in();
        // Into a Vec with room: the only error is a stream error, which a fresh
        // compressor given plain bytes does not raise.
        let _ = compress.compress_vec(input, &mut out, FlushCompress::Full);
        input = &input[(compress.total_in() - before) as usize..];
        if input.is_empty() && out.capacity() > out.len() {
            break;
        }
    }
    out.extend_from_slice(&tail.data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(head);
    crc.combine(&crc32fast::Hasher::new_with_initial_len(tail.crc, tail.len));
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE: the length modulo 2^32.
    out.extend_from_slice(&((head.len() as u64 + tail.len) as u32).to_le_bytes());
    out
}

/// The bytes a gzip body holds (for tests).
#[cfg(test)]
pub(crate) fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out)
        .expect("valid gzip");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_joined_body_is_the_head_then_the_tail() {
        let series: String = (0..5000)
            .map(|i| format!(r#"{{"metricName":"dau","value":{i}}},"#))
            .collect();
        let cases: [(&[u8], &[u8]); 5] = [
            (
                br#"{"dashboard":"OVERVIEW","refreshedAt":null"#,
                br#","series":[]}"#,
            ),
            (b"", b"tail only"),
            (b"head only", b""),
            (b"", b""),
            (br#"{"a":"#, series.as_bytes()),
        ];
        for (head, tail) in cases {
            let kept = Deflated::new(tail);
            let mut bytes = Vec::new();
            kept.append_to(&mut bytes);
            let read_back = Deflated::from_bytes(&bytes).expect("kept");
            assert_eq!(read_back, kept);
            let body = gzip_joined(head, &read_back);
            assert_eq!(gunzip(&body), [head, tail].concat());
        }
        // The tail is compressed: a year of series is sent in a fraction of its size.
        let kept = Deflated::new(series.as_bytes());
        assert!(kept.data.len() * 5 < series.len(), "{}", kept.data.len());
        // A long head is joined as well.
        let body = gzip_joined(series.as_bytes(), &Deflated::new(b"]"));
        assert_eq!(gunzip(&body), [series.as_bytes(), b"]"].concat());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_short_entry_is_not_read() {
        assert_eq!(Deflated::from_bytes(&[1, 2, 3]), None);
        assert_eq!(Deflated::from_bytes(&[0; 11]), None);
        assert!(Deflated::from_bytes(&[0; 12]).is_some());
    }
}
