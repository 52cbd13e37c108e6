//! The interop case table: each value with the same term written in Erlang and Ruby syntax.
//! One table drives both directions against both implementations.

use dripdrop::bert::{Atom, Time, Value};
use num_bigint::BigInt;

pub struct Case {
    pub name: &'static str,
    pub value: Value,
    /// The expected term in Erlang syntax (ASCII, escapes for the rest).
    pub erlang: &'static str,
    /// The same value as a Ruby expression, where the Ruby `bert` gem can carry it.
    pub ruby: Option<&'static str>,
    /// Ruby writes floats with 16 significant digits ("%15.15e"): values that need 17 do not
    /// survive Ruby's encoder, so those cases only go from us to Ruby.
    pub ruby_encodes_exactly: bool,
}

fn case(name: &'static str, value: Value, erlang: &'static str, ruby: &'static str) -> Case {
    Case {
        name,
        value,
        erlang,
        ruby: Some(ruby),
        ruby_encodes_exactly: true,
    }
}

fn erlang_only(name: &'static str, value: Value, erlang: &'static str) -> Case {
    Case {
        name,
        value,
        erlang,
        ruby: None,
        ruby_encodes_exactly: false,
    }
}

fn big(text: &str) -> Value {
    Value::from_bigint(text.parse::<BigInt>().expect("decimal integer"))
}

fn bin(text: &str) -> Value {
    Value::from(text)
}

fn atom(name: &str) -> Value {
    Value::atom(name)
}

