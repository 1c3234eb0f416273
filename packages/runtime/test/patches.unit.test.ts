import fc from 'fast-check';
import {
  applyPatches,
  createDraft,
  current,
  enablePatches,
  finishDraft,
  freeze,
  type Draft,
} from 'immer';
import { describe, expect, it } from 'vitest';
import {
  defineEvent,
  EventSystem,
  hashState,
  input,
  newEntityId,
  type EventPatches,
} from '../src/index.ts';
import { PatchRecorder } from '../src/state/patch-recorder.ts';

enablePatches();

// A random applier is a script of operations on the draft. Every operation finds its container
// by walking the draft from the root (or from a reference the script holds), taking the
// object-valued child chosen by each number of `at`, so the same script does the same thing to
// the recording proxy and to the bare draft.

type Value = null | number | string | Value[] | { [key: string]: Value };

type Op =
  | {
      readonly k: 'set';
      readonly h: number;
      readonly at: number[];
      readonly key: number;
      readonly value: Value;
    }
  | { readonly k: 'inc'; readonly h: number; readonly at: number[]; readonly key: number }
  | { readonly k: 'delete'; readonly h: number; readonly at: number[]; readonly key: number }
  | {
      readonly k: 'copy' | 'move' | 'wrap';
      readonly h: number;
      readonly from: number[];
      readonly at: number[];
      readonly key: number;
    }
  | {
      readonly k: 'push' | 'unshift';
      readonly h: number;
      readonly at: number[];
      readonly values: Value[];
    }
  | {
      readonly k: 'splice';
      readonly h: number;
      readonly at: number[];
      readonly start: number;
      readonly count: number;
      readonly values: Value[];
    }
  | {
      readonly k: 'pop' | 'shift' | 'reverse' | 'sort' | 'hold';
      readonly h: number;
      readonly at: number[];
    }
  | { readonly k: 'length'; readonly h: number; readonly at: number[]; readonly n: number }
  // Idioms that keep a plain reference to a new object after assigning it into the draft.
  | {
      readonly k: 'ensure' | 'ensureOr' | 'assignFresh' | 'keep' | 'assignInto';
      readonly h: number;
      readonly at: number[];
      readonly key: number;
      readonly value: Value;
    };

const KEYS = ['a', 'b', 'c', 'd', 'e'];

const { value: valueArb } = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -5, max: 5 }),
    fc.constantFrom('x', 'y'),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 3 }),
  ),
}));

const containerArb: fc.Arbitrary<Value> = fc.oneof(
  fc.array(valueArb, { maxLength: 4 }),
  fc.dictionary(fc.constantFrom(...KEYS), valueArb, { maxKeys: 4 }),
);

const stateArb = fc.dictionary(fc.constantFrom(...KEYS), containerArb, {
  minKeys: 1,
  maxKeys: 4,
});

const atArb = fc.array(fc.nat(7), { maxLength: 3 });
const hArb = fc.integer({ min: -2, max: 2 });
const keyArb = fc.nat(7);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('set' as const), h: hArb, at: atArb, key: keyArb, value: valueArb }),
  fc.record({ k: fc.constant('inc' as const), h: hArb, at: atArb, key: keyArb }),
  fc.record({ k: fc.constant('delete' as const), h: hArb, at: atArb, key: keyArb }),
  fc.record({
    k: fc.constantFrom('copy' as const, 'move' as const, 'wrap' as const),
    h: hArb,
    from: atArb,
    at: atArb,
    key: keyArb,
  }),
  fc.record({
    k: fc.constantFrom('push' as const, 'unshift' as const),
    h: hArb,
    at: atArb,
    values: fc.array(valueArb, { maxLength: 2 }),
  }),
  fc.record({
    k: fc.constant('splice' as const),
    h: hArb,
    at: atArb,
    start: fc.nat(4),
    count: fc.nat(2),
    values: fc.array(valueArb, { maxLength: 2 }),
  }),
  fc.record({
    k: fc.constantFrom(
      'pop' as const,
      'shift' as const,
      'reverse' as const,
      'sort' as const,
      'hold' as const,
    ),
    h: hArb,
    at: atArb,
  }),
  fc.record({ k: fc.constant('length' as const), h: hArb, at: atArb, n: fc.nat(5) }),
  fc.record({
    k: fc.constantFrom(
      'ensure' as const,
      'ensureOr' as const,
      'assignFresh' as const,
      'keep' as const,
      'assignInto' as const,
    ),
    h: hArb,
    at: atArb,
    key: keyArb,
    value: valueArb,
  }),
);

