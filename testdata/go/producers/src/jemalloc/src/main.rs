//! jemalloc producer: keeps 20,000 `Session` (a `Box` of 64 bytes + a 200-byte `Vec<u8>`) in a global map
//! (`retain`), drops 20,000 short-lived 2 KiB `Vec<u8>` (`churn`), then writes
//!   argv[1]: jemalloc's own heap profile (`prof.dump`, the "heap_v2/<sample>" text that jeprof reads)
//!   argv[2]: the same profile converted by jemalloc_pprof (`dump_pprof`, gzipped profile.proto)
//! jemalloc is configured by `malloc_conf`: profiling on and active, one sample per 4 KiB on average.
use std::collections::BTreeMap;
use std::sync::Mutex;

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[allow(non_upper_case_globals)]
#[export_name = "malloc_conf"]
pub static malloc_conf: &[u8] = b"prof:true,prof_active:true,lg_prof_sample:12\0";

#[allow(dead_code)]
struct Session {
    id: u64,
    name: [u8; 56],
    payload: Vec<u8>,
}

static SESSIONS: Mutex<BTreeMap<u64, Box<Session>>> = Mutex::new(BTreeMap::new());

#[inline(never)]
fn make_session(id: u64) -> Box<Session> {
    Box::new(Session { id, name: [b's'; 56], payload: vec![7u8; 200] })
}

#[inline(never)]
fn retain() {
    let mut m = SESSIONS.lock().unwrap();
    for i in 0..20_000 {
        m.insert(i, make_session(i));
    }
}

#[inline(never)]
fn churn() -> usize {
    let mut n = 0;
    for i in 0..20_000 {
        let v = std::hint::black_box(vec![i as u8; 2048]);
        n += v.len();
    }
    n
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    retain();
    let n = churn();
    let ctl = jemalloc_pprof::PROF_CTL.as_ref().expect("jemalloc profiling not available");
    let mut ctl = ctl.blocking_lock();
    assert!(ctl.activated());
    let mut raw = ctl.dump().expect("prof.dump");
    let mut out = std::fs::File::create(&args[1]).unwrap();
    std::io::copy(&mut raw, &mut out).unwrap();
    let pprof = ctl.dump_pprof().expect("dump_pprof");
    std::fs::write(&args[2], pprof).unwrap();
    println!("{} sessions, churned {}", SESSIONS.lock().unwrap().len(), n);
}
