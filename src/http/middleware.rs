//! What happens to every request, around the routes:
//!
//! 1. a request id is taken from `x-request-id` (if sane) or minted, echoed in the response
//!    and bound to the logs and problem bodies of the request;
//! 2. bodies over [`MAX_BODY_BYTES`] are refused with `413` before a handler reads them,
//!    whether or not the client sent a `Content-Length`, and JSON bodies that break the
//!    OpenAPI document's schema with `400` (see [`super::contract`]);
//! 3. any error response that is not yet `application/problem+json` (a malformed body, an
//!    unknown route, a wrong method, a panic) is rewritten into one, with an `Allow` header
//!    on `405`;
//! 4. the answer is compressed as the client accepts (see [`super::compress`]);
//! 5. one log line and the Prometheus metrics are recorded per request.

use std::sync::Arc;
use std::time::Instant;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, PathPattern, Request, Response};
use tracing::Instrument;
use uuid::Uuid;

use super::contract::{self, BodyContract};
use super::error::{PROBLEM_CONTENT_TYPE, Problem, ProblemCode, REQUEST_ID};

/// Largest accepted request body: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The methods each path of the API answers, for `Allow` headers on `405`.
#[derive(Debug, Default)]
pub struct AllowTable {
    /// Path templates split into segments (`{id}` matches any one segment), with methods.
    routes: Vec<(Vec<String>, Vec<String>)>,
}

impl AllowTable {
    /// Reads the paths and methods from the OpenAPI document, so the table can never
    /// disagree with the routes; adds the two routes outside the document.
    pub fn from_spec(spec: &str) -> Self {
        let mut table = Self::default();
        let doc: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
        if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
            for (path, item) in paths {
                let mut methods: Vec<String> = item
                    .as_object()
                    .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".into());
                }
                table.add(path, methods);
            }
        }
        table.add("/openapi.json", vec!["GET".into(), "HEAD".into()]);
        table
    }

    fn add(&mut self, path: &str, methods: Vec<String>) {
        let segments = path
            .trim_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect();
        self.routes.push((segments, methods));
    }

    /// The `Allow` value for `path`, if it is one of ours.
    pub fn allow(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.routes.iter().find_map(|(template, methods)| {
            let matches = template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| {
                    t == s || (t.starts_with('{') && t.ends_with('}') && !s.is_empty())
                });
            matches.then(|| methods.join(", "))
        })
    }
}

/// The middleware around every route (see the module docs).
pub async fn observe<E: Endpoint>(
    ep: Arc<E>,
    req: Request,
    allow: Arc<AllowTable>,
    bodies: Arc<BodyContract>,
) -> poem::Result<Response> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let coding = super::compress::negotiate(req.headers());
    let span =
        tracing::info_span!("request", id = %request_id, method = %method, path = %loggable(&path));

    let mut resp = REQUEST_ID
        .scope(request_id.clone(), async {
            let checked = match limit_body(req).await {
                Ok(req) => check_body(req, &bodies).await,
                Err(resp) => Err(resp),
            };
            let resp = match checked {
                Ok(req) => match ep.call(req).await {
                    Ok(resp) => resp.into_response(),
                    Err(err) => err.into_response(),
                },
                Err(resp) => resp,
            };
            let resp = into_problem(resp, &path, &allow).await;
            super::compress::compress(coding, resp).await
        })
        .instrument(span.clone())
        .await;

    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    let status = resp.status().as_u16();
    // Label by route template, never by raw path, so ids cannot explode the series count.
    let route = resp
        .data::<PathPattern>()
        .map(|p| p.0.to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    metrics::counter!("http_requests_total", "method" => method.to_string(), "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method.to_string(), "route" => route.clone())
        .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(status, route = %route, latency_ms = elapsed.as_secs_f64() * 1000.0, "request");
    });
    Ok(resp)
}

/// Paths whose last segment is a secret (a personal calendar feed's token): logged without it.
const SECRET_PATHS: [&str; 1] = ["/api/v1/calendar/"];

