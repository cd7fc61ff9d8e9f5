//! Compressed answers, as a phone on a thin data plan relies on them: a pull or a REST read
//! comes compressed in a coding the phone accepts and decodes to exactly the plain answer;
//! a phone that accepts no coding gets plain JSON; small answers and event streams are
//! never compressed (a poke must leave at once).

use std::io::Read;
use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::spawn_app;
use crate::territory::Village;

const DEADLINE: Duration = Duration::from_secs(10);

/// `bytes` decoded from `coding`.
fn decode(coding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        "br" => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "zstd" => out = zstd::stream::decode_all(bytes).unwrap(),
        other => panic!("unexpected coding {other}"),
    }
    out
}

/// One answer: its `Content-Encoding`, `Vary` and the bytes as they crossed the wire.
async fn fetch(
    req: reqwest::RequestBuilder,
    accept: Option<&str>,
) -> (Option<String>, String, Vec<u8>) {
    let req = match accept {
        Some(a) => req.header("accept-encoding", a),
        None => req,
    };
    let resp = req.send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let header = |h: &str| {
        resp.headers()
            .get_all(h)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(",")
    };
    let coding = Some(header("content-encoding")).filter(|c| !c.is_empty());
    let vary = header("vary");
    (coding, vary, resp.bytes().await.unwrap().to_vec())
}

/// What a client accepts, and the coding it must get (none: plain bytes).
const NEGOTIATED: [(Option<&str>, Option<&str>); 9] = [
    (None, None),
    (Some("identity"), None),
    (Some("deflate"), None),
    (Some("*;q=0"), None),
    (Some("gzip"), Some("gzip")),
    (Some("br"), Some("br")),
    (Some("zstd"), Some("zstd")),
    (Some("gzip, deflate, br, zstd"), Some("zstd")),
    (Some("br;q=0.5, gzip"), Some("gzip")),
];

#[tokio::test]
async fn a_rest_read_comes_in_the_coding_the_client_accepts_and_decodes_to_exactly_the_plain_bytes()
{
    let app = spawn_app().await;
    let (_, _, plain) = fetch(app.client.get(app.url("/openapi.json")), None).await;
    assert!(
        plain.len() > 100_000,
        "the document is {} bytes",
        plain.len()
    );
    for (accept, expected) in NEGOTIATED {
        let (coding, vary, bytes) = fetch(app.client.get(app.url("/openapi.json")), accept).await;
        assert_eq!(coding.as_deref(), expected, "accepting {accept:?}");
        assert!(
            vary.to_ascii_lowercase().contains("accept-encoding"),
            "{vary}"
        );
        match expected {
            None => assert_eq!(bytes, plain, "accepting {accept:?}"),
            Some(c) => {
                assert!(
                    bytes.len() * 5 < plain.len(),
                    "{c}: {} of {} bytes",
                    bytes.len(),
                    plain.len()
                );
                assert_eq!(decode(c, &bytes), plain, "accepting {accept:?}");
            }
        }
    }
}

#[tokio::test]
async fn a_pull_is_compressed_for_a_phone_that_accepts_it_and_plain_for_one_that_does_not() {
    let v = Village::new().await;
    let admin = v.admin().await;
    let client = Uuid::now_v7();
    let pull = || {
        v.app
            .client
            .post(v.app.url("/api/v1/sync/pull"))
            .bearer_auth(&admin.access_token)
            .json(&json!({"client_id": client, "schema_version": 1, "cursor": null, "limit": 5000}))
    };
    // The same page each time but for the server's clock reading.
    let page = |bytes: &[u8]| {
        let mut v: Value = serde_json::from_slice(bytes).unwrap();
        v["server_time"] = Value::Null;
        v
    };
    let (_, _, plain) = fetch(pull(), None).await;
    assert!(
        plain.len() > linli::http::compress::MIN_BYTES,
        "a first pull of {} bytes",
        plain.len()
    );
    assert!(
        page(&plain)["changes"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    for (accept, expected) in NEGOTIATED {
        let (coding, _, bytes) = fetch(pull(), accept).await;
        assert_eq!(coding.as_deref(), expected, "accepting {accept:?}");
        let body = match expected {
            None => bytes,
            Some(c) => {
                assert!(bytes.len() < plain.len());
                decode(c, &bytes)
            }
        };
        assert_eq!(page(&body), page(&plain), "accepting {accept:?}");
    }
}

#[tokio::test]
async fn small_answers_and_event_streams_are_never_compressed() {
    let app = spawn_app().await;
    // A problem answer is JSON of a few hundred bytes: sent as it is.
    let resp = app
        .client
        .get(app.url("/api/v1/no-such-thing"))
        .header("accept-encoding", "gzip, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.headers().get("content-encoding").is_none());
    let body = resp.bytes().await.unwrap();
    assert!(body.len() < linli::http::compress::MIN_BYTES);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        "not_found"
    );

    let admin = app.admin("13800000000", "會長").await;
    let mut events = app
        .client
        .get(app.url("/api/v1/sync/events"))
        .bearer_auth(&admin.access_token)
        .header("accept-encoding", "gzip, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert!(events.headers().get("content-encoding").is_none());
    // The first poke arrives at once, as plain text.
    let chunk = tokio::time::timeout(DEADLINE, events.chunk())
        .await
        .expect("the stream said nothing")
        .unwrap()
        .expect("the stream closed");
    assert!(
        String::from_utf8_lossy(&chunk).contains("event: poke"),
        "{chunk:?}"
    );
}
