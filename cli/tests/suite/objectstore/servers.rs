//! Real servers on 127.0.0.1 for the object-store tests: moto's standalone S3 server, nginx
//! (Range, If-Match, ETag), and a plain TCP relay that can cut a connection after N bytes.
//! Each is started by the test that needs it and stopped when dropped. Readiness is polled
//! (a TCP connect, bounded), never waited for by a fixed sleep.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::util::root;

/// A tool the tests need, or `None` (a skip) outside CI; under `CI=true` a missing tool fails.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let msg = format!(
            "{name} is missing: run testdata/objectstore/ci-deps.sh (moto[server], boto3, nginx)"
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
    }
    found
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Poll `port` until it accepts a connection (at most 60 s), or fail with the server's log.
fn wait_ready(port: u16, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "server exited ({status}) before listening:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "server on port {port} not ready in 60 s:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server process, killed on drop (and by the kernel if this test process dies).
pub struct Server {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(mut cmd: Command, port: u16, dir: tempfile::TempDir) -> Server {
    let log = dir.path().join("server.log");
    let out = std::fs::File::create(&log).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out);
    // SAFETY: prctl is async-signal-safe; it only asks for SIGKILL when this process dies.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("starting the server");
    wait_ready(port, &mut child, &log);
    Server {
        child,
        port,
        _dir: dir,
    }
}

/// moto's S3 server. With `auth_after = Some(n)`, moto enforces IAM authentication after its
/// first `n` requests (`INITIAL_NO_AUTH_ACTION_COUNT`): the dummy credentials are then refused.
pub fn moto(auth_after: Option<u32>) -> Option<Server> {
    let bin = tool("moto_server")?;
    tool("python3")?;
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    if let Some(n) = auth_after {
        cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", n.to_string());
    }
    Some(spawn(cmd, port, tempfile::tempdir().unwrap()))
}

impl Server {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `testdata/objectstore/s3.py ENDPOINT ARGS…` (boto3), which must succeed.
    pub fn s3(&self, args: &[&str]) -> Vec<u8> {
        s3py(&self.endpoint(), args)
    }
}

pub fn s3py(endpoint: &str, args: &[&str]) -> Vec<u8> {
    let o = Command::new("python3")
        .arg(root().join("testdata/objectstore/s3.py"))
        .arg(endpoint)
        .args(args)
        .output()
        .expect("running s3.py");
    assert!(
        o.status.success(),
        "s3.py {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// nginx serving `root` on 127.0.0.1 (static files: Range, ETag, If-Match).
pub fn nginx(root_dir: &Path) -> Option<Server> {
    let bin = tool("nginx")?;
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let conf = format!(
        "daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{ access_log off; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;\n\
           server {{ listen 127.0.0.1:{port}; root {}; }} }}\n",
        root_dir.display()
    );
    std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(dir.path().join("nginx.conf"));
    Some(spawn(cmd, port, dir))
}

/// What the relay does to the connections it carries.
#[derive(Clone)]
pub struct Cut {
    /// Bytes from the server after which a connection is closed.
    pub after: u64,
    /// Only the first connection that gets that far (else every one).
    pub once: bool,
    /// Run before the first cut closes the connection (e.g. replace the object).
    pub before_cut: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// A TCP relay from 127.0.0.1:`port` to `upstream` that cuts connections as `cut` says. Its
/// threads end with their connections; the accepting one ends with the test process.
pub struct Relay {
    pub port: u16,
    pub cuts: Arc<AtomicUsize>,
}

pub fn relay(upstream: u16, cut: Cut) -> Relay {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cuts = Arc::new(AtomicUsize::new(0));
    let fired = Arc::new(AtomicBool::new(false));
    let c2 = cuts.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { break };
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                continue;
            };
            // client → server, as is
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c_in, &mut s_out);
                let _ = s_out.shutdown(Shutdown::Write);
            });
            // server → client, counted and cut
            let (mut s_in, mut c_out) = (server, client);
            let (cut, fired, cuts) = (cut.clone(), fired.clone(), c2.clone());
            std::thread::spawn(move || {
                let mut sent = 0u64;
                let mut buf = [0u8; 8192];
                loop {
                    let n = match s_in.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if sent + n as u64 > cut.after {
                        let fire = !cut.once || !fired.swap(true, Ordering::SeqCst);
                        if fire {
                            let keep = (cut.after - sent) as usize;
                            let _ = c_out.write_all(&buf[..keep]);
                            if let Some(f) = &cut.before_cut {
                                f();
                            }
                            cuts.fetch_add(1, Ordering::SeqCst);
                            let _ = c_out.shutdown(Shutdown::Both);
                            let _ = s_in.shutdown(Shutdown::Both);
                            return;
                        }
                    }
                    if c_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    sent += n as u64;
                }
                let _ = c_out.shutdown(Shutdown::Both);
            });
        }
    });
    Relay { port, cuts }
}