/// The path as the log may show it: secrets in it replaced by `***`.
pub fn loggable(path: &str) -> std::borrow::Cow<'_, str> {
    match SECRET_PATHS.iter().find(|p| path.starts_with(**p)) {
        Some(prefix) => format!("{prefix}***").into(),
        None => path.into(),
    }
}

/// Refuses bodies over [`MAX_BODY_BYTES`]. A declared length is checked up front; a
/// streamed (chunked) body is read up to the limit, so it is refused without being stored.
async fn limit_body(mut req: Request) -> Result<Request, Response> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if len > MAX_BODY_BYTES as u64 => {
            Err(unreadable_body(poem::error::ReadBodyError::PayloadTooLarge))
        }
        // The server enforces a declared length, so the body cannot exceed it.
        Some(_) => Ok(req),
        None if req.method() == Method::GET || req.method() == Method::HEAD => Ok(req),
        None => match read_limited(req.take_body(), MAX_BODY_BYTES).await {
            Ok(bytes) => {
                req.set_body(bytes);
                Ok(req)
            }
            Err(e) => Err(unreadable_body(e)),
        },
    }
}

/// A streamed body, read whole up to `limit` bytes. Its frames are kept as they arrived
/// and joined once into a buffer of the exact size (poem's `into_bytes_limit` copies
/// through a small buffer into one that grows by doubling: up to twice the body, for every
/// slow upload held open at once).
async fn read_limited(
    body: poem::Body,
    limit: usize,
) -> Result<bytes::Bytes, poem::error::ReadBodyError> {
    use futures_util::StreamExt;
    let mut frames = Vec::new();
    let mut total = 0usize;
    let mut stream = std::pin::pin!(body.into_bytes_stream());
    while let Some(frame) = stream.next().await {
        let frame = frame?;
        total += frame.len();
        if total > limit {
            return Err(poem::error::ReadBodyError::PayloadTooLarge);
        }
        frames.push(frame);
    }
    Ok(match frames.len() {
        0 => bytes::Bytes::new(),
        1 => frames.swap_remove(0),
        _ => {
            let mut joined = bytes::BytesMut::with_capacity(total);
            for frame in frames {
                joined.extend_from_slice(&frame);
            }
            joined.freeze()
        }
    })
}

/// Checks a JSON body against the OpenAPI document; a body that is not JSON at all is left
/// to the handler, whose parse error says so.
async fn check_body(mut req: Request, bodies: &BodyContract) -> Result<Request, Response> {
    let path = req.uri().path().to_owned();
    if !bodies.covers(req.method(), &path) || !contract::is_json(&req) {
        return Ok(req);
    }
    let bytes = req
        .take_body()
        .into_bytes_limit(MAX_BODY_BYTES)
        .await
        .map_err(unreadable_body)?;
    let parsed = serde_json::from_slice::<serde_json::Value>(&bytes);
    req.set_body(bytes);
    if let Ok(body) = parsed
        && let Err(violation) = bodies.check(req.method(), &path, &body)
    {
        let refusal = BodyContract::refusal(&path, &body, &violation);
        return Err(super::error::ErrorResponse::from(refusal).into_response());
    }
    Ok(req)
}

fn unreadable_body(e: poem::error::ReadBodyError) -> Response {
    match e {
        poem::error::ReadBodyError::PayloadTooLarge => problem_response(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemCode::PayloadTooLarge,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        )),
        e => problem_response(Problem::new(
            StatusCode::BAD_REQUEST,
            ProblemCode::MalformedRequest,
            format!("the request body could not be read: {e}"),
        )),
    }
}

