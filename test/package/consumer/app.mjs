// A small application on the installed packages, run with plain `node` (no TypeScript, no
// tsx): define events, tick on the file store, reopen it, rebuild and re-execute the log, then
// decide a command and a refusal through the CQRS entry (`@causeway/runtime/cqrs`).
// Prints one JSON line of what it saw; test/package/pack-install.e2e.test.ts checks it.
import {
  defineEvent,
  EventSystem,
  input,
  newEntityId,
  rebuild,
  reexecute,
} from '@causeway/runtime';
import { command, defineCommand, isCommandRejected, Mediator } from '@causeway/runtime/cqrs';
import { FileStore } from '@causeway/adapters/file';

const dir = process.argv[2];

const Opened = defineEvent('AccountOpened', { entity: 'new' });
const Deposited = defineEvent('Deposited', { entity: 'existing' });
const Flagged = defineEvent('Flagged', { entity: 'existing' });

function makeBank(store) {
  const bank = new EventSystem({
    seed: 42,
    store,
    initialState: { balance: {} },
    events: [Flagged],
  });
  bank.apply(Opened, (draft, e) => {
    draft.balance[e.entity] = 0;
  });
  bank.apply(Deposited, (draft, e) => {
    draft.balance[e.entity] += e.data.amount;
  });
  bank.subscribe(Deposited, function compliance(e, ctx) {
    if (e.data.amount > 10_000) ctx.emit(Flagged, e.entity, { reason: 'large deposit' });
  });
  return bank;
}

const account = newEntityId();
const live = makeBank(new FileStore({ dir }));
const first = await live.tick([input(Opened, account, { owner: 'ada' }, 'ada')]);
const second = await live.tick([input(Deposited, account, { amount: 20_000 }, 'ada')]);
await live.close();

const reopened = makeBank(new FileStore({ dir }));
await reopened.open();
const reopenedBalance = reopened.state.balance[account];
const reopenedHash = reopened.lastCommit?.hash;
await reopened.close();

const reader = new FileStore({ dir, readOnly: true });
const rebuilt = await rebuild(reader, makeBank);
const replayed = await reexecute(reader, makeBank);
await reader.close();

const Open = defineCommand('Open');
const Deposit = defineCommand('Deposit');
const teller = new Mediator(makeBank(new FileStore({ dir: `${dir}-cqrs` })), {
  commands: [Open, Deposit],
})
  .handle(Open, (cmd, ctx) => {
    ctx.emit(Opened, cmd.entity, { owner: cmd.payload.owner });
    return null;
  })
  .handle(Deposit, (cmd, ctx) => {
    const balance = ctx.state.balance[cmd.entity];
    if (balance === undefined) return ctx.reject('NO_ACCOUNT', 'Open the account first.');
    ctx.emit(Deposited, cmd.entity, { amount: cmd.payload.amount });
    return { balance: balance + cmd.payload.amount };
  });
await teller.start();
await teller.send(command(Open, account, { owner: 'ada' }, { actor: 'ada' }));
const decided = await teller.send(command(Deposit, account, { amount: 5 }, { actor: 'ada' }));
let refused = null;
try {
  await teller.send(command(Deposit, newEntityId(), { amount: 5 }, { actor: 'ada' }));
} catch (error) {
  refused = isCommandRejected(error, Deposit) ? error.reason : String(error);
}
await teller.system.close();

let deepImport = 'allowed';
try {
  await import('@causeway/runtime/dist/loop/core.js');
} catch (error) {
  deepImport = error.code;
}

console.log(
  JSON.stringify({
    types: [...first.events, ...second.events].map((e) => e.type),
    hashes: [first.commit.hash, second.commit.hash],
    reopenedBalance,
    reopenedHash,
    rebuilt: { tick: rebuilt.tick, hash: rebuilt.hash, balance: rebuilt.state.balance[account] },
    reexecuted: replayed.ok,
    command: { decided, refused },
    deepImport,
  }),
);
