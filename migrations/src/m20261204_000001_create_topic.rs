//! Deliberation's topics (議題), the supports residents give them, and their comment
//! threads; and the settings a unit keeps for them (supports needed, meeting quorum).
//!
//! Every synced deliberation row carries its **reach**: `room_id` (a key the residents of
//! its unit hold in their sync scope), `bench_id`, `area_bench_id`, `compound_bench_id` and
//! `desk_id` (keys holders over the unit, the area and compound above it, and the whole
//! community hold). The keys are derived from the unit ids, so they open no other table's
//! rows. A hidden comment's reach is empty: only its author and admins see it.
//!
//! The helpers here ([`create`], [`Col`]) declare the deliberation tables of this and the
//! next two migrations the same way.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A column's type.
#[derive(Clone, Copy)]
pub(crate) enum Col {
    Uuid,
    UuidNull,
    Str(u32),
    StrNull(u32),
    Text,
    TextNull,
    Int,
    IntNull,
    Big,
    Bool,
    Ts,
    TsNull,
    Date,
    DateNull,
}

/// Every synced table's spine after its own columns.
pub(crate) const SPINE: [(&str, Col); 3] = [
    ("version", Col::Big),
    ("created_at", Col::Ts),
    ("deleted_at", Col::TsNull),
];

/// The reach columns (see the module doc); nullable only where a row can be withdrawn.
pub(crate) fn reach(nullable: bool) -> [(&'static str, Col); 5] {
    let k = if nullable { Col::UuidNull } else { Col::Uuid };
    [
        ("room_id", k),
        ("bench_id", k),
        ("area_bench_id", Col::UuidNull),
        ("compound_bench_id", Col::UuidNull),
        ("desk_id", k),
    ]
}

/// Creates `table` with primary key `id`, `cols`, a cascade to its community when it has a
/// `community_id`, and `indexes`.
pub(crate) async fn create(
    manager: &SchemaManager<'_>,
    table: &str,
    cols: &[(&str, Col)],
    indexes: &[(&str, &[&str])],
) -> Result<(), DbErr> {
    let t = Alias::new(table);
    let mut create = Table::create();
    create.table(t.clone());
    create.col(
        ColumnDef::new(Alias::new("id"))
            .uuid()
            .not_null()
            .primary_key(),
    );
    for (name, col) in cols {
        let mut def = ColumnDef::new(Alias::new(*name));
        let nullable = match col {
            Col::Uuid => def.uuid().not_null(),
            Col::UuidNull => def.uuid().null(),
            Col::Str(n) => def.string_len(*n).not_null(),
            Col::StrNull(n) => def.string_len(*n).null(),
            Col::Text => def.text().not_null(),
            Col::TextNull => def.text().null(),
            Col::Int => def.integer().not_null(),
            Col::IntNull => def.integer().null(),
            Col::Big => def.big_integer().not_null(),
            Col::Bool => def.boolean().not_null(),
            Col::Ts => def.timestamp_with_time_zone().not_null(),
            Col::TsNull => def.timestamp_with_time_zone().null(),
            Col::Date => def.date().not_null(),
            Col::DateNull => def.date().null(),
        };
        create.col(nullable.to_owned());
    }
    if cols.iter().any(|(n, _)| *n == "community_id") {
        create.foreign_key(
            ForeignKey::create()
                .name(format!("fk_{table}_community"))
                .from(t.clone(), Alias::new("community_id"))
                .to(Alias::new("community"), Alias::new("id"))
                .on_delete(ForeignKeyAction::Cascade),
        );
    }
    manager.create_table(create.to_owned()).await?;
    for (name, cols) in indexes {
        let mut index = Index::create();
        index.name(*name).table(t.clone());
        for c in *cols {
            index.col(Alias::new(*c));
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}

pub(crate) async fn drop(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    for t in tables {
        manager
            .drop_table(Table::drop().table(Alias::new(*t)).to_owned())
            .await?;
    }
    Ok(())
}

/// A unit's level: its id and the area and compound above it (none for the community).
pub(crate) const LEVEL: [(&str, Col); 3] = [
    ("unit_id", Col::UuidNull),
    ("area_id", Col::UuidNull),
    ("compound_id", Col::UuidNull),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let topic: Vec<(&str, Col)> = [("community_id", Col::Uuid)]
            .into_iter()
            .chain(LEVEL)
            .chain(reach(false))
            .chain([
                ("title", Col::Str(80)),
                ("description", Col::Text),
                ("category", Col::Str(20)),
                ("author_id", Col::Uuid),
                ("author_name", Col::Str(40)),
                ("state", Col::Str(12)),
                ("supports", Col::Int),
                ("threshold", Col::Int),
                ("history", Col::Text),
                ("decision_id", Col::UuidNull),
            ])
            .chain(SPINE)
            .collect();
        create(
            manager,
            "topic",
            &topic,
            &[
                ("idx_topic_feed", &["community_id", "version", "id"]),
                ("idx_topic_room_feed", &["room_id", "version", "id"]),
                ("idx_topic_author", &["author_id"]),
            ],
        )
        .await?;
        let support: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("topic_id", Col::Uuid),
            ("resident_id", Col::Uuid),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "topic_support",
            &support,
            &[
                ("idx_topic_support_feed", &["community_id", "version", "id"]),
                (
                    "idx_topic_support_resident_feed",
                    &["resident_id", "version", "id"],
                ),
            ],
        )
        .await?;
        let comment: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("topic_id", Col::Uuid),
            ("author_id", Col::Uuid),
            ("author_name", Col::Str(40)),
            ("author_position", Col::StrNull(40)),
            ("body", Col::Text),
            ("hidden_reason", Col::StrNull(200)),
            ("hidden_by", Col::UuidNull),
            ("replaces", Col::UuidNull),
        ]
        .into_iter()
        .chain(reach(true))
        .chain(SPINE)
        .collect();
        create(
            manager,
            "topic_comment",
            &comment,
            &[
                ("idx_topic_comment_feed", &["community_id", "version", "id"]),
                ("idx_topic_comment_room_feed", &["room_id", "version", "id"]),
                ("idx_topic_comment_topic", &["topic_id", "created_at"]),
                ("idx_topic_comment_author", &["author_id"]),
            ],
        )
        .await?;
        create(
            manager,
            "deliberation_rule",
            &[
                ("community_id", Col::Uuid),
                ("unit_id", Col::UuidNull),
                ("support_count", Col::IntNull),
                ("support_pct", Col::IntNull),
                ("quorum", Col::Str(12)),
                ("updated_at", Col::Ts),
            ],
            &[],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(
            manager,
            &[
                "deliberation_rule",
                "topic_comment",
                "topic_support",
                "topic",
            ],
        )
        .await
    }
}
