//! The model test: simulated phones make random offline edits, joins, leaves and deletes,
//! then push (sometimes losing the response and re-sending) and pull (in small pages) in
//! random interleavings. After a final round, every phone's replica must equal what a fresh
//! phone of the same resident pulls from `null`, and both must equal the state predicted from
//! the acknowledged mutations alone: per field, the applied write with the greatest stamp;
//! deletes winning; memberships present if their latest join/leave says so.
//!
//! Time passes too: the server's clock jumps days ahead, so sessions enter and leave the
//! sync horizon. Sessions' overrides are compared inside the horizon the last pull reports:
//! there, every phone must hold exactly what a fresh phone pulls and what the acknowledged
//! overrides predict (rows that left the horizon may linger on a phone; they are not judged).
//! The final round brings every phone to the head and then lets four weeks pass.
//!
//! Cases: `LINLI_SYNC_MODEL_CASES` (default 40), each on a fresh server and database.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use linli::domain::hlc::{Hlc, Stamp};
use linli::features::schedule::rules::recurrence::occurrence_id;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};
use crate::phone::Phone;

#[derive(Debug, Clone)]
enum Op {
    Edit {
        phone: usize,
        kind: u8,
        pick: u8,
        text: u8,
    },
    Push {
        phone: usize,
        lose_response: bool,
    },
    Pull {
        phone: usize,
        limit: u8,
    },
    /// The server's clock moves this many days ahead.
    Later {
        days: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..PHONES, 0u8..12, any::<u8>(), 0u8..6).prop_map(|(phone, kind, pick, text)| Op::Edit { phone, kind, pick, text }),
        2 => (0..PHONES, prop::bool::weighted(0.25)).prop_map(|(phone, lose_response)| Op::Push { phone, lose_response }),
        2 => (0..PHONES, 1u8..5).prop_map(|(phone, limit)| Op::Pull { phone, limit }),
        1 => (1u8..40).prop_map(|days| Op::Later { days }),
    ]
}

/// Phones 0 and 1: the admin's two devices; 2: 王阿姨; 3: 李伯伯.
const PHONES: usize = 4;
const WORDS: [&str; 6] = ["書法", "合唱", "舞蹈", "健身", "互助", "法律"];

struct World {
    app: TestApp,
    /// Series start on this local day and meet weekly.
    first_local: chrono::NaiveDateTime,
    phones: Vec<Phone>,
    /// Resident of each phone.
    owners: Vec<Uuid>,
    admin: Uuid,
    /// Ids each phone knows (pulled or made), by entity.
    made: Vec<BTreeMap<&'static str, BTreeSet<Uuid>>>,
    /// Every mutation sent, by (client, id), and its result once known.
    sent: HashMap<(Uuid, u64), Value>,
    results: HashMap<(Uuid, u64), Value>,
}

impl World {
    /// The instant of the series' session `week` weeks after their first.
    fn session(&self, week: u8) -> DateTime<Utc> {
        (self.first_local + chrono::Duration::weeks(i64::from(week)))
            .and_local_timezone(chrono_tz::Asia::Shanghai)
            .unwrap()
            .to_utc()
    }

    fn known(&self, phone: usize, entity: &'static str) -> Vec<Uuid> {
        let mut ids: BTreeSet<Uuid> = self.made[phone].get(entity).cloned().unwrap_or_default();
        ids.extend(
            self.phones[phone]
                .replica
                .keys()
                .filter(|(e, _)| e == entity)
                .map(|(_, id)| *id),
        );
        ids.into_iter().collect()
    }

