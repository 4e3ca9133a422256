// v8 integration tests (owned by the v8 format engineer)
