//! Deliberation over HTTP: the parking problem from a resident's topic to a rated decision;
//! every refusal with its code; who sees what through the sync feed and every REST read
//! (a hidden comment leaves every phone but its author's); referral up a level widening the
//! audience of phones already at the head; the charter changing only by two thirds and
//! superseding its version; minutes' revisions.

use chrono::Duration;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::elections::householder;
use crate::helpers::Resident;
use crate::phone::{Phone, assert_all_applied};
use crate::territory::{Village, applied, one, refused};

/// Building 1's deliberation: verified residents, a neighbour in building 2, and three
/// residents' representatives over building 1 (with the building leader, the meeting's
/// voting members).
pub struct Table {
    pub v: Village,
    pub residents: Vec<Resident>,
    pub neighbour: Resident,
    pub reps: Vec<Resident>,
}

impl Table {
    pub async fn new() -> Self {
        Self::on(Village::new().await).await
    }

    pub async fn on(v: Village) -> Self {
        let mut residents = Vec::new();
        for i in 0..3 {
            let h = if i % 2 == 0 { v.h1 } else { v.h1b };
            residents
                .push(householder(&v, &format!("1361000{i:04}"), &format!("居民{i}"), h).await);
        }
        let neighbour = householder(&v, "13610009999", "二號樓鄰居", v.h2).await;
        let mut reps = Vec::new();
        let mut president = v.phone(&v.president);
        for i in 0..3 {
            let r = v
                .app
                .resident(&format!("1362000{i:04}"), &format!("代表{i}"))
                .await;
            president.mutate(
                "position.assign",
                json!({"id": Uuid::now_v7(), "kind": "representative", "unit_id": v.b1,
                       "resident_id": r.id, "starts_on": "2026-01-01"}),
            );
            reps.push(r);
        }
        let out = president.push().await;
        assert_all_applied(&out);
        Self {
            v,
            residents,
            neighbour,
            reps,
        }
    }

    pub fn phone(&self, who: &Resident) -> Phone {
        self.v.phone(who)
    }

    /// `who` raises a parking topic for `unit`.
    pub async fn raise(&self, who: &Resident, unit: Option<Uuid>, title: &str) -> Uuid {
        let id = Uuid::now_v7();
        applied(
            &mut self.phone(who),
            "topic.raise",
            json!({"id": id, "unit_id": unit, "title": title,
                   "description": "晚上車停得滿地都是，消防通道也堵了", "category": "parking"}),
        )
        .await;
        id
    }

    /// The building leader convenes building 1's meeting on `agenda`.
    pub async fn convene(&self, agenda: &[Uuid], invite: Value) -> Uuid {
        let id = Uuid::now_v7();
        let starts = self.v.app.sync.clock.wall() + Duration::hours(1);
        let r = applied(
            &mut self.phone(&self.v.building_leader),
            "meeting.convene",
            json!({"id": id, "unit_id": self.v.b1, "title": "1號樓議事會", "starts_at": starts,
                   "ends_at": starts + Duration::hours(2), "place": "社區活動室",
                   "agenda": agenda, "invite": invite}),
        )
        .await;
        assert_eq!(r["data"]["data"]["members"], 4, "{r}");
        id
    }

    pub async fn get(&self, who: &Resident, path: &str) -> reqwest::Response {
        self.v.app.get(path, Some(&who.access_token)).await
    }

    pub async fn get_json(&self, who: &Resident, path: &str) -> Value {
        let resp = self.get(who, path).await;
        assert_eq!(resp.status(), 200, "{path}");
        resp.json().await.unwrap()
    }
}

fn motion_args(meeting: Uuid, topic: Option<Uuid>, text: &str) -> (Uuid, Value) {
    let id = Uuid::now_v7();
    (
        id,
        json!({"id": id, "meeting_id": meeting, "topic_id": topic, "title": "停車方案",
               "text": text}),
    )
}

