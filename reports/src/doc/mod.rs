//! The format-neutral document every renderer draws.
//!
//! A view ([`crate::view`]) turns a model (an analysis [`crate::Report`], a
//! [`crate::overtime::DiffReport`] or [`crate::overtime::TrendReport`]) into a [`Document`]: a
//! list of [`Block`]s — headings, paragraphs of styled [`Span`]s, lists, tables of typed
//! [`Cell`]s, paths from a GC root, the collapsible dominator tree, and groups that HTML wraps in
//! an element. The renderers in [`crate::render`] ([`crate::render::text::draw`],
//! [`crate::render::markdown::draw`], [`crate::render::html::draw`]) each lay out any document
//! in their own form; they know nothing of the models, and the views know nothing of escaping,
//! ANSI codes or HTML.

pub mod bars;
pub mod chart;
pub mod icicle;

pub use bars::{Bar, Bars};
pub use chart::Chart;
pub use icicle::Icicle;

use crate::model::{PathElem, TreeItem};

/// A whole document: blocks in reading order, and the title of the page that holds it (HTML).
#[derive(Clone, Debug, Default)]
pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
    /// Markdown: a list that ends the document is followed by a blank line too, as every other
    /// block is.
    pub closing_blank_line: bool,
}

/// One block of a document.
#[derive(Clone, Debug)]
pub enum Block {
    /// Level 1 is the document's own heading; sections are 2 and below. `aside` follows the
    /// text as is (the terminal upper-cases the text, not the aside). `id` is an HTML anchor.
    Heading {
        level: u8,
        spans: Vec<Span>,
        aside: Option<String>,
        id: Option<&'static str>,
    },
    /// A paragraph. `class` and `id` are HTML's; `indent` is the terminal's.
    Para {
        spans: Vec<Span>,
        class: Option<&'static str>,
        id: Option<&'static str>,
        indent: usize,
    },
    /// A bulleted list, one item a line.
    List(Vec<Vec<Span>>),
    Table(Table),
    /// A path from a GC root (or a stack, outermost frame first): the first step is the root.
    Path(Path),
    /// The top of the dominator tree in preorder (depth per item).
    /// The dominator tree's preorder items, their sizes in `Unit`.
    Tree(Vec<TreeItem>, heapscope_graph::Unit),
    /// Blocks that belong together: HTML wraps them in an element, the other forms draw them
    /// one after the other.
    Group {
        kind: GroupKind,
        class: Option<String>,
        id: Option<String>,
        blocks: Vec<Block>,
    },
    /// A chart of series ([`chart`]): SVG in HTML, sparklines elsewhere.
    Chart(Chart),
    /// Signed bars ([`bars`]): SVG in HTML, text bars elsewhere.
    Bars(Bars),
    /// A retention flame graph ([`icicle`]): SVG in HTML, left out elsewhere.
    Icicle(Icicle),
    /// An empty line (terminal only).
    Spacer,
}

/// The element that holds a [`Block::Group`] in HTML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupKind {
    Header,
    Section,
    Div,
}

/// Inline text.
#[derive(Clone, Debug)]
pub enum Span {
    /// Text from the model (escaped as each form needs).
    Text(String),
    /// A number, size or rank as printed (`#1`, `1.5 MiB`): nothing to escape.
    Figure(String),
    /// Code: a type name, a holder; HTML may give the element a class.
    Code {
        text: String,
        class: Option<&'static str>,
    },
    /// Spans with a tone.
    Styled(Tone, Vec<Span>),
}

/// How styled spans look: emphasis in every form, colours on a terminal, classes in HTML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Strong,
    Emphasis,
    /// Bad news (a suspect's title): red on a terminal.
    Alert,
    /// A named pattern: yellow on a terminal.
    Caution,
    /// Less important: dim on a terminal.
    Muted,
    /// Good news: green on a terminal.
    Good,
    /// An HTML class only (`meta`, `badge pattern`, `via`…); plain elsewhere.
    Class(&'static str),
}

