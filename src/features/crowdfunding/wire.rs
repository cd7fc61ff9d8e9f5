//! Crowdfunding's wire types: campaigns, pledges and the ledger's entries, as phones push and
//! pull them. Money is integer fen (1 yuan = 100 fen).

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use super::rules::{ItemCount, Kind, Status};
use crate::features::attachments::wire::{PhotoArgs, PhotoData};
use crate::{change, mutation};

mutation!(
    /// Start a campaign (微愛眾籌), as a draft: for a building, area or compound (`unit_id`)
    /// or the whole community, by the committee over it (the president and vice president
    /// anywhere), who names its treasurer. Goals in money (fen), goods and/or volunteer
    /// hours, and a deadline. Sent again with the same id, it is applied once.
    CampaignCreateMutation(CampaignCreateArgs)
);

#[derive(Debug, Clone, Object)]
pub struct CampaignCreateArgs {
    pub id: Uuid,
    /// A building, area or compound; leave out for the whole community.
    pub unit_id: Option<Uuid>,
    /// 1 to 80 characters: `利民小區花盆和長椅`.
    #[oai(validator(min_length = 1, max_length = 80))]
    pub title: String,
    /// What it is for, 1 to 5,000 characters.
    #[oai(validator(min_length = 1, max_length = 5000))]
    pub purpose: String,
    /// The resident who records what is received and spent.
    pub treasurer_id: Uuid,
    /// The money goal in fen (0 or absent: none).
    #[oai(default, validator(minimum(value = "0")))]
    pub goal_fen: i64,
    /// The goods goal: `[{"item": "花盆", "quantity": 40}]`.
    #[oai(default)]
    pub goal_items: Vec<ItemCount>,
    /// Volunteer hours wanted.
    #[oai(default, validator(minimum(value = "0")))]
    pub goal_hours: i32,
    /// The volunteer series whose sessions the hours are given at: a pledge of hours alone
    /// is received when its pledger is marked present at one of them.
    pub series_id: Option<Uuid>,
    /// Pledges are taken until then (in the future).
    pub deadline: DateTime<Utc>,
    /// Photos, at most 9; their bytes follow over `PUT /api/v1/attachments/{id}`.
    #[oai(default)]
    pub photos: Vec<PhotoArgs>,
}

mutation!(
    /// Open a draft campaign for pledges (its organiser).
    CampaignOpenMutation(CampaignRef)
);

mutation!(
    /// Close a campaign with a report of what was done with it (its organiser). The ledger
    /// still takes the treasurer's last expenses and corrections.
    CampaignCloseMutation(CampaignCloseArgs)
);

mutation!(
    /// Call a campaign off, saying why (its organiser). What was received stays in the
    /// ledger, to be accounted for.
    CampaignCancelMutation(CampaignCloseArgs)
);

#[derive(Debug, Clone, Object)]
pub struct CampaignRef {
    pub campaign_id: Uuid,
}

#[derive(Debug, Clone, Object)]
pub struct CampaignCloseArgs {
    pub campaign_id: Uuid,
    /// What was done with it, or why it is called off: 1 to 5,000 characters.
    #[oai(validator(min_length = 1, max_length = 5000))]
    pub report: String,
}

mutation!(
    /// Pledge money, goods and/or volunteer hours to an open campaign (any resident of the
    /// community). `anonymous`: the ledger shows no name; the treasurer always knows.
    PledgeMakeMutation(PledgeMakeArgs)
);

#[derive(Debug, Clone, Object)]
pub struct PledgeMakeArgs {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// Money, in fen (0 to 100,000,000).
    #[oai(default, validator(minimum(value = "0")))]
    pub amount_fen: i64,
    #[oai(default)]
    pub items: Vec<ItemCount>,
    /// Volunteer hours (0 to 1,000).
    #[oai(default, validator(minimum(value = "0")))]
    pub hours: i32,
    #[oai(default)]
    pub anonymous: bool,
}

mutation!(
    /// Withdraw one's pledge, while it is not yet received.
    PledgeWithdrawMutation(PledgeRef)
);

#[derive(Debug, Clone, Object)]
pub struct PledgeRef {
    pub pledge_id: Uuid,
}

