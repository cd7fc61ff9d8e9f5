//! Synced tables, as capabilities declare them to the engine.
//!
//! Every synced table has the same spine: `id`, `community_id`, `version` (the community's
//! commit counter when the row last changed) and `deleted_at` (a tombstone), and the feed is
//! the union of the tables ordered by (version, rank, id). What differs is declared:
//! - its wire **name** (`entity` in a change) and **rank** (its order within one version: a
//!   group before its series, a series before its sessions);
//! - the **schema version** it arrived in: older apps never receive it;
//! - its **audience**: [`Audience::Public`] rows go to every resident of the community;
//!   [`Audience::Personal`] rows to their owner, to holders of a seeing role over the object
//!   they belong to ([`SyncScope::over`]), and to admins (PowerSync's bucket parameters,
//!   as two columns); [`Audience::Private`] rows to their owner alone, admins included
//!   (a confidential matter copied to each person entitled to it);
//! - how its rows are **encoded** as changes: one by one, or as a batch that may look up
//!   what it needs for all of them at once (names, waitlist positions), so a page costs one
//!   query per table and not one per row;
//! - the column of the **moment** its rows belong to, if any: such rows are sent only inside
//!   the phone's sync horizon ([`super::horizon`]).
//!
//! A capability writes a [`Table`] for each of its entities; the engine keeps them behind
//! [`FeedTable`] and reads, caches, reconciles and compacts them without knowing what they are.

use std::any::Any;
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::Value;
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, DbErr, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::cursor::Position;
use super::horizon::Window;
use super::registry::SyncApp;
use super::scope::SyncScope;
use super::viewers::Viewer;

/// Who may see a table's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every resident of the community.
    Public,
    /// The resident named in column `owner`, holders of a seeing role over an object named
    /// in one of the columns `over` (a sign-up's group; a residency's household, building,
    /// area, compound or grid cell), and the community's admins. With no `over` column, the
    /// owner's and the admins' alone.
    Personal {
        owner: &'static str,
        over: &'static [&'static str],
    },
    /// The resident named in column `owner`, and nobody else: not even admins. For what the
    /// law keeps between named people (a mediation's parties, mediators and the president),
    /// written as one copy per person entitled to it.
    Private { owner: &'static str },
}

/// A row read from a table, before it is encoded for a viewer.
pub struct FeedRow {
    pub position: Position,
    /// Whose it is and over which objects, for personal rows.
    pub owner: Option<(Uuid, Vec<Uuid>)>,
    /// Its owner's alone (see [`Audience::Private`]).
    pub private: bool,
    /// The moment it belongs to, for a table bound to the horizon.
    pub moment: Option<DateTime<Utc>>,
    row: Box<dyn Any + Send + Sync>,
}

/// Where and how much a page reads.
pub struct Scan<'a> {
    pub txn: &'a DatabaseTransaction,
    pub community: Uuid,
    pub viewer: Uuid,
    /// Rows strictly after this position.
    pub pos: Position,
    /// Tombstones at or below this version are left out (`i64::MIN`: none).
    pub skip: i64,
    /// Most rows per read.
    pub fetch: u64,
    /// Rows of tables bound to the horizon are read only when their moment lies in it
    /// (`None`: whenever).
    pub window: Option<Window>,
}

/// A synced table, as the engine sees it.
pub trait FeedTable<A: SyncApp>: Send + Sync {
    /// The entity's wire name.
    fn name(&self) -> &'static str;
    /// The SQL table.
    fn table(&self) -> String;
    fn rank(&self) -> u8;
    fn since_schema(&self) -> u32;
    fn audience(&self) -> Audience;
    /// Its rows belong to a moment and are sent only inside the horizon.
    fn horizon_bound(&self) -> bool;

