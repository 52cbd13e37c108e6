//! BERT interop with Erlang itself (`erl` from Debian's erlang-base), both directions.

mod support;

use dripdrop::bert::{decode, encode, Value};
use support::cases::{cases, erlang_writes};
use support::{erlang, hex, unhex};

/// Evaluates an Erlang expression given as text; shared by both directions.
const EVAL: &str = r#"Eval = fun(Text) ->
        {ok, Toks, _} = erl_scan:string(Text ++ "."),
        {ok, Exprs} = erl_parse:parse_exprs(Toks),
        {value, V, _} = erl_eval:exprs(Exprs, []),
        V
    end"#;

/// Reads `name \t hex \t expr` lines; prints `name ok` when Erlang decodes hex to the term expr
/// denotes. Terms are compared through Erlang's own encoding, which tells -0.0 from 0.0.
const CHECK_DECODE: &str = r#"Canon = fun(T) -> term_to_binary(T, [{minor_version, 2}]) end,
    Loop = fun L() ->
        case io:get_line("") of
            eof -> ok;
            Line ->
                [Name, Hex, Expr] = string:split(string:trim(Line, trailing, "\n"), "\t", all),
                Got = binary_to_term(binary:decode_hex(list_to_binary(Hex))),
                Verdict = case Canon(Got) =:= Canon(Eval(Expr)) of
                    true -> "ok";
                    false -> io_lib:format("MISMATCH ~w", [Got])
                end,
                io:format("~s ~s~n", [Name, Verdict]),
                L()
        end
    end,
    Loop()"#;

/// Reads `name \t expr \t minor_version` lines; prints `name hex` of term_to_binary.
const ENCODE: &str = r#"Loop = fun L() ->
        case io:get_line("") of
            eof -> ok;
            Line ->
                [Name, Expr, Minor] = string:split(string:trim(Line, trailing, "\n"), "\t", all),
                Opts = [{minor_version, list_to_integer(Minor)}],
                Bin = term_to_binary(Eval(Expr), Opts),
                io:format("~s ~s~n", [Name, string:lowercase(binary:encode_hex(Bin))]),
                L()
        end
    end,
    Loop()"#;

fn program(body: &str) -> String {
    format!("{EVAL},\n    {body}")
}

/// Parses `name rest` lines into pairs.
fn lines(output: &str) -> Vec<(String, String)> {
    output
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, r)| (n.to_owned(), r.to_owned()))
        .collect()
}

#[test]
fn erlang_decodes_what_we_encode() {
    let cases = cases();
    let input: String = cases
        .iter()
        .map(|c| {
            let bytes = encode(&c.value).unwrap_or_else(|e| panic!("{}: {e}", c.name));
            format!("{}\t{}\t{}\n", c.name, hex(&bytes), c.erlang)
        })
        .collect();
    let results = lines(&erlang(&program(CHECK_DECODE), &input));
    assert_eq!(results.len(), cases.len(), "one verdict per case");
    let failures: Vec<_> = results.iter().filter(|(_, v)| v != "ok").collect();
    assert!(failures.is_empty(), "Erlang read differently: {failures:?}");
}

fn check_erlang_encodes(minor_version: u8) {
    let mut expected: Vec<(String, String, Value)> = cases()
        .into_iter()
        .map(|c| (c.name.to_owned(), c.erlang.to_owned(), c.value))
        .collect();
    expected.extend(
        erlang_writes()
            .into_iter()
            .map(|(n, e, v)| (n.to_owned(), e.to_owned(), v)),
    );
    let input: String = expected
        .iter()
        .map(|(name, expr, _)| format!("{name}\t{expr}\t{minor_version}\n"))
        .collect();
    let encoded = lines(&erlang(&program(ENCODE), &input));
    assert_eq!(encoded.len(), expected.len(), "one frame per case");
    for ((name, hex_text), (want_name, _, want)) in encoded.iter().zip(&expected) {
        assert_eq!(name, want_name);
        let got = decode(&unhex(hex_text)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&got, want, "{name} (minor_version {minor_version})");
        if let (Value::Float(g), Value::Float(w)) = (&got, want) {
            assert_eq!(g.to_bits(), w.to_bits(), "{name}: float bits");
        }
    }
}

/// minor_version 0: old FLOAT_EXT text floats and Latin-1 atoms, the BERT 1.0 forms.
#[test]
fn we_decode_erlang_old_format() {
    check_erlang_encodes(0);
}

/// minor_version 1 (OTP 25's default): NEW_FLOAT_EXT.
#[test]
fn we_decode_erlang_default_format() {
    check_erlang_encodes(1);
}

/// minor_version 2: UTF-8 atoms as well (OTP 26's default).
#[test]
fn we_decode_erlang_utf8_atoms() {
    check_erlang_encodes(2);
}
