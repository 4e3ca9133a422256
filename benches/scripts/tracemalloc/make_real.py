"""Trace a real Python program with `tracemalloc.start(25)` and dump its snapshot.

    python3 make_real.py OUT [--scale N] [--seed S]

Unlike make_big.py (which builds the trace list by hand), every trace here is a live block of a
running program, recorded by CPython's tracemalloc with 25-frame tracebacks. The program does what
real services do, through deep and varied call chains:

  * a recursive-descent parser for a small language (statements, nested blocks, eleven precedence
    levels of expressions, calls, lists) keeps the ASTs of generated source files alive;
  * a JSON-like document decoder (recursive over objects and arrays) keeps decoded documents alive;
  * an in-memory "ORM" builds records through a class hierarchy, indexes them in dicts and keeps
    per-record caches;
  * a trie of words built recursively, and a memoised recursive evaluator over the ASTs.

The parsers' input texts are generated before tracing starts (they are the program's input, not
its heap). Deterministic for a given seed and interpreter (sizes of blocks depend on the CPython
build). --scale 1 (the default) with the system CPython 3.11.2: 2 943 183 live blocks under 61 708
distinct tracebacks (80 670 traceback tuples: CPython interns them with their total_nframe),
326 744 of them cut at 25 frames (up to 122 deep); a 51.4 MB snapshot. Tracing makes the
program ~15× slower: about 100 s of CPU per scale step.
"""
import argparse
import random
import sys
import time
import tracemalloc

KEEP = []  # everything the program keeps alive


# ---------------------------------------------------------------- a small language
KEYWORDS = ("if", "else", "while", "def", "return", "let", "for", "in")
OPS = [("or",), ("and",), ("==", "!="), ("<", ">", "<=", ">="), ("|",), ("^",), ("&",),
       ("<<", ">>"), ("+", "-"), ("*", "/", "%"), ("**",)]


def gen_name(rng):
    name = rng.choice("abcdefghijklmnopqrstuvwxyz") + "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(rng.randrange(0, 8)))
    return name + "_" if name in KEYWORDS or name in ("or", "and", "true", "false", "null") else name


def gen_expr(rng, depth):
    r = rng.random()
    if depth <= 0 or r < 0.25:
        k = rng.randrange(4)
        if k == 0:
            return str(rng.randrange(0, 10 ** rng.randrange(1, 12)))
        if k == 1:
            return '"' + gen_name(rng) * rng.randrange(1, 4) + '"'
        return gen_name(rng)
    if r < 0.35:
        return "(" + gen_expr(rng, depth - 1) + ")"
    if r < 0.45:
        return gen_name(rng) + "(" + ", ".join(gen_expr(rng, depth - 1) for _ in range(rng.randrange(0, 4))) + ")"
    if r < 0.5:
        return "[" + ", ".join(gen_expr(rng, depth - 1) for _ in range(rng.randrange(0, 5))) + "]"
    if r < 0.55:
        return "-" + gen_expr(rng, depth - 1)
    level = rng.choice(OPS)
    return gen_expr(rng, depth - 1) + " " + rng.choice(level) + " " + gen_expr(rng, depth - 1)


def gen_block(rng, depth, out, indent):
    for _ in range(rng.randrange(1, 6)):
        r = rng.random()
        pad = "  " * indent
        if depth > 0 and r < 0.15:
            out.append(pad + "if " + gen_expr(rng, 3) + " {")
            gen_block(rng, depth - 1, out, indent + 1)
            out.append(pad + "} else {")
            gen_block(rng, depth - 1, out, indent + 1)
            out.append(pad + "}")
        elif depth > 0 and r < 0.25:
            out.append(pad + "while " + gen_expr(rng, 3) + " {")
            gen_block(rng, depth - 1, out, indent + 1)
            out.append(pad + "}")
        elif depth > 0 and r < 0.32:
            out.append(pad + "for " + gen_name(rng) + " in " + gen_expr(rng, 2) + " {")
            gen_block(rng, depth - 1, out, indent + 1)
            out.append(pad + "}")
        elif depth > 0 and r < 0.4:
            out.append(pad + "def " + gen_name(rng) + "(" + ", ".join(gen_name(rng) for _ in range(rng.randrange(0, 4))) + ") {")
            gen_block(rng, depth - 1, out, indent + 1)
            out.append(pad + "}")
        elif r < 0.5:
            out.append(pad + "return " + gen_expr(rng, 4) + ";")
        else:
            out.append(pad + "let " + gen_name(rng) + " = " + gen_expr(rng, 5) + ";")


