// A JDK-only service with a real leak (issue 17 breadth): each request is an XML order parsed by the
// JDK's own parser (javax.xml / Xerces DOM, unmodified), queried with XPath and rendered back with a
// Transformer; the response goes to a bounded LRU (healthy), but the parsed Document is also put in
// a static "audit" map keyed by the order id and never removed (the leak: it grows with every
// request). Per-request garbage (strings, XPath results, buffers) is left for the GC. Every 500
// requests an "audit export" renders the audit trail into one buffer of 8 KiB per audited order:
// once the leak has filled most of the heap, that one large allocation is what fails
// (OutOfMemoryError: Java heap space), as production OOMs are often thrown by one larger
// allocation in a heap that a leak has filled (without it the JVM only slows down: back-to-back
// full GCs, each freeing one request's garbage, for tens of minutes).
//   java -Xmx768m -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=OOM.hprof \
//     -cp DIR LeakyXmlService PREFIX DUMP_AT [MAX]
// DUMP_AT: comma-separated request counts at which the JVM dumps its own heap the way
// `jcmd PID GC.heap_dump` does (HotSpotDiagnosticMXBean.dumpHeap, live objects: full GC first) to
// PREFIX-<count>.hprof; "-" for none. MAX: stop (exit 0) after that many requests (default: run
// until OutOfMemoryError). Deterministic input (a fixed seed); compiled with javac --release 17.
import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathExpression;
import javax.xml.xpath.XPathFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public class LeakyXmlService {
  /** The leak: every parsed order, kept "for the audit trail", never evicted. */
  static final Map<String, Document> AUDIT = new HashMap<>();

  /** Healthy: the last 2,000 responses. */
  static final Map<String, String> RESPONSES =
      new LinkedHashMap<>(4096, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> e) {
          return size() > 2000;
        }
      };

  static long exported;

  static final String[] SKUS = new String[500];
  static final String[] CUSTOMERS = new String[5000];

  static String order(Random r, int n) {
    StringBuilder s = new StringBuilder(4096);
    String id = "ord-" + n;
    s.append("<?xml version=\"1.0\"?>\n<order id=\"").append(id).append("\" currency=\"EUR\">\n");
    s.append("  <customer ref=\"").append(CUSTOMERS[r.nextInt(CUSTOMERS.length)]).append("\">");
    s.append("<name>Customer ").append(r.nextInt(100000)).append("</name>");
    s.append("<address><street>").append(r.nextInt(999)).append(" Main Street</street><city>City ")
        .append(r.nextInt(300)).append("</city><zip>").append(10000 + r.nextInt(89999))
        .append("</zip></address></customer>\n  <lines>\n");
    int lines = 4 + r.nextInt(24);
    for (int i = 0; i < lines; i++) {
      s.append("    <line no=\"").append(i).append("\" sku=\"").append(SKUS[r.nextInt(SKUS.length)])
          .append("\" qty=\"").append(1 + r.nextInt(9)).append("\"><price>")
          .append(r.nextInt(10000) / 100.0).append("</price><note>")
          .append(i % 3 == 0 ? "gift wrap, deliver after 5pm" : "standard")
          .append("</note></line>\n");
    }
    s.append("  </lines>\n</order>\n");
    return s.toString();
  }

  public static void main(String[] args) throws Exception {
    String prefix = args[0];
    TreeSet<Integer> dumpAt = new TreeSet<>();
    if (!args[1].equals("-")) for (String a : args[1].split(",")) dumpAt.add(Integer.parseInt(a));
    long max = args.length > 2 ? Long.parseLong(args[2]) : Long.MAX_VALUE;
    for (int i = 0; i < SKUS.length; i++) SKUS[i] = "SKU-" + (100000 + i * 37);
    for (int i = 0; i < CUSTOMERS.length; i++) CUSTOMERS[i] = "C" + (7000000 + i * 13);
    DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
    DocumentBuilder db = dbf.newDocumentBuilder();
    XPath xp = XPathFactory.newInstance().newXPath();
    XPathExpression linesOf = xp.compile("/order/lines/line");
    XPathExpression cityOf = xp.compile("string(/order/customer/address/city)");
    Transformer tf = TransformerFactory.newInstance().newTransformer();
    tf.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
    Random r = new Random(17);
    HotSpotDiagnosticMXBean mx = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    long t0 = System.nanoTime();
    for (int n = 1; n <= max; n++) {
      String xml = order(r, n);
      Document doc = db.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
      NodeList lines = (NodeList) linesOf.evaluate(doc, XPathConstants.NODESET);
      double total = 0;
      List<String> skus = new ArrayList<>();
      for (int i = 0; i < lines.getLength(); i++) {
        Element line = (Element) lines.item(i);
        double price = Double.parseDouble(line.getElementsByTagName("price").item(0).getTextContent());
        total += price * Integer.parseInt(line.getAttribute("qty"));
        skus.add(line.getAttribute("sku"));
      }
      Element summary = doc.createElement("summary");
      summary.setAttribute("total", String.format("%.2f", total));
      summary.setAttribute("city", (String) cityOf.evaluate(doc, XPathConstants.STRING));
      summary.setTextContent(String.join(" ", skus));
      doc.getDocumentElement().appendChild(summary);
      StringWriter w = new StringWriter();
      tf.transform(new DOMSource(summary), new StreamResult(w));
      String id = doc.getDocumentElement().getAttribute("id");
      RESPONSES.put(id, w.toString());
      AUDIT.put(id, doc);
      if (n % 500 == 0) {
        byte[] export = new byte[AUDIT.size() * 8192];
        export[export.length - 1] = (byte) n;
        exported += export.length;
      }
      if (dumpAt.contains(n)) {
        String file = prefix + "-" + n + ".hprof";
        mx.dumpHeap(file, true);
        System.err.printf("%d requests in %d ms: dumped %s%n", n, (System.nanoTime() - t0) / 1_000_000, file);
      }
      if (n % 20000 == 0) {
        System.err.printf("%d requests in %d ms, %d MB used%n", n, (System.nanoTime() - t0) / 1_000_000,
            (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
      }
    }
  }
}
