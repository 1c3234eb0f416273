/**
 * One of two processes that cooperate only through NATS (nats-link.e2e.test.ts): `orders` places
 * orders and records the answers; `stock` reserves stock for each order it hears of. Each relays
 * its public events and takes the other's as commands through an inbox. Prints one JSON line
 * (its log, summarised) when its part is done.
 *
 * Usage: node --conditions=@causeway/source --import tsx nats-orders-child.ts <role> <url> <tag> <orders>
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { defineEvent, EventSystem, newEntityId, type Table } from '@causeway/runtime';
import { command, defineCommand, Mediator } from '@causeway/runtime/cqrs';
import { CommandInbox, decodeEvent, OutboxRelay } from '../src/nats/index.ts';

const [role, url, tag, ordersArg] = process.argv.slice(2) as [string, string, string, string];
const orders = Number(ordersArg);

const OrderPlaced = defineEvent<{ n: number; qty: number }, 'OrderPlaced'>('OrderPlaced', {
  entity: 'new',
  public: true,
});
const OrderAnswered = defineEvent<{ n: number; ok: boolean }, 'OrderAnswered'>('OrderAnswered', {
  entity: 'existing',
});
const Reserved = defineEvent<{ n: number; order: string; qty: number }, 'Reserved'>('Reserved', {
  entity: 'any',
  public: true,
});
const OutOfStock = defineEvent<{ n: number; order: string }, 'OutOfStock'>('OutOfStock', {
  entity: 'any',
  public: true,
});
const PlaceOrder = defineCommand<{ n: number; qty: number }, null, never, 'PlaceOrder'>(
  'PlaceOrder',
);
const RecordAnswer = defineCommand<{ n: number; ok: boolean }, null, never, 'RecordAnswer'>(
  'RecordAnswer',
);
const Reserve = defineCommand<{ n: number; qty: number }, null, never, 'Reserve'>('Reserve');

interface OrdersState {
  orders: Table<{ n: number; ok: boolean | null }>;
}
interface StockState {
  remaining: number;
  handled: number;
}

const nc = await connect({
  servers: url,
  maxReconnectAttempts: -1,
  waitOnFirstConnect: true,
  reconnectTimeWait: 100,
  timeout: 2000,
});
const errors: string[] = [];
const noteError = (e: unknown): void => {
  errors.push(e instanceof Error ? e.message : String(e));
};

function summary(system: EventSystem<object>, extra: object): Promise<string> {
  return system.readEvents({ limit: 10_000 }).then((page) =>
    JSON.stringify({
      events: page.items
        .filter((e) => !e.type.startsWith('causeway.') && !e.type.startsWith('Place'))
        .filter((e) => !['RecordAnswer', 'Reserve'].includes(e.type))
        .map((e) => {
          const { order: _order, ...data } = e.data as Record<string, unknown>;
          return [e.type, data];
        }),
      ...extra,
    }),
  );
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 50));
}

if (role === 'orders') {
  const system = new EventSystem<OrdersState>({
    seed: 1,
    initialState: { orders: {} },
    events: [OrderPlaced, OrderAnswered],
  });
  system.apply(OrderPlaced, (d, e) => {
    d.orders[e.entity] = { n: e.data.n, ok: null };
  });
  system.apply(OrderAnswered, (d, e) => {
    d.orders[e.entity]!.ok = e.data.ok;
  });
  const mediator = new Mediator(system, { commands: [PlaceOrder, RecordAnswer] })
    .handle(PlaceOrder, (cmd, ctx) => {
      ctx.emit(OrderPlaced, cmd.entity, cmd.payload);
      return null;
    })
    .handle(RecordAnswer, (cmd, ctx) => {
      ctx.emit(OrderAnswered, cmd.entity, cmd.payload);
      return null;
    });
  const relay = new OutboxRelay({
    system,
    connection: nc,
    name: 'orders',
    bucket: `cw_${tag}`,
    subject: (e) => `${tag}.orders.${e.type}`,
    retryMs: 100,
    onError: noteError,
  });
  const inbox = new CommandInbox({
    mediator,
    connection: nc,
    stream: `cw_${tag}_stock`,
    consumer: 'orders',
    actor: 'orders',
    ackWaitSeconds: 2,
    retryMs: 100,
    onError: noteError,
    decode: (m) => {
      const e = decodeEvent(m.data);
      const data = e.data as { n: number; order: string };
      return command(
        RecordAnswer,
        data.order,
        { n: data.n, ok: e.type === 'Reserved' },
        { id: e.id, actor: 'orders' },
      );
    },
  });
  await mediator.start();
  await relay.start();
  await inbox.start();
  // Place orders once the stock process listens, so that the test's cut falls in the middle.
  const jsm = await jetstreamManager(nc);
  while (
    !(await jsm.consumers.info(`cw_${tag}_orders`, 'stock').then(
      () => true,
      () => false,
    ))
  )
    await new Promise((r) => setTimeout(r, 50));
  for (let n = 1; n <= orders; n++) {
    await mediator.send(
      command(PlaceOrder, newEntityId(), { n, qty: (n % 3) + 1 }, { actor: 'orders' }),
    );
    await new Promise((r) => setTimeout(r, 40));
  }
  await until(
    () => Object.values(system.state.orders).filter((o) => o.ok !== null).length === orders,
  );
  await inbox.stop();
  await relay.stop();
  console.log(await summary(system, { inbox: inbox.status(), relay: relay.status(), errors }));
} else {
  const system = new EventSystem<StockState>({
    seed: 2,
    initialState: { remaining: 50, handled: 0 },
    events: [Reserved, OutOfStock],
  });
  system.apply(Reserved, (d, e) => {
    d.remaining -= e.data.qty;
    d.handled += 1;
  });
  system.apply(OutOfStock, (d) => {
    d.handled += 1;
  });
  const mediator = new Mediator(system, { commands: [Reserve] }).handle(Reserve, (cmd, ctx) => {
    const { n, qty } = cmd.payload;
    if (ctx.state.remaining >= qty) ctx.emit(Reserved, cmd.entity, { n, order: cmd.entity, qty });
    else ctx.emit(OutOfStock, cmd.entity, { n, order: cmd.entity });
    return null;
  });
  const relay = new OutboxRelay({
    system,
    connection: nc,
    name: 'stock',
    bucket: `cw_${tag}`,
    subject: (e) => `${tag}.stock.${e.type}`,
    retryMs: 100,
    onError: noteError,
  });
  const inbox = new CommandInbox({
    mediator,
    connection: nc,
    stream: `cw_${tag}_orders`,
    consumer: 'stock',
    actor: 'stock',
    ackWaitSeconds: 2,
    retryMs: 100,
    onError: noteError,
    decode: (m) => {
      const e = decodeEvent(m.data);
      const data = e.data as { n: number; qty: number };
      return command(Reserve, e.entity, data, { id: e.id, actor: 'stock' });
    },
  });
  await mediator.start();
  await relay.start();
  await inbox.start();
  await until(() => system.state.handled === orders);
  await relay.waitFor(system.lastCommit!.lastSeq);
  await inbox.stop();
  await relay.stop();
  console.log(await summary(system, { inbox: inbox.status(), relay: relay.status(), errors }));
}
await nc.drain();
