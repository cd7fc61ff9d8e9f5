//! Compressed answers, for phones on thin prepaid data plans.
//!
//! A resident's first sync is megabytes of JSON that compresses eight to ten times; on a
//! 1 Mbit/s link that is the difference between half a minute and a few seconds. Every
//! answer passes through [`compress`] after the handler (and after its problem mapping):
//!
//! - **Negotiation** follows `Accept-Encoding` (RFC 9110 §12.5.3): `zstd`, `br` and `gzip`
//!   are offered, q-values are honoured (`q=0` refuses a coding, `*` stands for any coding
//!   not named), and among equal q-values the server prefers zstd, then brotli, then gzip
//!   (the order of what each costs the server per byte saved at the levels used here). A
//!   request that names none of them, or asks for `identity`, gets the plain bytes.
//! - **What is compressed**: answers whose type is text-like (JSON, problem details,
//!   calendars, CSV, HTML, JavaScript) and whose body is at least [`MIN_BYTES`]: below that
//!   the frame costs more than it saves. Photos and workbooks are compressed already.
//! - **Event streams are never compressed**: a poke must leave the moment it is written,
//!   and a compressor holds bytes back until its block fills.
//! - Every answer of a compressible type carries `Vary: Accept-Encoding`, compressed or
//!   not, so a cache in between keeps the variants apart; a compressed answer's `ETag`
//!   becomes weak, since its bytes are not the plain variant's.
//!
//! Levels are the fast ones (zstd 3, brotli 5, gzip 6): the bench measures both the bytes
//! and the server's time per page. Bodies of 64 KiB and more are compressed on the blocking
//! pool, so a first sync's page never stalls the pokes of other phones.
//!
//! A TLS-terminating proxy in front should pass `Accept-Encoding` through and leave
//! answers with a `Content-Encoding` alone (nginx: `gzip off` for the upstream, or
//! `gzip_proxied off`; Caddy: no `encode` directive on these routes), or the work is done
//! twice; it must not buffer `text/event-stream` either (nginx: `proxy_buffering off`).

use std::io::Write;

use poem::http::{HeaderMap, HeaderValue, header};
use poem::{Body, Response};

/// Answers smaller than this go out as they are.
pub const MIN_BYTES: usize = 1024;
/// Answers at least this large are compressed on the blocking pool.
const BLOCKING_BYTES: usize = 64 * 1024;

/// A content coding this server produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Zstd,
    Brotli,
    Gzip,
}

impl Coding {
    /// The server's preference among equal q-values, best first.
    const PREFERENCE: [Self; 3] = [Self::Zstd, Self::Brotli, Self::Gzip];

    pub fn token(self) -> &'static str {
        match self {
            Self::Zstd => "zstd",
            Self::Brotli => "br",
            Self::Gzip => "gzip",
        }
    }

    /// `bytes` in this coding.
    pub fn encode(self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Zstd => zstd::bulk::compress(bytes, 3),
            Self::Brotli => {
                let mut out = Vec::with_capacity(bytes.len() / 4);
                {
                    let mut w = brotli::CompressorWriter::new(&mut out, 32 * 1024, 5, 22);
                    w.write_all(bytes)?;
                    w.flush()?;
                }
                Ok(out)
            }
            Self::Gzip => {
                let mut w = flate2::write::GzEncoder::new(
                    Vec::with_capacity(bytes.len() / 4),
                    flate2::Compression::new(6),
                );
                w.write_all(bytes)?;
                w.finish()
            }
        }
    }
}

/// The coding to answer in, from the request's `Accept-Encoding` (none: plain bytes).
pub fn negotiate(headers: &HeaderMap) -> Option<Coding> {
    let mut named: Vec<(String, f32)> = Vec::new();
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let token = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            if token.is_empty() {
                continue;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            named.push((token, q.clamp(0.0, 1.0)));
        }
    }
    let star = named.iter().find(|(t, _)| t == "*").map(|(_, q)| *q);
    let q_of = |c: Coding| {
        named
            .iter()
            .find(|(t, _)| t == c.token() || (c == Coding::Gzip && t == "x-gzip"))
            .map(|(_, q)| *q)
            .or(star)
            .unwrap_or(0.0)
    };
    let mut best: Option<(Coding, f32)> = None;
    for c in Coding::PREFERENCE {
        let q = q_of(c);
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((c, q));
        }
    }
    best.map(|(c, _)| c)
}

/// Whether answers of this type are worth compressing (and vary by `Accept-Encoding`).
fn compressible(content_type: &str) -> bool {
    let t = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if t == "text/event-stream" {
        return false;
    }
    t.starts_with("text/")
        || t == "application/json"
        || t.ends_with("+json")
        || t == "application/javascript"
        || t == "application/xml"
        || t.ends_with("+xml")
}

