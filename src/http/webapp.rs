//! The residents' web app at `/app/`: the files `web/` builds into `web/dist`, embedded in the
//! binary by `rust-embed`, so `cargo run` serves the app on a machine without Node.
//!
//! Why a committed bundle rather than a build at compile time: a build step in `build.rs`
//! would make every `cargo build` need Node and the npm registry, or silently ship a stale or
//! missing app when they are absent. The bundle is small (tens of kilobytes), reproducible
//! (`npm run build` in `web/` gives the same bytes), and CI rebuilds it from the sources and
//! fails when it differs from the committed one, as it does for the OpenAPI document.
//!
//! Serving rules, for phones on thin data plans and for offline use:
//! - files under `assets/` carry a content hash in their names: cached for a year, immutable;
//! - the page, the service worker and the manifest are revalidated every time (`no-cache`,
//!   with an ETag answered by `304`), so a new build reaches phones on their next visit;
//! - any other path under `/app/` without a file extension is the app's one page (the app
//!   routes by the address's hash, but a bookmarked path still opens it);
//! - a strict Content-Security-Policy: the app's own scripts, styles and API only.
//!
//! Answers are compressed by the middleware like every other text answer.

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Request, Response, handler, web::Path};

#[derive(rust_embed::Embed)]
#[folder = "web/dist/"]
struct Assets;

/// The Content-Security-Policy of every app file: nothing from elsewhere, no inline script.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// `GET /` (the app is the front door) and `GET /app` (the page needs its trailing slash, for
/// its relative paths and the worker's scope).
#[handler]
pub fn front_door() -> Response {
    front_door_response()
}

/// The redirect [`front_door`] answers.
pub fn front_door_response() -> Response {
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, "/app/")
        .finish()
}

/// `GET /app/` and `GET /app/*path`.
#[handler]
pub fn file(req: &Request, path: Option<Path<String>>) -> Response {
    let path = path.map(|Path(p)| p).unwrap_or_default();
    let (name, found) = match Assets::get(&path) {
        Some(found) if !path.is_empty() => (path.as_str(), found),
        _ if path.is_empty() || !path.rsplit('/').next().unwrap_or("").contains('.') => {
            match Assets::get("index.html") {
                Some(found) => ("index.html", found),
                None => return missing_build(),
            }
        }
        _ => return not_found(),
    };
    let etag = format!("\"{}\"", hex::encode(&found.metadata.sha256_hash()[..16]));
    let immutable = name.starts_with("assets/");
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let builder = Response::builder()
        .header(header::ETAG, etag.as_str())
        .header(header::CACHE_CONTROL, cache)
        .header("content-security-policy", POLICY)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer");
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    if fresh {
        return builder.status(StatusCode::NOT_MODIFIED).finish();
    }
    let mime = found.metadata.mimetype();
    let mut resp = if mime.starts_with("text/") {
        builder.content_type(format!("{mime}; charset=utf-8"))
    } else {
        builder.content_type(mime)
    }
    .body(found.data.into_owned());
    if name == "sw.js" {
        // The worker controls all of /app/ (its default scope is its own folder anyway).
        resp.headers_mut()
            .insert("service-worker-allowed", HeaderValue::from_static("/app/"));
    }
    resp
}

/// A bare 404: the middleware turns it into the usual problem+json with code `not_found`.
fn not_found() -> Response {
    Response::builder().status(StatusCode::NOT_FOUND).finish()
}

fn missing_build() -> Response {
    tracing::error!("the web app is not in this build: run `npm ci && npm run build` in web/");
    not_found()
}