    /// Rows after `scan.pos` in feed order that `scope` lets the viewer see: up to
    /// `scan.fetch` per read (personal tables read the viewer's own rows and the rows of the
    /// objects they see apart, each by its own index).
    fn read<'a>(
        &'a self,
        scan: &'a Scan<'a>,
        scope: &'a SyncScope,
    ) -> BoxFuture<'a, Result<Vec<FeedRow>, DbErr>>;

    /// Every row written after `since`, or without it every live row (the public feed).
    fn since<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        community: Uuid,
        since: Option<i64>,
    ) -> BoxFuture<'a, Result<Vec<FeedRow>, DbErr>>;

    /// The rows (all of this table) as `viewer` sees them, in the same order.
    fn encode<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        viewer: &'a Viewer,
        scope: &'a SyncScope,
        rows: Vec<FeedRow>,
    ) -> BoxFuture<'a, Result<Vec<A::Change>, DbErr>>;

    /// The rows as every resident sees them (a public table's rows need no viewer).
    fn encode_alone(&self, rows: Vec<FeedRow>) -> Vec<A::Change>;

    /// The change that removes the row `id` from a phone.
    fn gone(&self, id: Uuid) -> A::Change;

    /// Deletes the community's tombstones older than `cutoff`; returns how many, and the
    /// highest version among them.
    fn purge<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        community: Uuid,
        cutoff: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(u64, i64), DbErr>>;

    /// Whether the row is a tombstone.
    fn is_tombstone(&self, row: &FeedRow) -> bool;
}

/// Encodes rows of one table: each alone, or all at once.
pub enum Encode<M, A: SyncApp> {
    Each(fn(&M) -> A::Change),
    Batch(BatchEncode<M, A>),
}

/// Encodes a batch of rows for a viewer, in order.
pub type BatchEncode<M, A> =
    for<'a> fn(
        &'a DatabaseTransaction,
        &'a Viewer,
        &'a SyncScope,
        Vec<M>,
    ) -> BoxFuture<'a, Result<Vec<<A as SyncApp>::Change>, DbErr>>;

/// A synced table of sea-orm entity `E`, declared by its capability.
pub struct Table<E: EntityTrait, A: SyncApp> {
    name: &'static str,
    rank: u8,
    since_schema: u32,
    audience: Audience,
    encode: Encode<E::Model, A>,
    gone: fn(Uuid) -> A::Change,
    cols: Cols<E::Column>,
    _entity: PhantomData<fn() -> E>,
}

#[derive(Clone)]
struct Cols<C> {
    id: C,
    community: C,
    version: C,
    deleted_at: C,
    personal: Option<(C, Vec<C>)>,
    /// A boolean column: rows where it is true are not shown to admins for being admins.
    confidential: Option<C>,
    /// The moment a row belongs to, for a table bound to the horizon.
    moment: Option<C>,
}

fn column<C: FromStr>(table: &str, name: &str) -> C {
    C::from_str(name).unwrap_or_else(|_| {
        panic!("synced table {table} has no column {name}: every synced table needs id, community_id, version and deleted_at")
    })
}

