//! BERT interop with the Ruby `bert` gem (Debian's ruby-bert), both directions, and the
//! Message frame byte for byte.

mod support;

use dripdrop::bert::{decode, encode, Value};
use dripdrop::Message;
use support::cases::cases;
use support::{hex, ruby, unhex};

/// Deep equality that Ruby's `==` does not give: classes must match (a Tuple is not an Array),
/// strings compare as bytes, floats by bits (so -0.0 differs from 0.0).
const SAME: &str = r#"
def same(a, b)
  return false unless a.class == b.class
  case a
  when Array then a.size == b.size && a.zip(b).all? { |x, y| same(x, y) }
  when Hash
    a.size == b.size && a.to_a.zip(b.to_a).all? { |(k1, v1), (k2, v2)| same(k1, k2) && same(v1, v2) }
  when String then a.b == b.b
  when Float then [a].pack('G') == [b].pack('G')
  else a == b
  end
end
"#;

#[test]
fn ruby_decodes_what_we_encode() {
    let cases: Vec<_> = cases().into_iter().filter(|c| c.ruby.is_some()).collect();
    let input: String = cases
        .iter()
        .map(|c| {
            let bytes = encode(&c.value).unwrap_or_else(|e| panic!("{}: {e}", c.name));
            format!(
                "{}\t{}\t{}\n",
                c.name,
                hex(&bytes),
                c.ruby.unwrap_or_default()
            )
        })
        .collect();
    let program = format!(
        r##"{SAME}
STDIN.each_line do |line|
  name, hex, expr = line.chomp.split("\t", 3)
  got = BERT.decode([hex].pack('H*'))
  puts "#{{name}} #{{same(got, eval(expr)) ? 'ok' : "MISMATCH #{{got.inspect}}"}}"
end"##
    );
    let output = ruby(&program, &input);
    let verdicts: Vec<&str> = output.lines().collect();
    assert_eq!(
        verdicts.len(),
        cases.len(),
        "one verdict per case:\n{output}"
    );
    let failures: Vec<_> = verdicts.iter().filter(|l| !l.ends_with(" ok")).collect();
    assert!(failures.is_empty(), "Ruby read differently: {failures:?}");
}

#[test]
fn we_decode_what_ruby_encodes() {
    let cases: Vec<_> = cases()
        .into_iter()
        .filter(|c| c.ruby.is_some() && c.ruby_encodes_exactly)
        .collect();
    let input: String = cases
        .iter()
        .map(|c| format!("{}\t{}\n", c.name, c.ruby.unwrap_or_default()))
        .collect();
    let program = r##"STDIN.each_line do |line|
  name, expr = line.chomp.split("\t", 2)
  puts "#{name} #{BERT.encode(eval(expr)).unpack1('H*')}"
end"##;
    let output = ruby(program, &input);
    let frames: Vec<&str> = output.lines().collect();
    assert_eq!(frames.len(), cases.len(), "one frame per case:\n{output}");
    for (line, case) in frames.iter().zip(&cases) {
        let (name, hex_text) = line.split_once(' ').expect("name and hex");
        assert_eq!(name, case.name);
        let got = decode(&unhex(hex_text)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, case.value, "{name}");
        if let (Value::Float(g), Value::Float(w)) = (&got, &case.value) {
            assert_eq!(g.to_bits(), w.to_bits(), "{name}: float bits");
        }
    }
}

/// A Message frame is exactly what `BERT.encode({:name => n, :head => h, :body => b})` writes,
/// but for float text: Ruby writes "%15.15e" (16 digits, not always exact), we write "%.20e".
#[test]
fn message_frame_matches_ruby_bytes() {
    let msg = Message::new("ping")
        .expect("valid name")
        .with_head_entry("reply_to", "pong")
        .with_body(Value::List(vec![
            Value::Int(1),
            Value::from("two"),
            Value::Nil,
            Value::Dict(vec![(Value::atom("k"), Value::Bool(true))]),
        ]));
    let ruby_hex = ruby(
        "print BERT.encode({:name => 'ping', :head => {'reply_to' => 'pong'}, \
         :body => [1, 'two', nil, {:k => true}]}).unpack1('H*')",
        "",
    );
    assert_eq!(hex(&msg.encode().expect("encodable")), ruby_hex.trim());
    let back = Message::decode(&unhex(&ruby_hex)).expect("Ruby's frame decodes");
    assert_eq!(back, msg);
}

#[test]
fn message_with_floats_crosses_both_ways() {
    let msg = Message::new("m")
        .expect("valid name")
        .with_body(Value::List(vec![Value::Float(3.5), Value::Float(-0.25)]));
    let ruby_sees = ruby(
        "m = BERT.decode(STDIN.read.strip.then { |h| [h].pack('H*') }); \
         print m == {:name => 'm', :head => {}, :body => [3.5, -0.25]}",
        &hex(&msg.encode().expect("encodable")),
    );
    assert_eq!(ruby_sees, "true");
    let ruby_hex = ruby(
        "print BERT.encode({:name => 'm', :head => {}, :body => [3.5, -0.25]}).unpack1('H*')",
        "",
    );
    assert_eq!(Message::decode(&unhex(&ruby_hex)).expect("decodes"), msg);
}
