import DataLoader from 'dataloader';
import {
  GraphQLID,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { defineEvent, EventSystem, type EventStore, type Table } from '@causeway/runtime';
import { defineCommand, Mediator } from '@causeway/runtime/cqrs';
import {
  commandField,
  connectionArgs,
  connectionType,
  eventSubscription,
  toConnection,
  type ConnectionArgs,
  type GraphqlContext,
} from '../src/graphql/index.ts';

/** A bank served over GraphQL: accounts, each held by a user (the related entity). */
export const UserRegistered = defineEvent<{ name: string }, 'UserRegistered'>('UserRegistered', {
  entity: 'new',
});
export const AccountOpened = defineEvent<{ holder: string }, 'AccountOpened'>('AccountOpened', {
  entity: 'new',
});
export const Deposited = defineEvent<{ amount: number }, 'Deposited'>('Deposited', {
  entity: 'existing',
  public: true,
});

export const RegisterUser = defineCommand<{ name: string }, null, never, 'RegisterUser'>(
  'RegisterUser',
);
export const OpenAccount = defineCommand<{ holder: string }, null, 'NO_SUCH_USER', 'OpenAccount'>(
  'OpenAccount',
);
export const Deposit = defineCommand<
  { amount: number },
  { balance: number },
  'BAD_AMOUNT',
  'Deposit'
>('Deposit');

export interface BankState {
  users: Table<{ name: string }>;
  accounts: Table<{ holder: string; balance: number }>;
}

export interface BankLoaders {
  readonly users: DataLoader<string, { id: string; name: string } | null>;
}

/** Counts the batch loads of users, to prove batching. */
export const userLoads = { batches: 0, keys: 0 };

/** The bank's system and mediator on `store`. */
export function bankMediator(store?: EventStore): Mediator<BankState> {
  const system = new EventSystem<BankState>({
    seed: 9,
    ...(store === undefined ? {} : { store }),
    initialState: { users: {}, accounts: {} },
    events: [UserRegistered, AccountOpened, Deposited],
  });
  system.apply(UserRegistered, (d, e) => {
    d.users[e.entity] = { name: e.data.name };
  });
  system.apply(AccountOpened, (d, e) => {
    d.accounts[e.entity] = { holder: e.data.holder, balance: 0 };
  });
  system.apply(Deposited, (d, e) => {
    const a = d.accounts[e.entity];
    if (a !== undefined) a.balance += e.data.amount;
  });
  return new Mediator(system, { commands: [RegisterUser, OpenAccount, Deposit] })
    .handle(RegisterUser, (cmd, ctx) => {
      ctx.emit(UserRegistered, cmd.entity, { name: cmd.payload.name });
      return null;
    })
    .handle(OpenAccount, (cmd, ctx) => {
      if (ctx.state.users[cmd.payload.holder] === undefined)
        return ctx.reject('NO_SUCH_USER', `No user ${cmd.payload.holder}.`);
      ctx.emit(AccountOpened, cmd.entity, { holder: cmd.payload.holder });
      return null;
    })
    .handle(Deposit, (cmd, ctx) => {
      if (cmd.payload.amount <= 0) return ctx.reject('BAD_AMOUNT', 'Deposits are positive.');
      ctx.emit(Deposited, cmd.entity, { amount: cmd.payload.amount });
      return { balance: (ctx.state.accounts[cmd.entity]?.balance ?? 0) + cmd.payload.amount };
    });
}

/** Per-request loaders: with `batch: false`, every user is loaded on its own (the bench's baseline). */
export function bankLoaders(batch = true) {
  return (mediator: Mediator<BankState>): BankLoaders => ({
    users: new DataLoader<string, { id: string; name: string } | null>(
      (ids) => {
        userLoads.batches++;
        userLoads.keys += ids.length;
        const users = mediator.system.state.users;
        return Promise.resolve(
          ids.map((id) => {
            const u = users[id];
            return u === undefined ? null : { id, name: u.name };
          }),
        );
      },
      { batch },
    ),
  });
}

type Ctx = GraphqlContext<BankState, BankLoaders>;
interface AccountRow {
  id: string;
  holder: string;
  balance: number;
}

const UserType = new GraphQLObjectType({
  name: 'User',
  fields: { id: { type: new GraphQLNonNull(GraphQLID) }, name: { type: GraphQLString } },
});

const AccountType: GraphQLObjectType<AccountRow, Ctx> = new GraphQLObjectType<AccountRow, Ctx>({
  name: 'Account',
  fields: () => ({
    id: { type: new GraphQLNonNull(GraphQLID) },
    balance: { type: new GraphQLNonNull(GraphQLInt) },
    version: {
      type: new GraphQLNonNull(GraphQLInt),
      resolve: (a, _args, ctx) => ctx.mediator.version(a.id),
    },
    holder: { type: UserType, resolve: (a, _args, ctx) => ctx.loaders.users.load(a.holder) },
  }),
});

function accountRow(mediator: Mediator<BankState>, id: string): AccountRow | null {
  const a = mediator.system.state.accounts[id];
  return a === undefined ? null : { id, holder: a.holder, balance: a.balance };
}

const DepositEventType = new GraphQLObjectType<{ account: string }, Ctx>({
  name: 'DepositEvent',
  fields: {
    account: { type: new GraphQLNonNull(GraphQLID) },
    amount: { type: new GraphQLNonNull(GraphQLInt) },
    seq: { type: new GraphQLNonNull(GraphQLInt) },
    holder: {
      type: UserType,
      resolve: (d, _args, ctx) => {
        const holder = ctx.mediator.system.state.accounts[d.account]?.holder;
        return holder === undefined ? null : ctx.loaders.users.load(holder);
      },
    },
  },
});

/** The bank's schema: accounts with Relay paging, commands as mutations, deposits live. */
export const bankSchema = new GraphQLSchema({
  query: new GraphQLObjectType<unknown, Ctx>({
    name: 'Query',
    fields: {
      accounts: {
        type: new GraphQLNonNull(connectionType(AccountType)),
        args: connectionArgs,
        resolve: (_s, args: ConnectionArgs, ctx) => {
          const accounts = ctx.mediator.system.state.accounts;
          const rows = Object.keys(accounts)
            .sort()
            .map((id) => accountRow(ctx.mediator, id) as AccountRow);
          return toConnection(rows, args, (r) => r.id);
        },
      },
      account: {
        type: AccountType,
        args: { id: { type: new GraphQLNonNull(GraphQLID) } },
        resolve: (_s, args: { id: string }, ctx) => accountRow(ctx.mediator, args.id),
      },
      me: { type: new GraphQLNonNull(GraphQLString), resolve: (_s, _a, ctx) => ctx.principal.id },
    },
  }),
  mutation: new GraphQLObjectType<unknown, Ctx>({
    name: 'Mutation',
    fields: {
      registerUser: commandField<
        typeof RegisterUser,
        { id: string; name: string },
        BankState,
        BankLoaders
      >({
        command: RegisterUser,
        type: new GraphQLNonNull(GraphQLID),
        args: {
          id: { type: new GraphQLNonNull(GraphQLID) },
          name: { type: new GraphQLNonNull(GraphQLString) },
        },
        entity: (args) => args.id,
        payload: (args) => ({ name: args.name }),
        resolve: (_r, args) => args.id,
      }),
      openAccount: commandField<
        typeof OpenAccount,
        { id: string; holder: string },
        BankState,
        BankLoaders
      >({
        command: OpenAccount,
        type: AccountType,
        args: {
          id: { type: new GraphQLNonNull(GraphQLID) },
          holder: { type: new GraphQLNonNull(GraphQLID) },
        },
        entity: (args) => args.id,
        payload: (args) => ({ holder: args.holder }),
        resolve: (_r, args, ctx) => accountRow(ctx.mediator, args.id),
      }),
      deposit: commandField<
        typeof Deposit,
        {
          account: string;
          amount: number;
          expectedVersion?: number | null;
          commandId?: string | null;
        },
        BankState,
        BankLoaders
      >({
        command: Deposit,
        type: new GraphQLNonNull(GraphQLInt),
        args: {
          account: { type: new GraphQLNonNull(GraphQLID) },
          amount: { type: new GraphQLNonNull(GraphQLInt) },
          expectedVersion: { type: GraphQLInt },
          commandId: { type: GraphQLID },
        },
        entity: (args) => args.account,
        payload: (args) => ({ amount: args.amount }),
        expectedVersion: (args) => args.expectedVersion,
        id: (args) => args.commandId,
        resolve: (result) => result.balance,
      }),
    },
  }),
  subscription: new GraphQLObjectType<unknown, Ctx>({
    name: 'Subscription',
    fields: {
      deposited: eventSubscription<{ account?: string | null }, BankState, BankLoaders>({
        type: new GraphQLNonNull(DepositEventType),
        events: [Deposited],
        args: { account: { type: GraphQLID } },
        filter: (e, args, ctx) =>
          ctx.mediator.system.entity(e.entity)?.owner === ctx.principal.id &&
          (args.account == null || args.account === e.entity),
        resolve: (e) => ({
          account: e.entity,
          amount: (e.data as { amount: number }).amount,
          seq: e.seq,
        }),
      }),
    },
  }),
});
