//! Steps 2 and 3 of [`super`]: the paragraph as a flat list of text units and markers, each
//! emphasis checked against its neighbours, fixed by moving edge punctuation out, or dropped.
//!
//! The cost stays linear in practice on any input: a marker's validity depends only on its
//! nearest live neighbours, so a worklist re-checks just the emphases next to one that
//! changed; a dropped emphasis's markers stay in place, dead and invisible, instead of being
//! removed from the middle of the list; and at most [`MAX_MOVE`] units move per side.
use super::{Class, Kind, Node, class, left_flanking, right_flanking};
use std::collections::VecDeque;
use unicode_properties::UnicodeGeneralCategory;

/// Units of punctuation or whitespace moved out of one side of an emphasis at most.
const MAX_MOVE: usize = 4;

/// A piece of the flattened paragraph.
#[derive(Debug, Clone)]
enum Tok {
    /// One unit of text: a character, or (`true`) that character escaped with a backslash,
    /// which reads as punctuation.
    Text(char, bool),
    Atom(String),
    Mark {
        id: usize,
        open: bool,
    },
}

impl Tok {
    /// Text that may move outside a marker: punctuation, symbols, whitespace.
    fn movable(&self) -> bool {
        matches!(self, Tok::Text(c, escaped) if *escaped || class(*c) != Class::Other)
    }

    /// An opening (`opening`) or closing quote or bracket.
    fn pairs(&self, opening: bool) -> bool {
        use unicode_properties::GeneralCategory as G;
        let &Tok::Text(c, false) = self else {
            return false;
        };
        match (c.general_category(), opening) {
            (G::OpenPunctuation | G::InitialPunctuation, true) => true,
            (G::ClosePunctuation | G::FinalPunctuation, false) => true,
            _ => c == '"' || c == '\'',
        }
    }
}

pub(super) struct Placer {
    toks: Vec<Tok>,
    /// Each emphasis's kind by id; `None` once dropped.
    kinds: Vec<Option<Kind>>,
    /// Each emphasis's opener and closer index in `toks`.
    pos: Vec<[usize; 2]>,
    /// Text units inside each emphasis (nested ones' included), less those moved out.
    inside: Vec<usize>,
    before: Class,
    after: Class,
}

impl Placer {
    pub(super) fn new(nodes: Vec<Node>, (before, after): (Class, Class)) -> Placer {
        let mut p = Placer {
            toks: Vec::new(),
            kinds: Vec::new(),
            pos: Vec::new(),
            inside: Vec::new(),
            before,
            after,
        };
        p.flatten(nodes);
        p
    }

    /// Appends the tokens of `nodes`; ids are given innermost first (an emphasis after its
    /// content).
    fn flatten(&mut self, nodes: Vec<Node>) {
        for node in nodes {
            match node {
                Node::Text(t) => {
                    let mut chars = t.chars().peekable();
                    while let Some(c) = chars.next() {
                        if c == '\\'
                            && let Some(&n) = chars.peek()
                            && n.is_ascii_punctuation()
                        {
                            chars.next();
                            self.toks.push(Tok::Text(n, true));
                        } else {
                            self.toks.push(Tok::Text(c, false));
                        }
                    }
                }
                Node::Atom(a) => self.toks.push(Tok::Atom(a)),
                Node::Emph(kind, children) => {
                    let open = self.toks.len();
                    self.toks.push(Tok::Mark { id: 0, open: true });
                    self.flatten(children);
                    let id = self.kinds.len();
                    self.toks[open] = Tok::Mark { id, open: true };
                    let units = self.toks[open..]
                        .iter()
                        .filter(|t| !matches!(t, Tok::Mark { .. }))
                        .count();
                    self.kinds.push(Some(kind));
                    self.pos.push([open, self.toks.len()]);
                    self.inside.push(units);
                    self.toks.push(Tok::Mark { id, open: false });
                }
            }
        }
    }

    /// Fixes or drops every invalid emphasis, then writes the paragraph.
    pub(super) fn place(mut self) -> String {
        let mut work: VecDeque<usize> = (0..self.kinds.len()).collect();
        while let Some(id) = work.pop_front() {
            if self.kinds[id].is_none() || self.valid(id) {
                continue;
            }
            let before = self.pos[id];
            if !self.fix(id) {
                self.kinds[id] = None;
            }
            // Only the emphases next to this one's markers, before or after the change, can
            // have changed validity.
            for at in before.into_iter().chain(self.pos[id]) {
                work.extend(self.neighbour_ids(at));
            }
        }
        let mut out = String::new();
        for t in &self.toks {
            match t {
                Tok::Text(c, escaped) => {
                    if *escaped {
                        out.push('\\');
                    }
                    out.push(*c);
                }
                Tok::Atom(s) => out.push_str(s),
                Tok::Mark { id, .. } => out.push_str(self.kinds[*id].map_or("", Kind::marker)),
            }
        }
        out
    }

    fn live(&self, t: &Tok) -> bool {
        !matches!(t, Tok::Mark { id, .. } if self.kinds[*id].is_none())
    }

    /// The nearest live token before (or after) index `at`.
    fn prev(&self, at: usize) -> Option<&Tok> {
        self.toks[..at].iter().rev().find(|t| self.live(t))
    }

    fn next(&self, at: usize) -> Option<&Tok> {
        self.toks[at + 1..].iter().find(|t| self.live(t))
    }

    fn neighbour_ids(&self, at: usize) -> Vec<usize> {
        [self.prev(at), self.next(at)]
            .into_iter()
            .flatten()
            .filter_map(|t| match t {
                Tok::Mark { id, .. } => Some(*id),
                _ => None,
            })
            .collect()
    }

