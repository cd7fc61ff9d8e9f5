//! Pledgers rate a closed campaign: one rating per pledger (`campaign_rating`, the rater's
//! own row), and the campaign's public count and sum of stars.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, SPINE, create, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in ["rating_count", "rating_sum"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("campaign"))
                        .add_column(
                            ColumnDef::new(Alias::new(col))
                                .integer()
                                .not_null()
                                .default(0),
                        )
                        .to_owned(),
                )
                .await?;
        }
        let rating: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("campaign_id", Col::Uuid),
            ("resident_id", Col::Uuid),
            ("stars", Col::Int),
            ("comment", Col::Str(200)),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "campaign_rating",
            &rating,
            &[
                (
                    "idx_campaign_rating_feed",
                    &["community_id", "version", "id"],
                ),
                (
                    "idx_campaign_rating_resident_feed",
                    &["resident_id", "version", "id"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["campaign_rating"]).await?;
        for col in ["rating_count", "rating_sum"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("campaign"))
                        .drop_column(Alias::new(col))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
