import { EventEmitter } from 'node:events';
import {
  defineEvent,
  EventSystem,
  input,
  newEntityId,
  type EventSystemOptions,
  type Input,
} from '@causeway/runtime';
import { measureRate, type Suite } from '../harness.ts';

// What one sample runs: TICKS ticks of BATCH inputs each. The loop suite counts events
// dispatched through the loop: for fanout-3 the input events (each reaches 3 listeners), for
// cascade-10 every event of each 10-level chain (the input and the 9 it causes).
const BATCH = 1000;
const TICKS = 100;
const DEPTH = 10;
const ENTITIES = 1000;

interface Payload {
  readonly n: number;
  readonly level: number;
}

const Registered = defineEvent<Record<string, never>>('bench.Registered', { entity: 'new' });
const Pinged = defineEvent<Payload>('bench.Pinged', { entity: 'existing' });
const Stepped = defineEvent<Payload>('bench.Stepped', { entity: 'existing' });

// The listeners' trivial work, shared by every system so that only the loop differs.
let sink = 0;
const fanoutWork: readonly ((p: Payload) => void)[] = [
  (p) => {
    sink += p.n;
  },
  (p) => {
    sink ^= p.n;
  },
  (p) => {
    sink = (sink + p.level) | 0;
  },
];
function stepWork(p: Payload): Payload | null {
  sink += p.n;
  return p.level + 1 < DEPTH ? { n: p.n, level: p.level + 1 } : null;
}

const entities = Array.from({ length: ENTITIES }, () => newEntityId());
const payloads: Payload[] = Array.from({ length: BATCH }, (_, i) => ({ n: i, level: 0 }));

function batches(type: typeof Pinged): Input[][] {
  return Array.from({ length: TICKS }, () =>
    payloads.map((p, i) => input(type, entities[i % ENTITIES] as string, p, 'bench')),
  );
}

type CausewayVariant = Pick<EventSystemOptions<object>, 'validatePayloads' | 'activities'>;

const variants: readonly { readonly system: string; readonly options: CausewayVariant }[] = [
  { system: 'causeway', options: {} },
  { system: 'causeway-no-activities', options: { activities: 0 } },
  { system: 'causeway-lean', options: { activities: 0, validatePayloads: false } },
];

/** A fresh system holding the suite's entities, with the case's listeners subscribed. */
async function causewaySystem(
  kase: 'fanout' | 'cascade',
  options: CausewayVariant,
): Promise<EventSystem<object>> {
  const system = new EventSystem<object>({ seed: 1, ...options });
  if (kase === 'fanout') {
    for (const work of fanoutWork) system.subscribe(Pinged, (e) => work(e.data));
  } else {
    system.subscribe(Stepped, (e, ctx) => {
      const next = stepWork(e.data);
      if (next !== null) ctx.emit(Stepped, e.entity, next);
    });
  }
  system.register(Registered, Pinged, Stepped);
  await system.tick(
    entities.map((id) => input(Registered, id, {}, 'bench')),
    { at: Date.now() },
  );
  return system;
}

async function runCauseway(
  system: EventSystem<object>,
  ticks: readonly (readonly Input[])[],
): Promise<void> {
  let at = Date.now();
  for (const inputs of ticks) await system.tick(inputs, { at: at++ });
}

function emitterRun(kase: 'fanout' | 'cascade'): (ticks: readonly (readonly Input[])[]) => void {
  const emitter = new EventEmitter();
  if (kase === 'fanout') {
    for (const work of fanoutWork) emitter.on('ping', work);
  } else {
    emitter.on('step', (p: Payload) => {
      const next = stepWork(p);
      if (next !== null) emitter.emit('step', next);
    });
  }
  const name = kase === 'fanout' ? 'ping' : 'step';
  return (ticks) => {
    for (const inputs of ticks) for (const i of inputs) emitter.emit(name, i.data);
  };
}

function bareRun(kase: 'fanout' | 'cascade'): (ticks: readonly (readonly Input[])[]) => void {
  const queue: Payload[] = [];
  const emit = (p: Payload): void => {
    queue.push(p);
  };
  const listeners: ((p: Payload) => void)[] =
    kase === 'fanout'
      ? [...fanoutWork]
      : [
          (p) => {
            const next = stepWork(p);
            if (next !== null) emit(next);
          },
        ];
  return (ticks) => {
    for (const inputs of ticks) {
      queue.length = 0;
      for (const i of inputs) queue.push(i.data as Payload);
      for (let head = 0; head < queue.length; head++) {
        const p = queue[head] as Payload;
        for (let k = 0; k < listeners.length; k++) (listeners[k] as (p: Payload) => void)(p);
      }
    }
  };
}

/** Event dispatch through the loop: Causeway against Node's EventEmitter and a bare queue loop. */
export const loopSuite: Suite = {
  name: 'loop',
  description: `events/s through the loop, ${TICKS} ticks of ${BATCH} inputs a sample`,
  async run(recorder) {
    const cases = [
      { name: 'fanout-3', kase: 'fanout', type: Pinged, perInput: 1 },
      { name: `cascade-${DEPTH}`, kase: 'cascade', type: Stepped, perInput: DEPTH },
    ] as const;
    for (const c of cases) {
      const ticks = batches(c.type);
      const count = TICKS * BATCH * c.perInput;
      for (const variant of variants) {
        recorder.progress(`${c.name} ${variant.system}`);
        let system: EventSystem<object> | null = null;
        const samples = await measureRate(
          () => runCauseway(system as EventSystem<object>, ticks),
          count,
          {
            before: async () => {
              await system?.close();
              system = await causewaySystem(c.kase, variant.options);
            },
          },
        );
        await (system as EventSystem<object> | null)?.close();
        recorder.record(c.name, variant.system, 'events/s', samples);
      }
      const emitter = emitterRun(c.kase);
      recorder.record(
        c.name,
        'eventemitter',
        'events/s',
        await measureRate(() => emitter(ticks), count, { warmup: 3 }),
      );
      const bare = bareRun(c.kase);
      recorder.record(
        c.name,
        'bare-loop',
        'events/s',
        await measureRate(() => bare(ticks), count, { warmup: 3 }),
      );
    }
  },
};