    fn edit(&mut self, phone: usize, kind: u8, pick: u8, text: u8) {
        let word = WORDS[text as usize];
        let groups = self.known(phone, "group");
        let series = self.known(phone, "series");
        let pick_from = |v: &[Uuid]| (!v.is_empty()).then(|| v[pick as usize % v.len()]);
        let (name, args): (&str, Value) = match kind {
            0 => {
                let id = Uuid::now_v7();
                self.made[phone].entry("group").or_default().insert(id);
                (
                    "group.create",
                    json!({"id": id, "name": format!("{word}組"), "venue": "活動室"}),
                )
            }
            1 => match pick_from(&groups) {
                Some(g) => (
                    "group.update",
                    json!({"id": g, "name": format!("{word}隊")}),
                ),
                None => return,
            },
            2 => match pick_from(&groups) {
                Some(g) => (
                    "group.update",
                    json!({"id": g, "venue": format!("{word}室")}),
                ),
                None => return,
            },
            3 => match pick_from(&groups) {
                Some(g) => ("group.delete", json!({"id": g})),
                None => return,
            },
            4 => match pick_from(&groups) {
                Some(g) => {
                    let id = Uuid::now_v7();
                    self.made[phone].entry("series").or_default().insert(id);
                    (
                        "series.create",
                        json!({"id": id, "group_id": g, "title": word, "rrule": "FREQ=WEEKLY",
                            "start_local": self.first_local.format("%Y-%m-%dT%H:%M").to_string(), "duration_minutes": 60}),
                    )
                }
                None => return,
            },
            5 => match pick_from(&series) {
                Some(s) => (
                    "series.update",
                    json!({"id": s, "title": format!("{word}課")}),
                ),
                None => return,
            },
            6 => match pick_from(&series) {
                Some(s) => ("series.delete", json!({"id": s})),
                None => return,
            },
            7 => match pick_from(&groups) {
                Some(g) => ("group.join", json!({"group_id": g})),
                None => return,
            },
            10 | 11 => match pick_from(&series) {
                // One of 40 weekly sessions, from 20 weeks back to 20 ahead of the start.
                Some(s) => (
                    "occurrence.override",
                    json!({"series_id": s, "original_start": self.session(pick % 40), "location": format!("{word}廳")}),
                ),
                None => return,
            },
            8 => match pick_from(&groups) {
                Some(g) => ("group.leave", json!({"group_id": g})),
                None => return,
            },
            _ => match pick_from(&groups) {
                Some(g) => {
                    let who = self.owners[2 + (pick as usize % 2)];
                    let role = if text.is_multiple_of(2) {
                        "leader"
                    } else {
                        "member"
                    };
                    (
                        "member.set_role",
                        json!({"group_id": g, "resident_id": who, "role": role}),
                    )
                }
                None => return,
            },
        };
        let id = self.phones[phone].mutate(name, args);
        let m = self.phones[phone].queue.last().unwrap().clone();
        self.sent.insert((self.phones[phone].client_id, id), m);
    }

    async fn push(&mut self, phone: usize, lose_response: bool) {
        let p = &mut self.phones[phone];
        if lose_response {
            let body = json!({"client_id": p.client_id, "schema_version": 1, "mutations": p.queue});
            assert_eq!(p.push_raw(&body).await.status(), 200);
            return;
        }
        let client = p.client_id;
        let out = p.push().await;
        for r in out["results"].as_array().unwrap() {
            let key = (client, r["id"].as_u64().unwrap());
            if let Some(previous) = self.results.insert(key, r.clone()) {
                assert_eq!(&previous, r, "a re-sent mutation got a different result");
            }
        }
    }

