import { inProcessHost } from '../../../tests/support/in-process.ts';
import { describeTrackerContract } from '../tracker.contract.ts';

describeTrackerContract('builtin', async () => {
  const host = await inProcessHost();
  return { tracker: host.services.tracker, close: () => host.close() };
});
