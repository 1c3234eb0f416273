/** Where progress goes: a stream, and whether it is a terminal. */
interface ProgressSink {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

/**
 * Progress of a long operation: a bar redrawn in place on a terminal, a count line every
 * tenth of the way (and at the end) otherwise, so logs stay readable.
 */
export class Progress {
  #shownTenth = -1;
  #drawn = false;

  /** Progress over `total` items, written to `sink`. */
  constructor(
    readonly total: number,
    private readonly sink: ProgressSink,
  ) {}

  /** `done` of the total items are finished. */
  update(done: number): void {
    if (this.total === 0) return;
    if (this.sink.isTTY === true) {
      const width = 30;
      const filled = Math.round((done / this.total) * width);
      const percent = Math.floor((done / this.total) * 100);
      this.sink.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} files (${percent}%)`,
      );
      this.#drawn = true;
      return;
    }
    const tenth = Math.floor((done / this.total) * 10);
    if (tenth > this.#shownTenth) {
      this.#shownTenth = tenth;
      this.sink.write(`${done}/${this.total} files\n`);
    }
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.#drawn) this.sink.write('\n');
  }
}
