// Type-checked against the shipped declarations only (test/package/pack-install.e2e.test.ts):
// the names an application uses resolve, and their types are real, not `any`.
import { defineEvent, EventSystem, input, newEntityId, rebuild } from '@causeway/runtime';
import type { Envelope, EventStore, Table, TickResult } from '@causeway/runtime';
import { command, defineCommand, Mediator } from '@causeway/runtime/cqrs';
import type { ResultOf } from '@causeway/runtime/cqrs';
import { openStore } from '@causeway/adapters';
import { FileStore } from '@causeway/adapters/file';
import type { causewayMatchers } from '@causeway/runtime/testing';

const Deposited = defineEvent<{ amount: number }>('Deposited', { entity: 'existing' });
const Opened = defineEvent<{ owner: string }>('AccountOpened', { entity: 'new' });

type Bank = { balance: Table<number> };

export function makeBank(store: EventStore): EventSystem<Bank> {
  const bank = new EventSystem<Bank>({ seed: 1, store, initialState: { balance: {} } });
  bank.apply(Opened, (draft, e) => {
    draft.balance[e.entity] = 0;
  });
  bank.apply(Deposited, (draft, e: Envelope<typeof Deposited>) => {
    const amount: number = e.data.amount;
    draft.balance[e.entity] = (draft.balance[e.entity] ?? 0) + amount;
  });
  return bank;
}

export async function run(): Promise<TickResult> {
  const bank = makeBank(new FileStore({ dir: './data' }));
  const account = newEntityId();
  const result = await bank.tick([input(Opened, account, { owner: 'ada' }, 'ada')]);
  const hash: string = result.commit.hash;
  const rebuilt = await rebuild(await openStore('file:./data', { readOnly: true }), makeBank);
  const balance: number | undefined = rebuilt.state.balance[account];
  const matcher: keyof typeof causewayMatchers = 'toBeCausewayError';
  void [hash, balance, matcher];

  // @ts-expect-error: a payload is checked against its event type
  input(Deposited, account, { amount: 'five' }, 'ada');
  return result;
}

const Deposit = defineCommand<{ amount: number }, { balance: number }, 'NO_ACCOUNT'>('Deposit');

export async function deposit(account: string): Promise<ResultOf<typeof Deposit>> {
  const teller = new Mediator(makeBank(new FileStore({ dir: './data' })), {
    commands: [Deposit],
  }).handle(Deposit, (cmd, ctx) => {
    const balance = ctx.state.balance[cmd.entity];
    if (balance === undefined) return ctx.reject('NO_ACCOUNT', 'Open the account first.');
    ctx.emit(Deposited, cmd.entity, { amount: cmd.payload.amount });
    return { balance: balance + cmd.payload.amount };
  });
  const { balance } = await teller.send(command(Deposit, account, { amount: 5 }, { actor: 'ada' }));
  // @ts-expect-error: a command's payload is checked against its command type
  command(Deposit, account, { amount: 'five' }, { actor: 'ada' });
  return { balance };
}
