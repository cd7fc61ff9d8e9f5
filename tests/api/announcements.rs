//! Announcements over HTTP: an urgent notice reaching its building's residents (and the
//! holders over it) and nobody else, through the sync feed and every REST read; each
//! refusal with its code; read receipts made once from two phones; the leader's list of
//! whose door to knock on (the resident without a phone first among them), bounded by the
//! roll each holder keeps; a normal notice counted, never named; a group's notice for its
//! members; withdrawing; and the resident's export and account deletion.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::elections::householder;
use crate::helpers::{Resident, assert_problem};
use crate::phone::assert_all_applied;
use crate::territory::{Village, applied, refused};

fn notice(unit: Option<Uuid>, title: &str, importance: &str) -> (Uuid, Value) {
    let id = Uuid::now_v7();
    (
        id,
        json!({"id": id, "unit_id": unit, "title": title, "body": "明天8:00至12:00停水，請提前儲水。",
               "importance": importance,
               "pinned_until": (Utc::now() + Duration::days(2)).to_rfc3339()}),
    )
}

async fn get(v: &Village, who: &Resident, path: &str) -> reqwest::Response {
    v.app.get(path, Some(&who.access_token)).await
}

async fn get_json(v: &Village, who: &Resident, path: &str) -> Value {
    let resp = get(v, who, path).await;
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

/// Whether `who`'s phone, synced from nothing, holds announcement `id`; and whether their
/// board lists it.
async fn sees(v: &Village, who: &Resident, id: Uuid) -> (bool, bool) {
    let mut phone = v.phone(who);
    phone.pull().await;
    let board = get_json(v, who, "/api/v1/announcements").await;
    let listed = board["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == json!(id));
    (phone.get("announcement", id).is_some(), listed)
}

fn names(readers: &Value) -> Vec<String> {
    readers["unread"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_urgent_notice_reaches_its_building_and_its_leader_sees_whose_door_to_knock_on() {
    let v = Village::new().await;
    let wang = householder(&v, "13610000001", "王阿姨", v.h1).await;
    let li = householder(&v, "13610000002", "李叔", v.h1b).await;
    let neighbour = householder(&v, "13610000003", "二號樓鄰居", v.h2).await;
    // 孫奶奶 has no phone: the building leader keeps her on the roll.
    applied(
        &mut v.phone(&v.building_leader),
        "residency.record",
        json!({"id": Uuid::now_v7(), "household_id": v.h1, "relation": "owner", "name": "孫奶奶", "born": "1941"}),
    )
    .await;

    // Who may post where.
    let mut leader = v.phone(&v.building_leader);
    let (id, water) = notice(Some(v.b1), "停水通知", "urgent");
    for (who, code) in [
        (&wang, "forbidden"),
        (&v.other_building_leader, "forbidden"),
        (&v.grid_worker, "forbidden"),
        (&v.mediator, "forbidden"),
    ] {
        refused(&mut v.phone(who), "announcement.post", water.clone(), code).await;
    }
    let mut both = water.clone();
    both["group_id"] = json!(Uuid::now_v7());
    refused(&mut leader, "announcement.post", both, "validation_failed").await;
    let mut past = water.clone();
    past["pinned_until"] = json!((Utc::now() - Duration::hours(1)).to_rfc3339());
    refused(&mut leader, "announcement.post", past, "validation_failed").await;
    let mut nowhere = water.clone();
    nowhere["unit_id"] = json!(Uuid::now_v7());
    refused(&mut leader, "announcement.post", nowhere, "not_found").await;
    let r = applied(&mut leader, "announcement.post", water.clone()).await;
    assert_eq!(r["data"]["data"]["author_position"], "building_leader");
    assert_eq!(r["data"]["data"]["importance"], "urgent");
    // Sent again (a retry from another of the committee's phones): applied once.
    applied(&mut v.phone(&v.building_leader), "announcement.post", water).await;

    // Building 1's residents and the holders over it see it; building 2 does not, through
    // the feed or the board; and a read of it is answered as if it did not exist.
    for (who, expected) in [
        (&wang, true),
        (&li, true),
        (&v.area_leader, true),
        (&v.branch_president, true),
        (&v.president, true),
        (&neighbour, false),
        (&v.other_building_leader, false),
    ] {
        assert_eq!(
            sees(&v, who, id).await,
            (expected, expected),
            "{}",
            who.phone
        );
    }
    let readers = format!("/api/v1/announcements/{id}/readers");
    assert_problem(get(&v, &neighbour, &readers).await, 404, "not_found").await;
    // A resident who sees it is not told who else read it.
    assert_problem(get(&v, &li, &readers).await, 403, "forbidden").await;

    // 王阿姨 reads it on two phones: one receipt, on both.
    let mut phone = v.phone(&wang);
    let mut tablet = phone.second_device();
    applied(
        &mut phone,
        "announcement.read",
        json!({"announcement_id": id}),
    )
    .await;
    applied(
        &mut tablet,
        "announcement.read",
        json!({"announcement_id": id}),
    )
    .await;
    tablet.pull().await;
    assert_eq!(tablet.count("announcement_read"), 1);
    let board = get_json(&v, &wang, "/api/v1/announcements").await;
    assert_eq!(board["read"], json!([id]));
    // Nobody reads what they cannot see.
    refused(
        &mut v.phone(&neighbour),
        "announcement.read",
        json!({"announcement_id": id}),
        "not_found",
    )
    .await;

    // The leader knocks on the doors of those who have not read it: 李叔 in 501 and 孫奶奶
    // (no phone) in 302, by entrance, floor and room.
    let r = get_json(&v, &v.building_leader, &readers).await;
    assert_eq!(
        (r["audience"].as_u64(), r["read"].as_u64()),
        (Some(3), Some(1)),
        "{r}"
    );
    assert_eq!(r["names_shown"], true);
    assert_eq!(names(&r), ["孫奶奶", "李叔"], "{r}");
    assert_eq!(r["unread"][0]["has_account"], false);
    assert_eq!(r["unread"][0]["room"], "302");
    assert_eq!(r["unread"][1]["room"], "501");
    assert_eq!(r["buildings"][0]["name"], "1號樓");
    // The area leader and the president are over it; the grid worker keeps building 1's
    // roll, and is answered for it though the notice is not on their phone.
    for who in [&v.grid_worker, &v.area_leader, &v.president] {
        assert_eq!(
            names(&get_json(&v, who, &readers).await),
            ["孫奶奶", "李叔"]
        );
    }
    let r = get_json(&v, &v.building_leader, &format!("{readers}?limit=1")).await;
    assert_eq!((names(&r).len(), r["unread_count"].as_u64()), (1, Some(2)));

    // A community-wide urgent notice: each building leader sees their own building's.
    let (all, storm) = notice(None, "暴雨預警", "urgent");
    refused(
        &mut v.phone(&v.branch_president),
        "announcement.post",
        storm.clone(),
        "forbidden",
    )
    .await;
    applied(&mut v.phone(&v.president), "announcement.post", storm).await;
    let all_readers = format!("/api/v1/announcements/{all}/readers");
    let r = get_json(&v, &v.building_leader, &all_readers).await;
    assert_eq!(r["audience"].as_u64(), Some(3), "{r}");
    assert_eq!(names(&r), ["孫奶奶", "王阿姨", "李叔"]);
    let r = get_json(&v, &v.other_building_leader, &all_readers).await;
    assert_eq!(names(&r), ["二號樓鄰居"], "{r}");
    let r = get_json(&v, &v.president, &all_readers).await;
    assert_eq!(r["audience"].as_u64(), Some(4), "{r}");
    assert_eq!(r["buildings"].as_array().unwrap().len(), 2);
    let r = get_json(
        &v,
        &v.president,
        &format!("{all_readers}?building_id={}", v.b2),
    )
    .await;
    assert_eq!(names(&r), ["二號樓鄰居"]);
    assert_problem(get(&v, &wang, &all_readers).await, 403, "forbidden").await;

    // A normal notice: how many read it, never who.
    let (plain, mut args) = notice(Some(v.b1), "樓道粉刷", "normal");
    args["pinned_until"] = Value::Null;
    applied(&mut v.phone(&v.building_leader), "announcement.post", args).await;
    applied(
        &mut v.phone(&li),
        "announcement.read",
        json!({"announcement_id": plain}),
    )
    .await;
    let r = get_json(
        &v,
        &v.building_leader,
        &format!("/api/v1/announcements/{plain}/readers"),
    )
    .await;
    assert_eq!(
        (r["read"].as_u64(), r["unread_count"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        (r["names_shown"].clone(), names(&r).len()),
        (json!(false), 0)
    );

    // Pinned first: the water notice and the storm warning (pinned, newest first) before
    // the plain one, which is not.
    let board = get_json(&v, &wang, "/api/v1/announcements").await;
    let order: Vec<&Value> = board["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(order, [&json!(all), &json!(id), &json!(plain)]);

    // Withdrawn by the committee above it (not by a resident): it leaves a phone at the
    // head.
    let mut li_phone = v.phone(&li);
    li_phone.pull().await;
    assert!(li_phone.get("announcement", id).is_some());
    refused(
        &mut v.phone(&li),
        "announcement.withdraw",
        json!({"announcement_id": id}),
        "forbidden",
    )
    .await;
    applied(
        &mut v.phone(&v.area_leader),
        "announcement.withdraw",
        json!({"announcement_id": id}),
    )
    .await;
    li_phone.pull().await;
    assert!(li_phone.get("announcement", id).is_none());
    assert_eq!(sees(&v, &li, id).await, (false, false));
}

#[tokio::test]
async fn a_groups_notice_is_for_its_members_and_a_deleted_account_leaves_no_receipt() {
    let v = Village::new().await;
    let admin = v.admin().await;
    let (leader, member, outsider) = (
        v.app.resident("13610000011", "合唱隊長").await,
        v.app.resident("13610000012", "合唱隊員").await,
        v.app.resident("13610000013", "路人").await,
    );
    let group = Uuid::now_v7();
    let mut a = v.phone(&admin);
    a.mutate(
        "group.create",
        json!({"id": group, "name": "合唱團", "is_open": true}),
    );
    a.mutate(
        "member.set_role",
        json!({"group_id": group, "resident_id": leader.id, "role": "leader"}),
    );
    assert_all_applied(&a.push().await);
    applied(
        &mut v.phone(&member),
        "group.join",
        json!({"group_id": group}),
    )
    .await;

    let id = Uuid::now_v7();
    let args = json!({"id": id, "group_id": group, "title": "週二排練改到活動室",
                      "body": "本週二排練改在二樓活動室。", "importance": "urgent"});
    refused(
        &mut v.phone(&member),
        "announcement.post",
        args.clone(),
        "forbidden",
    )
    .await;
    refused(
        &mut v.phone(&v.building_leader),
        "announcement.post",
        args.clone(),
        "forbidden",
    )
    .await;
    let r = applied(&mut v.phone(&leader), "announcement.post", args).await;
    assert_eq!(r["data"]["data"]["group_id"], json!(group));
    assert_eq!(sees(&v, &member, id).await, (true, true));
    assert_eq!(sees(&v, &outsider, id).await, (false, false));

    // Joining the group brings its notice to a phone already at the head.
    let mut late = v.phone(&outsider);
    late.pull().await;
    applied(&mut late, "group.join", json!({"group_id": group})).await;
    late.pull().await;
    assert!(late.get("announcement", id).is_some());

    applied(
        &mut v.phone(&member),
        "announcement.read",
        json!({"announcement_id": id}),
    )
    .await;
    let readers = format!("/api/v1/announcements/{id}/readers");
    let r = get_json(&v, &leader, &readers).await;
    assert_eq!(
        (r["audience"].as_u64(), r["read"].as_u64()),
        (Some(3), Some(1)),
        "{r}"
    );
    assert_eq!(names(&r), ["合唱隊長", "路人"]);
    assert!(
        r["unread"][0]["room"].is_null(),
        "a group's leader is told no flat: {r}"
    );
    assert_problem(get(&v, &member, &readers).await, 403, "forbidden").await;

    // The member's export holds the receipt; deleting the account takes it away.
    let export = get_json(&v, &member, "/api/v1/me/export").await;
    assert_eq!(
        export["announcements"]["read"][0]["announcement_id"],
        json!(id)
    );
    let leader_export = get_json(&v, &leader, "/api/v1/me/export").await;
    assert_eq!(leader_export["announcements"]["posted"][0]["id"], json!(id));
    let resp = v
        .app
        .client
        .post(v.app.url("/api/v1/me/delete"))
        .bearer_auth(&member.access_token)
        .json(&json!({"password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let r = get_json(&v, &leader, &readers).await;
    assert_eq!(r["read"].as_u64(), Some(0), "{r}");
}
