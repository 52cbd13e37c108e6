//! The `dripdrop` binary: `bert encode|decode [--hex]`, `completions`, its help, its errors
//! (bad input: one line and status 1; a wrong command line: clap's usage error and status 2),
//! and a round trip through real Erlang (OTP's own `term_to_binary`, `binary_to_term` and term
//! parser).

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use support::{erlang, hex, unhex};

/// Runs the built `dripdrop` with `args`, `input` on stdin.
fn dripdrop(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dripdrop"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dripdrop");
    let mut stdin = child.stdin.take().expect("stdin piped");
    let input = input.to_vec();
    // A writer thread, so a large input cannot deadlock against a full stdout pipe. A failed
    // write (the tool exited early) is fine: its output is what is checked.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("wait for dripdrop");
    writer.join().expect("stdin writer");
    output
}

/// Runs `dripdrop`, expecting success and nothing on stderr; returns stdout.
fn succeeds(args: &[&str], input: &[u8]) -> Vec<u8> {
    let out = dripdrop(args, input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dripdrop {args:?} failed: {stderr}");
    assert!(
        stderr.is_empty(),
        "dripdrop {args:?} wrote to stderr: {stderr}"
    );
    out.stdout
}

fn succeeds_text(args: &[&str], input: &[u8]) -> String {
    String::from_utf8(succeeds(args, input)).expect("UTF-8 output")
}

/// Runs `dripdrop`, expecting exit status 1, nothing on stdout, and exactly one stderr line
/// (no panic); returns that line without its newline.
fn fails(args: &[&str], input: &[u8]) -> String {
    let out = dripdrop(args, input);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "dripdrop {args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "dripdrop {args:?} wrote to stdout");
    assert!(
        !stderr.contains("panicked"),
        "dripdrop {args:?} panicked: {stderr}"
    );
    assert!(
        stderr.ends_with('\n') && stderr.lines().count() == 1,
        "dripdrop {args:?}: not one stderr line: {stderr:?}"
    );
    assert!(stderr.starts_with("dripdrop: "), "{stderr}");
    stderr.trim_end().to_owned()
}

/// Runs `dripdrop` with a wrong command line, expecting clap's usage error: exit status 2,
/// nothing on stdout, an `error: ...` line first and the hint to try `--help` last. Returns
/// the first line.
fn usage_error(args: &[&str]) -> String {
    let out = dripdrop(args, b"");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "dripdrop {args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "dripdrop {args:?} wrote to stdout");
    assert!(
        !stderr.contains("panicked"),
        "dripdrop {args:?} panicked: {stderr}"
    );
    assert!(
        stderr.ends_with("\nFor more information, try '--help'.\n"),
        "dripdrop {args:?}: no hint: {stderr}"
    );
    stderr.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn encode_writes_known_bytes() {
    let cases = [
        ("{a,1}", "836802640001616101"),
        ("{a, 1}.\n", "836802640001616101"),
        ("[]", "836a"),
        ("<<\"hi\">>", "836d000000026869"),
        ("-1", "8362ffffffff"),
        ("#{}", "837400000000"),
    ];
    for (text, expected) in cases {
        assert_eq!(
            hex(&succeeds(&["bert", "encode"], text.as_bytes())),
            expected,
            "{text}"
        );
        let hex_out = succeeds_text(&["bert", "encode", "--hex"], text.as_bytes());
        assert_eq!(hex_out, format!("{expected}\n"), "{text}");
    }
}

#[test]
fn encode_then_decode_round_trips() {
    let cases = [
        "{a,1}",
        "[1,-2,3000000000,-18446744073709551616,2.5,-0.0,1.0e300,5.0e-324]",
        "{'Hello',<<\"caf\\x{E9}\"/utf8>>,<<0,255>>,<<>>,'\\x{1F600}','case'}",
        "#{a => [],{} => #{},<<\"k\">> => [104,105]}",
        "[[[[]]],{{}},{[a|[b]]}]",
    ];
    for text in cases {
        let bytes = succeeds(&["bert", "encode"], text.as_bytes());
        let back = succeeds_text(&["bert", "decode"], &bytes);
        let expected = dripdrop::bert::text::print(
            &dripdrop::bert::text::parse(text).expect("test case parses"),
        );
        assert_eq!(back, format!("{expected}\n"), "{text}");
    }
}

#[test]
fn hex_both_ways() {
    let hex_out = succeeds_text(&["bert", "encode", "--hex"], b"{ok, <<\"hi\">>}");
    assert_eq!(hex_out, "8368026400026f6b6d000000026869\n");
    let spaced = "83 68 02 64 00 02 6F 6B\n6D 00 00 00 02 68 69\n";
    assert_eq!(
        succeeds_text(&["bert", "decode", "--hex"], spaced.as_bytes()),
        "{ok,<<\"hi\">>}\n"
    );
    assert_eq!(
        succeeds_text(&["bert", "decode", "--hex"], hex_out.as_bytes()),
        "{ok,<<\"hi\">>}\n"
    );
    assert_eq!(
        succeeds_text(&["bert", "decode"], &unhex(&hex_out)),
        "{ok,<<\"hi\">>}\n"
    );
}

#[test]
fn help_and_version() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let text = succeeds_text(args, b"");
        assert!(
            text.contains("Usage: dripdrop <COMMAND>"),
            "{args:?}: {text}"
        );
        for line in ["  bert ", "  completions ", "dripdrop bert encode --hex"] {
            assert!(text.contains(line), "{args:?}: no {line:?} in {text}");
        }
    }
    for args in [&["bert", "--help"][..], &["help", "bert"]] {
        let text = succeeds_text(args, b"");
        assert!(text.contains("Usage: dripdrop bert <COMMAND>"), "{text}");
        assert!(
            text.contains("  encode ") && text.contains("  decode "),
            "{text}"
        );
    }
    for command in ["encode", "decode"] {
        let text = succeeds_text(&["bert", command, "--help"], b"");
        let usage = format!("Usage: dripdrop bert {command} [OPTIONS]");
        assert!(text.contains(&usage), "{text}");
        assert!(text.contains("--hex"), "{text}");
    }
    for args in [&["--version"][..], &["-V"]] {
        let version = succeeds_text(args, b"");
        assert_eq!(version, format!("dripdrop {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn completions_for_each_shell() {
    let cases = [
        ("bash", "_dripdrop()"),
        ("zsh", "#compdef dripdrop"),
        ("fish", "complete -c dripdrop"),
        ("elvish", "edit:completion:arg-completer[dripdrop]"),
        ("powershell", "Register-ArgumentCompleter"),
    ];
    for (shell, marker) in cases {
        let script = succeeds_text(&["completions", shell], b"");
        assert!(
            script.contains(marker),
            "{shell}: no {marker:?} in {script}"
        );
        // The script knows the subcommands and the flag (`--hex`, or fish's `-l hex`).
        for word in ["encode", "decode", "hex"] {
            assert!(script.contains(word), "{shell}: no {word:?} in {script}");
        }
    }
}

#[test]
fn a_wrong_command_line_is_a_usage_error_with_status_2() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["frobnicate"],
            "error: unrecognized subcommand 'frobnicate'",
        ),
        (
            &["bert", "encode", "--raw"],
            "error: unexpected argument '--raw' found",
        ),
        (
            &["bert", "decode", "--hex", "extra"],
            "error: unexpected argument 'extra' found",
        ),
        (
            &["bert", "transcode"],
            "error: unrecognized subcommand 'transcode'",
        ),
        (
            &["completions"],
            "error: the following required arguments were not provided:",
        ),
        (
            &["completions", "tcsh"],
            "error: invalid value 'tcsh' for '<SHELL>'",
        ),
    ];
    for (args, expected) in cases {
        let first = usage_error(args);
        assert_eq!(first, expected, "dripdrop {args:?}");
    }
    // No command at all, or `bert` alone: the help of what is missing, on stderr.
    for (args, usage) in [
        (&[][..], "Usage: dripdrop <COMMAND>"),
        (&["bert"], "Usage: dripdrop bert <COMMAND>"),
    ] {
        let out = dripdrop(args, b"");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "dripdrop {args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "dripdrop {args:?} wrote to stdout");
        assert!(stderr.contains(usage), "dripdrop {args:?}: {stderr}");
    }
}

