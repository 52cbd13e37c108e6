//! Python values to BERT `Value`s and back, as docs/design.md maps them: None, bool, int (big
//! too), float, str/bytes (a binary reads back as str when it is UTF-8), `dripdrop.Atom`,
//! list, tuple, dict, datetime (UTC) and `re.Pattern`.

use crate::keys;
use dripdrop::bert::{Atom, Regex, Time, Value, HARD_MAX_DEPTH};
use num_bigint::BigInt;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};

fn cached<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    module: &str,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let object = cell.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import(module)?.getattr(name)?.unbind())
    })?;
    Ok(object.bind(py).clone())
}

fn atom_class(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static ATOM: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    cached(py, &ATOM, "dripdrop._types", "Atom")
}

fn datetime_class(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static DATETIME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    cached(py, &DATETIME, "datetime", "datetime")
}

fn utc(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    cached(py, &UTC, "datetime", "timezone")?.getattr("utc")
}

fn pattern_class(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static PATTERN: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    cached(py, &PATTERN, "re", "Pattern")
}

/// `re` flags and the Erlang regex options that mean the same.
const REGEX_FLAGS: [(&str, &str); 4] = [
    ("IGNORECASE", "caseless"),
    ("MULTILINE", "multiline"),
    ("DOTALL", "dotall"),
    ("VERBOSE", "extended"),
];

/// A Python object as a BERT value.
pub fn from_py(object: &Bound<'_, PyAny>) -> PyResult<Value> {
    from_py_at(object, 0)
}

fn from_py_at(object: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > HARD_MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "value nested deeper than {HARD_MAX_DEPTH} levels"
        )));
    }
    let py = object.py();
    let inner = |items: &Bound<'_, PyAny>| -> PyResult<Vec<Value>> {
        items
            .try_iter()?
            .map(|item| from_py_at(&item?, depth + 1))
            .collect()
    };
    // The commonest types first, by exact type: a str, int or dict goes through no chain of
    // isinstance checks (each failed one looks up the object's `__class__`).
    if object.is_exact_instance_of::<PyString>() {
        // SAFETY: just checked to be exactly a str.
        return Ok(Value::Binary(utf8(unsafe { object.cast_unchecked() })?));
    }
    if object.is_exact_instance_of::<PyInt>() {
        return int_value(object);
    }
    if object.is_exact_instance_of::<PyDict>() {
        // SAFETY: just checked to be exactly a dict.
        return dict_value(unsafe { object.cast_unchecked() }, depth);
    }
    if object.is_none() {
        return Ok(Value::Nil);
    }
    if let Ok(b) = object.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if object.is_instance_of::<PyInt>() {
        return int_value(object);
    }
    if let Ok(f) = object.cast::<PyFloat>() {
        let f = f.value();
        if !f.is_finite() {
            return Err(PyValueError::new_err("BERT cannot carry NaN or infinity"));
        }
        return Ok(Value::Float(f));
    }
    if let Ok(s) = object.cast::<PyString>() {
        // A str subclass: an Atom (itself a str), or text.
        if s.get_type().is_subclass(&atom_class(py)?)? {
            return Ok(Value::Atom(Atom::new(object.extract::<String>()?)));
        }
        return Ok(Value::Binary(utf8(s)?));
    }
    if let Ok(b) = object.cast::<PyBytes>() {
        return Ok(Value::Binary(b.as_bytes().to_vec()));
    }
    if let Ok(b) = object.cast::<PyByteArray>() {
        return Ok(Value::Binary(b.to_vec()));
    }
    if object.is_instance_of::<PyList>() {
        return Ok(Value::List(inner(object)?));
    }
    if object.is_instance_of::<PyTuple>() {
        return Ok(Value::Tuple(inner(object)?));
    }
    if let Ok(dict) = object.cast::<PyDict>() {
        return dict_value(dict, depth);
    }
    if object.is_instance(&datetime_class(py)?)? {
        // A naive datetime is taken as UTC, as the wire has no zone.
        let aware = if object.getattr("tzinfo")?.is_none() {
            object.call_method(
                "replace",
                (),
                Some(&[("tzinfo", utc(py)?)].into_py_dict(py)?),
            )?
        } else {
            object.clone()
        };
        let timestamp: f64 = aware.call_method0("timestamp")?.extract()?;
        let micros: i64 = aware.getattr("microsecond")?.extract()?;
        let seconds = (timestamp - micros as f64 / 1e6).round() as i64;
        return Time::new(seconds, micros)
            .map(Value::Time)
            .ok_or_else(|| PyValueError::new_err("datetime out of range"));
    }
    if object.is_instance(&pattern_class(py)?)? {
        let source: String = object.getattr("pattern")?.extract()?;
        let flags: i64 = object.getattr("flags")?.extract()?;
        let re = py.import("re")?;
        let mut options = Vec::new();
        for (flag, option) in REGEX_FLAGS {
            let bit: i64 = re.getattr(flag)?.extract()?;
            if flags & bit != 0 {
                options.push(Atom::new(option));
            }
        }
        return Ok(Value::regex(source, options));
    }
    Err(PyTypeError::new_err(format!(
        "cannot send a {} as a BERT value",
        object.get_type().name()?
    )))
}