/// Rewrites an error response that is not problem+json into one.
async fn into_problem(mut resp: Response, path: &str, allow: &AllowTable) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&resp) {
        return resp;
    }
    let original = resp.take_body().into_string().await.unwrap_or_default();
    let code = ProblemCode::for_status(status);
    let describes_input = matches!(status.as_u16(), 400 | 413 | 415 | 422);
    let detail = if describes_input && !original.trim().is_empty() && original.len() <= 1000 {
        // Errors from request parsing describe the client's own input; they are safe to show.
        original.trim().to_owned()
    } else {
        default_detail(code).to_owned()
    };
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), cause = %original, "request failed");
    }
    let mut problem_resp = problem_response(Problem::new(status, code, detail));
    // Keep headers that matter to the client (Retry-After, WWW-Authenticate, …).
    for (name, value) in resp.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem_resp
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            if let Some(methods) = allow
                .allow(path)
                .and_then(|m| HeaderValue::from_str(&m).ok())
            {
                problem_resp.headers_mut().insert(header::ALLOW, methods);
            }
        }
        StatusCode::UNAUTHORIZED
            if !problem_resp
                .headers()
                .contains_key(header::WWW_AUTHENTICATE) =>
        {
            problem_resp
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        _ => {}
    }
    if let Some(pattern) = resp.data::<PathPattern>() {
        problem_resp.set_data(pattern.clone());
    }
    problem_resp
}

fn is_problem(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(PROBLEM_CONTENT_TYPE))
}

fn default_detail(code: ProblemCode) -> &'static str {
    match code {
        ProblemCode::Unauthorized => "a valid access token is required",
        ProblemCode::NotFound => "there is nothing at this path",
        ProblemCode::MethodNotAllowed => {
            "this path does not accept this method; see the Allow header"
        }
        ProblemCode::UnsupportedMediaType => "send the request body as application/json",
        ProblemCode::ServiceUnavailable => {
            "the service is temporarily unavailable; try again shortly"
        }
        ProblemCode::Internal => {
            "the server failed to handle this request; quote the request id when reporting it"
        }
        _ => "the request could not be handled",
    }
}

pub fn problem_response(problem: Problem) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .content_type(PROBLEM_CONTENT_TYPE)
        .body(problem.to_json_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_the_methods_of_the_matching_template() {
        let spec = r#"{"paths":{"/api/v1/me":{"get":{}},"/api/v1/communities/{community_id}/residents":{"get":{}},"/api/v1/auth/login":{"post":{}}}}"#;
        let table = AllowTable::from_spec(spec);
        assert_eq!(table.allow("/api/v1/me").as_deref(), Some("GET, HEAD"));
        assert_eq!(table.allow("/api/v1/auth/login").as_deref(), Some("POST"));
        assert_eq!(
            table
                .allow("/api/v1/communities/0193a0c4-7d2e-7c61-9a57-6b1f0e2d4c11/residents")
                .as_deref(),
            Some("GET, HEAD")
        );
        assert_eq!(table.allow("/openapi.json").as_deref(), Some("GET, HEAD"));
        assert_eq!(table.allow("/nowhere"), None);
    }

    #[test]
    fn a_calendar_token_never_reaches_the_log() {
        assert_eq!(
            loggable("/api/v1/calendar/Zm9vYmFy-secret.ics"),
            "/api/v1/calendar/***"
        );
        assert_eq!(loggable("/api/v1/me"), "/api/v1/me");
    }

    #[tokio::test]
    async fn a_streamed_body_is_joined_whole_and_refused_past_the_limit() {
        let frames = |n: usize| {
            let pieces: Vec<Result<bytes::Bytes, std::io::Error>> = (0..n)
                .map(|i| {
                    Ok(bytes::Bytes::from(vec![
                        u8::try_from(i % 251).unwrap();
                        1000
                    ]))
                })
                .collect();
            poem::Body::from_bytes_stream(futures_util::stream::iter(pieces))
        };
        let whole = read_limited(frames(5), 5_000).await.unwrap();
        assert_eq!(whole.len(), 5_000);
        assert!(
            whole
                .chunks(1000)
                .enumerate()
                .all(|(i, c)| c.iter().all(|b| usize::from(*b) == i))
        );
        assert_eq!(read_limited(frames(1), 5_000).await.unwrap().len(), 1_000);
        assert!(read_limited(frames(0), 5_000).await.unwrap().is_empty());
        assert!(matches!(
            read_limited(frames(6), 5_000).await,
            Err(poem::error::ReadBodyError::PayloadTooLarge)
        ));
    }
}
