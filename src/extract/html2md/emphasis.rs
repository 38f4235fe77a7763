//! Emphasis markers that CommonMark renderers read as emphasis, in any script.
//!
//! HTML puts `<strong>` anywhere; Markdown's `**` opens only when "left-flanking" and closes
//! only when "right-flanking" (CommonMark 6.2), judged from the characters on either side.
//! `**李金泽：**政府` prints its asterisks: the closing `**` follows punctuation and precedes a
//! letter. `**DeepSeek“****上车”**` (two bold runs back to back) makes a run of four. And
//! renderers disagree on what punctuation is: CommonMark 0.31 (pulldown-cmark) counts symbols
//! such as `©` or `￥`, 0.30 (goldmark, so Hugo) does not.
//!
//! So while a paragraph is built, emphasis is marked with reserved characters (Unicode
//! noncharacters, removed from page text on the way in), and [`resolve`] places the real
//! markers once every neighbour is known:
//! 1. nested emphasis of one kind is flattened, adjacent runs of one kind are merged,
//!    whitespace moves outside the markers, empty emphasis goes, and bold wrapping exactly
//!    an italic (or the reverse) becomes `***`;
//! 2. each emphasis, innermost first, is checked: opener left-flanking, closer
//!    right-flanking, under both definitions of punctuation, and no marker touching another
//!    marker of the same character (runs would merge). One that fails moves punctuation at its
//!    edges outside the markers (`**李金泽**：政府`), the fewest characters that make it valid;
//! 3. where no placement is valid, the emphasis is dropped: its text stays, plain.
//!
//! Links and code spans are atoms: their syntax is never split and never moved.

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

mod place;

/// Emphasis kinds, as the writer marks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bold,
    Italic,
    Strike,
    /// Bold wrapping exactly an italic: one `***` run each side.
    BoldItalic,
}

impl Kind {
    fn marker(self) -> &'static str {
        match self {
            Kind::Bold => "**",
            Kind::Italic => "*",
            Kind::Strike => "~~",
            Kind::BoldItalic => "***",
        }
    }

    fn delimiter(self) -> char {
        match self {
            Kind::Strike => '~',
            _ => '*',
        }
    }

    /// The reserved characters that mark where this emphasis opens and closes in a buffer.
    pub fn sentinels(self) -> (char, char) {
        match self {
            Kind::Bold => ('\u{FDD0}', '\u{FDD1}'),
            Kind::Italic | Kind::BoldItalic => ('\u{FDD2}', '\u{FDD3}'),
            Kind::Strike => ('\u{FDD4}', '\u{FDD5}'),
        }
    }

    fn opened_by(c: char) -> Option<Kind> {
        [Kind::Bold, Kind::Italic, Kind::Strike]
            .into_iter()
            .find(|k| k.sentinels().0 == c)
    }

    fn closed_by(c: char) -> Option<Kind> {
        [Kind::Bold, Kind::Italic, Kind::Strike]
            .into_iter()
            .find(|k| k.sentinels().1 == c)
    }
}

/// Around a link or code span: its text is final Markdown, kept whole.
pub const ATOM_OPEN: char = '\u{FDD6}';
pub const ATOM_CLOSE: char = '\u{FDD7}';

/// Characters reserved for the markers above (Unicode noncharacters: never text).
pub fn is_reserved(c: char) -> bool {
    ('\u{FDD0}'..='\u{FDEF}').contains(&c)
}

/// Whether `c` opens an emphasis marker (a line that starts with one still starts with the
/// text after it, for block-marker escaping).
pub fn is_opener(c: char) -> bool {
    Kind::opened_by(c).is_some()
}

/// Replaces the markers in `s` with Markdown emphasis that renders as emphasis, or with
/// nothing. `before` and `after` are the characters around `s` in the final text (`None`: the
/// start or end of a line).
pub fn resolve(s: &str, before: Option<char>, after: Option<char>) -> String {
    if !s.chars().any(is_reserved) {
        return s.to_owned();
    }
    let nodes = normalize(parse(s), &[]);
    let context = (
        before.map_or(Class::Space, class),
        after.map_or(Class::Space, class),
    );
    place::Placer::new(nodes, context).place()
}

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Atom(String),
    Emph(Kind, Vec<Node>),
}

fn parse(s: &str) -> Vec<Node> {
    let mut stack: Vec<(Option<Kind>, Vec<Node>)> = vec![(None, Vec::new())];
    let mut text = String::new();
    let flush = |text: &mut String, nodes: &mut Vec<Node>| {
        if !text.is_empty() {
            nodes.push(Node::Text(std::mem::take(text)));
        }
    };
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        let top = &mut stack.last_mut().expect("the root stays").1;
        if c == ATOM_OPEN {
            flush(&mut text, top);
            let mut atom = String::new();
            let mut depth = 1;
            for c in chars.by_ref() {
                match c {
                    ATOM_OPEN => depth += 1,
                    ATOM_CLOSE => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    c if is_reserved(c) => {}
                    c => atom.push(c),
                }
            }
            top.push(Node::Atom(atom));
        } else if let Some(kind) = Kind::opened_by(c) {
            flush(&mut text, top);
            stack.push((Some(kind), Vec::new()));
        } else if let Some(kind) = Kind::closed_by(c) {
            flush(&mut text, top);
            if stack.len() > 1 && stack.last().is_some_and(|(k, _)| *k == Some(kind)) {
                let (_, children) = stack.pop().expect("checked");
                let parent = &mut stack.last_mut().expect("the root stays").1;
                parent.push(Node::Emph(kind, children));
            }
        } else if !is_reserved(c) {
            text.push(c);
        }
    }
    flush(&mut text, &mut stack.last_mut().expect("the root stays").1);
    // Unclosed emphasis (never written by the writer): its content stays, unmarked.
    while stack.len() > 1 {
        let (_, children) = stack.pop().expect("checked");
        stack.last_mut().expect("the root stays").1.extend(children);
    }
    stack.pop().map(|(_, n)| n).unwrap_or_default()
}

