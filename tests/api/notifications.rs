//! Notifications over HTTP, against receivers the tests start: news written with its cause
//! (a proxy sign-up, a promotion from the waitlist, a session called off, a case's step, an
//! urgent notice) into each inbox, through the feed and the REST read; the SMS gateway's
//! webhook signed with HMAC, retried after failures and dead-lettered against a dead
//! gateway while Web Push still goes; Web Push with a VAPID signature the receiver checks
//! and a payload it decrypts; reminders a day and two hours before, once each, with "can't
//! come" in one step; quiet hours; a channel turned off; and the counts in `/metrics`.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Asia::Shanghai;
use hmac::{Hmac, Mac};
use linli::features::notifications::channels::Vapid;
use linli::features::notifications::entity::notification_delivery;
use linli::features::schedule::rules::recurrence::occurrence_id;
use poem::web::Data;
use poem::{EndpointExt, Request, Response, Route, handler, http::StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Resident, TestApp, spawn_app_with};
use crate::phone::{Phone, assert_all_applied};

const WEBHOOK_SECRET: &str = "a-shared-secret-of-the-sms-gateway";

/// What the SMS gateway the test runs has received, and how many calls it still fails.
#[derive(Default)]
struct Gateway {
    messages: Mutex<Vec<Value>>,
    fail_next: Mutex<u32>,
    bad_signatures: Mutex<u32>,
}

#[handler]
async fn gateway(req: &Request, body: poem::Body, g: Data<&Arc<Gateway>>) -> Response {
    let body = body.into_vec().await.unwrap();
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    // Recomputed here with the HMAC crate, not with the server's function.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{}.", header("X-Linli-Timestamp")).as_bytes());
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    if header("X-Linli-Signature") != expected {
        *g.bad_signatures.lock().unwrap() += 1;
        return StatusCode::UNAUTHORIZED.into();
    }
    {
        let mut fail = g.fail_next.lock().unwrap();
        if *fail > 0 {
            *fail -= 1;
            return StatusCode::SERVICE_UNAVAILABLE.into();
        }
    }
    let v: Value = serde_json::from_slice(&body).unwrap();
    g.messages
        .lock()
        .unwrap()
        .extend(v["messages"].as_array().unwrap().iter().cloned());
    StatusCode::OK.into()
}

/// A browser's push subscription and what its push service received, decrypted.
struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
    origin: String,
    received: Mutex<Vec<Value>>,
    refused: Mutex<Vec<String>>,
    /// Answer 410 Gone (the browser dropped the subscription).
    gone: bool,
}

#[handler]
async fn push_service(req: &Request, body: poem::Body, b: Data<&Arc<Browser>>) -> Response {
    if b.gone {
        return StatusCode::GONE.into();
    }
    let body = body.into_vec().await.unwrap();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match check(&b, auth, req, body) {
        Ok(payload) => {
            b.received.lock().unwrap().push(payload);
            StatusCode::CREATED.into()
        }
        Err(why) => {
            b.refused.lock().unwrap().push(why);
            StatusCode::UNAUTHORIZED.into()
        }
    }
}

