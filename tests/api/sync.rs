//! The sync protocol's guarantees, each over real HTTP.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, assert_problem, session, spawn_app};
use crate::phone::{Phone, assert_all_applied};

fn group_args(id: Uuid, name: &str) -> Value {
    json!({"id": id, "name": name, "description": "每週二、四上午", "venue": "活動室", "is_open": true})
}

fn series_args(id: Uuid, group: Uuid, title: &str) -> Value {
    json!({"id": id, "group_id": group, "title": title, "start_local": "2026-12-01T09:30", "duration_minutes": 90, "capacity": 40})
}

/// An admin's phone that has created a group with one series, synced.
async fn committee(app: &TestApp) -> (Phone, Uuid, Uuid) {
    let admin = app.admin("13800000000", "會長").await;
    let mut phone = Phone::new(app, &admin);
    let (group, series) = (Uuid::now_v7(), Uuid::now_v7());
    phone.mutate("group.create", group_args(group, "書畫社"));
    phone.mutate("series.create", series_args(series, group, "書法練習"));
    let out = phone.push().await;
    assert_all_applied(&out);
    phone.pull().await;
    (phone, group, series)
}

fn statuses(out: &Value) -> Vec<String> {
    out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| match r["code"].as_str() {
            Some(code) => format!("{}:{code}", r["status"].as_str().unwrap()),
            None => r["status"].as_str().unwrap().to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn a_pushed_group_and_series_reach_every_phone_in_the_community() {
    let app = spawn_app().await;
    let (_admin, group, series) = committee(&app).await;
    let resident = app.resident("13812345678", "王阿姨").await;
    let mut phone = Phone::new(&app, &resident);

    phone.pull().await;

    assert_eq!(phone.get("group", group).unwrap()["name"], "書畫社");
    let s = phone.get("series", series).unwrap();
    assert_eq!(s["title"], "書法練習");
    assert_eq!(s["capacity"], 40);
    assert_eq!(s["group_id"], group.to_string());
}

#[tokio::test]
async fn a_resent_batch_gets_the_same_results_and_is_not_applied_twice() {
    let app = spawn_app().await;
    let admin = app.admin("13800000000", "會長").await;
    let mut phone = Phone::new(&app, &admin);
    let group = Uuid::now_v7();
    phone.mutate("group.create", group_args(group, "合唱團"));
    phone.mutate("group.update", json!({"id": group, "name": "夕陽紅合唱團"}));
    phone.mutate("group.create", json!({"id": Uuid::now_v7(), "name": ""}));
    let batch =
        json!({"client_id": phone.client_id, "schema_version": 1, "mutations": phone.queue});
    let first: Value = phone.push_raw(&batch).await.json().await.unwrap();
    phone.pull().await;

    // The response was lost on the bus; the phone sends the same batch again.
    let second: Value = phone.push_raw(&batch).await.json().await.unwrap();

    assert_eq!(first["results"], second["results"]);
    assert_eq!(second["last_mutation_id"], 3);
    assert_eq!(
        statuses(&second),
        ["applied", "applied", "rejected:validation_failed"]
    );
    assert!(
        phone.pull().await.is_empty(),
        "nothing changed on the server"
    );
}

#[tokio::test]
async fn a_gap_in_mutation_ids_is_refused_with_the_expected_id() {
    let app = spawn_app().await;
    let admin = app.admin("13800000000", "會長").await;
    let mut phone = Phone::new(&app, &admin);
    phone.mutate("group.create", group_args(Uuid::now_v7(), "合唱團"));
    phone.push().await;

    let hlc = phone.tick();
    let resp = phone
        .push_raw(&json!({"client_id": phone.client_id, "schema_version": 1, "mutations": [
            {"id": 3, "hlc": hlc, "name": "group.create", "args": group_args(Uuid::now_v7(), "舞蹈隊")}
        ]}))
        .await;

    let problem = assert_problem(resp, 409, "mutation_gap").await;
    assert_eq!(problem["expected_mutation_id"], 2);
    assert_eq!(
        phone.pull().await.len(),
        1,
        "the refused mutation left nothing behind"
    );
}

#[tokio::test]
async fn a_client_id_belongs_to_the_resident_who_used_it_first() {
    let app = spawn_app().await;
    let (admin_phone, _, _) = committee(&app).await;
    let other = app.resident("13812345678", "王阿姨").await;
    let mut thief = Phone::new(&app, &other);
    thief.client_id = admin_phone.client_id;

    let push = thief
        .push_raw(&json!({"client_id": thief.client_id, "schema_version": 1, "mutations": []}))
        .await;
    assert_problem(push, 403, "client_not_owned").await;
    assert_problem(thief.pull_raw(None, None).await, 403, "client_not_owned").await;
}

#[tokio::test]
async fn mutations_that_can_never_succeed_are_acknowledged_not_retried() {
    let app = spawn_app().await;
    let (mut admin, group, series) = committee(&app).await;
    admin.mutate("series.delete", json!({"id": series}));
    admin.push().await;
    let resident = app.resident("13812345678", "王阿姨").await;
    let mut phone = Phone::new(&app, &resident);

    phone.mutate_with_hlc("group.join", json!({"group_id": group}), "last tuesday");
    phone.mutate("group.create", group_args(Uuid::now_v7(), "私人團"));
    phone.mutate("series.update", json!({"id": series, "title": "新標題"}));
    phone.mutate("group.update", json!({"id": Uuid::now_v7(), "name": "無"}));
    phone.mutate("group.join", json!({"group_id": group}));
    let out = phone.push().await;

    assert_eq!(
        statuses(&out),
        [
            "rejected:invalid_mutation",
            "rejected:forbidden",
            "rejected:forbidden",
            "rejected:not_found",
            "applied",
        ]
    );
    assert_eq!(out["last_mutation_id"], 5);
    assert!(phone.queue.is_empty(), "every mutation was acknowledged");
    for r in out["results"].as_array().unwrap() {
        if r["status"] == "rejected" {
            assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
        }
    }
    // A rejected edit of a deleted object carries the tombstone (for an admin: the state now).
    admin.mutate("series.update", json!({"id": series, "title": "新標題"}));
    let out = admin.push().await;
    assert_eq!(statuses(&out), ["rejected:deleted"]);
    assert_eq!(
        out["results"][0]["data"],
        json!({"entity": "series", "id": series, "op": "delete"})
    );
}

#[tokio::test]
async fn a_mutation_the_schema_does_not_allow_is_named_and_nothing_is_applied() {
    let app = spawn_app().await;
    let (mut admin, group, _) = committee(&app).await;
    let ok = admin.mutate("group.update", json!({"id": group, "venue": "活動中心"}));
    let bad = admin.mutate("poster.print", json!({}));
    let problem = assert_problem(admin.push_queue_raw().await, 400, "invalid_mutation").await;
    assert_eq!(problem["mutation_id"], bad, "{problem}");
    assert_eq!(problem["field"], "mutations/1", "{problem}");

    // Nothing was applied: the readable edit before it is still unacknowledged.
    admin.pull().await;
    assert_ne!(admin.get("group", group).unwrap()["venue"], "活動中心");
    // A wrong shape inside known mutations is named the same way.
    admin.queue.retain(|m| m["id"] != bad);
    let bad = admin.mutate("group.update", json!({"id": "not-a-uuid"}));
    let problem = assert_problem(admin.push_queue_raw().await, 400, "invalid_mutation").await;
    assert_eq!(problem["mutation_id"], bad, "{problem}");

    // The app drops what it cannot send and renumbers the rest (none of it was
    // acknowledged, so the ids are still free); then everything goes through.
    admin.queue.truncate(1);
    admin.next_id = ok + 1;
    let out = admin.push().await;
    assert_eq!(statuses(&out), ["applied"]);
    admin.pull().await;
    assert_eq!(admin.get("group", group).unwrap()["venue"], "活動中心");
}

#[tokio::test]
async fn a_phone_at_the_head_hears_of_every_change_at_once() {
    let app = spawn_app().await;
    let (mut admin, group, series) = committee(&app).await;
    let neighbour = app.resident("13812345678", "王阿姨").await;
    let mut phone = Phone::new(&app, &neighbour);
    phone.mutate("group.join", json!({"group_id": group}));
    phone.push().await;
    // At the head, and asked again: "anything new?" is answered from memory now.
    phone.pull().await;
    assert!(phone.pull().await.is_empty());
    assert!(phone.pull().await.is_empty());

    // A neighbour's edit is there on the very next pull.
    admin.mutate(
        "series.update",
        json!({"id": series, "title": "書法與國畫"}),
    );
    admin.push().await;
    let changes = phone.pull().await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(phone.get("series", series).unwrap()["title"], "書法與國畫");
    assert!(phone.pull().await.is_empty());

    // So is a new role, with what it lets the phone see (the group's memberships).
    admin.mutate(
        "member.set_role",
        json!({"group_id": group, "resident_id": neighbour.id, "role": "leader"}),
    );
    admin.push().await;
    phone.pull().await;
    assert_eq!(phone.count("membership"), 1);
    assert_eq!(
        phone
            .replica
            .values()
            .find(|v| v["group_id"] == group.to_string() && v.get("role").is_some())
            .unwrap()["role"],
        "leader"
    );
}

#[tokio::test]
async fn offline_edits_to_different_fields_both_survive() {
    let app = spawn_app().await;
    let (mut a, _, series) = committee(&app).await;
    let mut b = a.second_device();

    a.mutate(
        "series.update",
        json!({"id": series, "title": "書法與國畫"}),
    );
    b.mutate(
        "series.update",
        json!({"id": series, "location": "老年大學二樓"}),
    );
    a.push().await;
    b.push().await;
    a.pull().await;
    b.pull().await;

    for phone in [&a, &b] {
        let s = phone.get("series", series).unwrap();
        assert_eq!(
            (s["title"].as_str(), s["location"].as_str()),
            (Some("書法與國畫"), Some("老年大學二樓"))
        );
    }
}

#[tokio::test]
async fn the_later_edit_of_a_field_wins_whatever_order_the_pushes_arrive_in() {
    let app = spawn_app().await;
    let (mut a, _, series) = committee(&app).await;
    let mut b = a.second_device();

    a.mutate("series.update", json!({"id": series, "title": "early"}));
    tokio::task::yield_now().await;
    b.skew_ms = 5; // b's edit is later on any clock
    b.mutate("series.update", json!({"id": series, "title": "late"}));
    // The later edit reaches the server first.
    b.push().await;
    let out = a.push().await;
    a.pull().await;
    b.pull().await;

    assert_eq!(
        statuses(&out),
        ["applied"],
        "a losing edit is still applied, not rejected"
    );
    assert_eq!(a.get("series", series).unwrap()["title"], "late");
    assert_eq!(b.get("series", series).unwrap()["title"], "late");
}

#[tokio::test]
async fn a_phone_hours_fast_still_syncs_but_cannot_win_forever() {
    let app = spawn_app().await;
    let (mut honest, _, series) = committee(&app).await;
    let mut fast = honest.second_device();
    fast.skew_ms = 3 * 3600 * 1000;

    fast.mutate(
        "series.update",
        json!({"id": series, "title": "from the fast phone"}),
    );
    let out = fast.push().await;
    assert_eq!(statuses(&out), ["applied:clock_adjusted"]);

    // A correct phone edits the same field afterwards: it wins, though its clock is hours
    // "behind" the fast phone's.
    honest.mutate(
        "series.update",
        json!({"id": series, "title": "from the honest phone"}),
    );
    honest.push().await;
    honest.pull().await;
    fast.pull().await;
    assert_eq!(
        honest.get("series", series).unwrap()["title"],
        "from the honest phone"
    );
    assert_eq!(
        fast.get("series", series).unwrap()["title"],
        "from the honest phone"
    );
}

#[tokio::test]
async fn delete_wins_over_a_concurrent_edit_in_either_order() {
    let app = spawn_app().await;
    let (mut a, group, _) = committee(&app).await;
    let mut b = a.second_device();
    let (s1, s2) = (Uuid::now_v7(), Uuid::now_v7());
    a.mutate("series.create", series_args(s1, group, "週三合唱"));
    a.mutate("series.create", series_args(s2, group, "週五合唱"));
    a.sync().await;
    b.pull().await;

    // s1: the delete arrives first, the (later) edit second.
    a.mutate("series.delete", json!({"id": s1}));
    b.skew_ms = 1000;
    b.mutate("series.update", json!({"id": s1, "title": "edited after"}));
    a.push().await;
    let edit = b.push().await;
    assert_eq!(statuses(&edit), ["rejected:deleted"]);
    // s2: the edit arrives first, the delete second.
    b.mutate("series.update", json!({"id": s2, "title": "edited before"}));
    b.push().await;
    a.mutate("series.delete", json!({"id": s2}));
    a.push().await;

    let mut fresh = Phone::new(&app, &app.resident("13812345678", "王阿姨").await);
    for phone in [&mut a, &mut b, &mut fresh] {
        phone.pull().await;
        assert!(phone.get("series", s1).is_none());
        assert!(phone.get("series", s2).is_none());
    }
}

#[tokio::test]
async fn deletes_reach_phones_as_tombstones_and_take_the_groups_series_along() {
    let app = spawn_app().await;
    let (mut admin, group, series) = committee(&app).await;
    let mut phone = Phone::new(&app, &app.resident("13812345678", "王阿姨").await);
    phone.pull().await;
    assert!(phone.get("series", series).is_some());

    admin.mutate("group.delete", json!({"id": group}));
    admin.push().await;
    let changes = phone.pull().await;

    let ops: Vec<(String, String)> = changes
        .iter()
        .map(|c| {
            (
                c["entity"].as_str().unwrap().to_owned(),
                c["op"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(ops.contains(&("group".into(), "delete".into())), "{ops:?}");
    assert!(ops.contains(&("series".into(), "delete".into())), "{ops:?}");
    assert_eq!(phone.count("group") + phone.count("series"), 0);
    // A series cannot be added to the deleted group, nor the group revived by a create.
    admin.mutate(
        "series.create",
        series_args(Uuid::now_v7(), group, "遲到的"),
    );
    admin.mutate("group.create", group_args(group, "復活"));
    assert_eq!(
        statuses(&admin.push().await),
        ["rejected:deleted", "rejected:deleted"]
    );
}

/// New phones share the community's public rows, encoded once at the head; each first sync
/// must still get exactly what is there now, however the rows changed since they were first
/// read, and a sync the head moves under must still end at the head.
#[tokio::test]
async fn every_new_phone_gets_the_public_rows_as_they_are_now() {
    let app = spawn_app().await;
    let (mut admin, choir, series) = committee(&app).await;
    let dance = Uuid::now_v7();
    admin.mutate("group.create", group_args(dance, "舞蹈隊"));
    admin.push().await;
    let mut first = Phone::new(&app, &app.resident("13812345678", "王阿姨").await);
    first.pull().await;
    assert_eq!((first.count("group"), first.count("series")), (2, 1));

    // The shared rows are now behind: one renamed, one deleted (its series with it), one new.
    let fitness = Uuid::now_v7();
    admin.mutate("group.update", json!({"id": dance, "name": "廣場舞隊"}));
    admin.mutate("group.delete", json!({"id": choir}));
    admin.mutate("group.create", group_args(fitness, "健身隊"));
    admin.push().await;
    let mut second = Phone::new(&app, &app.resident("13812345679", "李伯伯").await);
    second.pull().await;
    assert_eq!(second.get("group", dance).unwrap()["name"], "廣場舞隊");
    assert!(second.get("group", choir).is_none());
    assert!(second.get("series", series).is_none());
    assert!(second.get("group", fitness).is_some());
    assert_eq!(second.replica.len(), 2, "{:?}", second.replica.keys());

    // A first sync in pages, with an edit and a delete landing between its pages.
    let mut third = Phone::new(&app, &app.resident("13812345670", "張奶奶").await);
    let page = third.pull_page(Some(1)).await;
    assert_eq!(page["has_more"], true);
    admin.mutate("group.update", json!({"id": fitness, "name": "太極隊"}));
    admin.mutate("group.delete", json!({"id": dance}));
    admin.push().await;
    third.pull().await;
    assert_eq!(third.get("group", fitness).unwrap()["name"], "太極隊");
    assert!(third.get("group", dance).is_none());

    first.pull().await;
    second.pull().await;
    let mut fourth = Phone::new(&app, &app.resident("13812345671", "趙叔叔").await);
    fourth.pull().await;
    assert_eq!(first.replica, second.replica);
    assert_eq!(first.replica, third.replica);
    assert_eq!(first.replica, fourth.replica);
    assert_eq!(first.replica.len(), 1);
}

#[tokio::test]
async fn memberships_are_private_to_the_member_the_leaders_and_the_admins() {
    let app = spawn_app().await;
    let (mut admin, group, _) = committee(&app).await;
    let wang = app.resident("13812345678", "王阿姨").await;
    let li = app.resident("13912345678", "李伯伯").await;
    let mut wang_phone = Phone::new(&app, &wang);
    let mut li_phone = Phone::new(&app, &li);
    wang_phone.mutate("group.join", json!({"group_id": group}));
    li_phone.mutate("group.join", json!({"group_id": group}));
    wang_phone.sync().await;
    li_phone.sync().await;
    wang_phone.pull().await;

    assert_eq!(
        wang_phone.count("membership"),
        1,
        "王阿姨 sees only her own membership"
    );
    admin.pull().await;
    assert_eq!(
        admin.count("membership"),
        2,
        "the admin sees every membership"
    );

    // 王阿姨 becomes the group's leader: her next pull brings the roster.
    admin.mutate(
        "member.set_role",
        json!({"group_id": group, "resident_id": wang.id, "role": "leader"}),
    );
    admin.push().await;
    wang_phone.pull().await;
    assert_eq!(wang_phone.count("membership"), 2);
    let li_membership = wang_phone
        .replica
        .iter()
        .find(|((e, _), v)| e == "membership" && v["resident_id"] == li.id.to_string())
        .map(|(_, v)| v.clone())
        .expect("李伯伯's membership is visible to the leader");
    assert_eq!(li_membership["display_name"], "李伯伯");
    assert_eq!(li_membership["role"], "member");

    // Stepping down shrinks her scope again: the roster is deleted from her phone.
    admin.mutate(
        "member.set_role",
        json!({"group_id": group, "resident_id": wang.id, "role": "member"}),
    );
    admin.push().await;
    wang_phone.pull().await;
    assert_eq!(wang_phone.count("membership"), 1);
    // And 李伯伯 never saw 王阿姨's membership.
    li_phone.pull().await;
    assert_eq!(li_phone.count("membership"), 1);
}

#[tokio::test]
async fn a_removed_leader_who_rejoins_is_a_plain_member() {
    let app = spawn_app().await;
    let (mut admin, group, _) = committee(&app).await;
    let leader = app.resident("13812345678", "王阿姨").await;
    let mut leader_phone = Phone::new(&app, &leader);
    admin.mutate(
        "member.set_role",
        json!({"group_id": group, "resident_id": leader.id, "role": "leader"}),
    );
    admin.push().await;
    let roster = format!("/api/v1/groups/{group}/roster");
    assert_eq!(
        app.get(&roster, Some(&leader_phone.token)).await.status(),
        200
    );

    // Removed by the admin, she joins again by herself: the open group lets her in, as a member.
    admin.mutate(
        "group.leave",
        json!({"group_id": group, "resident_id": leader.id}),
    );
    admin.push().await;
    leader_phone.mutate("group.join", json!({"group_id": group}));
    let out = leader_phone.push().await;
    assert_eq!(out["results"][0]["status"], "applied", "{out}");
    assert_eq!(out["results"][0]["data"]["data"]["role"], "member", "{out}");
    let resp = app.get(&roster, Some(&leader_phone.token)).await;
    assert_problem(resp, 403, "forbidden").await;
    // Nor does her phone get the roster any more.
    leader_phone.pull().await;
    assert_eq!(leader_phone.count("membership"), 1);
}

#[tokio::test]
async fn join_and_leave_from_two_phones_converge_and_rejoining_works() {
    let app = spawn_app().await;
    let (_admin, group, _) = committee(&app).await;
    let wang = app.resident("13812345678", "王阿姨").await;
    let mut tablet = Phone::new(&app, &wang);
    let mut mobile = Phone::new(&app, &wang);

    // Both of her devices join offline: one membership.
    tablet.mutate("group.join", json!({"group_id": group}));
    mobile.mutate("group.join", json!({"group_id": group}));
    tablet.sync().await;
    mobile.sync().await;
    tablet.pull().await;
    assert_eq!(
        (tablet.count("membership"), mobile.count("membership")),
        (1, 1)
    );

    // She leaves on the tablet; an older join from the mobile arrives later and loses.
    tablet.mutate("group.leave", json!({"group_id": group}));
    mobile.skew_ms = -60_000;
    mobile.mutate("group.join", json!({"group_id": group}));
    tablet.push().await;
    mobile.push().await;
    tablet.pull().await;
    mobile.pull().await;
    assert_eq!(
        (tablet.count("membership"), mobile.count("membership")),
        (0, 0)
    );

    // Joining again later revives the same membership.
    mobile.skew_ms = 0;
    mobile.mutate("group.join", json!({"group_id": group}));
    mobile.push().await;
    tablet.pull().await;
    assert_eq!(tablet.count("membership"), 1);
}

#[tokio::test]
async fn pulls_page_through_everything_with_has_more() {
    let app = spawn_app().await;
    let admin = app.admin("13800000000", "會長").await;
    let mut phone = Phone::new(&app, &admin);
    let ids: Vec<Uuid> = (0..7).map(|_| Uuid::now_v7()).collect();
    for (i, id) in ids.iter().enumerate() {
        phone.mutate("group.create", group_args(*id, &format!("小組{i}")));
    }
    phone.push().await;
    let mut reader = Phone::new(&app, &app.resident("13812345678", "王阿姨").await);

    let mut pages = 0;
    loop {
        let page = reader.pull_page(Some(3)).await;
        pages += 1;
        assert!(page["changes"].as_array().unwrap().len() <= 3);
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(reader.count("group"), 7);
}

#[tokio::test]
async fn a_pull_reports_the_phones_own_last_mutation_with_its_effects() {
    let app = spawn_app().await;
    let (mut admin, _, _) = committee(&app).await;
    assert_eq!(admin.last_mutation_id, 2);
    admin.mutate("group.create", group_args(Uuid::now_v7(), "舞蹈隊"));
    admin.push().await;
    let changes = admin.pull().await;
    assert_eq!(admin.last_mutation_id, 3);
    assert_eq!(changes.len(), 1, "just the new group: {changes:?}");
}

#[tokio::test]
async fn forged_and_foreign_cursors_are_refused() {
    let app = spawn_app().await;
    let (mut admin, _, _) = committee(&app).await;
    let cursor = admin.cursor.clone().unwrap();
    let (payload, _) = cursor.split_once('.').unwrap();

    for bad in [
        format!("{payload}.AAAA"),
        "garbage".to_owned(),
        payload.to_string(),
    ] {
        let resp = admin.pull_raw(Some(&bad), None).await;
        assert_problem(resp, 409, "invalid_cursor").await;
    }
    admin.cursor = Some(cursor);
    assert!(admin.pull().await.is_empty());
}

#[tokio::test]
async fn a_cursor_works_only_for_the_resident_it_was_sent_to() {
    let app = spawn_app().await;
    let (mut admin, group, _) = committee(&app).await;
    let neighbour = app.resident("13912345678", "李伯伯").await;
    let mut neighbour_phone = Phone::new(&app, &neighbour);
    neighbour_phone.mutate("group.join", json!({"group_id": group}));
    neighbour_phone.sync().await;
    admin.pull().await;
    // The admin's cursor was made under a scope that sees every membership: replayed by a
    // neighbour, it would have re-scanned them and sent their ids as deletes.
    let stolen = admin.cursor.clone().unwrap();
    let resp = neighbour_phone.pull_raw(Some(&stolen), None).await;
    assert_problem(resp, 409, "invalid_cursor").await;
    // Their own goes on working.
    assert!(neighbour_phone.pull().await.is_empty());
}

#[tokio::test]
async fn a_cursor_older_than_the_tombstone_retention_must_resync() {
    let app = spawn_app().await;
    let (mut admin, group, series) = committee(&app).await;
    let old_cursor = admin.cursor.clone();
    admin.mutate("series.delete", json!({"id": series}));
    admin.push().await;

    let compacted = linli::sync::compact::compact::<linli::features::App>(
        &app.db,
        Utc::now() + chrono::Duration::days(1),
    )
    .await
    .unwrap();
    assert_eq!(compacted.tombstones, 1);

    let resp = admin.pull_raw(old_cursor.as_deref(), None).await;
    assert_problem(resp, 410, "resync_required").await;
    // Starting over works and no longer mentions the purged series.
    admin.cursor = None;
    admin.replica.clear();
    admin.pull().await;
    assert!(admin.get("group", group).is_some());
    assert!(admin.get("series", series).is_none());
}

#[tokio::test]
async fn a_schema_version_that_never_existed_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin("13800000000", "會長").await;
    let phone = Phone::new(&app, &admin);
    let resp = phone
        .push_raw(&json!({"client_id": phone.client_id, "schema_version": 0, "mutations": []}))
        .await;
    let problem = assert_problem(resp, 400, "malformed_request").await;
    assert_eq!(problem["field"], "schema_version");
}

#[tokio::test]
async fn sync_needs_a_valid_access_token() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/api/v1/sync/pull"))
        .json(&json!({"client_id": Uuid::now_v7(), "schema_version": 1, "cursor": null}))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 401, "unauthorized").await;
}

/// Reads SSE events from `resp` until `want` returns true or the deadline passes.
pub async fn wait_for_event(
    resp: &mut reqwest::Response,
    mut want: impl FnMut(&str, &Value) -> bool,
) -> bool {
    let mut buffer = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let chunk = match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Ok(Ok(Some(chunk))) => chunk,
            _ => return false,
        };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut event = "message";
            let mut data = Value::Null;
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e;
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(d).unwrap_or(Value::Null);
                }
            }
            if want(event, &data) {
                return true;
            }
        }
    }
}

