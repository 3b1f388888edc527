// JSON values back to back on a byte stream, as ovsdb-server writes them (OVS: lib/jsonrpc.c).
/**
 * Splits a byte stream of JSON values sent back to back (no newline, no length prefix), as
 * ovsdb-server does, into whole values. It scans bytes, not characters: the structural characters
 * (`{ } [ ] " \`) are ASCII and never occur inside a multi-byte UTF-8 sequence, so a chunk boundary
 * in the middle of a character or an escape is harmless.
 */
export class JsonSplitter {
  private parts: Buffer[] = [];
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;

  /**
   * Feeds one chunk; returns the values completed by it, in order.
   *
   * @throws {SyntaxError} when a completed value is not valid JSON, or a top-level value is not an
   *   object or array (the protocol only sends objects); the splitter is reset so the caller may
   *   drop the connection
   */
  push(chunk: Buffer): unknown[] {
    const out: unknown[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (!this.started) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          start = i + 1;
          continue;
        }
        if (c !== 0x7b && c !== 0x5b) {
          this.reset();
          throw new SyntaxError(`JSON stream: unexpected byte 0x${c.toString(16)} between values`);
        }
        this.started = true;
        start = i;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          this.parts.push(chunk.subarray(start, i + 1));
          const text = Buffer.concat(this.parts).toString('utf8');
          this.parts = [];
          this.started = false;
          start = i + 1;
          try {
            out.push(JSON.parse(text));
          } catch (e) {
            this.reset();
            throw e;
          }
        }
      }
    }
    if (this.started && start < chunk.length) this.parts.push(chunk.subarray(start));
    return out;
  }

  /** True when a value has started but not finished. */
  get pending(): boolean {
    return this.started;
  }

  /** Drops any partial value (used when the connection is replaced). */
  reset(): void {
    this.parts = [];
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.started = false;
  }
}
