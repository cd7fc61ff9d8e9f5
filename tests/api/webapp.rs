//! The residents' web app as the server hands it out: the front door, the page, its hashed
//! files and the service worker, with the caching and security headers phones rely on. (What
//! the app does is tested in a real browser: `web/tests`.)

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION,
};
use serde_json::Value;

use crate::helpers::spawn_app;

/// The files the built page loads: `/app/assets/…` from its `src` and `href` attributes.
fn assets_of(page: &str) -> Vec<String> {
    page.split(['"', '\''])
        .filter(|s| s.starts_with("/app/assets/"))
        .map(str::to_owned)
        .collect()
}

async fn the_page(app: &crate::helpers::TestApp) -> String {
    let resp = app.client.get(app.url("/app/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.unwrap()
}

#[tokio::test]
async fn the_front_door_leads_to_the_app_and_its_page_is_revalidated_on_every_visit() {
    let app = spawn_app().await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for door in ["/", "/app"] {
        let resp = plain.get(app.url(door)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FOUND, "{door}");
        assert_eq!(resp.headers()[LOCATION], "/app/");
    }

    let resp = plain.get(app.url("/app/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let headers = resp.headers().clone();
    assert_eq!(headers[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(headers[CACHE_CONTROL], "no-cache");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let page = resp.text().await.unwrap();
    assert!(page.contains(r#"<div id="app">"#));

    // Unchanged: 304 with no body, so a return visit on a thin plan costs a few bytes.
    let etag = headers[ETAG].clone();
    let again = plain
        .get(app.url("/app/"))
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());

    // A bookmarked path inside the app opens the same page.
    let deep = plain.get(app.url("/app/settings")).send().await.unwrap();
    assert_eq!(deep.status(), StatusCode::OK);
    assert_eq!(deep.text().await.unwrap(), page);
}

#[tokio::test]
async fn hashed_files_are_immutable_and_compressed_and_a_missing_file_is_a_problem() {
    let app = spawn_app().await;
    let page = the_page(&app).await;
    let assets = assets_of(&page);
    assert!(
        assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")),
        "the page loads a script and a style sheet: {assets:?}"
    );
    for asset in &assets {
        let resp = app
            .client
            .get(app.url(asset))
            .header(ACCEPT_ENCODING, "br, gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{asset}");
        assert_eq!(
            resp.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(resp.headers()[CONTENT_ENCODING], "br", "{asset}");
        let kind = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(
            kind.starts_with(if asset.ends_with(".js") {
                "text/javascript"
            } else {
                "text/css"
            }),
            "{asset}: {kind}"
        );
    }

    let missing = app
        .client
        .get(app.url("/app/assets/nothing-here.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()[CONTENT_TYPE], "application/problem+json");
    let problem: Value = missing.json().await.unwrap();
    assert_eq!(problem["code"], "not_found");
}

#[tokio::test]
async fn the_service_worker_precaches_every_file_the_app_needs_and_each_is_served() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/app/sw.js")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CACHE_CONTROL], "no-cache");
    assert_eq!(resp.headers()["service-worker-allowed"], "/app/");
    let worker = resp.text().await.unwrap();
    assert!(
        !worker.contains("__PRECACHE__"),
        "the build wrote the file list"
    );
    let start = worker
        .find(r#"{"version":"#)
        .expect("the precache manifest");
    let manifest: Value = serde_json::Deserializer::from_str(&worker[start..])
        .into_iter::<Value>()
        .next()
        .unwrap()
        .unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for needed in ["./", "index.html", "manifest.webmanifest"] {
        assert!(files.contains(&needed), "{needed} in {files:?}");
    }
    let page = the_page(&app).await;
    for asset in assets_of(&page) {
        let name = asset.trim_start_matches("/app/");
        assert!(files.contains(&name), "{name} is precached: {files:?}");
    }
    for file in files {
        let resp = app
            .client
            .get(app.url(&format!("/app/{file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{file}");
    }
}
