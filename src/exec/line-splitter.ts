// Byte stream to lines, across chunk and UTF-8 boundaries (the line reading of Neutron's AsyncProcess).
/**
 * Splits a byte stream into lines (without their `\n`), keeping the unfinished tail for the next
 * chunk. UTF-8 sequences cut between chunks are reassembled by the decoder.
 */
export class LineSplitter {
  private tail = '';
  private readonly decoder = new TextDecoder('utf-8');

  /** Feeds one chunk; returns the complete lines it finished. */
  push(chunk: Buffer | string): string[] {
    const text =
      this.tail + (typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
    const lines = text.split('\n');
    this.tail = lines.pop() ?? '';
    return lines;
  }

  /** Ends the stream; returns the last line if it had no newline. */
  end(): string[] {
    const rest = this.tail + this.decoder.decode();
    this.tail = '';
    return rest === '' ? [] : [rest];
  }
}