impl<E, A> Table<E, A>
where
    E: EntityTrait,
    E::Column: FromStr,
    A: SyncApp,
{
    /// Declares a synced table. Panics (at startup, and in the registration tests) when `E`
    /// lacks a column the engine or the audience needs.
    pub fn new(
        name: &'static str,
        rank: u8,
        audience: Audience,
        encode: Encode<E::Model, A>,
        gone: fn(Uuid) -> A::Change,
    ) -> Self {
        let table = E::default().table_name().to_owned();
        assert!(
            !matches!(audience, Audience::Public) || matches!(encode, Encode::Each(_)),
            "public table {name} must encode each row alone: the public feed is shared by every viewer"
        );
        let personal = match audience {
            Audience::Public => None,
            // No `over` column: the owner's and the admins' alone (a resident's own support).
            Audience::Personal { owner, over } => Some((
                column(&table, owner),
                over.iter().map(|c| column(&table, c)).collect(),
            )),
            Audience::Private { owner } => Some((column(&table, owner), Vec::new())),
        };
        Self {
            name,
            rank,
            since_schema: 1,
            audience,
            encode,
            gone,
            cols: Cols {
                id: column(&table, "id"),
                community: column(&table, "community_id"),
                version: column(&table, "version"),
                deleted_at: column(&table, "deleted_at"),
                personal,
                confidential: None,
                moment: None,
            },
            _entity: PhantomData,
        }
    }

    /// Rows whose boolean column `col` is true are confidential: admins see them only as
    /// their owner or through an `over` column, like anyone else (a personal table's neighbour
    /// dispute among its ordinary cases).
    pub fn confidential(mut self, col: &'static str) -> Self {
        assert!(
            matches!(self.audience, Audience::Personal { .. }),
            "only a personal table has confidential rows"
        );
        self.cols.confidential = Some(column(E::default().table_name(), col));
        self
    }

    /// Each row belongs to the moment in column `col` (a time that never changes once the
    /// row is written, like an occurrence's original start): rows are sent only while it
    /// lies in the phone's sync horizon ([`super::horizon`]).
    pub fn within_horizon(mut self, col: &'static str) -> Self {
        self.cols.moment = Some(column(E::default().table_name(), col));
        self
    }

    /// The entity arrived in this sync schema version (default 1).
    pub fn since(mut self, schema_version: u32) -> Self {
        self.since_schema = schema_version;
        self
    }

    fn models(&self, rows: Vec<FeedRow>) -> Vec<E::Model>
    where
        E::Model: 'static,
    {
        rows.into_iter()
            .map(|r| {
                *r.row
                    .downcast::<E::Model>()
                    .unwrap_or_else(|_| panic!("a row of another table given to {}", self.name))
            })
            .collect()
    }

    fn row(&self, model: E::Model) -> FeedRow
    where
        E::Model: Send + Sync + 'static,
    {
        let uuid = |c| match model.get(c) {
            Value::Uuid(Some(u)) => u,
            _ => Uuid::nil(),
        };
        let version = match model.get(self.cols.version) {
            Value::BigInt(Some(v)) => v,
            _ => 0,
        };
        let id = uuid(self.cols.id);
        let owner = self
            .cols
            .personal
            .as_ref()
            .map(|(owner, over)| (uuid(*owner), over.iter().map(|c| uuid(*c)).collect()));
        FeedRow {
            position: Position {
                version,
                rank: self.rank,
                id,
            },
            owner,
            private: matches!(self.audience, Audience::Private { .. })
                || self
                    .cols
                    .confidential
                    .is_some_and(|c| matches!(model.get(c), Value::Bool(Some(true)))),
            moment: self.cols.moment.and_then(|c| match model.get(c) {
                Value::ChronoDateTimeUtc(t) => t,
                _ => None,
            }),
            row: Box::new(model),
        }
    }

    /// Rows whose moment lies in `window`, for a table bound to the horizon.
    fn inside(&self, window: Option<Window>) -> Condition {
        match (self.cols.moment, window) {
            (Some(moment), Some(w)) => Condition::all()
                .add(moment.gte(w.start()))
                .add(moment.lt(w.end())),
            _ => Condition::all(),
        }
    }

    /// Rows after `pos`, in feed order.
    fn after(&self, pos: Position) -> Condition {
        let (version, id) = (self.cols.version, self.cols.id);
        match self.rank.cmp(&pos.rank) {
            std::cmp::Ordering::Greater => Condition::all().add(version.gte(pos.version)),
            std::cmp::Ordering::Less => Condition::all().add(version.gt(pos.version)),
            std::cmp::Ordering::Equal => Condition::any().add(version.gt(pos.version)).add(
                Condition::all()
                    .add(version.eq(pos.version))
                    .add(id.gt(pos.id)),
            ),
        }
    }

    /// Live rows, and tombstones newer than `skip`.
    fn not_skipped(&self, skip: i64) -> Condition {
        Condition::any()
            .add(self.cols.deleted_at.is_null())
            .add(self.cols.version.gt(skip))
    }
}

