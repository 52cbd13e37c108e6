//! Nesting without recursion: containers wait on an explicit stack while their elements are
//! read, so depth costs heap (bounded by `max_depth`), never call stack.
//!
//! `{bert, dict, [{K, V}...]}`, the shape of every message frame and head, is read straight
//! into pairs when the builder wants dicts; an entry that is not a 2-tuple turns the frame
//! back into the generic tuple-and-list it is, so the result never differs from the slow path.

use super::super::error::DecodeErrorKind as Kind;
use super::super::tag;
use super::cursor::{Decoder, Result};
use super::Build;

/// `dict` as ATOM_EXT, after `bert` in a dict's header.
const DICT_ATOM: [u8; 7] = [tag::ATOM, 0, 4, b'd', b'i', b'c', b't'];

/// Length of `bert, dict, ` after the SMALL_TUPLE 3 header.
const BERT_DICT_ATOMS: usize = tag::BERT_ATOM.len() + DICT_ATOM.len();

enum Shape {
    List,
    Tuple,
    Map,
}

/// A container whose elements are being read.
enum Open<B> {
    /// A list, tuple or map (keys and values alternate in `items`).
    Items {
        shape: Shape,
        items: Vec<B>,
        left: usize,
    },
    /// The entries of `{bert, dict, [...]}`: two wire levels, the tuple and its list.
    Dict {
        pairs: Vec<(B, B)>,
        left: usize,
        /// False for `{bert, dict, []}` written with NIL, which has no list to close.
        has_list: bool,
    },
    /// One `{K, V}` entry of a dict.
    Pair { key: Option<B> },
}

/// Elements a container reserves room for before they arrive. A count read from the input
/// is checked against the bytes that remain, but nested containers each claim those same bytes:
/// reserving every claim at once would let a small frame reserve its size times its depth.
/// Past this many, a container grows as its elements really arrive.
pub(super) const RESERVE_AHEAD: usize = 64;

/// Room to reserve for `count` claimed elements.
fn reserve_for(count: usize) -> usize {
    count.min(RESERVE_AHEAD)
}

impl<B> Open<B> {
    fn items(shape: Shape, count: usize, left: usize) -> Self {
        Open::Items {
            shape,
            items: Vec::with_capacity(reserve_for(count)),
            left,
        }
    }

    /// Nesting levels this container adds on the wire.
    fn levels(&self) -> usize {
        match self {
            Open::Dict { has_list: true, .. } => 2,
            _ => 1,
        }
    }

    fn is_full(&self) -> bool {
        match self {
            Open::Items { left, .. } | Open::Dict { left, .. } => *left == 0,
            Open::Pair { .. } => false,
        }
    }
}

enum Start<B> {
    Leaf(B),
    /// A whole term one tuple deep on the wire, read in one go: `{bert, nil}` and the like.
    Tuple(B),
    Open(Open<B>),
}

/// The open containers and the wire depth they add up to.
struct Stack<B> {
    open: Vec<Open<B>>,
    depth: usize,
}

impl<'a> Decoder<'a> {
    /// Reads one whole term.
    pub(super) fn term<B: Build>(&mut self) -> Result<B> {
        // Empty until a container opens: a leaf (a task's integer result, a message's
        // binary body) is read without allocating.
        let mut stack = Stack {
            open: Vec::new(),
            depth: 0,
        };
        loop {
            if let Some(Open::Dict { .. }) = stack.open.last() {
                self.dict_entry(&mut stack)?;
                continue;
            }
            let at = self.pos;
            let done = match self.start(at)? {
                Start::Leaf(term) => term,
                Start::Tuple(term) => {
                    if stack.depth >= self.max_depth {
                        let max = self.max_depth;
                        return self.fail(at, Kind::TooDeep { max });
                    }
                    term
                }
                Start::Open(container) => {
                    self.enter(&mut stack, &container, at)?;
                    if !container.is_full() {
                        stack.open.push(container);
                        continue;
                    }
                    stack.depth -= container.levels();
                    self.close(container)?
                }
            };
            if let Some(term) = self.hand_up(&mut stack, done)? {
                return Ok(term);
            }
        }
    }

