//! The store behind a URL, configured as the clouds' own CLIs are, from the environment:
//!
//! - `s3://`, `s3a://`: every `AWS_*` variable `object_store` knows (`AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`/`AWS_DEFAULT_REGION`,
//!   `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_S3`, `AWS_ALLOW_HTTP`,
//!   `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`, web identity (`AWS_WEB_IDENTITY_TOKEN_FILE`,
//!   `AWS_ROLE_ARN`: EKS IRSA), ECS container credentials, then the EC2 instance metadata).
//!   Profiles in `~/.aws/config` are not read (object_store does not).
//! - `gs://`: `GOOGLE_APPLICATION_CREDENTIALS` (service account or authorized-user JSON),
//!   `GOOGLE_SERVICE_ACCOUNT`, else the gcloud application-default file, else the metadata
//!   server (GKE workload identity).
//! - `az://`, `abfs[s]://`, `azure://`, `adl://`: `AZURE_STORAGE_ACCOUNT_NAME`,
//!   `AZURE_STORAGE_ACCOUNT_KEY` / `AZURE_STORAGE_SAS_KEY` / `AZURE_CLIENT_ID`+secret or
//!   federated token (AKS workload identity), `AZURE_STORAGE_USE_EMULATOR`, managed identity.
//! - `http://`, `https://`: plain GETs with `Range` (no credentials); listing is not possible,
//!   so prefixes and globs are refused there.
//!
//! Requests are retried by `object_store` on connection errors and 5xx/429 with exponential
//! back-off, bounded by [`retry`] so a wrong endpoint fails in seconds, not minutes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{BackoffConfig, ObjectStore, RetryConfig};

use super::{bad, glob_start, runtime, Url};
use crate::CliError;

/// Retries of one request: 4 more tries, 100 ms doubling to at most 2 s, 30 s in all (a
/// dropped connection comes back in that time; a wrong endpoint is an error within seconds).
pub fn retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 4,
        retry_timeout: Duration::from_secs(30),
    }
}

/// The store for `u`'s bucket, container or host (built once per process and reused).
pub fn store(u: &Url) -> Result<Arc<dyn ObjectStore>, CliError> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<dyn ObjectStore>>>> = OnceLock::new();
    let base = format!("{}://{}", u.scheme, u.authority);
    let mut cache = STORES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(s) = cache.get(&base) {
        return Ok(s.clone());
    }
    let built: Result<Arc<dyn ObjectStore>, object_store::Error> = match u.scheme.as_str() {
        "s3" | "s3a" => object_store::aws::AmazonS3Builder::from_env()
            .with_url(&base)
            .with_retry(retry())
            .build()
            .map(|s| Arc::new(s) as _),
        "gs" => object_store::gcp::GoogleCloudStorageBuilder::from_env()
            .with_url(&base)
            .with_retry(retry())
            .build()
            .map(|s| Arc::new(s) as _),
        "http" | "https" => object_store::http::HttpBuilder::new()
            .with_url(&base)
            .with_retry(retry())
            .with_client_options(
                object_store::ClientOptions::new().with_allow_http(u.scheme == "http"),
            )
            .build()
            .map(|s| Arc::new(s) as _),
        _ => object_store::azure::MicrosoftAzureBuilder::from_env()
            .with_url(&base)
            .with_retry(retry())
            .build()
            .map(|s| Arc::new(s) as _),
    };
    let s = built.map_err(|e| bad(u, format!("cannot configure the store: {}", chain(&e))))?;
    cache.insert(base, s.clone());
    Ok(s)
}

/// The object's path in its store.
pub fn key(u: &Url) -> Result<StorePath, CliError> {
    if u.scheme.starts_with("http") {
        StorePath::from_url_path(&u.key)
    } else {
        StorePath::parse(&u.key)
    }
    .map_err(|e| bad(u, format!("not a valid object key: {e}")))
}

/// What went wrong with a request, said for people (the URL is added by the caller).
pub fn describe(e: &object_store::Error) -> String {
    use object_store::Error as E;
    match e {
        E::NotFound { .. } => "no such object (not found)".into(),
        E::PermissionDenied { .. } => format!("access denied: {}", chain(e)),
        E::Unauthenticated { .. } => format!("access denied (credentials refused): {}", chain(e)),
        E::Precondition { .. } => {
            "the object changed while it was downloaded (its ETag no longer matches)".into()
        }
        _ => chain(e),
    }
}

/// An error and its sources, one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// The objects a prefix or glob URL names, sorted by key (bytes, lexicographic). `*` and `?`
/// stay within one `/`-separated segment, `**` crosses them; a prefix lists every object
/// below it.
pub fn list(u: &Url) -> Result<Vec<Url>, CliError> {
    if u.scheme.starts_with("http") {
        return Err(bad(
            u,
            "an HTTP server cannot be listed: name each dump (prefixes and globs need s3://, gs:// or az://)"
                .into(),
        ));
    }
    let (prefix, pattern) = match glob_start(&u.key) {
        None => (u.key.as_str(), None),
        Some(at) => {
            let cut = u.key[..at].rfind('/').map_or(0, |i| i + 1);
            let p =
                glob::Pattern::new(&u.key).map_err(|e| bad(u, format!("not a valid glob: {e}")))?;
            (&u.key[..cut], Some(p))
        }
    };
    let store = store(u)?;
    let prefix_path = if prefix.is_empty() {
        None
    } else {
        Some(
            StorePath::parse(prefix.trim_end_matches('/'))
                .map_err(|e| bad(u, format!("not a valid prefix: {e}")))?,
        )
    };
    let metas: Vec<object_store::ObjectMeta> = runtime()
        .block_on(store.list(prefix_path.as_ref()).try_collect())
        .map_err(|e| bad(u, format!("listing failed: {}", describe(&e))))?;
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let mut keys: Vec<String> = metas
        .into_iter()
        .map(|m| m.location.to_string())
        .filter(|k| match &pattern {
            Some(p) => p.matches_with(k, opts),
            None => k.starts_with(prefix),
        })
        .collect();
    keys.sort();
    Ok(keys.iter().map(|k| u.with_key(k)).collect())
}
