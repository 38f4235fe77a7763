//! Finds the line of a key path in YAML text, so that errors found after deserializing
//! (a bad cron expression, selector or time zone) can still name their line.
//!
//! It reads block-style YAML by indentation, which is how config files are written; when the
//! path cannot be followed it returns the line of the deepest part it found.

/// One step of a key path.
#[derive(Debug, Clone, Copy)]
pub enum Seg {
    Key(&'static str),
    Idx(usize),
}

/// `sources[2].schedule`-style rendering of a path.
pub fn display(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Idx(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// 1-based line of `path` in `text`, or of its deepest found prefix.
pub fn line_of(text: &str, path: &[Seg]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    // The block being searched: line range and the indentation of its children.
    let (mut start, mut end) = (0, lines.len());
    let mut min_indent = 0;
    let mut found = None;
    for seg in path {
        let mut hit = None;
        match seg {
            Seg::Key(k) => {
                for (n, line) in lines.iter().enumerate().take(end).skip(start) {
                    if !is_content(line) || indent(line) < min_indent {
                        continue;
                    }
                    let t = line.trim_start().trim_start_matches("- ");
                    if t.strip_prefix(k)
                        .is_some_and(|r| r.trim_start().starts_with(':'))
                    {
                        hit = Some(n);
                        break;
                    }
                }
            }
            Seg::Idx(i) => {
                let mut count = 0;
                let mut item_indent = None;
                for (n, line) in lines.iter().enumerate().take(end).skip(start) {
                    if !is_content(line) || indent(line) < min_indent {
                        continue;
                    }
                    let t = line.trim_start();
                    if t.starts_with("- ") || t == "-" {
                        let ind = indent(line);
                        if item_indent.is_none() {
                            item_indent = Some(ind);
                        }
                        if Some(ind) == item_indent {
                            if count == *i {
                                hit = Some(n);
                                break;
                            }
                            count += 1;
                        }
                    }
                }
            }
        }
        let Some(n) = hit else { break };
        found = Some(n + 1);
        // The child block: following lines indented deeper than this one.
        let own = indent(lines[n]);
        let child_end = lines
            .iter()
            .enumerate()
            .skip(n + 1)
            .find(|(_, l)| is_content(l) && indent(l) <= own)
            .map(|(m, _)| m)
            .unwrap_or(end);
        start = if matches!(seg, Seg::Idx(_)) { n } else { n + 1 };
        end = child_end.min(end);
        min_indent = if matches!(seg, Seg::Idx(_)) {
            own
        } else {
            own + 1
        };
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use Seg::{Idx, Key};

    const Y: &str = "site:\n  title: x\n  timezone: Mars\nsources:\n  - name: a\n    kind: feed\n    schedule: bad\n  - name: b\n    kind: html\n    # comment\n    schedule: '* * *'\n";

    #[test]
    fn finds_nested_keys_and_items() {
        assert_eq!(line_of(Y, &[Key("site"), Key("timezone")]), Some(3));
        assert_eq!(line_of(Y, &[Key("sources"), Idx(0), Key("name")]), Some(5));
        assert_eq!(
            line_of(Y, &[Key("sources"), Idx(0), Key("schedule")]),
            Some(7)
        );
        assert_eq!(
            line_of(Y, &[Key("sources"), Idx(1), Key("schedule")]),
            Some(11)
        );
        assert_eq!(line_of(Y, &[Key("sources"), Idx(1), Key("links")]), Some(8));
        assert_eq!(
            display(&[Key("sources"), Idx(1), Key("links")]),
            "sources[1].links"
        );
    }
}