/** One event's applier script. */
const scriptArb = fc.array(opArb, { minLength: 1, maxLength: 8 });

type Obj = Record<string | number, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null;
}

function children(container: Obj): (string | number)[] {
  return Object.keys(container)
    .filter((k) => isObj(container[k]))
    .map((k) => (Array.isArray(container) ? Number(k) : k));
}

function walk(root: Obj, held: Obj[], h: number, at: readonly number[]): Obj {
  let node = h >= 0 && held.length > 0 ? (held[h % held.length] as Obj) : root;
  for (const choice of at) {
    const keys = children(node);
    if (keys.length === 0) break;
    node = node[keys[choice % keys.length] as string] as Obj;
  }
  return node;
}

function contains(outer: unknown, inner: unknown, seen = new Set<unknown>()): boolean {
  if (outer === inner) return true;
  if (!isObj(outer) || seen.has(outer)) return false;
  seen.add(outer);
  return Object.keys(outer).some((k) => contains(outer[k], inner, seen));
}

function keyIn(container: Obj, key: number, extra: number): string | number {
  if (Array.isArray(container)) return key % (container.length + extra);
  return KEYS[key % KEYS.length] as string;
}

function fresh(value: Value): Value {
  return structuredClone(value);
}

function order(x: unknown, y: unknown): number {
  const a = typeof x === 'number' ? x : isObj(x) ? 100 : 50;
  const b = typeof y === 'number' ? y : isObj(y) ? 100 : 50;
  return a - b;
}

/** Runs one applier script against `root` (the recording proxy, or the bare draft). */
function runScript(root: Obj, script: readonly Op[]): void {
  const held: Obj[] = [];
  for (const op of script) {
    const target = walk(root, held, op.h, op.at);
    const array = Array.isArray(target) ? (target as unknown[]) : null;
    switch (op.k) {
      case 'set':
        target[keyIn(target, op.key, 1)] = fresh(op.value);
        break;
      case 'inc': {
        const key = keyIn(target, op.key, 0);
        const old = target[key];
        if (typeof old === 'number') target[key] = old + 1;
        break;
      }
      case 'delete':
        if (array === null) delete target[keyIn(target, op.key, 0)];
        else if (array.length > 0) delete target[op.key % array.length];
        break;
      case 'copy':
      case 'move':
      case 'wrap': {
        const parent = walk(root, held, -1, op.from);
        const keys = children(parent);
        if (keys.length === 0) break;
        const fromKey = keys[op.key % keys.length] as string | number;
        const moved = parent[fromKey];
        if (op.k === 'move') {
          if (Array.isArray(parent)) (parent as unknown[]).splice(fromKey as number, 1);
          else delete parent[fromKey];
        }
        // The destination is found after the move; an object put inside itself is skipped.
        const dest = walk(root, held, op.h, op.at);
        if (contains(moved, dest)) break;
        dest[keyIn(dest, op.key, 1)] = op.k === 'wrap' ? { inner: moved, n: 1 } : moved;
        break;
      }
      case 'push':
        array?.push(...op.values.map(fresh));
        break;
      case 'unshift':
        array?.unshift(...op.values.map(fresh));
        break;
      case 'splice':
        array?.splice(op.start, op.count, ...op.values.map(fresh));
        break;
      case 'pop':
        array?.pop();
        break;
      case 'shift':
        array?.shift();
        break;
      case 'reverse':
        array?.reverse();
        break;
      case 'sort':
        array?.sort(order);
        break;
      case 'length':
        if (array !== null) array.length = Math.min(op.n, array.length + 1);
        break;
      case 'hold':
        held.push(target);
        break;
      case 'ensure': {
        // (draft.t[k] ??= []).push(x)
        const list = (target[keyIn(target, op.key, 1)] ??= []);
        if (Array.isArray(list)) list.push(fresh(op.value), fresh(op.value));
        break;
      }
      case 'ensureOr': {
        // (draft.t[k] ||= {}).n = x
        const made = (target[keyIn(target, op.key, 1)] ||= {});
        if (isObj(made) && !Array.isArray(made)) {
          made['n'] = fresh(op.value);
          made['m'] = 1;
        }
        break;
      }
      case 'assignFresh':
        // Object.assign on a fresh object just assigned
        Object.assign((target[keyIn(target, op.key, 1)] = {}), { a: fresh(op.value), b: 2 });
        break;
      case 'keep': {
        // A reference kept across the assignment, written to afterwards.
        const kept: Obj = { list: [] };
        target[keyIn(target, op.key, 1)] = kept;
        kept['a'] = fresh(op.value);
        (kept['list'] as Value[]).push(1);
        kept['list'] = [2];
        break;
      }
      case 'assignInto':
        Object.assign(target, { [String(keyIn(target, op.key, 1))]: fresh(op.value) });
        break;
    }
  }
}

