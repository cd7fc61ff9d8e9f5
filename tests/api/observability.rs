//! Liveness, readiness, metrics, and what a client sees when the server fails.

use sea_orm::ConnectionTrait;

use crate::helpers::{PASSWORD, assert_problem, spawn_app};

#[tokio::test]
async fn liveness_and_readiness_answer_while_the_database_is_up() {
    let app = spawn_app().await;
    let live = app.get("/healthz", None).await;
    assert_eq!(live.status(), 200);
    assert_eq!(live.text().await.unwrap(), "ok");
    let ready: serde_json::Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
}

#[tokio::test]
async fn readiness_fails_and_requests_get_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    let resident = app.resident("13812345678", "王阿姨").await;
    app.db.close_by_ref().await.unwrap();

    let ready = app.get("/readyz", None).await;
    assert!(ready.headers().contains_key("retry-after"));
    assert_problem(ready, 503, "service_unavailable").await;
    assert_problem(
        app.get("/api/v1/me", Some(&resident.access_token)).await,
        503,
        "service_unavailable",
    )
    .await;
    // The process itself is alive.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
}

#[tokio::test]
async fn a_server_failure_shows_a_request_id_and_no_internals() {
    let app = spawn_app().await;
    app.resident("13812345678", "王阿姨").await;
    // A corrupted row makes the password check fail inside the server.
    app.db
        .execute_unprepared("UPDATE resident SET password_hash = 'corrupted by a bad restore'")
        .await
        .unwrap();

    let resp = app.login("13812345678", PASSWORD).await;

    let body = assert_problem(resp, 500, "internal").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        !detail.contains("corrupted") && !detail.contains("hash"),
        "{detail}"
    );
    assert!(body["request_id"].as_str().is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/healthz", None).await;
    app.get("/api/v1/me", None).await;

    let metrics = app.get("/metrics", None).await.text().await.unwrap();

    assert!(
        metrics.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"http_requests_total{method="GET",route="/api/v1/me",status="401"}"#),
        "{metrics}"
    );
    assert!(metrics.contains(
        r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.005"}"#
    ));
    assert!(metrics.contains(r#"db_pool_connections{state="idle"}"#));
}
