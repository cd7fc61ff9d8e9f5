//! Who may see a community's residents: its admins only, and nobody from another community.

use chrono::Utc;
use linli::domain::permissions::{Grant, Role, Scope};
use linli::entity::community;
use linli::persistence;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn make_admin(app: &TestApp, resident: Uuid, community: Uuid) {
    persistence::roles::grant(
        &app.db,
        resident,
        Grant {
            role: Role::Admin,
            scope: Scope::Community(community),
        },
    )
    .await
    .unwrap();
}

async fn second_community(app: &TestApp) -> Uuid {
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

fn residents_path(community: Uuid) -> String {
    format!("/api/v1/communities/{community}/residents")
}

#[tokio::test]
async fn anyone_can_list_communities_to_register() {
    let app = spawn_app().await;
    let list: Value = app
        .get("/api/v1/communities", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["slug"], "meikuang");
    assert_eq!(list[0]["name"], "煤礦新村");
}

#[tokio::test]
async fn an_admin_pages_through_their_communitys_residents() {
    let app = spawn_app().await;
    let community = app.community_id().await;
    let admin = app.resident("13800000000", "會長").await;
    make_admin(&app, admin.id, community).await;
    for i in 0..4 {
        app.resident(&format!("1390000000{i}"), &format!("居民{i}"))
            .await;
    }

    let first: Value = app
        .get(
            &format!("{}?limit=3", residents_path(community)),
            Some(&admin.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let after = first["next_after"].as_str().expect("a next page");
    let second: Value = app
        .get(
            &format!("{}?limit=3&after={after}", residents_path(community)),
            Some(&admin.access_token),
        )
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(first["residents"].as_array().unwrap().len(), 3);
    assert_eq!(second["residents"].as_array().unwrap().len(), 2);
    assert!(second.get("next_after").is_none());
    assert_eq!(first["residents"][0]["display_name"], "會長");
    assert_eq!(second["residents"][1]["phone"], "+8613900000003");
    // /me shows the role.
    let me: Value = app
        .get("/api/v1/me", Some(&admin.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"][0]["role"], "admin");
    assert_eq!(me["roles"][0]["scope"], "community");
    assert_eq!(me["roles"][0]["scope_id"], community.to_string());
}

#[tokio::test]
async fn a_resident_may_not_list_their_neighbours() {
    let app = spawn_app().await;
    let community = app.community_id().await;
    let resident = app.resident("13812345678", "王阿姨").await;

    let resp = app
        .get(&residents_path(community), Some(&resident.access_token))
        .await;

    assert_problem(resp, 403, "forbidden").await;
}

#[tokio::test]
async fn an_admin_cannot_see_into_another_community() {
    let app = spawn_app().await;
    let home = app.community_id().await;
    let admin = app.resident("13800000000", "會長").await;
    let other = second_community(&app).await;
    make_admin(&app, admin.id, home).await;
    // Even an admin grant naming the other community does not open it to a non-member.
    make_admin(&app, admin.id, other).await;
    app.register_in(other, "13700000000", "外村人").await;

    let resp = app
        .get(&residents_path(other), Some(&admin.access_token))
        .await;

    assert_problem(resp, 404, "not_found").await;
}

#[tokio::test]
async fn an_out_of_range_page_size_is_a_bad_request() {
    let app = spawn_app().await;
    let community = app.community_id().await;
    let admin = app.resident("13800000000", "會長").await;
    make_admin(&app, admin.id, community).await;
    let resp = app
        .get(
            &format!("{}?limit=0", residents_path(community)),
            Some(&admin.access_token),
        )
        .await;
    assert_problem(resp, 400, "malformed_request").await;
}