describe('PatchRecorder', () => {
  it('records per event patches that turn the state before it into the state after it, and inverse patches that turn it back', () => {
    fc.assert(
      fc.property(
        stateArb,
        fc.boolean(),
        fc.array(scriptArb, { minLength: 1, maxLength: 6 }),
        (base, frozen, events) => {
          const start = structuredClone(base) as Obj;
          if (frozen) freeze(start, true);
          const draft = createDraft(start) as Obj;
          const recorder = new PatchRecorder(draft);
          for (const script of events) {
            const before = current(draft);
            runScript(recorder.root as Obj, script);
            const after = current(draft);
            const recorded = recorder.take();
            if (recorded === null) {
              expect(after).toEqual(before);
              continue;
            }
            expect(applyPatches(before, recorded.patches)).toEqual(after);
            expect(applyPatches(after, recorded.inverse)).toEqual(before);
          }
          finishDraft(draft);
        },
      ),
      { numRuns: 1500 },
    );
  }, 120_000);

  it('leaves the draft exactly as the same appliers leave a bare draft', () => {
    fc.assert(
      fc.property(stateArb, fc.array(scriptArb, { minLength: 1, maxLength: 6 }), (base, events) => {
        const start = freeze(structuredClone(base), true) as Obj;
        const recorded = createDraft(start) as Obj;
        const bare: Draft<Obj> = createDraft(start);
        const recorder = new PatchRecorder(recorded);
        for (const script of events) {
          runScript(recorder.root as Obj, script);
          runScript(bare, script);
          expect(current(recorded)).toEqual(current(bare));
        }
        const a = finishDraft(recorded) as object;
        const b = finishDraft(bare) as object;
        expect(a).toEqual(b);
        expect(hashState(a)).toBe(hashState(b));
      }),
      { numRuns: 1000 },
    );
  }, 120_000);

  it.each<[string, (root: { t: Record<string, unknown> }) => void]>([
    [
      '(draft.t[k] ??= []).push(x)',
      (root) => {
        ((root.t['k'] ??= []) as number[]).push(1);
      },
    ],
    [
      '(draft.t[k] ||= {}).n = x',
      (root) => {
        ((root.t['k'] ||= {}) as { n?: number }).n = 1;
      },
    ],
    [
      'Object.assign on a fresh object',
      (root) => {
        Object.assign((root.t['k'] = {}), { n: 1 });
      },
    ],
    [
      'an object spliced in, then written to through its reference',
      (root) => {
        const kept: { n?: number } = {};
        root.t['k'] = [];
        (root.t['k'] as unknown[]).splice(0, 0, kept);
        kept.n = 1;
      },
    ],
    [
      'a reference kept across assignment',
      (root) => {
        const kept: { n?: number; list: number[] } = { list: [] };
        root.t['k'] = kept;
        kept.n = 1;
        kept.list.push(2);
      },
    ],
  ])('records right patches for %s', (_idiom, applier) => {
    const draft = createDraft(freeze({ t: {} }, true));
    const recorder = new PatchRecorder(draft);
    const before = current(draft);

    applier(recorder.root as { t: Record<string, unknown> });
    const recorded = recorder.take();

    const after = current(draft);
    expect(applyPatches(before, recorded?.patches ?? [])).toEqual(after);
    expect(applyPatches(after, recorded?.inverse ?? [])).toEqual(before);
  });

  it('records a write through a reference to an object moved within an array at its new index', () => {
    const draft = createDraft(freeze({ list: [{ n: 1 }, { n: 2 }, { n: 3 }] }, true));
    const recorder = new PatchRecorder(draft);
    const root = recorder.root as { list: { n: number }[] };
    const before = current(draft);
    const last = root.list[2] as { n: number };
    root.list.reverse();
    last.n = 30;
    const recorded = recorder.take();
    expect(recorded?.patches.at(-1)).toEqual({ op: 'replace', path: ['list', 0, 'n'], value: 30 });
    expect(applyPatches(before, recorded?.patches ?? [])).toEqual(current(draft));
  });

  it('records nothing for a write to an object the event detached from the state', () => {
    const draft = createDraft(freeze({ units: { u1: { hp: 3 } } }, true));
    const recorder = new PatchRecorder(draft);
    const root = recorder.root as { units: Record<string, { hp: number }> };
    const unit = root.units.u1 as { hp: number };
    delete root.units.u1;
    unit.hp = 0;
    expect(recorder.take()?.patches).toEqual([{ op: 'remove', path: ['units', 'u1'] }]);
  });

  it('patches every place of an object an event put in two places', () => {
    const draft = createDraft(freeze({ a: { x: 1 }, b: null }, true));
    const recorder = new PatchRecorder(draft);
    const root = recorder.root as { a: { x: number }; b: unknown };
    root.b = root.a;
    recorder.take();
    const before = current(draft);
    root.a.x = 2;
    const recorded = recorder.take();
    expect(recorded?.patches).toEqual([
      { op: 'replace', path: ['a', 'x'], value: 2 },
      { op: 'replace', path: ['b', 'x'], value: 2 },
    ]);
    expect(applyPatches(before, recorded?.patches ?? [])).toEqual(current(draft));
  });

  it('patches every place of a new object an event assigned twice', () => {
    const draft = createDraft(freeze({ a: null, b: null }, true));
    const recorder = new PatchRecorder(draft);
    const root = recorder.root as { a: { n: number }; b: unknown };
    const made = { n: 1 };
    root.a = made;
    root.b = made;
    recorder.take();
    const before = current(draft);
    root.a.n = 2;
    const recorded = recorder.take();
    expect(applyPatches(before, recorded?.patches ?? [])).toEqual(current(draft));
    expect(applyPatches(current(draft), recorded?.inverse ?? [])).toEqual(before);
  });
});

