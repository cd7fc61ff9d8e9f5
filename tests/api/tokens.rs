//! Access tokens: only HS256 tokens signed with our key, for our issuer and audience, and not
//! expired, are accepted.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{TEST_SECRET, TestApp, assert_problem, spawn_app};

fn claims(resident: &str, community: &str, exp_offset_secs: i64) -> Value {
    let now = Utc::now().timestamp();
    json!({
        "sub": resident, "cid": community, "iss": "linli", "aud": "linli-app",
        "iat": now, "exp": now + exp_offset_secs, "jti": uuid::Uuid::new_v4(),
    })
}

fn sign(alg: Algorithm, secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn resident_ids(app: &TestApp) -> (String, String) {
    let r = app.resident("13812345678", "王阿姨").await;
    (r.id.to_string(), app.community_id().await.to_string())
}

async fn assert_refused(app: &TestApp, token: &str) {
    let resp = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    assert_problem(resp, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_token_we_signed_is_accepted() {
    let app = spawn_app().await;
    let (sub, cid) = resident_ids(&app).await;
    let token = sign(Algorithm::HS256, TEST_SECRET, &claims(&sub, &cid, 600));
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    let (sub, cid) = resident_ids(&app).await;
    assert_refused(
        &app,
        &sign(Algorithm::HS256, TEST_SECRET, &claims(&sub, &cid, -60)),
    )
    .await;
}

#[tokio::test]
async fn a_tampered_token_is_refused() {
    let app = spawn_app().await;
    let (sub, cid) = resident_ids(&app).await;
    let admin = app.resident("13900000000", "會長").await;
    // Swap in another resident's id but keep the original signature.
    let token = sign(Algorithm::HS256, TEST_SECRET, &claims(&sub, &cid, 600));
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(claims(&admin.id.to_string(), &cid, 600).to_string());
    assert_refused(&app, &parts.join(".")).await;
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_refused() {
    let app = spawn_app().await;
    let (sub, cid) = resident_ids(&app).await;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&sub, &cid, 600).to_string());
    assert_refused(&app, &format!("{header}.{payload}.")).await;
}

#[tokio::test]
async fn another_algorithm_with_our_secret_is_refused() {
    let app = spawn_app().await;
    let (sub, cid) = resident_ids(&app).await;
    assert_refused(
        &app,
        &sign(Algorithm::HS512, TEST_SECRET, &claims(&sub, &cid, 600)),
    )
    .await;
}

#[tokio::test]
async fn tokens_for_another_audience_or_from_another_key_are_refused() {
    let app = spawn_app().await;
    let (sub, cid) = resident_ids(&app).await;
    let mut other_audience = claims(&sub, &cid, 600);
    other_audience["aud"] = json!("another-service");
    assert_refused(&app, &sign(Algorithm::HS256, TEST_SECRET, &other_audience)).await;
    assert_refused(
        &app,
        &sign(
            Algorithm::HS256,
            "a-different-secret-that-is-long-enough-0123",
            &claims(&sub, &cid, 600),
        ),
    )
    .await;
}

#[tokio::test]
async fn a_missing_or_garbled_token_is_refused() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/me", None).await, 401, "unauthorized").await;
    assert_refused(&app, "not.a.jwt").await;
}
