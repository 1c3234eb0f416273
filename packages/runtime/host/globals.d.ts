/**
 * The only host globals the runtime uses, declared without Node's or the DOM's types so that
 * the runtime compiles against the ECMAScript library alone: every host Causeway runs on
 * (Node, browsers, workers, Deno, Bun) provides these. Timers drive live mode; `performance`
 * times listener runs for the activities log, never anything that enters the event log;
 * `structuredClone` copies a read model's stored rows for a transaction (outside the loop).
 */
declare function setTimeout(callback: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare const performance: { now(): number };
declare function structuredClone<T>(value: T): T;
