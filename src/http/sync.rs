//! The sync endpoints. The engine is in `crate::sync`; the protocol is described in the
//! README's "Sync protocol" section.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use poem::IntoResponse;
use poem::web::Data;
use poem::web::sse::{Event, SSE};
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, OpenApi};

use super::error::{ApiError, ApiResult};
use super::{ApiTags, AppState};
use crate::auth::bearer::BearerAuth;
use crate::domain::permissions::Actor;
use crate::features::{PullResponse, PushRequest, PushResponse};
use crate::persistence;
use crate::sync::pull::PullPage;
use crate::sync::push::PushInput;
use crate::sync::wire::{Heartbeat, Poke, PullRequest, ServerSentEvent, SyncEvent};
use crate::sync::{pull, push, write};
use crate::web::error::answers::*;

pub struct SyncApi;

#[derive(ApiResponse)]
pub enum EventsResponse {
    /// `text/event-stream`: a `poke` event (data `{"version": n}`) whenever something in the
    /// caller's community changes, and at once on connecting; a `heartbeat` event every 15
    /// seconds. The stream ends when the access token expires: reconnect with a fresh one.
    /// The schema describes one event, as OpenAPI 3.0 does for event streams.
    #[oai(status = 200)]
    Stream(SyncEventStream),
}

