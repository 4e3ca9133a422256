//! CPython's heuristics (chosen when the dump's runtime is CPython): the source line of an
//! allocation site says what grows — `REGISTRY[k] = …` fills a module constant,
//! `self.items.append(x)` a container.

use crate::patterns::Pattern;

/// The pattern a site's source line shows, if any.
pub(crate) fn line_pattern(text: &str) -> Option<Pattern> {
    if fills_module_constant(text) {
        Some(Pattern::GlobalContainer)
    } else if fills_container(text) {
        Some(Pattern::UnboundedCollection)
    } else {
        None
    }
}

/// An assignment into a subscript of an ALL-CAPS (module constant) name, `REGISTRY[k] = …`, or a
/// call adding to one, `EVENTS.append(…)`.
fn fills_module_constant(text: &str) -> bool {
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let caps = name.len() >= 2
        && name.chars().any(|c| c.is_ascii_uppercase())
        && !name.chars().any(|c| c.is_ascii_lowercase());
    let rest = &text[name.len()..];
    caps && (rest.starts_with('[') && rest.contains("] =")
        || [
            ".append(",
            ".add(",
            ".extend(",
            ".setdefault(",
            ".update(",
            ".insert(",
        ]
        .iter()
        .any(|m| rest.starts_with(m)))
}

/// Growth of a container at a source line: `name[k] = …`, `name.append(…)`.
fn fills_container(text: &str) -> bool {
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    let rest = &text[name.len()..];
    if name.is_empty() {
        return false;
    }
    if rest.starts_with('[') && rest.contains("] =") {
        return true;
    }
    rest.starts_with('(')
        && [".append", ".add", ".extend", ".setdefault", ".insert"]
            .iter()
            .any(|m| name.ends_with(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_line_shapes() {
        assert!(fills_module_constant(
            "REGISTRY[request_id] = {\"id\": request_id}"
        ));
        assert!(fills_module_constant("EVENTS.append(e)"));
        assert!(!fills_module_constant("_memo[key] = result"));
        assert!(!fills_module_constant("key = (n, k)"));
        assert!(fills_container("self.items.append(x)"));
        assert!(fills_container("_memo[key] = result"));
        assert!(!fills_container("return (\"row %d \" % i) * 20"));
    }
}
