//! The authorization matrix: every mutation, every REST read and what the sync feed shows,
//! for every role (a resident, a member of the group, its leader, the leader of another
//! group, the community's admin, another community's admin), on an object of the actor's
//! community and on one of another community, through the real server.
//!
//! The cases are generated (operation × role × where), not picked, and the expected answer
//! of each comes from the permission rule itself (`permissions::decide` on the action the
//! operation is governed by): `Allowed` must apply (or answer `200`, or show in the feed),
//! `Forbidden` must be refused with `forbidden` (`403`), `Invisible` with `not_found`
//! (`404`, absent from the feed). So a handler that forgets its check, checks the wrong
//! action, or leaks across communities fails here, whatever the rule says.
//!
//! Each mutation case gets a fresh fixture (a mutation that is allowed changes the state the
//! next one would see); reads share one.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Asia::Shanghai;
use linli::domain::permissions::{self, Action, Actor, Grant, Role, Scope, Target, Verdict};
use linli::entity::community;
use linli::features::schedule::rules::recurrence::occurrence_id;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Resident, TestApp, spawn_app_with};
use crate::phone::Phone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum As {
    Resident,
    Member,
    Leader,
    OtherLeader,
    Admin,
    ForeignAdmin,
}

const ROLES: [As; 6] = [
    As::Resident,
    As::Member,
    As::Leader,
    As::OtherLeader,
    As::Admin,
    As::ForeignAdmin,
];

/// Where the object acted on lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    /// The actor's community (for another community's admin, that is the other one).
    Home,
    /// Community B: for everyone but B's admin, a foreign community.
    Foreign,
}

/// The people of one community: an admin, the group's leader and member, a resident the
/// "on behalf of" operations are done to, and a bystander with no role.
struct People {
    community: Uuid,
    admin: Resident,
    leader: Resident,
    member: Resident,
    subject: Resident,
    bystander: Resident,
    /// Leads a group of their own (not the fixture's).
    other_leader: Resident,
    other_group: Uuid,
}

/// One group with its schedule, as a committee would have it.
#[derive(Clone, Copy)]
struct Fixture {
    community: Uuid,
    group: Uuid,
    series: Uuid,
    /// Yesterday's session (attendance), and tomorrow's (sign-ups; the subject holds a seat).
    past: DateTime<Utc>,
    next: DateTime<Utc>,
    /// The day after tomorrow's session carries an override.
    overridden: DateTime<Utc>,
}