#[test]
fn bad_input_is_one_line_and_exit_status_1() {
    let too_deep: Vec<u8> = std::iter::once(131)
        .chain([108, 0, 0, 0, 1].repeat(200))
        .chain([106; 200])
        .collect();
    let cases: [(&[&str], &[u8], &str); 10] = [
        (
            &["bert", "decode", "--hex"],
            b"83c8",
            "cannot decode: at byte 1: unknown tag 200",
        ),
        (
            &["bert", "decode"],
            &[131, 200],
            "cannot decode: at byte 1: unknown tag 200",
        ),
        (
            &["bert", "decode"],
            b"",
            "cannot decode: at byte 0: empty input",
        ),
        (
            &["bert", "decode"],
            &[131, 97],
            "cannot decode: at byte 2: input ends early",
        ),
        (&["bert", "decode"], &too_deep, "cannot decode: at byte "),
        (
            &["bert", "decode", "--hex"],
            b"83 6g",
            "invalid hex input: byte 0x67 at offset 4",
        ),
        (
            &["bert", "decode", "--hex"],
            b"836",
            "invalid hex input: odd number of hex digits (3)",
        ),
        (
            &["bert", "encode"],
            b"{a, b]",
            "cannot parse: line 1, column 6: expected ',' or '}' but found ']'",
        ),
        (
            &["bert", "encode"],
            b"'abc\n\n",
            "cannot parse: line 1, column 1: unterminated",
        ),
        (
            &["bert", "encode"],
            &[b'"', 0xff, b'"'],
            "cannot read input: stdin is not UTF-8",
        ),
    ];
    for (args, input, expected) in cases {
        let line = fails(args, input);
        assert!(
            line.starts_with(&format!("dripdrop: {expected}")),
            "dripdrop {args:?}: got {line:?}, expected {expected:?}"
        );
    }
}

