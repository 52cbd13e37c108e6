//! BERT (Erlang External Term Format, version 131): the one wire format of DripDrop.
//!
//! *Encode conservatively*: [`encode`] writes only the BERT 1.0 tags that every BERT reader
//! (the Ruby `bert` gem included) understands. *Decode liberally, but safely*: [`decode`] also
//! reads what modern Erlang writes (new floats, UTF-8 atoms, small atoms, maps) and refuses
//! pids, ports, refs, funs and compressed terms, within [`DecodeLimits`].
//!
//! The codec is our own rather than the `eetf` crate's: eetf 0.12 writes atoms with a tag the
//! Ruby gem cannot read, decodes FLOAT_EXT as f32, panics or aborts on a few bytes of hostile
//! input and has no nesting limit. eetf is used only in tests, as an independent reader and
//! writer to check this codec against.
//!
//! ```
//! use dripdrop::bert::{decode, encode, Value};
//!
//! let value = Value::Dict(vec![(Value::atom("n"), Value::Int(1))]);
//! let bytes = encode(&value).unwrap();
//! assert_eq!(decode(&bytes).unwrap(), value);
//! ```

mod atom;
mod complex;
mod decode;
mod encode;
mod error;
mod limits;
pub(crate) mod tag;
mod term;
pub mod text;
mod value;
mod writer;

pub use decode::{decode, decode_term, decode_with_limits};
pub(crate) use decode::{decode_message_fields, decode_nested, skip_nested, MessageFields};
pub use encode::{encode, encode_into, encode_term};
pub(crate) use encode::{write_dict, write_value};
pub(crate) use error::PathSegment;
pub use error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind};
pub use limits::{DecodeLimits, HARD_MAX_DEPTH};
pub use term::Term;
pub(crate) use value::dict_get;
pub use value::{Atom, Regex, Time, Value};
pub(crate) use writer::{atom as write_atom, binary as write_binary, int as write_int};