/// Checks the VAPID signature (RFC 8292: an ES256 JWT for this origin, signed by the key
/// `k` names) and decrypts the payload (RFC 8291) with the browser's keys.
fn check(b: &Browser, authorization: &str, req: &Request, body: Vec<u8>) -> Result<Value, String> {
    #[derive(serde::Deserialize)]
    struct Claims {
        sub: String,
    }
    let rest = authorization.strip_prefix("vapid ").ok_or("not vapid")?;
    let (mut t, mut k) = ("", "");
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v,
            Some(("k", v)) => k = v,
            _ => {}
        }
    }
    let point = B64.decode(k).map_err(|e| e.to_string())?;
    if point.len() != 65 || point[0] != 4 {
        return Err("k is not an uncompressed P-256 point".into());
    }
    let key = jsonwebtoken::DecodingKey::from_ec_components(
        &B64.encode(&point[1..33]),
        &B64.encode(&point[33..]),
    )
    .map_err(|e| e.to_string())?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&[&b.origin]);
    v.set_required_spec_claims(&["exp", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Claims>(t, &key, &v)
        .map_err(|e| e.to_string())?
        .claims;
    if !claims.sub.starts_with("mailto:") {
        return Err("sub is not a contact".into());
    }
    if req
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        != Some("aes128gcm")
    {
        return Err("not aes128gcm".into());
    }
    #[allow(deprecated)]
    let auth = web_push_native::Auth::from_exact_iter(b.auth).unwrap();
    let plain = web_push_native::decrypt(body, &b.secret, &auth).map_err(|e| e.to_string())?;
    serde_json::from_slice(&plain).map_err(|e| e.to_string())
}

/// Serves `route` on a free port of loopback; its address.
async fn serve(route: impl poem::Endpoint + 'static) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(route));
    format!("http://{addr}")
}

/// A browser with its own push service; its subscription's endpoint.
async fn browser(gone: bool) -> (Arc<Browser>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let b = Arc::new(Browser {
        secret: p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng),
        auth: rand::random(),
        origin: origin.clone(),
        received: Mutex::default(),
        refused: Mutex::default(),
        gone,
    });
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    let route = Route::new().at("/push/:id", poem::post(push_service).data(b.clone()));
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(route));
    (b, format!("{origin}/push/{}", Uuid::now_v7()))
}

async fn subscribe(
    app: &TestApp,
    who: &Resident,
    b: &Browser,
    endpoint: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/me/push-subscriptions"))
        .bearer_auth(&who.access_token)
        .json(&json!({"endpoint": endpoint, "keys": {
            "p256dh": B64.encode(b.secret.public_key().to_sec1_bytes()),
            "auth": B64.encode(b.auth)}}))
        .send()
        .await
        .unwrap()
}

