//! Registration, login, refresh-token rotation and theft detection, logout, throttling.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, assert_problem, session, spawn_app};

#[tokio::test]
async fn a_resident_registers_with_a_mainland_number_and_sees_themselves() {
    let app = spawn_app().await;
    let resident = app.resident("138 1234 5678", "王阿姨").await;

    let me: Value = app
        .get("/api/v1/me", Some(&resident.access_token))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(me["id"], resident.id.to_string());
    assert_eq!(me["phone"], "+8613812345678");
    assert_eq!(me["display_name"], "王阿姨");
    assert_eq!(me["community"]["slug"], "meikuang");
    assert_eq!(me["roles"], json!([]));
}

#[tokio::test]
async fn a_phone_number_holds_one_account_whatever_its_spelling() {
    let app = spawn_app().await;
    app.resident("13812345678", "王阿姨").await;

    let again = app.register("+86 138-1234-5678", "另一個人").await;

    assert_problem(again, 409, "phone_taken").await;
}

#[tokio::test]
async fn registration_names_the_field_that_failed() {
    let app = spawn_app().await;
    let community = app.community_id().await;
    // What the OpenAPI document already rules out is a 400 naming the field; an unknown
    // community is a 404.
    let cases = [
        (
            json!({"phone": "12345", "display_name": "李", "password": PASSWORD, "community_id": community}),
            "phone",
            (400, "malformed_request"),
        ),
        (
            json!({"phone": "13812345678", "display_name": "字".repeat(65), "password": PASSWORD, "community_id": community}),
            "display_name",
            (400, "malformed_request"),
        ),
        (
            json!({"phone": "13812345678", "display_name": "  ", "password": PASSWORD, "community_id": community}),
            "display_name",
            (400, "malformed_request"),
        ),
        (
            json!({"phone": "13812345678", "display_name": "李", "password": "short", "community_id": community}),
            "password",
            (400, "malformed_request"),
        ),
        (
            json!({"phone": "13812345678", "display_name": "李", "password": PASSWORD, "community_id": uuid::Uuid::now_v7()}),
            "",
            (404, "not_found"),
        ),
    ];
    for (body, field, (status, code)) in cases {
        let problem = assert_problem(
            app.post_json("/api/v1/auth/register", &body).await,
            status,
            code,
        )
        .await;
        if !field.is_empty() {
            assert_eq!(problem["field"], field, "{problem}");
        }
    }
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let app = spawn_app().await;
    let community = app.community_id().await;
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"phone": "13812345678", "display_name": "李", "password": PASSWORD, "community_id": community, "favourite_song": "東方紅"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
}

