import {
  defineEvent,
  EventSystem,
  type EventStore,
  type FailurePolicy,
  type Table,
} from '@causeway/runtime';
import { defineCommand, Mediator } from '@causeway/runtime/cqrs';

/** A shop whose stock is counted in public events (relayed) and private ones (kept). */
export const ItemStocked = defineEvent<{ sku: string }, 'ItemStocked'>('ItemStocked', {
  entity: 'new',
});
export const StockAdded = defineEvent<{ qty: number }, 'StockAdded'>('StockAdded', {
  entity: 'existing',
  public: true,
});
export const StockNoted = defineEvent<{ note: string }, 'StockNoted'>('StockNoted', {
  entity: 'existing',
});

export const StockItem = defineCommand<{ sku: string }, null, never, 'StockItem'>('StockItem');
export const AddStock = defineCommand<{ qty: number }, { qty: number }, 'BAD_QTY', 'AddStock'>(
  'AddStock',
);

export interface ShopState {
  items: Table<{ sku: string; qty: number }>;
}

/** The shop's system and mediator on `store`; `fail.add` makes AddStock throw while true. */
export function shopMediator(
  store: EventStore,
  fail: { add: boolean } = { add: false },
  failurePolicy: FailurePolicy = 'isolate',
): Mediator<ShopState> {
  const system = new EventSystem<ShopState>({
    seed: 7,
    failurePolicy,
    initialState: { items: {} },
    events: [ItemStocked, StockAdded, StockNoted],
    store,
  });
  system.apply(ItemStocked, (d, e) => {
    d.items[e.entity] = { sku: e.data.sku, qty: 0 };
  });
  system.apply(StockAdded, (d, e) => {
    d.items[e.entity]!.qty += e.data.qty;
  });
  return new Mediator(system, { commands: [StockItem, AddStock] })
    .handle(StockItem, (cmd, ctx) => {
      ctx.emit(ItemStocked, cmd.entity, { sku: cmd.payload.sku });
      return null;
    })
    .handle(AddStock, (cmd, ctx) => {
      if (fail.add) throw new Error('the stock handler is broken');
      if (cmd.payload.qty <= 0)
        return ctx.reject('BAD_QTY', `qty ${cmd.payload.qty} is not positive`);
      ctx.emit(StockAdded, cmd.entity, { qty: cmd.payload.qty });
      ctx.emit(StockNoted, cmd.entity, { note: `+${cmd.payload.qty}` });
      return { qty: (ctx.state.items[cmd.entity]?.qty ?? 0) + cmd.payload.qty };
    });
}