class Token:
    __slots__ = ("kind", "text", "pos")

    def __init__(self, kind, text, pos):
        self.kind = kind
        self.text = text
        self.pos = pos


def tokenize(src):
    toks = []
    i, n = 0, len(src)
    two = {"==", "!=", "<=", ">=", "<<", ">>", "**"}
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
        elif c.isdigit():
            j = i
            while j < n and src[j].isdigit():
                j += 1
            toks.append(Token("num", src[i:j], i))
            i = j
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            word = src[i:j]
            toks.append(Token("kw" if word in KEYWORDS or word in ("or", "and") else "name", word, i))
            i = j
        elif c == '"':
            j = src.index('"', i + 1)
            toks.append(Token("str", src[i + 1:j], i))
            i = j + 1
        elif src[i:i + 2] in two:
            toks.append(Token("op", src[i:i + 2], i))
            i += 2
        else:
            toks.append(Token("op", c, i))
            i += 1
    toks.append(Token("eof", "", n))
    return toks


class Node:
    __slots__ = ("kind", "children", "value", "line")

    def __init__(self, kind, children, value=None, line=0):
        self.kind = kind
        self.children = children
        self.value = value
        self.line = line


class Parser:
    def __init__(self, toks):
        self.toks = toks
        self.i = 0

    def peek(self):
        return self.toks[self.i]

    def take(self, text=None):
        t = self.toks[self.i]
        if text is not None and t.text != text:
            raise SyntaxError("expected %r at %d, got %r" % (text, t.pos, t.text))
        self.i += 1
        return t

    def program(self):
        stmts = []
        while self.peek().kind != "eof":
            stmts.append(self.statement())
        return Node("program", stmts)

    def block(self):
        self.take("{")
        stmts = []
        while self.peek().text != "}":
            stmts.append(self.statement())
        self.take("}")
        return Node("block", stmts)

    def statement(self):
        t = self.peek()
        if t.text == "if":
            return self.if_stmt()
        if t.text == "while":
            return self.while_stmt()
        if t.text == "for":
            return self.for_stmt()
        if t.text == "def":
            return self.def_stmt()
        if t.text == "return":
            self.take()
            e = self.expr()
            self.take(";")
            return Node("return", [e])
        return self.let_stmt()

    def if_stmt(self):
        self.take("if")
        cond = self.expr()
        then = self.block()
        self.take("else")
        other = self.block()
        return Node("if", [cond, then, other])

    def while_stmt(self):
        self.take("while")
        cond = self.expr()
        return Node("while", [cond, self.block()])

    def for_stmt(self):
        self.take("for")
        var = self.take().text
        self.take("in")
        it = self.expr()
        return Node("for", [it, self.block()], var)

    def def_stmt(self):
        self.take("def")
        name = self.take().text
        self.take("(")
        params = []
        while self.peek().text != ")":
            params.append(self.take().text)
            if self.peek().text == ",":
                self.take()
        self.take(")")
        return Node("def", [self.block()], (name, tuple(params)))

    def let_stmt(self):
        self.take("let")
        name = self.take().text
        self.take("=")
        e = self.expr()
        self.take(";")
        return Node("let", [e], name)

    def expr(self):
        return self.binary(0)

    def binary(self, level):
        if level == len(OPS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek().text in OPS[level]:
            op = self.take().text
            right = self.binary(level + 1)
            left = Node("bin", [left, right], op)
        return left

    def unary(self):
        if self.peek().text == "-":
            self.take()
            return Node("neg", [self.unary()])
        return self.postfix()

    def postfix(self):
        e = self.primary()
        while self.peek().text == "(":
            e = self.call(e)
        return e

    def call(self, callee):
        self.take("(")
        args = self.arguments(")")
        return Node("call", [callee] + args)

    def arguments(self, close):
        args = []
        while self.peek().text != close:
            args.append(self.expr())
            if self.peek().text == ",":
                self.take()
        self.take(close)
        return args

    def primary(self):
        t = self.take()
        if t.kind == "num":
            return Node("num", None, int(t.text))
        if t.kind == "str":
            return Node("str", None, t.text)
        if t.kind == "name":
            return Node("name", None, t.text)
        if t.text == "(":
            e = self.expr()
            self.take(")")
            return e
        if t.text == "[":
            return Node("list", self.arguments("]"))
        raise SyntaxError("unexpected %r at %d" % (t.text, t.pos))


def evaluate(node, memo):
    """A memoised constant folder: keeps a result per subtree (tuples, ints, strings)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if node.kind == "num":
        r = node.value
    elif node.kind == "str":
        r = node.value.upper()
    elif node.kind == "name":
        r = ("var", node.value)
    elif node.kind == "bin":
        a = evaluate(node.children[0], memo)
        b = evaluate(node.children[1], memo)
        r = fold(node.value, a, b)
    elif node.kind == "neg":
        a = evaluate(node.children[0], memo)
        r = -a if isinstance(a, int) else ("neg", a)
    elif node.children:
        r = tuple(evaluate(c, memo) for c in node.children)
    else:
        r = None
    memo[key] = r
    return r


def fold(op, a, b):
    if isinstance(a, int) and isinstance(b, int):
        if op == "+":
            return a + b
        if op == "*":
            return a * b if abs(a) < 2 ** 40 and abs(b) < 2 ** 40 else (op, a, b)
        if op == "-":
            return a - b
    if isinstance(a, str) and isinstance(b, str) and op == "+":
        return a + b
    return (op, a, b)


def gen_sources(rng, files):
    out = []
    for _ in range(files):
        lines = []
        gen_block(rng, 5, lines, 0)
        out.append("\n".join(lines))
    return out


def compile_sources(sources):
    asts = []
    for f, src in enumerate(sources):
        toks = tokenize(src)
        ast = Parser(toks).program()
        memo = {}
        evaluate(ast, memo)
        asts.append((ast, memo, toks if f % 3 == 0 else None))
    return asts


# ---------------------------------------------------------------- a JSON-like decoder
def gen_doc(rng, depth):
    r = rng.random()
    if depth <= 0 or r < 0.3:
        k = rng.randrange(4)
        if k == 0:
            return str(rng.randrange(-10 ** 9, 10 ** 9))
        if k == 1:
            return "%d.%d" % (rng.randrange(1000), rng.randrange(1000))
        if k == 2:
            return '"' + gen_name(rng) + " " + gen_name(rng) + '"'
        return rng.choice(("true", "false", "null"))
    if r < 0.65:
        return "{" + ",".join('"%s":%s' % (gen_name(rng), gen_doc(rng, depth - 1))
                              for _ in range(rng.randrange(1, 7))) + "}"
    return "[" + ",".join(gen_doc(rng, depth - 1) for _ in range(rng.randrange(1, 7))) + "]"


class Decoder:
    def __init__(self, text):
        self.s = text
        self.i = 0

    def value(self):
        c = self.s[self.i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c == '"':
            return self.string()
        return self.scalar()

    def obj(self):
        self.i += 1
        d = {}
        while True:
            k = self.string()
            self.i += 1  # ':'
            d[k] = self.value()
            c = self.s[self.i]
            self.i += 1
            if c == "}":
                return d

    def arr(self):
        self.i += 1
        a = []
        while True:
            a.append(self.value())
            c = self.s[self.i]
            self.i += 1
            if c == "]":
                return a

    def string(self):
        j = self.s.index('"', self.i + 1)
        v = self.s[self.i + 1:j]
        self.i = j + 1
        return v

    def scalar(self):
        j = self.i
        while j < len(self.s) and self.s[j] not in ",]}":
            j += 1
        t = self.s[self.i:j]
        self.i = j
        if t == "true":
            return True
        if t == "false":
            return False
        if t == "null":
            return None
        return float(t) if "." in t else int(t)


def load_documents(texts):
    return [Decoder(t).value() for t in texts]


# ---------------------------------------------------------------- an in-memory ORM
class Model:
    registry = {}

    def __init__(self, pk, fields):
        self.pk = pk
        self.fields = dict(fields)
        self._cache = {}
        Model.registry.setdefault(type(self).__name__, {})[pk] = self

    def describe(self):
        return "%s#%d(%s)" % (type(self).__name__, self.pk, ",".join(sorted(self.fields)))


class User(Model):
    def __init__(self, pk, name, email):
        super().__init__(pk, {"name": name, "email": email})
        self.sessions = []

    def login(self, rng):
        s = Session(len(self.sessions), self, rng.randrange(10 ** 9))
        self.sessions.append(s)
        return s


class Session(Model):
    def __init__(self, pk, user, token):
        super().__init__(pk + user.pk * 1000, {"token": hex(token), "user": user.pk})
        self.events = [("open", token)]

    def touch(self, what):
        self.events.append((what, len(self.events)))


class Order(Model):
    def __init__(self, pk, user, items):
        super().__init__(pk, {"user": user.pk, "total": sum(p for _, p in items)})
        self.items = [LineItem(i, self, name, price) for i, (name, price) in enumerate(items)]


class LineItem(Model):
    def __init__(self, pk, order, name, price):
        super().__init__(order.pk * 100 + pk, {"name": name, "price": price})
        self._cache["label"] = self.describe()


def run_shop(rng, users):
    people = []
    for pk in range(users):
        u = User(pk, gen_name(rng), gen_name(rng) + "@example.org")
        for _ in range(rng.randrange(0, 4)):
            s = u.login(rng)
            for _ in range(rng.randrange(0, 5)):
                s.touch(rng.choice(("view", "cart", "search", "pay")))
        people.append(u)
    orders = []
    for pk in range(users * 2):
        u = rng.choice(people)
        items = [(gen_name(rng), rng.randrange(1, 10 ** 6)) for _ in range(rng.randrange(1, 5))]
        orders.append(Order(pk, u, items))
    return people, orders


# ---------------------------------------------------------------- a trie of words
def trie_insert(node, word, i):
    if i == len(word):
        node["$"] = node.get("$", 0) + 1
        return
    child = node.get(word[i])
    if child is None:
        child = node[word[i]] = {}
    trie_insert(child, word, i + 1)


def build_trie(rng, words):
    root = {}
    for _ in range(words):
        w = gen_name(rng) + gen_name(rng)
        trie_insert(root, w, 0)
    return root


# ---------------------------------------------------------------- a large application's call graph
# (--deep N) Services calling services: a generated code base of many modules whose functions call
# one another at different lines depending on their arguments, allocating on the way, as request
# handlers in a large application do. Nearly every allocation then has a 25-frame window of (file,
# line) frames of its own: many distinct tracebacks per live block, as in the 202 MB dump.
PACKAGES = ("api", "billing", "catalog", "search", "auth", "orders", "render", "storage", "events", "util")


def gen_app(rng, modules, funcs):
    """Sources of `modules` modules of `funcs` functions each: [(filename, source)]."""
    names = ["%s_%s_%d" % (PACKAGES[m % len(PACKAGES)], "svc", m * funcs + f) for m in range(modules)
             for f in range(funcs)]
    files = []
    for m in range(modules):
        lines = []
        for f in range(funcs):
            me = names[m * funcs + f]
            a, b = rng.randrange(3, 1 << 20) | 1, rng.randrange(1 << 20)
            ways = rng.randrange(3, 7)
            lines.append("def %s(x, d, out):" % me)
            lines.append("    y = (x * %d + %d) & 0xFFFFFFF" % (a, b))
            lines.append("    if d <= 0:")
            lines.append("        out.append([y, str(y)])")
            lines.append("        return out")
            lines.append("    k = y %% %d" % ways)
            for w in range(ways):
                lines.append("    %s k == %d:" % ("if" if w == 0 else "elif", w))
                r = rng.random()
                if r < 0.3:
                    lines.append("        out.append({'id': y, 'tag': '%s'})" % me)
                elif r < 0.5:
                    lines.append("        out.append((y, d, '%s-%%d' %% y))" % me)
                elif r < 0.6:
                    lines.append("        out.append(bytearray(%d))" % rng.randrange(8, 200))
                for _ in range(1 if rng.random() < 0.8 else 2):
                    callee = names[rng.randrange(len(names))]
                    lines.append("        %s(y >> %d, d - 1, out)" % (callee, rng.randrange(1, 4)))
            lines.append("    return out")
            lines.append("")
        files.append(("/srv/app/%s/module_%03d.py" % (PACKAGES[m % len(PACKAGES)], m), "\n".join(lines) + "\n"))
    return files, names


def run_app(rng, requests):
    files, names = gen_app(rng, 60, 40)
    env = {}
    for filename, source in files:
        exec(compile(source, filename, "exec"), env)
    kept = []
    for i in range(requests):
        out = []
        env[names[rng.randrange(len(names))]](rng.randrange(1 << 28), rng.randrange(20, 40), out)
        kept.append(out)
    return kept


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--untraced", action="store_true", help="time the program without tracing")
    ap.add_argument("--deep", type=int, default=0,
                    help="after the scale parts, serve N requests through a generated application's call graph")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t0 = time.perf_counter()
    # The inputs of the parsers are made untraced (the program reads them; they are not its heap).
    inputs = [(gen_sources(rng, 120), [gen_doc(rng, 6) for _ in range(1500)]) for _ in range(a.scale)]
    t1 = time.perf_counter()
    if not a.untraced:
        tracemalloc.start(25)
    for sources, docs in inputs:
        for part, arg in ((compile_sources, sources), (load_documents, docs), (run_shop, 12000), (build_trie, 20000)):
            s = time.perf_counter()
            KEEP.append(part(arg) if isinstance(arg, list) else part(rng, arg))
            print(part.__name__, "%.1f s" % (time.perf_counter() - s), file=sys.stderr, flush=True)
    del inputs
    if a.deep:
        s = time.perf_counter()
        KEEP.append(run_app(random.Random(a.seed + 1), a.deep))
        print(run_app.__name__, "%.1f s" % (time.perf_counter() - s), file=sys.stderr, flush=True)
    t2 = time.perf_counter()
    if a.untraced:
        return
    snap = tracemalloc.take_snapshot()
    tracemalloc.stop()
    t3 = time.perf_counter()
    snap.dump(a.out)
    t4 = time.perf_counter()
    print("inputs %.1f s; traced %d live blocks (%d distinct tracebacks) in %.1f s, snapshot %.1f s, dump %.1f s (python %s)"
          % (t1 - t0, len(snap.traces), len({t.traceback for t in snap.traces}), t2 - t1, t3 - t2, t4 - t3,
             sys.version.split()[0]), file=sys.stderr)


if __name__ == "__main__":
    main()
