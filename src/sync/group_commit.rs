//! Group commit: the pushes waiting for a community's write lock, decided together in one
//! transaction and made durable by one commit.
//!
//! A push must be decided with the community's write lock held ([`write::lock`]), so that
//! arrival order is decision order: that is what keeps the 41st phone off a 40-seat session
//! and the waitlist first-come, first-served. When every push was its own transaction, a
//! rush (2,000 phones asking for the Saturday lecture at 8 o'clock) queued behind that lock
//! one commit, one fsync, at a time, each push holding a pooled connection while it waited;
//! the tail waited longer than a connection may be waited for, and got `503`.
//!
//! So pushes queue here instead, in memory, holding nothing. One writer task per queue takes
//! every push that is waiting (at most [`MAX_BATCH`] pushes or [`MAX_BATCH_MUTATIONS`]
//! mutations, but always at least one push), opens one write transaction, and
//! decides them in arrival order, each in its own savepoint: a push that fails is undone
//! alone, and the others see exactly what they would have seen had each committed in turn.
//! Then it commits once, and only then answers the phones, so an acknowledged push is as
//! durable as before. A crash before the commit loses only pushes no phone was told about,
//! and phones resend their queues (pushes are idempotent). While one batch commits, the next
//! gathers: batches grow with the load and a lone push waits for nobody.
//!
//! SQLite has one writer for the whole database, so it has one queue; PostgreSQL locks each
//! community's version row, so it has a queue per community (and writers in other server
//! processes wait on that same row lock). Writes that do not come from phones (the REST
//! endpoints, the CLI) take the lock themselves, between batches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::error::SyncError;
use super::pokes::Poker;
use super::push::{self, Decided};
use super::registry::SyncApp;
use super::write;
use crate::domain::hlc::ServerClock;
use crate::domain::permissions::Actor;

/// Most pushes decided in one transaction. A batch holds the write lock for its whole length,
/// so other writers (and, on SQLite, every writer) wait at most one batch.
pub const MAX_BATCH: usize = 64;
/// Most mutations in one batch, unless a single push carries more (up to
/// [`super::push::MAX_MUTATIONS`]): a batch of full pushes would hold the lock for seconds.
pub const MAX_BATCH_MUTATIONS: usize = 500;
/// Most pushes one queue holds; beyond that a push is refused with `503` and `Retry-After`
/// rather than waiting without bound.
pub const MAX_QUEUED: usize = 20_000;

/// A phone's push, read and authenticated, waiting to be decided.
pub struct Push<A: SyncApp> {
    /// Who pushes. Their roles are read again at the push's turn.
    pub actor: Actor,
    pub client_id: Uuid,
    pub mutations: Vec<A::Mutation>,
}

struct Waiting<A: SyncApp> {
    push: Push<A>,
    answer: oneshot::Sender<Result<Decided<A>, SyncError>>,
}

/// The write queues, and what their writers need.
pub struct GroupCommit<A: SyncApp> {
    db: DatabaseConnection,
    gate: Arc<write::WriteGate>,
    clock: Arc<ServerClock>,
    poker: Arc<Poker>,
    queues: Mutex<HashMap<Uuid, mpsc::Sender<Waiting<A>>>>,
    stats: Arc<Stats>,
}

/// Counts for operators and tests.
#[derive(Debug, Default)]
struct Stats {
    batches: AtomicU64,
    pushes: AtomicU64,
    /// Pushes in the batches being decided right now.
    deciding: AtomicUsize,
}

impl<A: SyncApp> GroupCommit<A> {
    pub fn new(
        db: DatabaseConnection,
        gate: Arc<write::WriteGate>,
        clock: Arc<ServerClock>,
        poker: Arc<Poker>,
    ) -> Self {
        Self {
            db,
            gate,
            clock,
            poker,
            queues: Mutex::default(),
            stats: Arc::default(),
        }
    }

    /// Queues `push` and waits until it is decided and committed.
    pub async fn decide(&self, push: Push<A>) -> Result<Decided<A>, SyncError> {
        let (answer, answered) = oneshot::channel();
        let mut waiting = Waiting { push, answer };
        // A queue whose writer is gone (it panicked) is replaced once.
        for _ in 0..2 {
            let queue = self.queue(waiting.push.actor.community_id);
            match queue.try_send(waiting) {
                Ok(()) => {
                    return answered.await.unwrap_or_else(|_| {
                        Err(anyhow::anyhow!("the writer stopped before deciding a push").into())
                    });
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    return Err(SyncError::Unavailable(DbErr::Custom(
                        "too many pushes are waiting to be written".into(),
                    )));
                }
                Err(mpsc::error::TrySendError::Closed(w)) => {
                    waiting = w;
                    self.lock_queues().retain(|_, q| !q.is_closed());
                }
            }
        }
        Err(anyhow::anyhow!("no writer takes pushes").into())
    }

