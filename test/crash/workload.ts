/**
 * The crash proof's workload: a scripted, deterministic run of an event system that a worker
 * process can resume from whatever its store holds. The same code runs the uninterrupted
 * reference (in process, on a memory store) and the killed-and-restarted worker, so the two
 * logs must be identical event for event and commit for commit.
 */
import { defineEvent, EventSystem, input } from '@causeway/runtime';
import { TickRandom } from '../../packages/runtime/src/random/index.ts';
import type { EventStore, Input, Table } from '@causeway/runtime';

/** The workload's seed: the system's PRNG seed and the script's. */
export const WORKLOAD_SEED = 0x5eed_c0de;
/** Ticks in the script. */
export const TICKS = 200;
/** Snapshots often enough that every restart rebuilds from one. */
export const SNAPSHOT_EVERY = 5;

const T0 = Date.UTC(2025, 0, 1);
const ACTORS = ['alice', 'bob', 'carol'] as const;

export interface Account {
  readonly owner: string;
  balance: number;
}

export interface Vault {
  readonly account: string;
  readonly owner: string;
  balance: number;
}

export interface Audit {
  readonly subject: string;
  readonly roll: number;
}

export interface Bank {
  accounts: Table<Account>;
  vaults: Table<Vault>;
  audits: Table<Audit>;
}

export const AccountOpened = defineEvent<{ owner: string }>('AccountOpened', { entity: 'new' });
export const Deposited = defineEvent<{ amount: number }>('Deposited', { entity: 'existing' });
export const BonusPaid = defineEvent<{ amount: number }>('BonusPaid', { entity: 'existing' });
/** Emitted by a timer an account's opening schedules, so the vault's owner comes from an earlier tick. */
export const VaultOpened = defineEvent<{ account: string; owner: string }>('VaultOpened', {
  entity: 'new',
});
export const Audited = defineEvent<{ subject: string; roll: number }>('Audited', {
  entity: 'new',
});

/** Makes the workload's system on `store`, with every listener, applier and per-tick system. */
export function makeBank(store: EventStore): EventSystem<Bank> {
  const system = new EventSystem<Bank>({
    seed: WORKLOAD_SEED,
    store,
    initialState: { accounts: {}, vaults: {}, audits: {} },
    snapshotEvery: SNAPSHOT_EVERY,
    activities: 0,
  });
  system.apply(AccountOpened, (draft, e) => {
    draft.accounts[e.entity] = { owner: e.data.owner, balance: 0 };
  });
  system.apply(Deposited, (draft, e) => credit(draft, e.entity, e.data.amount));
  system.apply(BonusPaid, (draft, e) => credit(draft, e.entity, e.data.amount));
  system.apply(VaultOpened, (draft, e) => {
    draft.vaults[e.entity] = { account: e.data.account, owner: e.data.owner, balance: 0 };
  });
  system.apply(Audited, (draft, e) => {
    draft.audits[e.entity] = { subject: e.data.subject, roll: e.data.roll };
  });

  system.subscribe(AccountOpened, function openVaultLater(e, ctx) {
    ctx.schedule(600, VaultOpened, ctx.create(), { account: e.entity, owner: e.data.owner });
  });
  system.subscribe(VaultOpened, function auditVault(e, ctx) {
    ctx.emit(Audited, ctx.create(), { subject: e.entity, roll: ctx.random() });
  });
  system.subscribe(Deposited, function auditDeposit(e, ctx) {
    const roll = ctx.random();
    if (roll < 0.4) ctx.emit(Audited, ctx.create(), { subject: e.entity, roll });
    if (e.data.amount > 80) ctx.emit(BonusPaid, e.entity, { amount: Math.floor(roll * 10) + 1 });
  });
  system.subscribe(Deposited, function flakyFraudCheck(e, ctx) {
    const roll = ctx.random();
    ctx.emit(Audited, ctx.create(), { subject: e.entity, roll });
    // Fails now and then after emitting, so a discarded output and a ListenerFailed are logged.
    if (roll < 0.08) throw new Error(`fraud check tripped on ${e.entity}`);
  });
  system.system('interest', (ctx) => {
    if (ctx.tick % 10 === 0)
      ctx.emit(Audited, ctx.create(), { subject: 'ledger', roll: ctx.random() });
  });
  return system;
}

function credit(draft: Bank, entity: string, amount: number): void {
  const target = draft.accounts[entity] ?? draft.vaults[entity];
  if (target !== undefined) target.balance += amount;
}

/** One input of the script; a vault deposit names its vault from the state when it is sent. */
export type ScriptedInput =
  | { readonly kind: 'open'; readonly account: string; readonly actor: string }
  | {
      readonly kind: 'deposit';
      readonly account: string;
      readonly actor: string;
      readonly amount: number;
    }
  | {
      readonly kind: 'vault-deposit';
      readonly pick: number;
      readonly amount: number;
      /** Paid instead while no vault exists yet. */
      readonly fallback: { readonly account: string; readonly actor: string };
    };

/** One tick of the script: its time, its inputs, and whether they are accepted one by one first. */
export interface ScriptedTick {
  readonly tick: number;
  readonly at: number;
  readonly inputs: readonly ScriptedInput[];
  /** `accept`: each input through `accept()`, then an empty `tick()`; `tick`: all through `tick(inputs)`. */
  readonly mode: 'accept' | 'tick';
  /** The input number of the tick's first input (input numbers are gap-free from 1 in script order). */
  readonly firstIno: number;
}

