//! Safe, readable path segments for category and tag names (Chinese stays Chinese).

/// Turns a name into one safe path segment: no `/`, `\`, `..`, control characters, never empty.
pub fn slugify(name: &str) -> String {
    let _ = name;
    todo!("helper C")
}