#[tokio::test]
async fn login_works_with_any_spelling_of_the_number() {
    let app = spawn_app().await;
    let registered = app.resident("13812345678", "王阿姨").await;

    let resp = app.login("+86 138 1234 5678", PASSWORD).await;

    assert_eq!(resp.status(), 200);
    let logged_in = session(resp, "13812345678").await;
    assert_eq!(logged_in.id, registered.id);
    let me = app.get("/api/v1/me", Some(&logged_in.access_token)).await;
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_number_get_the_same_answer() {
    let app = spawn_app().await;
    app.resident("13812345678", "王阿姨").await;

    let wrong_password = assert_problem(
        app.login("13812345678", "not the password").await,
        401,
        "invalid_credentials",
    )
    .await;
    let unknown_number = assert_problem(
        app.login("13900000000", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;

    assert_eq!(wrong_password["detail"], unknown_number["detail"]);
}

#[tokio::test]
async fn refreshing_rotates_the_refresh_token() {
    let app = spawn_app().await;
    let first = app.resident("13812345678", "王阿姨").await;

    let resp = app.refresh(&first.refresh_token).await;

    assert_eq!(resp.status(), 200);
    let second = session(resp, &first.phone).await;
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.id, first.id);
    assert_eq!(
        app.get("/api/v1/me", Some(&second.access_token))
            .await
            .status(),
        200
    );
    // The successor works in turn.
    assert_eq!(app.refresh(&second.refresh_token).await.status(), 200);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_ends_the_whole_session() {
    // No reuse window: the replay below is past it.
    let app = crate::helpers::spawn_app_with(|s| {
        s.refresh_reuse_window = chrono::Duration::zero();
    })
    .await;
    let stolen = app.resident("13812345678", "王阿姨").await;
    let rightful = session(app.refresh(&stolen.refresh_token).await, &stolen.phone).await;

    // The thief replays the token the resident already used.
    assert_problem(
        app.refresh(&stolen.refresh_token).await,
        401,
        "refresh_token_reused",
    )
    .await;

    // The whole family is revoked: the resident's current token no longer works either.
    assert_problem(
        app.refresh(&rightful.refresh_token).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    // Other sessions of the same resident (another phone) are unaffected.
    let other_phone = session(app.login(&stolen.phone, PASSWORD).await, &stolen.phone).await;
    assert_eq!(app.refresh(&other_phone.refresh_token).await.status(), 200);
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_rotate_it_once() {
    let app = spawn_app().await;
    let resident = app.resident("13812345678", "王阿姨").await;

    let (a, b) = tokio::join!(
        app.refresh(&resident.refresh_token),
        app.refresh(&resident.refresh_token)
    );

    // One rotation: both are told the same successor, which works once.
    let (a, b) = (
        session(a, &resident.phone).await,
        session(b, &resident.phone).await,
    );
    assert_eq!(a.refresh_token, b.refresh_token);
    assert_eq!(app.refresh(&a.refresh_token).await.status(), 200);
}

#[tokio::test]
async fn a_phone_that_lost_the_refresh_answer_is_not_logged_out() {
    let app = spawn_app().await;
    let resident = app.resident("13812345678", "王阿姨").await;
    // The answer is lost on the way; the phone retries with the token it still has.
    let lost = session(app.refresh(&resident.refresh_token).await, &resident.phone).await;
    let retried = session(app.refresh(&resident.refresh_token).await, &resident.phone).await;
    assert_eq!(retried.refresh_token, lost.refresh_token);
    assert_eq!(
        app.get("/api/v1/me", Some(&retried.access_token))
            .await
            .status(),
        200
    );
    // Once the new token is used, the old one is spent: presenting it is theft, and ends
    // the session everywhere.
    let next = session(app.refresh(&retried.refresh_token).await, &resident.phone).await;
    assert_problem(
        app.refresh(&resident.refresh_token).await,
        401,
        "refresh_token_reused",
    )
    .await;
    assert_problem(
        app.refresh(&next.refresh_token).await,
        401,
        "invalid_refresh_token",
    )
    .await;
}

#[tokio::test]
async fn logging_out_ends_the_sessions_access_tokens_at_once() {
    let app = spawn_app().await;
    let resident = app.resident("13812345678", "王阿姨").await;
    let other_phone = session(app.login(&resident.phone, PASSWORD).await, &resident.phone).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&resident.access_token))
            .await
            .status(),
        200
    );

    let resp = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": resident.refresh_token}),
        )
        .await;
    assert_eq!(resp.status(), 204);

    // Its access token no longer works, though it has not expired...
    assert_problem(
        app.get("/api/v1/me", Some(&resident.access_token)).await,
        401,
        "unauthorized",
    )
    .await;
    // ...while the resident's other session goes on.
    assert_eq!(
        app.get("/api/v1/me", Some(&other_phone.access_token))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let resident = app.resident("13812345678", "王阿姨").await;

    let resp = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": resident.refresh_token}),
        )
        .await;

    assert_eq!(resp.status(), 204);
    assert_problem(
        app.refresh(&resident.refresh_token).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    // Logging out twice is not an error.
    let again = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": resident.refresh_token}),
        )
        .await;
    assert_eq!(again.status(), 204);
}

#[tokio::test]
async fn an_unknown_refresh_token_is_refused() {
    let app = spawn_app().await;
    assert_problem(
        app.refresh("not-a-token").await,
        401,
        "invalid_refresh_token",
    )
    .await;
}

#[tokio::test]
async fn repeated_failures_for_one_number_are_throttled_without_revealing_the_password() {
    let app = spawn_app().await;
    app.resident("13812345678", "王阿姨").await;
    for _ in 0..5 {
        assert_problem(
            app.login("13812345678", "guess guess").await,
            401,
            "invalid_credentials",
        )
        .await;
    }

    // Locked: even the right password is not checked, so the lock is no oracle.
    let resp = app.login("13812345678", PASSWORD).await;

    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert_problem(resp, 429, "rate_limited").await;
    // An unregistered number locks the same way, so locking reveals nothing either.
    for _ in 0..5 {
        app.login("13900000000", "guess guess").await;
    }
    assert_problem(
        app.login("13900000000", "guess guess").await,
        429,
        "rate_limited",
    )
    .await;
    // Someone else from the same address is not locked out by one number's failures.
    app.resident("13700000000", "李伯伯").await;
    assert_eq!(app.login("13700000000", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn parallel_guesses_are_throttled_as_they_start_not_as_their_hashes_end() {
    use futures_util::StreamExt;
    let app = spawn_app().await;
    app.resident("13812345678", "王阿姨").await;
    // 200 wrong passwords, 64 in flight at a time: each is counted when it starts.
    let statuses: Vec<u16> = futures_util::stream::iter(0..200)
        .map(|_| async {
            app.login("13812345678", "guess guess")
                .await
                .status()
                .as_u16()
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 195), "{statuses:?}");

    // Registration probes count against the address as they start, too.
    let statuses: Vec<u16> = futures_util::stream::iter(0..100)
        .map(|_| async {
            app.register("13812345678", "冒名者")
                .await
                .status()
                .as_u16()
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let probed = statuses.iter().filter(|s| **s == 409).count();
    assert!(
        probed <= 30 - checked,
        "{probed} probes of a taken number got through: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [409, 429].contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn guessing_across_many_numbers_from_one_address_is_throttled() {
    let app = spawn_app().await;
    app.resident("13812345678", "王阿姨").await;
    for i in 0..30 {
        let status = app
            .login(&format!("1390000{i:04}"), "guess guess")
            .await
            .status();
        assert_eq!(status, 401);
    }

    let resp = app.login("13812345678", PASSWORD).await;

    assert!(resp.headers().contains_key("retry-after"));
    assert_problem(resp, 429, "rate_limited").await;
}

/// Thirty wrong passwords from `forwarded` (a different number each time, so only the
/// address ledger counts them), then one more from `then`: its status.
async fn guesses_then_one_more(app: &crate::helpers::TestApp, forwarded: &str, then: &str) -> u16 {
    let login = |phone: String, from: &str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", from.to_owned())
            .json(&json!({"phone": phone, "password": "guess guess"}))
            .send()
    };
    for i in 0..30 {
        let resp = login(format!("1390000{i:04}"), forwarded).await.unwrap();
        assert_eq!(resp.status(), 401);
    }
    login("13700000000".into(), then)
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_is_throttled_apart() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    // The guesser's address is locked; a neighbour behind the same proxy is not.
    assert_eq!(
        guesses_then_one_more(&app, "203.0.113.1", "203.0.113.2").await,
        401
    );
    let locked = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "203.0.113.1")
        .json(&json!({"phone": "13700000000", "password": "guess guess"}))
        .send()
        .await
        .unwrap();
    assert_problem(locked, 429, "rate_limited").await;
}

#[tokio::test]
async fn a_client_cannot_choose_its_address_with_x_forwarded_for() {
    // No proxy is trusted: the header is ignored, and the connection's address is locked.
    let app = spawn_app().await;
    assert_eq!(
        guesses_then_one_more(&app, "203.0.113.1", "203.0.113.2").await,
        429
    );
}
