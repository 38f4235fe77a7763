//! One-line error messages. agg's errors say what failed and why in their own message and do
//! not also return the cause as `source()` (so `{e}` and `{e:#}` print the same line); errors
//! from libraries may, and some print their cause as well: [`line`] prints such a chain once.

use std::error::Error;

/// `e` and its causes as one line, `outer: inner: ...`, skipping a cause whose text the line
/// already ends with (a library error that prints its source and returns it too).
pub fn line(e: &(dyn Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// The innermost cause of `e` (itself when it has none).
pub fn root<'a>(e: &'a (dyn Error + 'static)) -> &'a (dyn Error + 'static) {
    let mut e = e;
    while let Some(c) = e.source() {
        e = c;
    }
    e
}

/// Whether a message repeats the text of one of its causes: the test every error type of agg
/// passes (see the tests beside them).
pub fn repeats_cause(e: &(dyn Error + 'static)) -> bool {
    let mut outer = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && outer.contains(&text) {
            return true;
        }
        outer = text;
        cause = c.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read config x.yaml")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read config x.yaml: {0}")]
    struct Twice(#[source] std::io::Error);

    #[test]
    fn a_chain_prints_each_cause_once() {
        let io = || std::io::Error::other("permission denied");
        assert_eq!(
            line(&Outer(io())),
            "cannot read config x.yaml: permission denied"
        );
        assert_eq!(
            line(&Twice(io())),
            "cannot read config x.yaml: permission denied"
        );
        assert!(!repeats_cause(&Outer(io())));
        assert!(repeats_cause(&Twice(io())));
        assert_eq!(root(&Outer(io())).to_string(), "permission denied");
    }
}
