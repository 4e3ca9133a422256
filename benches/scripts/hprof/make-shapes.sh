#!/usr/bin/env bash
# Makes a second real multi-GB HPROF, of another shape and JDK than make-big.sh's, for the bench:
#   benches/scripts/hprof/make-shapes.sh [CHAIN] [TREE] [SMALL] [SHARED]
# ShapesHeap.java (JDK 25) holds a LinkedList of CHAIN boxed Longs (a chain as deep as the list),
# a binary tree of TREE nodes with parent pointers, SMALL reference-free tiny records and SHARED
# records each held from two of 64 hub arrays; make-big.sh takes its class histogram and dump.
# Defaults (12 M, 12 M, 12 M, 6 M) give a 2.34 GB dump with 54.0 M objects (43 B each in the
# file; BigHeap's are 49 B). Output: testdata/big/shapes-<args>.hprof (+ .histo.txt); git-ignored.
exec env HEAP=ShapesHeap "$(dirname "${BASH_SOURCE[0]}")/make-big.sh" "$@"
