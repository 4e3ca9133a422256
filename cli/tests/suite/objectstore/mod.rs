//! Dumps in artifact storage, against real servers on 127.0.0.1 (moto's S3 server, nginx, a
//! TCP relay that drops connections). Reports from URLs are byte-identical to the local runs
//! modulo exactly the input's name: a report of a URL names its input by the URL where a local
//! run names the path (`input.path`, diff/trend `inputs[].path`, and the `PATH: ` that begins a
//! warning about one dump) — see [`as_if_from`]. Faults are errors naming the URL with exit 2,
//! and `--out-dir` never holds a half-written file.

mod batch;
mod faults;
mod identical;
pub mod servers;

use std::path::Path;
use std::process::{Command, Output};

use super::util::root;
use servers::Server;

pub const BUCKET: &str = "heapscope-test";

/// `heapscope ARGS` with the environment of an S3 client pointed at `s3` (dummy credentials).
pub fn run_s3(s3: &Server, args: &[&str], env: &[(&str, &str)]) -> Output {
    run_at(&s3.endpoint(), args, env)
}

pub fn run_at(endpoint: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    command_at(endpoint, args, env)
        .output()
        .expect("running heapscope")
}

/// [`run_at`]'s command, to spawn.
pub fn command_at(endpoint: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_heapscope"));
    c.current_dir(root())
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("JOB_COMPLETION_INDEX")
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

/// A moto server with the bucket made and `files` (key, path under the repo) uploaded.
pub fn s3_with(files: &[(&str, &str)]) -> Option<Server> {
    let s3 = servers::moto(None)?;
    s3.s3(&["mb", BUCKET]);
    upload(&s3, files);
    Some(s3)
}

pub fn upload(s3: &Server, files: &[(&str, &str)]) {
    let mut args = vec!["put".to_string(), BUCKET.to_string()];
    for (k, p) in files {
        args.push(k.to_string());
        let p = Path::new(p);
        args.push(
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                root().join(p)
            }
            .display()
            .to_string(),
        );
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    s3.s3(&refs);
}

pub fn url(key: &str) -> String {
    format!("s3://{BUCKET}/{key}")
}

/// A JSON string literal, as the reports write one.
pub fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// `text` with each local `from` path replaced by its URL where a report names its input —
/// a JSON string that is the path (`input.path`, `inputs[].path`) or a warning that starts
/// with it (`"PATH: …"`): what a report of the same dumps read from URLs must be, byte for
/// byte.
pub fn as_if_from(text: &str, pairs: &[(&str, &str)]) -> String {
    pairs.iter().fold(text.to_string(), |t, (from, to)| {
        t.replace(&json_str(from), &json_str(to))
            .replace(&format!("\"{from}: "), &format!("\"{to}: "))
    })
}

/// `got == want`, or a failure showing the first line that differs (reports are long).
pub fn assert_same(got: &str, want: &str, what: &str) {
    if got == want {
        return;
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    let i = g
        .iter()
        .zip(&w)
        .position(|(a, b)| a != b)
        .unwrap_or(g.len().min(w.len()));
    panic!(
        "{what}: differs at line {} ({} vs {} lines):\n got: {:?}\nwant: {:?}",
        i + 1,
        g.len(),
        w.len(),
        g.get(i),
        w.get(i)
    );
}

/// The names in a local directory, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
