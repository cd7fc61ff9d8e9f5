//! The committed OpenAPI document is what the code serves.

use crate::helpers::spawn_app;

const REGENERATE: &str = "cargo run -q -- openapi > openapi/openapi.json";

#[test]
fn the_committed_spec_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap_or_default();
    let current = linli::http::spec_json();
    assert!(
        committed == current,
        "openapi/openapi.json is out of date with the code; regenerate it with:\n\n    {REGENERATE}\n"
    );
}

#[test]
fn every_operation_has_an_id_a_tag_a_summary_and_problem_responses() {
    let spec: serde_json::Value = serde_json::from_str(&linli::http::spec_json()).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(
                op["operationId"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no operationId"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name} has no tag"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no summary"
            );
            if !["/healthz", "/metrics"].contains(&path.as_str()) {
                for status in ["400", "500", "503"] {
                    let content = &op["responses"][status]["content"];
                    assert!(
                        content.get("application/problem+json").is_some(),
                        "{name} does not declare a problem+json {status}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn the_service_serves_the_committed_spec_and_the_docs() {
    let app = spawn_app().await;
    let served = app.get("/openapi.json", None).await.text().await.unwrap();
    assert_eq!(served, linli::http::spec_json());
    let docs = app.get("/docs", None).await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}
