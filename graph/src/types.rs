//! Typed indices and the interner used for type names, edge labels and root kinds.

use std::collections::HashMap;

/// Dense index of a node in a [`crate::HeapGraph`] (0..n).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeIdx(pub u32);

impl NodeIdx {
    #[inline]
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

/// Index into the type table ([`crate::HeapGraph::types`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(pub u32);

/// Index into the label table ([`crate::HeapGraph::labels`]). Id 0 is the empty label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelId(pub u32);

/// What kind of thing a node is. The meaning is shared by all formats; parsers pick the
/// closest one. Reports use it to tell classes, arrays and call-tree frames apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum NodeKind {
    Object = 0,
    ObjectArray = 1,
    PrimitiveArray = 2,
    Class = 3,
    String = 4,
    Closure = 5,
    Code = 6,
    Hidden = 7,
    Native = 8,
    Synthetic = 9,
    /// A call-tree node of an allocation profile (pprof, tracemalloc).
    Frame = 10,
    Other = 11,
}

impl NodeKind {
    pub fn from_u8(v: u8) -> NodeKind {
        use NodeKind::*;
        match v {
            0 => Object,
            1 => ObjectArray,
            2 => PrimitiveArray,
            3 => Class,
            4 => String,
            5 => Closure,
            6 => Code,
            7 => Hidden,
            8 => Native,
            9 => Synthetic,
            10 => Frame,
            _ => Other,
        }
    }
}

/// Edge label as stored in the graph: 0 = none, high bit set = array index (low 31 bits,
/// saturating), otherwise a [`LabelId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    None,
    Name(LabelId),
    Index(u32),
}

pub(crate) const INDEX_BIT: u32 = 1 << 31;

impl Label {
    #[inline]
    pub fn encode(self) -> u32 {
        match self {
            Label::None => 0,
            Label::Name(l) => l.0 & !INDEX_BIT,
            Label::Index(i) => INDEX_BIT | i.min(INDEX_BIT - 1),
        }
    }
    #[inline]
    pub fn decode(v: u32) -> Label {
        if v == 0 {
            Label::None
        } else if v & INDEX_BIT != 0 {
            Label::Index(v & !INDEX_BIT)
        } else {
            Label::Name(LabelId(v))
        }
    }
}

/// A string interner: each distinct string once, ids dense from 0 in first-seen order.
#[derive(Default, Clone, Debug)]
pub struct Interner {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.into());
        self.index.insert(s.into(), i);
        i
    }
    pub fn get(&self, id: u32) -> &str {
        self.names.get(id as usize).map(|s| &**s).unwrap_or("?")
    }
    pub fn lookup(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        self.names.iter().enumerate().map(|(i, s)| (i as u32, &**s))
    }
}
