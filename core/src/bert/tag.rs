//! Tag bytes of the Erlang External Term Format.
//!
//! The BERT 1.0 set is what the encoder writes; the rest are tags the decoder either reads
//! (modern Erlang output) or names in its rejection message.

/// The version byte every frame starts with.
pub const VERSION: u8 = 131;

// BERT 1.0: written by the encoder, read by every BERT implementation.

/// SMALL_INTEGER_EXT: an integer from 0 to 255, in one byte.
pub const SMALL_INTEGER: u8 = 97;
/// INTEGER_EXT: a signed 32-bit integer, big-endian.
pub const INTEGER: u8 = 98;
/// FLOAT_EXT: a float as 31 bytes of text, NUL-padded.
pub const FLOAT: u8 = 99;
/// ATOM_EXT: an atom of Latin-1 text, with a 2-byte length.
pub const ATOM: u8 = 100;
/// SMALL_TUPLE_EXT: a tuple of at most 255 elements, with a 1-byte arity.
pub const SMALL_TUPLE: u8 = 104;
/// LARGE_TUPLE_EXT: a tuple with a 4-byte arity.
pub const LARGE_TUPLE: u8 = 105;
/// NIL_EXT: the empty list `[]`, also the tail that ends a proper list.
pub const NIL: u8 = 106;
/// STRING_EXT: a list of bytes (integers 0 to 255), with a 2-byte length.
pub const STRING: u8 = 107;
/// LIST_EXT: a list with a 4-byte length; its elements and then its tail follow.
pub const LIST: u8 = 108;
/// BINARY_EXT: bytes, with a 4-byte length.
pub const BINARY: u8 = 109;
/// SMALL_BIG_EXT: a big integer of at most 255 magnitude bytes: length, sign, then the
/// magnitude, little-endian.
pub const SMALL_BIG: u8 = 110;
/// LARGE_BIG_EXT: a big integer with a 4-byte length, laid out as SMALL_BIG_EXT.
pub const LARGE_BIG: u8 = 111;

// Modern Erlang: read, never written for a `Value`.

/// NEW_FLOAT_EXT: a float as 8 bytes of IEEE 754, big-endian.
pub const NEW_FLOAT: u8 = 70;
/// SMALL_ATOM_EXT: an atom of Latin-1 text, with a 1-byte length.
pub const SMALL_ATOM: u8 = 115;
/// MAP_EXT: a map with a 4-byte arity; keys and values alternate.
pub const MAP: u8 = 116;
/// ATOM_UTF8_EXT: an atom of UTF-8 text, with a 2-byte length.
pub const ATOM_UTF8: u8 = 118;
/// SMALL_ATOM_UTF8_EXT: an atom of UTF-8 text, with a 1-byte length.
pub const SMALL_ATOM_UTF8: u8 = 119;

/// The atom `bert` as ATOM_EXT: the first element of every BERT complex type.
pub const BERT_ATOM: [u8; 7] = [ATOM, 0, 4, b'b', b'e', b'r', b't'];

/// `{bert, dict, [` with a list of three, after the version byte: how every message frame
/// starts (see `message.rs`).
pub const MESSAGE_ENVELOPE: [u8; 21] = [
    SMALL_TUPLE,
    3,
    ATOM,
    0,
    4,
    b'b',
    b'e',
    b'r',
    b't',
    ATOM,
    0,
    4,
    b'd',
    b'i',
    b'c',
    b't',
    LIST,
    0,
    0,
    0,
    3,
];

/// `{<field>, ` of a message frame's entry: a 2-tuple and the four-letter field atom.
pub const fn message_field(name: &[u8; 4]) -> [u8; 9] {
    [
        SMALL_TUPLE,
        2,
        ATOM,
        0,
        4,
        name[0],
        name[1],
        name[2],
        name[3],
    ]
}

/// The name of a tag the decoder refuses, for the error message.
pub fn unsupported_name(tag: u8) -> Option<&'static str> {
    Some(match tag {
        68 => "distribution header",
        69 => "local atom cache",
        77 => "bit binary",
        80 => "compressed term",
        82 => "atom cache reference",
        88 => "pid",
        89 => "port",
        90 => "reference",
        101 => "reference",
        102 => "port",
        103 => "pid",
        112 => "fun",
        113 => "export",
        114 => "reference",
        117 => "fun",
        120 => "port",
        121 => "local term",
        _ => return None,
    })
}
