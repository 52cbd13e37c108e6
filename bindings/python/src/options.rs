//! Options given by name (keyword arguments), handed to core as `(name, Value)` pairs: core's
//! `from_named` readers know every option's name, unit, default and error, so the skin
//! repeats none of them.

use crate::convert::from_py;
use dripdrop::Value;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The keyword arguments as named values (a `re.Pattern` becomes a regex, seconds a number,
/// None nil).
pub fn named(options: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(String, Value)>> {
    let Some(options) = options else {
        return Ok(Vec::new());
    };
    options
        .iter()
        .map(|(name, value)| Ok((name.extract::<String>()?, from_py(&value)?)))
        .collect()
}
