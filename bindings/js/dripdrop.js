// DripDrop in the browser: a WebSocket to a DripDrop websocket_server route, speaking its
// messages ({name, head, body}) as JSON text frames. An ES module with no build step and no
// dependencies; the shape is the original DripDrop's (onOpen, onReceive, sendMessage).

/** A DripDrop message: a name, a head of named values, and a body. */
export class Message {
  /**
   * @param {string} name  non-empty
   * @param {{head?: object, body?: any}} [parts]
   */
  constructor(name, { head = {}, body = null } = {}) {
    if (typeof name !== "string" || name === "") {
      throw new TypeError("a DripDrop message needs a non-empty string name");
    }
    if (head === null || typeof head !== "object" || Array.isArray(head)) {
      throw new TypeError("a DripDrop message's head is an object");
    }
    this.name = name;
    this.head = head;
    this.body = body;
  }

  /** The JSON object the server reads (JSON.stringify calls it). */
  toJSON() {
    return { name: this.name, head: this.head, body: this.body };
  }

  /** Reads a message from the text of a frame; throws on text that is not one. */
  static fromJSON(text) {
    const parsed = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new TypeError("a DripDrop message is a JSON object");
    }
    return new Message(parsed.name, {
      head: parsed.head ?? {},
      body: parsed.body ?? null,
    });
  }
}

/**
 * A connection to a websocket_server route. Handlers are set with onOpen, onReceive,
 * onClose and onError, each returning the connection so they chain.
 */
export class DripDropWebSocket {
  /** @param {string} url  ws://host:port/path (or wss://) */
  constructor(url) {
    this.url = url;
    this.handlers = { open: () => {}, receive: () => {}, close: () => {}, error: () => {} };
    this.socket = new globalThis.WebSocket(url);
    // Binary frames (BERT messages, raw frames) come as ArrayBuffers, not Blobs.
    this.socket.binaryType = "arraybuffer";
    this.socket.addEventListener("open", (event) => this.handlers.open(event));
    this.socket.addEventListener("close", (event) => this.handlers.close(event));
    this.socket.addEventListener("error", (event) => this.handlers.error(event));
    this.socket.addEventListener("message", (event) => this.#receive(event.data));
  }

  /** Called once the connection is open. */
  onOpen(handler) {
    this.handlers.open = handler;
    return this;
  }

  /** Called with each Message the route sends (a binary frame comes as an ArrayBuffer). */
  onReceive(handler) {
    this.handlers.receive = handler;
    return this;
  }

  /** Called with the CloseEvent (its code and reason) when the connection ends. */
  onClose(handler) {
    this.handlers.close = handler;
    return this;
  }

  /** Called with the socket's error event, or with the Error for a frame that is not JSON. */
  onError(handler) {
    this.handlers.error = handler;
    return this;
  }

  /** Sends a Message (as JSON text). Before the connection is open this throws, as WebSocket does. */
  sendMessage(message) {
    if (!(message instanceof Message)) {
      throw new TypeError("sendMessage takes a DripDrop.Message");
    }
    this.socket.send(JSON.stringify(message));
  }

  /** Closes the connection normally (1000). */
  close(code = 1000, reason = "") {
    this.socket.close(code, reason);
  }

  /** Whether the connection is open. */
  get isOpen() {
    return this.socket.readyState === globalThis.WebSocket.OPEN;
  }

  #receive(data) {
    if (typeof data !== "string") {
      this.handlers.receive(data);
      return;
    }
    let message;
    try {
      message = Message.fromJSON(data);
    } catch (error) {
      this.handlers.error(error);
      return;
    }
    this.handlers.receive(message);
  }
}

export { DripDropWebSocket as WebSocket };

const DripDrop = { Message, WebSocket: DripDropWebSocket };
export default DripDrop;