    fn first_class(&self, t: &Tok) -> Class {
        match t {
            // An escape starts with a backslash: punctuation.
            Tok::Text(_, true) => Class::Punct,
            Tok::Text(c, false) => class(*c),
            Tok::Atom(s) => s.chars().next().map_or(Class::Space, class),
            Tok::Mark { id, .. } => self.kinds[*id].map_or(Class::Space, |k| class(k.delimiter())),
        }
    }

    fn last_class(&self, t: &Tok) -> Class {
        match t {
            Tok::Text(c, _) => class(*c),
            Tok::Atom(s) => s.chars().next_back().map_or(Class::Space, class),
            Tok::Mark { .. } => self.first_class(t),
        }
    }

    fn delimiter(&self, t: &Tok) -> Option<char> {
        match t {
            Tok::Mark { id, .. } => self.kinds[*id].map(Kind::delimiter),
            _ => None,
        }
    }

    fn valid(&self, id: usize) -> bool {
        let [open, close] = self.pos[id];
        self.inside[id] > 0 && self.mark_ok(open, true) && self.mark_ok(close, false)
    }

    /// Whether the marker at `at` opens (or closes) as intended: flanking the right way, and
    /// not touching a marker of the same character. Touching markers form one run, and a run
    /// of three can pair with a marker inside it that could both open and close (`***a**b**c*`
    /// reads as `<em><strong>a</strong>b</em>`…); only `***` around exactly one span is safe,
    /// and that is one marker here ([`Kind::BoldItalic`]).
    fn mark_ok(&self, at: usize, open: bool) -> bool {
        let own = self.delimiter(&self.toks[at]);
        let (prev, next) = (self.prev(at), self.next(at));
        if prev.and_then(|t| self.delimiter(t)) == own
            || next.and_then(|t| self.delimiter(t)) == own
        {
            return false;
        }
        let before = prev.map_or(self.before, |t| self.last_class(t));
        let after = next.map_or(self.after, |t| self.first_class(t));
        if open {
            left_flanking(before, after)
        } else {
            right_flanking(before, after)
        }
    }

    /// Moves the fewest edge punctuation (and whitespace) units outside the markers that make
    /// the emphasis valid; false when no placement is.
    fn fix(&mut self, id: usize) -> bool {
        let [open, close] = self.pos[id];
        let lead = self.movable_units(open, 1);
        let trail = self.movable_units(close, -1);
        let mut tries: Vec<(usize, usize)> = (0..=lead)
            .flat_map(|l| (0..=trail).map(move |t| (l, t)))
            .filter(|&(l, t)| (l, t) != (0, 0) && l + t < self.inside[id])
            .collect();
        tries.sort_by_key(|&(l, t)| (l + t, t));
        let Some(&(l, t)) = tries.iter().find(|&&(l, t)| self.try_move(id, l, t)) else {
            return false;
        };
        // A quote or bracket moved out takes its partner along when that stays valid:
        // `“**很好**”`, not `**“很好**”`.
        let first = self.toks[open + 1..close].iter().find(|t| self.live(t));
        let last = self.toks[open + 1..close]
            .iter()
            .rev()
            .find(|t| self.live(t));
        let balanced = match (l, t) {
            (0, t) if first.is_some_and(|f| f.pairs(true)) => Some((1, t)),
            (l, 0) if last.is_some_and(|f| f.pairs(false)) => Some((l, 1)),
            _ => None,
        }
        .filter(|&(l, t)| l <= lead && t <= trail && l + t < self.inside[id]);
        let (l, t) = balanced
            .filter(|&(l, t)| self.try_move(id, l, t))
            .unwrap_or((l, t));
        self.shift(id, 0, l, 1);
        self.shift(id, 1, t, -1);
        true
    }

    /// How many text units (up to [`MAX_MOVE`]) next to the marker at `at`, inside the
    /// emphasis (`step` 1 after an opener, -1 before a closer), may move out.
    fn movable_units(&self, at: usize, step: isize) -> usize {
        let mut n = 0;
        let mut i = at;
        while n < MAX_MOVE {
            i = i.wrapping_add_signed(step);
            match self.toks.get(i) {
                Some(t) if !self.live(t) => {}
                Some(t) if t.movable() => n += 1,
                _ => break,
            }
        }
        n
    }

    /// Whether moving the opener `l` units right and the closer `t` left makes the emphasis
    /// valid (the move is undone).
    fn try_move(&mut self, id: usize, l: usize, t: usize) -> bool {
        self.shift(id, 0, l, 1);
        self.shift(id, 1, t, -1);
        let ok = self.valid(id);
        self.shift(id, 0, l, -1);
        self.shift(id, 1, t, 1);
        ok
    }

    /// Moves marker `side` (0 opener, 1 closer) of `id` across `units` text units in
    /// direction `step`, stepping over dead markers.
    fn shift(&mut self, id: usize, side: usize, units: usize, step: isize) {
        let inward = (side == 0) == (step > 0);
        let mut at = self.pos[id][side];
        let mut crossed = 0;
        while crossed < units {
            let to = at.wrapping_add_signed(step);
            if !matches!(self.toks[to], Tok::Mark { .. }) {
                crossed += 1;
            } else if let Tok::Mark { id: other, open } = self.toks[to] {
                self.pos[other][usize::from(!open)] = at;
            }
            self.toks.swap(at, to);
            at = to;
        }
        self.pos[id][side] = at;
        self.inside[id] = if inward {
            self.inside[id] - units
        } else {
            self.inside[id] + units
        };
    }
}