/// A table: typed cells so that each form prints and sorts them its own way.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// The header row is drawn (Markdown and HTML always draw it).
    pub header: bool,
    /// HTML: click-to-sort headers.
    pub sortable: bool,
    /// Rows drawn at most; a note says how many more there are.
    pub cap: Option<usize>,
    /// HTML: the table's id.
    pub id: Option<&'static str>,
    /// Terminal: spaces before each line.
    pub indent: usize,
}

/// One column: numeric columns are right-aligned.
#[derive(Clone, Debug)]
pub struct Column {
    pub header: String,
    pub numeric: bool,
    /// Terminal: the column's width.
    pub width: Width,
    /// Terminal: what separates it from the column before.
    pub sep: &'static str,
}

/// A column's width on a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// As wide as its widest cell or header.
    Auto,
    /// At least this wide (a longer cell overflows its row only).
    Min(usize),
}

impl Column {
    /// A column as wide as its content, two spaces from the one before.
    pub fn auto(header: &str, numeric: bool) -> Column {
        Column {
            header: header.to_string(),
            numeric,
            width: Width::Auto,
            sep: "  ",
        }
    }
    /// A column at least `width` wide, `sep` from the one before.
    pub fn fixed(header: &str, numeric: bool, width: usize, sep: &'static str) -> Column {
        Column {
            header: header.to_string(),
            numeric,
            width: Width::Min(width),
            sep,
        }
    }
}

/// A typed table cell.
#[derive(Clone, Debug)]
pub enum Cell {
    Text(String),
    /// A dump's object id.
    Id(String),
    /// A type name, with a value preview when the format has one (a String's text).
    Type {
        name: String,
        value: Option<String>,
    },
    Count(u64),
    Bytes(u64),
    /// A share of the heap, 0 to 1.
    Share(f64),
    /// A change: `+1,200`, `-3`, `0`.
    SignedCount(i64),
    /// A change in bytes: `+1.5 MiB`, `-16 B`, `0 B`.
    SignedBytes(i64),
}

/// A path drawn step by step; the label says what it is.
#[derive(Clone, Debug)]
pub struct Path {
    pub label: String,
    pub steps: Vec<PathElem>,
    /// HTML and Markdown: shown expanded.
    pub open: bool,
    /// Steps drawn at most: the middle of a longer path is left out (the head and tail stay).
    pub max_steps: Option<usize>,
    /// Terminal: spaces before the label (the steps get two more).
    pub indent: usize,
    /// What the steps' retained values measure (bytes; a profile's count or delay).
    pub unit: heapscope_graph::Unit,
}

impl Block {
    pub fn heading(level: u8, text: impl Into<String>) -> Block {
        Block::Heading {
            level,
            spans: vec![Span::Text(text.into())],
            aside: None,
            id: None,
        }
    }
    pub fn para(spans: Vec<Span>) -> Block {
        Block::Para {
            spans,
            class: None,
            id: None,
            indent: 0,
        }
    }
    pub fn text(s: impl Into<String>) -> Block {
        Block::para(vec![Span::Text(s.into())])
    }
}

impl Span {
    pub fn text(s: impl Into<String>) -> Span {
        Span::Text(s.into())
    }
    pub fn figure(s: impl Into<String>) -> Span {
        Span::Figure(s.into())
    }
    pub fn code(s: impl Into<String>) -> Span {
        Span::Code {
            text: s.into(),
            class: None,
        }
    }
    pub fn styled(tone: Tone, s: impl Into<String>) -> Span {
        Span::Styled(tone, vec![Span::Text(s.into())])
    }
    /// The text without any styling.
    pub fn plain(spans: &[Span]) -> String {
        let mut o = String::new();
        for s in spans {
            match s {
                Span::Text(t) | Span::Figure(t) | Span::Code { text: t, .. } => o.push_str(t),
                Span::Styled(_, inner) => o.push_str(&Span::plain(inner)),
            }
        }
        o
    }
}