    /// Reads `{bert, dict, [{K, V}...]}` whose keys and values are all leaves (binaries,
    /// integers, atoms, floats: a message head, almost always) without the stack of open
    /// containers `term` keeps, which costs more than such a dict itself. Claims what `term`
    /// would claim, in the same order; anything else (a nested value, a limit reached, an
    /// error) gives `None` with nothing consumed, for `term` to read (and word) instead.
    pub(super) fn flat_dict<B: Build>(&mut self) -> Option<B> {
        let mark = self.mark();
        match self.try_flat_dict() {
            Ok(Some(dict)) => Some(dict),
            _ => {
                self.rewind(mark);
                None
            }
        }
    }

    fn try_flat_dict<B: Build>(&mut self) -> Result<Option<B>> {
        // The dict's tuple and list and each entry's tuple, within the depth limit.
        let at = self.pos;
        let rest = self.input_rest();
        if !B::READS_BERT
            || self.max_depth < 3
            || rest.len() < 2
            || rest[0] != tag::SMALL_TUPLE
            || rest[1] != 3
        {
            return Ok(None);
        }
        self.pos += 2;
        self.claim("tuple", 3, 1, at)?;
        let Some(Open::Dict {
            mut pairs,
            left,
            has_list,
        }) = self.bert_dict_header::<B>()?
        else {
            return Ok(None);
        };
        for _ in 0..left {
            let at = self.pos;
            let rest = self.input_rest();
            if rest.len() < 2 || rest[0] != tag::SMALL_TUPLE || rest[1] != 2 {
                return Ok(None);
            }
            self.pos += 2;
            self.claim("tuple", 2, 1, at)?;
            let Start::Leaf(key) = self.start::<B>(self.pos)? else {
                return Ok(None);
            };
            let Start::Leaf(value) = self.start::<B>(self.pos)? else {
                return Ok(None);
            };
            pairs.push((key, value));
        }
        if has_list {
            self.list_tail()?;
        }
        Ok(Some(B::dict(pairs)))
    }

    /// Checks the depth limit for a container about to open, and counts it.
    fn enter<B>(&self, stack: &mut Stack<B>, container: &Open<B>, at: usize) -> Result<()> {
        if stack.depth + container.levels() > self.max_depth {
            let max = self.max_depth;
            return self.fail(at, Kind::TooDeep { max });
        }
        stack.depth += container.levels();
        Ok(())
    }

    /// Gives a finished term to its container, closing every container it completes; returns
    /// the whole term once nothing is left open.
    fn hand_up<B: Build>(&mut self, stack: &mut Stack<B>, mut done: B) -> Result<Option<B>> {
        loop {
            match stack.open.last_mut() {
                None => return Ok(Some(done)),
                Some(Open::Items { items, left, .. }) => {
                    items.push(done);
                    *left -= 1;
                    if *left > 0 {
                        return Ok(None);
                    }
                }
                Some(Open::Pair { key }) => match key.take() {
                    None => {
                        *key = Some(done);
                        return Ok(None);
                    }
                    Some(k) => {
                        stack.open.pop();
                        stack.depth -= 1;
                        match stack.open.last_mut() {
                            Some(Open::Dict { pairs, left, .. }) => {
                                pairs.push((k, done));
                                *left -= 1;
                                if *left > 0 {
                                    return Ok(None);
                                }
                            }
                            _ => unreachable!("a Pair is only opened inside a Dict"),
                        }
                    }
                },
                Some(Open::Dict { .. }) => unreachable!("a Dict receives entries through Pair"),
            }
            let full = stack.open.pop().expect("last_mut just returned it");
            stack.depth -= full.levels();
            done = self.close(full)?;
        }
    }

