import { randomUUID } from 'node:crypto';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  MemoryStore,
  newEntityId,
  type EventStore,
  type TickCommit,
  type StoredEnvelope,
} from '@causeway/runtime';
import { command, type Mediator } from '@causeway/runtime/cqrs';
import {
  CommandInbox,
  decodeEvent,
  encodeCommand,
  encodeEvent,
  ensureEventStream,
  OutboxRelay,
  type CommandInboxOptions,
  type OutboxRelayOptions,
} from '../src/nats/index.ts';
import { natsUrl, requireNats } from '../../../test/services.ts';
import { AddStock, shopMediator, StockItem, type ShopState } from './nats-shop.ts';

const nats = await requireNats();

/** Everything one test made on the server, deleted afterwards. */
interface Names {
  stream: string;
  subject: string;
  bucket: string;
}

async function streamBodies(jsm: JetStreamManager, stream: string): Promise<StoredEnvelope[]> {
  const info = await jsm.streams.info(stream);
  const out: StoredEnvelope[] = [];
  for (
    let seq = info.state.first_seq;
    seq <= info.state.last_seq && info.state.messages > 0;
    seq++
  ) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m !== null) out.push(decodeEvent(m.data) as StoredEnvelope);
  }
  return out;
}

async function stockSome(shop: Mediator<ShopState>, adds: readonly number[]): Promise<string> {
  const item = newEntityId();
  await shop.send(command(StockItem, item, { sku: 'apple' }, { actor: 'shop' }));
  for (const qty of adds) await shop.send(command(AddStock, item, { qty }, { actor: 'shop' }));
  return item;
}

