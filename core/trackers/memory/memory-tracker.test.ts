import { describeTrackerContract } from '../tracker.contract.ts';
import { createMemoryTracker } from './memory-tracker.ts';

describeTrackerContract('memory', async () => ({ tracker: createMemoryTracker(), close: async () => {} }));