/// Polls `probe` until it answers `Some`, for at most 10 seconds (the senders run on their
/// own; a loaded machine may be slow, and a pass waits no longer than it takes).
async fn eventually<T, F: Future<Output = Option<T>>>(what: &str, probe: impl Fn() -> F) -> T {
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(10);
    loop {
        if let Some(t) = probe().await {
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}

async fn inbox(app: &TestApp, who: &Resident) -> Vec<Value> {
    let r = app
        .get("/api/v1/notifications", Some(&who.access_token))
        .await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

fn kinds(inbox: &[Value]) -> Vec<String> {
    inbox
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn deliveries(app: &TestApp, channel: &str) -> Vec<notification_delivery::Model> {
    notification_delivery::Entity::find()
        .filter(notification_delivery::Column::Channel.eq(channel))
        .all(&app.db)
        .await
        .unwrap()
}

/// A weekly session at 09:30 Shanghai time, `days` from now, with `capacity` seats, led by
/// `leader` (its group's contact); the first occurrence's id and start.
async fn session(
    app: &TestApp,
    admin: &mut Phone,
    leader: &Resident,
    days: i64,
    capacity: u32,
) -> (Uuid, Uuid, DateTime<Utc>) {
    let day = (app.sync.clock.wall() + Duration::days(days))
        .with_timezone(&Shanghai)
        .date_naive();
    let local = day.and_hms_opt(9, 30, 0).unwrap();
    let start = local
        .and_local_timezone(Shanghai)
        .unwrap()
        .with_timezone(&Utc);
    let (group, series) = (Uuid::now_v7(), Uuid::now_v7());
    admin.mutate(
        "group.create",
        json!({"id": group, "name": "書畫社", "is_open": true, "venue": "活動中心二樓"}),
    );
    admin.mutate(
        "member.set_role",
        json!({"group_id": group, "resident_id": leader.id, "role": "leader"}),
    );
    admin.mutate(
        "group.update",
        json!({"id": group, "contact_leader_id": leader.id}),
    );
    admin.mutate(
        "series.create",
        json!({"id": series, "group_id": group, "title": "書法與國畫",
            "start_local": local.format("%Y-%m-%dT%H:%M").to_string(),
            "rrule": "FREQ=WEEKLY", "duration_minutes": 120, "capacity": capacity}),
    );
    assert_all_applied(&admin.push().await);
    (series, occurrence_id(series, start), start)
}

#[tokio::test]
async fn news_reaches_the_inbox_the_gateway_and_the_browser_and_a_dead_gateway_slows_nothing() {
    let g = Arc::new(Gateway::default());
    let gateway_url = serve(Route::new().at("/sms", poem::post(gateway).data(g.clone()))).await;
    let (vapid, _) = Vapid::generate();
    let app = spawn_app_with(|s| {
        s.notifications.webhook_url = Some(format!("{gateway_url}/sms"));
        s.notifications.webhook_secret = Some(linli::config::Secret::new(WEBHOOK_SECRET));
        s.notifications.vapid_private_key = Some(linli::config::Secret::new(vapid));
        s.notifications.vapid_subject = "mailto:committee@sun-village.example".into();
    })
    .await;
    let admin_r = app.admin("13800000000", "會長").await;
    let mut admin = Phone::new(&app, &admin_r);
    let leader = app.resident("13700000000", "孫老師").await;
    let (aunt, uncle) = (
        app.resident("13900000001", "王阿姨").await,
        app.resident("13900000002", "李叔").await,
    );
    let (series, occ, start) = session(&app, &mut admin, &leader, 3, 1).await;

    // 王阿姨 chooses texts too; 李叔 keeps the defaults (the inbox, and push once a
    // browser subscribes).
    let mut aunt_phone = Phone::new(&app, &aunt);
    aunt_phone.mutate(
        "notifications.configure",
        json!({"push": true, "sms": true}),
    );
    assert_all_applied(&aunt_phone.push().await);
    let (b, endpoint) = browser(false).await;
    let r = subscribe(&app, &uncle, &b, &endpoint).await;
    assert_eq!(r.status(), 200);
    // A second browser of his that dropped its subscription.
    let (dropped, dropped_endpoint) = browser(true).await;
    assert_eq!(
        subscribe(&app, &uncle, &dropped, &dropped_endpoint)
            .await
            .status(),
        200
    );
    let key: Value = app
        .get("/api/v1/push/key", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        B64.decode(key["public_key"].as_str().unwrap())
            .unwrap()
            .len(),
        65
    );
    // Nonsense is refused with its field.
    let mut bad = subscribe(&app, &uncle, &b, "ftp://push.example/1").await;
    assert_eq!(bad.status(), 422);
    bad = app
        .client
        .post(app.url("/api/v1/me/push-subscriptions"))
        .bearer_auth(&uncle.access_token)
        .json(
            &json!({"endpoint": endpoint, "keys": {"p256dh": "AAAA", "auth": B64.encode(b.auth)}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    // The leader signs 王阿姨 up (she has no smartphone at hand): she is told, in the inbox
    // and by text; 李叔 waits for the one seat.
    let mut l = Phone::new(&app, &leader);
    l.mutate(
        "signup.request",
        json!({"occurrence_id": occ, "series_id": series, "original_start": start, "on_behalf_of": aunt.id}),
    );
    assert_all_applied(&l.push().await);
    let mut u = Phone::new(&app, &uncle);
    u.mutate(
        "signup.request",
        json!({"occurrence_id": occ, "series_id": series, "original_start": start}),
    );
    assert_eq!(
        u.push().await["results"][0]["data"]["data"]["status"],
        "waitlisted"
    );
    assert_eq!(kinds(&inbox(&app, &aunt).await), ["signup_confirmed"]);
    assert!(
        inbox(&app, &uncle).await.is_empty(),
        "his own sign-up is no news to him"
    );
    let text = eventually("the confirmation's text", || async {
        g.messages.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(
        (text["phone"].as_str(), text["kind"].as_str()),
        (Some("+8613900000001"), Some("signup_confirmed"))
    );
    assert!(
        text["title"].as_str().unwrap().contains("書法與國畫"),
        "{text}"
    );

    // She cannot come after all (her leader cancels for her): 李叔 is promoted, told in his
    // inbox, on his phone's feed and in his browser, whose push service checked the VAPID
    // signature and decrypted the payload.
    l.mutate(
        "signup.cancel",
        json!({"occurrence_id": occ, "on_behalf_of": aunt.id}),
    );
    assert_all_applied(&l.push().await);
    let promoted = inbox(&app, &uncle).await;
    assert_eq!(kinds(&promoted), ["signup_promoted"]);
    u.pull().await;
    let id = Uuid::parse_str(promoted[0]["id"].as_str().unwrap()).unwrap();
    assert!(u.get("notification", id).is_some());
    let pushed = eventually("the promotion's push", || async {
        b.received.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(pushed["id"], json!(id));
    assert_eq!(pushed["kind"], "signup_promoted");
    assert!(
        b.refused.lock().unwrap().is_empty(),
        "{:?}",
        b.refused.lock().unwrap()
    );
    // The dropped browser's subscription is forgotten; the delivery still counts as sent.
    let push = eventually("the push delivery settled", || async {
        let d = deliveries(&app, "push").await;
        d.iter().all(|d| d.status == "sent").then_some(d)
    })
    .await;
    assert_eq!(push.len(), 1);
    let r: Value = app
        .get("/api/v1/me/export", Some(&uncle.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["notifications"]["push_subscriptions"], 1,
        "{}",
        r["notifications"]
    );

    admin.mutate(
        "occurrence.override",
        json!({"occurrence_id": occ, "series_id": series, "original_start": start, "cancelled": true}),
    );
    assert_all_applied(&admin.push().await);
    assert_eq!(
        kinds(&inbox(&app, &uncle).await),
        ["session_cancelled", "signup_promoted"]
    );
    // 王阿姨 had cancelled already: the session's calling off is not news to her.
    assert_eq!(kinds(&inbox(&app, &aunt).await), ["signup_confirmed"]);

    // An urgent notice to the whole community: everyone with an account but its author, on
    // every channel they chose, quiet hours or not (王阿姨's are now).
    let minute = {
        let t = app.sync.clock.wall().with_timezone(&Shanghai).time();
        i32::try_from(
            t.signed_duration_since(chrono::NaiveTime::MIN)
                .num_minutes(),
        )
        .unwrap()
    };
    aunt_phone.mutate(
        "notifications.configure",
        json!({"push": true, "sms": true, "quiet_from": (minute + 1439) % 1440, "quiet_to": (minute + 120) % 1440}),
    );
    assert_all_applied(&aunt_phone.push().await);
    let notice = Uuid::now_v7();
    admin.mutate(
        "announcement.post",
        json!({"id": notice, "title": "停水", "body": "今晚十點到明早六點停水，請提前儲水。", "importance": "urgent"}),
    );
    // The gateway fails twice: the text is tried again after its backoff (the server's
    // clock is moved past it) and arrives once.
    *g.fail_next.lock().unwrap() = 2;
    assert_all_applied(&admin.push().await);
    for attempt in 1..=2 {
        let d = eventually(&format!("failed attempt {attempt}"), || async {
            deliveries(&app, "sms").await.into_iter().find(|d| {
                d.resident_id == aunt.id && d.status == "pending" && d.attempts == attempt
            })
        })
        .await;
        app.sync
            .clock
            .advance(d.next_attempt_at - app.sync.clock.wall() + Duration::seconds(1));
    }
    for who in [&aunt, &uncle, &leader] {
        assert_eq!(
            kinds(&inbox(&app, who).await)[0],
            "urgent_announcement",
            "{}",
            who.phone
        );
    }
    assert!(
        inbox(&app, &admin_r).await.is_empty(),
        "its author is not told"
    );
    let urgent = eventually("the urgent text, through quiet hours", || async {
        g.messages
            .lock()
            .unwrap()
            .iter()
            .find(|m| m["kind"] == "urgent_announcement")
            .cloned()
    })
    .await;
    assert_eq!(urgent["urgent"], true);
    // A normal notice to her in quiet hours waits in the outbox until they end: her leader
    // signs her up for next week's session.
    let (next, next_start) = (
        occurrence_id(series, start + Duration::weeks(1)),
        start + Duration::weeks(1),
    );
    l.mutate(
        "signup.request",
        json!({"occurrence_id": next, "series_id": series, "original_start": next_start, "on_behalf_of": aunt.id}),
    );
    assert_all_applied(&l.push().await);
    assert_eq!(kinds(&inbox(&app, &aunt).await)[0], "signup_confirmed");
    let waiting: Vec<_> = deliveries(&app, "sms")
        .await
        .into_iter()
        .filter(|d| d.resident_id == aunt.id && d.status == "pending")
        .collect();
    assert_eq!(waiting.len(), 1, "the text waits");
    assert!(waiting[0].next_attempt_at > app.sync.clock.wall() + Duration::minutes(100));

    // Every text arrived exactly once, every signature checked out, and /metrics counts it.
    let ids: Vec<String> = g
        .messages
        .lock()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
    assert_eq!(*g.bad_signatures.lock().unwrap(), 0);
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    for needle in [
        r#"notifications_deliveries_total{channel="sms",outcome="sent"}"#,
        r#"notifications_deliveries_total{channel="sms",outcome="retried"}"#,
        r#"notifications_deliveries_total{channel="push",outcome="sent"}"#,
    ] {
        assert!(metrics.contains(needle), "{needle} in {metrics}");
    }

    // 王阿姨 turns texts off: what waited for her does not go.
    aunt_phone.mutate(
        "notifications.configure",
        json!({"push": true, "sms": false}),
    );
    assert_all_applied(&aunt_phone.push().await);
    assert!(
        deliveries(&app, "sms")
            .await
            .iter()
            .all(|d| d.resident_id != aunt.id || d.status != "pending")
    );
}

#[tokio::test]
async fn a_dead_gateway_is_tried_to_the_limit_and_dead_lettered_while_push_still_goes() {
    // Nothing listens there.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (vapid, _) = Vapid::generate();
    let app = spawn_app_with(|s| {
        s.notifications.webhook_url = Some(format!("http://{dead}/sms"));
        s.notifications.webhook_secret = Some(linli::config::Secret::new(WEBHOOK_SECRET));
        s.notifications.vapid_private_key = Some(linli::config::Secret::new(vapid));
    })
    .await;
    let admin_r = app.admin("13800000000", "會長").await;
    let mut admin = Phone::new(&app, &admin_r);
    let r = app.resident("13900000001", "王阿姨").await;
    let (b, endpoint) = browser(false).await;
    assert_eq!(subscribe(&app, &r, &b, &endpoint).await.status(), 200);
    let mut p = Phone::new(&app, &r);
    p.mutate(
        "notifications.configure",
        json!({"push": true, "sms": true}),
    );
    assert_all_applied(&p.push().await);
    admin.mutate(
        "announcement.post",
        json!({"id": Uuid::now_v7(), "title": "停電", "body": "明天停電。", "importance": "urgent"}),
    );
    assert_all_applied(&admin.push().await);
    // The push goes at once, whatever the gateway does.
    eventually("the push", || async {
        b.received.lock().unwrap().first().cloned()
    })
    .await;
    // The text is tried, waits its backoff (the server's clock is moved past each), and
    // is dead after the last attempt.
    for attempt in 1..=linli::features::notifications::rules::MAX_ATTEMPTS {
        let d = eventually(&format!("attempt {attempt}"), || async {
            let d = deliveries(&app, "sms").await.pop()?;
            (d.attempts == attempt).then_some(d)
        })
        .await;
        if attempt < linli::features::notifications::rules::MAX_ATTEMPTS {
            assert_eq!(d.status, "pending");
            app.sync
                .clock
                .advance(d.next_attempt_at - app.sync.clock.wall() + Duration::seconds(1));
        } else {
            assert_eq!(d.status, "dead");
            assert!(d.last_error.contains("did not answer"), "{}", d.last_error);
        }
    }
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains(r#"notifications_deliveries_total{channel="sms",outcome="dead"}"#));
}

#[tokio::test]
async fn reminders_go_a_day_and_two_hours_before_once_each_with_cant_come_in_one_step() {
    let app = spawn_app_with(|_| {}).await;
    let admin_r = app.admin("13800000000", "會長").await;
    let mut admin = Phone::new(&app, &admin_r);
    let leader = app.resident("13700000000", "孫老師").await;
    let (series, occ, start) = session(&app, &mut admin, &leader, 3, 10).await;
    let (aunt, uncle) = (
        app.resident("13900000001", "王阿姨").await,
        app.resident("13900000002", "李叔").await,
    );
    let mut phones = vec![];
    for who in [&aunt, &uncle] {
        let mut p = Phone::new(&app, who);
        p.mutate(
            "signup.request",
            json!({"occurrence_id": occ, "series_id": series, "original_start": start}),
        );
        assert_eq!(
            p.push().await["results"][0]["data"]["data"]["status"],
            "confirmed"
        );
        phones.push(p);
    }
    // A day before (23 hours before the start), each has one reminder.
    app.sync
        .clock
        .advance(start - Duration::hours(23) - app.sync.clock.wall());
    let day = eventually("the day's reminder", || async {
        let i = inbox(&app, &aunt).await;
        (!i.is_empty()).then_some(i)
    })
    .await;
    assert_eq!(kinds(&day), ["reminder"]);
    assert_eq!(day[0]["title"], "明天：書法與國畫");
    let body = day[0]["body"].as_str().unwrap();
    assert!(
        body.contains("09:30") && body.contains("活動中心二樓") && body.contains("13700000000"),
        "when, where and whom to call: {body}"
    );
    // Looking again writes nothing new.
    app.sync.clock.advance(Duration::minutes(5));
    eventually("李叔's reminder", || async {
        (inbox(&app, &uncle).await.len() == 1).then_some(())
    })
    .await;
    assert_eq!(inbox(&app, &aunt).await.len(), 1);

    // 王阿姨 answers "can't come" in one step, with what the reminder carries.
    let cant = day[0]["cant_come"].clone();
    phones[0].mutate("signup.cancel", cant);
    let out = phones[0].push().await;
    assert_eq!(
        out["results"][0]["data"]["data"]["status"], "cancelled",
        "{out}"
    );

    // Two hours before: only 李叔, still coming, is reminded again; the phone's feed has it.
    app.sync
        .clock
        .advance(start - Duration::minutes(90) - app.sync.clock.wall());
    let two = eventually("the two hours' reminder", || async {
        let i = inbox(&app, &uncle).await;
        (i.len() == 2).then_some(i)
    })
    .await;
    assert!(
        two[0]["title"].as_str().unwrap().starts_with("兩小時後"),
        "{}",
        two[0]
    );
    phones[1].pull().await;
    assert_eq!(phones[1].count("notification"), 2);
    assert_eq!(inbox(&app, &aunt).await.len(), 1);

    // Read from the phone: the feed and the inbox say so.
    let ids: Vec<Value> = two.iter().map(|n| n["id"].clone()).collect();
    phones[1].mutate("notification.read", json!({"notification_ids": ids}));
    assert_all_applied(&phones[1].push().await);
    let unread = app
        .get(
            "/api/v1/notifications?unread=true",
            Some(&uncle.access_token),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(unread.as_array().unwrap().len(), 0);
    // Another resident's notification is not one's to read.
    phones[0].mutate("notification.read", json!({"notification_ids": [ids[0]]}));
    assert_eq!(phones[0].push().await["results"][0]["code"], "not_found");
}
