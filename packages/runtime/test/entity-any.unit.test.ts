import { describe, expect, it } from 'vitest';
import { defineEvent, ErrorCodes, input, newEntityId } from '../src/index.ts';
import { CounterCreated, counterSystem } from './fixtures.ts';

const Touched = defineEvent<{ n: number }, 'Touched'>('Touched', { entity: 'any' });

describe("entity rule 'any'", () => {
  it('accepts an input about an entity that does not exist, without creating it', async () => {
    const system = counterSystem({ events: [CounterCreated, Touched] });
    const id = newEntityId();

    await system.tick([input(Touched, id, { n: 1 }, 'ada')]);

    expect(system.entity(id)).toBeUndefined();
  });

  it("refuses an input about another actor's entity with CW_ENTITY_NOT_OWNED", async () => {
    const system = counterSystem({ events: [CounterCreated, Touched] });
    const id = newEntityId();
    await system.tick([input(CounterCreated, id, { name: 'a' }, 'ada')]);

    const err = await system
      .tick([input(Touched, id, { n: 1 }, 'mallory')])
      .catch((e: unknown) => e);

    expect(err).toMatchObject({ code: ErrorCodes.EntityNotOwned });
  });

  it('accepts an input about its own entity', async () => {
    const system = counterSystem({ events: [CounterCreated, Touched] });
    const id = newEntityId();
    await system.tick([input(CounterCreated, id, { name: 'a' }, 'ada')]);

    const tick = await system.tick([input(Touched, id, { n: 1 }, 'ada')]);

    expect(tick.events.map((e) => e.type)).toEqual(['Touched']);
  });

  it('marks a type public only when asked', () => {
    expect(Touched.public).toBe(false);
    expect(defineEvent('Shared', { entity: 'any', public: true }).public).toBe(true);
  });

  it('refuses a public mark that is not a boolean', () => {
    expect(() =>
      defineEvent('Odd', { entity: 'any', public: 'yes' as unknown as boolean }),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.InvalidEventType }));
  });
});
