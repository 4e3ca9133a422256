// scout12 Go heap profile generator (issue #17 held-out checks): a real allocating program, stdlib only,
// with MemProfileRate = 1, whose shape differs from benches/scripts/pprof/realparse (go/parser ASTs):
//   - json.Unmarshal into interface{} of a generated document nested D deep (encoding/json's recursive
//     decoder: a distinct stack per nesting level, through reflect-free map/slice building);
//   - G goroutines each building a map[string][]string with fmt.Sprintf and strings.Builder, kept;
//   - a tree of N nodes built by mutual recursion through eight builder functions chosen by the child's
//     position (a node's allocation stack spells its path: many distinct stacks, cut at the runtime's 32 frames);
//   - regexp.MustCompile of R patterns and text/template parses, kept.
//
// Writes the heap profile as the legacy text form (debug=1) and gzipped protobuf (debug=0); with
// GOALLOC_HEAPDUMP=PATH, a runtime/debug.WriteHeapDump heap dump to PATH instead.
//
//	goalloc OUT_DIR N G D R
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"text/template"
)

var keep []interface{}

type node struct {
	kids  []*node
	label string
	val   []byte
}

type state struct {
	count, limit int
}

func b0(s *state, d int) *node { return grow(s, d) }
func b1(s *state, d int) *node { return grow(s, d) }
func b2(s *state, d int) *node { return grow(s, d) }
func b3(s *state, d int) *node { return grow(s, d) }
func b4(s *state, d int) *node { return grow(s, d) }
func b5(s *state, d int) *node { return grow(s, d) }
func b6(s *state, d int) *node { return grow(s, d) }
func b7(s *state, d int) *node { return grow(s, d) }

var builders []func(*state, int) *node

func init() { builders = []func(*state, int) *node{b0, b1, b2, b3, b4, b5, b6, b7} }

//go:noinline
func grow(s *state, d int) *node {
	n := &node{label: "n" + strconv.Itoa(s.count), val: make([]byte, 16+s.count%48)}
	s.count++
	if d < 40 {
		fan := []int{1, 1, 1, 2, 2, 3}[(s.count*7+d)%6]
		for k := 0; k < fan && s.count < s.limit; k++ {
			n.kids = append(n.kids, builders[(s.count+k)%8](s, d+1))
		}
	}
	return n
}

func nested(b *strings.Builder, d, i int) {
	if d == 0 {
		fmt.Fprintf(b, `{"v":%d,"s":"leaf-%d","f":[%d.5,true,null]}`, i, i, i)
		return
	}
	if d%2 == 0 {
		b.WriteString(`{"k":"level` + strconv.Itoa(d) + `","c":`)
		nested(b, d-1, i)
		b.WriteString(`,"x":[1,2,3]}`)
	} else {
		b.WriteString(`[`)
		nested(b, d-1, i)
		b.WriteString(`,"s` + strconv.Itoa(i) + `"]`)
	}
}

func main() {
	runtime.MemProfileRate = 1
	out := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	g, _ := strconv.Atoi(os.Args[3])
	depth, _ := strconv.Atoi(os.Args[4])
	r, _ := strconv.Atoi(os.Args[5])

	var doc strings.Builder
	doc.WriteString("[")
	for i := 0; i < 2000; i++ {
		if i > 0 {
			doc.WriteString(",")
		}
		nested(&doc, 1+i%depth, i)
	}
	doc.WriteString("]")
	var v interface{}
	if err := json.Unmarshal([]byte(doc.String()), &v); err != nil {
		panic(err)
	}
	keep = append(keep, v)

	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < g; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			m := map[string][]string{}
			for i := 0; i < 200; i++ {
				var sb strings.Builder
				sb.WriteString("worker-")
				sb.WriteString(strconv.Itoa(w))
				k := fmt.Sprintf("%s/%d", sb.String(), i%37)
				m[k] = append(m[k], strings.Repeat("x", i%20)+k)
			}
			mu.Lock()
			keep = append(keep, m)
			mu.Unlock()
		}(w)
	}
	wg.Wait()

	s := &state{limit: n}
	var roots []*node
	for s.count < n {
		roots = append(roots, builders[len(roots)%8](s, 0))
	}
	keep = append(keep, roots)

	for i := 0; i < r; i++ {
		keep = append(keep, regexp.MustCompile(fmt.Sprintf(`^(a|b%d)+[0-9]{1,%d}x*$`, i, 1+i%9)))
		keep = append(keep, template.Must(template.New("t"+strconv.Itoa(i)).Parse(`{{range .}}<li>{{.Name}} {{len .Items}}</li>{{end}}`+strconv.Itoa(i))))
	}

	runtime.GC()
	if path := os.Getenv("GOALLOC_HEAPDUMP"); path != "" {
		// A heap dump (runtime/debug.WriteHeapDump) instead of the profiles.
		f, err := os.Create(path)
		if err != nil {
			panic(err)
		}
		debug.WriteHeapDump(f.Fd())
		f.Close()
		fmt.Fprintf(os.Stderr, "%s: heap dump %s\n", runtime.Version(), path)
		return
	}
	for _, form := range []struct {
		name  string
		debug int
	}{{"goalloc.txt", 1}, {"goalloc.pb.gz", 0}} {
		w, err := os.Create(filepath.Join(out, form.name))
		if err != nil {
			panic(err)
		}
		if err := pprof.Lookup("heap").WriteTo(w, form.debug); err != nil {
			panic(err)
		}
		w.Close()
	}
	fmt.Fprintf(os.Stderr, "%s: %d nodes, %d goroutines, depth %d, %d regexps\n", runtime.Version(), n, g, depth, r)
}
