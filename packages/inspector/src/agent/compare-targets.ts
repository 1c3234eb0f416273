import { redactUrl } from '@causeway/adapters';
import { CausewayError, ErrorCodes } from '@causeway/runtime';
import { InspectorError, InspectorErrorCodes } from '../protocol/index.ts';

/**
 * The other logs an agent may open for `compare`: the store URLs it was started with, and no
 * others. A client names one by its URL as given or as shown (password hidden, as in every message); the agent
 * then opens the URL it was given, never the client's text, so no spelling of a path or a
 * database reaches the store opener.
 */
export class CompareTargets {
  readonly #byName = new Map<string, string>();
  /** The allowed URLs with their credentials hidden, in the order given. */
  readonly shown: readonly string[];

  /** @throws CausewayError `CW_INVALID_ARGUMENT` for a list that is not of distinct non-empty strings. */
  constructor(urls: unknown) {
    if (urls === undefined) {
      this.shown = [];
      return;
    }
    if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string' && u.trim() !== '')) {
      // The URLs are not echoed: they may hold a database password.
      const given = Array.isArray(urls)
        ? 'a list holding an empty entry or one that is not a string'
        : urls === null
          ? 'null'
          : typeof urls;
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `compareWith must be a list of store URLs (non-empty strings), got ${given}.`,
        { compareWith: given },
      );
    }
    const shown: string[] = [];
    for (const url of urls as string[]) {
      const display = redactUrl(url);
      const taken = this.#byName.get(display);
      if (taken !== undefined && taken !== url)
        throw new CausewayError(
          ErrorCodes.InvalidArgument,
          `compareWith holds two URLs shown alike (${display}); a client could not tell them apart. Give each store once.`,
          { shown: display },
        );
      if (taken === url) continue;
      this.#byName.set(url, url);
      this.#byName.set(display, url);
      shown.push(display);
    }
    this.shown = shown;
  }

  /**
   * The allowed URL a client's `other` names.
   * @throws InspectorError `forbidden` when it names none of them.
   */
  resolve(other: string): string {
    const url = this.#byName.get(other);
    if (url !== undefined) return url;
    const choices =
      this.shown.length === 0
        ? 'it was started with none: give them at start with --compare <store-url> (causeway-inspector open) or { compareWith: [url] } (attachInspector)'
        : `it may open ${this.shown.join(', ')}; to compare with another, restart it with that URL in --compare or compareWith`;
    throw new InspectorError({
      code: InspectorErrorCodes.Forbidden,
      message: `The agent opens only the logs it was started with, and the store URL asked for is not one of them: ${choices}. Re-executing this log needs no other store.`,
      details: { allowed: this.shown },
    });
  }
}