    /// What every resident should see, computed from the acknowledged mutations alone.
    fn expected(&self) -> Expected {
        let mut e = Expected::default();
        let mut applied: Vec<(Stamp, &Value)> = self
            .results
            .iter()
            .filter(|(_, r)| r["status"] == "applied")
            .map(|(key, _)| {
                let m = &self.sent[key];
                let hlc: Hlc = m["hlc"].as_str().unwrap().parse().unwrap();
                (Stamp { hlc, client: key.0 }, m)
            })
            .collect();
        applied.sort_by_key(|(s, _)| *s);
        // Applying in stamp order makes "last write wins" a plain overwrite.
        for (stamp, m) in &applied {
            let a = &m["args"];
            let id = |k: &str| -> Uuid { a[k].as_str().unwrap().parse().unwrap() };
            match m["name"].as_str().unwrap() {
                // A create writes every field at its stamp; an edit from a phone whose clock is
                // behind may carry an earlier stamp than the create, and then loses to it.
                "group.create" => {
                    e.created_groups.insert(id("id"));
                    let g = e.groups.entry(id("id")).or_default();
                    g.0 = a["name"].as_str().unwrap().into();
                    g.1 = a["venue"].as_str().unwrap().into();
                }
                "group.update" => {
                    let g = e.groups.entry(id("id")).or_default();
                    if let Some(n) = a["name"].as_str() {
                        g.0 = n.into();
                    }
                    if let Some(v) = a["venue"].as_str() {
                        g.1 = v.into();
                    }
                }
                "group.delete" => {
                    e.deleted_groups.insert(id("id"));
                }
                "series.create" => {
                    e.created_series.insert(id("id"), id("group_id"));
                    e.series
                        .insert(id("id"), a["title"].as_str().unwrap().into());
                }
                "series.update" => {
                    e.series
                        .insert(id("id"), a["title"].as_str().unwrap().into());
                }
                "series.delete" => {
                    e.deleted_series.insert(id("id"));
                }
                "occurrence.override" => {
                    let at: DateTime<Utc> = a["original_start"].as_str().unwrap().parse().unwrap();
                    e.overrides.insert(
                        occurrence_id(id("series_id"), at),
                        (at, a["location"].as_str().unwrap().into()),
                    );
                }
                name @ ("group.join" | "group.leave" | "member.set_role") => {
                    let author = self.owners[self
                        .phones
                        .iter()
                        .position(|p| p.client_id == stamp.client)
                        .unwrap()];
                    let who = a["resident_id"]
                        .as_str()
                        .map_or(author, |s| s.parse().unwrap());
                    let entry = e
                        .memberships
                        .entry((id("group_id"), who))
                        .or_insert((false, "member".into()));
                    entry.0 = name != "group.leave";
                    match name {
                        "member.set_role" => entry.1 = a["role"].as_str().unwrap().into(),
                        // Leaving ends a leader's role.
                        "group.leave" => entry.1 = "member".into(),
                        _ => {}
                    }
                }
                other => panic!("unexpected {other}"),
            }
        }
        e
    }
}

#[derive(Debug, Default)]
struct Expected {
    created_groups: BTreeSet<Uuid>,
    groups: BTreeMap<Uuid, (String, String)>,
    deleted_groups: BTreeSet<Uuid>,
    /// Series created, with their group.
    created_series: BTreeMap<Uuid, Uuid>,
    series: BTreeMap<Uuid, String>,
    deleted_series: BTreeSet<Uuid>,
    memberships: BTreeMap<(Uuid, Uuid), (bool, String)>,
    /// Overridden sessions: when, and their location.
    overrides: BTreeMap<Uuid, (DateTime<Utc>, String)>,
}

impl Expected {
    /// The replica a phone of `viewer` should hold, reduced to the compared fields, with the
    /// sessions inside `horizon`.
    fn view(&self, viewer: Uuid, admin: bool, horizon: Horizon) -> BTreeSet<String> {
        let live_group =
            |g: &Uuid| self.created_groups.contains(g) && !self.deleted_groups.contains(g);
        let mut out = BTreeSet::new();
        for (id, (name, venue)) in &self.groups {
            if live_group(id) {
                out.insert(format!("group {id} {name} {venue}"));
            }
        }
        for (id, group) in &self.created_series {
            if live_group(group) && !self.deleted_series.contains(id) {
                out.insert(format!("series {id} {}", self.series[id]));
            }
        }
        let present = |(g, _): &(Uuid, Uuid), (here, _): &(bool, String)| *here && live_group(g);
        let leads: BTreeSet<Uuid> = self
            .memberships
            .iter()
            .filter(|(k, v)| present(k, v) && k.1 == viewer && v.1 == "leader")
            .map(|(k, _)| k.0)
            .collect();
        for (key @ (group, who), v @ (_, role)) in &self.memberships {
            if present(key, v) && (admin || *who == viewer || leads.contains(group)) {
                out.insert(format!("membership {group} {who} {role}"));
            }
        }
        for (id, (at, location)) in &self.overrides {
            if (horizon.0..horizon.1).contains(at) {
                out.insert(format!("override {id} {location}"));
            }
        }
        out
    }
}

type Horizon = (DateTime<Utc>, DateTime<Utc>);

