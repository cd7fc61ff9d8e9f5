//! What one client may hold of the server's connections: slow or idle connections are
//! closed, event streams are kept, and past the cap a connection waits its turn.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{DEADLINE, TestApp, spawn_app_with};

const HEADER_TIMEOUT: Duration = Duration::from_millis(400);

async fn app_with(max_connections: usize) -> TestApp {
    spawn_app_with(|s| {
        s.connections.header_timeout = HEADER_TIMEOUT;
        s.connections.max_connections = max_connections;
    })
    .await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection (or resets it), within a deadline well
/// past the header timeout (and well short of hyper's own default of 30 s); returns what it
/// sent.
async fn until_closed(socket: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + HEADER_TIMEOUT * 10;
    loop {
        match tokio::time::timeout_at(deadline, socket.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept the connection open past the deadline"),
        }
    }
}

#[tokio::test]
async fn a_connection_that_stops_halfway_through_its_request_line_is_closed() {
    let app = app_with(1_000).await;
    let mut sockets = Vec::new();
    for _ in 0..50 {
        let mut s = connect(&app).await;
        s.write_all(b"GET /hea").await.unwrap();
        sockets.push(s);
    }
    for s in &mut sockets {
        let said = until_closed(s).await;
        assert!(!String::from_utf8_lossy(&said).contains("200 OK"));
    }
    // The server still serves.
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn an_idle_connection_between_requests_is_closed() {
    let app = app_with(1_000).await;
    let mut s = connect(&app).await;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: linli\r\n\r\n")
        .await
        .unwrap();
    let said = until_closed(&mut s).await;
    assert!(
        String::from_utf8_lossy(&said).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&said)
    );
}

#[tokio::test]
async fn an_event_stream_outlives_the_idle_timeout_on_its_heartbeats() {
    let app = app_with(1_000).await;
    let admin = app.admin("13800000000", "會長").await;
    let mut events = crate::sync::open_events(&app.address, &app.client, &admin.access_token).await;
    assert_eq!(events.status(), 200);
    // Heartbeats every 300 ms; the stream is still open after three idle timeouts.
    let until = tokio::time::Instant::now() + HEADER_TIMEOUT * 3;
    let mut beats = 0;
    while tokio::time::Instant::now() < until {
        let chunk = tokio::time::timeout(DEADLINE, events.chunk())
            .await
            .expect("the stream went quiet")
            .expect("the stream failed")
            .expect("the server closed the stream");
        beats += String::from_utf8_lossy(&chunk)
            .matches("event: heartbeat")
            .count();
    }
    assert!(beats >= 3, "{beats} heartbeats");
}

#[tokio::test]
async fn past_the_cap_a_connection_waits_until_one_closes() {
    let app = app_with(2).await;
    let mut held = vec![connect(&app).await, connect(&app).await];
    // Let the server take both (they count once accepted).
    for s in &mut held {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: linli\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(DEADLINE, s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    }
    let mut third = connect(&app).await;
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: linli\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    // A bounded look for an answer that must not come while both places are taken.
    let early = tokio::time::timeout(HEADER_TIMEOUT / 4, third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "the third connection was served past the cap"
    );
    drop(held.pop());
    let said = until_closed(&mut third).await;
    assert!(String::from_utf8_lossy(&said).starts_with("HTTP/1.1 200"));
}
