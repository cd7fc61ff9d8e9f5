//! Pokes: telling connected phones "something changed, pull now".
//!
//! Each community has a `watch` channel holding its newest version; event streams wait on it.
//! A watch keeps only the latest value, so a slow phone gets one poke for many changes and
//! nothing queues up. A commit notifies this process's channel directly. With PostgreSQL
//! every writing transaction also runs `pg_notify`, which PostgreSQL delivers at commit to
//! every linli process listening; so pokes reach phones connected to any instance behind a
//! load balancer. The newest version known here also lets "anything new?" be answered from
//! memory ([`super::at_head`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::watch;
use uuid::Uuid;

/// The PostgreSQL channel pokes travel on; payload `<community uuid>:<version>`.
pub const CHANNEL: &str = "linli_sync";

#[derive(Debug, Default)]
pub struct Poker {
    channels: Mutex<HashMap<Uuid, watch::Sender<i64>>>,
}

impl Poker {
    pub fn new() -> Self {
        Self::default()
    }

    fn sender(&self, community: Uuid) -> watch::Sender<i64> {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels
            .entry(community)
            .or_insert_with(|| watch::channel(0).0)
            .clone()
    }

    /// Waits for changes in `community`. The receiver starts at the newest known version.
    pub fn subscribe(&self, community: Uuid) -> watch::Receiver<i64> {
        self.sender(community).subscribe()
    }

    /// The newest version of `community` this process knows of (0: none yet).
    pub fn latest(&self, community: Uuid) -> i64 {
        *self.sender(community).borrow()
    }

    /// Records that `community` reached `version`, waking its streams if that is news.
    pub fn notify(&self, community: Uuid, version: i64) {
        self.sender(community).send_if_modified(|latest| {
            if version > *latest {
                *latest = version;
                true
            } else {
                false
            }
        });
    }

    /// Called after a writing transaction committed. This process learns of its own commits
    /// at once, whatever the engine (so a phone here reads its neighbour's write as soon as
    /// the neighbour's push returns); on PostgreSQL, other processes learn through `LISTEN`.
    pub fn committed(&self, community: Uuid, version: i64) {
        self.notify(community, version);
    }

    /// Streams currently waiting, for metrics.
    pub fn listeners(&self) -> usize {
        let channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels.values().map(watch::Sender::receiver_count).sum()
    }
}

/// Parses a notification payload.
pub fn parse_payload(payload: &str) -> Option<(Uuid, i64)> {
    let (community, version) = payload.split_once(':')?;
    Some((community.parse().ok()?, version.parse().ok()?))
}

/// Starts listening on PostgreSQL before returning, then forwards notifications to `poker`
/// until the task is aborted. The listener reconnects by itself if the connection drops.
pub async fn listen(url: &str, poker: Arc<Poker>) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(tokio::spawn(async move {
        loop {
            match listener.recv().await {
                Ok(n) => {
                    if let Some((community, version)) = parse_payload(n.payload()) {
                        poker.notify(community, version);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "lost the PostgreSQL poke listener; reconnecting");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_subscriber_wakes_on_news_only() {
        let poker = Poker::new();
        let c = Uuid::now_v7();
        let mut rx = poker.subscribe(c);
        poker.committed(c, 3);
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 3);
        poker.notify(c, 2);
        assert!(!rx.has_changed().unwrap());
        // Another community's changes do not wake it.
        poker.notify(Uuid::now_v7(), 9);
        assert!(!rx.has_changed().unwrap());
    }

    #[test]
    fn payloads_parse() {
        let c = Uuid::now_v7();
        assert_eq!(parse_payload(&format!("{c}:17")), Some((c, 17)));
        assert_eq!(parse_payload("garbage"), None);
    }
}