pub async fn open_events(base: &str, client: &reqwest::Client, token: &str) -> reqwest::Response {
    let resp = client
        .get(format!("{base}/api/v1/sync/events"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    resp
}

#[tokio::test]
async fn a_connected_phone_is_poked_after_a_change_and_hears_heartbeats() {
    let app = spawn_app().await;
    let (mut admin, _, _) = committee(&app).await;
    let resident = app.resident("13812345678", "王阿姨").await;
    let mut events = open_events(&app.address, &app.client, &resident.access_token).await;
    let mut first = 0;
    assert!(
        wait_for_event(&mut events, |e, d| {
            first = d["version"].as_u64().unwrap_or_default();
            e == "poke"
        })
        .await
    );

    admin.mutate("group.create", group_args(Uuid::now_v7(), "舞蹈隊"));
    admin.push().await;

    assert!(
        wait_for_event(&mut events, |e, d| e == "poke"
            && d["version"].as_u64().unwrap() > first)
        .await
    );
    assert!(
        wait_for_event(&mut events, |e, d| e == "heartbeat"
            && d["server_time"].is_string())
        .await
    );
}

/// Logging out ends the session's event streams (another session's stay open): a stolen or
/// forgotten phone stops hearing what changes.
#[tokio::test]
async fn logging_out_closes_the_sessions_event_streams() {
    let app = spawn_app().await;
    let resident = app.resident("13812345678", "王阿姨").await;
    let other_phone = session(app.login(&resident.phone, PASSWORD).await, &resident.phone).await;
    let mut events = open_events(&app.address, &app.client, &resident.access_token).await;
    let mut others = open_events(&app.address, &app.client, &other_phone.access_token).await;
    assert!(wait_for_event(&mut events, |e, _| e == "poke").await);
    assert!(wait_for_event(&mut others, |e, _| e == "poke").await);

    let resp = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": resident.refresh_token}),
        )
        .await;
    assert_eq!(resp.status(), 204);

    // The stream ends: its body finishes, well before the token would expire.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(_chunk) = events.chunk().await.unwrap_or(None) {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the logged-out session's stream is still open"
    );
    // The other session still hears heartbeats.
    assert!(wait_for_event(&mut others, |e, _| e == "heartbeat").await);
}