/// A str's UTF-8 bytes, copied once (pyo3's `to_cow` copies twice on the stable ABI of 3.9).
fn utf8(s: &Bound<'_, PyString>) -> PyResult<Vec<u8>> {
    Ok(s.encode_utf8()?.as_bytes().to_vec())
}

/// A dict's entries, in order.
fn dict_value(dict: &Bound<'_, PyDict>, depth: usize) -> PyResult<Value> {
    let pairs = dict
        .iter()
        .map(|(k, v)| Ok((from_py_at(&k, depth + 1)?, from_py_at(&v, depth + 1)?)))
        .collect::<PyResult<_>>()?;
    Ok(Value::Dict(pairs))
}

/// An int: a 64-bit one, or a big one read from its digits.
fn int_value(object: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(n) = object.extract::<i64>() {
        return Ok(Value::Int(n));
    }
    let text = object.str()?.to_string();
    let n = text
        .parse::<BigInt>()
        .map_err(|_| PyValueError::new_err(format!("integer {text} unreadable")))?;
    Ok(Value::from_bigint(n))
}

use pyo3::types::IntoPyDict;

/// A BERT value as a Python object.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Nil => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(n) => n.into_pyobject(py)?.into_any(),
        Value::BigInt(n) => py
            .import("builtins")?
            .getattr("int")?
            .call1((n.to_string(),))?,
        Value::Float(f) => PyFloat::new(py, *f).into_any(),
        Value::Binary(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => PyString::new(py, text).into_any(),
            Err(_) => PyBytes::new(py, bytes).into_any(),
        },
        Value::Atom(atom) => atom_class(py)?.call1((atom.as_str(),))?,
        Value::List(items) => {
            let items = items
                .iter()
                .map(|v| to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Tuple(items) => {
            let items = items
                .iter()
                .map(|v| to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, items)?.into_any()
        }
        Value::Dict(pairs) => dict_to_py(py, pairs)?.into_any(),
        Value::Time(t) => {
            let datetime = datetime_class(py)?;
            let at = datetime.call_method1("fromtimestamp", (t.seconds(), utc(py)?))?;
            at.call_method(
                "replace",
                (),
                Some(&[("microsecond", t.microseconds())].into_py_dict(py)?),
            )?
        }
        Value::Regex(re) => regex_to_py(py, re)?,
    })
}

/// A dict's entries as a Python dict (a message's head, without making it a `Value` first).
pub fn dict_to_py<'py>(py: Python<'py>, pairs: &[(Value, Value)]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in pairs {
        dict.set_item(key_to_py(py, k)?, to_py(py, v)?)?;
    }
    Ok(dict)
}

/// A dict key: text from the kept keys (`keys`), anything else as `to_py` makes it.
fn key_to_py<'py>(py: Python<'py>, key: &Value) -> PyResult<Bound<'py, PyAny>> {
    if let Value::Binary(bytes) = key {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return Ok(keys::key(py, bytes, text).into_any());
        }
    }
    hashable(to_py(py, key)?)
}

/// A list key cannot be a Python dict key: it becomes a tuple.
fn hashable(key: Bound<'_, PyAny>) -> PyResult<Bound<'_, PyAny>> {
    match key.cast::<PyList>() {
        Ok(list) => Ok(list.to_tuple().into_any()),
        Err(_) => Ok(key),
    }
}

fn regex_to_py<'py>(py: Python<'py>, re: &Regex) -> PyResult<Bound<'py, PyAny>> {
    let module = py.import("re")?;
    let mut flags = 0i64;
    for (flag, option) in REGEX_FLAGS {
        if re.options.iter().any(|o| o.as_str() == option) {
            flags |= module.getattr(flag)?.extract::<i64>()?;
        }
    }
    module.call_method1("compile", (re.source.as_str(), flags))
}
