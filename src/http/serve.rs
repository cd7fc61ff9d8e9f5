//! Serving HTTP: the accept loop and each connection, in place of `poem::Server`.
//!
//! Every phone keeps an event stream open, so what one idle connection holds is most of the
//! server's memory. Measured with heaptrack at 10,000 streams, poem's server (hyper-util's
//! HTTP/1-or-2 connection) held about 20 KiB of read buffer per stream: sniffing for the
//! HTTP/2 preface hands hyper the first 24 bytes alone, which makes it grow the buffer to
//! 16 KiB, and asked to notice a client hanging up mid-response, hyper reads (and grows the
//! buffer) while the stream is open. So this server speaks HTTP/1.1 only (a TLS proxy in
//! front speaks HTTP/2 to phones) and allows half-close: hyper does not read mid-response,
//! a stream whose phone is gone is noticed when a heartbeat cannot be written (the kernel
//! still takes the first one after a hang-up; the next fails, so within two heartbeat
//! intervals: 30 s by default), and a handler whose client hung up still finishes and
//! commits, as a push should.
//!
//! What one client may hold is bounded ([`ConnectionLimits`]): a connection must send its
//! request headers within the header timeout, and one idle between requests is closed after
//! the same time (hyper reads the next request's head while idle, under the same timer), so
//! 2,000 connections that send half a request line and stop are gone in seconds rather than
//! held forever. An event stream is a response being written, not a head being read: its
//! heartbeats keep it, and its phone's hang-up ends it (above). At most `max_connections` are
//! served at once; the next waits to be accepted (in the kernel's backlog), so the process
//! never runs out of file descriptors for its database and its own files.
//!
//! The rest is what poem's server does: the caller's address for the handlers (login
//! throttling uses it), and a graceful shutdown that stops accepting, lets requests in
//! flight finish until the deadline, and then drops what is left (event streams never
//! finish on their own).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, EndpointExt, IntoEndpoint};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

type Body = http_body_util::combinators::BoxBody<bytes::Bytes, std::io::Error>;

use crate::config::ConnectionLimits;

/// Serves `app` on `listener` until `shutdown` completes, then drains for up to `drain`.
pub async fn serve(
    listener: TcpListener,
    app: impl IntoEndpoint<Endpoint: 'static>,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let app = Arc::new(app.into_endpoint().map_to_response().boxed());
    let local = LocalAddr(Addr::SocketAddr(listener.local_addr()?));
    // `stopping`: finish what is in flight; `dropping`: the deadline has passed.
    let (stopping, dropping) = (CancellationToken::new(), CancellationToken::new());
    let connections = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        // A free place first: at the cap, new connections wait in the kernel's backlog.
        let place = tokio::select! {
            () = &mut shutdown => break,
            place = open.clone().acquire_owned() => place.expect("the semaphore is never closed"),
        };
        let (socket, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // the listener itself is fine; back off briefly rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Phones send small requests and wait for the answer: do not delay them.
        let _ = socket.set_nodelay(true);
        let (app, local) = (app.clone(), local.clone());
        let (stopping, dropping) = (stopping.clone(), dropping.clone());
        connections.spawn(async move {
            let _place = place;
            let remote = RemoteAddr(Addr::SocketAddr(peer));
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let (app, local, remote) = (app.clone(), local.clone(), remote.clone());
                async move {
                    let req =
                        poem::Request::from((req, local, remote, poem::http::uri::Scheme::HTTP));
                    let resp = app.get_response(req).await;
                    Ok::<_, Infallible>(hyper::Response::<Body>::from(resp))
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .half_close(true)
                .serve_connection(TokioIo::new(socket), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                () = stopping.cancelled() => {}
            }
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                _ = conn => {}
                () = dropping.cancelled() => {}
            }
        });
    }
    drop(listener);
    stopping.cancel();
    connections.close();
    if tokio::time::timeout(drain, connections.wait())
        .await
        .is_err()
    {
        tracing::info!(
            left = connections.len(),
            "shutdown deadline reached; dropping the connections still open"
        );
        dropping.cancel();
        connections.wait().await;
    }
    Ok(())
}