/// Step 1 of the module doc, on one level of nodes (`inside`: the kinds around it).
fn normalize(nodes: Vec<Node>, inside: &[Kind]) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    for node in nodes {
        match node {
            Node::Emph(kind, children) if inside.contains(&kind) => {
                out.extend(normalize(children, inside));
            }
            Node::Emph(kind, children) => {
                let inner: Vec<Kind> = inside.iter().copied().chain([kind]).collect();
                let children = normalize(children, &inner);
                let (lead, children, trail) = split_edge_space(children);
                push(&mut out, Node::Text(lead));
                if children.iter().any(visible) {
                    push(&mut out, combine(kind, children));
                } else {
                    for c in children {
                        push(&mut out, c);
                    }
                }
                push(&mut out, Node::Text(trail));
            }
            other => push(&mut out, other),
        }
    }
    out
}

/// Appends a node, merging it into the previous one when both are text, or both emphasis of
/// the same kind (two bold runs back to back are one).
fn push(out: &mut Vec<Node>, node: Node) {
    match (out.last_mut(), node) {
        (_, Node::Text(t)) if t.is_empty() => {}
        (Some(Node::Text(prev)), Node::Text(t)) => prev.push_str(&t),
        (Some(Node::Emph(pk, prev)), Node::Emph(k, children)) if *pk == k => {
            for c in children {
                push(prev, c);
            }
        }
        (_, node) => out.push(node),
    }
}

/// `**` around exactly one `*` (or the reverse) is the single `***` run renderers expect.
fn combine(kind: Kind, mut children: Vec<Node>) -> Node {
    if let [Node::Emph(inner, _)] = children.as_slice() {
        let pair = [kind, *inner];
        if pair == [Kind::Bold, Kind::Italic] || pair == [Kind::Italic, Kind::Bold] {
            let Some(Node::Emph(_, grandchildren)) = children.pop() else {
                unreachable!("matched above")
            };
            return Node::Emph(Kind::BoldItalic, grandchildren);
        }
    }
    Node::Emph(kind, children)
}

fn visible(node: &Node) -> bool {
    match node {
        Node::Text(t) => !t.trim().is_empty(),
        Node::Atom(_) | Node::Emph(..) => true,
    }
}

/// Takes the whitespace at both ends of an emphasis's content out of it.
fn split_edge_space(mut children: Vec<Node>) -> (String, Vec<Node>, String) {
    let mut lead = String::new();
    let mut trail = String::new();
    if let Some(Node::Text(t)) = children.first_mut() {
        let kept = t.trim_start().len();
        lead = t[..t.len() - kept].to_owned();
        *t = t[t.len() - kept..].to_owned();
    }
    if let Some(Node::Text(t)) = children.last_mut() {
        let kept = t.trim_end().len();
        trail = t[kept..].to_owned();
        t.truncate(kept);
    }
    children.retain(|c| !matches!(c, Node::Text(t) if t.is_empty()));
    (lead, children, trail)
}

/// What the flanking rules see of a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Space,
    Punct,
    /// A non-ASCII symbol: punctuation for CommonMark 0.31, not for 0.30.
    Symbol,
    Other,
}

fn class(c: char) -> Class {
    if c.is_whitespace() {
        Class::Space
    } else if c.is_ascii_punctuation() {
        Class::Punct
    } else if c.is_ascii() {
        Class::Other
    } else {
        match c.general_category_group() {
            GeneralCategoryGroup::Punctuation => Class::Punct,
            GeneralCategoryGroup::Symbol => Class::Symbol,
            GeneralCategoryGroup::Separator => Class::Space,
            _ => Class::Other,
        }
    }
}

/// Left-flanking (can open) under both readings of symbols.
fn left_flanking(before: Class, after: Class) -> bool {
    READINGS
        .iter()
        .all(|&r| left(reading(before, r), reading(after, r)))
}

/// Right-flanking (can close) under both readings of symbols.
fn right_flanking(before: Class, after: Class) -> bool {
    READINGS
        .iter()
        .all(|&r| right(reading(before, r), reading(after, r)))
}

/// Whether a symbol counts as punctuation: no (CommonMark 0.30, goldmark), yes (0.31).
const READINGS: [bool; 2] = [false, true];

/// CommonMark's left-flanking rule, on classes already read as space, punctuation or other.
fn left(b: Class, a: Class) -> bool {
    a != Class::Space && (a != Class::Punct || matches!(b, Class::Space | Class::Punct))
}

fn right(b: Class, a: Class) -> bool {
    b != Class::Space && (b != Class::Punct || matches!(a, Class::Space | Class::Punct))
}

fn reading(c: Class, symbol_is_punct: bool) -> Class {
    match (c, symbol_is_punct) {
        (Class::Symbol, true) => Class::Punct,
        (Class::Symbol, false) => Class::Other,
        (c, _) => c,
    }
}

#[cfg(test)]
mod tests;
