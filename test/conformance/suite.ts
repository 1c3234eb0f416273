import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, isCausewayError } from '@causeway/runtime';
import type {
  EventStore,
  InputRecord,
  LogHeader,
  Snapshot,
  StoredEnvelope,
  TickCommit,
} from '@causeway/runtime';
import type { StoreHarness, StoreLocation } from './harness.ts';
import {
  eventually,
  expectEveryRejected,
  header,
  LogBuilder,
  readAll,
  rejectionOf,
  uuid,
} from './fixtures.ts';

/**
 * Registers the store conformance suite for one kind of store: every store (memory, file,
 * Postgres, PGlite) passes these tests unchanged.
 *
 * @example
 * ```ts
 * describeStoreConformance({ name: 'memory', fresh: async () => memoryLocation() });
 * ```
 */
export function describeStoreConformance(harness: StoreHarness): void {
  describe(`store conformance: ${harness.name}`, () => {
    let location: StoreLocation;
    let opened: EventStore[];

    /** A writer on the test's log, opened with `h`. */
    async function openWriter(h = header()): Promise<EventStore> {
      const store = location.writer();
      opened.push(store);
      await store.open(h);
      return store;
    }

    /** A reader on the test's log, opened. */
    async function openReader(): Promise<EventStore> {
      const store = location.reader();
      opened.push(store);
      await store.open();
      return store;
    }

    beforeEach(async () => {
      location = await harness.fresh();
      opened = [];
    });

    afterEach(async () => {
      for (const store of opened) {
        try {
          await store.close();
        } catch {
          // A test may have closed the store already; the port does not say close is idempotent.
        }
      }
      await location.dispose();
    });

    describe('log header', () => {
      it('stores the header a new log is opened with', async () => {
        const h = header(7, { Created: 2, Renamed: 1 });
        const writer = location.writer();
        opened.push(writer);
        expect(await writer.open(h)).toEqual(h);
        const reader = location.reader();
        opened.push(reader);
        expect(await reader.open()).toEqual(h);
      });

      it('returns the stored header when a log is reopened with another schema', async () => {
        const first = await openWriter(header(7, { Created: 1 }));
        await first.close();
        const again = location.writer();
        opened.push(again);
        expect(await again.open(header(7, { Created: 2, Deleted: 1 }))).toEqual(
          header(7, { Created: 1 }),
        );
      });

      it('refuses a writer with another seed with CW_LOG_MISMATCH', async () => {
        const first = await openWriter(header(7));
        await first.close();
        const other = location.writer();
        opened.push(other);
        expect(await rejectionOf(() => other.open(header(8)))).toBeCausewayError(
          ErrorCodes.LogMismatch,
        );
      });

      it('leaves the log unlocked after refusing a writer for its seed', async () => {
        const first = await openWriter(header(7));
        await first.close();
        const other = location.writer();
        opened.push(other);
        expect(await rejectionOf(() => other.open(header(8)))).toBeCausewayError(
          ErrorCodes.LogMismatch,
        );
        const right = location.writer();
        opened.push(right);
        expect(await right.open(header(7))).toEqual(header(7));
      });

      it.each([
        ['format 2', { format: 2, seed: 1, schema: {} }],
        ['a negative seed', { format: 1, seed: -1, schema: {} }],
        ['a seed of NaN', { format: 1, seed: Number.NaN, schema: {} }],
        ['a seed past 32 bits', { format: 1, seed: 2 ** 32, schema: {} }],
        ['no schema', { format: 1, seed: 1, schema: null }],
        ['a version 0 in its schema', { format: 1, seed: 1, schema: { Created: 0 } }],
        ['a string', 'header'],
      ])(
        "refuses a new log's header with %s with CW_INVALID_ARGUMENT, writing nothing",
        async (_, bad) => {
          const writer = location.writer();
          opened.push(writer);

          const error = await rejectionOf(() => writer.open(bad as unknown as LogHeader));

          expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
          const reader = location.reader();
          opened.push(reader);
          expect(await reader.open()).toBeNull();
          const right = location.writer();
          opened.push(right);
          expect(await right.open(header(7))).toEqual(header(7));
        },
      );

      it('gives a reader of an empty log null', async () => {
        const reader = location.reader();
        opened.push(reader);
        expect(await reader.open()).toBeNull();
        expect(reader.readOnly).toBe(true);
      });
    });

    describe('appending ticks', () => {
      it('commits a tick and reads its events back', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.journal(store, 1);
        const built = await log.commitTick(store, [{ type: 'Created' }, { type: 'Renamed' }]);
        const page = await store.readEvents();
        expect(page.items).toEqual(built.events);
        expect(page.next).toBeNull();
        expect(await store.lastCommit()).toEqual(built.commit);
      });

      it('numbers seqs without gaps across ticks, including empty ticks', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTick(store, [{}, {}, {}]);
        const empty = await log.commitTick(store, []);
        await log.commitTick(store, [{}]);
        expect(empty.commit.firstSeq).toBe(4);
        expect(empty.commit.lastSeq).toBe(3);
        const events = await readAll(store);
        expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        expect(events.map((e) => e.tick)).toEqual([1, 1, 1, 3]);
        expect(await store.readCommits()).toEqual(log.ticks.map((t) => t.commit));
      });

      const refusals: ReadonlyArray<
        [string, (log: LogBuilder) => ReturnType<LogBuilder['nextTick']>]
      > = [
        [
          'a tick number that skips one',
          (log) => {
            const t = log.nextTick([{}]);
            return {
              commit: { ...t.commit, tick: t.commit.tick + 1 },
              events: t.events.map((e) => ({ ...e, tick: e.tick + 1 })),
            };
          },
        ],
        [
          'a repeated tick number',
          (log) => {
            const t = log.nextTick([{}]);
            return {
              commit: { ...t.commit, tick: t.commit.tick - 1 },
              events: t.events.map((e) => ({ ...e, tick: e.tick - 1 })),
            };
          },
        ],
        [
          'a first seq that leaves a gap',
          (log) => {
            const t = log.nextTick([{}, {}]);
            return {
              commit: {
                ...t.commit,
                firstSeq: t.commit.firstSeq + 1,
                lastSeq: t.commit.lastSeq + 1,
              },
              events: t.events.map((e) => ({ ...e, seq: e.seq + 1 })),
            };
          },
        ],
        [
          'events whose seqs skip one',
          (log) => {
            const t = log.nextTick([{}, {}]);
            return {
              commit: t.commit,
              events: t.events.map((e, i) => (i === 1 ? { ...e, seq: e.seq + 1 } : e)),
            };
          },
        ],
        [
          'a lastSeq that does not match the events',
          (log) => {
            const t = log.nextTick([{}, {}]);
            return { commit: { ...t.commit, lastSeq: t.commit.lastSeq + 1 }, events: t.events };
          },
        ],
        [
          'an event of another tick',
          (log) => {
            const t = log.nextTick([{}, {}]);
            return {
              commit: t.commit,
              events: t.events.map((e, i) => (i === 1 ? { ...e, tick: e.tick + 1 } : e)),
            };
          },
        ],
        [
          'a lastInput beyond the journal',
          (log) => {
            const t = log.nextTick([{}]);
            return { commit: { ...t.commit, lastInput: log.lastInput + 1 }, events: t.events };
          },
        ],
        [
          'a time before the previous tick',
          (log) => {
            const t = log.nextTick([{}]);
            return {
              commit: { ...t.commit, at: log.at - 1 },
              events: t.events.map((e) => ({ ...e, at: log.at - 1 })),
            };
          },
        ],
        [
          'a time that is not a number (NaN)',
          (log) => {
            const t = log.nextTick([{}]);
            return { commit: { ...t.commit, at: Number.NaN }, events: t.events };
          },
        ],
        [
          'a lastInput that is not a number (NaN)',
          (log) => {
            const t = log.nextTick([{}]);
            return { commit: { ...t.commit, lastInput: Number.NaN }, events: t.events };
          },
        ],
        [
          'a hash that is not a string',
          (log) => {
            const t = log.nextTick([{}]);
            return { commit: { ...t.commit, hash: 42 as unknown as string }, events: t.events };
          },
        ],
      ];

      for (const [what, make] of refusals) {
        it(`refuses a commit with ${what} with CW_APPEND_CONFLICT and writes nothing`, async () => {
          const store = await openWriter();
          const log = new LogBuilder();
          await log.journal(store, 2);
          await log.commitTicks(store, 2);
          const bad = make(log);
          expect(await rejectionOf(() => store.commit(bad.commit, bad.events))).toBeCausewayError(
            ErrorCodes.AppendConflict,
          );
          expect(await readAll(store)).toEqual(log.events);
          expect(await store.lastCommit()).toEqual(log.ticks.at(-1)?.commit);
          await log.commitTick(store, [{}]);
          expect(await readAll(store)).toEqual(log.events);
        });
      }

      it.each([
        ['an id that is not a string', { id: 7 }],
        ['a type that is null', { type: null }],
        ['a version that is not an integer', { version: 1.5 }],
        ['no entity', { entity: undefined }],
        ['a time of NaN', { at: Number.NaN }],
        ['a causation that is a number', { causation: 3 }],
        ['no correlation', { correlation: null }],
        ['an actor that is a number', { actor: 1 }],
      ])(
        'refuses a commit with an event with %s with CW_INVALID_ARGUMENT and writes nothing',
        async (_, change) => {
          const store = await openWriter();
          const log = new LogBuilder();
          await log.commitTicks(store, 1);
          const next = log.nextTick([{}, {}]);
          const events = next.events.map((e, i) => (i === 1 ? { ...e, ...change } : e));

          const error = await rejectionOf(() =>
            store.commit(next.commit, events as unknown as StoredEnvelope[]),
          );

          expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
          expect(await store.lastCommit()).toEqual(log.ticks.at(-1)?.commit);
          expect(await readAll(store)).toEqual(log.events);
        },
      );

      it.each<[string, unknown, unknown]>([
        ['a commit record of null', null, []],
        ['a commit record that is a string', 'tick 1', []],
        ['events that are not an array', 'FROM_LOG', { length: 0 }],
      ])(
        'refuses %s with CW_INVALID_ARGUMENT and writes nothing',
        async (_what, commit, events) => {
          const store = await openWriter();
          const log = new LogBuilder();
          const next = log.nextTick([]);

          const error = await rejectionOf(() =>
            store.commit((commit === 'FROM_LOG' ? next.commit : commit) as never, events as never),
          );

          expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
          expect(await store.lastCommit()).toBeNull();
          await log.commitTicks(store, 1);
          expect(await store.readCommits()).toEqual(log.ticks.map((t) => t.commit));
        },
      );

      it('checks and stores what it read once, whatever a second read of the objects answers', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        const [input] = log.nextInputs(1);
        const built = log.nextTick([{ type: 'Created' }, { type: 'Renamed' }]);
        // Objects whose getters answer every read after the first with something the checks
        // refuse, or with another place in the log: a store that checks one read and writes
        // another would store a type that is a number, or seqs out of place.
        const shifty = <T extends object>(value: T, key: keyof T, later: unknown): T => {
          let reads = 0;
          return Object.defineProperty({ ...value }, key, {
            enumerable: true,
            get: () => (++reads > 1 ? later : value[key]),
          });
        };
        const [first, second] = built.events as [StoredEnvelope, StoredEnvelope];
        await store.journal([shifty(input as InputRecord, 'type', 7)]);
        log.lastInput += 1;
        await store.commit(shifty(built.commit, 'lastSeq', 99), [
          shifty(first, 'seq', 5),
          shifty(second, 'type', 42),
        ]);
        log.accept(built);

        expect(await store.readInputs()).toEqual([input]);
        expect(await readAll(store)).toEqual(built.events);
        expect(await store.readCommits()).toEqual([built.commit]);
        expect(await store.lastCommit()).toEqual(built.commit);
        await store.close();
        const again = await openWriter();
        expect(await readAll(again)).toEqual(built.events);
        expect(await again.lastCommit()).toEqual(built.commit);
      });

      it('keeps a snapshot as it was saved, whatever its caller does to its bytes afterwards', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        const [built] = await log.commitTicks(store, 1);
        const bytes = Uint8Array.of(1, 2, 3);
        const commit = (built as { commit: TickCommit }).commit;
        await store.saveSnapshot({
          tick: commit.tick,
          lastSeq: commit.lastSeq,
          lastInput: commit.lastInput,
          bytes,
        });
        bytes[0] = 9;
        const first = await store.latestSnapshot();
        first?.bytes.fill(7);

        expect([...((await store.latestSnapshot())?.bytes ?? [])]).toEqual([1, 2, 3]);
      });

      it('keeps a refused commit out of the log after reopening', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 1);
        const bad = log.nextTick([{}, {}]);
        const gap = {
          ...bad.commit,
          firstSeq: bad.commit.firstSeq + 5,
          lastSeq: bad.commit.lastSeq + 5,
        };
        expect(await rejectionOf(() => store.commit(gap, bad.events))).toBeCausewayError(
          ErrorCodes.AppendConflict,
        );
        await store.close();
        const again = await openWriter();
        expect(await readAll(again)).toEqual(log.events);
        expect(await again.readCommits()).toEqual(log.ticks.map((t) => t.commit));
      });
    });

    describe('input journal', () => {
      it('journals inputs gap-free and pages them with readInputs', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.journal(store, 3);
        await log.journal(store, 4);
        expect(await store.lastInput()).toBe(7);
        expect(await store.readInputs()).toEqual(log.inputs);
        expect(await store.readInputs(2, 3)).toEqual(log.inputs.slice(2, 5));
        expect(await store.readInputs(7)).toEqual([]);
      });

      it('refuses an input number that leaves a gap with CW_APPEND_CONFLICT and writes nothing', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.journal(store, 2);
        const inputs = log.nextInputs(2).map((i) => ({ ...i, ino: i.ino + 1 }));
        expect(await rejectionOf(() => store.journal(inputs))).toBeCausewayError(
          ErrorCodes.AppendConflict,
        );
        expect(await store.lastInput()).toBe(2);
        expect(await store.readInputs()).toEqual(log.inputs);
      });

      it('refuses a batch whose later input breaks the numbering, writing none of it', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        const inputs = log.nextInputs(3).map((i, n) => (n === 2 ? { ...i, ino: 9 } : i));
        expect(await rejectionOf(() => store.journal(inputs))).toBeCausewayError(
          ErrorCodes.AppendConflict,
        );
        expect(await store.lastInput()).toBe(0);
        expect(await store.readInputs()).toEqual([]);
      });

      it.each([
        ['a type that is not a string', { type: 5 }],
        ['a version that is not an integer', { version: 'v' }],
        ['no entity', { entity: null }],
        ['no actor', { actor: undefined }],
      ])(
        'refuses an input with %s with CW_INVALID_ARGUMENT and writes nothing',
        async (_, change) => {
          const store = await openWriter();
          const log = new LogBuilder();
          const [input] = log.nextInputs(1);

          const error = await rejectionOf(() =>
            store.journal([{ ...input, ...change } as unknown as InputRecord]),
          );

          expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
          expect(await store.lastInput()).toBe(0);
          await log.journal(store, 1);
          expect(await store.readInputs()).toEqual(log.inputs);
        },
      );

      it.each<[string, unknown]>([
        ['null', null],
        ['a string', 'inputs'],
        ['an object', { length: 1, 0: {} }],
      ])(
        'refuses a journal of %s, not an array, with CW_INVALID_ARGUMENT and writes nothing',
        async (_, batch) => {
          const store = await openWriter();

          const error = await rejectionOf(() => store.journal(batch as InputRecord[]));

          expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
          expect(await store.lastInput()).toBe(0);
        },
      );

      it.each<[string, unknown]>([
        ['null', null],
        ['a number', 7],
      ])(
        'refuses a journal whose input is %s with CW_INVALID_ARGUMENT and writes nothing',
        async (_, bad) => {
          const store = await openWriter();
          const log = new LogBuilder();
          const [input] = log.nextInputs(1);

          const error = await rejectionOf(() => store.journal([input, bad] as InputRecord[]));

          expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
          expect(await store.lastInput()).toBe(0);
        },
      );

      it('keeps inputs journaled after the last commit', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.journal(store, 1);
        await log.commitTicks(store, 1);
        await log.journal(store, 2);
        await store.close();
        const again = await openWriter();
        expect(await again.lastInput()).toBe(3);
        expect(await again.readInputs(1)).toEqual(log.inputs.slice(1));
        expect((await again.lastCommit())?.lastInput).toBe(1);
      });
    });

    describe('commit records', () => {
      it('has no last commit before the first tick', async () => {
        const store = await openWriter();
        expect(await store.lastCommit()).toBeNull();
        expect(await store.readCommits()).toEqual([]);
        expect(await store.lastInput()).toBe(0);
      });

      it('reads commit records after a tick, in pages', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 6, 1);
        const commits = log.ticks.map((t) => t.commit);
        expect(await store.readCommits()).toEqual(commits);
        expect(await store.readCommits(2, 3)).toEqual(commits.slice(2, 5));
        expect(await store.readCommits(6)).toEqual([]);
        expect(await store.lastCommit()).toEqual(commits[5]);
      });

      it('reads commits and inputs after a negative position as after 0, and none after a huge one', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.journal(store, 3);
        await log.commitTicks(store, 4, 1);
        const commits = log.ticks.map((t) => t.commit);

        expect(await store.readCommits(-2)).toEqual(commits);
        expect(await store.readCommits(-2, 1)).toEqual(commits.slice(0, 1));
        expect(await store.readInputs(-1)).toEqual(log.inputs);
        expect(await store.readInputs(-1, 1)).toEqual(log.inputs.slice(0, 1));
        expect(await store.readCommits(1e300)).toEqual([]);
        expect(await store.readInputs(2 ** 60)).toEqual([]);
        expect(await store.latestSnapshot(-1)).toBeNull();
      });

      it.each([
        ['NaN', Number.NaN],
        ['a fraction', 1.5],
        ['Infinity', Number.POSITIVE_INFINITY],
        ['a string', '1' as unknown as number],
      ])(
        'refuses %s as a position of readInputs, readCommits or latestSnapshot with CW_INVALID_ARGUMENT',
        async (_, position) => {
          const store = await openWriter();
          const log = new LogBuilder();
          await log.journal(store, 2);
          await log.commitTicks(store, 2, 1);

          for (const call of [
            () => store.readInputs(position),
            () => store.readCommits(position),
            () => store.latestSnapshot(position),
          ]) {
            expect(await rejectionOf(call)).toBeCausewayError(ErrorCodes.InvalidArgument);
          }
        },
      );
    });

    describe('reading events', () => {
      it('reads a seq range', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 5, 2);
        const page = await store.readEvents({ fromSeq: 3, toSeq: 7 });
        expect(page.items).toEqual(log.events.slice(2, 7));
        expect(page.next).toBeNull();
      });

      it('pages a read with next until null', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 5, 2);
        const first = await store.readEvents({ limit: 4 });
        expect(first.items.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        expect(first.next).toBe(5);
        const second = await store.readEvents({ fromSeq: 5, limit: 4 });
        expect(second.items.map((e) => e.seq)).toEqual([5, 6, 7, 8]);
        expect(second.next).toBe(9);
        const last = await store.readEvents({ fromSeq: 9, limit: 4 });
        expect(last.items.map((e) => e.seq)).toEqual([9, 10]);
        expect(last.next).toBeNull();
      });

      it('ends a page that ends exactly at the last event with next null', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 3, 2);
        const page = await store.readEvents({ fromSeq: 3, limit: 4 });
        expect(page.items.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
        expect(page.next).toBeNull();
      });

      it('reads nothing past the end of the log', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 1, 2);
        expect(await store.readEvents({ fromSeq: 3 })).toEqual({ items: [], next: null });
        expect(await store.readEvents({ fromSeq: 1, toSeq: 0 })).toEqual({ items: [], next: null });
        expect(await store.readEvents({ fromSeq: 2, toSeq: 1 })).toEqual({ items: [], next: null });
        expect(await store.readEvents({ fromSeq: 1e300 })).toEqual({ items: [], next: null });
        expect(await store.readEvents({ toSeq: 2 ** 60 })).toEqual({
          items: log.events,
          next: null,
        });
      });

      it('refuses a page size out of range with CW_INVALID_ARGUMENT', async () => {
        const store = await openWriter();
        expect(await rejectionOf(() => store.readEvents({ limit: 0 }))).toBeCausewayError(
          ErrorCodes.InvalidArgument,
        );
        expect(await rejectionOf(() => store.readEvents({ limit: 10_001 }))).toBeCausewayError(
          ErrorCodes.InvalidArgument,
        );
        expect(await rejectionOf(() => store.readEvents({ fromSeq: 0 }))).toBeCausewayError(
          ErrorCodes.InvalidArgument,
        );
      });

      it.each<[string, unknown]>([
        ['a query that is a string', 'Created'],
        ['a query of null', null],
        ['an entity filter that is a number', { entity: 5 }],
        ['a type filter that is an object', { type: { name: 'Created' } }],
        ['a correlation filter of null', { correlation: null }],
      ])('refuses %s with CW_INVALID_ARGUMENT', async (_what, query) => {
        const store = await openWriter();
        await new LogBuilder().commitTicks(store, 1);

        const error = await rejectionOf(() => store.readEvents(query as never));

        expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
      });

      describe('with filters', () => {
        const a = uuid();
        const b = uuid();
        const root1 = uuid();
        const root2 = uuid();

        async function filteredLog(): Promise<{ store: EventStore; log: LogBuilder }> {
          const store = await openWriter();
          const log = new LogBuilder();
          await log.commitTick(store, [
            { type: 'Created', entity: a, correlation: root1 },
            { type: 'Created', entity: b, correlation: root2 },
          ]);
          await log.commitTick(store, [
            { type: 'Renamed', entity: a, correlation: root1 },
            { type: 'Other', correlation: root2 },
            { type: 'Renamed', entity: b, correlation: root1 },
          ]);
          await log.commitTick(store, [
            { type: 'Renamed', entity: a, correlation: root2 },
            { type: 'Deleted', entity: a, correlation: root1 },
            { type: 'Renamed', entity: a, correlation: root1 },
          ]);
          return { store, log };
        }

        it('reads by entity', async () => {
          const { store, log } = await filteredLog();
          expect(await readAll(store, { entity: a })).toEqual(
            log.events.filter((e) => e.entity === a),
          );
        });

        it('reads by type', async () => {
          const { store, log } = await filteredLog();
          expect(await readAll(store, { type: 'Renamed' })).toEqual(
            log.events.filter((e) => e.type === 'Renamed'),
          );
        });

        it('reads by correlation', async () => {
          const { store, log } = await filteredLog();
          expect(await readAll(store, { correlation: root2 })).toEqual(
            log.events.filter((e) => e.correlation === root2),
          );
        });

        it('combines filters and a seq range with AND', async () => {
          const { store, log } = await filteredLog();
          const page = await store.readEvents({
            entity: a,
            type: 'Renamed',
            correlation: root1,
            fromSeq: 2,
            toSeq: 7,
          });
          expect(page.items).toEqual(
            log.events.filter(
              (e) =>
                e.entity === a &&
                e.type === 'Renamed' &&
                e.correlation === root1 &&
                e.seq >= 2 &&
                e.seq <= 7,
            ),
          );
          expect(page.items.map((e) => e.seq)).toEqual([3]);
          expect(page.next).toBeNull();
        });

        it('pages a filtered read, next pointing at the next match', async () => {
          const { store, log } = await filteredLog();
          const matches = log.events.filter((e) => e.entity === a);
          const first = await store.readEvents({ entity: a, limit: 2 });
          expect(first.items).toEqual(matches.slice(0, 2));
          expect(first.next).not.toBeNull();
          expect(first.next).toBeGreaterThan(matches[1]?.seq ?? 0);
          expect(first.next).toBeLessThanOrEqual(matches[2]?.seq ?? 0);
          let pages = 1;
          const all = [...first.items];
          let next = first.next;
          while (next !== null) {
            const page = await store.readEvents({ entity: a, limit: 2, fromSeq: next });
            all.push(...page.items);
            next = page.next;
            pages++;
          }
          expect(all).toEqual(matches);
          expect(pages).toBe(Math.ceil(matches.length / 2));
        });

        it('reads nothing for a filter that matches nothing', async () => {
          const { store } = await filteredLog();
          expect(await store.readEvents({ entity: uuid() })).toEqual({ items: [], next: null });
          expect(await store.readEvents({ type: 'Created', correlation: uuid() })).toEqual({
            items: [],
            next: null,
          });
        });
      });
    });

    describe('snapshots', () => {
      function snapshot(tick: number, fill: number): Snapshot {
        return {
          tick,
          lastSeq: tick * 2,
          lastInput: 0,
          bytes: new Uint8Array([fill, 1, 2, 3, 255]),
        };
      }

      it('has no snapshot in a new log', async () => {
        const store = await openWriter();
        expect(await store.latestSnapshot()).toBeNull();
      });

      it('finds the newest snapshot at or before a tick', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 6, 2);
        await store.saveSnapshot(snapshot(2, 20));
        await store.saveSnapshot(snapshot(5, 50));
        expect(await store.latestSnapshot()).toEqual(snapshot(5, 50));
        expect(await store.latestSnapshot(6)).toEqual(snapshot(5, 50));
        expect(await store.latestSnapshot(5)).toEqual(snapshot(5, 50));
        expect(await store.latestSnapshot(4)).toEqual(snapshot(2, 20));
        expect(await store.latestSnapshot(1)).toBeNull();
      });

      it('replaces a snapshot of the same tick', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 3, 2);
        await store.saveSnapshot(snapshot(3, 1));
        await store.saveSnapshot(snapshot(3, 2));
        expect(await store.latestSnapshot()).toEqual(snapshot(3, 2));
        await store.close();
        const again = await openWriter();
        expect(await again.latestSnapshot(3)).toEqual(snapshot(3, 2));
      });

      it.each([
        ['of a tick not committed yet', { tick: 4, lastSeq: 8, lastInput: 0 }],
        ['of tick 0', { tick: 0, lastSeq: 0, lastInput: 0 }],
        ['of tick NaN', { tick: Number.NaN, lastSeq: 2, lastInput: 0 }],
        ["whose lastSeq is not its tick's", { tick: 2, lastSeq: 3, lastInput: 0 }],
        ["whose lastInput is not its tick's", { tick: 2, lastSeq: 4, lastInput: 1 }],
      ])('refuses a snapshot %s with CW_APPEND_CONFLICT and keeps none', async (_, position) => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 3, 2);
        await store.saveSnapshot(snapshot(1, 10));

        const error = await rejectionOf(() =>
          store.saveSnapshot({ ...position, bytes: new Uint8Array([1]) }),
        );

        expect(error).toBeCausewayError(ErrorCodes.AppendConflict);
        expect(await store.latestSnapshot()).toEqual(snapshot(1, 10));
        await store.close();
        const again = await openWriter();
        expect(await again.latestSnapshot()).toEqual(snapshot(1, 10));
      });

      it.each([
        ['a string', 'abc'],
        ['a plain object', { 0: 1 }],
        ['an array', [1, 2, 3]],
        ['null', null],
      ])(
        'refuses snapshot bytes that are %s with CW_INVALID_ARGUMENT, and the log still opens',
        async (_, bytes) => {
          const store = await openWriter();
          const log = new LogBuilder();
          await log.commitTicks(store, 2, 2);

          const error = await rejectionOf(() =>
            store.saveSnapshot({ ...snapshot(2, 0), bytes: bytes as unknown as Uint8Array }),
          );

          expect(error).toBeCausewayError(ErrorCodes.InvalidArgument);
          await store.close();
          const again = await openWriter();
          expect(await again.latestSnapshot()).toBeNull();
          expect(await readAll(again)).toEqual(log.events);
        },
      );

      it('keeps a large snapshot byte for byte', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 1, 1);
        const bytes = new Uint8Array(300_000);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
        await store.saveSnapshot({ tick: 1, lastSeq: 1, lastInput: 0, bytes });
        await store.close();
        const reader = await openReader();
        expect(await reader.latestSnapshot()).toEqual({ tick: 1, lastSeq: 1, lastInput: 0, bytes });
      });
    });

    describe('data fidelity', () => {
      const payload = {
        nested: { deep: { list: [1, [2, [3, { four: 4 }]]], empty: {} }, emptyList: [] },
        unicode: 'Zoë — 東京 — 🚀 — \u0000 — \uFFFD',
        bytes: new Uint8Array([0, 1, 127, 128, 255]),
        emptyBytes: new Uint8Array(0),
        floats: [0.1, -2.5, 1e300, -1e-300, Math.PI],
        ints: [
          -1,
          -128,
          -32_769,
          -2_147_483_649,
          0,
          255,
          65_536,
          4_294_967_296,
          Number.MAX_SAFE_INTEGER,
          Number.MIN_SAFE_INTEGER,
        ],
        nothing: null,
        flags: [true, false],
        longText: 'x'.repeat(70_000),
      };

      it('round-trips payloads exactly', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        const built = await log.commitTick(store, [
          { data: payload },
          { data: null },
          { data: 'just text' },
          { data: -0.5 },
        ]);
        await store.close();
        const reader = await openReader();
        const events = await readAll(reader);
        expect(events).toEqual(built.events);
        const data = events[0]?.data as typeof payload;
        expect(data.bytes).toBeInstanceOf(Uint8Array);
        expect(Array.from(data.bytes)).toEqual([0, 1, 127, 128, 255]);
        expect(data.unicode).toBe(payload.unicode);
        expect(data.floats).toEqual(payload.floats);
        expect(data.ints).toEqual(payload.ints);
      });

      it('round-trips inputs exactly', async () => {
        const store = await openWriter();
        const inputs = [
          {
            ino: 1,
            type: 'Upload',
            version: 3,
            entity: uuid(),
            data: payload,
            actor: 'ünïcode actor',
          },
        ];
        await store.journal(inputs);
        await store.close();
        const reader = await openReader();
        expect(await reader.readInputs()).toEqual(inputs);
      });

      it('returns an old-version event with its old version and data (the runtime upcasts, not the store)', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        const built = await log.commitTick(store, [
          { type: 'Renamed', version: 1, data: { name: 'old shape' } },
          { type: 'Renamed', version: 3, data: { first: 'new', last: 'shape' } },
        ]);
        const events = await readAll(store, { type: 'Renamed' });
        expect(events.map((e): unknown[] => [e.version, e.data])).toEqual([
          [1, { name: 'old shape' }],
          [3, { first: 'new', last: 'shape' }],
        ]);
        expect(events).toEqual(built.events);
      });

      it('keeps causation, correlation, actor and time as written', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        const root = uuid();
        const built = await log.commitTick(store, [
          { causation: null, correlation: root, actor: 'alice' },
          { causation: root, correlation: root, actor: 'listener:Reserve' },
        ]);
        expect(await readAll(store)).toEqual(built.events);
      });
    });

    describe('readers and watchers', () => {
      it('lets a reader opened before the commits see them', async () => {
        const writer = await openWriter();
        const reader = await openReader();
        const log = new LogBuilder();
        await log.journal(writer, 2);
        await log.commitTicks(writer, 3, 2);
        await eventually(async () => {
          expect(await readAll(reader)).toEqual(log.events);
          expect(await reader.lastCommit()).toEqual(log.ticks.at(-1)?.commit);
          expect(await reader.lastInput()).toBe(2);
        });
        expect(await reader.readCommits()).toEqual(log.ticks.map((t) => t.commit));
      });

      it('lets a reader opened on an empty log see the log once written', async () => {
        const reader = location.reader();
        opened.push(reader);
        expect(await reader.open()).toBeNull();
        const writer = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(writer, 2, 1);
        await eventually(async () => {
          expect(await readAll(reader)).toEqual(log.events);
        });
      });

      it('reports each new commit, in order, to a watcher on the writer', async () => {
        const writer = await openWriter();
        const seen: TickCommit[] = [];
        const unwatch = writer.watch((c) => seen.push(c));
        const log = new LogBuilder();
        await log.commitTicks(writer, 3, 1);
        await eventually(() => expect(seen).toEqual(log.ticks.map((t) => t.commit)));
        unwatch();
        await log.commitTicks(writer, 1, 1);
        expect(seen).toHaveLength(3);
      });

      it("reports the writer's commits to a watcher on a reader", async () => {
        const writer = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(writer, 1, 1);
        const reader = await openReader();
        const seen: TickCommit[] = [];
        const unwatch = reader.watch((c) => seen.push(c));
        try {
          await log.commitTicks(writer, 3, 2);
          await eventually(() => expect(seen).toEqual(log.ticks.slice(1).map((t) => t.commit)));
        } finally {
          unwatch();
        }
      });

      it('keeps a throwing watcher to itself, on the writer and on a reader: commits succeed, the other watchers see them, nothing is thrown elsewhere', async () => {
        const writer = await openWriter();
        const reader = await openReader();
        const thrown: unknown[] = [];
        const onUncaught = (err: unknown): void => {
          thrown.push(err);
        };
        process.on('uncaughtException', onUncaught);
        const seenByWriter: number[] = [];
        const seenByReader: number[] = [];
        const unwatch = [
          writer.watch(() => {
            throw new Error('a watcher on the writer failed');
          }),
          writer.watch((c) => seenByWriter.push(c.tick)),
          reader.watch(() => {
            throw new Error('a watcher on the reader failed');
          }),
          reader.watch((c) => seenByReader.push(c.tick)),
        ];
        try {
          const log = new LogBuilder();
          await log.commitTicks(writer, 2, 1);
          await eventually(() => {
            expect(seenByWriter).toEqual([1, 2]);
            expect(seenByReader).toEqual([1, 2]);
          });
          // A microtask or a turn for anything rethrown to surface.
          await new Promise((resolve) => setTimeout(resolve, 20));
          expect(thrown).toEqual([]);
          expect(await writer.lastCommit()).toEqual(log.ticks.at(-1)?.commit);
        } finally {
          for (const stop of unwatch) stop();
          process.off('uncaughtException', onUncaught);
        }
      });

      it('refuses writes on a reader', async () => {
        await openWriter();
        const reader = await openReader();
        const log = new LogBuilder();
        const built = log.nextTick([{}]);
        const error = await rejectionOf(() => reader.commit(built.commit, built.events));
        expect(isCausewayError(error)).toBe(true);
        expect(isCausewayError(await rejectionOf(() => reader.journal(log.nextInputs(1))))).toBe(
          true,
        );
      });
    });

    describe('before open', () => {
      it('rejects every write before open() with CW_STORE_NOT_OPEN and writes nothing', async () => {
        await (await openWriter()).close();
        const store = location.writer();
        opened.push(store);
        const log = new LogBuilder();
        const next = log.nextTick([{}]);
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['journal', () => store.journal(log.nextInputs(1))],
          ['commit', () => store.commit(next.commit, next.events)],
          [
            'saveSnapshot',
            () =>
              store.saveSnapshot({ tick: 1, lastSeq: 1, lastInput: 0, bytes: new Uint8Array(1) }),
          ],
        ];

        await expectEveryRejected(calls, ErrorCodes.StoreNotOpen, 'before open');
        const reader = await openReader();
        expect(await reader.lastInput()).toBe(0);
        expect(await reader.lastCommit()).toBeNull();
        expect(await reader.latestSnapshot()).toBeNull();
      });

      it('rejects every read before open() with CW_STORE_NOT_OPEN', async () => {
        const log = new LogBuilder();
        await log.commitTicks(await openWriter(), 1);
        const reader = location.reader();
        opened.push(reader);
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['readEvents', () => reader.readEvents()],
          ['readInputs', () => reader.readInputs()],
          ['readCommits', () => reader.readCommits()],
          ['lastCommit', () => reader.lastCommit()],
          ['lastInput', () => reader.lastInput()],
          ['latestSnapshot', () => reader.latestSnapshot()],
        ];

        await expectEveryRejected(calls, ErrorCodes.StoreNotOpen, 'before open');
      });

      it('does not let a writer that was never opened write beside the open one', async () => {
        const first = await openWriter();
        const log = new LogBuilder();
        await log.journal(first, 1);
        const other = location.writer();
        opened.push(other);

        const error = await rejectionOf(() => other.journal(log.nextInputs(1)));

        expect(error).toBeCausewayError(ErrorCodes.StoreNotOpen);
        expect(await first.lastInput()).toBe(1);
        await log.journal(first, 1);
        expect(await first.readInputs()).toEqual(log.inputs);
      });

      it('refuses appends with CW_STORE_NOT_OPEN on a writer opened without a header on an empty log', async () => {
        const store = location.writer();
        opened.push(store);
        expect(await store.open()).toBeNull();
        const log = new LogBuilder();

        const error = await rejectionOf(() => store.journal(log.nextInputs(1)));

        expect(error).toBeCausewayError(ErrorCodes.StoreNotOpen);
        const reader = await openReader();
        expect(await reader.lastInput()).toBe(0);
      });
    });

    describe('opening twice', () => {
      it('gives both of two concurrent open(header) calls the header', async () => {
        const store = location.writer();
        opened.push(store);

        const both = await Promise.all([store.open(header(7)), store.open(header(7))]);

        expect(both).toEqual([header(7), header(7)]);
      });

      it('lets a writer opened without a header on an empty log start it with open(header)', async () => {
        const store = location.writer();
        opened.push(store);
        await store.open();
        const log = new LogBuilder();

        expect(await store.open(header(7))).toEqual(header(7));

        await log.commitTicks(store, 1);
        const reader = await openReader();
        expect(await reader.open()).toEqual(header(7));
        expect(await readAll(reader)).toEqual(log.events);
      });

      it('refuses a second open() with another seed with CW_LOG_MISMATCH and keeps the log open', async () => {
        const store = await openWriter(header(7));
        const log = new LogBuilder();

        const error = await rejectionOf(() => store.open(header(8)));

        expect(error).toBeCausewayError(ErrorCodes.LogMismatch);
        const second = location.writer();
        opened.push(second);
        expect(await rejectionOf(() => second.open(header(7)))).toBeCausewayError(
          ErrorCodes.StoreLocked,
        );
        await log.commitTicks(store, 1);
        expect(await readAll(store)).toEqual(log.events);
      });
    });

    describe('one writer at a time', () => {
      it('refuses a second writer with CW_STORE_LOCKED while the first is open', async () => {
        await openWriter();
        const second = location.writer();
        opened.push(second);
        const error = await rejectionOf(() => second.open(header()));
        expect(error).toBeCausewayError(ErrorCodes.StoreLocked);
      });

      it('lets a new writer open after the first closes', async () => {
        const first = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(first, 1);
        await first.close();
        const second = await openWriter();
        await log.commitTicks(second, 1);
        expect(await readAll(second)).toEqual(log.events);
      });

      it('lets readers open while a writer holds the log', async () => {
        const writer = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(writer, 1);
        const r1 = await openReader();
        const r2 = await openReader();
        expect(await readAll(r1)).toEqual(log.events);
        expect(await readAll(r2)).toEqual(log.events);
      });
    });

    describe('read-only stores', () => {
      it('rejects every write on a reader with CW_STORE_READ_ONLY and writes nothing', async () => {
        const writer = await openWriter();
        const log = new LogBuilder();
        await log.journal(writer, 2);
        await log.commitTicks(writer, 1);
        const reader = await openReader();
        const next = log.nextTick([{}]);
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['journal', () => reader.journal(log.nextInputs(1))],
          ['commit', () => reader.commit(next.commit, next.events)],
          [
            'saveSnapshot',
            () =>
              reader.saveSnapshot({ tick: 1, lastSeq: 2, lastInput: 2, bytes: new Uint8Array(1) }),
          ],
        ];

        for (const [name, call] of calls) {
          expect(await rejectionOf(call), `${name} on a reader`).toBeCausewayError(
            ErrorCodes.StoreReadOnly,
          );
        }
        expect(await readAll(writer)).toEqual(log.events);
        expect(await writer.readCommits()).toEqual(log.ticks.map((t) => t.commit));
        expect(await writer.lastInput()).toBe(2);
        expect(await writer.latestSnapshot()).toBeNull();
      });
    });

    describe('closing and reopening', () => {
      it('rejects every call after close with CW_STORE_CLOSED', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 1);
        await store.close();
        const next = log.nextTick([{}]);
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['readEvents', () => store.readEvents()],
          ['readInputs', () => store.readInputs()],
          ['readCommits', () => store.readCommits()],
          ['lastCommit', () => store.lastCommit()],
          ['lastInput', () => store.lastInput()],
          ['latestSnapshot', () => store.latestSnapshot()],
          ['journal', () => store.journal(log.nextInputs(1))],
          ['commit', () => store.commit(next.commit, next.events)],
          [
            'saveSnapshot',
            () =>
              store.saveSnapshot({ tick: 1, lastSeq: 2, lastInput: 0, bytes: new Uint8Array(1) }),
          ],
        ];
        await expectEveryRejected(calls, ErrorCodes.StoreClosed, 'after close');
        // A closed store object refuses open() too: the message must not send users there.
        expect(String(await rejectionOf(() => store.readEvents()))).toContain('make a new store');
      });

      it('rejects reads on a closed reader with CW_STORE_CLOSED', async () => {
        await openWriter();
        const reader = await openReader();
        await reader.close();
        expect(await rejectionOf(() => reader.readEvents())).toBeCausewayError(
          ErrorCodes.StoreClosed,
        );
      });

      it('finishes the writes called before close(), then keeps them', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        await log.commitTicks(store, 1);
        const [input] = log.nextInputs(1);
        const next = log.nextTick([{}, {}]);

        const journaling = store.journal([input as InputRecord], { syncWithCommit: true });
        const committing = store.commit({ ...next.commit, lastInput: 1 }, next.events);
        const closing = store.close();
        await journaling;
        await committing;
        await closing;

        const reader = await openReader();
        expect(await reader.lastCommit()).toEqual({ ...next.commit, lastInput: 1 });
        expect(await reader.readInputs()).toEqual([input]);
        expect(await readAll(reader)).toEqual([...log.events, ...next.events]);
      });

      it('resolves a second close() only once the store is released, so the next writer opens', async () => {
        const store = await openWriter();
        await new LogBuilder().commitTicks(store, 1);

        const closing = store.close();
        await store.close();

        const next = location.writer();
        opened.push(next);
        expect(await next.open(header())).toEqual(header());
        await closing;
      });

      it('keeps everything committed after reopening', async () => {
        const store = await openWriter(header(99, { Created: 1 }));
        const log = new LogBuilder();
        await log.journal(store, 3);
        await log.commitTicks(store, 4, 3);
        await log.journal(store, 1);
        await store.saveSnapshot({
          tick: 3,
          lastSeq: 9,
          lastInput: 3,
          bytes: new Uint8Array([9, 9]),
        });
        await store.close();

        const again = location.writer();
        opened.push(again);
        expect(await again.open(header(99, { Created: 1 }))).toEqual(header(99, { Created: 1 }));
        expect(await readAll(again)).toEqual(log.events);
        expect(await again.readCommits()).toEqual(log.ticks.map((t) => t.commit));
        expect(await again.readInputs()).toEqual(log.inputs);
        expect(await again.lastInput()).toBe(4);
        expect(await again.latestSnapshot()).toEqual({
          tick: 3,
          lastSeq: 9,
          lastInput: 3,
          bytes: new Uint8Array([9, 9]),
        });
        await log.commitTicks(again, 1, 1);
        expect(await readAll(again)).toEqual(log.events);
      });
    });

    describe('larger logs', () => {
      it('reads back a few thousand events by range, entity and page', async () => {
        const store = await openWriter();
        const log = new LogBuilder();
        const entities = [uuid(), uuid(), uuid()];
        for (let t = 0; t < 100; t++) {
          await log.commitTick(
            store,
            Array.from({ length: 30 }, (_, i) => ({
              entity: entities[(t + i) % 3] as string,
              type: i % 2 === 0 ? 'Even' : 'Odd',
              data: { t, i, text: `event ${t}/${i}` },
            })),
          );
        }
        expect(await readAll(store, { limit: 777 })).toEqual(log.events);
        expect(
          await readAll(store, { entity: entities[1] as string, type: 'Odd', limit: 100 }),
        ).toEqual(log.events.filter((e) => e.entity === entities[1] && e.type === 'Odd'));
        const middle = await store.readEvents({ fromSeq: 1500, toSeq: 1600 });
        expect(middle.items).toEqual(log.events.slice(1499, 1600));
        await store.close();
        const reader = await openReader();
        expect(await readAll(reader, { limit: 10_000 })).toEqual(log.events);
      });
    });
  });
}
