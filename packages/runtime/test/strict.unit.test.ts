import {
  defineEvent,
  ErrorCodes,
  EventSystem,
  input,
  isStrictActive,
  ListenerFailed,
  observeStrictViolations,
  setStrictByDefault,
  strictGuard,
  strictly,
  type DataOf,
  type Envelope,
  type ListenerContext,
} from '@causeway/runtime';
import { testEntityId } from '@causeway/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';

const Rolled = defineEvent<{ n: number }, 'Rolled'>('Rolled', { entity: 'new' });
const at = 1_700_000_000_000;

type Failure = DataOf<typeof ListenerFailed>;

/** Runs one Rolled input through a system whose only listener is `listener`. */
async function runListener(
  listener: (e: Envelope<typeof Rolled>, ctx: ListenerContext) => void,
  strict = true,
): Promise<Failure | null> {
  // Production mode isolates the failure, so the test can read its ListenerFailed event.
  const system = new EventSystem({ seed: 1, strict, mode: 'production' });
  system.subscribe(Rolled, listener);
  const { events } = await system.tick([input(Rolled, testEntityId(1, at), { n: 1 }, 'ada')], {
    at,
  });
  const failed = events.find((e) => e.type === ListenerFailed.name);
  return failed === undefined ? null : (failed.data as Failure);
}

// Read by name, as strict mode replaces them: the exact functions must come back.
const read = (owner: object, key: string): unknown => Reflect.get(owner, key);
const original = {
  Date,
  dateNow: read(Date, 'now'),
  random: read(Math, 'random'),
  performanceNow: read(performance, 'now'),
  randomUUID: read(crypto, 'randomUUID'),
  getRandomValues: read(crypto, 'getRandomValues'),
  hrtime: read(process, 'hrtime'),
  dateTimeFormat: read(Intl, 'DateTimeFormat'),
  formatToParts: read(Intl.DateTimeFormat.prototype, 'formatToParts'),
};

afterEach(() => {
  expect(isStrictActive()).toBe(false);
  expect(globalThis.Date).toBe(original.Date);
  expect(read(Date, 'now')).toBe(original.dateNow);
  expect(read(Math, 'random')).toBe(original.random);
  expect(read(performance, 'now')).toBe(original.performanceNow);
  expect(read(crypto, 'randomUUID')).toBe(original.randomUUID);
  expect(read(crypto, 'getRandomValues')).toBe(original.getRandomValues);
  expect(read(process, 'hrtime')).toBe(original.hrtime);
  expect(read(Intl, 'DateTimeFormat')).toBe(original.dateTimeFormat);
  expect(read(Intl.DateTimeFormat.prototype, 'formatToParts')).toBe(original.formatToParts);
});