/// One line of a drawn path (see [`path_lines`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathLine {
    /// Step `i`, drawn.
    Step(usize),
    /// `times` steps alike to step `like` (same type, same reference, same strength) left out
    /// between it and the run's last step: a recursion in a call path, a linked list's `next`
    /// chain in an object path.
    Same { like: usize, times: usize },
    /// `steps` steps left out in the middle of a path longer than its view draws.
    LeftOut { steps: usize },
}

/// Runs of alike steps (same type, same reference name, same strength) at least this long are
/// drawn as their first and last step with the count between.
pub const SAME_RUN: usize = 4;

/// The lines of a path as a view draws it: a run of [`SAME_RUN`] or more alike steps after the
/// root keeps its first and last step with [`PathLine::Same`] between; then, when more than
/// `max` lines are left, the head and tail lines with [`PathLine::LeftOut`] once for the middle.
/// The JSON keeps every step; only views shorten.
pub fn path_lines(steps: &[PathElem], max: Option<usize>) -> Vec<PathLine> {
    let alike = |a: &PathElem, b: &PathElem| {
        a.type_name == b.type_name && a.via == b.via && a.weak == b.weak
    };
    let n = steps.len();
    let mut lines = Vec::with_capacity(n.min(1024));
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        if i > 0 {
            while j < n && alike(&steps[j], &steps[i]) {
                j += 1;
            }
        }
        if j - i >= SAME_RUN {
            lines.push(PathLine::Step(i));
            lines.push(PathLine::Same {
                like: i,
                times: j - i - 2,
            });
            lines.push(PathLine::Step(j - 1));
        } else {
            lines.extend((i..j).map(PathLine::Step));
        }
        i = j;
    }
    match max {
        Some(max) if lines.len() > max => {
            let head = max / 2;
            // The tail never starts with a run's count: its first step would be left out.
            let mut tail_start = lines.len() - (max - head);
            if matches!(lines[tail_start], PathLine::Same { .. }) {
                tail_start += 1;
            }
            let covered = |l: &PathLine| match *l {
                PathLine::Step(_) => 1,
                PathLine::Same { times, .. } => times,
                PathLine::LeftOut { steps } => steps,
            };
            let steps: usize = lines[head..tail_start].iter().map(covered).sum();
            let mut v = lines[..head].to_vec();
            v.push(PathLine::LeftOut { steps });
            v.extend_from_slice(&lines[tail_start..]);
            v
        }
        _ => lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(t: &str, via: Option<&str>, weak: bool) -> PathElem {
        PathElem {
            id: String::new(),
            type_name: t.to_string(),
            via: via.map(str::to_string),
            root_kind: None,
            weak,
            retained_bytes: None,
        }
    }

    /// The steps a drawn path stands for, in order, each with the line that drew or left it out;
    /// checks along the way what each kind of line promises.
    fn expand(steps: &[PathElem], lines: &[PathLine]) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for (k, l) in lines.iter().enumerate() {
            let next = out.last().map_or(0, |&i| i + 1);
            match *l {
                PathLine::Step(i) => {
                    assert_eq!(i, next, "steps drawn in order, none skipped silently");
                    out.push(i);
                }
                PathLine::Same { like, times } => {
                    assert_eq!(
                        lines[k - 1],
                        PathLine::Step(like),
                        "after the run's first step"
                    );
                    assert!(times >= SAME_RUN - 2);
                    for i in next..next + times {
                        let (a, b) = (&steps[i], &steps[like]);
                        assert!(a.type_name == b.type_name && a.via == b.via && a.weak == b.weak);
                        out.push(i);
                    }
                }
                PathLine::LeftOut { steps: left } => out.extend(next..next + left),
            }
        }
        out
    }

    /// The lines a naive reading of the rule gives when no `max` applies: every maximal run of
    /// alike steps after the root, of at least SAME_RUN, as first, count, last.
    fn naive(steps: &[PathElem]) -> Vec<PathLine> {
        let key = |e: &PathElem| (e.type_name.clone(), e.via.clone(), e.weak);
        let mut runs: Vec<(usize, usize)> = Vec::new(); // (start, len)
        for i in 0..steps.len() {
            match runs.last_mut() {
                Some((s, len)) if i > 1 && *s > 0 && key(&steps[*s]) == key(&steps[i]) => *len += 1,
                _ => runs.push((i, 1)),
            }
        }
        let mut v = Vec::new();
        for (s, len) in runs {
            if len >= SAME_RUN {
                v.push(PathLine::Step(s));
                v.push(PathLine::Same {
                    like: s,
                    times: len - 2,
                });
                v.push(PathLine::Step(s + len - 1));
            } else {
                v.extend((s..s + len).map(PathLine::Step));
            }
        }
        v
    }

    #[test]
    fn a_recursion_is_drawn_as_its_first_and_last_step_with_the_count_between() {
        let mut steps = vec![step("main.main", None, false)];
        steps.extend((0..31).map(|_| step("main.grow", None, false)));
        steps.push(step("runtime.mallocgc", None, false));
        let lines = path_lines(&steps, Some(48));
        assert_eq!(
            lines,
            vec![
                PathLine::Step(0),
                PathLine::Step(1),
                PathLine::Same { like: 1, times: 29 },
                PathLine::Step(31),
                PathLine::Step(32),
            ]
        );
        // Three alike steps, or a weak one among strong ones, stay as they are.
        let short: Vec<PathElem> = ["a", "b", "b", "b", "c"]
            .iter()
            .map(|t| step(t, Some("next"), false))
            .collect();
        assert_eq!(
            path_lines(&short, None),
            (0..5).map(PathLine::Step).collect::<Vec<_>>()
        );
        let mut mixed = short.clone();
        mixed.insert(2, step("b", Some("next"), true));
        assert_eq!(
            path_lines(&mixed, None),
            (0..6).map(PathLine::Step).collect::<Vec<_>>()
        );
    }

    #[test]
    fn lines_stand_for_every_step_and_follow_the_naive_rule() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let names = ["a", "b", "c"];
        let vias = [None, Some("next"), Some("[0]")];
        for round in 0..2000 {
            let n = next(120) as usize;
            let mut steps = Vec::new();
            while steps.len() < n {
                let e = step(
                    names[next(3) as usize],
                    vias[next(3) as usize],
                    next(8) == 0,
                );
                for _ in 0..=next(if round % 2 == 0 { 3 } else { 40 }) {
                    steps.push(e.clone());
                }
            }
            steps.truncate(n);
            let all = path_lines(&steps, None);
            assert_eq!(all, naive(&steps), "round {round}");
            assert_eq!(expand(&steps, &all), (0..n).collect::<Vec<_>>());
            let max = 2 + next(50) as usize;
            let capped = path_lines(&steps, Some(max));
            assert!(
                capped.len() <= max + 1,
                "round {round}: {} lines for max {max}",
                capped.len()
            );
            assert_eq!(
                expand(&steps, &capped),
                (0..n).collect::<Vec<_>>(),
                "round {round}"
            );
            if all.len() <= max {
                assert_eq!(capped, all);
            } else {
                let head = max / 2;
                assert_eq!(capped[..head], all[..head]);
                let tail = &capped[head + 1..];
                assert_eq!(tail, &all[all.len() - tail.len()..]);
                assert!(
                    tail.len() + 1 >= max - head,
                    "round {round}: the tail lost at most a count"
                );
            }
        }
    }

    #[test]
    fn without_alike_runs_a_capped_path_leaves_out_what_it_always_did() {
        let steps: Vec<PathElem> = (0..100)
            .map(|i| step(&format!("T{i}"), None, false))
            .collect();
        let lines = path_lines(&steps, Some(48));
        assert_eq!(lines.len(), 49);
        assert_eq!(lines[24], PathLine::LeftOut { steps: 52 });
        assert_eq!(lines[23], PathLine::Step(23));
        assert_eq!(lines[25], PathLine::Step(76));
    }
}