/// The event stream as a payload whose schema is one [`ServerSentEvent`]. (poem-openapi's
/// `EventStream` documents a JSON array, which no client or contract checker reads as SSE.)
pub struct SyncEventStream(BoxStream<'static, SyncEvent>);

impl Payload for SyncEventStream {
    const CONTENT_TYPE: &'static str = "text/event-stream";

    fn schema_ref() -> MetaSchemaRef {
        <ServerSentEvent as Type>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <ServerSentEvent as Type>::register(registry);
        <Poke as Type>::register(registry);
        <Heartbeat as Type>::register(registry);
    }
}

impl IntoResponse for SyncEventStream {
    fn into_response(self) -> poem::Response {
        SSE::new(self.0.map(|event| {
            let frame = event.frame();
            Event::message(frame.data).event_type(frame.event.as_str())
        }))
        .into_response()
    }
}

/// A pull's answer, documented as [`PullResponse`] and written from its ready-encoded
/// changes ([`PullPage::to_json`]) rather than through a JSON tree.
pub struct PullBody(PullPage);

#[derive(ApiResponse)]
pub enum PullAnswer {
    #[oai(status = 200)]
    Page(PullBody),
}

impl Payload for PullBody {
    const CONTENT_TYPE: &'static str = Json::<PullResponse>::CONTENT_TYPE;

    fn schema_ref() -> MetaSchemaRef {
        <PullResponse as Type>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <PullResponse as Type>::register(registry);
    }
}

impl IntoResponse for PullBody {
    fn into_response(self) -> poem::Response {
        poem::Response::builder()
            .content_type(Self::CONTENT_TYPE)
            .body(self.0.to_json())
    }
}

/// Pushes `req` as `actor` (the endpoint, and `linli demo`, which writes as phones would).
pub async fn push_as(
    state: &AppState,
    actor: Actor,
    req: PushRequest,
) -> Result<PushResponse, ApiError> {
    let input = PushInput {
        client_id: req.client_id,
        schema_version: req.schema_version,
        mutations: req.mutations,
    };
    let decided = push::push(&state.sync, actor, input).await?;
    Ok(PushResponse::new(
        decided,
        state.sync.clock.now().to_string(),
    ))
}

#[OpenApi(prefix_path = "/api/v1/sync", tag = "ApiTags::Sync")]
impl SyncApi {
    /// Push queued mutations
    ///
    /// Applies the phone's queued offline edits, in id order, exactly once. Every mutation
    /// gets a result: `applied`, or `rejected` with a `code`, a `message` and the object's
    /// current state; both are final, so drop the mutation from the queue either way. Only a
    /// failed request (5xx, 429, 503) should be retried, with the same mutations.
    #[oai(path = "/push", method = "post", operation_id = "sync_push")]
    async fn push(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<PushRequest>,
    ) -> ApiResult<
        Json<PushResponse>,
        { SIGNED_IN | BODY | FORBIDDEN | CONFLICT | UPGRADE_REQUIRED | TOO_MANY_REQUESTS },
    > {
        state.sync_limits.push(auth.0.sub)?;
        // Only who: the push is decided with the roles they hold at its turn.
        let resident = persistence::residents::find_active(&state.db, auth.0.sub)
            .await
            .map_err(ApiError::from)?
            .filter(|r| r.community_id == auth.0.cid)
            .ok_or(ApiError::Unauthorized)?;
        let actor = Actor {
            resident_id: resident.id,
            community_id: resident.community_id,
            grants: Vec::new(),
        };
        Ok(Json(push_as(&state, actor, body.0).await?))
    }

    /// Pull changes
    ///
    /// Returns the changes in the caller's scope since `cursor` (everything when it is null),
    /// oldest first. Apply them in order, store the new `cursor`, and pull again at once while
    /// `has_more` is true.
    #[oai(path = "/pull", method = "post", operation_id = "sync_pull")]
    async fn pull(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<PullRequest>,
    ) -> ApiResult<
        PullAnswer,
        { SIGNED_IN | BODY | CONFLICT | GONE | UPGRADE_REQUIRED | TOO_MANY_REQUESTS },
    > {
        state.sync_limits.pull(auth.0.sub)?;
        if let Some(nothing_new) = pull::from_memory(&state.sync, &auth.0, &body.0) {
            return Ok(PullAnswer::Page(PullBody(nothing_new)));
        }
        let page = pull::pull(&state.sync, &auth.0, body.0)
            .await
            .map_err(ApiError::from)?;
        Ok(PullAnswer::Page(PullBody(page)))
    }

    /// Listen for pokes
    ///
    /// A Server-Sent Events stream telling the phone when to pull, so it need not poll. It
    /// ends when the access token expires or its session is logged out; reconnect with a
    /// fresh token.
    #[oai(path = "/events", method = "get", operation_id = "sync_events")]
    async fn events(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<EventsResponse, { SIGNED_IN | TOO_MANY_REQUESTS }> {
        state.sync_limits.pull(auth.0.sub)?;
        let community = auth.0.cid;
        let mut pokes = state.sync.poker.subscribe(community);
        let (head, _) = write::head(&state.db, community)
            .await
            .map_err(ApiError::from)?;
        state.sync.poker.notify(community, head);
        pokes.mark_changed();
        let expires_in = Duration::from_secs(
            u64::try_from(auth.0.exp - chrono::Utc::now().timestamp()).unwrap_or(0),
        );
        let poke_stream = stream::unfold(pokes, |mut rx| async move {
            rx.changed().await.ok()?;
            let version = u64::try_from(*rx.borrow_and_update()).unwrap_or_default();
            Some((SyncEvent::Poke(Poke { version }), rx))
        });
        let (every, clock) = (state.heartbeat, state.sync.clock.clone());
        let heartbeats = stream::unfold(clock, move |clock| async move {
            tokio::time::sleep(every).await;
            let beat = SyncEvent::Heartbeat(Heartbeat {
                server_time: clock.now().to_string(),
            });
            Some((beat, clock))
        });
        // The stream ends when its access token expires or its session is logged out.
        let (revoked, session) = (state.revoked.clone(), auth.0.sid);
        let ends = async move {
            match session {
                Some(sid) => {
                    tokio::select! {
                        () = tokio::time::sleep(expires_in) => {}
                        () = revoked.ended(sid) => {}
                    }
                }
                None => tokio::time::sleep(expires_in).await,
            }
        };
        let events = stream::select(poke_stream, heartbeats)
            .take_until(ends)
            .boxed();
        Ok(EventsResponse::Stream(SyncEventStream(events)))
    }
}
