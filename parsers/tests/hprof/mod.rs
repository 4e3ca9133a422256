// hprof integration tests (owned by the hprof format engineer)