/// How a pledge arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename = "ReceiptMethod", rename_all = "snake_case")]
pub enum Method {
    /// 現金.
    Cash,
    /// A bank or phone transfer (its reference in `reference`).
    Transfer,
    /// Goods handed over.
    Goods,
    /// Volunteer hours given.
    Time,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cash => "cash",
            Self::Transfer => "transfer",
            Self::Goods => "goods",
            Self::Time => "time",
        }
    }
}

mutation!(
    /// Record a pledge as received (the campaign's treasurer): money, goods or hours, as
    /// they arrived (by default, what was pledged). A new ledger entry; a pledge is received
    /// once.
    LedgerReceiveMutation(LedgerReceiveArgs)
);

#[derive(Debug, Clone, Object)]
pub struct LedgerReceiveArgs {
    /// The new ledger entry's id.
    pub id: Uuid,
    pub pledge_id: Uuid,
    /// The money received, in fen; absent: what was pledged.
    #[oai(validator(minimum(value = "0")))]
    pub amount_fen: Option<i64>,
    /// The goods received; absent: what was pledged.
    pub items: Option<Vec<ItemCount>>,
    /// The hours given; absent: what was pledged.
    #[oai(validator(minimum(value = "0")))]
    pub hours: Option<i32>,
    pub method: Method,
    /// A transfer's reference or a receipt's number, at most 200 characters.
    #[oai(validator(max_length = 200))]
    pub reference: Option<String>,
}

mutation!(
    /// Record money spent (the campaign's treasurer), with the receipt's photo. More than the
    /// balance only with `overdraft_reason` (someone advanced the money).
    LedgerExpenseMutation(LedgerExpenseArgs)
);

#[derive(Debug, Clone, Object)]
pub struct LedgerExpenseArgs {
    /// The new ledger entry's id.
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// In fen, 1 to 100,000,000.
    #[oai(validator(minimum(value = "0")))]
    pub amount_fen: i64,
    /// What was bought: `40個花盆`, 1 to 200 characters.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub description: String,
    /// The receipt's number, at most 200 characters.
    #[oai(validator(max_length = 200))]
    pub reference: Option<String>,
    /// Why spending more than the balance is right (1 to 200 characters).
    #[oai(validator(max_length = 200))]
    pub overdraft_reason: Option<String>,
    /// The receipt's photo (and any other), at most 9.
    #[oai(default)]
    pub photos: Vec<PhotoArgs>,
}

mutation!(
    /// Reverse a ledger entry made by mistake (the campaign's treasurer): a new entry that
    /// undoes it. Entries are never edited; an entry is reversed once.
    LedgerReverseMutation(LedgerReverseArgs)
);

#[derive(Debug, Clone, Object)]
pub struct LedgerReverseArgs {
    /// The new ledger entry's id.
    pub id: Uuid,
    pub entry_id: Uuid,
    /// Why: 1 to 200 characters.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct CampaignData {
    pub id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub unit_id: Option<Uuid>,
    pub title: String,
    pub purpose: String,
    pub organiser_id: Uuid,
    pub organiser_name: String,
    pub treasurer_id: Uuid,
    pub treasurer_name: String,
    #[oai(validator(minimum(value = "0")))]
    pub goal_fen: i64,
    pub goal_items: Vec<ItemCount>,
    #[oai(validator(minimum(value = "0")))]
    pub goal_hours: i32,
    /// The volunteer series whose attendance receives pledged hours.
    #[oai(skip_serializing_if_is_none)]
    pub series_id: Option<Uuid>,
    pub deadline: DateTime<Utc>,
    pub status: Status,
    /// Pledged (not withdrawn): money and hours, and how many pledges.
    #[oai(validator(minimum(value = "0")))]
    pub pledged_fen: i64,
    #[oai(validator(minimum(value = "0")))]
    pub pledged_hours: i32,
    #[oai(validator(minimum(value = "0")))]
    pub pledges: i32,
    /// As the ledger says: received, spent, the balance.
    #[oai(validator(minimum(value = "0")))]
    pub received_fen: i64,
    pub received_items: Vec<ItemCount>,
    #[oai(validator(minimum(value = "0")))]
    pub spent_fen: i64,
    #[oai(validator(minimum(value = "-9007199254740991")))]
    pub balance_fen: i64,
    /// Entries in the ledger, and the last one's hash: publish it, and anyone can check
    /// that the past was not changed (`GET /api/v1/campaigns/{id}/ledger`).
    #[oai(validator(minimum(value = "0")))]
    pub ledger_length: i32,
    pub ledger_head: String,
    /// What was done with it (once closed), or why it was called off.
    #[oai(skip_serializing_if_is_none)]
    pub report: Option<String>,
    pub photos: Vec<PhotoData>,
    /// How many pledgers rated it once it closed, and their stars added up (the average is
    /// `rating_sum / rating_count`); who gave which stars is not published.
    #[oai(validator(minimum(value = "0")))]
    pub rating_count: i32,
    #[oai(validator(minimum(value = "0")))]
    pub rating_sum: i32,
    pub created_at: DateTime<Utc>,
}

