//! A simulated phone: an offline queue of mutations, a replica of what it pulled, and its
//! own hybrid logical clock, speaking the sync protocol over HTTP like the apps do: through
//! the generated Rust SDK (`linli-client`), so every push and pull of the suite also checks
//! that requests fit the SDK's types and responses parse into them. `push_raw`/`pull_raw`
//! stay raw for the tests that send what no SDK would.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use linli::domain::hlc::Hlc;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Resident, TestApp};
use linli_client::types;

#[derive(Debug, Clone)]
pub struct Phone {
    pub base: String,
    pub client: reqwest::Client,
    pub sdk: linli_client::Client,
    pub token: String,
    pub client_id: Uuid,
    pub next_id: u64,
    pub queue: Vec<Value>,
    pub cursor: Option<String>,
    /// (entity, id) → data, as pulled.
    pub replica: BTreeMap<(String, Uuid), Value>,
    pub last_mutation_id: u64,
    clock: Hlc,
    /// Milliseconds this phone's wall clock is off by.
    pub skew_ms: i64,
    /// Days before today the phone asks to hold (`None`: the server's horizon).
    pub horizon_days_back: Option<u32>,
    /// The horizon the last pull reported.
    pub horizon: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Phone {
    pub fn new(app: &TestApp, who: &Resident) -> Self {
        Self {
            base: app.address.clone(),
            client: app.client.clone(),
            sdk: linli_client::with_token(&app.address, &who.access_token),
            token: who.access_token.clone(),
            client_id: Uuid::now_v7(),
            next_id: 1,
            queue: Vec::new(),
            cursor: None,
            replica: BTreeMap::new(),
            last_mutation_id: 0,
            clock: Hlc::ZERO,
            skew_ms: 0,
            horizon_days_back: None,
            horizon: None,
        }
    }

    /// Another device of the same resident, starting from this one's replica and cursor.
    pub fn second_device(&self) -> Self {
        Self {
            client_id: Uuid::now_v7(),
            next_id: 1,
            queue: Vec::new(),
            ..self.clone()
        }
    }

    /// The phone's next HLC from its (possibly wrong) wall clock.
    pub fn tick(&mut self) -> String {
        let wall = u64::try_from(Utc::now().timestamp_millis() + self.skew_ms).unwrap();
        self.clock = linli::domain::hlc::tick(self.clock, wall);
        self.clock.to_string()
    }

    /// Queues a mutation made offline; returns its id.
    pub fn mutate(&mut self, name: &str, args: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let hlc = self.tick();
        self.queue
            .push(json!({"id": id, "hlc": hlc, "name": name, "args": args}));
        id
    }

    /// Queues a mutation with a given HLC string (for malformed clocks).
    pub fn mutate_with_hlc(&mut self, name: &str, args: Value, hlc: &str) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.queue
            .push(json!({"id": id, "hlc": hlc, "name": name, "args": args}));
        id
    }

