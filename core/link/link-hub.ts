// The `LinkHub` contract: application frames over each connection's one authenticated WebSocket.

/** Every application frame names its channel; the rest is the channel's own, validated by its handler. */
export interface LinkFrame {
  ch: string;
  [field: string]: unknown;
}

export type FrameHandler = (connectionId: string, frame: LinkFrame) => void | Promise<void>;

/**
 * The live links of all connections. Frames of one connection reach handlers in the order sent,
 * and a handler's promise is awaited before the next frame of that connection is delivered.
 * @example
 * hub.handle('sync.events', async (connectionId, frame) => { await inbox.commit(connectionId, frame); });
 * if (hub.isUp(id)) hub.send(id, { ch: 'sync.events', events });
 */
export interface LinkHub {
  isUp(connectionId: string): boolean;
  /** Queues a frame on the socket; false when the link is down (the caller resends on the next `up`). */
  send(connectionId: string, frame: LinkFrame): boolean;
  /** Bytes written to the socket but not yet flushed: for flow control. */
  bufferedAmount(connectionId: string): number;
  handle(channel: string, handler: FrameHandler): void;
  /** Called with `true` after each authenticated (re)connection and `false` when it drops. */
  onStatus(listener: (connectionId: string, up: boolean) => void): () => void;
}