/// The replica without the rows of sessions outside `horizon`.
fn inside(phone: &Phone, horizon: Horizon) -> BTreeMap<(String, Uuid), Value> {
    phone
        .replica
        .iter()
        .filter(|(_, d)| {
            d["original_start"].as_str().is_none_or(|t| {
                (horizon.0..horizon.1).contains(&t.parse::<DateTime<Utc>>().unwrap())
            })
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A replica reduced to the fields the model predicts, with the sessions inside `horizon`.
fn view_of(phone: &Phone, horizon: Horizon) -> BTreeSet<String> {
    inside(phone, horizon)
        .iter()
        .filter(|((entity, _), _)| entity != "occurrence_tally")
        .map(|((entity, id), d)| match entity.as_str() {
            "group" => format!(
                "group {id} {} {}",
                d["name"].as_str().unwrap(),
                d["venue"].as_str().unwrap()
            ),
            "series" => format!("series {id} {}", d["title"].as_str().unwrap()),
            "occurrence_override" => format!("override {id} {}", d["location"].as_str().unwrap()),
            _ => format!(
                "membership {} {} {}",
                d["group_id"].as_str().unwrap(),
                d["resident_id"].as_str().unwrap(),
                d["role"].as_str().unwrap()
            ),
        })
        .collect()
}

async fn run(ops: Vec<Op>, skews: Vec<i64>) {
    let app = spawn_app().await;
    let admin = app.admin("13800000000", "會長").await;
    let wang = app.resident("13812345678", "王阿姨").await;
    let li = app.resident("13912345678", "李伯伯").await;
    let mut phones = vec![
        Phone::new(&app, &admin),
        Phone::new(&app, &admin),
        Phone::new(&app, &wang),
        Phone::new(&app, &li),
    ];
    // Phones' clocks disagree (within what the server believes), so the order of edits by
    // clock differs from the order in which they reach the server.
    for (phone, skew) in phones.iter_mut().zip(skews) {
        phone.skew_ms = skew;
    }
    // The series' first session: 20 weeks ago, at 09:30 in the village.
    let first_local = (Utc::now() - chrono::Duration::weeks(20))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .and_hms_opt(9, 30, 0)
        .unwrap();
    let mut world = World {
        first_local,
        owners: vec![admin.id, admin.id, wang.id, li.id],
        admin: admin.id,
        made: vec![BTreeMap::new(); PHONES],
        sent: HashMap::new(),
        results: HashMap::new(),
        phones,
        app,
    };
    for op in ops {
        match op {
            Op::Edit {
                phone,
                kind,
                pick,
                text,
            } => world.edit(phone, kind, pick, text),
            Op::Push {
                phone,
                lose_response,
            } => world.push(phone, lose_response).await,
            Op::Pull { phone, limit } => {
                world.phones[phone].pull_page(Some(u32::from(limit))).await;
            }
            Op::Later { days } => world
                .app
                .sync
                .clock
                .advance(chrono::Duration::days(i64::from(days))),
        }
    }
    // Final round: everyone pushes everything, then everyone pulls to the end.
    for phone in 0..PHONES {
        world.push(phone, false).await;
        assert!(world.phones[phone].queue.is_empty());
    }
    assert_eq!(
        world.results.len(),
        world.sent.len(),
        "every mutation was acknowledged"
    );
    let expected = world.expected();
    // Every phone reaches the head; then four weeks pass with nothing written, and the
    // sessions that came within the horizon must reach phones that were at the head.
    for phone in 0..PHONES {
        world.phones[phone].pull().await;
    }
    world.app.sync.clock.advance(chrono::Duration::weeks(4));
    for phone in 0..PHONES {
        world.phones[phone].pull().await;
        let owner = world.owners[phone];
        let mut fresh = world.phones[phone].second_device();
        fresh.cursor = None;
        fresh.replica.clear();
        fresh.pull().await;
        let horizon = fresh.horizon.unwrap();
        assert_eq!(world.phones[phone].horizon, Some(horizon));
        assert_eq!(
            inside(&world.phones[phone], horizon),
            fresh.replica,
            "phone {phone} differs from a fresh pull inside the horizon"
        );
        assert_eq!(
            view_of(&world.phones[phone], horizon),
            expected.view(owner, owner == world.admin, horizon),
            "phone {phone} differs from the state the acknowledged mutations predict"
        );
    }
    drop(world.app);
}

#[test]
fn phones_converge_to_the_acknowledged_state_in_any_interleaving() {
    let cases = std::env::var("LINLI_SYNC_MODEL_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(40);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 64,
        ..Config::default()
    });
    runner
        .run(
            &(
                prop::collection::vec(op(), 10..60),
                prop::collection::vec(-120_000i64..120_000, PHONES),
            ),
            |(ops, skews)| {
                rt.block_on(run(ops, skews));
                Ok(())
            },
        )
        .unwrap();
}