#[tokio::test]
async fn the_parking_problem_goes_from_a_residents_topic_to_a_rated_decision() {
    let t = Table::new().await;
    let v = &t.v;
    let (r0, r1) = (&t.residents[0], &t.residents[1]);
    let liaison = v.app.resident("13630000001", "礦業公司物業科").await;
    // Building 1 asks two supports of a topic.
    applied(
        &mut t.phone(&v.president),
        "deliberation.configure",
        json!({"unit_id": v.b1, "supports_needed": 2}),
    )
    .await;
    refused(
        &mut t.phone(&v.building_leader),
        "deliberation.configure",
        json!({"unit_id": v.b1, "supports_needed": 1}),
        "forbidden",
    )
    .await;
    let topic = t.raise(r0, Some(v.b1), "地面停車亂").await;
    let mut p1 = t.phone(r1);
    let r = applied(&mut p1, "topic.support", json!({"topic_id": topic})).await;
    assert_eq!(r["data"]["data"]["state"], "open", "{r}");
    refused(
        &mut p1,
        "topic.support",
        json!({"topic_id": topic}),
        "already_supported",
    )
    .await;
    // A holder above the building sees the topic but does not live there.
    refused(
        &mut t.phone(&v.area_leader),
        "topic.support",
        json!({"topic_id": topic}),
        "outside_unit",
    )
    .await;
    // A neighbour in building 2 does not even see it.
    refused(
        &mut t.phone(&t.neighbour),
        "topic.support",
        json!({"topic_id": topic}),
        "not_found",
    )
    .await;
    let r = applied(
        &mut t.phone(r0),
        "topic.support",
        json!({"topic_id": topic}),
    )
    .await;
    assert_eq!(
        r["data"]["data"]["state"], "on_agenda",
        "the second support: {r}"
    );
    assert_eq!(r["data"]["data"]["supports"], 2);
    applied(
        &mut t.phone(&v.building_leader),
        "comment.post",
        json!({"id": Uuid::now_v7(), "topic_id": topic, "body": "下週開議事會商量"}),
    )
    .await;
    let thread = t.get_json(r1, &format!("/api/v1/topics/{topic}")).await;
    assert_eq!(thread["supported"], true);
    assert_eq!(thread["comments"][0]["author_name"], "一號樓長");
    assert_eq!(thread["comments"][0]["author_position"], "building_leader");

    // The meeting: the building leader and the three representatives vote; a resident
    // without a vote is invited.
    let meeting = t
        .convene(
            &[topic],
            json!([{"resident_id": r1.id, "part": "resident"}]),
        )
        .await;
    // The invited resident's calendar app shows the meeting, once.
    let feed: Value = v
        .app
        .client
        .post(v.app.url("/api/v1/me/calendar-token"))
        .bearer_auth(&r1.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ics = v
        .app
        .get(feed["path"].as_str().unwrap(), None)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        ics.matches(&format!("UID:meeting-{meeting}@linli")).count(),
        1,
        "{ics}"
    );
    assert!(ics.contains("LOCATION:社區活動室"), "{ics}");
    let mut chair = t.phone(&v.building_leader);
    let mut reps: Vec<Phone> = t.reps.iter().map(|r| t.phone(r)).collect();
    applied(
        &mut reps[0],
        "meeting.answer",
        json!({"meeting_id": meeting, "attending": true}),
    )
    .await;
    refused(
        &mut t.phone(r0),
        "meeting.answer",
        json!({"meeting_id": meeting, "attending": true}),
        "not_invited",
    )
    .await;
    applied(
        &mut reps[0],
        "meeting.check_in",
        json!({"meeting_id": meeting}),
    )
    .await;
    let (motion, args) = motion_args(
        meeting,
        Some(topic),
        "劃定地面停車位八十個，夜間禁止佔用消防通道，違者由樓長勸離。",
    );
    applied(&mut chair, "motion.propose", args).await;
    let r = refused(
        &mut reps[0],
        "motion.vote",
        json!({"motion_id": motion, "choice": "agree"}),
        "no_quorum",
    )
    .await;
    assert!(
        r["message"].as_str().unwrap().contains("1 of 4"),
        "the refusal states the count: {r}"
    );
    applied(
        &mut reps[1],
        "meeting.check_in",
        json!({"meeting_id": meeting}),
    )
    .await;
    // Representative 2 has no phone: the chair checks them in.
    let r = applied(
        &mut chair,
        "meeting.check_in",
        json!({"meeting_id": meeting, "resident_id": t.reps[2].id}),
    )
    .await;
    assert_eq!(r["data"]["data"]["present"], 3, "{r}");
    refused(
        &mut t.phone(r1),
        "motion.vote",
        json!({"motion_id": motion, "choice": "agree"}),
        "not_voting_member",
    )
    .await;
    refused(
        &mut chair,
        "motion.vote",
        json!({"motion_id": motion, "choice": "agree"}),
        "not_checked_in",
    )
    .await;
    applied(
        &mut reps[0],
        "motion.vote",
        json!({"motion_id": motion, "choice": "agree"}),
    )
    .await;
    refused(
        &mut reps[0],
        "motion.vote",
        json!({"motion_id": motion, "choice": "against"}),
        "already_voted",
    )
    .await;
    applied(
        &mut reps[1],
        "motion.vote",
        json!({"motion_id": motion, "choice": "agree"}),
    )
    .await;
    refused(
        &mut chair,
        "motion.edit",
        json!({"motion_id": motion, "text": "改一下"}),
        "voting_started",
    )
    .await;
    // Hands: representative 2 agrees; representative 0's phone vote stands.
    let r = applied(
        &mut chair,
        "motion.hands",
        json!({"motion_id": motion, "votes": [
            {"resident_id": t.reps[2].id, "choice": "agree"},
            {"resident_id": t.reps[0].id, "choice": "against"}]}),
    )
    .await;
    assert!(r["message"].as_str().unwrap().contains("1 member"), "{r}");
    let r = applied(&mut chair, "motion.close", json!({"motion_id": motion})).await;
    let m = &r["data"]["data"];
    assert_eq!(
        (
            m["agree"].clone(),
            m["against"].clone(),
            m["abstain"].clone(),
            m["absent"].clone()
        ),
        (json!(3), json!(0), json!(0), json!(1)),
        "{m}"
    );
    assert_eq!(m["passed"], true);
    let decision: Uuid = m["decision_id"].as_str().unwrap().parse().unwrap();
    let names: Vec<&str> = m["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "every vote by name: {m}");
    // After the close: no vote counts, and the decided text is final.
    applied(
        &mut chair,
        "meeting.check_in",
        json!({"meeting_id": meeting}),
    )
    .await;
    refused(
        &mut chair,
        "motion.vote",
        json!({"motion_id": motion, "choice": "agree"}),
        "motion_closed",
    )
    .await;
    refused(
        &mut chair,
        "motion.edit",
        json!({"motion_id": motion, "text": "改一下"}),
        "decision_final",
    )
    .await;
    let thread = t.get_json(r0, &format!("/api/v1/topics/{topic}")).await;
    assert_eq!(thread["topic"]["state"], "decided");
    assert_eq!(thread["topic"]["decision_id"], decision.to_string());

    // Execution: tasks with owners of this community only.
    let stranger_community = crate::authz_matrix::foreign_community(&v.app).await;
    let stranger =
        crate::authz_matrix::register_admin(&v.app, stranger_community, "13900000077").await;
    let today = linli::features::territory::local_today(chrono::Utc::now());
    refused(
        &mut chair,
        "task.assign",
        json!({"id": Uuid::now_v7(), "decision_id": decision, "title": "劃停車位",
               "owner": {"kind": "resident", "id": stranger.id}, "due_on": today}),
        "owner_outside_community",
    )
    .await;
    let (bays, rules_sheet) = (Uuid::now_v7(), Uuid::now_v7());
    applied(
        &mut chair,
        "task.assign",
        json!({"id": bays, "decision_id": decision, "title": "劃停車位",
               "owner": {"kind": "resident", "id": t.reps[0].id},
               "due_on": today + Duration::days(7)}),
    )
    .await;
    applied(
        &mut chair,
        "task.assign",
        json!({"id": rules_sheet, "decision_id": decision, "title": "印發停車規則",
               "owner": {"kind": "resident", "id": v.building_leader.id},
               "due_on": today - Duration::days(1)}),
    )
    .await;
    let register = t.get_json(r0, "/api/v1/decisions").await;
    let entry = &register[0];
    assert_eq!(entry["decision"]["id"], decision.to_string());
    let overdue: Vec<(String, bool)> = entry["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["task"]["title"].as_str().unwrap().to_owned(),
                x["overdue"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        overdue,
        [
            ("印發停車規則".to_owned(), true),
            ("劃停車位".to_owned(), false)
        ]
    );
    // Residents rate only what is reported done.
    refused(
        &mut t.phone(r0),
        "decision.rate",
        json!({"decision_id": decision, "rating": "satisfied"}),
        "not_done",
    )
    .await;
    refused(
        &mut t.phone(r1),
        "task.report",
        json!({"task_id": bays, "status": "done", "note": "劃好了"}),
        "forbidden",
    )
    .await;
    applied(
        &mut reps[0],
        "task.report",
        json!({"task_id": bays, "status": "done", "note": "八十個車位已劃好"}),
    )
    .await;
    applied(
        &mut chair,
        "task.report",
        json!({"task_id": rules_sheet, "status": "done", "note": "規則已貼到每個單元門口"}),
    )
    .await;
    applied(
        &mut chair,
        "decision.report",
        json!({"decision_id": decision, "text": "車位劃好，規則貼出，夜間通道暢通", "done": true}),
    )
    .await;
    applied(
        &mut t.phone(r0),
        "decision.rate",
        json!({"decision_id": decision, "rating": "satisfied", "comment": "晚上好停多了"}),
    )
    .await;
    applied(
        &mut t.phone(r1),
        "decision.rate",
        json!({"decision_id": decision, "rating": "not_satisfied"}),
    )
    .await;
    // Changing one's mind replaces the rating.
    applied(
        &mut t.phone(r1),
        "decision.rate",
        json!({"decision_id": decision, "rating": "partly", "comment": "車位還是少"}),
    )
    .await;
    refused(
        &mut t.phone(&v.area_leader),
        "decision.rate",
        json!({"decision_id": decision, "rating": "satisfied"}),
        "outside_unit",
    )
    .await;
    let seen_by_leader = t
        .get_json(&v.building_leader, &format!("/api/v1/decisions/{decision}"))
        .await;
    let d = &seen_by_leader["decision"];
    assert_eq!(
        (
            d["satisfied"].clone(),
            d["partly"].clone(),
            d["not_satisfied"].clone()
        ),
        (json!(1), json!(1), json!(0)),
        "{d}"
    );
    assert_eq!(d["done"], true);
    assert_eq!(seen_by_leader["ratings"].as_array().unwrap().len(), 2);
    assert_eq!(seen_by_leader["updates"].as_array().unwrap().len(), 2);
    let seen_by_r0 = t
        .get_json(r0, &format!("/api/v1/decisions/{decision}"))
        .await;
    let ratings = seen_by_r0["ratings"].as_array().unwrap();
    assert_eq!(ratings.len(), 1, "a resident sees their own rating only");
    assert_eq!(ratings[0]["comment"], "晚上好停多了");

    // A decided topic is not referred again.
    refused(
        &mut chair,
        "topic.refer",
        json!({"topic_id": topic, "up": true}),
        "topic_decided",
    )
    .await;
    // The convener invites a company liaison while the meeting is open; only the convener.
    refused(
        &mut reps[1],
        "meeting.invite",
        json!({"meeting_id": meeting, "resident_id": liaison.id, "part": "liaison"}),
        "forbidden",
    )
    .await;
    let r = applied(
        &mut chair,
        "meeting.invite",
        json!({"meeting_id": meeting, "resident_id": liaison.id, "part": "liaison"}),
    )
    .await;
    assert_eq!(r["data"]["data"]["part"], "liaison", "{r}");
    let view = t
        .get_json(&liaison, &format!("/api/v1/meetings/{meeting}"))
        .await;
    assert_eq!(
        view["meeting"]["members"], 4,
        "a liaison does not vote: {view}"
    );

    // A closed meeting takes no more motions, and no more invitees.
    applied(&mut chair, "meeting.close", json!({"meeting_id": meeting})).await;
    let (_, args) = motion_args(meeting, None, "再議");
    refused(&mut chair, "motion.propose", args, "meeting_closed").await;
    refused(
        &mut chair,
        "meeting.invite",
        json!({"meeting_id": meeting, "resident_id": r0.id, "part": "observer"}),
        "meeting_closed",
    )
    .await;

    // The resident's export holds their part.
    let export = t.get_json(r0, "/api/v1/me/export").await;
    let mine = &export["deliberation"];
    assert_eq!(mine["topics_raised"][0]["title"], "地面停車亂", "{mine}");
    assert_eq!(mine["supports"][0], topic.to_string());
    assert_eq!(mine["ratings"][0]["rating"], "satisfied");
    let rep_export = t.get_json(&t.reps[0], "/api/v1/me/export").await;
    assert_eq!(rep_export["deliberation"]["votes"][0]["choice"], "agree");
}

#[tokio::test]
async fn a_units_business_reaches_its_residents_and_the_holders_above_it_only() {
    let t = Table::new().await;
    let v = &t.v;
    let (r0, r1) = (&t.residents[0], &t.residents[1]);
    let topic = t.raise(r0, Some(v.b1), "樓道堆物").await;
    let comment = Uuid::now_v7();
    applied(
        &mut t.phone(r1),
        "comment.post",
        json!({"id": comment, "topic_id": topic, "body": "三樓的紙箱堆了一個月了"}),
    )
    .await;
    for (who, sees) in [
        (r0, true),
        (r1, true),
        (&t.neighbour, false),
        (&v.building_leader, true),
        (&v.other_building_leader, false),
        (&v.area_leader, true),
        (&v.branch_president, true),
        (&v.president, true),
        (&v.grid_worker, false),
        (&v.mediator, true),
    ] {
        let mut p = t.phone(who);
        p.pull().await;
        assert_eq!(
            p.get("topic", topic).is_some(),
            sees,
            "{} pulls the topic",
            who.phone
        );
        assert_eq!(
            p.get("comment", comment).is_some(),
            sees,
            "{} pulls the comment",
            who.phone
        );
        let status = t
            .get(who, &format!("/api/v1/topics/{topic}"))
            .await
            .status();
        assert_eq!(
            status == 200,
            sees,
            "{} reads the topic: {status}",
            who.phone
        );
        let listed = t.get_json(who, "/api/v1/topics").await;
        let listed = listed
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == topic.to_string());
        assert_eq!(listed, sees, "{} lists the topic", who.phone);
    }
    // The building leader hides the comment: every phone drops it; its author keeps a
    // hidden copy with the reason.
    let mut p0 = t.phone(r0);
    let mut p1 = t.phone(r1);
    p0.pull().await;
    p1.pull().await;
    assert!(p0.get("comment", comment).is_some());
    refused(
        &mut t.phone(&v.other_building_leader),
        "comment.hide",
        json!({"comment_id": comment, "reason": "涉及他人隱私"}),
        "not_found",
    )
    .await;
    refused(
        &mut t.phone(r0),
        "comment.hide",
        json!({"comment_id": comment, "reason": "涉及他人隱私"}),
        "forbidden",
    )
    .await;
    applied(
        &mut t.phone(&v.building_leader),
        "comment.hide",
        json!({"comment_id": comment, "reason": "涉及他人隱私"}),
    )
    .await;
    p0.pull().await;
    p1.pull().await;
    assert!(
        p0.get("comment", comment).is_none(),
        "withdrawn from a neighbour's phone"
    );
    assert_eq!(p0.count("comment"), 0);
    assert!(p1.get("comment", comment).is_none());
    let hidden: Vec<&Value> = p1.replica_of("comment");
    assert_eq!(hidden.len(), 1, "the author keeps a hidden copy");
    assert_eq!(hidden[0]["hidden_reason"], "涉及他人隱私");
    assert_eq!(hidden[0]["replaces"], comment.to_string());
    let mut area = t.phone(&v.area_leader);
    area.pull().await;
    assert_eq!(
        area.count("comment"),
        0,
        "a holder above does not see it hidden"
    );
    let thread = t.get_json(r0, &format!("/api/v1/topics/{topic}")).await;
    assert_eq!(thread["comments"], json!([]));
    let thread = t.get_json(r1, &format!("/api/v1/topics/{topic}")).await;
    assert_eq!(thread["comments"][0]["hidden_reason"], "涉及他人隱私");

    // The community's topics reach every resident.
    let everyone = t.raise(&t.neighbour, None, "社區食堂").await;
    p0.pull().await;
    assert!(p0.get("topic", everyone).is_some());

    // A guest from building 2 invited to building 1's meeting sees when and where, and the
    // meeting; not the building's topics.
    let meeting = t
        .convene(
            &[topic],
            json!([{"resident_id": t.neighbour.id, "part": "observer"}]),
        )
        .await;
    let mut guest = t.phone(&t.neighbour);
    guest.pull().await;
    let invitation = guest
        .replica_of("invitation")
        .into_iter()
        .find(|i| i["resident_id"] == t.neighbour.id.to_string())
        .cloned()
        .expect("the guest's invitation");
    assert_eq!(invitation["place"], "社區活動室");
    assert_eq!(invitation["part"], "observer");
    assert!(
        guest.get("meeting", meeting).is_none(),
        "the meeting row is the unit's"
    );
    assert!(guest.get("topic", topic).is_none());
    let view = t
        .get_json(&t.neighbour, &format!("/api/v1/meetings/{meeting}"))
        .await;
    assert_eq!(view["meeting"]["title"], "1號樓議事會");
    let other = t
        .get(
            &v.other_building_leader,
            &format!("/api/v1/meetings/{meeting}"),
        )
        .await;
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn referring_a_topic_up_widens_its_audience_to_phones_already_at_the_head() {
    let t = Table::new().await;
    let v = &t.v;
    let topic = t
        .raise(&t.residents[0], Some(v.b1), "小區大門夜間上鎖")
        .await;
    let mut neighbour = t.phone(&t.neighbour);
    neighbour.pull().await;
    assert!(neighbour.get("topic", topic).is_none());
    refused(
        &mut t.phone(&v.other_building_leader),
        "topic.refer",
        json!({"topic_id": topic, "up": true}),
        "not_found",
    )
    .await;
    // Building → area 東片 (building 2 is not in it) → compound 一區 → the community.
    let r = applied(
        &mut t.phone(&v.building_leader),
        "topic.refer",
        json!({"topic_id": topic, "up": true}),
    )
    .await;
    assert_eq!(r["data"]["data"]["unit_id"], v.area.to_string());
    neighbour.pull().await;
    assert!(neighbour.get("topic", topic).is_none());
    // Its author lives in the area and sees it there, but only the committee refers.
    refused(
        &mut t.phone(&t.residents[0]),
        "topic.refer",
        json!({"topic_id": topic, "up": true}),
        "forbidden",
    )
    .await;
    applied(
        &mut t.phone(&v.area_leader),
        "topic.refer",
        json!({"topic_id": topic, "up": true}),
    )
    .await;
    neighbour.pull().await;
    let row = neighbour.get("topic", topic).expect("in the compound now");
    assert_eq!(row["state"], "on_agenda");
    let steps: Vec<&str> = row["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["raised", "referred_up", "referred_up"]);
    applied(
        &mut t.phone(&v.branch_president),
        "topic.refer",
        json!({"topic_id": topic, "up": true}),
    )
    .await;
    let r = one(
        &mut t.phone(&v.president),
        "topic.refer",
        json!({"topic_id": topic, "up": true}),
    )
    .await;
    assert_eq!(r["code"], "validation_failed", "{r}");
}

#[tokio::test]
async fn the_charter_changes_only_by_two_thirds_and_each_version_supersedes_the_last() {
    let t = Table::new().await;
    let v = &t.v;
    // The community's joint meeting: every holder of an elected position votes (two
    // building leaders, the area leader, the branch president, the president, three
    // representatives).
    let meeting = Uuid::now_v7();
    let starts = v.app.sync.clock.wall();
    let mut chair = t.phone(&v.president);
    let r = applied(
        &mut chair,
        "meeting.convene",
        json!({"id": meeting, "unit_id": null, "title": "聯席會議", "starts_at": starts,
               "ends_at": starts + Duration::hours(2), "place": "社區禮堂", "agenda": [],
               "invite": [], "quorum": "two_thirds"}),
    )
    .await;
    assert_eq!(r["data"]["data"]["members"], 8, "{r}");
    assert_eq!(r["data"]["data"]["quorum_needs"], 6);
    let members: Vec<&Resident> = [
        &v.building_leader,
        &v.other_building_leader,
        &v.area_leader,
        &v.branch_president,
        &v.president,
    ]
    .into_iter()
    .chain(t.reps.iter())
    .collect();
    for m in &members[..6] {
        applied(
            &mut chair,
            "meeting.check_in",
            json!({"meeting_id": meeting, "resident_id": m.id}),
        )
        .await;
    }
    let charter = |text: &str, rule: Option<&str>| {
        let id = Uuid::now_v7();
        (
            id,
            json!({"id": id, "meeting_id": meeting, "title": "社區居民協商自治章程",
                   "text": text, "document": "charter", "rule": rule}),
        )
    };
    let (_, args) = charter("第一條 ……", Some("majority"));
    refused(&mut chair, "motion.propose", args, "validation_failed").await;
    let vote = |motion: Uuid, choices: &[&str]| {
        let votes: Vec<Value> = members[..6]
            .iter()
            .zip(choices)
            .map(|(m, c)| json!({"resident_id": m.id, "choice": c}))
            .collect();
        json!({"motion_id": motion, "votes": votes})
    };
    // Four of six: exactly two thirds passes; three of six does not.
    let (short, args) = charter("第一條 草案", None);
    applied(&mut chair, "motion.propose", args).await;
    applied(
        &mut chair,
        "motion.hands",
        vote(
            short,
            &["agree", "agree", "agree", "against", "against", "abstain"],
        ),
    )
    .await;
    let r = applied(&mut chair, "motion.close", json!({"motion_id": short})).await;
    assert_eq!(r["data"]["data"]["passed"], false, "{r}");
    let (first, args) = charter("第一條 本章程依據……（第一版）", None);
    applied(&mut chair, "motion.propose", args).await;
    applied(
        &mut chair,
        "motion.hands",
        vote(
            first,
            &["agree", "agree", "agree", "agree", "against", "against"],
        ),
    )
    .await;
    let r = applied(&mut chair, "motion.close", json!({"motion_id": first})).await;
    let v1 = r["data"]["data"]["decision_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (second, args) = charter("第一條 本章程依據……（第二版）", None);
    applied(&mut chair, "motion.propose", args).await;
    applied(&mut chair, "motion.hands", vote(second, &["agree"; 6])).await;
    let r = applied(&mut chair, "motion.close", json!({"motion_id": second})).await;
    let v2 = r["data"]["data"]["decision_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let versions = t
        .get_json(&t.neighbour, "/api/v1/decisions?document=charter")
        .await;
    let versions: Vec<(String, i64, String, Value)> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let d = &e["decision"];
            (
                d["id"].as_str().unwrap().to_owned(),
                d["document_version"].as_i64().unwrap(),
                d["state"].as_str().unwrap().to_owned(),
                d.get("superseded_by").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [
            (v2.clone(), 2, "in_force".into(), Value::Null),
            (v1.clone(), 1, "amended".into(), json!(v2)),
        ],
        "the register, as every resident reads it"
    );
    // An amended decision cannot be amended again.
    let id = Uuid::now_v7();
    refused(
        &mut chair,
        "motion.propose",
        json!({"id": id, "meeting_id": meeting, "title": "修改", "text": "……", "amends": v1}),
        "not_in_force",
    )
    .await;
    // Every resident's phone holds the community's register.
    let mut p = t.phone(&t.neighbour);
    p.pull().await;
    assert_eq!(p.count("decision"), 2);

    // Minutes keep their revisions; approval is of the revision read.
    applied(
        &mut chair,
        "minutes.write",
        json!({"meeting_id": meeting, "text": "到會八人中六人。章程第一版通過。"}),
    )
    .await;
    applied(
        &mut chair,
        "minutes.approve",
        json!({"meeting_id": meeting, "revision": 1}),
    )
    .await;
    applied(
        &mut chair,
        "minutes.write",
        json!({"meeting_id": meeting, "text": "應到八人，實到六人。章程第一、二版先後通過。"}),
    )
    .await;
    refused(
        &mut chair,
        "minutes.approve",
        json!({"meeting_id": meeting, "revision": 1}),
        "minutes_changed",
    )
    .await;
    let r = applied(
        &mut chair,
        "minutes.approve",
        json!({"meeting_id": meeting, "revision": 2}),
    )
    .await;
    assert_eq!(r["data"]["data"]["minutes_approved_revision"], 2);
    let view = t
        .get_json(&v.building_leader, &format!("/api/v1/meetings/{meeting}"))
        .await;
    assert_eq!(view["minutes_revisions"].as_array().unwrap().len(), 2);
    assert_eq!(view["motions"].as_array().unwrap().len(), 3);
    applied(&mut chair, "meeting.close", json!({"meeting_id": meeting})).await;
    refused(
        &mut chair,
        "meeting.check_in",
        json!({"meeting_id": meeting, "resident_id": members[6].id}),
        "meeting_closed",
    )
    .await;
}
