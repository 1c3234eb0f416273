import { describe } from 'vitest';
import { describeStoreConformance } from '../../../test/conformance/suite.ts';
import { pgUrl, requirePostgres } from '../../../test/services.ts';
import { postgresHarness } from './postgres-harness.ts';

const postgres = await requirePostgres();

describe.skipIf(!postgres.available)('postgres store', () => {
  describeStoreConformance(postgresHarness(pgUrl()));
});
