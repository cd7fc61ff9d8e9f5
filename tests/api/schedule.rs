//! Recurring schedules, sign-ups with capacity and waitlist, overrides, attendance and hours,
//! and calendar feeds, over HTTP.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Asia::Shanghai;
use linli::features::schedule::rules::recurrence::occurrence_id;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Resident, TestApp, assert_problem, spawn_app, wait_until};
use crate::phone::{Phone, assert_all_applied, ok_json};

/// A local start `days` from now at 09:30 Shanghai time, and that first occurrence's instant.
fn start_in(days: i64) -> (String, DateTime<Utc>) {
    let day = (Utc::now() + Duration::days(days))
        .with_timezone(&Shanghai)
        .date_naive();
    let local = day.and_hms_opt(9, 30, 0).unwrap();
    let instant = local
        .and_local_timezone(Shanghai)
        .unwrap()
        .with_timezone(&Utc);
    (local.format("%Y-%m-%dT%H:%M").to_string(), instant)
}

struct Society {
    app: TestApp,
    admin: Phone,
    leader: Resident,
    group: Uuid,
    series: Uuid,
    /// The first occurrence.
    first: DateTime<Utc>,
}

impl Society {
    /// A weekly legal-advice lecture starting in `days` days with `capacity` seats.
    async fn new(days: i64, capacity: u32, extra: Value) -> Self {
        let app = spawn_app().await;
        let admin_r = app.admin("13800000000", "會長").await;
        let leader = app.resident("13700000000", "張律師").await;
        let mut admin = Phone::new(&app, &admin_r);
        let (group, series) = (Uuid::now_v7(), Uuid::now_v7());
        let (start_local, first) = start_in(days);
        admin.mutate(
            "group.create",
            json!({"id": group, "name": "法律講座", "kind": "legal_corner", "is_open": true}),
        );
        admin.mutate(
            "member.set_role",
            json!({"group_id": group, "resident_id": leader.id, "role": "leader"}),
        );
        let mut args = json!({"id": series, "group_id": group, "title": "週六法律講座", "start_local": start_local,
            "rrule": "FREQ=WEEKLY", "duration_minutes": 90, "capacity": capacity});
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        admin.mutate("series.create", args);
        let out = admin.push().await;
        assert_all_applied(&out);
        Self {
            app,
            admin,
            leader,
            group,
            series,
            first,
        }
    }

    fn occurrence(&self, week: i64) -> (Uuid, DateTime<Utc>) {
        let t = self.first + Duration::weeks(week);
        (occurrence_id(self.series, t), t)
    }

    fn request(&self, week: i64) -> Value {
        let (id, t) = self.occurrence(week);
        json!({"occurrence_id": id, "series_id": self.series, "original_start": t})
    }

    async fn volunteer(&self, n: u32) -> Phone {
        let r = self
            .app
            .resident(&format!("139000000{n:02}"), &format!("志願者{n}"))
            .await;
        Phone::new(&self.app, &r)
    }
}

fn result(out: &Value) -> &Value {
    &out["results"][0]
}

fn status(out: &Value) -> String {
    let r = result(out);
    match r["status"].as_str().unwrap() {
        "rejected" => format!("rejected:{}", r["code"].as_str().unwrap()),
        _ => r["data"]["data"]["status"]
            .as_str()
            .unwrap_or("applied")
            .to_owned(),
    }
}

async fn sign_up(phone: &mut Phone, args: Value) -> Value {
    phone.mutate("signup.request", args);
    phone.push().await
}

#[tokio::test]
async fn seats_are_confirmed_in_arrival_order_then_waitlisted_with_a_position() {
    let s = Society::new(3, 2, json!({})).await;
    let mut outcomes = Vec::new();
    let mut phones = Vec::new();
    for n in 0..3 {
        let mut p = s.volunteer(n).await;
        outcomes.push(sign_up(&mut p, s.request(0)).await);
        phones.push(p);
    }

    assert_eq!(
        outcomes.iter().map(status).collect::<Vec<_>>(),
        ["confirmed", "confirmed", "waitlisted"]
    );
    assert_eq!(result(&outcomes[2])["data"]["data"]["waitlist_position"], 1);
    // Everyone sees the tally; nobody sees the others' sign-ups.
    phones[0].pull().await;
    let (occ, _) = s.occurrence(0);
    let tally = phones[0].get("occurrence_tally", occ).unwrap();
    assert_eq!(
        (
            tally["confirmed"].as_u64(),
            tally["waitlisted"].as_u64(),
            tally["capacity"].as_u64()
        ),
        (Some(2), Some(1), Some(2))
    );
    assert_eq!(phones[0].count("signup"), 1);
}

#[tokio::test]
async fn a_cancellation_promotes_the_head_of_the_waitlist() {
    let s = Society::new(3, 1, json!({})).await;
    let (mut a, mut b, mut c) = (
        s.volunteer(0).await,
        s.volunteer(1).await,
        s.volunteer(2).await,
    );
    sign_up(&mut a, s.request(0)).await;
    sign_up(&mut b, s.request(0)).await;
    let c_out = sign_up(&mut c, s.request(0)).await;
    assert_eq!(result(&c_out)["data"]["data"]["waitlist_position"], 2);

    let (occ, _) = s.occurrence(0);
    a.mutate("signup.cancel", json!({"occurrence_id": occ}));
    let out = a.push().await;
    assert_eq!(status(&out), "cancelled");

    b.pull().await;
    c.pull().await;
    let mine = |p: &Phone| {
        p.replica
            .iter()
            .find(|((e, _), _)| e == "signup")
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(mine(&b)["status"], "confirmed");
    assert_eq!(mine(&c)["status"], "waitlisted");
    assert_eq!(mine(&c)["waitlist_position"], 1);
    // The REST list of one's own sign-ups agrees.
    let listed = ok_json(c.sdk.list_my_signups().await);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        (
            listed[0]["status"].as_str(),
            listed[0]["waitlist_position"].as_u64()
        ),
        (Some("waitlisted"), Some(1))
    );
    let listed = ok_json(b.sdk.list_my_signups().await);
    assert_eq!(listed[0]["status"], "confirmed");
    assert!(listed[0].get("waitlist_position").is_none());
}

#[tokio::test]
async fn a_confirmed_volunteer_is_never_bumped_by_a_request_with_an_earlier_clock() {
    let s = Society::new(3, 1, json!({})).await;
    let (mut early_but_offline, mut online) = (s.volunteer(0).await, s.volunteer(1).await);
    early_but_offline.skew_ms = -60_000;
    early_but_offline.mutate("signup.request", s.request(0));
    let online_out = sign_up(&mut online, s.request(0)).await;
    let late_out = early_but_offline.push().await;

    assert_eq!(status(&online_out), "confirmed");
    assert_eq!(status(&late_out), "waitlisted");
}

#[tokio::test]
async fn asking_twice_from_two_phones_makes_one_sign_up() {
    let s = Society::new(3, 5, json!({})).await;
    let mut phone = s.volunteer(0).await;
    let mut tablet = phone.second_device();
    sign_up(&mut phone, s.request(0)).await;
    let again = sign_up(&mut tablet, s.request(0)).await;

    assert_eq!(status(&again), "confirmed");
    phone.pull().await;
    assert_eq!(phone.count("signup"), 1);
    let (occ, _) = s.occurrence(0);
    assert_eq!(phone.get("occurrence_tally", occ).unwrap()["confirmed"], 1);
}

#[tokio::test]
async fn raising_the_capacity_promotes_and_lowering_it_keeps_the_confirmed() {
    let mut s = Society::new(3, 1, json!({})).await;
    let (mut a, mut b, mut c) = (
        s.volunteer(0).await,
        s.volunteer(1).await,
        s.volunteer(2).await,
    );
    sign_up(&mut a, s.request(0)).await;
    sign_up(&mut b, s.request(0)).await;

    s.admin
        .mutate("series.update", json!({"id": s.series, "capacity": 2}));
    s.admin.push().await;
    b.pull().await;
    let b_signup = b
        .replica
        .iter()
        .find(|((e, _), _)| e == "signup")
        .unwrap()
        .1
        .clone();
    assert_eq!(b_signup["status"], "confirmed");

    s.admin
        .mutate("series.update", json!({"id": s.series, "capacity": 1}));
    s.admin.push().await;
    let c_out = sign_up(&mut c, s.request(0)).await;
    assert_eq!(status(&c_out), "waitlisted");
    a.pull().await;
    let (occ, _) = s.occurrence(0);
    let tally = a.get("occurrence_tally", occ).unwrap();
    assert_eq!(
        (tally["confirmed"].as_u64(), tally["capacity"].as_u64()),
        (Some(2), Some(1))
    );
}

