// gperftools producer for testdata/go/producers/ (see ../../README.md). Linked with -ltcmalloc.
// Keeps 20,000 Session (64 B each, via `new`) in a global std::map and 1,000 1 KiB malloc'd buffers in a
// global vector; frees 5,000 transient 2 KiB strings on the way. Then writes:
// (pass "-" to skip one; generate.sh runs one mode per process)
//   argv[1]: HeapProfilerDump() output (HEAPPROFILE-style legacy text, "@ heapprofile"), via the heap-profiler API
//   argv[2]: MallocExtension::GetHeapSample() (sampled live heap, "heap_v2/<rate>" text, what /pprof/heap serves)
#include <gperftools/heap-profiler.h>
#include <gperftools/malloc_extension.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

struct Session {
  long id;
  char name[56];
};

static std::map<long, Session*> g_sessions;
static std::vector<void*> g_buffers;
static void* volatile g_warm;

__attribute__((noinline)) Session* make_session(long id) {
  Session* s = new Session();
  s->id = id;
  snprintf(s->name, sizeof s->name, "session-%ld", id);
  return s;
}

__attribute__((noinline)) void login_all() {
  for (long i = 0; i < 20000; i++) g_sessions[i] = make_session(i);
}

__attribute__((noinline)) void* make_buffer() {
  void* p = malloc(1024);
  memset(p, 7, 1024);
  return p;
}

__attribute__((noinline)) void fill_buffers() {
  for (int i = 0; i < 1000; i++) g_buffers.push_back(make_buffer());
}

__attribute__((noinline)) size_t churn() {
  size_t n = 0;
  for (int i = 0; i < 5000; i++) {
    std::string* s = new std::string(2048, 'x');
    n += s->size();
    delete s;
  }
  return n;
}

static void write_file(const char* path, const char* data, size_t len) {
  FILE* f = fopen(path, "w");
  if (!f) { perror(path); exit(1); }
  fwrite(data, 1, len, f);
  fclose(f);
}

int main(int argc, char** argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s HEAPPROFILE_OUT HEAP_SAMPLE_OUT\n", argv[0]); return 2; }
  // One mode per run: "-" for the output not wanted (the heap profiler and sampling are separate machinery).
  bool profile = strcmp(argv[1], "-") != 0;
  bool sample = strcmp(argv[2], "-") != 0;
  if (profile) HeapProfilerStart("/tmp/heapscope-gperftools-unused");
  // Sample mode only: Debian's tcmalloc 2.10 takes no sample in roughly the first 16 MB a thread allocates
  // (measured: 2 MB of 1000-byte mallocs give 0 samples, 20 MB give 44 at TCMALLOC_SAMPLE_PARAMETER=65536),
  // so warm the sampler up with 32 MB of short-lived 1 KiB blocks first.
  if (sample) {
    for (int i = 0; i < 32768; i++) {
      g_warm = malloc(1024);
      free(g_warm);
    }
  }
  login_all();
  fill_buffers();
  size_t n = churn();
  if (profile) {
    char* prof = GetHeapProfile();  // the same text HeapProfilerDump writes to <prefix>.NNNN.heap
    write_file(argv[1], prof, strlen(prof));
    free(prof);
    HeapProfilerStop();
  }
  if (sample) {
    std::string sample;
    MallocExtension::instance()->GetHeapSample(&sample);
    write_file(argv[2], sample.data(), sample.size());
  }
  printf("%zu sessions, %zu buffers, churned %zu\n", g_sessions.size(), g_buffers.size(), n);
  return 0;
}