/// Values both implementations can write and read.
pub fn cases() -> Vec<Case> {
    let mut cases = vec![
        case("nil", Value::Nil, "{bert,nil}", "nil"),
        case("true", Value::Bool(true), "{bert,true}", "true"),
        case("false", Value::Bool(false), "{bert,false}", "false"),
        case("zero", Value::Int(0), "0", "0"),
        case("byte", Value::Int(255), "255", "255"),
        case("byte_plus_one", Value::Int(256), "256", "256"),
        case("minus_one", Value::Int(-1), "-1", "-1"),
        case("2^27-1", Value::Int((1 << 27) - 1), "134217727", "134217727"),
        case("2^27", Value::Int(1 << 27), "134217728", "134217728"),
        case("-2^27-1", Value::Int(-(1 << 27) - 1), "-134217729", "-134217729"),
        case("2^31-1", Value::Int(i64::from(i32::MAX)), "2147483647", "2147483647"),
        case("2^31", Value::Int(1 << 31), "2147483648", "2147483648"),
        case("-2^31", Value::Int(i64::from(i32::MIN)), "-2147483648", "-2147483648"),
        case("-2^31-1", Value::Int(-(1 << 31) - 1), "-2147483649", "-2147483649"),
        case("2^63-1", Value::Int(i64::MAX), "9223372036854775807", "9223372036854775807"),
        case("-2^63", Value::Int(i64::MIN), "-9223372036854775808", "-9223372036854775808"),
        case("2^63", big("9223372036854775808"), "9223372036854775808", "9223372036854775808"),
        case("-2^63-1", big("-9223372036854775809"), "-9223372036854775809", "-9223372036854775809"),
        case("2^64", big("18446744073709551616"), "18446744073709551616", "18446744073709551616"),
        case("-2^64", big("-18446744073709551616"), "-18446744073709551616", "-18446744073709551616"),
        case("10^40", big("10000000000000000000000000000000000000000"), "10000000000000000000000000000000000000000", "10**40"),
        case("-10^40", big("-10000000000000000000000000000000000000000"), "-10000000000000000000000000000000000000000", "-(10**40)"),
        case("2^2040", Value::from_bigint(BigInt::from(1) << 2040), "1 bsl 2040", "2**2040"),
        case("float_tenth", Value::Float(0.1), "0.1", "0.1"),
        case("float_1e300", Value::Float(1e300), "1.0e300", "1.0e300"),
        case("float_neg_zero", Value::Float(-0.0), "-0.0", "-0.0"),
        case("float_neg", Value::Float(-2.5e-3), "-2.5e-3", "-2.5e-3"),
        case("float_subnormal", Value::Float(5e-324), "5.0e-324", "5.0e-324"),
        case("binary_empty", bin(""), "<<>>", "''"),
        case("binary_ascii", bin("hello"), "<<\"hello\">>", "'hello'"),
        case("binary_utf8", bin("h\u{e9}llo w\u{f6}rld \u{2603}"), "<<\"h\\x{e9}llo w\\x{f6}rld \\x{2603}\"/utf8>>", "\"h\\u00e9llo w\\u00f6rld \\u2603\""),
        case("binary_bytes", Value::binary(vec![0, 255, 128, 10]), "<<0,255,128,10>>", "[0, 255, 128, 10].pack('C*')"),
        case("atom", atom("hello"), "hello", ":hello"),
        case("atom_quoted", atom("with space"), "'with space'", ":'with space'"),
        case("atom_upper", atom("Quoted"), "'Quoted'", ":Quoted"),
        case("atom_empty", atom(""), "''", ":''"),
        case("list_empty", Value::List(vec![]), "[]", "[]"),
        case("list_ints", Value::List(vec![Value::Int(1), Value::Int(2), Value::Int(300)]), "[1,2,300]", "[1, 2, 300]"),
        case("list_nested", Value::List(vec![Value::List(vec![Value::Int(1)]), Value::List(vec![Value::Int(2), Value::List(vec![Value::Nil])])]), "[[1],[2,[{bert,nil}]]]", "[[1], [2, [nil]]]"),
        case("list_mixed", Value::List(vec![bin("a"), atom("b"), Value::Float(1.5), Value::Bool(true)]), "[<<\"a\">>,b,1.5,{bert,true}]", "['a', :b, 1.5, true]"),
        case("tuple_empty", Value::Tuple(vec![]), "{}", "BERT::Tuple[]"),
        case("tuple_pair", Value::Tuple(vec![atom("ok"), Value::Int(1)]), "{ok,1}", "BERT::Tuple[:ok, 1]"),
        case("tuple_nested", Value::Tuple(vec![Value::Int(1), Value::Tuple(vec![Value::Int(2), Value::Tuple(vec![Value::Int(3)])])]), "{1,{2,{3}}}", "BERT::Tuple[1, BERT::Tuple[2, BERT::Tuple[3]]]"),
        case("dict_empty", Value::Dict(vec![]), "{bert,dict,[]}", "{}"),
        case("dict", Value::Dict(vec![(atom("a"), Value::Int(1)), (bin("b"), Value::List(vec![Value::Nil]))]), "{bert,dict,[{a,1},{<<\"b\">>,[{bert,nil}]}]}", "{:a => 1, 'b' => [nil]}"),
        case("dict_nested", Value::Dict(vec![(bin("inner"), Value::Dict(vec![(Value::Int(1), Value::Bool(false))]))]), "{bert,dict,[{<<\"inner\">>,{bert,dict,[{1,{bert,false}}]}}]}", "{'inner' => {1 => false}}"),
        case("time", Value::Time(Time::new(1_234_567_890, 42).expect("time")), "{bert,time,1234,567890,42}", "Time.at(1234567890, 42)"),
        case("time_epoch", Value::Time(Time::new(0, 0).expect("time")), "{bert,time,0,0,0}", "Time.at(0, 0)"),
        case("time_before_epoch", Value::Time(Time::new(-1, 500_000).expect("time")), "{bert,time,-1,999999,500000}", "Time.at(-1, 500000)"),
        case("regex", Value::regex("^a.b$", vec![Atom::new("caseless")]), "{bert,regex,<<\"^a.b$\">>,[caseless]}", "/^a.b$/i"),
        case("regex_all_options", Value::regex("x y", vec![Atom::new("caseless"), Atom::new("extended"), Atom::new("multiline")]), "{bert,regex,<<\"x y\">>,[caseless,extended,multiline]}", "/x y/imx"),
        case("regex_plain", Value::regex("a+", vec![]), "{bert,regex,<<\"a+\">>,[]}", "/a+/"),
        case(
            "message",
            Value::Dict(vec![
                (atom("name"), bin("ping")),
                (atom("head"), Value::Dict(vec![(bin("reply_to"), bin("pong"))])),
                (atom("body"), Value::List(vec![Value::Int(1), bin("two"), Value::Float(3.5), Value::Nil])),
            ]),
            "{bert,dict,[{name,<<\"ping\">>},{head,{bert,dict,[{<<\"reply_to\">>,<<\"pong\">>}]}},{body,[1,<<\"two\">>,3.5,{bert,nil}]}]}",
            "{:name => 'ping', :head => {'reply_to' => 'pong'}, :body => [1, 'two', 3.5, nil]}",
        ),
    ];
    let mut seventeen_digits = case(
        "float_max",
        Value::Float(f64::MAX),
        "1.7976931348623157e308",
        "Float::MAX",
    );
    seventeen_digits.ruby_encodes_exactly = false;
    cases.push(seventeen_digits);
    let mut third = case(
        "float_third",
        Value::Float(1.0 / 3.0),
        "0.3333333333333333",
        "1.0/3",
    );
    third.ruby_encodes_exactly = false;
    cases.push(third);
    // Ruby reads {bert, X} pairs as complex types, so a dict keyed by :bert breaks its decoder.
    cases.push(erlang_only(
        "dict_key_bert",
        Value::Dict(vec![
            (atom("bert"), atom("nil")),
            (atom("bert"), atom("dict")),
        ]),
        "{bert,dict,[{bert,nil},{bert,dict}]}",
    ));
    // A {bert, ...} tuple of no known shape stays a tuple (Ruby turns it into nil).
    cases.push(erlang_only(
        "tuple_bert_unknown",
        Value::Tuple(vec![atom("bert"), atom("unknown"), Value::Int(1)]),
        "{bert,unknown,1}",
    ));
    cases.push(erlang_only(
        "atom_latin1",
        atom("caf\u{e9}"),
        "'caf\\x{e9}'",
    ));
    cases
}

/// Terms only Erlang writes (modern tags, strings, maps), with the Value we must read.
pub fn erlang_writes() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "string",
            "\"abc\"",
            Value::List(vec![Value::Int(97), Value::Int(98), Value::Int(99)]),
        ),
        (
            "map",
            "#{a => 1}",
            Value::Dict(vec![(atom("a"), Value::Int(1))]),
        ),
        (
            "map_nested",
            "#{<<\"k\">> => #{}}",
            Value::Dict(vec![(bin("k"), Value::Dict(vec![]))]),
        ),
        (
            "atom_utf8",
            "'\\x{65e5}\\x{672c}'",
            atom("\u{65e5}\u{672c}"),
        ),
        ("atom_latin1_utf8", "'caf\\x{e9}'", atom("caf\u{e9}")),
        (
            "long_string",
            "lists:seq(1, 200)",
            Value::List((1..=200).map(Value::Int).collect()),
        ),
    ]
}