impl<E, A> FeedTable<A> for Table<E, A>
where
    E: EntityTrait,
    E::Column: FromStr + Send + Sync,
    E::Model: Send + Sync + 'static,
    A: SyncApp,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn table(&self) -> String {
        E::default().table_name().to_owned()
    }

    fn rank(&self) -> u8 {
        self.rank
    }

    fn since_schema(&self) -> u32 {
        self.since_schema
    }

    fn audience(&self) -> Audience {
        self.audience
    }

    fn horizon_bound(&self) -> bool {
        self.cols.moment.is_some()
    }

    fn read<'a>(
        &'a self,
        scan: &'a Scan<'a>,
        scope: &'a SyncScope,
    ) -> BoxFuture<'a, Result<Vec<FeedRow>, DbErr>> {
        Box::pin(async move {
            let reads = match &self.cols.personal {
                None => vec![Condition::all()],
                Some(_)
                    if scope.admin
                        && self.cols.confidential.is_none()
                        && !matches!(self.audience, Audience::Private { .. }) =>
                {
                    vec![Condition::all()]
                }
                Some((owner, over)) => {
                    let mut reads = vec![Condition::all().add(owner.eq(scan.viewer))];
                    // Admins see every row but the confidential ones, which they see as
                    // anyone else does.
                    if let (true, Some(c)) = (scope.admin, self.cols.confidential) {
                        reads.push(
                            Condition::all().add(c.eq(false)).add(
                                Condition::any()
                                    .add(owner.ne(scan.viewer))
                                    .add(owner.is_null()),
                            ),
                        );
                    }
                    if !scope.over.is_empty() {
                        // One read per column, each served by its own index.
                        for column in over {
                            reads.push(
                                Condition::all()
                                    .add(column.is_in(scope.over.iter().copied()))
                                    .add(
                                        Condition::any()
                                            .add(owner.ne(scan.viewer))
                                            .add(owner.is_null()),
                                    ),
                            );
                        }
                    }
                    reads
                }
            };
            let reads_several = reads.len() > 2;
            let mut rows = Vec::new();
            for whose in reads {
                let found = E::find()
                    .filter(self.cols.community.eq(scan.community))
                    .filter(self.after(scan.pos))
                    .filter(self.not_skipped(scan.skip))
                    .filter(self.inside(scan.window))
                    .filter(whose)
                    .order_by_asc(self.cols.version)
                    .order_by_asc(self.cols.id)
                    .limit(scan.fetch)
                    .all(scan.txn)
                    .await?;
                rows.extend(found.into_iter().map(|m| self.row(m)));
            }
            // A row seen through more than one of its columns is read more than once.
            if reads_several {
                rows.sort_by_key(|r| r.position);
                rows.dedup_by_key(|r| r.position.id);
            }
            Ok(rows)
        })
    }

    fn since<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        community: Uuid,
        since: Option<i64>,
    ) -> BoxFuture<'a, Result<Vec<FeedRow>, DbErr>> {
        Box::pin(async move {
            let mut query = E::find().filter(self.cols.community.eq(community));
            query = match since {
                Some(v) => query.filter(self.cols.version.gt(v)),
                None => query.filter(self.cols.deleted_at.is_null()),
            };
            Ok(query
                .all(txn)
                .await?
                .into_iter()
                .map(|m| self.row(m))
                .collect())
        })
    }

    fn encode<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        viewer: &'a Viewer,
        scope: &'a SyncScope,
        rows: Vec<FeedRow>,
    ) -> BoxFuture<'a, Result<Vec<A::Change>, DbErr>> {
        let models = self.models(rows);
        match &self.encode {
            Encode::Each(one) => {
                let changes = models.iter().map(one).collect();
                Box::pin(async move { Ok(changes) })
            }
            Encode::Batch(batch) => batch(txn, viewer, scope, models),
        }
    }

    fn encode_alone(&self, rows: Vec<FeedRow>) -> Vec<A::Change> {
        let Encode::Each(one) = &self.encode else {
            panic!("{} is encoded per viewer, not alone", self.name)
        };
        self.models(rows).iter().map(one).collect()
    }

    fn gone(&self, id: Uuid) -> A::Change {
        (self.gone)(id)
    }

    fn purge<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        community: Uuid,
        cutoff: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<(u64, i64), DbErr>> {
        Box::pin(async move {
            let Cols {
                community: c,
                deleted_at,
                version,
                ..
            } = self.cols;
            let highest: Option<Option<i64>> = E::find()
                .select_only()
                .column_as(version.max(), "max")
                .filter(c.eq(community))
                .filter(deleted_at.lt(cutoff))
                .into_tuple()
                .one(txn)
                .await?;
            let purged = E::delete_many()
                .filter(c.eq(community))
                .filter(deleted_at.lt(cutoff))
                .exec(txn)
                .await?;
            Ok((purged.rows_affected, highest.flatten().unwrap_or(0)))
        })
    }

    fn is_tombstone(&self, row: &FeedRow) -> bool {
        row.row
            .downcast_ref::<E::Model>()
            .is_some_and(|m| m.get(self.cols.deleted_at).is_some())
    }
}

