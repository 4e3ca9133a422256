import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.graalvm.visualvm.lib.jfluid.heap.FieldValue;
import org.graalvm.visualvm.lib.jfluid.heap.GCRoot;
import org.graalvm.visualvm.lib.jfluid.heap.Heap;
import org.graalvm.visualvm.lib.jfluid.heap.HeapFactory;
import org.graalvm.visualvm.lib.jfluid.heap.Instance;
import org.graalvm.visualvm.lib.jfluid.heap.JavaClass;
import org.graalvm.visualvm.lib.jfluid.heap.ObjectArrayInstance;
import org.graalvm.visualvm.lib.jfluid.heap.ObjectFieldValue;

/**
 * Writes what VisualVM's heap library (HeapFactory) computes for one uncompressed HPROF file, as JSON:
 * per-class instance counts and size sums, the total, the 20 largest objects by retained size with their
 * retained set broken down by class, and the nearest-GC-root path of each. See ../README.md and gen-reference.sh.
 *
 * Usage: java -cp heap.jar:. VisualVmReference DUMP.hprof FIXTURE_NAME OUT.json
 */
public final class VisualVmReference {
    private static final int TOP = 20;

    public static void main(String[] args) throws Exception {
        File dump = new File(args[0]);
        String fixture = args[1];
        Heap heap = HeapFactory.createHeap(dump);

        TreeMap<String, long[]> perClass = new TreeMap<>();
        long totalCount = 0;
        long totalBytes = 0;
        for (JavaClass c : heap.getAllClasses()) {
            int n = c.getInstancesCount();
            if (n == 0) {
                continue;
            }
            long[] acc = perClass.computeIfAbsent(c.getName(), k -> new long[3]);
            acc[0] += n;
            acc[1] += c.getAllInstancesSize();
            acc[2] += 1;
            totalCount += n;
            totalBytes += c.getAllInstancesSize();
        }

        List<Instance> top = heap.getBiggestObjectsByRetainedSize(TOP);
        Map<Long, Map<String, long[]>> retainedByClass = retainedSets(heap, top);

        StringBuilder out = new StringBuilder();
        out.append("{\n");
        out.append("  \"fixture\": ").append(str(fixture)).append(",\n");
        out.append("  \"tool\": ").append(str("VisualVM heap library " + jarVersion())).append(",\n");
        out.append("  \"retained_convention\": ").append(str(
                "VisualVM: java.lang.ref.Reference.referent is not followed when computing dominators/retained sizes "
                + "(MAT and heapscope follow it); nearest GC root = breadth-first from the roots, skipping referents"))
                .append(",\n");
        out.append("  \"size_convention\": ").append(str(
                "VisualVM sizes: instance = CLASS DUMP instance size (+ header guess), arrays = header+4+n*elem "
                + "aligned to 8; these are not the JVM's sizes, compare bytes with the jcmd histogram instead"))
                .append(",\n");
        out.append("  \"total\": {\"instances\": ").append(totalCount).append(", \"bytes\": ").append(totalBytes)
                .append("},\n");
        out.append("  \"gc_roots\": ").append(heap.getGCRoots().size()).append(",\n");
        out.append("  \"class_dumps\": ").append(heap.getAllClasses().size()).append(",\n");
        out.append("  \"threads\": [");
        boolean firstThread = true;
        for (GCRoot r : heap.getGCRoots()) {
            if (GCRoot.THREAD_OBJECT.equals(r.getKind())) {
                out.append(firstThread ? "\n    " : ",\n    ").append("{\"id\": ").append(str(hex(r.getInstance().getInstanceId())))
                        .append(", \"name\": ").append(str(stringValue(r.getInstance().getValueOfField("name")))).append("}");
                firstThread = false;
            }
        }
        out.append("\n  ],\n");
        out.append("  \"classes\": [\n");
        Iterator<Map.Entry<String, long[]>> it = perClass.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, long[]> e = it.next();
            out.append("    {\"name\": ").append(str(e.getKey()))
                    .append(", \"count\": ").append(e.getValue()[0])
                    .append(", \"bytes\": ").append(e.getValue()[1])
                    .append(", \"class_objects\": ").append(e.getValue()[2]).append("}")
                    .append(it.hasNext() ? ",\n" : "\n");
        }
        out.append("  ],\n");
        out.append("  \"largest_by_retained\": [\n");
        for (int i = 0; i < top.size(); i++) {
            Instance inst = top.get(i);
            out.append("    {\"id\": ").append(str(hex(inst.getInstanceId())))
                    .append(", \"class\": ").append(str(inst.getJavaClass().getName()));
            JavaClass topClass = heap.getJavaClassByID(inst.getInstanceId());
            if (topClass != null) {
                out.append(", \"class_object_of\": ").append(str(topClass.getName()));
            }
            out.append(", \"shallow\": ").append(inst.getSize())
                    .append(", \"retained\": ").append(inst.getRetainedSize())
                    .append(",\n      \"retained_by_class\": {");
            Map<String, long[]> rs = retainedByClass.get(inst.getInstanceId());
            boolean first = true;
            long count = 0;
            for (Map.Entry<String, long[]> e : rs.entrySet()) {
                out.append(first ? "" : ", ").append(str(e.getKey())).append(": ").append(e.getValue()[0]);
                first = false;
                count += e.getValue()[0];
            }
            out.append("},\n      \"retained_count\": ").append(count);
            out.append(",\n      \"path\": ").append(path(heap, inst)).append("}");
            out.append(i + 1 < top.size() ? ",\n" : "\n");
        }
        out.append("  ]\n}\n");
        try (PrintWriter w = new PrintWriter(args[2], StandardCharsets.UTF_8)) {
            w.print(out);
        }
    }

    /**
     * For every instance, walks VisualVM's dominator chain (DominatorTree.getIdomId, reached by reflection because
     * the library keeps it package-private) and credits each of the TOP objects on the chain, so the JSON says
     * which objects (by class) VisualVM counts in each retained size.
     */
    private static Map<Long, Map<String, long[]>> retainedSets(Heap heap, List<Instance> top) throws Exception {
        Map<Long, Map<String, long[]>> res = new HashMap<>();
        for (Instance t : top) {
            res.put(t.getInstanceId(), new TreeMap<>());
        }
        Field domField = heap.getClass().getDeclaredField("domTree");
        domField.setAccessible(true);
        Object dom = domField.get(heap);
        Method idom = dom.getClass().getDeclaredMethod("getIdomId", long.class);
        idom.setAccessible(true);
        Iterator<Instance> all = heap.getAllInstancesIterator();
        while (all.hasNext()) {
            Instance i = all.next();
            String cls = i.getJavaClass().getName();
            long id = i.getInstanceId();
            int guard = 0;
            while (id != 0 && guard++ < 10_000_000) {
                Map<String, long[]> m = res.get(id);
                if (m != null) {
                    m.computeIfAbsent(cls, k -> new long[1])[0]++;
                }
                long up = (Long) idom.invoke(dom, id);
                if (up == id) {
                    break;
                }
                id = up;
            }
        }
        return res;
    }

    /** Root first: [{"id","class","root_kinds"}, {"field" or "index", "id", "class"}, ...]. */
    private static String path(Heap heap, Instance target) {
        List<Instance> chain = new ArrayList<>();
        Instance cur = target;
        while (cur != null && chain.size() < 100_000) {
            chain.add(cur);
            if (cur.isGCRoot()) {
                break;
            }
            cur = cur.getNearestGCRootPointer();
        }
        StringBuilder sb = new StringBuilder("[");
        for (int k = chain.size() - 1; k >= 0; k--) {
            Instance node = chain.get(k);
            sb.append(k == chain.size() - 1 ? "\n        " : ",\n        ").append("{");
            if (k == chain.size() - 1) {
                TreeSet<String> kinds = new TreeSet<>();
                Collection<GCRoot> roots = heap.getGCRoots(node);
                if (roots != null) {
                    for (GCRoot r : roots) {
                        kinds.add(r.getKind());
                    }
                }
                sb.append("\"root_kinds\": [");
                boolean first = true;
                for (String s : kinds) {
                    sb.append(first ? "" : ", ").append(str(s));
                    first = false;
                }
                sb.append("], ");
            } else {
                sb.append("\"via\": ").append(str(via(heap, chain.get(k + 1), node))).append(", ");
            }
            sb.append("\"id\": ").append(str(hex(node.getInstanceId())))
                    .append(", \"class\": ").append(str(node.getJavaClass().getName()));
            JavaClass asClass = heap.getJavaClassByID(node.getInstanceId());
            if (asClass != null) {
                sb.append(", \"class_object_of\": ").append(str(asClass.getName()));
            }
            sb.append("}");
        }
        return sb.append("]").toString();
    }

    /** How parent refers to child: a field name, "[i]" for an array slot, "static NAME" for a class's static. */
    private static String via(Heap heap, Instance parent, Instance child) {
        long want = child.getInstanceId();
        if (parent instanceof ObjectArrayInstance) {
            List<Instance> vals = ((ObjectArrayInstance) parent).getValues();
            for (int i = 0; i < vals.size(); i++) {
                if (vals.get(i) != null && vals.get(i).getInstanceId() == want) {
                    return "[" + i + "]";
                }
            }
        }
        for (FieldValue fv : parent.getFieldValues()) {
            if (fv instanceof ObjectFieldValue) {
                Instance v = ((ObjectFieldValue) fv).getInstance();
                if (v != null && v.getInstanceId() == want) {
                    return fv.getField().getName();
                }
            }
        }
        JavaClass asClass = heap.getJavaClassByID(parent.getInstanceId());
        List<FieldValue> statics = asClass != null ? asClass.getStaticFieldValues() : parent.getStaticFieldValues();
        for (FieldValue fv : statics) {
            if (fv instanceof ObjectFieldValue) {
                Instance v = ((ObjectFieldValue) fv).getInstance();
                if (v != null && v.getInstanceId() == want) {
                    return "static " + fv.getField().getName();
                }
            }
        }
        return "?";
    }

    /** A java.lang.String's text from its `value` array (Latin-1 or UTF-16 by `coder`). */
    private static String stringValue(Object s) {
        if (!(s instanceof Instance)) {
            return null;
        }
        Object value = ((Instance) s).getValueOfField("value");
        Object coder = ((Instance) s).getValueOfField("coder");
        if (!(value instanceof org.graalvm.visualvm.lib.jfluid.heap.PrimitiveArrayInstance)) {
            return null;
        }
        List<String> items = ((org.graalvm.visualvm.lib.jfluid.heap.PrimitiveArrayInstance) value).getValues();
        StringBuilder b = new StringBuilder();
        boolean utf16 = coder != null && !"0".equals(String.valueOf(coder));
        if (utf16) {
            for (int i = 0; i + 1 < items.size(); i += 2) {
                int lo = Byte.parseByte(items.get(i)) & 0xff;
                int hi = Byte.parseByte(items.get(i + 1)) & 0xff;
                b.append((char) (lo | (hi << 8)));
            }
        } else {
            for (String it : items) {
                b.append((char) (Byte.parseByte(it) & 0xff));
            }
        }
        return b.toString();
    }

    private static String jarVersion() {
        Package p = Heap.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "(Debian visualvm package)" : v;
    }

    private static String hex(long id) {
        return "0x" + Long.toHexString(id);
    }

    private static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
