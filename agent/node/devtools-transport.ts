// How DevTools messages travel between the agent and the browser: a WebSocket to
// `--remote-debugging-port` (devtools-websocket.ts) or the pipes of `--remote-debugging-pipe`
// (devtools-pipe.ts). The connection (devtools-connection.ts) speaks the protocol over either.

/** One bidirectional channel of whole DevTools messages (JSON text). */
export interface DevToolsTransport {
  /** Open until the browser or close() ends it; send() then does nothing. */
  readonly open: boolean;
  /** Resolves once the channel is gone, whichever side ended it. */
  readonly closed: Promise<void>;
  send(message: string): void;
  /** Each whole message as it arrives; set once, by the connection. */
  onMessage(receive: (message: string) => void): void;
  close(): Promise<void>;
}