// --- Through the system ------------------------------------------------------------------------

const Made = defineEvent<Record<string, never>, 'patches.Made'>('patches.Made', { entity: 'new' });
const Changed = defineEvent<{ script: Op[] }, 'patches.Changed'>('patches.Changed', {
  entity: 'existing',
});

function scripted(patches: boolean, initialState: Obj): EventSystem<Obj> {
  const system = new EventSystem<Obj>({ seed: 9, patches, initialState, events: [Made, Changed] });
  system.apply(Changed, (draft, e) => runScript(draft, e.data.script));
  return system;
}

describe('EventSystem with patches on', () => {
  it('commits the same hashes as with patches off, and each event patches the state of the event before it', async () => {
    await fc.assert(
      fc.asyncProperty(
        stateArb,
        fc.array(fc.array(scriptArb, { minLength: 1, maxLength: 5 }), {
          minLength: 1,
          maxLength: 3,
        }),
        async (base, ticks) => {
          const on = scripted(true, structuredClone(base));
          const off = scripted(false, structuredClone(base));
          const entity = newEntityId();
          let at = Date.now();
          for (const system of [on, off]) await system.tick([input(Made, entity, {}, 'p')], { at });
          for (const scripts of ticks) {
            at++;
            const inputs = scripts.map((script) => input(Changed, entity, { script }, 'p'));
            const before = on.state;
            const withPatches = await on.tick(inputs, { at });
            const without = await off.tick(inputs, { at });
            expect(withPatches.commit).toEqual(without.commit);
            expect(without.patches).toEqual([]);
            checkChain(before, on.state, withPatches.patches);
          }
          await on.close();
          await off.close();
        },
      ),
      {
        numRuns: 200,
        // A new object moved onto a place another object's patches were about.
        examples: [
          [
            { a: {} },
            [
              [
                [{ k: 'ensure', h: 0, at: [0], key: 0, value: 0 }],
                [
                  { k: 'set', h: 0, at: [0, 0], key: 0, value: [] },
                  { k: 'ensure', h: 0, at: [0], key: 1, value: 0 },
                  { k: 'copy', h: 0, from: [0, 0], at: [], key: 0 },
                  { k: 'ensure', h: 0, at: [], key: 0, value: 0 },
                ],
              ],
              [[{ k: 'copy', h: 0, from: [], at: [], key: 0 }]],
            ],
          ],
        ],
      },
    );
  }, 120_000);

  it('commits an event that writes through the draft under a key named constructor, as with patches off', async () => {
    const Counted = defineEvent<{ words: string[] }>('patches.Counted', { entity: 'new' });
    const system = new EventSystem<{ counts: Record<string, Record<string, { n: number }>> }>({
      seed: 6,
      patches: true,
      initialState: { counts: {} },
    });
    // Keys from a payload, read with Object.hasOwn as an application keyed by them should.
    system.apply(Counted, (draft, e) => {
      draft.counts[e.entity] = {};
      for (const word of e.data.words) {
        const counts = draft.counts[e.entity] as Record<string, { n: number }>;
        if (!Object.hasOwn(counts, word)) counts[word] = { n: 0 };
        (counts[word] as { n: number }).n += 1;
      }
    });
    const id = newEntityId();

    const tick = await system.tick(
      [input(Counted, id, { words: ['constructor', 'constructor'] }, 'p')],
      {
        at: Date.now(),
      },
    );

    expect(system.state.counts[id]).toEqual({ constructor: { n: 2 } });
    expect(Object.hasOwn(system.state.counts[id] ?? {}, 'constructor')).toBe(true);
    expect(tick.patches).toHaveLength(1);
    expect(hashState(system.state)).toBe(system.lastCommit?.hash);
  });
});

/** Forward patches lead from the tick's first state to its committed state, inverses back. */
function checkChain(first: Obj, last: Obj, events: readonly EventPatches[]): void {
  const states: Obj[] = [first];
  let seq = 0;
  for (const e of events) {
    expect(e.seq).toBeGreaterThan(seq);
    seq = e.seq;
    states.push(applyPatches(states.at(-1) as Obj, e.patches));
  }
  expect(states.at(-1)).toEqual(last);
  for (let i = events.length - 1; i >= 0; i--)
    expect(applyPatches(states[i + 1] as Obj, (events[i] as EventPatches).inverse)).toEqual(
      states[i],
    );
}
