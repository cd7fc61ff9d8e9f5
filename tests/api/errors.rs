//! Every error is problem+json with a stable code; bodies are bounded.

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn an_unknown_path_is_a_problem() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/nowhere", None).await, 404, "not_found").await;
}

#[tokio::test]
async fn a_wrong_method_is_a_problem_with_an_allow_header() {
    let app = spawn_app().await;
    let resp = app
        .client
        .delete(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["allow"], "GET, HEAD");
    assert_problem(resp, 405, "method_not_allowed").await;

    let resp = app
        .client
        .get(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["allow"], "POST");
    assert_problem(resp, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(r#"{"phone": "13812345678", "password": "#)
        .send()
        .await
        .unwrap();
    assert_problem(resp, 400, "malformed_request").await;
}

#[tokio::test]
async fn a_wrongly_typed_field_is_a_bad_request() {
    let app = spawn_app().await;
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"phone": "13812345678", "password": ["x"]}),
        )
        .await;
    assert_problem(resp, 400, "malformed_request").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_unsupported() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body("phone=13812345678")
        .send()
        .await
        .unwrap();
    assert_problem(resp, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused() {
    let app = spawn_app().await;
    let padding = "x".repeat(1024 * 1024);
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"phone": "13812345678", "password": padding}),
        )
        .await;
    assert_problem(resp, 413, "payload_too_large").await;
}

#[tokio::test]
async fn a_chunked_body_over_one_mebibyte_is_refused_too() {
    let app = spawn_app().await;
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 64 * 1024];
    // 1 MiB + 64 KiB in 64 KiB chunks; the server may answer and close before the end.
    for _ in 0..17 {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("application/problem+json"), "{response}");
    assert!(
        response.contains(r#""code":"payload_too_large""#),
        "{response}"
    );
}

#[tokio::test]
async fn a_sane_client_request_id_is_echoed_and_an_unsafe_one_replaced() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/api/v1/nowhere"))
        .header("x-request-id", "phone-42.retry-3")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "phone-42.retry-3");
    let body = assert_problem(resp, 404, "not_found").await;
    assert_eq!(body["request_id"], "phone-42.retry-3");

    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers()["x-request-id"], "<script>");
}