    /// Pushes waiting in the queues (not counting the batches being decided, nor a push held
    /// over because its batch was full).
    pub fn waiting(&self) -> usize {
        self.lock_queues()
            .values()
            .map(|q| q.max_capacity() - q.capacity())
            .sum()
    }

    /// Pushes in the batches being decided right now.
    pub fn deciding(&self) -> usize {
        self.stats.deciding.load(Relaxed)
    }

    /// Write transactions run, and the pushes they decided.
    pub fn batches(&self) -> (u64, u64) {
        (
            self.stats.batches.load(Relaxed),
            self.stats.pushes.load(Relaxed),
        )
    }

    fn lock_queues(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, mpsc::Sender<Waiting<A>>>> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn queue(&self, community: Uuid) -> mpsc::Sender<Waiting<A>> {
        // SQLite: one writer for the whole file, so one queue.
        let key = match self.db.get_database_backend() {
            DbBackend::Postgres => community,
            _ => Uuid::nil(),
        };
        self.lock_queues()
            .entry(key)
            .or_insert_with(|| {
                let (queue, waiting) = mpsc::channel(MAX_QUEUED);
                let writer = Writer {
                    db: self.db.clone(),
                    gate: self.gate.clone(),
                    clock: self.clock.clone(),
                    poker: self.poker.clone(),
                    stats: self.stats.clone(),
                    _app: std::marker::PhantomData,
                };
                tokio::spawn(writer.run(waiting));
                queue
            })
            .clone()
    }
}

struct Writer<A: SyncApp> {
    db: DatabaseConnection,
    gate: Arc<write::WriteGate>,
    clock: Arc<ServerClock>,
    poker: Arc<Poker>,
    stats: Arc<Stats>,
    _app: std::marker::PhantomData<fn() -> A>,
}

impl<A: SyncApp> Writer<A> {
    /// Takes whatever is waiting, decides it, commits, answers; until the queue is dropped.
    async fn run(self, mut queue: mpsc::Receiver<Waiting<A>>) {
        let mut next = None;
        loop {
            let first = match next.take() {
                Some(w) => w,
                None => match queue.recv().await {
                    Some(w) => w,
                    None => return,
                },
            };
            let (batch, held_over) =
                fill_batch(first, || queue.try_recv().ok(), |w| w.push.mutations.len());
            next = held_over;
            self.write(batch).await;
        }
    }

    async fn write(&self, batch: Vec<Waiting<A>>) {
        let (pushes, answers): (Vec<Push<A>>, Vec<_>) =
            batch.into_iter().map(|w| (w.push, w.answer)).unzip();
        self.stats.deciding.fetch_add(pushes.len(), Relaxed);
        let decided = self.decide_all(&pushes).await;
        self.stats.deciding.fetch_sub(pushes.len(), Relaxed);
        let decided = match decided {
            Ok(decided) => decided,
            Err(e) => {
                // Nothing committed: every push in the batch gets the same failure.
                let failure = Failure::of(&e);
                tracing::warn!(error = %e, pushes = pushes.len(), "a batch of pushes failed");
                answers.into_iter().for_each(|a| {
                    let _ = a.send(Err(failure.to_error()));
                });
                return;
            }
        };
        self.stats.batches.fetch_add(1, Relaxed);
        self.stats.pushes.fetch_add(pushes.len() as u64, Relaxed);
        let mut newest: HashMap<Uuid, i64> = HashMap::new();
        for (push, decided) in pushes.iter().zip(&decided) {
            if let Ok(Decided {
                version: Some(v), ..
            }) = decided
            {
                let slot = newest.entry(push.actor.community_id).or_default();
                *slot = (*slot).max(*v);
            }
        }
        for (community, version) in newest {
            self.poker.committed(community, version);
        }
        for (answer, decided) in answers.into_iter().zip(decided) {
            // A phone that hung up resends, and is answered from the stored results.
            let _ = answer.send(decided);
        }
    }