/// The app's synced tables, in rank order, checked when the server starts.
pub struct Tables<A: SyncApp> {
    by_rank: Vec<Box<dyn FeedTable<A>>>,
}

impl<A: SyncApp> Tables<A> {
    /// Panics when two tables share a rank or a name: the feed order and the wire names
    /// must be unambiguous.
    pub fn new(mut tables: Vec<Box<dyn FeedTable<A>>>) -> Self {
        tables.sort_by_key(|t| t.rank());
        for pair in tables.windows(2) {
            assert!(
                pair[0].rank() != pair[1].rank(),
                "synced tables {} and {} share rank {}",
                pair[0].name(),
                pair[1].name(),
                pair[0].rank()
            );
        }
        let mut names: Vec<_> = tables.iter().map(|t| t.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), tables.len(), "two synced tables share a name");
        Self { by_rank: tables }
    }

    /// Every table, in rank order.
    pub fn all(&self) -> impl Iterator<Item = &dyn FeedTable<A>> {
        self.by_rank.iter().map(|t| t.as_ref())
    }

    /// The tables an app speaking `schema` receives.
    pub fn for_schema(&self, schema: u32) -> impl Iterator<Item = &dyn FeedTable<A>> {
        self.all().filter(move |t| t.since_schema() <= schema)
    }

    pub fn by_rank(&self, rank: u8) -> Option<&dyn FeedTable<A>> {
        self.by_rank
            .binary_search_by_key(&rank, |t| t.rank())
            .ok()
            .map(|i| self.by_rank[i].as_ref())
    }

    pub fn by_name(&self, name: &str) -> Option<&dyn FeedTable<A>> {
        self.all().find(|t| t.name() == name)
    }

    /// Turns rows (of any tables, in feed order) into the viewer's changes, in the same order:
    /// each table encodes its own rows in one batch. With `only_if_visible`, personal rows
    /// the viewer no longer sees under that scope become deletes.
    pub async fn encode(
        &self,
        txn: &DatabaseTransaction,
        viewer: &Viewer,
        scope: &SyncScope,
        rows: Vec<FeedRow>,
        only_if_visible: Option<&SyncScope>,
    ) -> Result<Vec<A::Change>, DbErr> {
        let mut out: Vec<Option<A::Change>> = Vec::with_capacity(rows.len());
        let mut batches: Vec<(u8, Vec<usize>, Vec<FeedRow>)> = Vec::new();
        for row in rows {
            let slot = out.len();
            let me = viewer.actor.resident_id;
            let gone = match (only_if_visible, &row.owner) {
                (Some(now), Some((owner, over))) if row.private => {
                    *owner != me && !over.iter().any(|o| now.over.contains(o))
                }
                (Some(now), Some((owner, over))) => !now.sees_personal(me, *owner, over),
                _ => false,
            };
            if gone {
                let table = self.table_of(&row);
                out.push(Some(table.gone(row.position.id)));
                continue;
            }
            out.push(None);
            let rank = row.position.rank;
            match batches.iter_mut().find(|(r, _, _)| *r == rank) {
                Some((_, slots, rows)) => {
                    slots.push(slot);
                    rows.push(row);
                }
                None => batches.push((rank, vec![slot], vec![row])),
            }
        }
        for (rank, slots, rows) in batches {
            let table = self
                .by_rank(rank)
                .expect("rows come from registered tables");
            let changes = table.encode(txn, viewer, scope, rows).await?;
            for (slot, change) in slots.into_iter().zip(changes) {
                out[slot] = Some(change);
            }
        }
        Ok(out
            .into_iter()
            .map(|c| c.expect("every table encodes each of its rows"))
            .collect())
    }

    fn table_of(&self, row: &FeedRow) -> &dyn FeedTable<A> {
        self.by_rank(row.position.rank)
            .expect("rows come from registered tables")
    }
}
