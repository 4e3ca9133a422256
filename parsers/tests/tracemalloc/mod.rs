// tracemalloc integration tests (owned by the tracemalloc format engineer)
