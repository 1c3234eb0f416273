/** The browser entry bundled by browser.e2e.test.ts: runs the scenario and publishes its result. */
import { runScenario } from './scenario.ts';

const published = globalThis as { causewayResult?: unknown; causewayError?: string };
runScenario().then(
  (result) => {
    published.causewayResult = result;
  },
  (error: unknown) => {
    published.causewayError =
      error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  },
);