#[tokio::test]
async fn requests_outside_the_rules_are_rejected_with_a_code() {
    let s = Society::new(3, 1, json!({"signup_opens_days_before": 14, "waitlist_limit": 1, "cancel_cutoff_minutes_before": 10080})).await;
    let (mut a, mut b, mut c) = (
        s.volunteer(0).await,
        s.volunteer(1).await,
        s.volunteer(2).await,
    );
    // Week 3 is more than 14 days away: not open yet.
    assert_eq!(
        status(&sign_up(&mut a, s.request(3)).await),
        "rejected:signups_not_open"
    );
    sign_up(&mut a, s.request(0)).await;
    sign_up(&mut b, s.request(0)).await;
    assert_eq!(
        status(&sign_up(&mut c, s.request(0)).await),
        "rejected:waitlist_full"
    );
    // The cutoff is a week before: too late to cancel a session three days away.
    let (occ, _) = s.occurrence(0);
    a.mutate("signup.cancel", json!({"occurrence_id": occ}));
    assert_eq!(status(&a.push().await), "rejected:past_cutoff");
    // Not an occurrence of the series at all.
    let bogus = s.first + Duration::hours(1);
    let out = sign_up(&mut c, json!({"occurrence_id": occurrence_id(s.series, bogus), "series_id": s.series, "original_start": bogus})).await;
    assert_eq!(status(&out), "rejected:occurrence_cancelled");
}

#[tokio::test]
async fn a_phone_signs_up_with_just_the_occurrence_id_it_computed_offline() {
    let s = Society::new(3, 5, json!({})).await;
    let mut phone = s.volunteer(0).await;
    let (occ, _) = s.occurrence(1);
    let out = sign_up(&mut phone, json!({"occurrence_id": occ})).await;
    assert_eq!(status(&out), "confirmed");
    assert_eq!(
        result(&out)["data"]["data"]["occurrence_id"],
        occ.to_string()
    );
}

