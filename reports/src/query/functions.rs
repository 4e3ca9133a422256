//! The SQL functions of a query: `field(id, name)`, `value(id)`, `path(id)`, `holder(id)`,
//! and the aggregates `retained_set(id)` and `min_retained_set(id)`.

use std::sync::Arc;

use heapscope_graph::bitset::BitSet;
use heapscope_graph::walks::{exact_retained, min_retained_of};
use heapscope_graph::{Contents, FieldValue, NodeIdx};
use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Result};

use super::env::Env;
use crate::drill::parse_id;
use crate::findings::{display_path, holder_of, named_path};

/// Bytes of a string's or array's contents `value(id)` reads at most.
pub const MAX_VALUE_BYTES: usize = 1 << 20;

pub fn register(conn: &Connection, env: &Arc<Env>) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let e = env.clone();
    conn.create_scalar_function("field", 2, flags, move |c| field(&e, c))?;
    let e = env.clone();
    conn.create_scalar_function("value", 1, flags, move |c| value(&e, c))?;
    let e = env.clone();
    conn.create_scalar_function("path", 1, flags, move |c| path(&e, c))?;
    let e = env.clone();
    conn.create_scalar_function("holder", 1, flags, move |c| holder(&e, c))?;
    conn.create_aggregate_function("retained_set", 1, flags, RetainedSet(env.clone(), true))?;
    conn.create_aggregate_function(
        "min_retained_set",
        1,
        flags,
        RetainedSet(env.clone(), false),
    )?;
    Ok(())
}

/// The node named by argument `i`: an integer id, or `0x…`/decimal text.
fn node_arg(env: &Env, c: &Context<'_>, i: usize) -> Option<NodeIdx> {
    let id = match c.get_raw(i) {
        ValueRef::Integer(x) => x,
        ValueRef::Text(t) => parse_id(std::str::from_utf8(t).ok()?)? as i64,
        _ => return None,
    };
    env.node_of(id)
}

/// `field(id, name)`: the value of the object's field `name` (a reference as the id of the
/// object it points to, so `field(field(id, 'a'), 'b')` follows two references).
fn field(env: &Env, c: &Context<'_>) -> Result<Value> {
    let Some(n) = node_arg(env, c, 0) else {
        return Ok(Value::Null);
    };
    let name = match c.get_raw(1) {
        ValueRef::Text(t) => t,
        _ => return Ok(Value::Null),
    };
    let g = &env.ctx.a.graph;
    let hit = env
        .ctx
        .insp
        .fields(g, n)
        .into_iter()
        .find(|f| f.name.as_bytes() == name);
    Ok(match hit.map(|f| f.value) {
        None | Some(FieldValue::Ref(None)) => Value::Null,
        Some(FieldValue::Ref(Some(id))) => Value::Integer(id as i64),
        Some(FieldValue::Int(i)) => Value::Integer(i),
        Some(FieldValue::Float(x)) => Value::Real(x),
        Some(FieldValue::Bool(b)) => Value::Integer(b as i64),
        Some(FieldValue::Char(ch)) => Value::Text(ch.to_string()),
        Some(FieldValue::Text(s)) => Value::Text(s),
    })
}

/// `value(id)`: a string's text, a primitive array's elements as a blob; NULL otherwise.
fn value(env: &Env, c: &Context<'_>) -> Result<Value> {
    let Some(n) = node_arg(env, c, 0) else {
        return Ok(Value::Null);
    };
    Ok(
        match env.ctx.insp.contents(&env.ctx.a.graph, n, MAX_VALUE_BYTES) {
            Some(Contents::Text(s)) => Value::Text(s),
            Some(Contents::Bytes(b)) => Value::Blob(b),
            None => Value::Null,
        },
    )
}

/// `path(id)`: the shortest path from a GC root, strong references first, as one line:
/// `[root kind] Type 0x… › field › Type 0x… › …`; NULL when unreachable.
fn path(env: &Env, c: &Context<'_>) -> Result<Option<String>> {
    let Some(n) = node_arg(env, c, 0) else {
        return Ok(None);
    };
    let ctx = &env.ctx;
    let steps = ctx.a.path_to(n);
    if steps.is_empty() {
        return Ok(None);
    }
    let path = display_path(ctx, &steps);
    let mut out = String::new();
    for (i, p) in path.iter().enumerate() {
        if i == 0 {
            if let Some(k) = &p.root_kind {
                out.push('[');
                out.push_str(k);
                if let Some(v) = &p.via {
                    out.push_str(": ");
                    out.push_str(v);
                }
                out.push_str("] ");
            }
        } else {
            out.push_str(" › ");
            if let Some(v) = &p.via {
                out.push_str(v);
                if p.weak {
                    out.push_str(" (weak)");
                }
                out.push_str(" › ");
            }
        }
        out.push_str(&p.type_name);
        out.push(' ');
        out.push_str(&p.id);
    }
    Ok(Some(out))
}

/// `holder(id)`: the holder a developer edits on the object's shortest path from a GC root
/// (a static field, a thread's locals, a JS variable or global, else the root), as reports
/// write it: `class com.acme.Registry › static SESSIONS › java.util.HashMap`.
fn holder(env: &Env, c: &Context<'_>) -> Result<Option<String>> {
    let Some(n) = node_arg(env, c, 0) else {
        return Ok(None);
    };
    let ctx = &env.ctx;
    let steps = named_path(ctx, ctx.a.path_to(n));
    if steps.is_empty() {
        return Ok(None);
    }
    let path = display_path(ctx, &steps);
    let h = holder_of(ctx, &path, &steps);
    Ok(Some(crate::words::holder_text(&h, &path)))
}

/// `retained_set(id)` (exact: `.1` true) and `min_retained_set(id)` (MAT's minimum): the
/// members are gathered as node indices (4 B each), the size is computed at the end.
struct RetainedSet(Arc<Env>, bool);

impl Aggregate<Vec<u32>, i64> for RetainedSet {
    fn init(&self, _: &mut Context<'_>) -> Result<Vec<u32>> {
        Ok(Vec::new())
    }
    fn step(&self, c: &mut Context<'_>, acc: &mut Vec<u32>) -> Result<()> {
        if let Some(n) = node_arg(&self.0, c, 0) {
            acc.push(n.0);
        }
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<Vec<u32>>) -> Result<i64> {
        let mut members = acc.unwrap_or_default();
        if members.is_empty() {
            return Ok(0);
        }
        let a = self.0.ctx.a;
        let bytes = if self.1 {
            let mut set = BitSet::new(a.graph.node_count());
            for &m in &members {
                set.set(m as usize);
            }
            exact_retained(&a.graph, &a.dom, &a.children, &set).0
        } else {
            min_retained_of(&a.dom, &a.children, &a.retained, &mut members)
        };
        Ok(bytes as i64)
    }
}
