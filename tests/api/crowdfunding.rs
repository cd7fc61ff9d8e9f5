//! Micro-crowdfunding over HTTP: a campaign for flower pots and benches from draft to a
//! closed report; pledges of money, goods and hours, named and anonymous; the treasurer's
//! receipts and expenses in a public ledger that verifies, a reversal instead of an edit, an
//! overdraft refused without its reason; every refusal's code; who sees a pledge (its
//! pledger and the treasurer, through the feed and the REST reads; an anonymous one named to
//! no other resident); and an edited past entry found by the ledger's check.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::elections::householder;
use crate::helpers::{Resident, assert_problem};
use crate::territory::{Village, applied, refused};

async fn get_json(v: &Village, who: &Resident, path: &str) -> Value {
    let resp = v.app.get(path, Some(&who.access_token)).await;
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

fn pots(n: u32) -> Value {
    json!([{"item": "花盆", "quantity": n}])
}

#[tokio::test]
async fn flower_pots_and_benches_from_pledges_to_a_ledger_that_balances_and_verifies() {
    let v = Village::new().await;
    let wang = householder(&v, "13610000001", "王阿姨", v.h1).await;
    let li = householder(&v, "13610000002", "李叔", v.h1b).await;
    let treasurer = householder(&v, "13610000003", "會計孫姐", v.h2).await;

    // The branch president starts it for the compound, naming the treasurer.
    let campaign = Uuid::now_v7();
    let deadline = (Utc::now() + Duration::days(30)).to_rfc3339();
    let create = json!({"id": campaign, "unit_id": v.compound, "title": "一區花盆和長椅",
        "purpose": "給一區院子添40個花盆和4張長椅，老人有地方坐。", "treasurer_id": treasurer.id,
        "goal_fen": 200_000, "goal_items": [{"item": "花盆", "quantity": 40}], "goal_hours": 20,
        "deadline": deadline});
    refused(
        &mut v.phone(&wang),
        "campaign.create",
        create.clone(),
        "forbidden",
    )
    .await;
    refused(
        &mut v.phone(&v.building_leader),
        "campaign.create",
        create.clone(),
        "forbidden",
    )
    .await;
    // A negative amount breaks the document's schema: the push is refused as it stands.
    let mut negative = create.clone();
    negative["goal_fen"] = json!(-100);
    let mut phone = v.phone(&v.branch_president);
    phone.mutate("campaign.create", negative);
    assert_problem(phone.push_queue_raw().await, 400, "invalid_mutation").await;
    for (field, value) in [
        ("goal_fen", json!(100_000_001)),
        (
            "deadline",
            json!((Utc::now() - Duration::days(1)).to_rfc3339()),
        ),
        ("treasurer_id", json!(Uuid::now_v7())),
    ] {
        let mut bad = create.clone();
        bad[field] = value;
        refused(
            &mut v.phone(&v.branch_president),
            "campaign.create",
            bad,
            "validation_failed",
        )
        .await;
    }
    let mut organiser = v.phone(&v.branch_president);
    let r = applied(&mut organiser, "campaign.create", create).await;
    assert_eq!(r["data"]["data"]["status"], "draft");

    // A draft takes no pledges.
    let pledge = |amount: i64, items: Value, hours: i64, anonymous: bool| {
        json!({"id": Uuid::now_v7(), "campaign_id": campaign, "amount_fen": amount,
               "items": items, "hours": hours, "anonymous": anonymous})
    };
    refused(
        &mut v.phone(&wang),
        "pledge.make",
        pledge(10_000, json!([]), 0, false),
        "campaign_not_open",
    )
    .await;
    applied(
        &mut organiser,
        "campaign.open",
        json!({"campaign_id": campaign}),
    )
    .await;
    refused(
        &mut organiser,
        "campaign.open",
        json!({"campaign_id": campaign}),
        "campaign_state",
    )
    .await;

    // Pledges: money named, money anonymous, goods and hours; nonsense refused.
    let mut phone = v.phone(&wang);
    phone.mutate("pledge.make", pledge(-500, json!([]), 0, false));
    assert_problem(phone.push_queue_raw().await, 400, "invalid_mutation").await;
    for bad in [
        pledge(0, json!([]), 0, false),
        pledge(100_000_001, json!([]), 0, false),
        pledge(0, json!([{"item": "花盆", "quantity": 0}]), 0, false),
        pledge(0, json!([]), 5000, false),
    ] {
        refused(&mut v.phone(&wang), "pledge.make", bad, "validation_failed").await;
    }
    let named = pledge(50_000, json!([]), 0, false);
    let hidden = pledge(150_000, json!([]), 0, true);
    let goods = pledge(0, pots(25), 6, false);
    applied(&mut v.phone(&wang), "pledge.make", named.clone()).await;
    applied(&mut v.phone(&li), "pledge.make", hidden.clone()).await;
    applied(&mut v.phone(&wang), "pledge.make", goods.clone()).await;
    let withdrawn = pledge(1_000, json!([]), 0, false);
    applied(&mut v.phone(&li), "pledge.make", withdrawn.clone()).await;
    applied(
        &mut v.phone(&li),
        "pledge.withdraw",
        json!({"pledge_id": withdrawn["id"]}),
    )
    .await;

    // Who sees a pledge: its pledger and the treasurer (the anonymous one too), through
    // the feed and the reads; another resident neither.
    let pledges_path = format!("/api/v1/campaigns/{campaign}/pledges");
    let mut t_phone = v.phone(&treasurer);
    t_phone.pull().await;
    assert_eq!(t_phone.count("pledge"), 4);
    let anon = t_phone.get(
        "pledge",
        Uuid::parse_str(hidden["id"].as_str().unwrap()).unwrap(),
    );
    assert_eq!(anon.unwrap()["name"], "李叔");
    assert_eq!(
        get_json(&v, &treasurer, &pledges_path)
            .await
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let mut w_phone = v.phone(&wang);
    w_phone.pull().await;
    assert_eq!(w_phone.count("pledge"), 2, "王阿姨 sees her own two only");
    assert_eq!(
        get_json(&v, &wang, &pledges_path)
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let mut n_phone = v.phone(&v.building_leader);
    n_phone.pull().await;
    assert_eq!(n_phone.count("pledge"), 0);
    assert_eq!(n_phone.count("campaign"), 1, "campaigns are public");

    // The treasurer receives them; only the treasurer, once each.
    let receive = |id: Uuid, p: &Value, method: &str| json!({"id": id, "pledge_id": p["id"], "method": method, "reference": "微信轉賬 0042"});
    refused(
        &mut organiser,
        "ledger.receive",
        receive(Uuid::now_v7(), &named, "cash"),
        "forbidden",
    )
    .await;
    let mut books = v.phone(&treasurer);
    let first = Uuid::now_v7();
    applied(
        &mut books,
        "ledger.receive",
        receive(first, &named, "transfer"),
    )
    .await;
    refused(
        &mut books,
        "ledger.receive",
        receive(Uuid::now_v7(), &named, "cash"),
        "already_received",
    )
    .await;
    refused(
        &mut books,
        "ledger.receive",
        receive(Uuid::now_v7(), &withdrawn, "cash"),
        "pledge_withdrawn",
    )
    .await;
    // The anonymous gift arrives as 1,600 yuan in cash, more than pledged.
    let mut anon_in = receive(Uuid::now_v7(), &hidden, "cash");
    anon_in["amount_fen"] = json!(160_000);
    let r = applied(&mut books, "ledger.receive", anon_in).await;
    assert!(r["data"]["data"].get("donor").is_none(), "{r}");
    let goods_in = Uuid::now_v7();
    applied(
        &mut books,
        "ledger.receive",
        receive(goods_in, &goods, "goods"),
    )
    .await;
    // Received twice over by mistake: reversed, never edited; then received again.
    applied(
        &mut books,
        "ledger.reverse",
        json!({"id": Uuid::now_v7(), "entry_id": goods_in, "reason": "記錯了數量"}),
    )
    .await;
    refused(
        &mut books,
        "ledger.reverse",
        json!({"id": Uuid::now_v7(), "entry_id": goods_in, "reason": "再撤"}),
        "already_reversed",
    )
    .await;
    let mut goods_again = receive(Uuid::now_v7(), &goods, "goods");
    goods_again["items"] = pots(24);
    applied(&mut books, "ledger.receive", goods_again).await;

    // Spending: the benches cost 1,800 yuan; 500 more than the balance only with a reason.
    let expense = |amount: i64, reason: Option<&str>| {
        json!({"id": Uuid::now_v7(), "campaign_id": campaign, "amount_fen": amount,
               "description": "4張長椅", "reference": "發票 No.8812", "overdraft_reason": reason})
    };
    applied(&mut books, "ledger.expense", expense(180_000, None)).await;
    refused(
        &mut books,
        "ledger.expense",
        expense(50_000, None),
        "overdraft",
    )
    .await;
    refused(
        &mut books,
        "ledger.expense",
        expense(0, None),
        "validation_failed",
    )
    .await;
    applied(
        &mut books,
        "ledger.expense",
        expense(50_000, Some("孫會長先墊付")),
    )
    .await;

    // The ledger: received − spent = balance at every entry, the chain verifies, and the
    // campaign's totals agree; the anonymous gift has no name in it.
    let ledger = get_json(&v, &li, &format!("/api/v1/campaigns/{campaign}/ledger")).await;
    assert_eq!(ledger["verified"], true, "{ledger}");
    let entries = ledger["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 7);
    let mut balance = 0;
    let mut prev = "0".repeat(64);
    for e in entries {
        let amount = e["amount_fen"].as_i64().unwrap();
        balance += match e["kind"].as_str().unwrap() {
            "receipt" => amount,
            "expense" => -amount,
            _ => {
                let reversed = entries.iter().find(|x| x["id"] == e["reverses"]).unwrap();
                if reversed["kind"] == "receipt" {
                    -amount
                } else {
                    amount
                }
            }
        };
        assert_eq!(e["balance_after_fen"].as_i64(), Some(balance), "{e}");
        assert_eq!(e["prev_hash"].as_str(), Some(prev.as_str()));
        prev = e["hash"].as_str().unwrap().to_owned();
    }
    assert_eq!(balance, 50_000 + 160_000 - 180_000 - 50_000);
    let c = &ledger["campaign"];
    assert_eq!(c["balance_fen"].as_i64(), Some(balance));
    assert_eq!(c["received_fen"].as_i64(), Some(210_000));
    assert_eq!(c["spent_fen"].as_i64(), Some(230_000));
    assert_eq!(c["ledger_head"].as_str(), Some(prev.as_str()));
    assert_eq!(c["received_items"], pots(24));
    assert_eq!(
        c["status"], "funded",
        "210,000 fen received of a 200,000 goal"
    );
    assert_eq!(c["pledges"].as_i64(), Some(3));
    assert_eq!(entries[0]["donor"], "王阿姨");
    assert!(
        entries[1].get("donor").is_none(),
        "the anonymous gift: {}",
        entries[1]
    );
    assert!(
        !ledger.to_string().contains("李叔"),
        "李叔 gave anonymously"
    );
    // A phone holds the same ledger through the feed.
    let mut neighbour = v.phone(&v.other_building_leader);
    neighbour.pull().await;
    assert_eq!(neighbour.count("ledger_entry"), 7);

    // Rated once closed, not before.
    refused(
        &mut v.phone(&wang),
        "campaign.rate",
        json!({"campaign_id": campaign, "stars": 5}),
        "campaign_state",
    )
    .await;
    // The organiser closes it with a report; it then takes no pledges.
    applied(
        &mut organiser,
        "campaign.close",
        json!({"campaign_id": campaign, "report": "40個花盆已擺好，4張長椅已安裝在一區院子。"}),
    )
    .await;
    refused(
        &mut v.phone(&li),
        "pledge.make",
        pledge(100, json!([]), 0, false),
        "campaign_not_open",
    )
    .await;
    // 王阿姨, whose gift was received, rates it, then changes her mind: one rating, her own
    // to see; the campaign publishes the count and the sum. The treasurer gave nothing.
    let mut w = v.phone(&wang);
    applied(
        &mut w,
        "campaign.rate",
        json!({"campaign_id": campaign, "stars": 3}),
    )
    .await;
    applied(
        &mut w,
        "campaign.rate",
        json!({"campaign_id": campaign, "stars": 5, "comment": "花盆很好看，長椅很結實。"}),
    )
    .await;
    refused(
        &mut v.phone(&treasurer),
        "campaign.rate",
        json!({"campaign_id": campaign, "stars": 1}),
        "forbidden",
    )
    .await;
    let mut phone = v.phone(&wang);
    phone.mutate(
        "campaign.rate",
        json!({"campaign_id": campaign, "stars": 6}),
    );
    assert_problem(phone.push_queue_raw().await, 400, "invalid_mutation").await;
    let listed = get_json(&v, &li, "/api/v1/campaigns").await;
    assert_eq!(
        (
            listed[0]["rating_count"].as_i64(),
            listed[0]["rating_sum"].as_i64()
        ),
        (Some(1), Some(5))
    );
    w.pull().await;
    assert_eq!(w.count("campaign_rating"), 1);
    let mut other = v.phone(&li);
    other.pull().await;
    assert_eq!(other.count("campaign_rating"), 0);

    // An edited past entry is found: change one amount behind the server's back.
    {
        use linli::features::crowdfunding::entity::ledger_entry as entry;
        use sea_orm::sea_query::{Expr, ExprTrait};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let db = sea_orm::Database::connect(&v.app.database_url)
            .await
            .unwrap();
        entry::Entity::update_many()
            .col_expr(
                entry::Column::AmountFen,
                Expr::col(entry::Column::AmountFen).add(1),
            )
            .filter(entry::Column::Id.eq(first))
            .exec(&db)
            .await
            .unwrap();
        db.close().await.unwrap();
    }
    let ledger = get_json(&v, &li, &format!("/api/v1/campaigns/{campaign}/ledger")).await;
    assert_eq!(ledger["verified"], false);
    assert_eq!(ledger["broken_seq"].as_i64(), Some(1));

    // The export holds one's pledges.
    let export = get_json(&v, &wang, "/api/v1/me/export").await;
    assert_eq!(
        export["crowdfunding"]["pledges"].as_array().unwrap().len(),
        2
    );
}
