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
            if ["/healthz", "/metrics"].contains(&path.as_str()) {
                continue;
            }
            // What every operation of its shape can answer, whatever it does.
            let mut must = vec!["500", "503"];
            if op.get("requestBody").is_some() {
                must.extend(["400", "413", "415", "422"]);
            }
            if op["parameters"].as_array().is_some_and(|p| !p.is_empty()) {
                must.extend(["400", "422"]);
            }
            if op.get("security").is_some() {
                must.push("401");
            }
            for status in must {
                let content = &op["responses"][status]["content"];
                assert!(
                    content.get("application/problem+json").is_some(),
                    "{name} does not declare a problem+json {status}"
                );
            }
        }
    }
}

/// Each operation lists only the error statuses it can answer with, not every status of the
/// API: a read with no parameters never answers `422`, and only sync answers `426`.
#[test]
fn operations_list_only_their_own_error_statuses() {
    let spec: serde_json::Value = serde_json::from_str(&linli::http::spec_json()).unwrap();
    let statuses = |path: &str, method: &str| -> Vec<String> {
        let mut s: Vec<String> = spec["paths"][path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !k.starts_with('2'))
            .cloned()
            .collect();
        s.sort();
        s
    };
    assert_eq!(statuses("/readyz", "get"), ["500", "503"]);
    assert_eq!(statuses("/api/v1/me", "get"), ["401", "500", "503"]);
    assert_eq!(
        statuses("/api/v1/auth/login", "post"),
        ["400", "401", "413", "415", "422", "429", "500", "503"]
    );
    assert_eq!(
        statuses("/api/v1/sync/pull", "post"),
        [
            "400", "401", "409", "410", "413", "415", "422", "426", "429", "500", "503"
        ]
    );
    let upgrade: Vec<_> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .filter(|(_, op)| op["responses"].get("426").is_some())
                .map(move |(method, _)| format!("{method} {path}"))
        })
        .collect();
    assert_eq!(
        upgrade,
        ["post /api/v1/sync/push", "post /api/v1/sync/pull"]
    );
}

/// What generators need to produce good types: ids are `uuid`s, instants `date-time`s,
/// integers a standard format with their range, and the sync endpoints carry examples.
#[test]
fn schemas_are_typed_for_generators() {
    let spec: serde_json::Value = serde_json::from_str(&linli::http::spec_json()).unwrap();
    // Integer ids of the sync protocol (per-client counters), not object ids; `request_id`
    // echoes the caller's `x-request-id` when it sent a sane one.
    let counters = [
        "id",
        "last_mutation_id",
        "expected_mutation_id",
        "request_id",
        "mutation_id",
    ];
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        for (field, property) in schema["properties"].as_object().into_iter().flatten() {
            let at = format!("{name}.{field}");
            let kind = property["type"].as_str().unwrap_or_default();
            let format = property["format"].as_str().unwrap_or_default();
            if (field == "id" || field.ends_with("_id")) && !counters.contains(&field.as_str()) {
                assert!(
                    format == "uuid" || property.get("allOf").is_some(),
                    "{at} is not a uuid"
                );
            }
            if field.ends_with("_at")
                || ["starts_at", "ends_at", "original_start"].contains(&field.as_str())
            {
                assert_eq!(format, "date-time", "{at} is not a date-time");
            }
            if kind == "integer" {
                assert!(
                    ["int32", "int64"].contains(&format),
                    "{at} has format {format:?}"
                );
                assert!(property.get("minimum").is_some(), "{at} has no minimum");
            }
        }
    }
    for (path, method) in [("/api/v1/sync/push", "post"), ("/api/v1/sync/pull", "post")] {
        let op = &spec["paths"][path][method];
        let request =
            op["requestBody"]["content"]["application/json; charset=utf-8"]["schema"]["$ref"]
                .as_str()
                .unwrap()
                .trim_start_matches("#/components/schemas/");
        let response =
            op["responses"]["200"]["content"]["application/json; charset=utf-8"]["schema"]["$ref"]
                .as_str()
                .unwrap()
                .trim_start_matches("#/components/schemas/");
        for schema in [request, response] {
            assert!(
                spec["components"]["schemas"][schema]
                    .get("example")
                    .is_some(),
                "{schema} has no example"
            );
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