    pub async fn push_raw(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/sync/push", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Pushes the whole queue as raw JSON, for queues no SDK would let one build.
    pub async fn push_queue_raw(&self) -> reqwest::Response {
        self.push_raw(
            &json!({"client_id": self.client_id, "schema_version": 1, "mutations": self.queue}),
        )
        .await
    }

    /// Pushes the whole queue; on success drops what the server acknowledged and moves the
    /// phone's clock past the server's. Returns the response body.
    pub async fn push(&mut self) -> Value {
        let body: types::PushRequest = serde_json::from_value(
            json!({"client_id": self.client_id, "schema_version": 1, "mutations": self.queue}),
        )
        .expect("the queue fits the SDK's mutation types");
        let out = match self.sdk.sync_push(&body).await {
            Ok(resp) => serde_json::to_value(resp.into_inner()).unwrap(),
            Err(e) => panic!("push failed: {}", describe(e)),
        };
        let acked = out["last_mutation_id"].as_u64().unwrap();
        self.queue.retain(|m| m["id"].as_u64().unwrap() > acked);
        if let Ok(server) = out["server_time"].as_str().unwrap().parse::<Hlc>() {
            self.clock = self.clock.max(server);
        }
        out
    }

    pub async fn pull_raw(&self, cursor: Option<&str>, limit: Option<u32>) -> reqwest::Response {
        let mut body = json!({"client_id": self.client_id, "schema_version": 1, "cursor": cursor});
        if let Some(l) = limit {
            body["limit"] = l.into();
        }
        self.client
            .post(format!("{}/api/v1/sync/pull", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Pulls one page and applies it; returns the response body.
    pub async fn pull_page(&mut self, limit: Option<u32>) -> Value {
        let body: types::PullRequest = serde_json::from_value(json!({
            "client_id": self.client_id, "schema_version": 1,
            "cursor": self.cursor, "limit": limit,
            "horizon_days_back": self.horizon_days_back,
        }))
        .expect("a pull fits the SDK's types");
        let out = match self.sdk.sync_pull(&body).await {
            Ok(resp) => serde_json::to_value(resp.into_inner()).unwrap(),
            Err(e) => panic!("pull failed: {}", describe(e)),
        };
        for change in out["changes"].as_array().unwrap() {
            apply(&mut self.replica, change);
        }
        self.cursor = Some(out["cursor"].as_str().unwrap().to_owned());
        self.last_mutation_id = out["last_mutation_id"].as_u64().unwrap();
        let at = |k: &str| out["horizon"][k].as_str().unwrap().parse().unwrap();
        self.horizon = Some((at("from"), at("to")));
        out
    }

    /// Pulls until there is nothing more; returns every change received.
    pub async fn pull(&mut self) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let page = self.pull_page(None).await;
            all.extend(page["changes"].as_array().unwrap().iter().cloned());
            if !page["has_more"].as_bool().unwrap() {
                return all;
            }
        }
    }

    pub async fn sync(&mut self) {
        self.push().await;
        self.pull().await;
    }

    pub fn get(&self, entity: &str, id: Uuid) -> Option<&Value> {
        self.replica.get(&(entity.to_owned(), id))
    }

    /// Every object of `entity` in the replica, in id order.
    pub fn replica_of(&self, entity: &str) -> Vec<&Value> {
        self.replica
            .iter()
            .filter(|((e, _), _)| e == entity)
            .map(|(_, v)| v)
            .collect()
    }

    pub fn count(&self, entity: &str) -> usize {
        self.replica.keys().filter(|(e, _)| e == entity).count()
    }
}

/// An SDK call's result as JSON, for assertions; panics with the problem on an error.
/// Every mutation of the push answer `out` was applied.
pub fn assert_all_applied(out: &Value) {
    assert!(
        out["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "applied"),
        "{out}"
    );
}

pub fn ok_json<T: serde::Serialize>(
    result: Result<linli_client::ResponseValue<T>, linli_client::Error<types::Problem>>,
) -> Value {
    match result {
        Ok(resp) => serde_json::to_value(resp.into_inner()).unwrap(),
        Err(e) => panic!("call failed: {}", describe(e)),
    }
}

/// An SDK error as a test failure message: the problem body when the server sent one.
pub fn describe(e: linli_client::Error<types::Problem>) -> String {
    match e {
        linli_client::Error::ErrorResponse(problem) => {
            format!("{} {:?}", problem.status(), problem.into_inner())
        }
        other => other.to_string(),
    }
}

pub fn apply(replica: &mut BTreeMap<(String, Uuid), Value>, change: &Value) {
    let key = (
        change["entity"].as_str().unwrap().to_owned(),
        change["id"].as_str().unwrap().parse().unwrap(),
    );
    match change["op"].as_str().unwrap() {
        "put" => {
            replica.insert(key, change["data"].clone());
        }
        "delete" => {
            replica.remove(&key);
        }
        op => panic!("unknown op {op}"),
    }
}