    /// Decides every push of the batch in one transaction and commits it. An `Err` means the
    /// transaction itself failed and nothing was committed.
    async fn decide_all(
        &self,
        pushes: &[Push<A>],
    ) -> Result<Vec<Result<Decided<A>, SyncError>>, DbErr> {
        // Between batches, a login waiting to write goes first (SQLite; see `write`).
        let _turn = self.gate.turn().await;
        let txn = write::begin(&self.db).await?;
        let mut locked = Vec::new();
        let mut decided = Vec::with_capacity(pushes.len());
        for push in pushes {
            let community = push.actor.community_id;
            if !locked.contains(&community) {
                // Before any savepoint: a lock taken inside one is released when it rolls back.
                write::lock(&txn, community).await?;
                locked.push(community);
            }
            decided.push(if pushes.len() == 1 {
                push::decide(&txn, &self.clock, push).await
            } else {
                self.decide_alone(&txn, push).await?
            });
        }
        if let [Err(_)] = decided.as_slice() {
            // A lone push that failed: undo it by not committing.
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
        Ok(decided)
    }

    /// Decides `push` in a savepoint, undone if the push fails.
    async fn decide_alone(
        &self,
        txn: &DatabaseTransaction,
        push: &Push<A>,
    ) -> Result<Result<Decided<A>, SyncError>, DbErr> {
        let savepoint = txn.begin().await?;
        let decided = push::decide(&savepoint, &self.clock, push).await;
        if decided.is_ok() {
            savepoint.commit().await?;
        } else {
            savepoint.rollback().await?;
        }
        Ok(decided)
    }
}

/// A batch: `first`, then whatever `waiting` yields at once, up to [`MAX_BATCH`] pushes and
/// [`MAX_BATCH_MUTATIONS`] mutations. The push that would overflow the mutations is handed
/// back, to start the next batch (so a push larger than the cap goes alone).
fn fill_batch<W>(
    first: W,
    mut waiting: impl FnMut() -> Option<W>,
    mutations_of: impl Fn(&W) -> usize,
) -> (Vec<W>, Option<W>) {
    let mut mutations = mutations_of(&first);
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        let Some(w) = waiting() else { break };
        mutations += mutations_of(&w);
        if mutations > MAX_BATCH_MUTATIONS {
            return (batch, Some(w));
        }
        batch.push(w);
    }
    (batch, None)
}

/// A failed batch, told to each of its pushes.
enum Failure {
    /// Retry later (the database is unreachable, restarting or busy).
    Transient(String),
    /// The disk is full: nothing of the batch was written.
    StorageFull(String),
    Internal(String),
}

impl Failure {
    fn of(e: &DbErr) -> Self {
        if crate::persistence::is_storage_full(e) {
            Self::StorageFull(e.to_string())
        } else if crate::persistence::is_transient(e) {
            Self::Transient(e.to_string())
        } else {
            Self::Internal(e.to_string())
        }
    }

    fn to_error(&self) -> SyncError {
        match self {
            Self::Transient(m) => SyncError::Unavailable(DbErr::Custom(m.clone())),
            Self::StorageFull(m) => SyncError::StorageFull(DbErr::Custom(m.clone())),
            Self::Internal(m) => anyhow::anyhow!("writing a batch of pushes: {m}").into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batches from a queue of pushes of the given sizes, as the writer would take them.
    fn batches(sizes: &[usize]) -> Vec<Vec<usize>> {
        let mut queue = sizes.iter().copied();
        let (mut out, mut next) = (Vec::new(), None);
        while let Some(first) = next.take().or_else(|| queue.next()) {
            let (batch, held_over) = fill_batch(first, || queue.next(), |&n| n);
            out.push(batch);
            next = held_over;
        }
        out
    }

    #[test]
    fn a_batch_takes_everything_waiting_up_to_the_push_cap() {
        let got = batches(&vec![1; MAX_BATCH + 3]);
        assert_eq!(got.iter().map(Vec::len).collect::<Vec<_>>(), [MAX_BATCH, 3]);
    }

    #[test]
    fn large_pushes_are_not_piled_into_one_long_transaction() {
        let sizes = [1, 1, MAX_BATCH_MUTATIONS - 1, 1, 500, 200, 300, 1];
        let got = batches(&sizes);
        assert_eq!(
            got,
            [
                vec![1, 1],
                vec![MAX_BATCH_MUTATIONS - 1, 1],
                vec![500],
                vec![200, 300],
                vec![1]
            ]
        );
        // Nothing is lost or reordered.
        assert_eq!(got.concat(), sizes);
    }
}