#[tokio::test]
async fn cancelling_or_removing_occurrences_never_drops_sign_ups_silently() {
    let mut s = Society::new(3, 5, json!({})).await;
    let mut a = s.volunteer(0).await;
    sign_up(&mut a, s.request(0)).await;
    sign_up(&mut a, s.request(1)).await;
    let (occ0, t0) = s.occurrence(0);

    // The committee cancels this Saturday's lecture.
    s.admin.mutate(
        "occurrence.override",
        json!({"series_id": s.series, "original_start": t0, "cancelled": true, "note": "講師生病"}),
    );
    s.admin.push().await;
    // Then moves the series to Sundays: every Saturday occurrence disappears.
    let (sunday, _) = start_in(4);
    s.admin.mutate(
        "series.update",
        json!({"id": s.series, "start_local": sunday}),
    );
    s.admin.push().await;

    a.pull().await;
    let statuses: Vec<String> = a
        .replica
        .iter()
        .filter(|((e, _), _)| e == "signup")
        .map(|(_, v)| v["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["occurrence_cancelled", "occurrence_cancelled"]);
    let o = a.get("occurrence_override", occ0).unwrap();
    assert_eq!(
        (o["cancelled"].as_bool(), o["note"].as_str()),
        (Some(true), Some("講師生病"))
    );
    // And a request for a cancelled occurrence is refused.
    s.admin.mutate(
        "series.update",
        json!({"id": s.series, "start_local": start_in(3).0}),
    );
    s.admin.push().await;
    assert_eq!(
        status(&sign_up(&mut a, s.request(0)).await),
        "rejected:occurrence_cancelled"
    );
}

#[tokio::test]
async fn a_moved_occurrence_keeps_its_identity_and_its_sign_ups() {
    let mut s = Society::new(3, 5, json!({})).await;
    let mut a = s.volunteer(0).await;
    sign_up(&mut a, s.request(0)).await;
    let (occ, t0) = s.occurrence(0);
    let moved = t0 + Duration::hours(2);
    s.admin.mutate("occurrence.override", json!({"series_id": s.series, "original_start": t0, "starts_at": moved, "location": "社區禮堂"}));
    s.admin.push().await;

    let list = ok_json(
        a.sdk
            .list_occurrences(
                std::num::NonZeroU64::new(15),
                &(t0 - Duration::hours(1)),
                None,
            )
            .await,
    );
    let first = &list[0];
    assert_eq!(first["occurrence_id"], occ.to_string());
    assert_eq!(
        first["starts_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        moved
    );
    assert_eq!(first["location"], "社區禮堂");
    assert_eq!(first["my_signup"], "confirmed");
    assert_eq!(first["confirmed"], 1);
    assert_eq!(
        list.as_array().unwrap().len(),
        3,
        "three Saturdays in the window: {list}"
    );
}

fn enc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        .replace('+', "%2B")
}

#[tokio::test]
async fn occurrence_windows_are_bounded() {
    let s = Society::new(3, 5, json!({})).await;
    let window = |from: DateTime<Utc>, days: u32| {
        format!("/api/v1/occurrences?from={}&days={days}", enc(from))
    };
    let resp = s.app.get(&window(s.first, 120), Some(&s.admin.token)).await;
    let problem = assert_problem(resp, 400, "malformed_request").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("days"),
        "{problem}"
    );

    // Far beyond the horizon schedules are expanded for, a window is empty, not an error.
    let far = s.first + Duration::days(20 * 366);
    let list: Value = s
        .app
        .get(&window(far, 7), Some(&s.admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    let near: Value = s
        .app
        .get(&window(s.first, 7), Some(&s.admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert!(!near.as_array().unwrap().is_empty(), "{near}");
}

#[tokio::test]
async fn rules_that_repeat_too_often_are_rejected_with_the_reason() {
    let mut s = Society::new(3, 5, json!({})).await;
    s.admin.mutate("series.create", json!({"id": Uuid::now_v7(), "group_id": s.group, "title": "每小時", "start_local": start_in(1).0, "rrule": "FREQ=HOURLY", "duration_minutes": 30}));
    let out = s.admin.push().await;
    assert_eq!(status(&out), "rejected:validation_failed");
    assert!(result(&out)["message"].as_str().unwrap().contains("rrule"));
}

#[tokio::test]
async fn leaders_sign_up_residents_without_phones_and_see_who_signed_up() {
    let s = Society::new(3, 5, json!({})).await;
    let elder = s.app.resident("13600000000", "劉奶奶").await;
    let mut leader = Phone::new(&s.app, &s.leader);
    let mut args = s.request(0);
    args["on_behalf_of"] = json!(elder.id);
    assert_eq!(
        status(&sign_up(&mut leader, args.clone()).await),
        "confirmed"
    );
    // A plain resident may not sign up someone else.
    let mut neighbour = s.volunteer(0).await;
    args["on_behalf_of"] = json!(s.leader.id);
    assert_eq!(
        status(&sign_up(&mut neighbour, args).await),
        "rejected:forbidden"
    );

    leader.pull().await;
    let seen = leader
        .replica
        .iter()
        .find(|((e, _), _)| e == "signup")
        .unwrap()
        .1
        .clone();
    assert_eq!(
        (seen["display_name"].as_str(), seen["phone"].as_str()),
        (Some("劉奶奶"), Some("+8613600000000"))
    );
    // The admin sees the name, not the phone; other residents see nothing of it.
    let mut admin = s.admin.second_device();
    admin.cursor = None;
    admin.replica.clear();
    admin.pull().await;
    let seen = admin
        .replica
        .iter()
        .find(|((e, _), _)| e == "signup")
        .unwrap()
        .1
        .clone();
    assert_eq!(seen["display_name"], "劉奶奶");
    assert!(seen.get("phone").is_none());
    neighbour.pull().await;
    assert_eq!(neighbour.count("signup"), 0);
    // The roster: leaders get phone numbers, members get 403.
    let roster = ok_json(leader.sdk.get_group_roster(&s.group).await);
    assert_eq!(roster[0]["phone"], "+8613700000000");
    assert_problem(
        s.app
            .get(
                &format!("/api/v1/groups/{}/roster", s.group),
                Some(&neighbour.token),
            )
            .await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn hours_pledged_to_a_linked_campaign_are_received_when_the_volunteer_is_marked_present() {
    let mut s = Society::new(-1, 5, json!({})).await;
    let mut volunteer = s.volunteer(0).await;
    volunteer.mutate("group.join", json!({"group_id": s.group}));
    assert_all_applied(&volunteer.push().await);
    let who = volunteer_id(&s.app, &volunteer).await;
    let admin_id = volunteer_id(&s.app, &s.admin).await;
    // The president runs a campaign for 20 hours at the lectures, as its own treasurer.
    let (campaign, hours, mixed) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    s.admin.mutate(
        "campaign.create",
        json!({"id": campaign, "title": "講座志願服務",
        "purpose": "法律講座需要人手。", "treasurer_id": admin_id, "goal_hours": 20,
        "series_id": s.series, "deadline": Utc::now() + Duration::days(30)}),
    );
    s.admin
        .mutate("campaign.open", json!({"campaign_id": campaign}));
    assert_all_applied(&s.admin.push().await);
    s.admin.mutate(
        "campaign.create",
        json!({"id": Uuid::now_v7(), "title": "x", "purpose": "x",
        "treasurer_id": admin_id, "goal_hours": 1, "series_id": Uuid::now_v7(),
        "deadline": Utc::now() + Duration::days(30)}),
    );
    assert_eq!(
        s.admin.push().await["results"][0]["code"],
        "validation_failed"
    );
    // The volunteer pledges 3 hours, and separately 50 yuan with 2 hours.
    volunteer.mutate(
        "pledge.make",
        json!({"id": hours, "campaign_id": campaign, "hours": 3}),
    );
    volunteer.mutate(
        "pledge.make",
        json!({"id": mixed, "campaign_id": campaign, "amount_fen": 5_000, "hours": 2}),
    );
    assert_all_applied(&volunteer.push().await);
    // The leader marks them present at yesterday's lecture: the hours are received.
    let (occ, t) = s.occurrence(0);
    let mut leader = Phone::new(&s.app, &s.leader);
    leader.mutate(
        "attendance.mark",
        json!({"occurrence_id": occ, "series_id": s.series,
        "original_start": t, "user_id": who, "status": "present"}),
    );
    assert_all_applied(&leader.push().await);
    let ledger_path = format!("/api/v1/campaigns/{campaign}/ledger");
    let ledger: Value = s
        .app
        .get(&ledger_path, Some(&volunteer.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["verified"], true, "{ledger}");
    let entries = ledger["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "only the hours-only pledge: {ledger}");
    assert_eq!(
        (entries[0]["hours"].as_i64(), entries[0]["method"].as_str()),
        (Some(3), Some("time"))
    );
    assert!(
        entries[0]["reference"]
            .as_str()
            .unwrap()
            .contains("週六法律講座")
    );
    volunteer.pull().await;
    assert_eq!(
        volunteer.get("pledge", hours).unwrap()["status"],
        "received"
    );
    assert_eq!(volunteer.get("pledge", mixed).unwrap()["status"], "pledged");
    // Marked again (a correction): nothing is received twice.
    leader.mutate(
        "attendance.mark",
        json!({"occurrence_id": occ, "series_id": s.series,
        "original_start": t, "user_id": who, "status": "present", "hours": 1.0}),
    );
    assert_all_applied(&leader.push().await);
    let ledger: Value = s
        .app
        .get(&ledger_path, Some(&volunteer.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn attendance_counts_service_hours_per_group_and_month() {
    // The first session was yesterday; the volunteer belongs to the group.
    let s = Society::new(-1, 5, json!({})).await;
    let mut volunteer = s.volunteer(0).await;
    volunteer.mutate("group.join", json!({"group_id": s.group}));
    volunteer.push().await;
    let mut leader = Phone::new(&s.app, &s.leader);
    let (occ, t0) = s.occurrence(0);
    let who = volunteer_id(&s.app, &volunteer).await;
    let mark = |user: Uuid, week: i64, hours: f64| {
        let (occ, t) = s.occurrence(week);
        json!({"occurrence_id": occ, "series_id": s.series, "original_start": t, "user_id": user, "status": "present", "hours": hours})
    };
    leader.mutate("attendance.mark", mark(who, 0, 1.5));
    let out = leader.push().await;
    assert_eq!(result(&out)["status"], "applied", "{out}");
    // Not beyond the session's 90 minutes, not before it begins, and only for its
    // volunteers (those who signed up, and the group's members).
    leader.mutate("attendance.mark", mark(who, 0, 2.5));
    let out = leader.push().await;
    assert_eq!(
        (status(&out), &result(&out)["message"]),
        (
            "rejected:validation_failed".into(),
            &json!("hours: at most the session's length, 1.5 hours")
        )
    );
    leader.mutate("attendance.mark", mark(who, 1, 1.0));
    assert_eq!(status(&leader.push().await), "rejected:validation_failed");
    let stranger = s.app.resident("13600000000", "路人").await;
    leader.mutate("attendance.mark", mark(stranger.id, 0, 1.0));
    let out = leader.push().await;
    assert_eq!(status(&out), "rejected:validation_failed");
    assert!(
        result(&out)["message"]
            .as_str()
            .unwrap()
            .starts_with("user_id:"),
        "{out}"
    );
    // Marking is for leaders.
    volunteer.mutate("attendance.mark", json!({"occurrence_id": occ, "series_id": s.series, "original_start": t0, "user_id": who, "status": "present"}));
    assert_eq!(status(&volunteer.push().await), "rejected:forbidden");

    let month = t0.with_timezone(&Shanghai).format("%Y-%m").to_string();
    let group_hours = ok_json(
        leader
            .sdk
            .get_group_hours(&s.group, &month.parse().unwrap())
            .await,
    );
    assert_eq!(
        (
            group_hours[0]["hours"].as_f64(),
            group_hours[0]["sessions"].as_u64()
        ),
        (Some(1.5), Some(1))
    );
    let mine = ok_json(volunteer.sdk.get_my_hours(&month.parse().unwrap()).await);
    assert_eq!(mine[0]["hours"], 1.5);
    assert_eq!(mine[0]["name"], "法律講座");
    volunteer.pull().await;
    assert_eq!(volunteer.count("attendance"), 1);
    assert_problem(
        s.app
            .get(
                &format!("/api/v1/groups/{}/hours?month={month}", s.group),
                Some(&volunteer.token),
            )
            .await,
        403,
        "forbidden",
    )
    .await;
}

async fn volunteer_id(app: &TestApp, phone: &Phone) -> Uuid {
    let me: Value = app
        .get("/api/v1/me", Some(&phone.token))
        .await
        .json()
        .await
        .unwrap();
    me["id"].as_str().unwrap().parse().unwrap()
}

/// Parses an iCalendar document with an independent parser (the `ical` crate) and returns
/// its events' properties.
/// An iCalendar property: name, value, parameters.
type IcsProperty = (String, String, Vec<(String, Vec<String>)>);

fn parse_ics(text: &str) -> Vec<Vec<IcsProperty>> {
    let mut reader = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let cal = reader
        .next()
        .expect("one calendar")
        .expect("a valid calendar");
    assert!(reader.next().is_none());
    cal.events
        .into_iter()
        .map(|e| {
            e.properties
                .into_iter()
                .map(|p| {
                    (
                        p.name,
                        p.value.unwrap_or_default(),
                        p.params.unwrap_or_default(),
                    )
                })
                .collect()
        })
        .collect()
}

fn prop<'a>(event: &'a [IcsProperty], name: &str) -> Vec<&'a str> {
    event
        .iter()
        .filter(|(n, _, _)| n == name)
        .map(|(_, v, _)| v.as_str())
        .collect()
}

#[tokio::test]
async fn calendar_feeds_carry_rrule_exdate_and_recurrence_id_with_stable_uids() {
    let mut s = Society::new(3, 5, json!({})).await;
    let (_, t1) = s.occurrence(1);
    let (_, t2) = s.occurrence(2);
    s.admin.mutate(
        "occurrence.override",
        json!({"series_id": s.series, "original_start": t1, "cancelled": true}),
    );
    s.admin.mutate(
        "occurrence.override",
        json!({"series_id": s.series, "original_start": t2, "starts_at": t2 + Duration::hours(1)}),
    );
    s.admin.push().await;

    let text = s
        .app
        .get(&format!("/api/v1/groups/{}/calendar.ics", s.group), None)
        .await
        .text()
        .await
        .unwrap();
    let events = parse_ics(&text);

    assert_eq!(events.len(), 2, "{text}");
    let uid = format!("series-{}@linli", s.series);
    assert_eq!(prop(&events[0], "UID"), [uid.as_str()]);
    assert_eq!(prop(&events[0], "RRULE"), ["FREQ=WEEKLY"]);
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&Shanghai)
            .format("%Y%m%dT%H%M%S")
            .to_string()
    };
    assert_eq!(prop(&events[0], "EXDATE"), [local(t1).as_str()]);
    assert_eq!(prop(&events[1], "UID"), [uid.as_str()]);
    assert_eq!(prop(&events[1], "RECURRENCE-ID"), [local(t2).as_str()]);
    assert_eq!(
        prop(&events[1], "DTSTART"),
        [local(t2 + Duration::hours(1)).as_str()]
    );
    // The same UID tomorrow: calendar apps update instead of duplicating.
    let again = s
        .app
        .get(&format!("/api/v1/groups/{}/calendar.ics", s.group), None)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(prop(&parse_ics(&again)[0], "UID"), [uid.as_str()]);
}

#[tokio::test]
async fn a_personal_feed_is_secret_rotatable_and_revocable() {
    let s = Society::new(3, 5, json!({})).await;
    let mut a = s.volunteer(0).await;
    sign_up(&mut a, s.request(0)).await;
    let feed: Value = s
        .app
        .client
        .post(s.app.url("/api/v1/me/calendar-token"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = feed["path"].as_str().unwrap().to_owned();

    let resp = s.app.get(&path, None).await;
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let events = parse_ics(&resp.text().await.unwrap());
    let (occ, _) = s.occurrence(0);
    assert_eq!(
        prop(&events[0], "UID"),
        [format!("occurrence-{occ}@linli").as_str()]
    );

    let rotated: Value = s
        .app
        .client
        .post(s.app.url("/api/v1/me/calendar-token"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_problem(s.app.get(&path, None).await, 404, "not_found").await;
    let new_path = rotated["path"].as_str().unwrap().to_owned();
    assert_eq!(s.app.get(&new_path, None).await.status(), 200);
    let revoked = s
        .app
        .client
        .delete(s.app.url("/api/v1/me/calendar-token"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_problem(s.app.get(&new_path, None).await, 404, "not_found").await;
}

#[tokio::test]
async fn invite_only_groups_have_no_public_feed_and_take_sign_ups_from_members_only() {
    let mut s = Society::new(3, 5, json!({})).await;
    s.admin
        .mutate("group.update", json!({"id": s.group, "is_open": false}));
    s.admin.push().await;
    assert_problem(
        s.app
            .get(&format!("/api/v1/groups/{}/calendar.ics", s.group), None)
            .await,
        404,
        "not_found",
    )
    .await;
    let mut outsider = s.volunteer(0).await;
    assert_eq!(
        status(&sign_up(&mut outsider, s.request(0)).await),
        "rejected:forbidden"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rush_for_the_last_seats_never_oversells() {
    let s = Society::new(3, 5, json!({"waitlist_limit": 6})).await;
    let mut phones = Vec::new();
    for n in 0..16 {
        phones.push(s.volunteer(n).await);
    }
    let tasks: Vec<_> = phones
        .into_iter()
        .map(|mut p| {
            let args = s.request(0);
            tokio::spawn(async move { status(&sign_up(&mut p, args).await) })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let count = |what: &str| outcomes.iter().filter(|o| *o == what).count();
    assert_eq!(
        (
            count("confirmed"),
            count("waitlisted"),
            count("rejected:waitlist_full")
        ),
        (5, 6, 5),
        "{outcomes:?}"
    );
}

/// Sign-ups that arrive while the writer is busy are decided together, in arrival order, in
/// one transaction; a push that fails among them fails alone. This is what lets a rush be
/// answered in full: the phones wait in a queue, not for database connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_ups_waiting_for_the_writer_share_one_commit_in_arrival_order() {
    let s = Society::new(3, 2, json!({"waitlist_limit": 1})).await;
    let mut phones = Vec::new();
    for n in 0..5 {
        let mut p = s.volunteer(n).await;
        p.mutate("signup.request", s.request(0));
        phones.push(p);
    }
    // The fourth phone's queue starts at id 2: a gap, refused as a whole.
    phones[3].queue[0]["id"] = json!(2);
    let (batches_before, _) = s.app.sync.group_commit.batches();

    // Another writer (a leader's REST edit, say) holds the community's write lock.
    let community = s.app.community_id().await;
    let held = linli::sync::write::begin(&s.app.db).await.unwrap();
    linli::sync::write::lock(&held, community).await.unwrap();

    let mut pending = Vec::new();
    let send = |p: Phone| tokio::spawn(async move { (p.push_queue_raw().await, p) });
    let mut phones = phones.into_iter();
    // The first is taken at once, and waits for the lock...
    pending.push(send(phones.next().unwrap()));
    wait_until("the writer takes the first push", || {
        s.app.sync.group_commit.deciding() == 1
    })
    .await;
    // ...while the others queue behind it, one after the other.
    for (k, p) in phones.enumerate() {
        pending.push(send(p));
        wait_until("a push joins the queue", || {
            s.app.sync.group_commit.waiting() == k + 1
        })
        .await;
    }
    held.rollback().await.unwrap();

    let mut answers = Vec::new();
    for p in pending {
        let (resp, phone) = p.await.unwrap();
        let status = resp.status().as_u16();
        answers.push((status, resp.json::<Value>().await.unwrap(), phone));
    }
    let outcome = |(code, body, _): &(u16, Value, Phone)| match code {
        200 => status(body),
        _ => format!("{code} {}", body["code"].as_str().unwrap()),
    };
    assert_eq!(
        answers.iter().map(outcome).collect::<Vec<_>>(),
        [
            "confirmed",
            "confirmed",
            "waitlisted",
            "409 mutation_gap",
            "rejected:waitlist_full"
        ]
    );
    assert_eq!(
        s.app.sync.group_commit.batches().0 - batches_before,
        2,
        "the four that queued behind the first share one transaction"
    );

    // What was acknowledged was committed: the tally agrees, and a resent push gets the
    // stored answer.
    let (occ, _) = s.occurrence(0);
    let mut admin = s.admin;
    admin.pull().await;
    let tally = admin.get("occurrence_tally", occ).unwrap();
    assert_eq!(
        (&tally["confirmed"], &tally["waitlisted"]),
        (&json!(2), &json!(1))
    );
    let (_, first_answer, second) = &answers[1];
    let resent = second.push_queue_raw().await.json::<Value>().await.unwrap();
    assert_eq!(resent["results"], first_answer["results"]);
}

#[tokio::test]
async fn refused_requests_change_nothing_that_phones_must_pull() {
    let s = Society::new(3, 1, json!({"waitlist_limit": 0})).await;
    let mut a = s.volunteer(0).await;
    let mut b = s.volunteer(1).await;
    sign_up(&mut a, s.request(0)).await;
    b.pull().await;
    assert_eq!(
        status(&sign_up(&mut b, s.request(0)).await),
        "rejected:waitlist_full"
    );
    assert!(
        b.pull().await.is_empty(),
        "a refusal must not move the feed"
    );
}

#[tokio::test]
async fn an_override_made_again_after_clearing_starts_fresh() {
    let mut s = Society::new(3, 5, json!({})).await;
    let (_, t0) = s.occurrence(0);
    s.admin.mutate(
        "occurrence.override",
        json!({"series_id": s.series, "original_start": t0, "cancelled": true}),
    );
    s.admin.mutate(
        "occurrence.clear_override",
        json!({"series_id": s.series, "original_start": t0}),
    );
    s.admin.push().await;
    let mut a = s.volunteer(0).await;
    assert_eq!(status(&sign_up(&mut a, s.request(0)).await), "confirmed");

    s.admin.mutate(
        "occurrence.override",
        json!({"series_id": s.series, "original_start": t0, "location": "禮堂"}),
    );
    let out = s.admin.push().await;

    assert_eq!(result(&out)["data"]["data"]["cancelled"], false);
    a.pull().await;
    let mine = a
        .replica
        .iter()
        .find(|((e, _), _)| e == "signup")
        .unwrap()
        .1
        .clone();
    assert_eq!(mine["status"], "confirmed");
}

#[tokio::test]
async fn cancelling_for_someone_else_needs_a_leader_and_shows_nothing_otherwise() {
    let s = Society::new(3, 5, json!({"cancel_cutoff_minutes_before": 10080})).await;
    let mut a = s.volunteer(0).await;
    let mut nosy = s.volunteer(1).await;
    sign_up(&mut a, s.request(0)).await;
    let a_id = volunteer_id(&s.app, &a).await;
    let (occ, _) = s.occurrence(0);

    nosy.mutate(
        "signup.cancel",
        json!({"occurrence_id": occ, "on_behalf_of": a_id}),
    );
    let out = nosy.push().await;
    assert_eq!(status(&out), "rejected:forbidden");
    assert!(result(&out).get("data").is_none());
    // Past the cutoff the volunteer cannot cancel, but the leader they call can.
    a.mutate("signup.cancel", json!({"occurrence_id": occ}));
    assert_eq!(status(&a.push().await), "rejected:past_cutoff");
    let mut leader = Phone::new(&s.app, &s.leader);
    leader.mutate(
        "signup.cancel",
        json!({"occurrence_id": occ, "on_behalf_of": a_id}),
    );
    assert_eq!(status(&leader.push().await), "cancelled");
}

/// A new phone's first sync, in pages, while the resident's other phone changes her own
/// sign-ups between them: she ends with her rows as they are now, like a phone that synced
/// afterwards in one go. (Her own rows are read once per pass and reused by its next pages
/// only while nothing has been committed.)
#[tokio::test]
async fn a_first_sync_in_pages_ends_with_my_sign_ups_as_they_are_now() {
    let s = Society::new(3, 2, json!({})).await;
    let wang = s.app.resident("13900000001", "王阿姨").await;
    let mut old_phone = Phone::new(&s.app, &wang);
    for week in 0..3 {
        assert_eq!(
            status(&sign_up(&mut old_phone, s.request(week)).await),
            "confirmed"
        );
    }

    // Pages of 4: her 3 sign-ups fit in one read, so the pass keeps them for its next page.
    let mut new_phone = Phone::new(&s.app, &wang);
    let page = new_phone.pull_page(Some(4)).await;
    assert_eq!(page["has_more"], true);
    // Between pages: one sign-up cancelled, one made.
    old_phone.mutate("signup.cancel", json!({"occurrence_id": s.occurrence(2).0}));
    old_phone.push().await;
    assert_eq!(
        status(&sign_up(&mut old_phone, s.request(5)).await),
        "confirmed"
    );
    while new_phone.pull_page(Some(4)).await["has_more"] == true {}

    let mut later_phone = Phone::new(&s.app, &wang);
    later_phone.pull().await;
    old_phone.pull().await;
    let signups = |p: &Phone| {
        let mut mine: Vec<(String, String)> = p
            .replica
            .iter()
            .filter(|((entity, _), _)| entity == "signup")
            .map(|(_, v)| {
                (
                    v["original_start"].as_str().unwrap().to_owned(),
                    v["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        mine.sort();
        mine
    };
    let now = signups(&later_phone);
    assert_eq!(
        now.iter().filter(|(_, st)| st == "confirmed").count(),
        3,
        "{now:?}"
    );
    assert_eq!(signups(&new_phone), now);
    assert_eq!(new_phone.replica, later_phone.replica);
    assert_eq!(old_phone.replica, later_phone.replica);
}

/// Compaction purges the old tombstones of every synced table the app registers, whichever
/// capability declared it (it once purged groups, memberships and series only).
#[tokio::test]
async fn compaction_purges_old_tombstones_of_every_registered_table() {
    use linli::features::App;
    use linli::sync::SyncApp;
    use sea_orm::{ConnectionTrait, Statement};

    // Yesterday's session, with next week's open for sign-ups.
    let s = Society::new(-1, 5, json!({})).await;
    let mut admin = Phone::new(&s.app, &s.app.admin("13800000001", "副會長").await);
    let (occ, t0) = s.occurrence(0);
    admin.mutate(
        "occurrence.override",
        json!({"series_id": s.series, "original_start": t0, "note": "帶上身份證"}),
    );
    let mut volunteer = s.volunteer(1).await;
    volunteer.mutate("group.join", json!({"group_id": s.group}));
    volunteer.push().await;
    assert_eq!(
        status(&sign_up(&mut volunteer, s.request(1)).await),
        "confirmed"
    );
    let who = volunteer_id(&s.app, &volunteer).await;
    admin.mutate("attendance.mark", json!({"occurrence_id": occ, "series_id": s.series, "original_start": t0, "user_id": who, "status": "present"}));
    // The territory's tables too: a compound, a building in a grid cell, a household with a
    // resident recorded in it, and the building's leader.
    let (compound, building, cell, flat) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    admin.mutate(
        "unit.create",
        json!({"id": compound, "kind": "compound", "name": "一區"}),
    );
    admin.mutate(
        "unit.create",
        json!({"id": building, "kind": "building", "parent_id": compound, "name": "3號樓"}),
    );
    admin.mutate("cell.create", json!({"id": cell, "name": "第一網格"}));
    admin.mutate(
        "cell.assign",
        json!({"building_id": building, "cell_id": cell}),
    );
    admin.mutate(
        "household.create",
        json!({"id": flat, "building_id": building, "entrance": "1", "floor": 3, "room": "302"}),
    );
    admin.mutate("residency.record", json!({"id": Uuid::now_v7(), "household_id": flat, "relation": "owner", "name": "孫奶奶", "born": "1941"}));
    admin.mutate("position.assign", json!({"id": Uuid::now_v7(), "kind": "building_leader", "unit_id": building, "resident_id": who, "starts_on": "2026-01-01"}));
    let out = admin.push().await;
    assert_all_applied(&out);
    // The elections' tables: the volunteer lives in the flat and stands; the roll freezes
    // (孫奶奶 and the volunteer); 孫奶奶 entrusts the volunteer; after the close an officer
    // enters a paper sheet.
    let claim = Uuid::now_v7();
    volunteer.mutate(
        "residency.claim",
        json!({"id": claim, "household_id": flat, "relation": "tenant", "born": "1980"}),
    );
    volunteer.push().await;
    let election = Uuid::now_v7();
    let now = s.app.sync.clock.wall();
    admin.mutate(
        "residency.decide",
        json!({"id": claim, "verdict": "confirm"}),
    );
    admin.mutate("election.create", json!({"id": election, "title": "3號樓樓長選舉", "position": "building_leader", "unit_id": building, "term_starts_on": "2027-01-01", "nominations_close": now + Duration::hours(1), "voting_opens": now + Duration::hours(1), "voting_closes": now + Duration::hours(2)}));
    let candidate = Uuid::now_v7();
    admin.mutate(
        "candidate.nominate",
        json!({"id": candidate, "election_id": election, "resident_id": who, "by_committee": true}),
    );
    let out = admin.push().await;
    assert_all_applied(&out);
    volunteer.mutate(
        "candidate.respond",
        json!({"candidate_id": candidate, "accept": true}),
    );
    let out = volunteer.push().await;
    assert_eq!(out["results"][0]["status"], "applied", "{out}");
    s.app.sync.clock.advance(Duration::minutes(61));
    // The election clock freezes the roll within a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let roll = loop {
        let roll: serde_json::Value = s
            .app
            .get(
                &format!("/api/v1/elections/{election}/roll"),
                Some(&admin.token),
            )
            .await
            .json()
            .await
            .unwrap();
        if roll["frozen"] == true {
            break roll;
        }
        assert!(std::time::Instant::now() < deadline, "the roll never froze");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let names = roll["names"].as_array().unwrap();
    let grandma = names.iter().find(|n| n["name"] == "孫奶奶").unwrap()["elector_id"].clone();
    let volunteer_entry =
        names.iter().find(|n| n["name"] != "孫奶奶").unwrap()["elector_id"].clone();
    admin.mutate("entrustment.record", json!({"id": Uuid::now_v7(), "election_id": election, "from_elector_id": grandma, "to_elector_id": volunteer_entry, "document": "委託書 1"}));
    let out = admin.push().await;
    assert_eq!(out["results"][0]["status"], "applied", "{out}");
    s.app.sync.clock.advance(Duration::minutes(61));
    admin.mutate("paper.enter", json!({"id": Uuid::now_v7(), "election_id": election, "sheet": "1", "marks": [], "write_ins": [], "spoiled": true}));
    let out = admin.push().await;
    assert_eq!(out["results"][0]["status"], "applied", "{out}");
    // Deliberation's tables: a community topic, supported and commented on; the joint
    // meeting (the building leader its one voting member) adopts it; a task, a report, a
    // rating.
    let (topic, meeting, motion, task) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let now = s.app.sync.clock.wall();
    admin.mutate(
        "topic.raise",
        json!({"id": topic, "unit_id": null, "title": "停車難", "category": "parking"}),
    );
    admin.mutate(
        "comment.post",
        json!({"id": Uuid::now_v7(), "topic_id": topic, "body": "開會商量"}),
    );
    admin.mutate("meeting.convene", json!({"id": meeting, "unit_id": null, "title": "聯席會議", "starts_at": now, "ends_at": now + Duration::hours(1), "place": "禮堂", "agenda": [topic], "invite": []}));
    admin.mutate(
        "meeting.check_in",
        json!({"meeting_id": meeting, "resident_id": who}),
    );
    admin.mutate("motion.propose", json!({"id": motion, "meeting_id": meeting, "topic_id": topic, "title": "停車方案", "text": "劃線停車"}));
    let out = admin.push().await;
    assert_all_applied(&out);
    volunteer.mutate("topic.support", json!({"topic_id": topic}));
    volunteer.mutate(
        "motion.vote",
        json!({"motion_id": motion, "choice": "agree"}),
    );
    let out = volunteer.push().await;
    assert_all_applied(&out);
    admin.mutate("motion.close", json!({"motion_id": motion}));
    let out = admin.push().await;
    let decision = out["results"][0]["data"]["data"]["decision_id"].clone();
    assert!(decision.is_string(), "{out}");
    admin.mutate("task.assign", json!({"id": task, "decision_id": decision, "title": "劃線", "owner": {"kind": "resident", "id": who}, "due_on": "2027-01-01"}));
    admin.mutate(
        "decision.report",
        json!({"decision_id": decision, "text": "已劃線", "done": true}),
    );
    let out = admin.push().await;
    assert_all_applied(&out);
    volunteer.mutate(
        "decision.rate",
        json!({"decision_id": decision, "rating": "satisfied"}),
    );
    let out = volunteer.push().await;
    assert_eq!(out["results"][0]["status"], "applied", "{out}");
    // The grid's: the volunteer becomes the cell's grid worker and logs a round.
    admin.mutate("position.assign", json!({"id": Uuid::now_v7(), "kind": "grid_worker", "unit_id": cell, "resident_id": who, "starts_on": "2026-01-01"}));
    let out = admin.push().await;
    assert_eq!(out["results"][0]["status"], "applied", "{out}");
    let today = s
        .app
        .sync
        .clock
        .wall()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    volunteer.mutate("log.write", json!({"id": Uuid::now_v7(), "cell_id": cell, "day": today, "hat": "property", "found": "樓梯口有垃圾", "status": "closed"}));
    let out = volunteer.push().await;
    assert_eq!(out["results"][0]["status"], "applied", "{out}");
    // The cases': a department, and a case the volunteer reports.
    let dept = Uuid::now_v7();
    admin.mutate(
        "department.create",
        json!({"id": dept, "name": "供暖科", "liaison_id": who}),
    );
    let out = admin.push().await;
    assert_eq!(out["results"][0]["status"], "applied", "{out}");
    let dispute = Uuid::now_v7();
    volunteer.mutate("case.report", json!({"id": Uuid::now_v7(), "category": "repair", "unit_id": building, "description": "暖氣不熱"}));
    volunteer.mutate("case.report", json!({"id": dispute, "category": "dispute", "unit_id": building, "description": "噪音糾紛"}));
    let out = volunteer.push().await;
    assert_all_applied(&out);
    // Mediation's: the volunteer, a mediator, mediates their own dispute with a neighbour.
    // (As president: a dispute is confidential even to admins.)
    admin.mutate("position.assign", json!({"id": Uuid::now_v7(), "kind": "mediator", "unit_id": null, "resident_id": who, "starts_on": "2026-01-01"}));
    admin.mutate("position.assign", json!({"id": Uuid::now_v7(), "kind": "president", "unit_id": null, "resident_id": who, "starts_on": "2026-01-01"}));
    let out = admin.push().await;
    assert_all_applied(&out);
    volunteer.mutate("mediation.open", json!({"case_id": dispute, "parties": [{"resident_id": who}, {"name": "鄰居"}], "mediators": [who]}));
    let out = volunteer.push().await;
    assert_all_applied(&out);
    // Reception days': a day with the department, and the volunteer's booking.
    let day = Uuid::now_v7();
    let start = s.app.sync.clock.wall() + Duration::days(1);
    admin.mutate("reception.create", json!({"id": day, "title": "聯合接訪日", "place": "活動中心", "starts_at": start, "ends_at": start + Duration::hours(1), "slot_minutes": 30, "capacity": 2, "department_ids": [dept]}));
    let out = admin.push().await;
    assert_eq!(out["results"][0]["status"], "applied", "{out}");
    volunteer.mutate(
        "reception.book",
        json!({"reception_id": day, "department_id": dept, "slot_start": start}),
    );
    let out = volunteer.push().await;
    assert_eq!(out["results"][0]["status"], "applied", "{out}");
    // Announcements' and crowdfunding's: the volunteer, now president, posts a notice and
    // reads it; runs a campaign as its own treasurer, pledges and receives the pledge.
    let (notice, campaign, pledge) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    volunteer.mutate(
        "announcement.post",
        json!({"id": notice, "title": "停水通知", "body": "明天停水。", "importance": "urgent"}),
    );
    volunteer.mutate("announcement.read", json!({"announcement_id": notice}));
    volunteer.mutate("campaign.create", json!({"id": campaign, "title": "花盆", "purpose": "院子添花盆。", "treasurer_id": who, "goal_fen": 10_000, "deadline": s.app.sync.clock.wall() + Duration::days(30)}));
    volunteer.mutate("campaign.open", json!({"campaign_id": campaign}));
    volunteer.mutate(
        "pledge.make",
        json!({"id": pledge, "campaign_id": campaign, "amount_fen": 5_000}),
    );
    volunteer.mutate(
        "ledger.receive",
        json!({"id": Uuid::now_v7(), "pledge_id": pledge, "method": "cash"}),
    );
    volunteer.mutate(
        "campaign.close",
        json!({"campaign_id": campaign, "report": "買了五個花盆。"}),
    );
    volunteer.mutate(
        "campaign.rate",
        json!({"campaign_id": campaign, "stars": 5}),
    );
    let out = volunteer.push().await;
    assert_all_applied(&out);
    // Talents': the group's leader offers a skill; the president invites them.
    // Notifications': the urgent notice above is in the leader's inbox; they set quiet hours.
    let mut leader = Phone::new(&s.app, &s.leader);
    leader.mutate("talent.offer", json!({"skills": ["singing"]}));
    leader.mutate(
        "notifications.configure",
        json!({"push": true, "sms": false, "quiet_from": 1320, "quiet_to": 420}),
    );
    assert_all_applied(&leader.push().await);
    volunteer.mutate(
        "talent.invite",
        json!({"id": Uuid::now_v7(), "resident_id": s.leader.id, "role": "lead", "activity": "教唱歌"}),
    );
    assert_all_applied(&volunteer.push().await);

    let db = &s.app.db;
    let backend = db.get_database_backend();
    let count = |table: String| async move {
        let row = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    let tables: Vec<String> = App::tables().iter().map(|t| t.table()).collect();
    let mut rows = 0;
    for table in &tables {
        let n = count(table.clone()).await;
        assert!(n > 0, "the scenario leaves no row in {table}");
        rows += n;
    }
    // Everything becomes a tombstone of a month ago.
    let long_ago = Utc::now() - Duration::days(30);
    let placeholder = if s.app.database_url.starts_with("postgres") {
        "$1"
    } else {
        "?"
    };
    for table in &tables {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            format!("UPDATE {table} SET deleted_at = {placeholder}"),
            [long_ago.into()],
        ))
        .await
        .unwrap();
    }
    let compacted = linli::sync::compact::compact::<App>(db, Utc::now() - Duration::days(1))
        .await
        .unwrap();
    for table in &tables {
        assert_eq!(count(table.clone()).await, 0, "{table} kept its tombstones");
    }
    assert_eq!(compacted.tombstones, u64::try_from(rows).unwrap());
}

/// A push is decided with the roles its author holds at its turn, not when it arrived: a
/// leader demoted by a push just ahead of theirs, in the same transaction, no longer acts as
/// leader.
#[tokio::test]
async fn a_push_is_decided_with_the_roles_of_its_turn() {
    let s = Society::new(3, 2, json!({})).await;
    let mut volunteer = s.volunteer(1).await;
    volunteer.mutate("signup.request", s.request(0));
    let mut admin = Phone::new(&s.app, &s.app.admin("13800000001", "副會長").await);
    admin.mutate(
        "member.set_role",
        json!({"group_id": s.group, "resident_id": s.leader.id, "role": "member"}),
    );
    let mut leader = Phone::new(&s.app, &s.leader);
    leader.mutate(
        "series.update",
        json!({"id": s.series, "title": "改過的講座"}),
    );

    let community = s.app.community_id().await;
    let held = linli::sync::write::begin(&s.app.db).await.unwrap();
    linli::sync::write::lock(&held, community).await.unwrap();
    let send = |p: Phone| tokio::spawn(async move { p.push_queue_raw().await });
    let first = send(volunteer);
    wait_until("the writer takes the first push", || {
        s.app.sync.group_commit.deciding() == 1
    })
    .await;
    // Both arrive while the leader is still a leader, and wait for the same turn.
    let demotion = send(admin);
    wait_until("the demotion queues", || {
        s.app.sync.group_commit.waiting() == 1
    })
    .await;
    let edit = send(leader);
    wait_until("the edit queues behind it", || {
        s.app.sync.group_commit.waiting() == 2
    })
    .await;
    held.rollback().await.unwrap();

    let answer = |r: reqwest::Response| async move { r.json::<Value>().await.unwrap() };
    assert_eq!(status(&answer(first.await.unwrap()).await), "confirmed");
    let demoted = answer(demotion.await.unwrap()).await;
    assert_eq!(result(&demoted)["status"], "applied", "{demoted}");
    let edited = answer(edit.await.unwrap()).await;
    assert_eq!(status(&edited), "rejected:forbidden", "{edited}");
    let mut check = s.admin;
    check.pull().await;
    assert_eq!(
        check.get("series", s.series).unwrap()["title"],
        "週六法律講座"
    );
}

/// Whether a resident signed up for a session is theirs and their group leaders' to know:
/// cancelling for someone else is refused the same way whether or not they did.
#[tokio::test]
async fn cancelling_for_someone_else_never_says_whether_they_signed_up() {
    let s = Society::new(3, 5, json!({})).await;
    let mut signed_up = s.volunteer(1).await;
    assert_eq!(
        status(&sign_up(&mut signed_up, s.request(0)).await),
        "confirmed"
    );
    let signed_up_id = volunteer_id(&s.app, &signed_up).await;
    let not_signed_up = s.volunteer(2).await;
    let not_signed_up_id = volunteer_id(&s.app, &not_signed_up).await;

    let mut neighbour = s.volunteer(3).await;
    for (who, hint) in [
        (signed_up_id, true),
        (not_signed_up_id, true),
        (signed_up_id, false),
        (not_signed_up_id, false),
    ] {
        let mut args = if hint {
            s.request(0)
        } else {
            json!({"occurrence_id": s.occurrence(0).0})
        };
        args["on_behalf_of"] = json!(who);
        neighbour.mutate("signup.cancel", args);
        let out = neighbour.push().await;
        assert_eq!(status(&out), "rejected:forbidden", "{out}");
    }
    // The group's leader may, and learns what there is to learn.
    let mut leader = Phone::new(&s.app, &s.leader);
    let mut args = s.request(0);
    args["on_behalf_of"] = json!(not_signed_up_id);
    leader.mutate("signup.cancel", args);
    assert_eq!(status(&leader.push().await), "rejected:not_found");
}

/// What a mutation names cannot make the writer expand a rule without bound: occurrences far
/// away are refused before any expansion, searches cover the coming weeks, and a group's
/// series are capped.
#[tokio::test]
async fn expansions_inside_the_write_lock_are_bounded() {
    let mut s = Society::new(3, 5, json!({})).await;
    let far = "9999-12-30T00:00:00Z";
    s.admin.mutate(
        "occurrence.override",
        json!({"series_id": s.series, "original_start": far, "cancelled": true}),
    );
    assert_eq!(status(&s.admin.push().await), "rejected:not_found");
    // A sign-up without hints for a session 20 weeks ahead is not searched for that far...
    let (occ, _) = s.occurrence(20);
    let mut volunteer = s.volunteer(1).await;
    volunteer.mutate("signup.request", json!({"occurrence_id": occ}));
    let out = volunteer.push().await;
    assert_eq!(status(&out), "rejected:not_found");
    assert!(
        result(&out)["message"]
            .as_str()
            .unwrap()
            .contains("series_id"),
        "{out}"
    );
    // ...but with them it is found, and once it has a tally it is found without them.
    assert_eq!(
        status(&sign_up(&mut volunteer, s.request(20)).await),
        "confirmed"
    );
    let mut other = s.volunteer(2).await;
    assert_eq!(
        status(&sign_up(&mut other, json!({"occurrence_id": occ})).await),
        "confirmed"
    );
    // A group has at most 50 series.
    for n in 1..60 {
        s.admin.mutate(
            "series.create",
            json!({"id": Uuid::now_v7(), "group_id": s.group,
            "title": format!("第{n}期"), "start_local": start_in(1).0, "duration_minutes": 60}),
        );
    }
    let out = s.admin.push().await;
    let results = out["results"].as_array().unwrap();
    let applied = results.iter().filter(|r| r["status"] == "applied").count();
    assert_eq!(applied, 49, "the first series and 49 more: {out}");
    assert!(
        results[49]["message"]
            .as_str()
            .unwrap()
            .contains("at most 50"),
        "{}",
        results[49]
    );
}

/// Expands an iCalendar feed with an independent implementation, Python's
/// `recurring_ical_events` (`pip install recurring-ical-events`; `.ci/run` installs it):
/// the start, in UTC, of every event in `[from, to)`.
fn expand_elsewhere(ics: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    use std::io::Write;
    const SCRIPT: &str = r#"
import sys, datetime, icalendar, recurring_ical_events
cal = icalendar.Calendar.from_ical(sys.stdin.read())
start, end = (datetime.datetime.fromisoformat(a) for a in sys.argv[1:3])
for event in recurring_ical_events.of(cal).between(start, end):
    print(event["DTSTART"].dt.astimezone(datetime.timezone.utc).isoformat())
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", SCRIPT, &from.to_rfc3339(), &to.to_rfc3339()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the independent expander failed (pip install recurring-ical-events): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut starts: Vec<DateTime<Utc>> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| DateTime::parse_from_rfc3339(l).unwrap().with_timezone(&Utc))
        .collect();
    starts.sort();
    starts
}

/// A calendar app subscribed to a group's feed shows exactly the sessions the API lists: a
/// start that is not one of its rule's days adds no session, a cancelled one is gone, a moved
/// one is at its new time. Expanded by another language's calendar library, not by ours.
#[tokio::test]
async fn a_calendar_app_shows_exactly_the_sessions_the_api_lists() {
    let mut s = Society::new(2, 5, json!({})).await;
    // Tuesdays and Thursdays, from a Friday: RFC 5545 would count that Friday too.
    let friday = (1..=7)
        .map(|d| start_in(d).0)
        .find(|local| {
            chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M")
                .unwrap()
                .format("%a")
                .to_string()
                == "Fri"
        })
        .unwrap();
    s.admin.mutate(
        "series.create",
        json!({"id": Uuid::now_v7(), "group_id": s.group,
        "title": "書法", "start_local": friday, "rrule": "FREQ=WEEKLY;BYDAY=TU,TH",
        "duration_minutes": 120}),
    );
    let (_, week1) = s.occurrence(1);
    let (_, week2) = s.occurrence(2);
    s.admin.mutate(
        "occurrence.override",
        json!({"series_id": s.series, "original_start": week1, "cancelled": true}),
    );
    s.admin.mutate(
        "occurrence.override",
        json!({"series_id": s.series, "original_start": week2,
        "starts_at": week2 + Duration::hours(2)}),
    );
    let out = s.admin.push().await;
    assert_all_applied(&out);

    let from = Utc::now();
    let to = from + Duration::days(56);
    let listed: Value = s
        .app
        .get(
            &format!(
                "/api/v1/occurrences?group_id={}&from={}&days=56",
                s.group,
                from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            Some(&s.admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut api: Vec<DateTime<Utc>> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["cancelled"] == false)
        .map(|o| o["starts_at"].as_str().unwrap().parse().unwrap())
        .collect();
    api.sort();
    let feed = s
        .app
        .get(&format!("/api/v1/groups/{}/calendar.ics", s.group), None)
        .await
        .text()
        .await
        .unwrap();
    let shown = expand_elsewhere(&feed, from, to);
    assert!(api.len() > 10, "{api:?}");
    assert_eq!(shown, api, "{feed}");
}

/// A resident can see and take everything linli holds about them, and only that.
#[tokio::test]
async fn a_resident_exports_everything_held_about_them_and_nothing_of_others() {
    let s = Society::new(-1, 5, json!({})).await;
    let mut me = s.volunteer(1).await;
    let my_id = volunteer_id(&s.app, &me).await;
    me.mutate("group.join", json!({"group_id": s.group}));
    me.push().await;
    assert_eq!(status(&sign_up(&mut me, s.request(1)).await), "confirmed");
    let mut neighbour = s.volunteer(2).await;
    assert_eq!(
        status(&sign_up(&mut neighbour, s.request(1)).await),
        "confirmed"
    );
    let mut leader = Phone::new(&s.app, &s.leader);
    let (occ, t0) = s.occurrence(0);
    leader.mutate("attendance.mark", json!({"occurrence_id": occ, "series_id": s.series, "original_start": t0, "user_id": my_id, "status": "present", "hours": 1.0}));
    assert_eq!(result(&leader.push().await)["status"], "applied");
    let feed = s
        .app
        .client
        .post(s.app.url("/api/v1/me/calendar-token"))
        .bearer_auth(&me.token)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);

    let resp = s.app.get("/api/v1/me/export", Some(&me.token)).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(data["account"]["id"], my_id.to_string());
    assert_eq!(data["account"]["display_name"], "志願者1");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
    let devices = data["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["client_id"], me.client_id.to_string());
    let schedule = &data["schedule"];
    assert_eq!(schedule["memberships"][0]["group_name"], "法律講座");
    let signups = schedule["signups"].as_array().unwrap();
    assert_eq!(signups.len(), 1, "only mine: {signups:?}");
    assert_eq!(signups[0]["status"], "confirmed");
    assert_eq!(schedule["attendance"][0]["hours"], 1.0);
    assert!(schedule["calendar_feed_since"].is_string());
    // No secret, and nothing of the neighbour's.
    let neighbour_id = volunteer_id(&s.app, &neighbour).await;
    assert!(!text.contains(&neighbour_id.to_string()), "{text}");
    assert!(
        !text.contains("argon2") && !text.contains("token_hash"),
        "{text}"
    );
    // Only for the signed-in resident.
    assert_problem(
        s.app.get("/api/v1/me/export", None).await,
        401,
        "unauthorized",
    )
    .await;
}

/// Deleting an account: signed out everywhere at once, personal data gone, a coming seat to
/// the waitlist, and what the committee must keep (service hours) kept without a name.
#[tokio::test]
async fn a_deleted_account_is_gone_but_its_service_hours_stay_counted() {
    let s = Society::new(-1, 1, json!({})).await;
    let mut me = s.volunteer(1).await;
    let my_id = volunteer_id(&s.app, &me).await;
    me.mutate("group.join", json!({"group_id": s.group}));
    me.push().await;
    // Mine is next week's only seat; a neighbour waits for it.
    assert_eq!(status(&sign_up(&mut me, s.request(1)).await), "confirmed");
    let mut neighbour = s.volunteer(2).await;
    assert_eq!(
        status(&sign_up(&mut neighbour, s.request(1)).await),
        "waitlisted"
    );
    let mut leader = Phone::new(&s.app, &s.leader);
    let (occ, t0) = s.occurrence(0);
    leader.mutate("attendance.mark", json!({"occurrence_id": occ, "series_id": s.series, "original_start": t0, "user_id": my_id, "status": "present", "hours": 1.5}));
    assert_eq!(result(&leader.push().await)["status"], "applied");
    let refresh = {
        let resp = s.app.login("13900000001", crate::helpers::PASSWORD).await;
        crate::helpers::session(resp, "13900000001").await
    };

    let delete = |password: &str| {
        s.app
            .client
            .post(s.app.url("/api/v1/me/delete"))
            .bearer_auth(&me.token)
            .json(&json!({"password": password}))
            .send()
    };
    assert_problem(
        delete("not my password").await.unwrap(),
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        delete(crate::helpers::PASSWORD).await.unwrap().status(),
        204
    );

    // Signed out everywhere, at once; the number and password no longer sign in.
    assert_problem(
        s.app.get("/api/v1/me", Some(&me.token)).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        s.app.get("/api/v1/me", Some(&refresh.access_token)).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        s.app.refresh(&refresh.refresh_token).await,
        401,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        s.app.login("13900000001", crate::helpers::PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    // The seat went to the neighbour; the roster no longer lists the resident.
    neighbour.pull().await;
    let (next, _) = s.occurrence(1);
    let theirs = neighbour
        .replica
        .iter()
        .find(|((e, _), v)| e == "signup" && v["occurrence_id"] == next.to_string())
        .map(|(_, v)| v.clone())
        .unwrap();
    assert_eq!(theirs["status"], "confirmed");
    let roster: Value = s
        .app
        .get(
            &format!("/api/v1/groups/{}/roster", s.group),
            Some(&leader.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        roster
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["resident_id"] != my_id.to_string()),
        "{roster}"
    );
    // The hours served stay in the group's report, under no name.
    let month = t0.with_timezone(&Shanghai).format("%Y-%m").to_string();
    let hours = ok_json(
        leader
            .sdk
            .get_group_hours(&s.group, &month.parse().unwrap())
            .await,
    );
    let mine = hours
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == my_id.to_string())
        .unwrap();
    assert_eq!(
        (mine["hours"].as_f64(), mine["name"].as_str()),
        (Some(1.5), Some("已刪除的居民"))
    );
    // And the number can make a new account.
    assert_eq!(s.app.register("13900000001", "新住戶").await.status(), 201);
}

/// Privileged actions are appended to an audit log the community's admins read, in the same
/// transaction as the action; ordinary ones are not.
#[tokio::test]
async fn privileged_actions_are_in_the_audit_log_for_admins_only() {
    let mut s = Society::new(-1, 5, json!({})).await;
    let mut member = s.volunteer(1).await;
    let member_id = volunteer_id(&s.app, &member).await;
    member.mutate("group.join", json!({"group_id": s.group}));
    member.push().await;
    let mut quitter = s.volunteer(2).await;
    quitter.mutate("group.join", json!({"group_id": s.group}));
    quitter.mutate("group.leave", json!({"group_id": s.group}));
    quitter.push().await;
    let mut leader = Phone::new(&s.app, &s.leader);
    let (occ, t0) = s.occurrence(0);
    let mark = |hours: f64| json!({"occurrence_id": occ, "series_id": s.series, "original_start": t0, "user_id": member_id, "status": "present", "hours": hours});
    leader.mutate("attendance.mark", mark(1.5));
    leader.mutate("attendance.mark", mark(1.0));
    leader.mutate(
        "group.leave",
        json!({"group_id": s.group, "resident_id": member_id}),
    );
    leader.push().await;
    s.admin.mutate("series.delete", json!({"id": s.series}));
    s.admin.push().await;
    assert_eq!(
        s.app
            .get("/api/v1/me/export", Some(&quitter.token))
            .await
            .status(),
        200
    );

    let community = s.app.community_id().await;
    let log: Value = s
        .app
        .get(
            &format!("/api/v1/communities/{community}/audit"),
            Some(&s.admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // Newest first; the leader's promotion came with the society; joining, leaving oneself
    // and a first mark are not privileged.
    assert_eq!(
        actions,
        [
            "me.export",
            "series.delete",
            "member.remove",
            "attendance.correct",
            "member.set_role"
        ],
        "{log}"
    );
    assert_eq!(log["entries"][2]["object_id"], member_id.to_string());
    // Only for the community's admins.
    assert_problem(
        s.app
            .get(
                &format!("/api/v1/communities/{community}/audit"),
                Some(&leader.token),
            )
            .await,
        403,
        "forbidden",
    )
    .await;
}

/// The days of the weekly series' occurrences `weeks` a phone holds overrides for.
fn overridden(phone: &Phone) -> Vec<DateTime<Utc>> {
    let mut days: Vec<DateTime<Utc>> = phone
        .replica_of("occurrence_override")
        .iter()
        .map(|o| o["original_start"].as_str().unwrap().parse().unwrap())
        .collect();
    days.sort();
    days
}

/// A session cancelled at each of these weeks of a weekly series that began 200 days ago:
/// 165 days ago, 32 days ago, in 24 days and in 94 days.
const WEEKS: [i64; 4] = [5, 24, 32, 42];

async fn cancelled_across_a_year() -> Society {
    let mut s = Society::new(-200, 5, json!({})).await;
    for week in WEEKS {
        let (_, t) = s.occurrence(week);
        s.admin.mutate(
            "occurrence.override",
            json!({"series_id": s.series, "original_start": t, "cancelled": true}),
        );
    }
    let out = s.admin.push().await;
    assert_all_applied(&out);
    s
}

/// A phone holds the coming weeks: sessions more than 8 weeks back or 12 weeks ahead are
/// not sent, unless it asks for a wider window or reads them over REST.
#[tokio::test]
async fn a_first_sync_holds_the_weeks_around_today_and_the_rest_is_asked_for() {
    let s = cancelled_across_a_year().await;
    let at = |week| s.occurrence(week).1;
    let mut phone = Phone::new(&s.app, &s.leader);
    phone.pull().await;
    assert_eq!(overridden(&phone), [at(24), at(32)]);
    let (from, to) = phone.horizon.unwrap();
    assert!(from <= Utc::now() - Duration::days(56) && from > Utc::now() - Duration::days(58));
    assert!(to > Utc::now() + Duration::days(84) && to <= Utc::now() + Duration::days(86));
    assert!(phone.replica_of("series").len() == 1);

    // A phone that asks for 200 days back gets the older one too.
    let mut wide = Phone::new(&s.app, &s.leader);
    wide.horizon_days_back = Some(200);
    wide.pull().await;
    assert_eq!(overridden(&wide), [at(5), at(24), at(32)]);
    // The phone that held the default window widens it: the days that entered come at once.
    phone.horizon_days_back = Some(200);
    let entered = phone.pull().await;
    assert_eq!(overridden(&phone), [at(5), at(24), at(32)]);
    // Only that day's rows (its override and its tally), nothing sent before again.
    assert!(
        !entered.is_empty()
            && entered.iter().all(|c| {
                c["data"]["original_start"]
                    .as_str()
                    .unwrap()
                    .parse::<DateTime<Utc>>()
                    == Ok(at(5))
            }),
        "{entered:?}"
    );

    // The REST read lists any window.
    let listed: Value = s
        .app
        .get(
            &format!(
                "/api/v1/occurrences?group_id={}&from={}&days=7",
                s.group,
                (at(42) - Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            Some(&s.admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["cancelled"], true, "{listed}");

    // Past the widest window it is refused with a stable code.
    let raw = phone
        .client
        .post(format!("{}/api/v1/sync/pull", phone.base))
        .bearer_auth(&phone.token)
        .json(
            &json!({"client_id": phone.client_id, "schema_version": 1, "horizon_days_back": 5000}),
        )
        .send()
        .await
        .unwrap();
    assert_problem(raw, 400, "malformed_request").await;
}

/// Time passes: a session that comes within 12 weeks reaches a phone that is already at the
/// head, though nothing was written since, and whether it was written before the phone's
/// first sync or after.
#[tokio::test]
async fn a_day_entering_the_horizon_reaches_a_phone_at_the_head() {
    let mut s = cancelled_across_a_year().await;
    let at = |s: &Society, week| s.occurrence(week).1;
    let mut phone = Phone::new(&s.app, &s.leader);
    phone.pull().await;
    assert_eq!(overridden(&phone), [at(&s, 24), at(&s, 32)]);
    // Written after the phone's first sync, 108 days ahead: not sent.
    let (_, later) = s.occurrence(44);
    s.admin.mutate(
        "occurrence.override",
        json!({"series_id": s.series, "original_start": later, "cancelled": true}),
    );
    assert_eq!(s.admin.push().await["results"][0]["status"], "applied");
    assert!(phone.pull().await.is_empty());
    // At the head: "anything new?" says nothing, from memory.
    let cursor = phone.cursor.clone();
    assert!(phone.pull().await.is_empty());
    assert_eq!(phone.cursor, cursor);

    // Four weeks on, nothing written since.
    s.app.sync.clock.advance(Duration::days(28));
    let entered = phone.pull().await;
    assert_eq!(
        overridden(&phone),
        [at(&s, 24), at(&s, 32), at(&s, 42), at(&s, 44)],
        "{entered:?}"
    );
    // And a fresh phone agrees on the days inside the window (the 32-days-ago session has
    // left it; the phone that had it keeps it).
    let mut fresh = Phone::new(&s.app, &s.leader);
    fresh.pull().await;
    let (from, _) = fresh.horizon.unwrap();
    let inside: Vec<_> = overridden(&phone)
        .into_iter()
        .filter(|t| *t >= from)
        .collect();
    assert_eq!(overridden(&fresh), inside);
    assert_eq!(overridden(&fresh), [at(&s, 32), at(&s, 42), at(&s, 44)]);
}