    /// Opens the next entry of a dict: a `{K, V}` pair, or, if it is anything else, turns the
    /// dict back into the generic `{bert, dict, [...]}` it is and lets the generic path go on.
    fn dict_entry<B: Build>(&mut self, stack: &mut Stack<B>) -> Result<()> {
        let at = self.pos;
        let rest = self.input_rest();
        if rest.len() >= 2 && rest[0] == tag::SMALL_TUPLE && rest[1] == 2 {
            self.pos += 2;
            self.claim("tuple", 2, 1, at)?;
            let pair = Open::Pair { key: None };
            self.enter(stack, &pair, at)?;
            stack.open.push(pair);
            return Ok(());
        }
        let Some(Open::Dict { pairs, left, .. }) = stack.open.pop() else {
            unreachable!("dict_entry is called with a Dict on top");
        };
        // Same two levels: the tuple and the list.
        let header = vec![B::atom(atom("bert")), B::atom(atom("dict"))];
        stack.open.push(Open::Items {
            shape: Shape::Tuple,
            items: header,
            left: 1,
        });
        let mut entries = Vec::with_capacity(pairs.len() + reserve_for(left));
        entries.extend(pairs.into_iter().map(|(k, v)| B::tuple(vec![k, v])));
        stack.open.push(Open::Items {
            shape: Shape::List,
            items: entries,
            left,
        });
        Ok(())
    }

    /// After SMALL_TUPLE 2: if `bert, nil|true|false` follows, consumes it and reads it.
    fn bert_constant<B: Build>(&mut self) -> Option<B> {
        let rest = self.input_rest();
        let (bert, kind) = rest.split_at(rest.len().min(tag::BERT_ATOM.len()));
        if bert != tag::BERT_ATOM {
            return None;
        }
        let (constant, len) = match kind {
            [tag::ATOM, 0, 3, b'n', b'i', b'l', ..] => (B::nil(), 3),
            [tag::ATOM, 0, 4, b't', b'r', b'u', b'e', ..] => (B::boolean(true), 4),
            [tag::ATOM, 0, 5, b'f', b'a', b'l', b's', b'e', ..] => (B::boolean(false), 5),
            _ => return None,
        };
        self.pos += tag::BERT_ATOM.len() + 3 + len;
        Some(constant)
    }

    /// After SMALL_TUPLE 3: if `bert, dict, <list>` follows, consumes it and opens a Dict.
    fn bert_dict_header<B: Build>(&mut self) -> Result<Option<Open<B>>> {
        let rest = self.input_rest();
        let (bert, dict) = rest.split_at(rest.len().min(tag::BERT_ATOM.len()));
        if bert != tag::BERT_ATOM || !dict.starts_with(&DICT_ATOM) {
            return Ok(None);
        }
        match rest.get(BERT_DICT_ATOMS) {
            Some(&tag::NIL) => {
                self.pos += BERT_DICT_ATOMS + 1;
                Ok(Some(Open::Dict {
                    pairs: Vec::new(),
                    left: 0,
                    has_list: false,
                }))
            }
            Some(&tag::LIST) => {
                self.pos += BERT_DICT_ATOMS + 1;
                let list_at = self.pos - 1;
                let len = u64::from(self.u32()?);
                let len = self.claim("list", len, 1, list_at)?;
                Ok(Some(Open::Dict {
                    pairs: Vec::with_capacity(reserve_for(len)),
                    left: len,
                    has_list: true,
                }))
            }
            _ => Ok(None),
        }
    }

