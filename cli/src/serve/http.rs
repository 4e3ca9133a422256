//! The HTTP/1.1 server of `heapscope serve`: hyper's connection code on the tokio runtime the
//! CLI already has for object storage. hyper (with `hyper-util` and `http-body-util`) was
//! already in the dependency tree through `object_store`'s HTTP client, so the server adds no
//! new crate; it is the most used HTTP implementation in Rust, and it lets us bound what a
//! request may send (head size, header count, body size, time to send the head). axum would
//! add a router and tower layers for a dozen fixed paths; tiny_http a second HTTP stack.
//!
//! Every request is answered by [`App::handle`] on a blocking thread (the answers walk the
//! graph), after these checks:
//! - the `Host` header must be the address we listen on (`127.0.0.1:PORT` or
//!   `localhost:PORT`): a web page elsewhere cannot read the dump through DNS rebinding;
//! - the request head is at most [`MAX_HEAD`] bytes and [`MAX_HEADERS`] headers (hyper answers
//!   431 beyond), the body at most [`super::MAX_BODY`] bytes (413), and the head must arrive
//!   within [`HEAD_TIMEOUT`];
//! - replies say `Content-Security-Policy` with no source but the page itself (inline style
//!   and script, `fetch` to this server), so a page could not load anything from elsewhere
//!   even if a dump's text got into it unescaped.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

use super::{App, Reply, MAX_BODY};

/// Most bytes of a request's head (request line and headers).
pub const MAX_HEAD: usize = 16 * 1024;
/// Most headers in a request.
pub const MAX_HEADERS: usize = 64;
/// Time a client has to send a request's head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
img-src data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Serve `app` on `listener` (already bound) until the process ends.
pub fn serve(app: App, listener: std::net::TcpListener) -> std::io::Result<()> {
    let port = listener.local_addr()?.port();
    let hosts = Arc::new([format!("127.0.0.1:{port}"), format!("localhost:{port}")]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()?;
    let app = Arc::new(app);
    let warm = app.clone();
    std::thread::spawn(move || warm.warm());
    rt.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        loop {
            let stream = match listener.accept().await {
                Ok((s, _)) => s,
                Err(e) => {
                    eprintln!("heapscope: warning: accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let (app, hosts) = (app.clone(), hosts.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let (app, hosts) = (app.clone(), hosts.clone());
                    async move { Ok::<_, Infallible>(respond(app, &hosts[..], req).await) }
                });
                // A connection that breaks or sends a bad request just ends.
                let _ = http1::Builder::new()
                    .max_buf_size(MAX_HEAD)
                    .max_headers(MAX_HEADERS)
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEAD_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    })
}

async fn respond(app: Arc<App>, hosts: &[String], req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let api = parts.uri.path().starts_with("/api/");
    let host = parts.headers.get(HOST).and_then(|h| h.to_str().ok());
    if !host.is_some_and(|h| hosts.iter().any(|ok| ok == h)) {
        return reply(Reply::error(
            api,
            403,
            "this server answers only requests to its own address (127.0.0.1)",
        ));
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return reply(Reply::error(
                api,
                413,
                &format!("the request body is over {MAX_BODY} bytes"),
            ))
        }
    };
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let answered =
        tokio::task::spawn_blocking(move || app.handle(&method, &path, &query, &body)).await;
    reply(
        answered.unwrap_or_else(|_| {
            Reply::error(api, 500, "internal error: this is a bug in heapscope")
        }),
    )
}

fn reply(r: Reply) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(r.body)));
    *res.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(r.content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    res
}