/// The server does not read a stream's socket while it is open (so an idle stream holds
/// little memory); a phone that hangs up is noticed when heartbeats can no longer be written.
#[tokio::test]
async fn a_stream_the_phone_closed_is_reaped_within_two_heartbeats() {
    let app = spawn_app().await;
    let resident = app.resident("13812345678", "王阿姨").await;
    let mut events = open_events(&app.address, &app.client, &resident.access_token).await;
    assert!(wait_for_event(&mut events, |e, _| e == "poke").await);
    assert_eq!(app.sync.poker.listeners(), 1);

    drop(events);
    // Heartbeats every 300 ms here: reaped within about 600 ms; allow ten times that.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    while app.sync.poker.listeners() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a closed stream is still open on the server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_first_sync_in_many_pages_survives_compaction() {
    let app = spawn_app().await;
    let admin = app.admin("13800000000", "會長").await;
    let mut phone = Phone::new(&app, &admin);
    let doomed = Uuid::now_v7();
    phone.mutate("group.create", group_args(doomed, "臨時組"));
    for i in 0..5 {
        phone.mutate(
            "group.create",
            group_args(Uuid::now_v7(), &format!("小組{i}")),
        );
    }
    phone.mutate("group.delete", json!({"id": doomed}));
    phone.push().await;
    linli::sync::compact::compact::<linli::features::App>(
        &app.db,
        Utc::now() + chrono::Duration::days(1),
    )
    .await
    .unwrap();

    let mut fresh = Phone::new(&app, &app.resident("13812345678", "王阿姨").await);
    loop {
        let page = fresh.pull_page(Some(1)).await;
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(fresh.count("group"), 5);
}

/// One resident's loop of pushes and pulls is held to the configured rate with `429` and
/// `Retry-After`, and nothing it pushed is lost: the refused push, retried after the wait,
/// is applied. Other residents are not slowed.
#[tokio::test]
async fn a_residents_sync_requests_are_rate_limited_alone() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.sync_rates = linli::http::rate::SyncRates {
            pushes_per_minute: 60,
            pulls_per_minute: 60,
        }
    })
    .await;
    let looping = app.resident("13812345678", "王阿姨").await;
    let quiet = app.resident("13812345679", "李叔").await;
    let mut phone = Phone::new(&app, &looping);
    let mut neighbour = Phone::new(&app, &quiet);

    // Half a minute's worth at once (30) passes; the next is refused.
    let mut refused = None;
    for _ in 0..31 {
        phone.mutate("group.join", json!({"group_id": Uuid::now_v7()}));
        let resp = phone.push_queue_raw().await;
        if resp.status() == 429 {
            refused = Some(resp);
            break;
        }
        assert_eq!(resp.status(), 200);
        let acked = resp.json::<Value>().await.unwrap()["last_mutation_id"]
            .as_u64()
            .unwrap();
        phone.queue.retain(|m| m["id"].as_u64().unwrap() > acked);
    }
    let resp = refused.expect("31 pushes in a row at 60 a minute were all let through");
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "Retry-After: {wait}");
    assert_problem(resp, 429, "rate_limited").await;
    assert_eq!(phone.queue.len(), 1, "the refused mutation stays queued");

    // Pulls have their own bucket, and the neighbour theirs.
    assert_eq!(phone.pull_raw(None, None).await.status(), 200);
    neighbour.mutate("group.join", json!({"group_id": Uuid::now_v7()}));
    assert_eq!(neighbour.push_queue_raw().await.status(), 200);

    // After the wait, the retried push is applied.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let resp = phone.push_queue_raw().await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["last_mutation_id"].as_u64(),
        phone.queue[0]["id"].as_u64()
    );
}