describe('strict mode', () => {
  const calls: [string, () => unknown][] = [
    ['Date.now()', () => Date.now()],
    ['new Date()', () => new Date()],
    ['Date()', () => (Date as unknown as () => string)()],
    ['Math.random()', () => Math.random()],
    ['performance.now()', () => performance.now()],
    ['crypto.randomUUID()', () => crypto.randomUUID()],
    ['crypto.getRandomValues()', () => crypto.getRandomValues(new Uint8Array(4))],
    ['process.hrtime()', () => process.hrtime()],
    ['process.hrtime.bigint()', () => process.hrtime.bigint()],
    ['Intl.DateTimeFormat().format() without a date', () => Intl.DateTimeFormat('en-US').format()],
    [
      'Intl.DateTimeFormat().formatToParts() without a date',
      () => new Intl.DateTimeFormat('en-US').formatToParts(),
    ],
  ];
  for (const [api, call] of calls) {
    it(`makes ${api} in a listener fail with CW_NONDETERMINISM naming the listener`, async () => {
      const failure = await runListener(function rollDice() {
        call();
      });

      expect(failure?.listener).toBe('rollDice');
      expect(failure?.error.code).toBe(ErrorCodes.Nondeterminism);
      expect(failure?.error.name).toBe('NondeterminismError');
      expect(failure?.error.message).toContain(`Listener "rollDice" called ${api}`);
      expect(failure?.error.message).toContain('ctx.random()');
    });
  }

  it('lets a listener make dates from explicit times and check instanceof Date', async () => {
    const failure = await runListener(function formatTime(_e, ctx) {
      const d = new Date(ctx.now);
      if (!(d instanceof Date) || d.getTime() !== ctx.now) throw new Error('wrong date');
      if (Date.UTC(2024, 0, 1) !== 1_704_067_200_000) throw new Error('wrong UTC');
    });

    expect(failure).toBeNull();
  });

  it('lets a listener format explicit dates with Intl.DateTimeFormat', async () => {
    const failure = await runListener(function formatTime(_e, ctx) {
      const format = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric' });
      if (format.format(ctx.now) !== '2023') throw new Error('wrong year');
      if (format.formatToParts(new Date(ctx.now))[0]?.value !== '2023')
        throw new Error('wrong parts');
    });

    expect(failure).toBeNull();
  });

  it('leaves the globals alone outside strict mode', async () => {
    const failure = await runListener(function rollDice() {
      Math.random();
      Date.now();
    }, false);

    expect(failure).toBeNull();
  });

  it('restores the globals after a listener that threw', async () => {
    const failure = await runListener(function broken() {
      throw new Error('boom');
    });

    expect(failure?.error.message).toBe('boom');
    expect(Math.random()).toBeLessThan(1);
  });

  it('fails the tick, naming the applier, when an applier reads the clock', async () => {
    const system = new EventSystem<{ t: Record<string, number> }>({
      seed: 1,
      strict: true,
      initialState: { t: {} },
    });
    system.apply(Rolled, (draft, e) => {
      draft.t[e.entity] = Date.now();
    });

    const tick = system.tick([input(Rolled, testEntityId(1, at), { n: 1 }, 'ada')], { at });

    await expect(tick).rejects.toMatchObject({
      code: ErrorCodes.Nondeterminism,
      message: expect.stringContaining('the applier of "Rolled" called Date.now()') as unknown,
    });
    expect(system.lastCommit).toBeNull();
  });

  it('keeps timing listener runs for the activities meta log', async () => {
    const system = new EventSystem({ seed: 1, strict: true });
    system.subscribe(Rolled, function quiet() {});

    await system.tick([input(Rolled, testEntityId(1, at), { n: 1 }, 'ada')], { at });

    const [activity] = system.activities();
    expect(activity).toMatchObject({ listener: 'quiet', outcome: 'ok' });
    expect(activity?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('records a violation that a listener swallowed as its failure, and reports it to observers', async () => {
    const seen: string[] = [];
    const stop = observeStrictViolations((v) => seen.push(`${v.where}: ${v.api}`));
    try {
      const failure = await runListener(function sneaky() {
        try {
          Math.random();
        } catch {
          // swallowed on purpose: the loop must still see it
        }
      });

      expect(failure?.error.code).toBe(ErrorCodes.Nondeterminism);
      expect(failure?.error.message).toContain('Listener "sneaky" called Math.random()');
      expect(seen).toEqual(['sneaky: Math.random()']);
    } finally {
      stop();
    }
  });

  it('is on by default in development mode and off in production mode', async () => {
    const dice = function dice(): void {
      Math.random();
    };
    const development = new EventSystem({ seed: 1, mode: 'development' });
    const production = new EventSystem({ seed: 1, mode: 'production' });
    development.subscribe(Rolled, dice);
    production.subscribe(Rolled, dice);
    const inputs = [input(Rolled, testEntityId(1, at), { n: 1 }, 'ada')];

    const developed = development.tick(inputs, { at });
    const produced = await production.tick(inputs, { at });

    await expect(developed).rejects.toMatchObject({
      code: ErrorCodes.ListenerFailed,
      details: { listener: 'dice', code: ErrorCodes.Nondeterminism },
    });
    expect(produced.failures).toEqual([]);
  });

  it('takes development mode unless NODE_ENV is production', () => {
    const env = process.env['NODE_ENV'];
    try {
      process.env['NODE_ENV'] = 'production';
      const inProduction = new EventSystem({ seed: 1 }).mode;
      process.env['NODE_ENV'] = 'test';
      const inTests = new EventSystem({ seed: 1 }).mode;

      expect([inProduction, inTests]).toEqual(['production', 'development']);
    } finally {
      process.env['NODE_ENV'] = env;
    }
  });

  it('is turned on by the process-wide default, and an explicit false wins', async () => {
    const restore = setStrictByDefault(true);
    try {
      const byDefault = new EventSystem({ seed: 1, mode: 'production' });
      const optedOut = new EventSystem({ seed: 1, strict: false, mode: 'production' });
      const dice = function dice(): void {
        Math.random();
      };
      byDefault.subscribe(Rolled, dice);
      optedOut.subscribe(Rolled, dice);
      const inputs = [input(Rolled, testEntityId(1, at), { n: 1 }, 'ada')];

      const strictEvents = (await byDefault.tick(inputs, { at })).events;
      const laxEvents = (await optedOut.tick(inputs, { at })).events;

      expect(strictEvents.map((e) => e.type)).toContain(ListenerFailed.name);
      expect(laxEvents.map((e) => e.type)).not.toContain(ListenerFailed.name);
    } finally {
      restore();
    }
  });
});

describe('strictGuard', () => {
  it('nests: the globals come back only when the outermost run exits', () => {
    strictGuard.enter('outer');
    strictGuard.enter('inner');
    expect(() => Math.random()).toThrow(/Listener "inner" called Math.random\(\)/);
    strictGuard.exit();
    expect(() => Math.random()).toThrow(/Listener "outer"/);
    strictGuard.exit();

    expect(Math.random()).toBeLessThan(1);
  });

  it('wraps another guard, which runs inside strict mode', () => {
    const log: string[] = [];
    const guard = strictly({
      enter: (where) => log.push(`enter ${where} strict=${String(isStrictActive())}`),
      exit: () => log.push(`exit strict=${String(isStrictActive())}`),
    });

    guard.enter('listener');
    guard.exit();

    expect(log).toEqual(['enter listener strict=true', 'exit strict=true']);
  });
});
