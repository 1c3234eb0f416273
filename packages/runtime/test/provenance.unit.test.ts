import { describe, expect, it } from 'vitest';
import { defineEvent, EventSystem, input, type Envelope } from '../src/index.ts';
import { entityId, T0 } from './fixtures.ts';

const Ordered = defineEvent<{ item: string }>('Ordered', { entity: 'new' });
const Paid = defineEvent<{ amount: number }>('Paid', { entity: 'existing' });
const Packed = defineEvent<{ box: number }>('Packed', { entity: 'existing' });
const Shipped = defineEvent<{ carrier: string }>('Shipped', { entity: 'existing' });

describe('provenance', () => {
  it('links every event of a 4-level cascade to its cause and to the root input', async () => {
    const system = new EventSystem({ seed: 9, events: [Shipped] });
    system.subscribe(Ordered, function billing(e, ctx) {
      ctx.emit(Paid, e.entity, { amount: 10 });
    });
    system.subscribe(Paid, function warehouse(e, ctx) {
      ctx.emit(Packed, e.entity, { box: 1 });
    });
    system.subscribe(Packed, function courier(e, ctx) {
      ctx.emit(Shipped, e.entity, { carrier: 'post' });
    });
    const order = entityId(1);
    const { events } = await system.tick(
      [input(Ordered, order, { item: 'book' }, 'shop-frontend')],
      { at: T0 },
    );
    const [ordered, paid, packed, shipped] = events as [Envelope, Envelope, Envelope, Envelope];
    expect(events.map((e) => e.type)).toEqual(['Ordered', 'Paid', 'Packed', 'Shipped']);
    expect([ordered.causation, paid.causation, packed.causation, shipped.causation]).toEqual([
      null,
      ordered.id,
      paid.id,
      packed.id,
    ]);
    expect(events.every((e) => e.correlation === ordered.id)).toBe(true);
    expect(events.map((e) => e.actor)).toEqual([
      'shop-frontend',
      'billing',
      'warehouse',
      'courier',
    ]);
    expect(events.every((e) => e.entity === order && e.tick === 1 && e.at === T0)).toBe(true);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    const stored = await system.readEvents({ correlation: ordered.id });
    expect(stored.items).toEqual(events);
  });

  it('keeps listener runs and their wall time in the activities meta log, never in the domain log', async () => {
    const system = new EventSystem({ seed: 9 });
    system.subscribe(Ordered, function audit() {});
    const { events } = await system.tick([input(Ordered, entityId(1), { item: 'pen' }, 'shop')], {
      at: T0,
    });
    const activities = system.activities();
    expect(activities).toHaveLength(1);
    expect(activities[0]).toMatchObject({ tick: 1, seq: 1, listener: 'audit', outcome: 'ok' });
    expect(activities[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(events)).not.toContain('durationMs');
  });
});
