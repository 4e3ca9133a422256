#!/usr/bin/env python3
"""Read the Parquet tables `heapscope export --parquet DIR` wrote with DuckDB (its own C++
Parquet reader, independent of the arrow-rs writer) and print, as JSON, what the tests
compare with heapscope's own answers (cli/tests/suite/export.rs):

- rows: each table's row count, and the column names and types DuckDB sees;
- by_type: per type, from the objects table: count and shallow sum; and the MAT minimum
  retained size recomputed from the objects' `idom` and `retained` (the sum of the retained
  sizes of the reachable instances no other instance of the type dominates), walking the
  dominator tree once with a count of the types on the path;
- types: the types table as written;
- kinds: the distinct kinds of the objects (`frame` alone: a call tree, whose types.count is
  the profile's object count, not a count of rows);
- summary: objects, reachable objects, total and reachable shallow bytes, distinct root ids;
- retained_not_adding_up: objects whose retained size is not their shallow size plus their
  dominator children's (from the table, so a wrong column or row order shows here);
- dangling: references whose src or dst is no object; idoms that are no object;
- referrers: for each id given after DIR and the three ids most referenced, the number of
  distinct objects that reference it and every (src, label, weak) of those references.

Usage: tables.py DIR [ID ...]
"""
import json
import sys

import duckdb


def main():
    d = sys.argv[1]
    asked = [int(x, 0) for x in sys.argv[2:]]
    con = duckdb.connect()
    for t in ("objects", "refs", "types", "roots"):
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{d}/{t}.parquet')")
    out = {"rows": {}, "columns": {}}
    for t in ("objects", "refs", "types", "roots"):
        out["rows"][t] = con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        out["columns"][t] = [
            [r[0], r[1]] for r in con.execute(f"DESCRIBE {t}").fetchall()
        ]
    rows = con.execute(
        "SELECT id, type, shallow, retained, idom, reachable FROM objects ORDER BY node"
    ).fetchall()
    by_type = {}
    for _, ty, sh, _, _, _ in rows:
        c = by_type.setdefault(ty, [0, 0, 0])
        c[0] += 1
        c[1] += sh
    # MAT minimum retained size, by a walk of the dominator tree from the table's idom column.
    children = {}
    tops = []
    info = {}
    for oid, ty, sh, ret, idom, reach in rows:
        info[oid] = (ty, ret)
        if not reach:
            continue
        if idom is None:
            tops.append(oid)
        else:
            children.setdefault(idom, []).append(oid)
    on_path = {}
    stack = [(o, False) for o in tops]
    while stack:
        o, leaving = stack.pop()
        ty, ret = info[o]
        if leaving:
            on_path[ty] -= 1
            continue
        if on_path.get(ty, 0) == 0:
            by_type[ty][2] += ret
        on_path[ty] = on_path.get(ty, 0) + 1
        stack.append((o, True))
        stack.extend((c, False) for c in children.get(o, ()))
    out["by_type"] = sorted([t, *v] for t, v in by_type.items())
    out["types"] = sorted(
        list(r) for r in con.execute("SELECT type, count, shallow, retained FROM types").fetchall()
    )
    out["summary"] = dict(
        zip(
            ["nodes", "reachable_nodes", "total_bytes", "reachable_bytes"],
            con.execute(
                "SELECT count(*), sum(reachable), sum(shallow), "
                "coalesce(sum(shallow) FILTER (WHERE reachable = 1), 0) FROM objects"
            ).fetchone(),
        )
    )
    out["kinds"] = [r[0] for r in con.execute("SELECT DISTINCT kind FROM objects ORDER BY 1").fetchall()]
    out["summary"]["root_ids"] = con.execute("SELECT count(DISTINCT id) FROM roots").fetchone()[0]
    out["summary"]["distinct_ids"] = con.execute(
        "SELECT count(DISTINCT id) FROM objects"
    ).fetchone()[0]
    out["retained_not_adding_up"] = con.execute(
        """SELECT count(*) FROM objects o LEFT JOIN (
               SELECT idom, sum(retained) AS s FROM objects WHERE idom IS NOT NULL GROUP BY idom
           ) c ON c.idom = o.id
           WHERE o.reachable = 1 AND o.retained <> o.shallow + coalesce(c.s, 0)"""
    ).fetchone()[0]
    out["dangling"] = con.execute(
        """SELECT (SELECT count(*) FROM refs WHERE src NOT IN (SELECT id FROM objects))
                + (SELECT count(*) FROM refs WHERE dst NOT IN (SELECT id FROM objects))
                + (SELECT count(*) FROM objects WHERE idom IS NOT NULL
                     AND idom NOT IN (SELECT id FROM objects))"""
    ).fetchone()[0]
    out["referrers"] = {}
    most = con.execute(
        "SELECT dst FROM refs GROUP BY dst ORDER BY count(DISTINCT src) DESC, dst LIMIT 3"
    ).fetchall()
    for a in asked + [r[0] for r in most]:
        distinct = con.execute(
            "SELECT count(DISTINCT src) FROM refs WHERE dst = ?", [a]
        ).fetchone()[0]
        edges = con.execute(
            "SELECT src, label, weak FROM refs WHERE dst = ? ORDER BY ALL", [a]
        ).fetchall()
        out["referrers"][str(a)] = {"distinct": distinct, "edges": [list(e) for e in edges]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