describe.skipIf(!nats.available)('NATS JetStream outbox and inbox', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let names: Names;

  beforeAll(async () => {
    nc = await connect({ servers: natsUrl() });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc.close();
  });
  beforeEach(async () => {
    const tag = randomUUID().slice(0, 8);
    names = { stream: `cw_test_${tag}`, subject: `cwtest.${tag}`, bucket: `cw_test_${tag}` };
    await ensureEventStream(nc, { name: names.stream, subjects: [`${names.subject}.>`] });
  });
  afterEach(async () => {
    await jsm.streams.delete(names.stream).catch(() => false);
    await new Kvm(nc)
      .open(names.bucket)
      .then((kv) => kv.destroy())
      .catch(() => false);
  });

  /** A relay named 'shop' of `shop`'s public events to the test's subject and bucket. */
  function relayOf(
    shop: Mediator<ShopState>,
    options: Omit<Partial<OutboxRelayOptions>, 'system' | 'connection'> = {},
  ): OutboxRelay {
    return new OutboxRelay({
      system: shop.system,
      connection: nc,
      name: 'shop',
      bucket: names.bucket,
      subject: (e) => `${names.subject}.${e.type}`,
      ...options,
    });
  }

  /** A started shop that stocked an item, then added 1, 2 and 3 to it. */
  async function stockedShop(): Promise<Mediator<ShopState>> {
    const shop = shopMediator(new MemoryStore());
    await shop.start();
    await stockSome(shop, [1, 2, 3]);
    return shop;
  }

  it('relays only public events, once each, with the event id as the message id', async () => {
    const shop = shopMediator(new MemoryStore());
    await shop.start();
    await stockSome(shop, [1, 2, 3]);
    const relay = relayOf(shop);

    await relay.start();
    await relay.waitFor(shop.system.lastCommit!.lastSeq);
    await relay.stop();

    const relayed = await streamBodies(jsm, names.stream);
    expect(relayed.map((e): unknown[] => [e.type, e.data])).toEqual([
      ['StockAdded', { qty: 1 }],
      ['StockAdded', { qty: 2 }],
      ['StockAdded', { qty: 3 }],
    ]);
    const first = await jsm.streams.getMessage(names.stream, { seq: 1 });
    expect(first?.header.get('Nats-Msg-Id')).toBe(relayed[0]?.id);
  });

  it('publishes nothing when stop() is called while it starts', async () => {
    const shop = shopMediator(new MemoryStore());
    await shop.start();
    const relay = relayOf(shop);

    const starting = relay.start();
    await relay.stop();
    await starting;
    await stockSome(shop, [1]);
    await new Promise((r) => setTimeout(r, 500)); // lets a wrongly running relay publish

    expect(relay.status()).toMatchObject({ state: 'stopped', published: 0 });
    expect((await jsm.streams.info(names.stream)).state.messages).toBe(0);
  });

  it('refuses a stored position that is not a seq, naming the bucket and key', async () => {
    const shop = shopMediator(new MemoryStore());
    await shop.start();
    const kv = await new Kvm(nc).create(names.bucket);
    await kv.put('shop', 'not a seq');
    const relay = relayOf(shop);

    const err = await relay.start().then(
      () => null,
      (e: unknown) => e,
    );

    expect(err).toMatchObject({ code: 'CW_INVALID_ARGUMENT' });
    expect((err as Error).message).toContain(`bucket "${names.bucket}"`);
    expect(relay.status()).toMatchObject({ published: 0 });
  });

  it('drops a resend of events JetStream already stored (position lost)', async () => {
    const shop = shopMediator(new MemoryStore());
    await shop.start();
    await stockSome(shop, [1, 2]);
    const first = relayOf(shop);
    await first.start();
    await first.waitFor(shop.system.lastCommit!.lastSeq);
    await first.stop();
    const kv = await new Kvm(nc).open(names.bucket);
    await kv.put('shop', '0');

    const again = relayOf(shop);
    await again.start();
    await again.waitFor(shop.system.lastCommit!.lastSeq);
    await again.stop();

    expect(again.status()).toMatchObject({ published: 2, duplicates: 2 });
    expect((await jsm.streams.info(names.stream)).state.messages).toBe(2);
  });

  it('resumes after a restart from its durable position, sending only what is new', async () => {
    const store = new MemoryStore();
    const shop = shopMediator(store);
    await shop.start();
    const item = await stockSome(shop, [1, 2]);
    const before = relayOf(shop);
    await before.start();
    await before.waitFor(shop.system.lastCommit!.lastSeq);
    await before.stop();
    await shop.send(command(AddStock, item, { qty: 5 }, { actor: 'shop' }));

    const stored = await (await new Kvm(nc).open(names.bucket)).get('shop');
    const after = relayOf(shop);
    await after.start();
    await after.waitFor(shop.system.lastCommit!.lastSeq);
    await after.stop();

    expect(Number(stored?.string())).toBe(before.status().position);
    expect(after.status()).toMatchObject({ published: 1, duplicates: 0 });
    const relayed = await streamBodies(jsm, names.stream);
    expect(relayed.map((e): unknown => e.data)).toEqual([{ qty: 1 }, { qty: 2 }, { qty: 5 }]);
  });

  it('refuses to start from a stored position past the end of its log, publishing nothing', async () => {
    // The first shop's relay stored a position; a second shop (its store reset) reuses the name.
    const first = shopMediator(new MemoryStore());
    await stockSome(first, [1, 1, 1, 1]);
    const relay = relayOf(first);
    await relay.start();
    await relay.waitFor(first.system.lastCommit!.lastSeq);
    await relay.stop();
    const second = shopMediator(new MemoryStore());
    await stockSome(second, [7]);

    const reused = relayOf(second);

    await expect(reused.start()).rejects.toBeCausewayError('CW_LOG_MISMATCH');
    expect(reused.status()).toMatchObject({ state: 'idle', published: 0 });
    const relayed = await streamBodies(jsm, names.stream);
    expect(relayed.map((e): unknown => e.data)).toEqual([
      { qty: 1 },
      { qty: 1 },
      { qty: 1 },
      { qty: 1 },
    ]);
  });

  it('keeps log order in the stream when a publish in the middle of a batch fails once', async () => {
    const shop = await stockedShop();
    const errors: unknown[] = [];
    let refused = false;
    const relay = relayOf(shop, {
      retryMs: 50,
      onError: (e) => errors.push(e),
      // The second event's first publish goes to a subject no stream captures: it fails.
      subject: (e) => {
        if ((e.data as { qty?: number }).qty === 2 && !refused) {
          refused = true;
          return `cwtest_nowhere.${e.type}`;
        }
        return `${names.subject}.${e.type}`;
      },
    });

    await relay.start();
    await relay.waitFor(shop.system.lastCommit!.lastSeq);
    await relay.stop();

    expect(errors.length).toBeGreaterThanOrEqual(1);
    const relayed = await streamBodies(jsm, names.stream);
    expect(relayed.map((e) => e.seq)).toEqual([...relayed.map((e) => e.seq)].sort((a, b) => a - b));
    expect(relayed.map((e): unknown => e.data)).toEqual([{ qty: 1 }, { qty: 2 }, { qty: 3 }]);
  });

  it('publishes the events before a failing one once while it retries, past the duplicate window', async () => {
    await jsm.streams.delete(names.stream);
    await ensureEventStream(nc, {
      name: names.stream,
      subjects: [`${names.subject}.>`],
      duplicateWindowMs: 100,
    });
    const shop = await stockedShop();
    let broken = true;
    const relay = relayOf(shop, {
      retryMs: 50,
      onError: () => undefined,
      // The third event goes to a subject no stream captures until it is fixed: it fails.
      subject: (e) =>
        (e.data as { qty?: number }).qty === 3 && broken
          ? `cwtest_nowhere.${e.type}`
          : `${names.subject}.${e.type}`,
    });

    await relay.start();
    await new Promise((r) => setTimeout(r, 1_000));
    broken = false;
    await relay.waitFor(shop.system.lastCommit!.lastSeq);
    await relay.stop();

    const relayed = await streamBodies(jsm, names.stream);
    expect(relayed.map((e): unknown => e.data)).toEqual([{ qty: 1 }, { qty: 2 }, { qty: 3 }]);
  });

  it('stops at an event whose subject function throws, reporting it once and rejecting a waiter, where it retried forever', async () => {
    const shop = await stockedShop();
    const errors: unknown[] = [];
    const relay = relayOf(shop, {
      retryMs: 10,
      onError: (e) => errors.push(e),
      subject: (e) => {
        if ((e.data as { qty?: number }).qty === 2) throw new Error('no subject for qty 2');
        return `${names.subject}.${e.type}`;
      },
    });
    const bad = (await shop.system.readEvents()).items.find(
      (e) => (e.data as { qty?: number }).qty === 2,
    );

    await relay.start();
    const waited = await relay.waitFor(shop.system.lastCommit!.lastSeq).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));

    expect(waited).toMatchObject({
      code: 'CW_INVALID_ARGUMENT',
      details: { relay: 'shop', seq: bad?.seq, type: 'StockAdded' },
    });
    expect((waited as Error).message).toMatch(
      /Relay "shop" stopped at seq \d+ \("StockAdded".*subject function threw: no subject for qty 2.*start\(\) the relay again/,
    );
    expect(errors).toEqual([waited]);
    expect(relay.status()).toMatchObject({
      state: 'stopped',
      error: { seq: bad?.seq, type: 'StockAdded' },
    });
    const relayed = await streamBodies(jsm, names.stream);
    expect(relayed.map((e): unknown => e.data)).toEqual([{ qty: 1 }]);
  });

  it('goes on from the failing event once started again with a fixed subject function', async () => {
    const shop = await stockedShop();
    let broken = true;
    const relay = relayOf(shop, {
      onError: () => undefined,
      subject: (e) => {
        if (broken && (e.data as { qty?: number }).qty === 2) throw new Error('broken');
        return `${names.subject}.${e.type}`;
      },
    });
    await relay.start();
    await relay.waitFor(shop.system.lastCommit!.lastSeq).catch(() => undefined);

    broken = false;
    await relay.start();
    await relay.waitFor(shop.system.lastCommit!.lastSeq);
    await relay.stop();

    expect(relay.status()).toMatchObject({ state: 'stopped', error: null });
    const relayed = await streamBodies(jsm, names.stream);
    expect(relayed.map((e): unknown => e.data)).toEqual([{ qty: 1 }, { qty: 2 }, { qty: 3 }]);
  });

  describe('inbox', () => {
    async function publishCommand(cmd: Parameters<typeof encodeCommand>[0], msgId?: string) {
      await jetstream(nc).publish(`${names.subject}.commands`, encodeCommand(cmd), {
        msgID: msgId ?? cmd.id,
      });
    }

    function inboxOf(
      shop: Mediator<ShopState>,
      ackWaitSeconds = 30,
      more: Partial<CommandInboxOptions> = {},
    ): CommandInbox {
      return new CommandInbox({
        mediator: shop,
        connection: nc,
        stream: names.stream,
        consumer: 'shop_inbox',
        filterSubject: `${names.subject}.commands`,
        actor: 'shop',
        commands: [StockItem, AddStock],
        ackWaitSeconds,
        retryMs: 100,
        ...more,
      });
    }

    async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
      for (let i = 0; i < 200; i++) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}`);
    }

    it('acknowledges a message only after the tick that took it has committed', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      const inner = new MemoryStore();
      const gated: EventStore = new Proxy(inner, {
        get(target, prop, receiver) {
          if (prop === 'commit')
            return async (c: TickCommit, events: readonly StoredEnvelope[]) => {
              await gate;
              return target.commit(c, events);
            };
          const v: unknown = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const shop = shopMediator(gated);
      const inbox = inboxOf(shop);
      await inbox.start();
      const item = newEntityId();

      await publishCommand(command(StockItem, item, { sku: 'pear' }));
      await until(
        async () => (await jsm.consumers.info(names.stream, 'shop_inbox')).num_ack_pending === 1,
        'the message to be delivered',
      );
      const whileHeld = await jsm.consumers.info(names.stream, 'shop_inbox');
      const committedWhileHeld = shop.system.lastCommit;
      release();
      await until(() => inbox.status().acknowledged === 1, 'the ack');
      const afterCommit = await jsm.consumers.info(names.stream, 'shop_inbox');
      await inbox.stop();

      expect(whileHeld.num_ack_pending).toBe(1);
      expect(committedWhileHeld).toBeNull();
      expect(afterCommit.num_ack_pending).toBe(0);
      expect(shop.system.state.items[item]).toEqual({ sku: 'pear', qty: 0 });
    });

    it('recognises a redelivered message after a restart and does not apply it twice', async () => {
      const store = new MemoryStore();
      const crashed = shopMediator(store);
      await crashed.start();
      const item = newEntityId();
      await crashed.send(command(StockItem, item, { sku: 'fig' }, { actor: 'shop' }));
      await jsm.consumers.add(names.stream, {
        durable_name: 'shop_inbox',
        ack_policy: AckPolicy.Explicit,
        ack_wait: 1_000_000_000,
        filter_subject: `${names.subject}.commands`,
      });
      const add = command(AddStock, item, { qty: 4 }, { actor: 'shop' });
      await publishCommand(add);
      // A process takes the message, commits its command, and dies before acknowledging.
      const taken = await (await jetstream(nc).consumers.get(names.stream, 'shop_inbox')).next();
      expect(taken).not.toBeNull();
      await crashed.send(add);
      const eventsBefore = (await store.readEvents({ limit: 10_000 })).items.length;

      const restarted = shopMediator(store);
      const inbox = inboxOf(restarted, 1);
      await inbox.start();
      await until(() => inbox.status().acknowledged === 1, 'the redelivery to be acknowledged');
      await inbox.stop();

      expect(inbox.status()).toMatchObject({ redelivered: 1, acknowledged: 1, retried: 0 });
      expect((await store.readEvents({ limit: 10_000 })).items.length).toBe(eventsBefore);
      expect(restarted.system.state.items[item]?.qty).toBe(4);
    });

    it('hands a message whose handler threw back for redelivery and applies it once fixed', async () => {
      const fail = { add: true };
      const shop = shopMediator(new MemoryStore(), fail);
      const inbox = inboxOf(shop);
      await inbox.start();
      const item = newEntityId();
      await publishCommand(command(StockItem, item, { sku: 'kiwi' }));
      await publishCommand(command(AddStock, item, { qty: 2 }));
      await until(() => inbox.status().retried >= 1, 'a failed attempt');

      fail.add = false;
      await until(() => inbox.status().acknowledged === 2, 'both commands');
      await inbox.stop();

      expect(inbox.status().redelivered).toBeGreaterThanOrEqual(1);
      expect(shop.system.state.items[item]?.qty).toBe(2);
    });

    it('redelivers a message whose handler keeps throwing later each time, and terminates it after maxDeliveries', async () => {
      const shop = shopMediator(new MemoryStore(), { add: true });
      const errors: unknown[] = [];
      const deliveredAt: number[] = [];
      const inbox = inboxOf(shop, 30, {
        retryMs: 150,
        maxDeliveries: 3,
        onError: (err, m) => {
          errors.push(err);
          if (m !== undefined) deliveredAt.push(performance.now());
        },
      });
      await inbox.start();
      const item = newEntityId();
      await publishCommand(command(StockItem, item, { sku: 'kiwi' }));
      await publishCommand(command(AddStock, item, { qty: 2 }));

      await until(() => inbox.status().terminated === 1, 'the message given up');
      const failedTicks = (await shop.system.readEvents({ type: 'causeway.ListenerFailed' })).items
        .length;
      await inbox.stop();

      expect(inbox.status().retried).toBe(2);
      expect(failedTicks).toBe(3);
      // Never redelivered before its delay: 150 ms, then 300 ms.
      expect(deliveredAt[1]! - deliveredAt[0]!).toBeGreaterThanOrEqual(140);
      expect(deliveredAt[2]! - deliveredAt[1]!).toBeGreaterThanOrEqual(290);
      expect(errors.at(-1)).toMatchObject({ code: 'CW_COMMAND_FAILED' });
      expect((errors.at(-1) as Error).message).toMatch(
        /failed 3 times \(maxDeliveries\) and was terminated/,
      );
      expect(shop.system.state.items[item]?.qty).toBe(0);
    });

    it('hands messages back while the system is halted, and applies them after a restart', async () => {
      const name = `halt-${newEntityId()}`;
      const fail = { add: true };
      const halting = shopMediator(new MemoryStore({ name }), fail, 'halt');
      const errors: unknown[] = [];
      const first = new CommandInbox({
        mediator: halting,
        connection: nc,
        stream: names.stream,
        consumer: 'shop_inbox',
        filterSubject: `${names.subject}.commands`,
        actor: 'shop',
        commands: [StockItem, AddStock],
        retryMs: 100,
        onError: (e) => errors.push(e),
      });
      await first.start();
      const item = newEntityId();
      await publishCommand(command(StockItem, item, { sku: 'plum' }));
      await publishCommand(command(AddStock, item, { qty: 2 })); // halts the system
      await publishCommand(command(AddStock, item, { qty: 3 })); // refused: the system is halted
      await until(
        () =>
          errors.some((e) => (e as { code?: string }).code === 'CW_SYSTEM_HALTED') ||
          first.status().terminated > 0,
        'the halted system to refuse a command',
      );
      await first.stop();
      await halting.system.close();

      fail.add = false;
      const restarted = shopMediator(new MemoryStore({ name }), fail, 'halt');
      const second = inboxOf(restarted, 1);
      await second.start();
      await until(() => restarted.system.state.items[item]?.qty === 5, 'both additions');
      await second.stop();

      expect(first.status().terminated).toBe(0);
      expect(restarted.system.state.items[item]?.qty).toBe(5);
    });

    it('takes nothing after stop() when start() was called again, at once and later', async () => {
      // A second start() must not open a second consumer loop that stop() then leaves running.
      const shop = shopMediator(new MemoryStore());
      const inbox = inboxOf(shop);
      await Promise.all([inbox.start(), inbox.start()]);
      await inbox.start();
      await inbox.stop();

      await publishCommand(command(StockItem, newEntityId(), { sku: 'lime' }));
      await new Promise((r) => setTimeout(r, 500));
      const info = await jsm.consumers.info(names.stream, 'shop_inbox');

      expect(info.delivered.consumer_seq).toBe(0);
      expect(info.num_pending).toBe(1);
    });

    it('terminates a message that names no command it takes', async () => {
      const shop = shopMediator(new MemoryStore());
      const errors: unknown[] = [];
      const inbox = new CommandInbox({
        mediator: shop,
        connection: nc,
        stream: names.stream,
        consumer: 'shop_inbox',
        actor: 'shop',
        commands: [StockItem],
        onError: (e) => errors.push(e),
      });
      await inbox.start();

      await jetstream(nc).publish(`${names.subject}.commands`, '{"type":"Nope","id":"x"}');
      await until(() => inbox.status().terminated === 1, 'the refusal');
      await inbox.stop();

      expect(errors).toEqual([expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' })]);
    });

    it('goes on taking messages when its onError throws', async () => {
      const shop = shopMediator(new MemoryStore());
      const inbox = inboxOf(shop, 30, {
        onError: () => {
          throw new Error('the logger is closed');
        },
      });
      await inbox.start();

      await jetstream(nc).publish(`${names.subject}.commands`, '{"type":"Nope","id":"x"}');
      const item = newEntityId();
      await publishCommand(command(StockItem, item, { sku: 'kiwi' }, { actor: 'shop' }));
      await until(() => inbox.status().acknowledged === 1, 'the command after the refusal');
      await inbox.stop();

      expect(inbox.status().terminated).toBe(1);
      expect(shop.system.state.items[item]).toEqual({ sku: 'kiwi', qty: 0 });
    });
  });
});

describe.skipIf(!nats.available)('NATS relay and inbox options', () => {
  let nc: NatsConnection;
  beforeAll(async () => {
    nc = await connect({ servers: natsUrl() });
  });
  afterAll(async () => {
    await nc.close();
  });

  it('refuses a relay batch outside 1 to 10,000', () => {
    const shop = shopMediator(new MemoryStore());

    const make = () =>
      new OutboxRelay({ system: shop.system, connection: nc, name: 'r', batch: 0 });

    expect(make).toThrow(expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }));
  });

  it('refuses a relay name that cannot be a key-value key', () => {
    const shop = shopMediator(new MemoryStore());

    const make = () => new OutboxRelay({ system: shop.system, connection: nc, name: 'a b' });

    expect(make).toThrow(/a b/);
  });

  it('refuses a relay without a name, which would share the key "undefined" with every other', () => {
    const shop = shopMediator(new MemoryStore());
    const name = process.env['CAUSEWAY_TEST_UNSET_RELAY'] as string;

    const make = () => new OutboxRelay({ system: shop.system, connection: nc, name });

    expect(make).toThrow(expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }));
  });

  it('refuses an inbox whose default decoder has no actor, which would terminate every message', () => {
    const shop = shopMediator(new MemoryStore());
    const actor = process.env['CAUSEWAY_TEST_UNSET_ACTOR'] as string;

    const make = () =>
      new CommandInbox({
        mediator: shop,
        connection: nc,
        stream: 's',
        consumer: 'c',
        actor,
        commands: [StockItem],
      });

    expect(make).toThrow(expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }));
  });

  it('refuses an inbox whose maxDeliveries is not an integer from 1', () => {
    const shop = shopMediator(new MemoryStore());

    expect(
      () =>
        new CommandInbox({
          mediator: shop,
          connection: nc,
          stream: 's',
          consumer: 'c',
          actor: 'a',
          commands: [StockItem],
          maxDeliveries: 0,
        }),
    ).toThrow(expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }));
  });

  it('refuses an inbox with neither commands nor a decoder', () => {
    const shop = shopMediator(new MemoryStore());

    const make = () =>
      new CommandInbox({ mediator: shop, connection: nc, stream: 's', consumer: 'c', actor: 'a' });

    expect(make).toThrow(expect.objectContaining({ code: 'CW_INVALID_ARGUMENT' }));
  });

  it('refuses to encode an event whose payload JSON cannot carry', () => {
    const event = { id: 'e', seq: 1, type: 'T', data: { big: 1n } } as unknown as Parameters<
      typeof encodeEvent
    >[0];

    expect(() => encodeEvent(event)).toThrow(
      expect.objectContaining({ code: 'CW_INVALID_PAYLOAD' }),
    );
  });

  it('round-trips an event through its wire form', async () => {
    const shop = shopMediator(new MemoryStore());
    await shop.start();
    await stockSome(shop, [3]);
    const [event] = (await shop.system.readEvents({ type: 'StockAdded' })).items;

    const back = decodeEvent(encodeEvent(event!));

    expect(back).toEqual(event);
  });
});