fn at_local(days: i64) -> (String, DateTime<Utc>) {
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

async fn push_all_applied(phone: &mut Phone) {
    let out = phone.push().await;
    assert!(
        out["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "applied"),
        "the fixture did not build: {out}"
    );
}

impl People {
    async fn of(app: &TestApp, community: Uuid, prefix: &str) -> Self {
        let reg = |n: u32, name: &'static str| {
            let phone = format!("{prefix}{n:04}");
            async move {
                let resp = app.register_in(community, &phone, name).await;
                crate::helpers::session(resp, &phone).await
            }
        };
        let admin = reg(1, "會長").await;
        linli::persistence::roles::grant(
            &app.db,
            admin.id,
            Grant {
                role: Role::Admin,
                scope: Scope::Community(community),
            },
        )
        .await
        .unwrap();
        let people = Self {
            community,
            leader: reg(2, "樓長").await,
            member: reg(3, "志願者").await,
            subject: reg(4, "王阿姨").await,
            bystander: reg(5, "李叔").await,
            other_leader: reg(6, "舞蹈隊長").await,
            other_group: Uuid::now_v7(),
            admin,
        };
        let mut admin = Phone::new(app, &people.admin);
        admin.mutate(
            "group.create",
            json!({"id": people.other_group, "name": "舞蹈隊", "is_open": false}),
        );
        admin.mutate(
            "member.set_role",
            json!({"group_id": people.other_group, "resident_id": people.other_leader.id, "role": "leader"}),
        );
        push_all_applied(&mut admin).await;
        people
    }

    /// A fresh invite-only group with its leader, member and subject, a daily series, the
    /// subject's seat tomorrow, and an override the day after.
    async fn fixture(&self, app: &TestApp) -> Fixture {
        let (group, series) = (Uuid::now_v7(), Uuid::now_v7());
        let (start_local, _) = at_local(-2);
        let (_, past) = at_local(-1);
        let (_, next) = at_local(1);
        let (_, overridden) = at_local(2);
        let mut admin = Phone::new(app, &self.admin);
        admin.mutate(
            "group.create",
            json!({"id": group, "name": "長者互助隊", "is_open": false}),
        );
        for (who, role) in [
            (self.leader.id, "leader"),
            (self.member.id, "member"),
            (self.subject.id, "member"),
        ] {
            admin.mutate(
                "member.set_role",
                json!({"group_id": group, "resident_id": who, "role": role}),
            );
        }
        admin.mutate(
            "series.create",
            json!({"id": series, "group_id": group, "title": "探訪獨居長者", "start_local": start_local,
                   "rrule": "FREQ=DAILY", "duration_minutes": 60, "capacity": 10}),
        );
        admin.mutate(
            "signup.request",
            json!({"occurrence_id": occurrence_id(series, next), "series_id": series,
                   "original_start": next, "on_behalf_of": self.subject.id}),
        );
        admin.mutate(
            "occurrence.override",
            json!({"series_id": series, "original_start": overridden, "note": "改在活動室"}),
        );
        push_all_applied(&mut admin).await;
        Fixture {
            community: self.community,
            group,
            series,
            past,
            next,
            overridden,
        }
    }
}

struct World {
    app: TestApp,
    home: People,
    foreign: People,
}

impl World {
    fn actor(&self, role: As) -> &Resident {
        match role {
            As::Resident => &self.home.bystander,
            As::Member => &self.home.member,
            As::Leader => &self.home.leader,
            As::OtherLeader => &self.home.other_leader,
            As::Admin => &self.home.admin,
            As::ForeignAdmin => &self.foreign.admin,
        }
    }

    /// The roles the actor holds, as the rule sees them, given the fixture's group.
    fn as_rule_sees(&self, role: As, group: Uuid) -> Actor {
        let (community, grants) = match role {
            As::Resident => (self.home.community, vec![]),
            As::Member => (
                self.home.community,
                vec![Grant {
                    role: Role::Member,
                    scope: Scope::Group(group),
                }],
            ),
            As::Leader => (
                self.home.community,
                vec![Grant {
                    role: Role::Leader,
                    scope: Scope::Group(group),
                }],
            ),
            As::OtherLeader => (
                self.home.community,
                vec![Grant {
                    role: Role::Leader,
                    scope: Scope::Group(self.home.other_group),
                }],
            ),
            As::Admin => (
                self.home.community,
                vec![Grant {
                    role: Role::Admin,
                    scope: Scope::Community(self.home.community),
                }],
            ),
            As::ForeignAdmin => (
                self.foreign.community,
                vec![Grant {
                    role: Role::Admin,
                    scope: Scope::Community(self.foreign.community),
                }],
            ),
        };
        Actor {
            resident_id: self.actor(role).id,
            community_id: community,
            grants,
        }
    }

    fn people(&self, at: Where) -> &People {
        match at {
            Where::Home => &self.home,
            Where::Foreign => &self.foreign,
        }
    }
}

/// A mutation of the matrix: its name, the action that governs it, and its arguments on a
/// fixture (`me` is the actor, `subject` the resident acted for).
struct MutationCase {
    name: &'static str,
    action: Action,
    args: fn(&Fixture, me: Uuid, subject: Uuid) -> Value,
}

fn mutations() -> Vec<MutationCase> {
    vec![
        MutationCase {
            name: "group.update",
            action: Action::EditGroup,
            args: |f, _, _| json!({"id": f.group, "name": "長者互助隊（改）"}),
        },
        MutationCase {
            name: "group.delete",
            action: Action::DeleteGroup,
            args: |f, _, _| json!({"id": f.group}),
        },
        MutationCase {
            name: "group.join",
            action: Action::JoinGroup,
            args: |f, _, _| json!({"group_id": f.group}),
        },
        MutationCase {
            name: "group.join",
            action: Action::ManageMembers,
            args: |f, _, s| json!({"group_id": f.group, "resident_id": s}),
        },
        MutationCase {
            name: "group.leave",
            action: Action::LeaveGroup,
            args: |f, _, _| json!({"group_id": f.group}),
        },
        MutationCase {
            name: "group.leave",
            action: Action::ManageMembers,
            args: |f, _, s| json!({"group_id": f.group, "resident_id": s}),
        },
        MutationCase {
            name: "member.set_role",
            action: Action::ManageMembers,
            args: |f, _, s| json!({"group_id": f.group, "resident_id": s, "role": "leader"}),
        },
        MutationCase {
            name: "series.create",
            action: Action::ManageSeries,
            args: |f, _, _| {
                json!({"id": Uuid::now_v7(), "group_id": f.group, "title": "健身操",
                       "start_local": at_local(3).0, "rrule": "FREQ=WEEKLY", "duration_minutes": 45})
            },
        },
        MutationCase {
            name: "series.update",
            action: Action::ManageSeries,
            args: |f, _, _| json!({"id": f.series, "title": "探訪長者"}),
        },
        MutationCase {
            name: "series.delete",
            action: Action::ManageSeries,
            args: |f, _, _| json!({"id": f.series}),
        },
        MutationCase {
            name: "occurrence.override",
            action: Action::ManageSeries,
            args: |f, _, _| json!({"series_id": f.series, "original_start": f.next, "cancelled": true}),
        },
        MutationCase {
            name: "occurrence.clear_override",
            action: Action::ManageSeries,
            args: |f, _, _| json!({"series_id": f.series, "original_start": f.overridden}),
        },
        MutationCase {
            name: "signup.request",
            action: Action::SignUp,
            args: |f, _, _| {
                json!({"occurrence_id": occurrence_id(f.series, f.next), "series_id": f.series,
                       "original_start": f.next})
            },
        },
        MutationCase {
            name: "signup.request",
            action: Action::ManageMembers,
            args: |f, _, s| {
                json!({"occurrence_id": occurrence_id(f.series, f.overridden), "series_id": f.series,
                       "original_start": f.overridden, "on_behalf_of": s})
            },
        },
        MutationCase {
            name: "signup.cancel",
            action: Action::ManageMembers,
            args: |f, _, s| {
                json!({"occurrence_id": occurrence_id(f.series, f.next), "series_id": f.series,
                       "original_start": f.next, "on_behalf_of": s})
            },
        },
        MutationCase {
            name: "attendance.mark",
            action: Action::ManageMembers,
            args: |f, _, s| {
                json!({"occurrence_id": occurrence_id(f.series, f.past), "series_id": f.series,
                       "original_start": f.past, "user_id": s, "status": "present"})
            },
        },
    ]
}

fn group_target(f: &Fixture) -> Target {
    Target::Group {
        id: f.group,
        community_id: f.community,
        is_open: false,
    }
}

/// A second community, 新村, beside the seeded one.
pub async fn foreign_community(app: &TestApp) -> Uuid {
    let id = Uuid::now_v7();
    community::ActiveModel {
        id: Set(id),
        slug: Set("xincun".into()),
        name: Set("新村".into()),
        created_at: Set(Utc::now()),
    }
    .insert(&app.db)
    .await
    .unwrap();
    id
}

/// Registers a resident of `community` and makes them its admin.
pub async fn register_admin(app: &TestApp, community: Uuid, phone: &str) -> Resident {
    let resp = app.register_in(community, phone, "新村管理員").await;
    let admin = crate::helpers::session(resp, phone).await;
    linli::persistence::roles::grant(
        &app.db,
        admin.id,
        Grant {
            role: Role::Admin,
            scope: Scope::Community(community),
        },
    )
    .await
    .unwrap();
    admin
}

async fn world() -> World {
    let app = spawn_app_with(|s| s.sync_rates = linli::http::rate::SyncRates::OFF).await;
    let home_id = app.community_id().await;
    let foreign_id = foreign_community(&app).await;
    let home = People::of(&app, home_id, "1380000").await;
    let foreign = People::of(&app, foreign_id, "1390000").await;
    World { app, home, foreign }
}

fn mutation_outcome(verdict: Verdict) -> (&'static str, Option<&'static str>) {
    match verdict {
        Verdict::Allowed => ("applied", None),
        Verdict::Forbidden => ("rejected", Some("forbidden")),
        Verdict::Invisible => ("rejected", Some("not_found")),
    }
}

#[tokio::test]
async fn every_mutation_by_every_role_on_home_and_foreign_objects_follows_the_rule() {
    let w = world().await;
    let group_create = Action::CreateGroup;
    let (mut checked, mut verdicts) = (0, std::collections::BTreeSet::new());
    let mut wrong = Vec::new();
    for case in mutations() {
        for at in [Where::Home, Where::Foreign] {
            for role in ROLES {
                let people = w.people(at);
                let f = people.fixture(&w.app).await;
                let actor = w.as_rule_sees(role, f.group);
                let expected = permissions::decide(&actor, case.action, group_target(&f));
                verdicts.insert(format!("{expected:?}"));
                let args = (case.args)(&f, w.actor(role).id, people.subject.id);
                let mut phone = Phone::new(&w.app, w.actor(role));
                phone.mutate(case.name, args.clone());
                let out = phone.push().await;
                let result = &out["results"][0];
                let got = (
                    result["status"].as_str().unwrap_or_default().to_owned(),
                    result["code"].as_str().map(str::to_owned),
                );
                let (status, code) = mutation_outcome(expected);
                if got.0 != status || (code.is_some() && got.1.as_deref() != code) {
                    wrong.push(format!(
                        "{} {args} as {role:?} on a {at:?} object ({:?}): expected {status} {code:?}, got {got:?}",
                        case.name, case.action
                    ));
                }
                checked += 1;
            }
        }
    }
    // Creating a group names no object: the rule on the actor's own community.
    for role in ROLES {
        let actor = w.as_rule_sees(role, Uuid::nil());
        let expected = permissions::decide(
            &actor,
            group_create,
            Target::Community {
                id: actor.community_id,
            },
        );
        let mut phone = Phone::new(&w.app, w.actor(role));
        phone.mutate(
            "group.create",
            json!({"id": Uuid::now_v7(), "name": "書畫社"}),
        );
        let out = phone.push().await;
        let (status, code) = mutation_outcome(expected);
        let result = &out["results"][0];
        if result["status"] != status || (code.is_some() && result["code"] != json!(code)) {
            wrong.push(format!(
                "group.create as {role:?}: expected {status} {code:?}, got {result}"
            ));
        }
        checked += 1;
    }
    assert_eq!(checked, (mutations().len() * 2 + 1) * ROLES.len());
    assert_eq!(
        verdicts.len(),
        3,
        "the matrix lacks a kind of verdict: {verdicts:?}"
    );
    assert!(
        wrong.is_empty(),
        "{} of {checked} cases broke the rule:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A REST read of the matrix: its path on a fixture, and the action that governs it.
struct ReadCase {
    path: fn(&Fixture) -> String,
    action: Action,
    /// Whether the object is the community (else the fixture's group).
    on_community: bool,
}

fn reads() -> Vec<ReadCase> {
    vec![
        ReadCase {
            path: |f| format!("/api/v1/communities/{}/residents", f.community),
            action: Action::ListResidents,
            on_community: true,
        },
        ReadCase {
            path: |f| format!("/api/v1/communities/{}/audit", f.community),
            action: Action::ReadAudit,
            on_community: true,
        },
        ReadCase {
            path: |f| format!("/api/v1/groups/{}/roster", f.group),
            action: Action::ManageMembers,
            on_community: false,
        },
        ReadCase {
            path: |f| {
                let month = f.next.with_timezone(&Shanghai).format("%Y-%m");
                format!("/api/v1/groups/{}/hours?month={month}", f.group)
            },
            action: Action::ManageMembers,
            on_community: false,
        },
        ReadCase {
            path: |f| format!("/api/v1/groups/{}/series", f.group),
            action: Action::ViewGroup,
            on_community: false,
        },
        ReadCase {
            path: |f| {
                format!(
                    "/api/v1/occurrences?group_id={}&from={}&days=7",
                    f.group,
                    urlencode(&f.past.to_rfc3339())
                )
            },
            action: Action::ViewGroup,
            on_community: false,
        },
    ]
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

/// The reads of one's own: every role may, and each answers about the caller only.
const OWN_READS: [&str; 5] = [
    "/api/v1/me",
    "/api/v1/me/signups",
    "/api/v1/me/export",
    "/api/v1/groups",
    "/api/v1/me/hours?month=2026-12",
];

#[tokio::test]
async fn every_rest_read_and_the_feed_by_every_role_on_home_and_foreign_objects_follow_the_rule() {
    let w = world().await;
    let fixtures = [
        (Where::Home, w.home.fixture(&w.app).await),
        (Where::Foreign, w.foreign.fixture(&w.app).await),
    ];
    let (mut checked, mut verdicts) = (0, std::collections::BTreeSet::new());
    let mut wrong = Vec::new();
    for role in ROLES {
        let me = w.actor(role);
        // The feed, pulled from scratch: the group (every resident of its community sees
        // it) and the subject's membership (the group's leaders and the admins see it).
        let mut phone = Phone::new(&w.app, me);
        let changes = phone.pull().await;
        let shows = |entity: &str, pick: &dyn Fn(&Value) -> bool| {
            changes
                .iter()
                .any(|c| c["entity"] == entity && c["op"] == "put" && pick(c))
        };
        for (at, f) in &fixtures {
            let actor = w.as_rule_sees(role, f.group);
            let subject = w.people(*at).subject.id;
            for (what, action, seen) in [
                (
                    "the group",
                    Action::ViewGroup,
                    shows("group", &|c| c["id"] == json!(f.group)),
                ),
                (
                    "another's membership",
                    Action::ManageMembers,
                    shows("membership", &|c| {
                        c["data"]["group_id"] == json!(f.group)
                            && c["data"]["resident_id"] == json!(subject)
                    }),
                ),
            ] {
                let expected =
                    permissions::decide(&actor, action, group_target(f)) == Verdict::Allowed;
                if seen != expected {
                    wrong.push(format!(
                        "the feed of {role:?} {} {what} of a {at:?} group",
                        if seen { "shows" } else { "hides" }
                    ));
                }
                checked += 1;
            }
            for case in reads() {
                let target = if case.on_community {
                    Target::Community { id: f.community }
                } else {
                    group_target(f)
                };
                let verdict = permissions::decide(&actor, case.action, target);
                verdicts.insert(format!("{verdict:?}"));
                let expected = match verdict {
                    Verdict::Allowed => 200,
                    Verdict::Forbidden => 403,
                    Verdict::Invisible => 404,
                };
                let path = (case.path)(f);
                let got = w
                    .app
                    .get(&path, Some(&me.access_token))
                    .await
                    .status()
                    .as_u16();
                if got != expected {
                    wrong.push(format!(
                        "GET {path} as {role:?} on a {at:?} object: expected {expected}, got {got}"
                    ));
                }
                checked += 1;
            }
        }
        for path in OWN_READS {
            let actor = w.as_rule_sees(role, Uuid::nil());
            let own = Target::Resident {
                id: actor.resident_id,
                community_id: actor.community_id,
            };
            assert_eq!(
                permissions::decide(&actor, Action::ViewResident, own),
                Verdict::Allowed
            );
            let resp = w.app.get(path, Some(&me.access_token)).await;
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            // Only the caller's own: no other resident of the fixture is named in it.
            let others = [&w.home, &w.foreign]
                .iter()
                .flat_map(|p| [&p.subject, &p.bystander])
                .filter(|r| r.id != me.id)
                .any(|r| body.contains(&r.id.to_string()));
            if status != 200 || others {
                wrong.push(format!(
                    "GET {path} as {role:?}: {status}, names others: {others}"
                ));
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        ROLES.len() * (2 * (2 + reads().len()) + OWN_READS.len())
    );
    assert_eq!(
        verdicts.len(),
        3,
        "the matrix lacks a kind of verdict: {verdicts:?}"
    );
    assert!(
        wrong.is_empty(),
        "{} of {checked} cases broke the rule:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
