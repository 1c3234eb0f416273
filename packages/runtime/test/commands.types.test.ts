import { describe, expectTypeOf, it } from 'vitest';
import {
  command,
  defineQuery,
  Mediator,
  type CommandHandler,
  type CommandRejected,
  type ResultOf,
} from '../src/cqrs/index.ts';
import type { OpenAccount } from './fixtures/bank.ts';
import { bankSystem, Deposit, Withdraw, type Bank } from './fixtures/bank.ts';

const mediator = new Mediator(bankSystem());
const account = '0190b5a8-3b6e-7000-8000-000000000000';

describe('command types', () => {
  it('types a handler by its command: payload, result and rejection reasons', () => {
    mediator.handle(Withdraw, (cmd, ctx) => {
      expectTypeOf(cmd.payload).toEqualTypeOf<{ amount: number }>();
      expectTypeOf(cmd.type).toEqualTypeOf<'Withdraw'>();
      expectTypeOf(ctx.state.accounts).not.toBeAny();
      expectTypeOf<Parameters<typeof ctx.reject>[0]>().toEqualTypeOf<
        'NO_ACCOUNT' | 'INSUFFICIENT_FUNDS'
      >();
      return { balance: 0 };
    });
  });

  it('does not compile a handler written for another command', () => {
    const openHandler: CommandHandler<typeof OpenAccount, Bank> = (cmd) => ({ id: cmd.entity });
    // @ts-expect-error: an OpenAccount handler cannot decide Deposit
    mediator.handle(Deposit, openHandler);
  });

  it('does not compile a handler returning another result type', () => {
    // @ts-expect-error: Deposit resolves with { balance }, not { id }
    mediator.handle(Deposit, (cmd) => ({ id: cmd.entity }));
  });

  it('does not compile a rejection reason the command does not declare', () => {
    // @ts-expect-error: 'TOO_LATE' is not one of Deposit's reasons
    mediator.handle(Deposit, (_cmd, ctx) => ctx.reject('TOO_LATE', 'no'));
  });

  it('does not compile a command payload of the wrong shape', () => {
    // @ts-expect-error: Deposit's payload is { amount: number }
    command(Deposit, account, { owner: 'ada' });
  });

  it('resolves send with the command result type', () => {
    expectTypeOf(mediator.send(command(Deposit, account, { amount: 1 }))).resolves.toEqualTypeOf<{
      balance: number;
    }>();
    expectTypeOf<ResultOf<typeof OpenAccount>>().toEqualTypeOf<{ id: string }>();
  });

  it('types the reason of a CommandRejected narrowed to a command', () => {
    expectTypeOf<CommandRejected<'NO_ACCOUNT'>['reason']>().toExtend<string>();
  });

  it('types a query result and parameters', () => {
    const Balance = defineQuery<{ account: string }, number | null>('Balance');
    mediator.handleQuery(Balance, (params) => {
      expectTypeOf(params).toEqualTypeOf<{ account: string }>();
      return 1;
    });
    // @ts-expect-error: a Balance answer is a number or null
    mediator.handleQuery(Balance, () => 'one');
    expectTypeOf(mediator.query(Balance, { account })).resolves.toEqualTypeOf<number | null>();
  });
});