/// Erlang expressions for the round trip, one per line (ASCII, so stdin needs no encoding).
const ERLANG_CASES: &[&str] = &[
    "a",
    "'Hello World'",
    "'case'",
    "'maybe'",
    "''",
    "'caf\\x{E9}'",
    "'\\x{1F600} smile'",
    "{'true', false, nil, bert}",
    "0",
    "255",
    "256",
    "-1",
    "1 bsl 27",
    "1 bsl 31",
    "-(1 bsl 31) - 1",
    "1 bsl 63",
    "-(1 bsl 63) - 1",
    "1 bsl 64",
    "-(1 bsl 64)",
    "list_to_integer([$1 | lists:duplicate(40, $0)])",
    "-list_to_integer([$1 | lists:duplicate(40, $0)])",
    "0.1",
    "1.0e300",
    // -0.0 built from its bytes: OTP 25 cannot be trusted to keep the sign of a literal.
    "binary_to_term(<<131, 70, 128, 0, 0, 0, 0, 0, 0, 0>>)",
    "[binary_to_term(<<131, 70, 128, 0, 0, 0, 0, 0, 0, 0>>), 0.0]",
    "5.0e-324",
    "-2.5e-3",
    "<<\"hello, world\">>",
    "<<\"caf\\x{E9} \\x{1F600}\"/utf8>>",
    "<<0, 1, 2, 127, 128, 255>>",
    "<<>>",
    "\"hello\"",
    "\"caf\\x{E9}\"",
    "\"\\x{1F600}\"",
    "lists:seq(0, 255)",
    "lists:seq(250, 300)",
    "[]",
    "{}",
    "#{}",
    "[a, [b, [c, []]], {}, [[]]]",
    "{tuple, [1, 2.5, <<\"x\">>], #{a => 1, <<\"k\">> => [#{}]}}",
    "#{{1, 2} => \"x\", 3 => -4, [] => <<>>, 1.5 => {}}",
    "{{{{{{{{{{deep}}}}}}}}}}",
];

/// Erlang reads one expression per stdin line and prints `term_to_binary` of its value as
/// hex, alternating between the default, `minor_version` 2 (UTF-8 atoms) and 0 (text floats).
const ERLANG_TO_HEX: &str = r#"
try
    Eval = fun(S) ->
        {ok, Tokens, _} = erl_scan:string(S ++ "."),
        {ok, Exprs} = erl_parse:parse_exprs(Tokens),
        {value, V, _} = erl_eval:exprs(Exprs, []),
        V
    end,
    Options = {[], [{minor_version, 2}], [{minor_version, 0}]},
    Go = fun Next(I) ->
        case io:get_line("") of
            eof -> ok;
            Line ->
                T = Eval(string:trim(Line)),
                Bytes = term_to_binary(T, element(I rem 3 + 1, Options)),
                io:format("~s~n", [binary:encode_hex(Bytes)]),
                Next(I + 1)
        end
    end,
    Go(0)
