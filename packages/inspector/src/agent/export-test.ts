import {
  CausewayError,
  ErrorCodes,
  type EventStore,
  type InputRecord,
  type StoredEnvelope,
  type TickCommit,
} from '@causeway/runtime';
import { InspectorError, InspectorErrorCodes, type ExportedTest } from '../protocol/index.ts';

/** Where the generated test finds the application: a module exporting a `MakeSystem`. */
export interface SystemModule {
  /** The import specifier written into the test (a package name or a path relative to it). */
  readonly specifier: string;
  /** The name of the exported `MakeSystem`. Default `makeSystem`. */
  readonly exportName?: string;
}

/** The most inputs a generated test replays (the ticks before the range included). */
export const MAX_EXPORTED_INPUTS = 20_000;

function key(k: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k);
}

function inline(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (value instanceof Uint8Array) return `new Uint8Array([${value.join(', ')}])`;
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${key(k)}: ${inline(v)}`).join(', ')} }`;
  }
  throw new CausewayError(
    ErrorCodes.InvalidPayload,
    `A ${typeof value} cannot be written into a generated test; logs hold plain msgpack data only.`,
    { kind: typeof value },
  );
}

/** Writes `value` (plain msgpack data) as a TypeScript literal, on one line when it is short. */
export function literal(value: unknown, indent = ''): string {
  const short = inline(value);
  if (short.length + indent.length <= 90 || typeof value !== 'object' || value === null)
    return short;
  if (value instanceof Uint8Array) return short;
  const inner = `${indent}  `;
  if (Array.isArray(value))
    return `[\n${value.map((v) => `${inner}${literal(v, inner)},`).join('\n')}\n${indent}]`;
  const lines = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${inner}${key(k)}: ${literal(v, inner)},`,
  );
  return `{\n${lines.join('\n')}\n${indent}}`;
}

async function commitsUpTo(store: EventStore, toInput: number): Promise<TickCommit[]> {
  const commits: TickCommit[] = [];
  for (let after = 0; ;) {
    const page = await store.readCommits(after, 1000);
    for (const commit of page) {
      commits.push(commit);
      if (commit.lastInput >= toInput) return commits;
    }
    if (page.length < 1000) return commits;
    after = (page[page.length - 1] as TickCommit).tick;
  }
}

async function eventsOf(
  store: EventStore,
  fromSeq: number,
  toSeq: number,
): Promise<StoredEnvelope[]> {
  const out: StoredEnvelope[] = [];
  for (let from: number | null = fromSeq; from !== null && from <= toSeq;) {
    const page = await store.readEvents({ fromSeq: from, toSeq, limit: 1000 });
    out.push(...page.items);
    from = page.next;
  }
  return out;
}

/**
 * Text fit for a `//` comment: JavaScript ends a comment at any line terminator, so a name or a
 * store description holding one would put the rest of it into the generated code.
 */
function commentText(text: string): string {
  return text.replace(/[\n\r\u2028\u2029]+/g, ' ');
}

/** A string literal that no editor or older parser splits across lines. */
function stringLiteral(text: string): string {
  return JSON.stringify(text)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function inputLine(record: InputRecord): string {
  return `input(type(${JSON.stringify(record.type)}), ${JSON.stringify(record.entity)}, ${literal(record.data, '      ')}, ${JSON.stringify(record.actor)})`;
}

function tickLines(
  ticks: readonly { tick: number; at: number; inputs: readonly InputRecord[] }[],
): string {
  if (ticks.length === 0) return '[]';
  const lines = ticks.map((t) => {
    const inputs = t.inputs.map((r) => `      ${inputLine(r)},`).join('\n');
    return `  // tick ${t.tick}\n  {\n    at: ${t.at},\n    inputs: [${t.inputs.length === 0 ? '' : `\n${inputs}\n    `}],\n  },`;
  });
  return `[\n${lines.join('\n')}\n]`;
}

/**
 * Generates a given/when/then test that reproduces the journaled inputs `fromInput..toInput`:
 * the ticks that consumed them are *when*, the ticks before them *given* (so the state they
 * start from is the logged one), and *then* is what the log recorded — every envelope and each
 * tick's state hash. The test also runs the runtime kit's `assertReplay` over the whole script,
 * so it guards rebuild, lockstep, re-execution and crash recovery of the range too.
 *
 * @throws InspectorError `not-found` when the inputs were not consumed by a committed tick,
 *   `bad-params` when the script would exceed {@link MAX_EXPORTED_INPUTS} inputs.
 */
export async function exportRangeAsTest(
  store: EventStore,
  module: SystemModule,
  range: { fromInput: number; toInput: number; name?: string },
): Promise<ExportedTest> {
  const { fromInput, toInput } = range;
  if (toInput > MAX_EXPORTED_INPUTS) {
    throw new InspectorError({
      code: InspectorErrorCodes.BadParams,
      message: `exportTest: the test would replay ${toInput} inputs (every input up to ${toInput}); at most ${MAX_EXPORTED_INPUTS} fit in a readable test. Export a range from an earlier part of the log.`,
      details: { toInput, max: MAX_EXPORTED_INPUTS },
    });
  }
  const commits = await commitsUpTo(store, toInput);
  const last = commits[commits.length - 1];
  if (last === undefined || last.lastInput < toInput) {
    throw new InspectorError({
      code: InspectorErrorCodes.NotFound,
      message: `exportTest: input ${toInput} was not consumed by a committed tick (the last commit consumed inputs up to ${last?.lastInput ?? 0}).`,
      details: { toInput, lastInput: last?.lastInput ?? 0 },
    });
  }
  const inputs: InputRecord[] = [];
  while (inputs.length < toInput) {
    const page = await store.readInputs(inputs.length, Math.min(1000, toInput - inputs.length));
    if (page.length === 0) break;
    inputs.push(...page);
  }
  const given: { tick: number; at: number; inputs: InputRecord[] }[] = [];
  const when: { tick: number; at: number; inputs: InputRecord[] }[] = [];
  let consumed = 0;
  let firstWhen: TickCommit | null = null;
  for (const commit of commits) {
    const tickInputs = inputs.slice(consumed, commit.lastInput);
    consumed = commit.lastInput;
    const inRange = commit.lastInput >= fromInput;
    if (inRange) firstWhen ??= commit;
    (inRange ? when : given).push({ tick: commit.tick, at: commit.at, inputs: tickInputs });
  }
  const whenCommits = commits.slice(given.length);
  const first = firstWhen ?? last;
  const events = await eventsOf(store, first.firstSeq, last.lastSeq);
  const specifier = JSON.stringify(module.specifier);
  const exportName = module.exportName ?? 'makeSystem';
  const title = range.name ?? `inputs ${fromInput}..${toInput} (ticks ${first.tick}..${last.tick})`;
  const source = `// Generated by causeway-inspector from ${commentText(store.description)}: ${commentText(title)}.
// Given the ticks before the range, when the range's ticks run, then the system emits exactly
// the logged events and reaches the logged state hashes.
import { input, MemoryStore, systemInternals, type AnyEventType } from '@causeway/runtime';
import { assertReplay, runScript, type Script } from '@causeway/runtime/testing';
import { describe, expect, it } from 'vitest';
import { ${exportName === 'makeSystem' ? 'makeSystem' : `${exportName} as makeSystem`} } from ${specifier};

const types = systemInternals(makeSystem(new MemoryStore())).types;
function type(name: string): AnyEventType {
  const found = types.get(name);
  if (found === undefined) throw new Error(\`The system does not know the event type \${name}.\`);
  return found;
}

const given: Script = ${tickLines(given)};

const when: Script = ${tickLines(when)};

const thenEvents = ${literal(events)};

const thenHashes = ${literal(whenCommits.map((c) => c.hash))};

describe(${stringLiteral(title)}, () => {
  it('emits the logged events and reaches the logged state hashes', async () => {
    const system = makeSystem(new MemoryStore());
    await runScript(system, given);
    const results = await runScript(system, when);
    expect(results.flatMap((r) => r.events)).toEqual(thenEvents);
    expect(results.map((r) => r.commit.hash)).toEqual(thenHashes);
    await system.close();
  });

  it('replays, re-executes and recovers from a crash identically', async () => {
    await assertReplay(makeSystem, [...given, ...when]);
  });
});
`;
  const slug = title
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
  return {
    fileName: `${slug === '' ? 'exported' : slug}.test.ts`,
    source,
    fromInput,
    toInput,
    ticks: when.length,
  };
}