    /// Reads a tag and either a whole leaf term or a container's header.
    fn start<B: Build>(&mut self, at: usize) -> Result<Start<B>> {
        let tag = self.u8()?;
        let leaf = match tag {
            tag::SMALL_INTEGER => B::int(i64::from(self.u8()?)),
            tag::INTEGER => B::int(i64::from(i32::from_be_bytes(self.take_array()?))),
            tag::NEW_FLOAT => {
                let f = f64::from_bits(u64::from_be_bytes(self.take_array()?));
                if !f.is_finite() {
                    return self.fail(at, Kind::BadFloat(f.to_string()));
                }
                B::float(f)
            }
            tag::FLOAT => B::float(self.float_text(at)?),
            tag::ATOM | tag::SMALL_ATOM | tag::ATOM_UTF8 | tag::SMALL_ATOM_UTF8 => {
                B::atom(self.atom(tag, at)?)
            }
            tag::BINARY => {
                let len = self.u32()? as usize;
                B::binary(self.take(len)?.to_vec())
            }
            tag::SMALL_BIG => {
                let len = usize::from(self.u8()?);
                B::bigint(self.bigint(len, at)?)
            }
            tag::LARGE_BIG => {
                let len = self.u32()? as usize;
                B::bigint(self.bigint(len, at)?)
            }
            tag::NIL => B::list(Vec::new()),
            tag::STRING => {
                let len = u64::from(self.u16()?);
                let len = self.claim("string", len, 1, at)?;
                let bytes = self.take(len)?;
                B::list(bytes.iter().map(|&b| B::int(i64::from(b))).collect())
            }
            tag::SMALL_TUPLE | tag::LARGE_TUPLE => {
                let arity = if tag == tag::SMALL_TUPLE {
                    u64::from(self.u8()?)
                } else {
                    u64::from(self.u32()?)
                };
                let arity = self.claim("tuple", arity, 1, at)?;
                if B::READS_BERT && arity == 3 {
                    if let Some(dict) = self.bert_dict_header()? {
                        return Ok(Start::Open(dict));
                    }
                }
                if B::READS_BERT && arity == 2 {
                    if let Some(constant) = self.bert_constant() {
                        return Ok(Start::Tuple(constant));
                    }
                }
                return Ok(Start::Open(Open::items(Shape::Tuple, arity, arity)));
            }
            tag::LIST => {
                let len = u64::from(self.u32()?);
                let len = self.claim("list", len, 1, at)?;
                return Ok(Start::Open(Open::items(Shape::List, len, len)));
            }
            tag::MAP => {
                let arity = u64::from(self.u32()?);
                let arity = self.claim("map", arity, 2, at)?;
                return Ok(Start::Open(Open::items(Shape::Map, 2 * arity, 2 * arity)));
            }
            other => {
                return match tag::unsupported_name(other) {
                    Some(name) => self.fail(at, Kind::UnsupportedTag { tag: other, name }),
                    None => self.fail(at, Kind::UnknownTag(other)),
                }
            }
        };
        Ok(Start::Leaf(leaf))
    }

    /// Builds a container whose elements are all read; a list also reads its `[]` tail.
    fn close<B: Build>(&mut self, container: Open<B>) -> Result<B> {
        match container {
            Open::Items {
                shape: Shape::Tuple,
                items,
                ..
            } => Ok(B::tuple(items)),
            Open::Items {
                shape: Shape::List,
                items,
                ..
            } => {
                self.list_tail()?;
                Ok(B::list(items))
            }
            Open::Items {
                shape: Shape::Map,
                items,
                ..
            } => {
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut items = items.into_iter();
                while let (Some(key), Some(value)) = (items.next(), items.next()) {
                    pairs.push((key, value));
                }
                Ok(B::map(pairs))
            }
            Open::Dict {
                pairs, has_list, ..
            } => {
                if has_list {
                    self.list_tail()?;
                }
                Ok(B::dict(pairs))
            }
            Open::Pair { .. } => unreachable!("a Pair closes into its Dict in hand_up"),
        }
    }

    fn list_tail(&mut self) -> Result<()> {
        let tail_at = self.pos;
        if self.u8()? != tag::NIL {
            return self.fail(tail_at, Kind::ImproperList);
        }
        Ok(())
    }
}

fn atom(name: &'static str) -> super::super::value::Atom {
    super::super::value::Atom::from_static(name)
}