/** A valid UUIDv7 for the n-th scripted account, from a fixed time before the first tick. */
export function accountId(n: number): string {
  const time = (T0 - 60_000).toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** The fixed script: {@link TICKS} ticks of zero to four inputs each. */
export function script(): readonly ScriptedTick[] {
  const random = new TickRandom(WORKLOAD_SEED, 0);
  const below = (n: number): number => Math.floor(random.float() * n);
  const accounts: { id: string; actor: string }[] = [];
  const ticks: ScriptedTick[] = [];
  let at = T0;
  let ino = 1;
  for (let tick = 1; tick <= TICKS; tick++) {
    // Mostly forward, sometimes the same millisecond, sometimes a driver clock that steps back
    // (the loop keeps the previous tick's time then).
    const step = below(10);
    at += step === 0 ? 0 : step === 1 ? -100 : 150 + below(300);
    const inputs: ScriptedInput[] = [];
    const count = below(5);
    for (let k = 0; k < count; k++) {
      const roll = random.float();
      if (accounts.length < 3 || roll < 0.2) {
        const account = { id: accountId(accounts.length), actor: ACTORS[below(3)] as string };
        accounts.push(account);
        inputs.push({ kind: 'open', account: account.id, actor: account.actor });
      } else if (roll < 0.75) {
        // Newest accounts are favoured, so an account is often opened and paid in one tick.
        const { id, actor } = accounts[
          accounts.length - 1 - below(Math.min(4, accounts.length))
        ] as {
          id: string;
          actor: string;
        };
        inputs.push({ kind: 'deposit', account: id, actor, amount: 1 + below(100) });
      } else {
        const fallback = {
          account: (accounts[0] as { id: string }).id,
          actor: (accounts[0] as { actor: string }).actor,
        };
        inputs.push({ kind: 'vault-deposit', pick: below(1000), amount: 1 + below(100), fallback });
      }
    }
    ticks.push({ tick, at, inputs, mode: below(2) === 0 ? 'accept' : 'tick', firstIno: ino });
    ino += inputs.length;
  }
  return ticks;
}

/**
 * The input a scripted input stands for. A vault deposit goes to a vault chosen from the state
 * after the previous tick (the same state on every run, the loop being deterministic) and is
 * sent by the vault's owner; before any vault exists it pays the scripted fallback instead.
 */
export function toInput(scripted: ScriptedInput, state: Bank): Input {
  switch (scripted.kind) {
    case 'open':
      return input(AccountOpened, scripted.account, { owner: scripted.actor }, scripted.actor);
    case 'deposit':
      return input(Deposited, scripted.account, { amount: scripted.amount }, scripted.actor);
    case 'vault-deposit': {
      const vaults = Object.keys(state.vaults).sort();
      const id = vaults[scripted.pick % Math.max(vaults.length, 1)];
      if (id === undefined) {
        const { account, actor } = scripted.fallback;
        return input(Deposited, account, { amount: scripted.amount }, actor);
      }
      const vault = state.vaults[id] as Vault;
      return input(Deposited, id, { amount: scripted.amount }, vault.owner);
    }
  }
}

/** What the workload reports as it goes: each line is an acknowledgement the parent relies on. */
export interface WorkloadReport {
  /** The system opened its store: the last committed tick and the last journaled input. */
  resumed(tick: number, lastInput: number): void;
  /** Input `ino` is journaled (its `accept()` or `tick()` resolved). */
  input(ino: number): void;
  /** Tick `tick` is committed (its `tick()` resolved). */
  tick(tick: number): void;
}

/**
 * Runs the script on `system` from where its store is: ticks already committed are not rerun,
 * inputs already journaled are not resent, and the tick in progress at a crash gets only its
 * missing inputs before it runs at its scripted time.
 *
 * @throws Error when the store holds a position the script cannot have produced.
 */
export async function runWorkload(
  system: EventSystem<Bank>,
  report: WorkloadReport,
  ticks: readonly ScriptedTick[] = script(),
): Promise<void> {
  await system.open();
  const committed = system.lastCommit?.tick ?? 0;
  const journaled = await system.store.lastInput();
  report.resumed(committed, journaled);
  const next = ticks[committed];
  if (next !== undefined) {
    const consumed = system.lastCommit?.lastInput ?? 0;
    if (
      consumed !== next.firstIno - 1 ||
      journaled < consumed ||
      journaled >= next.firstIno + next.inputs.length
    ) {
      throw new Error(
        `The store is at tick ${committed}, input ${consumed} consumed and ${journaled} journaled, but the script's tick ${next.tick} has inputs ${next.firstIno}..${next.firstIno + next.inputs.length - 1}.`,
      );
    }
  }
  let lastInput = journaled;
  for (const scripted of ticks.slice(committed)) {
    const sent = Math.max(0, lastInput - scripted.firstIno + 1);
    const inputs = scripted.inputs.slice(sent).map((i) => toInput(i, system.state as Bank));
    if (scripted.mode === 'accept') {
      for (const i of inputs) {
        const [ino] = await system.accept([i]);
        report.input(ino as number);
      }
      await system.tick([], { at: scripted.at });
    } else {
      await system.tick(inputs, { at: scripted.at });
      for (let k = 0; k < inputs.length; k++) report.input(scripted.firstIno + sent + k);
    }
    lastInput = scripted.firstIno + scripted.inputs.length - 1;
    report.tick(scripted.tick);
  }
}