change!(
    /// A campaign of the community was started or changed (its totals move with every
    /// pledge and ledger entry).
    CampaignChange(CampaignData)
);

#[derive(Debug, Clone, PartialEq, Object)]
pub struct PledgeData {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub resident_id: Uuid,
    pub name: String,
    pub anonymous: bool,
    #[oai(validator(minimum(value = "0")))]
    pub amount_fen: i64,
    pub items: Vec<ItemCount>,
    #[oai(validator(minimum(value = "0")))]
    pub hours: i32,
    /// `pledged`, `received` or `withdrawn`.
    pub status: String,
    /// The ledger entry that received it.
    #[oai(skip_serializing_if_is_none)]
    pub entry_id: Option<Uuid>,
    pub pledged_at: DateTime<Utc>,
}

change!(
    /// One's own pledge (or, for a campaign's treasurer, any pledge to it) was made or
    /// changed.
    PledgeChange(PledgeData)
);

#[derive(Debug, Clone, PartialEq, Object)]
pub struct LedgerEntryData {
    pub id: Uuid,
    pub campaign_id: Uuid,
    /// 1, 2, 3… in the campaign's ledger.
    #[oai(validator(minimum(value = "0")))]
    pub seq: i32,
    pub kind: Kind,
    /// Always positive: `kind` says which way it moves the balance.
    #[oai(validator(minimum(value = "0")))]
    pub amount_fen: i64,
    pub items: Vec<ItemCount>,
    #[oai(validator(minimum(value = "0")))]
    pub hours: i32,
    /// The giver's name; absent for an anonymous gift and for expenses.
    #[oai(skip_serializing_if_is_none)]
    pub donor: Option<String>,
    pub method: String,
    pub reference: String,
    pub description: String,
    #[oai(skip_serializing_if_is_none)]
    pub reverses: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub reversed_by: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub overdraft_reason: Option<String>,
    #[oai(validator(minimum(value = "-9007199254740991")))]
    pub balance_after_fen: i64,
    /// When it was recorded, exactly as hashed: RFC 3339 to the second, `Z`.
    pub recorded: String,
    pub prev_hash: String,
    /// SHA-256(`linli-ledger/1` ⏎ `prev_hash` ⏎ the entry's canonical JSON).
    pub hash: String,
    pub photos: Vec<PhotoData>,
}

change!(
    /// An entry was added to a campaign's public ledger (or one was marked reversed).
    LedgerEntryChange(LedgerEntryData)
);

mutation!(
    /// Rate a closed campaign (a pledger whose gift was received): 1 to 5 stars and a few
    /// words. Rating again replaces one's rating. The campaign publishes the count and the
    /// sum, never who gave which.
    CampaignRateMutation(CampaignRateArgs)
);

#[derive(Debug, Clone, Object)]
pub struct CampaignRateArgs {
    pub campaign_id: Uuid,
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    pub stars: i32,
    /// At most 200 characters.
    #[oai(validator(max_length = 200))]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct CampaignRatingData {
    pub id: Uuid,
    pub campaign_id: Uuid,
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    pub stars: i32,
    pub comment: String,
    pub rated_at: DateTime<Utc>,
}

change!(
    /// The caller's rating of a campaign.
    CampaignRatingChange(CampaignRatingData)
);
