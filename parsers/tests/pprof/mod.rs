// pprof integration tests (owned by the pprof format engineer)
