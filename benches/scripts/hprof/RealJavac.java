// A real program holding a big heap (issue 17 breadth, not our own heap generator): javac
// (jdk.compiler, unmodified) parses and attributes a generated source tree in this JVM and keeps
// its state (trees, symbols, types, the attribution caches); then the JVM dumps its heap the way
// `jcmd PID GC.heap_dump FILE` does (HotSpotDiagnosticMXBean.dumpHeap, live objects: full GC first).
//   java -Xmx8g RealJavac.java SRC_DIR OUT.hprof CLASSES
// (OUT.hprof "-": print "ready PID" and wait for a line on stdin instead, for a dump taken by
// jcmd from outside: make-real-javac-jcmd.sh.)
// The CLASSES .java files (written to SRC_DIR, deterministic) are services in 40 packages: records,
// a sealed interface with records implementing it, generic classes with bounded type parameters,
// streams with lambdas and method references, instanceof patterns, anonymous and inner classes, each
// using the classes before it, so that attribution does inference across files.
import com.sun.source.util.JavacTask;
import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

public class RealJavac {
  static Object keep; // the compiler's state, reachable while the heap is dumped

  static String pkg(int i) {
    return "app.p" + (i % 40);
  }

  static String source(int i) {
    StringBuilder s = new StringBuilder();
    s.append("package ").append(pkg(i)).append(";\n\n");
    s.append("import java.util.*;\nimport java.util.function.*;\nimport java.util.stream.*;\n\n");
    String c = "Svc" + i;
    s.append("public final class ").append(c).append(" {\n");
    s.append("  public sealed interface Msg permits Created, Updated, Deleted {}\n");
    s.append("  public record Created(long id, String name, List<String> tags) implements Msg {}\n");
    s.append("  public record Updated(long id, Map<String, Integer> fields) implements Msg {}\n");
    s.append("  public record Deleted(long id, Optional<String> reason) implements Msg {}\n");
    s.append("  public static final class Store<K extends Comparable<K>, V> {\n");
    s.append("    private final NavigableMap<K, List<V>> data = new TreeMap<>();\n");
    s.append("    public Store<K, V> put(K k, V v) { data.computeIfAbsent(k, x -> new ArrayList<>()).add(v); return this; }\n");
    s.append("    public <R> Map<K, R> fold(Function<? super List<V>, ? extends R> f) {\n");
    s.append("      return data.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> f.apply(e.getValue()), (a, b) -> a, TreeMap::new));\n");
    s.append("    }\n  }\n");
    s.append("  private final Store<Long, Msg> store = new Store<>();\n");
    s.append("  public String describe(Msg m) {\n");
    s.append("    if (m instanceof Created cr) return cr.name() + cr.tags().stream().map(String::toUpperCase).collect(Collectors.joining(\",\"));\n");
    s.append("    if (m instanceof Updated up) return up.fields().entrySet().stream().sorted(Map.Entry.comparingByValue()).map(e -> e.getKey() + \"=\" + e.getValue()).collect(Collectors.joining(\";\"));\n");
    s.append("    Deleted de = (Deleted) m;\n");
    s.append("    return de.reason().orElseGet(() -> \"deleted \" + de.id());\n");
    s.append("  }\n");
    s.append("  public Map<Long, Integer> sizes() { return store.fold(List::size); }\n");
    s.append("  public Map<Long, String> names() { return store.fold(l -> l.stream().map(this::describe).reduce(\"\", String::concat)); }\n");
    s.append("  public Runnable task(int n) {\n");
    s.append("    return new Runnable() { int left = n; public void run() { while (left-- > 0) store.put((long) left, new Created(left, \"t\" + left, List.of(\"a\", \"b\"))); } };\n");
    s.append("  }\n");
    for (int d : new int[] {1, 2, 5, 17}) {
      if (i - d < 0) continue;
      String o = pkg(i - d) + ".Svc" + (i - d);
      s.append("  public ").append(o).append(" dep").append(d).append(" = new ").append(o).append("();\n");
      s.append("  public Map<Long, String> merged").append(d).append("() {\n");
      s.append("    Map<Long, String> m = new TreeMap<>(dep").append(d).append(".names());\n");
      s.append("    dep").append(d).append(".sizes().forEach((k, v) -> m.merge(k, String.valueOf(v), (a, b) -> a + b));\n");
      s.append("    return m.entrySet().stream().filter(e -> e.getValue().length() > ").append(d)
          .append(").collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));\n");
      s.append("  }\n");
      s.append("  public String relay").append(d).append("(").append(o).append(".Msg m) { return dep").append(d)
          .append(".describe(m) + describe(new Deleted(").append(i).append(", Optional.empty())); }\n");
    }
    for (int k = 0; k < 6; k++) {
      s.append("  public <T extends Comparable<? super T>> List<T> top").append(k)
          .append("(Collection<? extends T> xs, int n) { return xs.stream().sorted(Comparator.<T>reverseOrder()).limit(n + ")
          .append(k).append(").collect(Collectors.toList()); }\n");
      s.append("  public Optional<Msg> pick").append(k).append("(List<Msg> ms) { return ms.stream().filter(m -> m instanceof Created c && c.tags().size() > ")
          .append(k).append(").findFirst(); }\n");
    }
    s.append("}\n");
    return s.toString();
  }

  public static void main(String[] args) throws IOException {
    Path src = Path.of(args[0]);
    String out = args[1];
    int classes = Integer.parseInt(args[2]);
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < classes; i++) {
      Path dir = src.resolve(pkg(i).replace('.', '/'));
      Files.createDirectories(dir);
      Path f = dir.resolve("Svc" + i + ".java");
      Files.writeString(f, source(i));
      files.add(f);
    }
    long t0 = System.nanoTime();
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null);
    Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromPaths(files);
    List<String> opts = List.of("-proc:none", "-Xlint:none", "-d", src.resolve("out").toString());
    JavacTask task = (JavacTask) javac.getTask(null, fm, null, opts, null, units);
    var trees = task.parse();
    var elements = task.analyze();
    int n = 0;
    for (var e : elements) n++;
    System.err.printf("javac %s: %d classes parsed and attributed in %d ms, %d types%n",
        System.getProperty("java.version"), classes, (System.nanoTime() - t0) / 1_000_000, n);
    keep = new Object[] {task, trees, elements, fm};
    if (out.equals("-")) {
      // make-real-javac-jcmd.sh: the dump is taken from outside (jcmd PID GC.heap_dump ...);
      // wait until a line (or end of input) arrives on stdin.
      System.out.println("ready " + ProcessHandle.current().pid());
      System.out.flush();
      System.in.read();
      return;
    }
    HotSpotDiagnosticMXBean mx = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    mx.dumpHeap(out, true);
    System.err.println("dumped " + out + " (" + Files.size(Path.of(out)) + " bytes)");
  }
}