/// The answer, compressed in `coding` when worth it.
pub async fn compress(coding: Option<Coding>, resp: Response) -> Response {
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !compressible(content_type) || resp.headers().contains_key(header::CONTENT_ENCODING) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(coding) = coding else {
        return Response::from_parts(parts, body);
    };
    let bytes = match body.into_bytes().await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "an answer's body could not be read to compress it");
            return Response::from_parts(parts, Body::empty());
        }
    };
    if bytes.len() < MIN_BYTES {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let plain_len = bytes.len();
    let encoded = if plain_len >= BLOCKING_BYTES {
        let plain = bytes.clone();
        tokio::task::spawn_blocking(move || coding.encode(&plain))
            .await
            .map_err(std::io::Error::other)
            .and_then(|r| r)
    } else {
        coding.encode(&bytes)
    };
    let encoded = match encoded {
        Ok(e) if e.len() < plain_len => e,
        Ok(_) => return Response::from_parts(parts, Body::from(bytes)),
        Err(e) => {
            tracing::warn!(error = %e, coding = coding.token(), "compressing an answer failed; sent plain");
            return Response::from_parts(parts, Body::from(bytes));
        }
    };
    metrics::counter!("http_compressed_responses_total", "encoding" => coding.token()).increment(1);
    metrics::counter!("http_compressed_bytes_saved_total", "encoding" => coding.token())
        .increment((plain_len - encoded.len()) as u64);
    parts.headers.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(coding.token()),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(tag) = parts
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.starts_with("W/"))
        .and_then(|t| HeaderValue::from_str(&format!("W/{t}")).ok())
    {
        parts.headers.insert(header::ETAG, tag);
    }
    Response::from_parts(parts, Body::from(encoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Option<Coding> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        negotiate(&h)
    }

    #[test]
    fn negotiation_honours_q_values_and_prefers_zstd_then_brotli_then_gzip() {
        assert_eq!(negotiate(&HeaderMap::new()), None);
        assert_eq!(accept("identity"), None);
        assert_eq!(accept("gzip"), Some(Coding::Gzip));
        assert_eq!(accept("x-gzip"), Some(Coding::Gzip));
        assert_eq!(accept("gzip, deflate, br"), Some(Coding::Brotli));
        assert_eq!(accept("gzip, deflate, br, zstd"), Some(Coding::Zstd));
        assert_eq!(accept("br;q=0.5, gzip"), Some(Coding::Gzip));
        assert_eq!(accept("zstd;q=0, br;q=0, gzip;q=0.1"), Some(Coding::Gzip));
        assert_eq!(accept("*"), Some(Coding::Zstd));
        assert_eq!(accept("*;q=0"), None);
        assert_eq!(accept("gzip;q=0, *"), Some(Coding::Zstd));
        assert_eq!(accept("zstd;q=0, br;q=0, *"), Some(Coding::Gzip));
        assert_eq!(accept("deflate, compress"), None);
        assert_eq!(accept("GZIP; Q=0.8"), Some(Coding::Gzip));
    }

    #[test]
    fn only_text_like_answers_are_compressed_and_never_event_streams() {
        for t in [
            "application/json",
            "application/json; charset=utf-8",
            "application/problem+json",
            "text/calendar; charset=utf-8",
            "text/csv",
        ] {
            assert!(compressible(t), "{t}");
        }
        for t in [
            "text/event-stream",
            "image/jpeg",
            "application/octet-stream",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "",
        ] {
            assert!(!compressible(t), "{t}");
        }
    }

    #[test]
    fn every_coding_round_trips() {
        use std::io::Read;
        let plain: Vec<u8> = (0..50_000u32)
            .flat_map(|i| format!("{{\"row\":{i},\"name\":\"孫村\"}},").into_bytes())
            .collect();
        for c in Coding::PREFERENCE {
            let packed = c.encode(&plain).unwrap();
            assert!(packed.len() * 4 < plain.len(), "{c:?} saves little");
            let mut back = Vec::new();
            match c {
                Coding::Zstd => back = zstd::stream::decode_all(&packed[..]).unwrap(),
                Coding::Brotli => {
                    brotli::Decompressor::new(&packed[..], 4096)
                        .read_to_end(&mut back)
                        .unwrap();
                }
                Coding::Gzip => {
                    flate2::read::GzDecoder::new(&packed[..])
                        .read_to_end(&mut back)
                        .unwrap();
                }
            }
            assert_eq!(back, plain, "{c:?}");
        }
    }
}
