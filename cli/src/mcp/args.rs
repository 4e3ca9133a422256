//! A tool call's arguments, read with messages that name the argument and say what it takes.

use serde_json::{Map, Value};

/// The arguments of one call.
pub struct Args<'a> {
    tool: &'a str,
    map: Map<String, Value>,
}

impl<'a> Args<'a> {
    /// The call's arguments; any name not in `known` is an error listing the ones there are.
    pub fn new(tool: &'a str, map: Map<String, Value>, known: &[&str]) -> Result<Args<'a>, String> {
        if let Some(k) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!(
                "{tool}: unknown argument {k:?}; its arguments are: {}",
                known.join(", ")
            ));
        }
        Ok(Args { tool, map })
    }

    fn present(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// An optional string argument.
    pub fn str(&self, name: &str) -> Result<Option<&str>, String> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(format!("{}: `{name}` must be a string, not {v}", self.tool)),
        }
    }

    /// A string argument the call must give.
    pub fn required(&self, name: &str, what: &str) -> Result<&str, String> {
        match self.str(name)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(format!("{}: `{name}` is required: {what}", self.tool)),
        }
    }

    /// An optional non-negative integer (a whole-number float or a numeric string is taken).
    pub fn uint(&self, name: &str) -> Result<Option<u64>, String> {
        let bad = |v: &Value| {
            format!(
                "{}: `{name}` must be a non-negative integer, not {v}",
                self.tool
            )
        };
        match self.present(name) {
            None => Ok(None),
            Some(v @ Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
                (Some(u), _) => Ok(Some(u)),
                (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1e15 => Ok(Some(f as u64)),
                _ => Err(bad(v)),
            },
            Some(v @ Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad(v)),
            Some(v) => Err(bad(v)),
        }
    }

    /// An object id: a string (`0x…` hex or decimal) or an integer (decimal).
    pub fn id(&self, name: &str) -> Result<Option<String>, String> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
            Some(v) => Err(format!(
                "{}: `{name}` must be an object id as a string (\"0x1a2b\" or \"12345\"), not {v}",
                self.tool
            )),
        }
    }
}
