import {
  defineEvent,
  EventSystem,
  input,
  type EventStore,
  type Input,
  type Table,
} from '@causeway/runtime';

// The scale suite's world, shared by the suite and the process it rebuilds the file log in
// (scale-rebuild.ts).

/** Inputs a tick in the suite's batches. */
export const BATCH = 1000;

// ---- The world: units with a position and health, stock counters, and labels --------------

export interface Unit {
  hp: number;
  x: number;
  y: number;
}
export interface Stock {
  sku: string;
  quantity: number;
  reserved: number;
}
export interface Label {
  name: string;
  colour: string;
}
export interface World {
  units: Table<Unit>;
  stock: Table<Stock>;
  labels: Table<Label>;
}

export const Spawned = defineEvent<{ hp: number; sku: string; name: string }>('scale.Spawned', {
  entity: 'new',
});
export const Damaged = defineEvent<{ amount: number }>('scale.Damaged', { entity: 'existing' });
export const Moved = defineEvent<{ dx: number; dy: number }>('scale.Moved', { entity: 'existing' });
export const Reserved = defineEvent<{ quantity: number; order: string }>('scale.Reserved', {
  entity: 'existing',
});
export const Relabelled = defineEvent<{ name: string; colour: string }>('scale.Relabelled', {
  entity: 'existing',
});

export const emptyWorld = (): World => ({ units: {}, stock: {}, labels: {} });

export function world(store: EventStore, options: { patches?: boolean } = {}): EventSystem<World> {
  const system = new EventSystem<World>({
    seed: 11,
    store,
    initialState: emptyWorld(),
    snapshotEvery: 0,
    ...options,
  });
  system.apply(Spawned, (draft, e) => {
    draft.units[e.entity] = { hp: e.data.hp, x: 0, y: 0 };
    draft.stock[e.entity] = { sku: e.data.sku, quantity: 100, reserved: 0 };
    draft.labels[e.entity] = { name: e.data.name, colour: 'grey' };
  });
  system.apply(Damaged, (draft, e) => {
    const unit = draft.units[e.entity];
    if (unit !== undefined) unit.hp -= e.data.amount;
  });
  system.apply(Moved, (draft, e) => {
    const unit = draft.units[e.entity];
    if (unit === undefined) return;
    unit.x += e.data.dx;
    unit.y += e.data.dy;
  });
  system.apply(Reserved, (draft, e) => {
    const stock = draft.stock[e.entity];
    if (stock === undefined) return;
    stock.quantity -= e.data.quantity;
    stock.reserved += e.data.quantity;
  });
  system.apply(Relabelled, (draft, e) => {
    draft.labels[e.entity] = { name: e.data.name, colour: e.data.colour };
  });
  return system;
}

export function spawnInput(id: string, i: number): Input {
  return input(
    Spawned,
    id,
    { hp: 100, sku: `SKU-${String(i % 997).padStart(4, '0')}`, name: `unit ${i}` },
    'bench',
  );
}

export async function spawn(
  system: EventSystem<World>,
  ids: readonly string[],
  at: number,
): Promise<void> {
  for (let i = 0; i < ids.length; i += BATCH) {
    await system.tick(
      ids.slice(i, i + BATCH).map((id, j) => spawnInput(id, i + j)),
      { at },
    );
  }
}

/** A mixed batch of `count` inputs over `ids` from `offset`: damage, moves, reservations, labels. */
export function mixed(ids: readonly string[], count: number, offset: number): Input[] {
  return Array.from({ length: count }, (_, i) => {
    const n = offset + i;
    const id = ids[(n * 7919) % ids.length] as string;
    switch (n % 4) {
      case 0:
        return input(Damaged, id, { amount: 1 }, 'bench');
      case 1:
        return input(Moved, id, { dx: 1, dy: -1 }, 'bench');
      case 2:
        return input(Reserved, id, { quantity: 1, order: `order-${n}` }, 'bench');
      default:
        return input(Relabelled, id, { name: `unit ${n}`, colour: 'blue' }, 'bench');
    }
  });
}

/** `count` Damaged inputs over `ids` from `offset` (the peers' workload is the same). */
export function damage(ids: readonly string[], count: number, offset: number): Input[] {
  return Array.from({ length: count }, (_, i) =>
    input(Damaged, ids[(offset + i) % ids.length] as string, { amount: 1 }, 'bench'),
  );
}

export function plainWorld(ids: readonly string[]): World {
  const state = emptyWorld();
  ids.forEach((id, i) => {
    state.units[id] = { hp: 100, x: 0, y: 0 };
    state.stock[id] = {
      sku: `SKU-${String(i % 997).padStart(4, '0')}`,
      quantity: 100,
      reserved: 0,
    };
    state.labels[id] = { name: `unit ${i}`, colour: 'grey' };
  });
  return state;
}