catch C:R:S ->
    io:format(standard_error, "~p~n", [{C, R, S}]),
    halt(1)
end
"#;

/// Erlang reads `Expression \t PrintedText \t EncodedHex` lines and says, per line, whether
/// the printed text parses back (erl_scan + erl_parse:parse_term) to the expression's value
/// and whether the encoded bytes decode (binary_to_term) to it. Equal means `=:=` and the
/// same `term_to_binary`, since OTP 25 has `0.0 =:= -0.0`.
const ERLANG_CHECK: &str = r#"
try
    Eval = fun(S) ->
        {ok, Tokens, _} = erl_scan:string(S ++ "."),
        {ok, Exprs} = erl_parse:parse_exprs(Tokens),
        {value, V, _} = erl_eval:exprs(Exprs, []),
        V
    end,
    Same = fun(A, B) -> A =:= B andalso term_to_binary(A) =:= term_to_binary(B) end,
    Verdict = fun(true) -> "ok"; (false) -> "mismatch" end,
    Check = fun(Line) ->
        [Expr, Text, Hex] = string:split(string:trim(Line, trailing, "\n"), "\t", all),
        T = Eval(Expr),
        Parsed = try
            {ok, Ts, _} = erl_scan:string(Text ++ "."),
            {ok, P} = erl_parse:parse_term(Ts),
            Verdict(Same(T, P))
        catch _:E1 -> lists:flatten(io_lib:format("unreadable:~0p", [E1]))
        end,
        Decoded = try
            Verdict(Same(T, binary_to_term(binary:decode_hex(list_to_binary(Hex)))))
        catch _:E2 -> lists:flatten(io_lib:format("undecodable:~0p", [E2]))
        end,
        Parsed ++ " " ++ Decoded
    end,
    Go = fun Next() ->
        case io:get_line("") of
            eof -> ok;
            Line -> io:format("~s~n", [Check(Line)]), Next()
        end
    end,
    Go()
catch C:R:S ->
    io:format(standard_error, "~p~n", [{C, R, S}]),
    halt(1)
end
"#;

#[test]
fn erlang_terms_round_trip_through_the_tool() {
    let input: String = ERLANG_CASES
        .iter()
        .map(|case| format!("{case}\n"))
        .collect();
    let from_erlang = erlang(ERLANG_TO_HEX, &input);
    let hexes: Vec<&str> = from_erlang.lines().collect();
    assert_eq!(
        hexes.len(),
        ERLANG_CASES.len(),
        "Erlang printed:\n{from_erlang}"
    );

    let mut checks = String::new();
    let mut printed = Vec::new();
    for (case, erlang_hex) in ERLANG_CASES.iter().zip(&hexes) {
        let text = succeeds_text(&["bert", "decode", "--hex"], erlang_hex.as_bytes());
        let text = text.trim_end().to_owned();
        assert!(text.is_ascii() && !text.contains('\t'), "{case}: {text}");
        let encoded = succeeds_text(&["bert", "encode", "--hex"], text.as_bytes());
        checks.push_str(&format!("{case}\t{text}\t{}\n", encoded.trim_end()));
        printed.push((text, encoded));
    }

    let verdicts = erlang(ERLANG_CHECK, &checks);
    let verdicts: Vec<&str> = verdicts.lines().collect();
    assert_eq!(
        verdicts.len(),
        ERLANG_CASES.len(),
        "Erlang printed:\n{verdicts:?}"
    );
    let failures: Vec<String> = ERLANG_CASES
        .iter()
        .zip(&hexes)
        .zip(&printed)
        .zip(&verdicts)
        .filter(|(_, verdict)| **verdict != "ok ok")
        .map(|(((case, erlang_hex), (text, encoded)), verdict)| {
            format!(
                "{case}\n  erlang bytes {erlang_hex}\n  printed      {text}\n  \
                 encoded      {}\n  verdict (parse, decode): {verdict}",
                encoded.trim_end()
            )
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
