//! Talents over HTTP: a resident offers skills, seen by default only by the community's
//! position holders and group leaders (through the feed and the search) and by every
//! neighbour once opted in; the search by skill, tag and free time; an invitation from a
//! group leader, refused to a plain resident, answered by the invitee and seen by both;
//! every refusal's code; withdrawing; and the export and account deletion.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Resident, assert_problem};
use crate::phone::assert_all_applied;
use crate::territory::{Village, applied, refused};

async fn get_json(v: &Village, who: &Resident, path: &str) -> Value {
    let resp = v.app.get(path, Some(&who.access_token)).await;
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

/// The names a search answers, in order.
async fn found(v: &Village, who: &Resident, query: &str) -> Vec<String> {
    get_json(v, who, &format!("/api/v1/talents{query}")).await["talents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn offers_are_seen_by_those_who_look_for_talent_and_an_invitation_is_answered() {
    let v = Village::new().await;
    let admin = v.admin().await;
    let (teacher, erhu, neighbour, leader) = (
        v.app.resident("13620000001", "孫老師").await,
        v.app.resident("13620000002", "趙師傅").await,
        v.app.resident("13620000003", "王阿姨").await,
        v.app.resident("13620000004", "書畫組長").await,
    );
    let group = Uuid::now_v7();
    let mut a = v.phone(&admin);
    a.mutate(
        "group.create",
        json!({"id": group, "name": "書畫組", "is_open": true}),
    );
    a.mutate(
        "member.set_role",
        json!({"group_id": group, "resident_id": leader.id, "role": "leader"}),
    );
    assert_all_applied(&a.push().await);

    // Nonsense is refused with its field.
    for bad in [
        json!({"skills": [], "tags": []}),
        json!({"skills": ["law"], "tags": ["a|b"]}),
        json!({"skills": ["law"], "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
        json!({"skills": ["law"], "note": "字".repeat(201)}),
    ] {
        refused(
            &mut v.phone(&teacher),
            "talent.offer",
            bad,
            "validation_failed",
        )
        .await;
    }
    let mut t_phone = v.phone(&teacher);
    let r = applied(
        &mut t_phone,
        "talent.offer",
        json!({"skills": ["calligraphy", "teaching", "calligraphy"], "tags": [" 春聯 "],
               "free": ["weekday_mornings"], "note": "退休語文教師，寫了四十年毛筆字"}),
    )
    .await;
    let offer = &r["data"]["data"];
    assert_eq!(offer["skills"], json!(["calligraphy", "teaching"]));
    assert_eq!(offer["tags"], json!(["春聯"]));
    assert_eq!(offer["visibility"], "holders", "holders only by default");
    let talent_id = Uuid::parse_str(offer["id"].as_str().unwrap()).unwrap();
    applied(
        &mut v.phone(&erhu),
        "talent.offer",
        json!({"skills": ["instrument"], "tags": ["二胡"], "free": ["weekend_afternoons"],
               "visibility": "residents"}),
    )
    .await;

    // Holders and group leaders see both, through the feed and the search; a neighbour
    // sees only the opted-in one; each resident their own.
    for who in [&v.building_leader, &v.president, &leader, &admin] {
        let mut p = v.phone(who);
        p.pull().await;
        assert_eq!(p.count("talent"), 2, "{}", who.phone);
        assert_eq!(found(&v, who, "").await, ["孫老師", "趙師傅"]);
    }
    let mut n = v.phone(&neighbour);
    n.pull().await;
    assert_eq!(n.count("talent"), 1);
    assert!(n.get("talent", talent_id).is_none());
    assert_eq!(found(&v, &neighbour, "").await, ["趙師傅"]);
    assert_eq!(
        found(&v, &neighbour, "?skill=calligraphy").await,
        Vec::<String>::new()
    );
    assert_eq!(found(&v, &teacher, "").await, ["孫老師", "趙師傅"]);

    // The search: by skill, tag and free time, all given criteria at once; paged.
    let bl = &v.building_leader;
    assert_eq!(found(&v, bl, "?skill=calligraphy").await, ["孫老師"]);
    assert_eq!(found(&v, bl, "?tag=%E4%BA%8C%E8%83%A1").await, ["趙師傅"]);
    assert_eq!(found(&v, bl, "?free=weekday_mornings").await, ["孫老師"]);
    assert_eq!(
        found(&v, bl, "?skill=calligraphy&free=weekend_afternoons").await,
        Vec::<String>::new()
    );
    assert_eq!(found(&v, bl, "?tag=%25").await, Vec::<String>::new());
    let page = get_json(&v, bl, "/api/v1/talents?limit=1").await;
    assert_eq!(page["talents"].as_array().unwrap().len(), 1);
    assert_eq!(page["next_offset"], 1);
    let page = get_json(&v, bl, "/api/v1/talents?limit=1&offset=1").await;
    assert_eq!(page["talents"][0]["name"], "趙師傅");
    assert!(page.get("next_offset").is_none());
    // Beyond the documented range (schemathesis found this one accepted), a page is refused.
    assert_problem(
        v.app
            .get(
                "/api/v1/talents?offset=9007199254740992",
                Some(&bl.access_token),
            )
            .await,
        400,
        "malformed_request",
    )
    .await;
    assert_problem(
        v.app
            .get("/api/v1/talents?skill=juggling", Some(&bl.access_token))
            .await,
        400,
        "malformed_request",
    )
    .await;

    // Opting in, then back: the neighbour's phone follows, and a holder's keeps one offer.
    let r = applied(
        &mut t_phone,
        "talent.offer",
        json!({"skills": ["calligraphy"], "visibility": "residents"}),
    )
    .await;
    let public_id = Uuid::parse_str(r["data"]["data"]["id"].as_str().unwrap()).unwrap();
    n.pull().await;
    assert!(n.get("talent", public_id).is_some());
    let mut holder = v.phone(&v.building_leader);
    holder.pull().await;
    assert_eq!(holder.count("talent"), 2);
    assert!(holder.get("talent", talent_id).is_none());
    applied(
        &mut t_phone,
        "talent.offer",
        json!({"skills": ["calligraphy", "teaching"], "tags": ["春聯"], "free": ["weekday_mornings"]}),
    )
    .await;
    n.pull().await;
    assert!(n.get("talent", public_id).is_none(), "opted out again");
    assert_eq!(n.count("talent"), 1);
    holder.pull().await;
    assert_eq!(holder.count("talent"), 2);
    assert!(holder.get("talent", talent_id).is_some());

    // Invitations: a plain resident may not; nobody invites a resident who offers nothing,
    // nor themselves, nor for the past.
    let invitation = Uuid::now_v7();
    let starts = (Utc::now() + Duration::days(10)).to_rfc3339();
    let invite = json!({"id": invitation, "resident_id": teacher.id, "group_id": group,
        "role": "lead", "skill": "calligraphy", "activity": "春節寫春聯", "starts_at": starts,
        "message": "臘月二十三在活動室給大家寫春聯，請您帶一帶。"});
    refused(
        &mut v.phone(&neighbour),
        "talent.invite",
        invite.clone(),
        "forbidden",
    )
    .await;
    for (field, value, code) in [
        ("resident_id", json!(neighbour.id), "not_found"),
        ("resident_id", json!(leader.id), "validation_failed"),
        ("group_id", json!(Uuid::now_v7()), "not_found"),
        (
            "starts_at",
            json!((Utc::now() - Duration::hours(1)).to_rfc3339()),
            "validation_failed",
        ),
        ("activity", json!(""), "validation_failed"),
    ] {
        let mut bad = invite.clone();
        bad["id"] = json!(Uuid::now_v7());
        bad[field] = value;
        refused(&mut v.phone(&leader), "talent.invite", bad, code).await;
    }
    let mut l_phone = v.phone(&leader);
    let r = applied(&mut l_phone, "talent.invite", invite.clone()).await;
    assert_eq!(r["data"]["data"]["status"], "pending");
    applied(&mut l_phone, "talent.invite", invite).await;

    // The invitee and the inviter see it; nobody else, not even another holder.
    t_phone.pull().await;
    assert_eq!(t_phone.count("talent_invitation"), 1);
    let mut other = v.phone(&v.building_leader);
    other.pull().await;
    assert_eq!(other.count("talent_invitation"), 0);
    assert_eq!(
        get_json(&v, &v.building_leader, "/api/v1/talents/invitations")
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );
    refused(
        &mut l_phone,
        "talent.answer",
        json!({"invitation_id": invitation, "accept": true}),
        "forbidden",
    )
    .await;
    refused(
        &mut v.phone(&neighbour),
        "talent.answer",
        json!({"invitation_id": invitation, "accept": true}),
        "not_found",
    )
    .await;
    applied(
        &mut t_phone,
        "talent.answer",
        json!({"invitation_id": invitation, "accept": true, "reply": "好的，我帶筆墨去。"}),
    )
    .await;
    l_phone.pull().await;
    let seen = l_phone.get("talent_invitation", invitation).unwrap();
    assert_eq!(
        (seen["status"].as_str(), seen["reply"].as_str()),
        (Some("accepted"), Some("好的，我帶筆墨去。"))
    );
    let listed = get_json(&v, &leader, "/api/v1/talents/invitations").await;
    assert_eq!(listed[0]["status"], "accepted");

    // The export holds the offer and the invitation; deleting the account takes both away
    // from every phone.
    let export = get_json(&v, &teacher, "/api/v1/me/export").await;
    assert_eq!(export["talents"]["offer"]["id"], json!(talent_id));
    assert_eq!(export["talents"]["invitations"][0]["id"], json!(invitation));
    let resp = v
        .app
        .client
        .post(v.app.url("/api/v1/me/delete"))
        .bearer_auth(&teacher.access_token)
        .json(&json!({"password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    l_phone.pull().await;
    assert!(l_phone.get("talent", talent_id).is_none());
    assert!(l_phone.get("talent_invitation", invitation).is_none());
    assert_eq!(found(&v, &leader, "").await, ["趙師傅"]);

    // Withdrawing: only its resident (or an admin); it leaves the phones.
    let erhu_id = Uuid::parse_str(
        get_json(&v, &erhu, "/api/v1/talents").await["talents"][0]["id"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    refused(
        &mut v.phone(&neighbour),
        "talent.withdraw",
        json!({"talent_id": erhu_id}),
        "forbidden",
    )
    .await;
    applied(
        &mut v.phone(&erhu),
        "talent.withdraw",
        json!({"talent_id": erhu_id}),
    )
    .await;
    n.pull().await;
    assert_eq!(n.count("talent"), 0);
}
