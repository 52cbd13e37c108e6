# frozen_string_literal: true

require "json"
require "open3"
require "socket"
require "timeout"

# Real web clients for the web routes' tests: curl, and Python's websockets (version 17, its
# sync client) in a child process whose lines the test reads (CrossLanguage#spawn_child).
module WebClients
  # How long a client may wait for the server.
  CLIENT_LIMIT = 20

  # What a websocket client script starts with: URL, LIMIT, say(*words) printing one line,
  # and wait_closed(ws) reading until the server closes (printing "closed <code>").
  WS_PRELUDE = <<~PY
    import json, sys
    from websockets.sync.client import connect
    from websockets.exceptions import ConnectionClosed
    URL = sys.argv[1]
    LIMIT = #{CLIENT_LIMIT}
    def say(*words):
        print(" ".join(str(w) for w in words), flush=True)
    def wait_closed(ws):
        try:
            while True:
                ws.recv(timeout=LIMIT)
        except ConnectionClosed as closed:
            say("closed", closed.rcvd.code if closed.rcvd else None)
  PY

  # POSTs +message+ (a Hash) as JSON to +url+ with curl; [status, body].
  def curl_post(url, message)
    out, err, status = Open3.capture3("curl", "-sS", "--max-time", CLIENT_LIMIT.to_s,
                                      "-H", "Content-Type: application/json",
                                      "--data-binary", JSON.generate(message),
                                      "-w", "\n%{http_code}", url)
    assert status.success?, "curl failed: #{err}"
    body, _, code = out.rpartition("\n")
    [Integer(code), body]
  end

  # Runs +node+'s loop on a thread while the block runs (a client in this thread asks it),
  # then stops it and waits for it.
  def in_running_node(node)
    node.start
    yield
  ensure
    node.stop
    Timeout.timeout(DripDropTest::LIMIT) { node.join }
  end

  # A Python websockets client running +script+ (after WS_PRELUDE, inside
  # `with connect(URL) as ws:`) against +url+.
  def ws_client(url, script)
    body = script.lines.map { |line| "    #{line}" }.join
    source = "#{WS_PRELUDE}with connect(URL, open_timeout=LIMIT) as ws:\n#{body}"
    spawn_child("websockets client", ENV.fetch("PYTHON", "python3"), "-c", source, url)
  end
end
