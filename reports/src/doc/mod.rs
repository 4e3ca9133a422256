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

/// The steps of a path drawn when at most `max` are: `Some(i)` for a step, `None` once where the
/// left-out middle goes.
pub fn path_steps(n: usize, max: Option<usize>) -> Vec<Option<usize>> {
    match max {
        Some(max) if n > max => {
            let head = max / 2;
            let tail = max - head;
            let mut v: Vec<Option<usize>> = (0..head).map(Some).collect();
            v.push(None);
            v.extend((n - tail..n).map(Some));
            v
        }
        _ => (0..n).map(Some).collect(),
    }
}
