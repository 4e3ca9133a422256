import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;

/**
 * A second big-heap shape for the HPROF bench (see make-shapes.sh), unlike BigHeap's
 * customers-and-orders: tiny objects and long chains, which make the dump's bytes per object
 * small (so memory per object weighs more against the file size) and the dominator tree deep.
 * <ul>
 *   <li>a LinkedList of CHAIN boxed Longs: one chain as deep as the list is long;</li>
 *   <li>a binary tree of TREE nodes whose children point back to their parent (cycles everywhere,
 *       so each node has two referrers and the dominator pass must find the tree under them);</li>
 *   <li>an Object[] of SMALL tiny records with no references at all (leaves);</li>
 *   <li>SHARED records, each referenced from two of 64 hub arrays (shared ownership: no hub
 *       dominates them, the root set does).</li>
 * </ul>
 * Usage: java -Xmx8g ShapesHeap CHAIN TREE SMALL SHARED; prints "READY", waits for a line on stdin.
 */
public final class ShapesHeap {
    static final List<Object> HOLD = new ArrayList<>();

    static final class TreeNode {
        TreeNode left, right, parent;
        final int key;
        TreeNode(int key, TreeNode parent) { this.key = key; this.parent = parent; }
    }

    static final class Tiny {
        final int a;
        Tiny(int a) { this.a = a; }
    }

    static TreeNode buildTree(int n) {
        // Breadth-first so the tree is balanced, without recursion.
        TreeNode[] level = { new TreeNode(0, null) };
        TreeNode root = level[0];
        int made = 1;
        while (made < n) {
            TreeNode[] next = new TreeNode[level.length * 2];
            int k = 0;
            for (TreeNode p : level) {
                if (made < n) { p.left = new TreeNode(made++, p); next[k++] = p.left; }
                if (made < n) { p.right = new TreeNode(made++, p); next[k++] = p.right; }
            }
            level = java.util.Arrays.copyOf(next, k);
        }
        return root;
    }

    public static void main(String[] args) throws Exception {
        int chain = Integer.parseInt(args[0]);
        int tree = Integer.parseInt(args[1]);
        int small = Integer.parseInt(args[2]);
        int shared = Integer.parseInt(args[3]);
        LinkedList<Long> list = new LinkedList<>();
        for (long i = 0; i < chain; i++) list.add(i * 31);
        HOLD.add(list);
        HOLD.add(buildTree(tree));
        Object[] tinies = new Object[small];
        for (int i = 0; i < small; i++) tinies[i] = new Tiny(i);
        HOLD.add(tinies);
        Object[][] hubs = new Object[64][];
        for (int h = 0; h < hubs.length; h++) hubs[h] = new Object[(shared / hubs.length + 1) * 2];
        int[] fill = new int[hubs.length];
        for (int i = 0; i < shared; i++) {
            Tiny t = new Tiny(i);
            int a = i % 64, b = (i * 7 + 3) % 64;
            hubs[a][fill[a]++] = t;
            hubs[b][fill[b]++] = t;
        }
        HOLD.add(hubs);
        System.out.println("READY");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
    }
}
